/* 8254 PIT model.  Section names are from the Intel 8254 datasheet (order
 * no. 231164).  Nothing ticks: a counter is the tick count elapsed since
 * it started, computed from the vclock when read.  Simplifications:
 * counting is binary even when the BCD bit is set (the bit is kept for the
 * status byte), a count is taken into the counting element at once (not
 * on the next CLK), and a new count written in modes 2 and 3 restarts the
 * period instead of waiting for the current one to end. */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vmstate.h>
#include <hv/vpit.h>

#define NS_PER_SEC 1000000000ull

/* Control word ("Control Word Format"). */
#define CW_SC_SHIFT   6
#define CW_RW_SHIFT   4
#define CW_MODE_SHIFT 1
#define CW_BCD        0x01
#define SC_READBACK   3
enum { RW_LATCH = 0, RW_LSB = 1, RW_MSB = 2, RW_LSB_MSB = 3 };

/* Read-back command: COUNT and STATUS are active low. */
#define RB_NO_COUNT   0x20
#define RB_NO_STATUS  0x10
#define STATUS_OUT    0x80
#define STATUS_NULL   0x40

/* Port 0x61: bits 0-3 read back as written; bit 4 toggles with each DRAM
 * refresh request (every 15.085 us on PCs), bit 5 is OUT2. */
#define PORTB_GATE2    0x01
#define PORTB_RW_MASK  0x0f
#define PORTB_REFRESH  0x10
#define PORTB_OUT2     0x20
#define REFRESH_NS     15085

#define NO_TICK UINT64_MAX

/* floor(ns * HZ / 1e9) in 64 bits: whole seconds and the remainder
 * separately (r * HZ < 1.2e15), so no 128-bit division is needed. */
static uint64_t ns_to_ticks(uint64_t ns)
{
	return ns / NS_PER_SEC * VPIT_HZ + ns % NS_PER_SEC * VPIT_HZ / NS_PER_SEC;
}

/* The first ns at which ns_to_ticks() reaches t: ceil(t * 1e9 / HZ). */
static uint64_t ticks_to_ns(uint64_t t)
{
	return t / VPIT_HZ * NS_PER_SEC + (t % VPIT_HZ * NS_PER_SEC + VPIT_HZ - 1) / VPIT_HZ;
}

static uint64_t now(const struct vpit *pit) { return vclock_now(&pit->clock); }

static unsigned rw_mode(const struct vpit_channel *c)
{
	return (c->ctrl >> CW_RW_SHIFT) & 3;
}

/* Ticks counted since the count was loaded (or the gate triggered). */
static uint64_t elapsed(const struct vpit_channel *c, uint64_t t)
{
	if (!c->running || t < c->run_since)
		return c->tick_base;
	return c->tick_base + ns_to_ticks(t - c->run_since);
}

/* OUT after d ticks, per mode ("Mode Definitions").  Before a count is
 * written OUT is low in mode 0 and high in the others; a low gate holds
 * modes 2 and 3 at d = 0, where OUT is high. */
static bool output(const struct vpit_channel *c, uint64_t d)
{
	uint32_t n = c->count;

	if (!c->loaded)
		return c->mode != 0;
	switch (c->mode) {
	case 0: return d >= n;                       /* high at terminal count */
	case 1: return !c->triggered || d >= n;      /* low for N after trigger */
	case 2: return n == 1 || d % n != n - 1;     /* low while the count is 1 */
	case 3: return d % n < (n + 1) / 2;          /* high for ceil(N/2) */
	case 4: return d != n;                       /* low for one CLK at 0 */
	default: return !c->triggered || d != n;     /* mode 5 */
	}
}

/* The counting element after d ticks: modes 2 and 3 reload at the end of
 * each period, mode 3 counting down by two; the others wrap past zero. */
static uint16_t counter(const struct vpit_channel *c, uint64_t d)
{
	uint32_t n = c->count;

	if (!c->loaded)
		return (uint16_t)n;
	switch (c->mode) {
	case 2: return (uint16_t)(n - d % n);
	case 3: return (uint16_t)(n - (2 * d) % n);
	default: return (uint16_t)(n - d);
	}
}

/* The first tick after `after` at which OUT rises, or NO_TICK: at each
 * period's end in modes 2 and 3, at terminal count in modes 0 and 1, one
 * CLK after it in modes 4 and 5 (the strobe's end). */
