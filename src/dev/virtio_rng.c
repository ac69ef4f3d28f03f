/* The virtio entropy device (include/hv/virtio_rng.h). */
#include <hv/arch.h>
#include <hv/virtio_rng.h>

/* Eight random bytes: the CPU's, else the fallback generator's
 * (xorshift64*, Vigna 2016), seeded from the TSC. */
static uint64_t random64(struct virtio_rng *r)
{
	uint64_t v;

	if (arch_random64(&v))
		return v;
	if (!r->fallback)
		r->fallback = arch_tsc() | 1;
	r->fallback ^= r->fallback >> 12;
	r->fallback ^= r->fallback << 25;
	r->fallback ^= r->fallback >> 27;
	return r->fallback * 0x2545f4914f6cdd1dULL;
}

/* The chain's writable bytes filled, and it goes back. */
static void serve(struct virtio_pci *vp, struct virtq *q, const struct virtq_chain *c)
{
	struct virtio_rng *r = (struct virtio_rng *)vp;   /* vp is its first member */
	const struct gmem *m = &vp->host.mem;
	uint64_t done = 0;

	while (done < c->writable) {
		uint64_t block[8];
		size_t n;

		for (unsigned i = 0; i < 8; i++)
			block[i] = random64(r);
		n = virtq_write(m, c, done, block, sizeof(block));
		if (!n)
			break;
		done += n;
	}
	r->served += done;
	virtq_push(q, m, c->head, (uint32_t)done);
}

static void rng_notify(struct virtio_pci *vp, unsigned q)
{
	virtio_queue_drain(vp, q, &((struct virtio_rng *)vp)->chain, serve);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.type = VIRTIO_ID_RNG,
	.features = 0,
	.queues = 1,
	.notify = rng_notify,
};

void virtio_rng_init(struct virtio_rng *r, const struct virtio_host *host)
{
	virtio_pci_init(&r->vp, &rng_ops, r, host);
	r->fallback = 0;
	r->served = 0;
}
