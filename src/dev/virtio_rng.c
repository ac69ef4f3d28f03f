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
static void serve(struct virtio_rng *r, struct virtq *q, const struct gmem *m)
{
	uint64_t done = 0;

	while (done < r->chain.writable) {
		uint64_t block[8];
		size_t n;

		for (unsigned i = 0; i < 8; i++)
			block[i] = random64(r);
		n = virtq_write(m, &r->chain, done, block, sizeof(block));
		if (!n)
			break;
		done += n;
	}
	r->served += done;
	virtq_push(q, m, r->chain.head, (uint32_t)done);
}

/* Every chain the driver made available.  With EVENT_IDX the driver
 * notifies only past avail_event, so the device moves it on and looks
 * once more for a chain made meanwhile (2.7.10). */
static void rng_notify(struct virtio_pci *vp, unsigned qn)
{
	struct virtio_rng *r = (struct virtio_rng *)vp;   /* vp is its first member */
	const struct gmem *m = &vp->host.mem;
	struct virtq *q = &vp->vq[qn];
	char err[120];
	int rc;

	do {
		while ((rc = virtq_pop(q, m, &r->chain, err, sizeof(err))) == 1)
			serve(r, q, m);
		if (rc)
			break;
		virtq_want_notify(q, m, true);
		rc = virtq_pop(q, m, &r->chain, err, sizeof(err));
		if (rc == 1)
			serve(r, q, m);
	} while (rc == 1);
	if (rc)
		virtio_pci_fail(vp, err);
	virtio_pci_interrupt(vp, qn);
}

static const struct virtio_dev_ops rng_ops = {
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