static uint64_t next_rise(const struct vpit_channel *c, uint64_t after)
{
	uint64_t n = c->count, t;

	if (!c->loaded || !c->running)
		return NO_TICK;
	switch (c->mode) {
	case 2:
	case 3:
		return n == 1 ? NO_TICK : (after / n + 1) * n;
	case 0: t = n; break;
	case 4: t = n + 1; break;
	default: /* 1, 5: running only once triggered */
		t = c->mode == 1 ? n : n + 1;
		break;
	}
	return t > after ? t : NO_TICK;
}

static void start(struct vpit_channel *c, uint64_t t)
{
	c->tick_base = 0;
	c->delivered = 0;
	c->run_since = t;
	c->running = true;
}

/* A full count is written ("Write Operations").  Modes 1 and 5 wait for a
 * gate trigger; the others count while the gate is high. */
static void load(struct vpit_channel *c, uint32_t value, uint64_t t)
{
	c->count = value ? value : 0x10000;
	c->loaded = true;
	c->triggered = false;
	start(c, t);
	if (c->mode == 1 || c->mode == 5) {
		c->running = false;
		return;
	}
	c->null_count = false;
	c->running = c->gate;
}

/* "Gate": modes 0 and 4 pause while it is low; modes 2 and 3 stop with
 * OUT high and reload on its rising edge; in modes 1 and 5 a rising edge
 * (re)triggers the count and its level does not matter. */
static void set_gate(struct vpit_channel *c, bool gate, uint64_t t)
{
	bool rising = gate && !c->gate;

	if (gate == c->gate)
		return;
	if (!gate && (c->mode == 0 || c->mode == 4)) {
		c->tick_base = elapsed(c, t);
		c->running = false;
	} else if (!gate && (c->mode == 2 || c->mode == 3)) {
		c->running = false;
		c->tick_base = 0;
	}
	c->gate = gate;
	if (!rising || !c->loaded)
		return;
	if (c->mode == 0 || c->mode == 4) {
		c->run_since = t;
		c->running = true;
	} else {
		start(c, t);
		c->triggered = true;
		c->null_count = false;
	}
}

void vpit_init(struct vpit *pit, const struct vclock *clock, const struct irq_sink *irq)
{
	memset(pit, 0, sizeof(*pit));
	pit->clock = *clock;
	if (irq)
		pit->irq = *irq;
	for (unsigned i = 0; i < 3; i++) {
		pit->ch[i].ctrl = RW_LSB_MSB << CW_RW_SHIFT;
		pit->ch[i].gate = i != 2;
		pit->ch[i].count = 0x10000;
	}
}

uint64_t vpit_next_event_ns(struct vpit *pit)
{
	const struct vpit_channel *c = &pit->ch[0];
	uint64_t tick = next_rise(c, c->delivered);

	if (tick == NO_TICK)
		return VPIT_NO_EVENT;
	if (tick <= c->tick_base)
		return c->run_since;
	return c->run_since + ticks_to_ns(tick - c->tick_base);
}

void vpit_tick(struct vpit *pit)
{
	struct vpit_channel *c = &pit->ch[0];
	uint64_t d = elapsed(c, now(pit));
	uint64_t tick = next_rise(c, c->delivered);

	if (tick == NO_TICK || tick > d)
		return;
	/* Periods that ended after the first one that has come are merged
	 * into its pulse. */
	if (c->mode == 2 || c->mode == 3)
		pit->irq_coalesced += d / c->count - tick / c->count;
	c->delivered = d;
	irq_pulse(&pit->irq, VPIT_IRQ);
}

/* "Counter Latch Command": a second latch before the first is read is
 * ignored. */
static void latch_count(struct vpit_channel *c, uint64_t t)
{
	uint16_t v = counter(c, elapsed(c, t));

	if (c->latched_left)
		return;
	switch (rw_mode(c)) {
	case RW_LSB: c->latched[0] = (uint8_t)v; c->latched_left = 1; break;
	case RW_MSB: c->latched[0] = (uint8_t)(v >> 8); c->latched_left = 1; break;
	default:
		c->latched[0] = (uint8_t)v;
		c->latched[1] = (uint8_t)(v >> 8);
		c->latched_left = 2;
		break;
	}
}

