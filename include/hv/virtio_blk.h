/* The virtio block device (VIRTIO 1.2, 5.2): one request queue over a
 * VM's disk (hv/disk.h).  Requests: read, write, flush (the writes are
 * in hypervisor RAM already: nothing to do) and get ID; the capacity is
 * the image's, in 512-byte sectors; a read-only disk offers
 * VIRTIO_BLK_F_RO and fails writes.  Offered besides: SEG_MAX, BLK_SIZE
 * (512) and FLUSH; not discard, write zeroes, geometry, topology or
 * several queues. */
#ifndef HV_VIRTIO_BLK_H
#define HV_VIRTIO_BLK_H

#include <hv/disk.h>
#include <hv/virtio_pci.h>

#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk {
	struct virtio_pci vp;      /* first: the transport finds the device from it */
	struct disk *disk;
	char id[VIRTIO_BLK_ID_BYTES + 1];   /* GET_ID's answer */
	struct virtq_chain chain;  /* the request being served */
	uint64_t reads, writes, flushes, errors;   /* requests */
	uint64_t read_bytes, written_bytes;
	bool out_of_memory;        /* said once on the console */
};

/* The device over disk (its capacity whole sectors of the image), with
 * id as its serial number (up to 20 bytes kept). */
void virtio_blk_init(struct virtio_blk *b, const struct virtio_host *host, struct disk *disk,
		     const char *id);

#endif
