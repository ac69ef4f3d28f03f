/* The virtio memory balloon (VIRTIO 1.2, 5.5): the hypervisor asks the
 * guest for a number of its pages (the target, num_pages); the guest's
 * driver gives pages up on the inflate queue and takes them back on the
 * deflate queue, and reports its memory statistics on the stats queue.
 * The device hands each page number to the VM (ops: unmap it and free its
 * host page; map a fresh zeroed page back) and says on the console when
 * the balloon reaches its target, with the hypervisor's free memory.
 * Offered: VIRTIO_BALLOON_F_MUST_TELL_HOST (the guest uses a page it took
 * back only after the device has it back in place) and STATS_VQ; not
 * DEFLATE_ON_OOM, free page hinting or reporting, page poisoning. */
#ifndef HV_VIRTIO_BALLOON_H
#define HV_VIRTIO_BALLOON_H

#include <hv/virtio_pci.h>

#define BALLOON_STATS 10           /* VIRTIO_BALLOON_S_* tags known (5.5.6.3) */
#define BALLOON_S_MEMFREE 4
#define BALLOON_S_MEMTOT  5
#define BALLOON_S_AVAIL   6

/* What the device needs of the VM; give and take return 0, or HV_E* for
 * a page number that is not the VM's RAM, already given, or not given. */
struct balloon_ops {
	int (*give)(void *ctx, uint64_t pfn);
	int (*take)(void *ctx, uint64_t pfn);
	uint64_t (*free_pages)(void *ctx);   /* the hypervisor's free memory */
	void *ctx;
};

struct virtio_balloon {
	struct virtio_pci vp;      /* first: the transport finds the device from it */
	struct balloon_ops ops;
	uint32_t target;           /* pages asked for (num_pages) */
	uint32_t actual;           /* pages the driver says it gave */
	uint32_t given;            /* pages given now, as the device counted them */
	bool settled;              /* given == target said on the console */
	uint64_t refused;          /* page numbers give or take refused */
	struct virtq_chain chain;
	bool stats_held;           /* the driver's stats buffer, kept till wanted */
	uint16_t stats_head;
	bool stats_wanted;         /* the shell asked: print them when they come */
	bool stats_valid;
	uint64_t stat[BALLOON_STATS];
};

void virtio_balloon_init(struct virtio_balloon *b, const struct virtio_host *host,
			 const struct balloon_ops *ops, uint32_t target);
/* A new target: the driver is told (a configuration change). */
void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t pages);
/* The state on the console; fresh statistics asked of the driver,
 * printed when they come. */
void virtio_balloon_show(struct virtio_balloon *b);

#endif
