/* Split virtqueues (Virtual I/O Device (VIRTIO) 1.2, 2.7 "Split
 * Virtqueues"): the rings a virtio driver in the guest and a device model
 * in the hypervisor share.  The driver puts chains of buffers on the
 * available ring; the device takes each (virtq_pop), reads the buffers the
 * driver filled and writes those it left for the device, and returns the
 * chain on the used ring (virtq_push) with the bytes it wrote.  Indirect
 * descriptors (2.7.5.3) and notification suppression with EVENT_IDX
 * (2.7.7, 2.7.10) are understood.  Portable, for every virtio device
 * model: guest memory is the VM's RAM as hv/gmem.h describes it, and
 * every address and length the driver gives is checked against it; a malformed ring is an error the device turns into
 * DEVICE_NEEDS_RESET (2.1.2), never a fault of the hypervisor. */
#ifndef HV_VIRTQ_H
#define HV_VIRTQ_H

#include <hv/gmem.h>
#include <hv/types.h>

#define VIRTQ_MAX_SIZE 256          /* the queue size the devices offer at most */

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
/* Ring flags (2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

struct virtq {
	uint16_t size;             /* entries: a power of 2, 1..VIRTQ_MAX_SIZE */
	uint64_t desc, avail, used;   /* the rings' guest-physical addresses */
	bool event_idx;            /* VIRTIO_F_EVENT_IDX was negotiated */
	uint16_t last_avail;       /* the next available entry to take */
	uint16_t used_idx;         /* the used ring's idx as the device last wrote it */
	uint16_t signalled;        /* used_idx when the driver was last considered for an
				    * interrupt (virtq_should_interrupt) */
};

struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;                /* device-writable (else the driver filled it) */
};

/* One chain taken from the available ring: its buffers in order, the
 * driver's (readable) ones first. */
struct virtq_chain {
	uint16_t head;             /* its first descriptor: what virtq_push returns */
	unsigned n;
	struct virtq_buf buf[VIRTQ_MAX_SIZE];
	uint64_t readable, writable;   /* bytes of each kind */
};

/* The rings lie in RAM, aligned (2.7: descriptors 16, available ring 2,
 * used ring 4) and size is a power of 2 up to VIRTQ_MAX_SIZE: 0, or
 * HV_EINVAL with the reason in err. */
int virtq_check(const struct virtq *q, const struct gmem *m, char *err, size_t errlen);
/* Start afresh (the queue enabled, or its device reset). */
void virtq_reset(struct virtq *q);

/* The next available chain: 1 (in *c), 0 (none), or HV_EINVAL (the ring
 * is malformed: the reason in err; the device needs a reset). */
int virtq_pop(struct virtq *q, const struct gmem *m, struct virtq_chain *c, char *err,
	      size_t errlen);
/* Return a chain taken by virtq_pop, with the bytes the device wrote. */
int virtq_push(struct virtq *q, const struct gmem *m, uint16_t head, uint32_t written);
/* After pushes: whether the driver wants an interrupt for them (its
 * used_event with EVENT_IDX, else its NO_INTERRUPT flag). */
bool virtq_should_interrupt(struct virtq *q, const struct gmem *m);
/* Whether the driver should notify the device of new chains: with
 * EVENT_IDX, after the one the device will take next; else at all. */
void virtq_want_notify(struct virtq *q, const struct gmem *m, bool want);

/* Copy between a chain's buffers and the host: from the readable ones at
 * byte offset off (counted over them in order), or into the writable
 * ones.  Return the bytes copied (fewer at the chain's end). */
/* The chain's bytes of one kind (device-writable or not) from byte off
 * on: where they are in host memory, contiguous for *n bytes (at most
 * max); NULL with *n = 0 past the chain's end.  For copies with no
 * bounce buffer (a disk's blocks straight into the guest's buffers). */
void *virtq_span(const struct gmem *m, const struct virtq_chain *c, bool write, uint64_t off,
		 size_t max, size_t *n);
size_t virtq_read(const struct gmem *m, const struct virtq_chain *c, uint64_t off, void *dst,
		  size_t len);
size_t virtq_write(const struct gmem *m, const struct virtq_chain *c, uint64_t off,
		   const void *src, size_t len);

#endif
