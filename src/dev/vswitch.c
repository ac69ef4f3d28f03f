/* A virtual Ethernet switch (include/hv/vswitch.h). */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vswitch.h>

void vswitch_init(struct vswitch *sw, const char *name)
{
	memset(sw, 0, sizeof(*sw));
	hv_strlcpy(sw->name, name, sizeof(sw->name));
}

int vswitch_attach(struct vswitch *sw, struct vswitch_frame *queue, void (*wake)(void *ctx),
		   void *ctx)
{
	int rc = HV_EBUSY;

	spin_lock(&sw->lock);
	for (unsigned p = 0; p < VSWITCH_PORTS; p++) {
		if (sw->port[p].used)
			continue;
		sw->port[p] = (struct vswitch_port){ .used = true, .queue = queue, .wake = wake,
						     .ctx = ctx };
		rc = (int)p;
		break;
	}
	spin_unlock(&sw->lock);
	return rc;
}

void vswitch_detach(struct vswitch *sw, unsigned port)
{
	if (port >= VSWITCH_PORTS)
		return;
	spin_lock(&sw->lock);
	sw->port[port] = (struct vswitch_port){ 0 };
	for (unsigned i = 0; i < VSWITCH_MACS; i++)
		if (sw->table[i].used && sw->table[i].port == port)
			sw->table[i].used = false;
	spin_unlock(&sw->lock);
}

static struct vswitch_mac *lookup(struct vswitch *sw, const uint8_t *addr)
{
	for (unsigned i = 0; i < VSWITCH_MACS; i++)
		if (sw->table[i].used && !memcmp(sw->table[i].addr, addr, 6))
			return &sw->table[i];
	return NULL;
}

/* A free entry, else the one seen longest ago. */
static struct vswitch_mac *new_entry(struct vswitch *sw)
{
	struct vswitch_mac *oldest = &sw->table[0];

	for (unsigned i = 0; i < VSWITCH_MACS; i++) {
		if (!sw->table[i].used)
			return &sw->table[i];
		if (sw->table[i].seen < oldest->seen)
			oldest = &sw->table[i];
	}
	return oldest;
}

/* The source address is behind port. */
static void learn(struct vswitch *sw, const uint8_t *src, unsigned port)
{
	struct vswitch_mac *e = lookup(sw, src);

	if (src[0] & 1)
		return;   /* a group address is never a source (IEEE 802.3, 3.2.3) */
	if (!e) {
		e = new_entry(sw);
		memcpy(e->addr, src, 6);
		e->used = true;
	}
	e->port = (uint8_t)port;
	e->seen = sw->frames;
}

static bool enqueue(struct vswitch_port *p, const void *frame, size_t len)
{
	struct vswitch_frame *f;

	if (p->count == VSWITCH_QUEUE) {
		p->dropped++;
		return false;
	}
	f = &p->queue[(p->head + p->count) % VSWITCH_QUEUE];
	f->len = (uint16_t)len;
	memcpy(f->data, frame, len);
	p->count++;
	p->wake(p->ctx);
	return true;
}

unsigned vswitch_send(struct vswitch *sw, unsigned port, const void *frame, size_t len)
{
	const uint8_t *eth = frame;
	const struct vswitch_mac *dst;
	unsigned n = 0;

	if (port >= VSWITCH_PORTS)
		return 0;
	spin_lock(&sw->lock);
	if (!sw->port[port].used || len < VSWITCH_FRAME_MIN || len > VSWITCH_FRAME_MAX) {
		spin_unlock(&sw->lock);
		return 0;
	}
	sw->frames++;
	sw->port[port].sent++;
	learn(sw, eth + 6, port);
	dst = eth[0] & 1 ? NULL : lookup(sw, eth);
	if (dst) {
		/* A frame for an address behind its own port goes nowhere. */
		if (dst->port != port)
			n += enqueue(&sw->port[dst->port], frame, len);
	} else {
		for (unsigned p = 0; p < VSWITCH_PORTS; p++)
			if (p != port && sw->port[p].used)
				n += enqueue(&sw->port[p], frame, len);
	}
	spin_unlock(&sw->lock);
	return n;
}

unsigned vswitch_receive(struct vswitch *sw, unsigned port,
			 bool (*take)(void *ctx, const uint8_t *frame, size_t len), void *ctx)
{
	struct vswitch_port *p;
	unsigned n = 0;

	if (port >= VSWITCH_PORTS)
		return 0;
	spin_lock(&sw->lock);
	p = &sw->port[port];
	while (p->used && p->count) {
		const struct vswitch_frame *f = &p->queue[p->head];

		if (!take(ctx, f->data, f->len))
			break;
		p->head = (p->head + 1) % VSWITCH_QUEUE;
		p->count--;
		p->received++;
		n++;
	}
	spin_unlock(&sw->lock);
	return n;
}

bool vswitch_pending(struct vswitch *sw, unsigned port)
{
	bool pending;

	if (port >= VSWITCH_PORTS)
		return false;
	spin_lock(&sw->lock);
	pending = sw->port[port].used && sw->port[port].count;
	spin_unlock(&sw->lock);
	return pending;
}