/* "Read-Back Command", status byte: OUT, null count, then the control
 * word bits exactly as written. */
static void latch_status(struct vpit_channel *c, uint64_t t)
{
	if (c->status_latched)
		return;
	c->status = (uint8_t)((output(c, elapsed(c, t)) ? STATUS_OUT : 0) |
			      (c->null_count ? STATUS_NULL : 0) | c->ctrl);
	c->status_latched = true;
}

static void read_back(struct vpit *pit, uint8_t v, uint64_t t)
{
	for (unsigned i = 0; i < 3; i++) {
		if (!(v & (2u << i)))
			continue;
		if (!(v & RB_NO_STATUS))
			latch_status(&pit->ch[i], t);
		if (!(v & RB_NO_COUNT))
			latch_count(&pit->ch[i], t);
	}
}

/* A control word resets the counter's logic: OUT goes to its initial
 * level and nothing counts until a new count is written. */
static void write_control(struct vpit *pit, uint8_t v, uint64_t t)
{
	unsigned sc = v >> CW_SC_SHIFT;
	struct vpit_channel *c;
	unsigned mode = (v >> CW_MODE_SHIFT) & 7;

	if (sc == SC_READBACK) {
		read_back(pit, v, t);
		return;
	}
	c = &pit->ch[sc];
	if (((v >> CW_RW_SHIFT) & 3) == RW_LATCH) {
		latch_count(c, t);
		return;
	}
	c->ctrl = v & 0x3f;
	c->mode = (uint8_t)(mode > 5 ? mode - 4 : mode);
	c->loaded = c->running = c->triggered = false;
	c->null_count = true;
	c->write_msb_next = c->read_msb_next = false;
	c->latched_left = 0;
	c->status_latched = false;
	c->tick_base = c->delivered = 0;
}

static void write_counter(struct vpit_channel *c, uint8_t v, uint64_t t)
{
	switch (rw_mode(c)) {
	case RW_LSB: load(c, v, t); return;
	case RW_MSB: load(c, (uint32_t)v << 8, t); return;
	default: break;
	}
	if (!c->write_msb_next) {
		c->write_lsb = v;
		c->write_msb_next = true;
		/* Mode 0: the first byte stops the count, OUT goes low. */
		if (c->mode == 0)
			c->loaded = c->running = false;
		return;
	}
	c->write_msb_next = false;
	load(c, c->write_lsb | (uint32_t)v << 8, t);
}

/* Read order: a latched status, then a latched count, then the live
 * counter (two-byte reads alternate LSB and MSB). */
static uint8_t read_counter(struct vpit_channel *c, uint64_t t)
{
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->latched_left) {
		uint8_t b = c->latched[0];

		c->latched[0] = c->latched[1];
		c->latched_left--;
		return b;
	}
	v = counter(c, elapsed(c, t));
	switch (rw_mode(c)) {
	case RW_LSB: return (uint8_t)v;
	case RW_MSB: return (uint8_t)(v >> 8);
	default: break;
	}
	c->read_msb_next = !c->read_msb_next;
	return c->read_msb_next ? (uint8_t)v : (uint8_t)(v >> 8);
}

static uint8_t read_port_b(struct vpit *pit, uint64_t t)
{
	const struct vpit_channel *c2 = &pit->ch[2];
	uint8_t v = pit->port_b & PORTB_RW_MASK;

	if ((t / REFRESH_NS) & 1)
		v |= PORTB_REFRESH;
	if (output(c2, elapsed(c2, t)))
		v |= PORTB_OUT2;
	return v;
}

/* One port access: each of its bytes sees the time it began. */
struct access {
	struct vpit *pit;
	uint64_t t;
};

static uint8_t read_port(void *ctx, uint16_t port)
{
	const struct access *a = ctx;

	if (port == VPIT_PORT_B)
		return read_port_b(a->pit, a->t);
	if (port == VPIT_BASE + 3)
		return 0xff;  /* the control word register cannot be read */
	return read_counter(&a->pit->ch[port - VPIT_BASE], a->t);
}

