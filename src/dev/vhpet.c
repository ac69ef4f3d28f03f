/* Guest HPET model (hv/vhpet.h).  Register layout and bits: IA-PC HPET
 * Specification 1.0a, section 2.3; the capabilities are bare Bochs's
 * (0x009896808086a201: 10 ns period, vendor 8086h, legacy replacement,
 * 64-bit counter, three timers; each timer periodic-capable, 64-bit,
 * routable to I/O APIC inputs 0-23).
 *
 * The main counter is kept as its value at a vclock time: it advances
 * one tick per 10 ns while ENABLE_CNF is set.  Each enabled timer has a
 * target, the counter value of its next match: the comparator as
 * written, reached going forward (a comparator behind the counter
 * matches only after the counter wraps: at 2^32 in 32-bit mode, never in
 * 64-bit mode).  Periodic timers move their comparator on by the period
 * at each match. */
#include <hv/string.h>
#include <hv/vhpet.h>

/* Registers (2.3.1, table 2). */
#define R_CAP           0x000
#define R_CONFIG        0x010
#define R_ISR           0x020
#define R_COUNTER       0x0f0
#define R_TIMER0        0x100
#define TIMER_STRIDE    0x20
#define T_CONFIG        0x00
#define T_COMPARATOR    0x08
#define T_FSB           0x10

#define CAP_VALUE       (0x0098968000000000ULL | 0x8086a201ULL)
#define NS_PER_TICK     (1000000000ULL / VHPET_HZ)

#define CONF_ENABLE     BIT(0)
#define CONF_LEGACY     BIT(1)

/* Tn_CONF (2.3.8). */
#define TN_LEVEL        BIT(1)
#define TN_ENABLE       BIT(2)
#define TN_PERIODIC     BIT(3)
#define TN_PER_CAP      BIT(4)
#define TN_SIZE_CAP     BIT(5)
#define TN_VAL_SET      BIT(6)
#define TN_32BIT        BIT(8)
#define TN_ROUTE_SHIFT  9
#define TN_ROUTE_MASK   (0x1fULL << TN_ROUTE_SHIFT)
#define TN_FSB_EN       BIT(14)     /* kept, but no effect: FSB_INT_DEL_CAP is 0 */
#define TN_ROUTE_CAP    (0x00ffffffULL << 32)
#define TN_RO           (TN_PER_CAP | TN_SIZE_CAP | TN_ROUTE_CAP)
#define TN_RW           (TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_32BIT | TN_ROUTE_MASK | TN_FSB_EN)

static uint64_t now(const struct vhpet *h) { return vclock_now(&h->clock); }

static uint64_t counter_at(const struct vhpet *h, uint64_t ns)
{
	if (!(h->config & CONF_ENABLE))
		return h->counter;
	return h->counter + (ns - h->since) / NS_PER_TICK;
}

static bool is32(const struct vhpet_timer *t) { return t->config & TN_32BIT; }

/* Arm timer n from counter value c: its next match is where the counter
 * next equals the comparator going forward, unless it is halted,
 * disabled, or the match is 2^63 ticks or more away (a 64-bit comparator
 * behind the counter: only after a wrap). */
static void arm(struct vhpet *h, unsigned n, uint64_t c)
{
	struct vhpet_timer *t = &h->t[n];
	uint64_t delta;

	t->armed = false;
	if (!(h->config & CONF_ENABLE) || !(t->config & TN_ENABLE))
		return;
	delta = is32(t) ? (uint32_t)((uint32_t)t->comparator - (uint32_t)c) : t->comparator - c;
	if (delta >> 63)
		return;
	t->next = c + delta;
	t->armed = true;
}

static void arm_all(struct vhpet *h, uint64_t c)
{
	for (unsigned n = 0; n < VHPET_TIMERS; n++)
		arm(h, n, c);
}

