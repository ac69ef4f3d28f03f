/* virtio entropy device (VIRTIO 1.2, 5.4): one queue whose device-writable
 * buffers the device fills with random bytes, from the CPU's RDRAND
 * (arch_random64), or where the CPU has none from a xorshift generator
 * seeded by the TSC, which is not a source of entropy (README says so). */
#ifndef HV_VIRTIO_RNG_H
#define HV_VIRTIO_RNG_H

#include <hv/virtio_pci.h>

struct virtio_rng {
	struct virtio_pci vp;      /* first: the transport finds the device from it */
	struct virtq_chain chain;  /* the request being filled */
	uint64_t fallback;         /* the xorshift state, 0: not seeded */
	uint64_t served;           /* bytes given */
};

void virtio_rng_init(struct virtio_rng *r, const struct virtio_host *host);

#endif