static void write_port(void *ctx, uint16_t port, uint8_t v)
{
	const struct access *a = ctx;
	struct vpit *pit = a->pit;

	if (port == VPIT_PORT_B) {
		pit->port_b = v & PORTB_RW_MASK;
		set_gate(&pit->ch[2], v & PORTB_GATE2, a->t);
	} else if (port == VPIT_BASE + 3) {
		write_control(pit, v, a->t);
	} else {
		write_counter(&pit->ch[port - VPIT_BASE], v, a->t);
	}
}

/* Wider accesses touch consecutive ports, as on an 8-bit bus. */
int vpit_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	struct access a = { dev, now(dev) };

	io_split_read(&a, port, size, val, read_port);
	return 0;
}

int vpit_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct access a = { dev, now(dev) };

	/* An edge already due must not be lost to a reprogramming. */
	vpit_tick(dev);
	io_split_write(&a, port, size, val, write_port);
	return 0;
}

int vpit_attach(struct vpit *pit, struct io_bus *pio)
{
	int rc = io_register(pio, VPIT_BASE, 4, "pit", vpit_read, vpit_write, pit);

	if (rc)
		return rc;
	return io_register(pio, VPIT_PORT_B, 1, "pit-port-b", vpit_read, vpit_write, pit);
}

/* ---- the state stream (hv/vmstate.h) ---- */

/* A channel's flags, in the order of their bits in its section. */
#define CHANNEL_FLAGS(c) { &(c)->gate, &(c)->loaded, &(c)->running, &(c)->triggered, \
			   &(c)->null_count, &(c)->write_msb_next, &(c)->read_msb_next, \
			   &(c)->status_latched }

/* A counter goes as the ticks it has counted at the saving instant and
 * counts on from the loading one (the fraction of a tick between is
 * lost): the vclocks of two machines, or of one VM before and after a
 * snapshot, share no origin. */
void vpit_save(const struct vpit *pit, struct vms_out *o)
{
	uint64_t t = now(pit);

	vms_begin(o, VMS_PIT, 0);
	for (unsigned i = 0; i < 3; i++) {
		const struct vpit_channel *c = &pit->ch[i];

		const bool *const flags[] = CHANNEL_FLAGS(c);
		const uint8_t r[8] = { c->ctrl, c->mode, vms_pack_flags(flags, 8), c->write_lsb,
				       c->latched[0], c->latched[1], c->latched_left, c->status };

		vms_put_bytes(o, r, sizeof(r));
		vms_put_u32(o, c->count);
		vms_put_u64(o, elapsed(c, t));
		vms_put_u64(o, c->delivered);
	}
	vms_put_u8(o, pit->port_b);
	vms_put_u64(o, pit->irq_coalesced);
	vms_end(o);
}

static bool load_channel(struct vpit_channel *c, struct vms_section *s, uint64_t t)
{
	bool *const flags[] = CHANNEL_FLAGS(c);
	uint8_t r[8];

	vms_get_bytes(s, r, sizeof(r));
	c->ctrl = r[0];
	c->mode = r[1];
	vms_unpack_flags(r[2], flags, 8);
	c->write_lsb = r[3];
	c->latched[0] = r[4];
	c->latched[1] = r[5];
	c->latched_left = r[6];
	c->status = r[7];
	c->count = vms_get_u32(s);
	c->tick_base = vms_get_u64(s);
	c->delivered = vms_get_u64(s);
	c->run_since = t;
	/* What vpit_write could have made, nothing else: the control word's
	 * six bits, modes 0-5, a count of 1-65536 (0 before any is written),
	 * at most two latched bytes. */
	return c->ctrl <= 0x3f && c->mode <= 5 && c->count <= 0x10000 &&
	       (c->count || !c->loaded) && c->latched_left <= 2;
}

int vpit_load(struct vpit *pit, struct vms_section *s)
{
	struct vpit_channel ch[3];
	uint64_t t = now(pit);
	bool ok = true;
	uint8_t port_b;
	uint64_t coalesced;

	memset(ch, 0, sizeof(ch));
	for (unsigned i = 0; i < 3; i++)
		ok = load_channel(&ch[i], s, t) && ok;
	port_b = vms_get_u8(s);
	coalesced = vms_get_u64(s);
	if (!ok || port_b & ~PORTB_RW_MASK || vms_section_done(s))
		return HV_EINVAL;
	memcpy(pit->ch, ch, sizeof(ch));
	pit->port_b = port_b;
	pit->irq_coalesced = coalesced;
	return 0;
}