static void route(const struct vhpet *h, unsigned n, const struct irq_sink **sink,
		  unsigned *line)
{
	if ((h->config & CONF_LEGACY) && n < 2) {
		*sink = &h->isa;
		*line = n == 0 ? 0 : 8;
		return;
	}
	*sink = &h->ioapic;
	*line = (unsigned)((h->t[n].config & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
}

static void set_line(struct vhpet *h, unsigned n, bool level)
{
	const struct irq_sink *sink;
	unsigned line;

	route(h, n, &sink, &line);
	if (line < 24)
		irq_set(sink, line, level);
}

/* A match: an edge, or the level line and its status bit (2.3.6, 2.3.9). */
static void fire(struct vhpet *h, unsigned n)
{
	struct vhpet_timer *t = &h->t[n];

	if (!(t->config & TN_LEVEL)) {
		set_line(h, n, true);
		set_line(h, n, false);
		return;
	}
	h->isr |= BIT(n);
	if (!t->asserted) {
		t->asserted = true;
		set_line(h, n, true);
	}
}

static void deassert(struct vhpet *h, unsigned n)
{
	if (!h->t[n].asserted)
		return;
	h->t[n].asserted = false;
	set_line(h, n, false);
}

void vhpet_init(struct vhpet *h, const struct vclock *clock, const struct irq_sink *isa,
		const struct irq_sink *ioapic)
{
	memset(h, 0, sizeof(*h));
	h->clock = *clock;
	h->isa = *isa;
	h->ioapic = *ioapic;
	for (unsigned n = 0; n < VHPET_TIMERS; n++)
		h->t[n].comparator = ~0ULL;
}

/* ---- registers ------------------------------------------------------------ */

static uint64_t read64(struct vhpet *h, uint64_t off)
{
	unsigned n;

	switch (off) {
	case R_CAP: return CAP_VALUE;
	case R_CONFIG: return h->config;
	case R_ISR: return h->isr;
	case R_COUNTER: return counter_at(h, now(h));
	}
	if (off < R_TIMER0 || off >= R_TIMER0 + VHPET_TIMERS * TIMER_STRIDE)
		return 0;
	n = (unsigned)((off - R_TIMER0) / TIMER_STRIDE);
	switch ((off - R_TIMER0) % TIMER_STRIDE) {
	case T_CONFIG:
		return h->t[n].config | TN_RO;
	case T_COMPARATOR:
		return is32(&h->t[n]) ? (uint32_t)h->t[n].comparator : h->t[n].comparator;
	}
	return 0;   /* FSB route: no FSB delivery */
}

static void write_config(struct vhpet *h, uint64_t val)
{
	uint64_t ns = now(h), c = counter_at(h, ns);
	bool legacy_changed = (h->config ^ val) & CONF_LEGACY;

	/* The lines move with the routing: drop them on the old one. */
	if (legacy_changed)
		for (unsigned n = 0; n < 2; n++)
			deassert(h, n);
	h->counter = c;
	h->since = ns;
	h->config = val & (CONF_ENABLE | CONF_LEGACY);
	arm_all(h, c);
}

static void write_timer_config(struct vhpet *h, unsigned n, uint64_t val)
{
	struct vhpet_timer *t = &h->t[n];
	uint64_t old = t->config;

	if (((old ^ val) & (TN_ROUTE_MASK | TN_LEVEL)) || !(val & TN_ENABLE))
		deassert(h, n);
	t->config = (val & TN_RW) | (val & TN_VAL_SET);
	/* 32-bit mode keeps the low half of the comparator (2.3.9.2.4). */
	if (is32(t))
		t->comparator = (uint32_t)t->comparator;
	if (!(old & TN_LEVEL) || !(t->config & TN_LEVEL))
		h->isr &= ~BIT(n);
}

/* A write to the comparator sets it, and in periodic mode the period
 * too; with VAL_SET in periodic mode it sets only the comparator
 * (2.3.9.2.2 and QEMU's and Bochs's models). */
static void write_comparator(struct vhpet *h, unsigned n, uint64_t val)
{
	struct vhpet_timer *t = &h->t[n];

	if (is32(t))
		val = (uint32_t)val;
	if (!(t->config & TN_PERIODIC) || (t->config & TN_VAL_SET))
		t->comparator = val;
	if (t->config & TN_PERIODIC)
		t->period = val;
	t->config &= ~TN_VAL_SET;
}

static void write64(struct vhpet *h, uint64_t off, uint64_t val, uint64_t mask)
{
	uint64_t merged = (read64(h, off) & ~mask) | (val & mask);
	unsigned n;

	switch (off) {
	case R_CONFIG:
		write_config(h, merged);
		return;
	case R_ISR:
		/* Write 1 to clear a level-triggered timer's status (2.3.6). */
		for (n = 0; n < VHPET_TIMERS; n++)
			if (val & mask & h->isr & BIT(n)) {
				h->isr &= ~BIT(n);
				deassert(h, n);
			}
		return;
	case R_COUNTER:
		h->counter = merged;
		h->since = now(h);
		arm_all(h, merged);
		return;
	}
	if (off < R_TIMER0 || off >= R_TIMER0 + VHPET_TIMERS * TIMER_STRIDE)
		return;
	n = (unsigned)((off - R_TIMER0) / TIMER_STRIDE);
	switch ((off - R_TIMER0) % TIMER_STRIDE) {
	case T_CONFIG:
		write_timer_config(h, n, merged);
		break;
	case T_COMPARATOR:
		/* A half written in 32-bit accesses: the other half as it is. */
		write_comparator(h, n, (h->t[n].comparator & ~mask) | (val & mask));
		break;
	default:
		return;
	}
	arm(h, n, counter_at(h, now(h)));
}

/* 4- and 8-byte accesses, naturally aligned (2.3.1: "32-bit or 64-bit");
 * other ones read all ones and write nothing. */
static bool access_ok(uint64_t off, unsigned size)
{
	return (size == 4 || size == 8) && off % size == 0 && off + size <= VHPET_SIZE;
}

int vhpet_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	struct vhpet *h = dev;
	uint64_t off = addr - VHPET_BASE;

	if (!access_ok(off, size)) {
		*val = ~0ULL;
		return 0;
	}
	*val = read64(h, off & ~7ULL) >> (8 * (off & 7));
	if (size == 4)
		*val = (uint32_t)*val;
	return 0;
}

int vhpet_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct vhpet *h = dev;
	uint64_t off = addr - VHPET_BASE;
	unsigned shift = (unsigned)(8 * (off & 7));

	if (!access_ok(off, size))
		return 0;
	if (size == 8)
		write64(h, off, val, ~0ULL);
	else
		write64(h, off & ~7ULL, (uint64_t)(uint32_t)val << shift, 0xffffffffULL << shift);
	return 0;
}

