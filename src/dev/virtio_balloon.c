/* The virtio memory balloon (include/hv/virtio_balloon.h).  Section
 * numbers are those of VIRTIO 1.2. */
#include <hv/string.h>
#include <hv/virtio_balloon.h>

/* Feature bits (5.5.3). */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST BIT(0)
#define VIRTIO_BALLOON_F_STATS_VQ       BIT(1)

#define INFLATEQ 0
#define DEFLATEQ 1
#define STATSQ   2
#define CONFIG_LEN 8      /* le32 num_pages, le32 actual (5.5.4) */
#define STAT_SIZE  10     /* le16 tag, le64 val, packed (5.5.6.3) */
#define PAGES_PER_MIB 256

static struct virtio_balloon *balloon_of(struct virtio_pci *vp)
{
	return (struct virtio_balloon *)vp;
}

static void balloon_config(const struct virtio_pci *vp, uint8_t *out)
{
	const struct virtio_balloon *b = (const struct virtio_balloon *)vp;

	memcpy(out, &b->target, 4);
	memcpy(out + 4, &b->actual, 4);
}

static void balloon_config_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t val)
{
	if (off == 4 && size == 4)
		balloon_of(vp)->actual = (uint32_t)val;   /* the only field the driver writes */
}

static void say_state(struct virtio_balloon *b, const char *what)
{
	virtio_pci_report(&b->vp, "%s: %u MiB given by the guest (target %u MiB); hypervisor "
			  "free memory %lu KiB", what, b->given / PAGES_PER_MIB,
			  b->target / PAGES_PER_MIB,
			  (unsigned long)(b->ops.free_pages(b->ops.ctx) * 4));
}

/* A chain of le32 page numbers (5.5.6: 4 KiB pages) on the inflate or
 * deflate queue: each handed to the VM. */
static void pages(struct virtio_pci *vp, struct virtq *q, const struct virtq_chain *c)
{
	struct virtio_balloon *b = balloon_of(vp);
	bool inflate = q == &vp->vq[INFLATEQ];
	uint32_t pfn[64];
	uint64_t off = 0;
	size_t n;

	while ((n = virtq_read(&vp->host.mem, c, off, pfn, sizeof(pfn)) / 4) > 0) {
		for (size_t i = 0; i < n; i++) {
			int rc = inflate ? b->ops.give(b->ops.ctx, pfn[i]) : b->ops.take(b->ops.ctx, pfn[i]);

			if (rc)
				b->refused++;
			else if (inflate)
				b->given++;
			else
				b->given--;
		}
		off += n * 4;
	}
	virtq_push(q, &vp->host.mem, c->head, 0);
}

static void read_stats(struct virtio_balloon *b, const struct virtq_chain *c)
{
	uint8_t s[STAT_SIZE];

	for (uint64_t off = 0; virtq_read(&b->vp.host.mem, c, off, s, STAT_SIZE) == STAT_SIZE;
	     off += STAT_SIZE) {
		uint16_t tag = (uint16_t)(s[0] | s[1] << 8);

		if (tag < BALLOON_STATS)
			memcpy(&b->stat[tag], s + 2, 8);
	}
	b->stats_valid = true;
	if (!b->stats_wanted)
		return;
	b->stats_wanted = false;
	virtio_pci_report(&b->vp, "the guest's memory: total %lu MiB, free %lu MiB, available "
			  "%lu MiB", (unsigned long)(b->stat[BALLOON_S_MEMTOT] >> 20),
			  (unsigned long)(b->stat[BALLOON_S_MEMFREE] >> 20),
			  (unsigned long)(b->stat[BALLOON_S_AVAIL] >> 20));
}

/* The stats queue holds one buffer, which the device keeps until it
 * wants fresh figures (5.5.6.3); a second one sends the first back. */
static void stats(struct virtio_pci *vp, struct virtq *q, const struct virtq_chain *c)
{
	struct virtio_balloon *b = balloon_of(vp);

	if (b->stats_held)
		virtq_push(q, &vp->host.mem, b->stats_head, 0);
	b->stats_held = true;
	b->stats_head = c->head;
	read_stats(b, c);
}

static void balloon_notify(struct virtio_pci *vp, unsigned q)
{
	struct virtio_balloon *b = balloon_of(vp);

	if (q == STATSQ) {
		/* The drain keeps avail_event up to date: with EVENT_IDX the
		 * driver notifies the next buffer only past it (2.7.10). */
		virtio_queue_drain(vp, q, &b->chain, stats);
		return;
	}
	virtio_queue_drain(vp, q, &b->chain, pages);
	if (b->given == b->target && !b->settled) {
		b->settled = true;
		say_state(b, "at its target");
	}
}

static void balloon_reset(struct virtio_pci *vp)
{
	struct virtio_balloon *b = balloon_of(vp);

	/* The pages given stay given: they come back through the deflate
	 * queue only (Linux's driver deflates all before it resets the
	 * device); the target stays. */
	b->stats_held = false;
	b->actual = 0;
}

static const struct virtio_dev_ops balloon_dev_ops = {
	.name = "virtio-balloon",
	.type = VIRTIO_ID_BALLOON,
	.features = VIRTIO_BALLOON_F_MUST_TELL_HOST | VIRTIO_BALLOON_F_STATS_VQ,
	.queues = 3,
	.config_len = CONFIG_LEN,
	.config = balloon_config,
	.config_write = balloon_config_write,
	.notify = balloon_notify,
	.reset = balloon_reset,
};

void virtio_balloon_init(struct virtio_balloon *b, const struct virtio_host *host,
			 const struct balloon_ops *ops, uint32_t target)
{
	b->ops = *ops;
	b->target = target;
	b->given = 0;
	b->settled = target == 0;
	b->refused = 0;
	b->stats_wanted = b->stats_valid = false;
	virtio_pci_init(&b->vp, &balloon_dev_ops, b, host);
	if (target)
		say_state(b, "new target");
}

void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t pages)
{
	b->target = pages;
	b->settled = b->given == pages;
	say_state(b, "new target");
	virtio_pci_config_changed(&b->vp);
}

void virtio_balloon_show(struct virtio_balloon *b)
{
	say_state(b, b->settled ? "at its target" : "on its way");
	if (b->refused)
		virtio_pci_report(&b->vp, "%lu page numbers refused (not the VM's, or given twice)",
				  (unsigned long)b->refused);
	b->stats_wanted = true;
	if (!b->stats_held) {
		virtio_pci_report(&b->vp, "the guest's driver has given no statistics buffer (%s)",
				  virtio_features(&b->vp) & VIRTIO_BALLOON_F_STATS_VQ
					  ? "the stats queue is empty" : "it did not take the stats queue");
		return;
	}
	b->stats_held = false;
	virtq_push(&b->vp.vq[STATSQ], &b->vp.host.mem, b->stats_head, 0);
	virtio_pci_interrupt(&b->vp, STATSQ);
}