int vhpet_attach(struct vhpet *h, struct io_bus *mmio)
{
	return io_register(mmio, VHPET_BASE, VHPET_SIZE, "hpet", vhpet_read, vhpet_write, h);
}

/* ---- time ------------------------------------------------------------------- */

/* Whether any timer waits for a match: the platform asks on every timer
 * plan, and an HPET the guest does not use should cost it no clock read. */
static bool any_armed(const struct vhpet *h)
{
	for (unsigned n = 0; n < VHPET_TIMERS; n++)
		if (h->t[n].armed)
			return true;
	return false;
}

uint64_t vhpet_next_event_ns(struct vhpet *h)
{
	uint64_t ns, c, best = VHPET_NO_EVENT;

	if (!any_armed(h))
		return VHPET_NO_EVENT;
	ns = now(h);
	c = counter_at(h, ns);

	for (unsigned n = 0; n < VHPET_TIMERS; n++) {
		const struct vhpet_timer *t = &h->t[n];
		uint64_t ahead, at;

		if (!t->armed)
			continue;
		ahead = t->next - c;
		if ((int64_t)ahead <= 0)
			return ns;
		at = ahead > (UINT64_MAX - ns) / NS_PER_TICK ? VHPET_NO_EVENT : ns + ahead * NS_PER_TICK;
		if (at < best)
			best = at;
	}
	return best;
}

/* After a match a periodic timer's comparator moves on by its period,
 * past the counter (matches missed are merged into the one interrupt);
 * a one-shot timer in 32-bit mode matches again after the counter's low
 * half wraps, in 64-bit mode never (2.3.9.2.1). */
static void after_match(struct vhpet *h, unsigned n, uint64_t c)
{
	struct vhpet_timer *t = &h->t[n];
	uint64_t k;

	if ((t->config & TN_PERIODIC) && t->period) {
		k = (c - t->next) / t->period + 1;
		t->comparator += k * t->period;
		if (is32(t))
			t->comparator = (uint32_t)t->comparator;
		t->next += k * t->period;
		/* A period of 2^63 ticks or more: the next match is after a
		 * wrap of the 64-bit counter, as good as never. */
		if ((int64_t)(t->next - c) <= 0)
			t->armed = false;
	} else if (is32(t)) {
		t->next += (((c - t->next) >> 32) + 1) << 32;
	} else {
		t->armed = false;
	}
}

void vhpet_tick(struct vhpet *h)
{
	uint64_t c;

	if (!any_armed(h))
		return;
	c = counter_at(h, now(h));

	for (unsigned n = 0; n < VHPET_TIMERS; n++) {
		struct vhpet_timer *t = &h->t[n];

		if (!t->armed || (int64_t)(c - t->next) < 0)
			continue;
		fire(h, n);
		after_match(h, n, c);
	}
}
