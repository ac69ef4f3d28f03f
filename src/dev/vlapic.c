/* Guest local APIC model.  Section numbers are Intel SDM Vol. 3A chapter
 * 11.  Registers live in reg[], indexed by xAPIC offset / 16, which is
 * also the x2APIC MSR number - 0x800 (11.12.1.2); one table says who may
 * read and write each register in which mode, and which hook computes or
 * acts on it.  There is a single vCPU: "delivered" means set in this IRR. */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vlapic.h>
#include <hv/vmstate.h>

#define NSEC_PER_SEC 1000000000ULL

/* Register index = xAPIC offset >> 4 (Table 11-1, Table 11-6). */
enum {
	R_ID = 0x02,
	R_VER = 0x03,
	R_TPR = 0x08,
	R_APR = 0x09,
	R_PPR = 0x0a,
	R_EOI = 0x0b,
	R_RRD = 0x0c,
	R_LDR = 0x0d,
	R_DFR = 0x0e,
	R_SVR = 0x0f,
	R_ISR = 0x10,    /* 8 registers each: vectors 32n..32n+31 */
	R_TMR = 0x18,
	R_IRR = 0x20,
	R_ESR = 0x28,
	R_ICR = 0x30,
	R_ICR2 = 0x31,
	R_LVTT = 0x32,
	R_THERM = 0x33,
	R_PERF = 0x34,
	R_LINT0 = 0x35,
	R_LINT1 = 0x36,
	R_LVTERR = 0x37,
	R_TMICT = 0x38,
	R_TMCCT = 0x39,
	R_TDCR = 0x3e,
	R_SELF_IPI = 0x3f,
};

/* IA32_APIC_BASE (11.4.4, Figure 11-26) */
#define BASE_BSP        BIT(8)
#define BASE_EXTD       BIT(10)
#define BASE_EN         BIT(11)
#define BASE_MODE       (BASE_EN | BASE_EXTD)
#define BASE_ADDR_MASK  (~0xfffULL)

/* Version register (11.4.8): an integrated xAPIC, LVT entries 0-5 (no
 * CMCI: machine checks are hidden, CPUID.1:EDX.MCA = 0), no
 * EOI-broadcast suppression (bit 24 = 0). */
#define APIC_VERSION    (0x14u | 5u << 16)

#define SVR_ENABLE      BIT(8)
#define SVR_WMASK       0x3ffu       /* vector, enable, focus checking (11.9) */

/* LVT entries (11.5.1, Figure 11-8) */
#define LVT_VECTOR      0xffu
#define LVT_DM          (7u << 8)
#define LVT_DM_EXTINT   (7u << 8)
#define LVT_STATUS      BIT(12)      /* read-only; never set here */
#define LVT_POLARITY    BIT(13)
#define LVT_REMOTE_IRR  BIT(14)      /* read-only; never set here */
#define LVT_LEVEL       BIT(15)
#define LVT_MASKED      BIT(16)
#define LVT_TIMER_MODE  (3u << 17)
#define TIMER_PERIODIC  (1u << 17)
#define TIMER_DEADLINE  (2u << 17)   /* TSC-deadline (11.5.4.1) */

#define LVTT_WMASK      (LVT_VECTOR | LVT_MASKED | LVT_TIMER_MODE)
#define LVT_DM_WMASK    (LVT_VECTOR | LVT_DM | LVT_MASKED)
#define LINT_WMASK      (LVT_DM_WMASK | LVT_POLARITY | LVT_LEVEL)
#define LVTERR_WMASK    (LVT_VECTOR | LVT_MASKED)

/* ICR (11.6.1, Figure 11-12; x2APIC 11.12.9) */
#define ICR_VECTOR      0xffu
#define ICR_DM(lo)      ((lo) >> 8 & 7)
#define ICR_LOGICAL     BIT(11)
#define ICR_SHORTHAND(lo) ((lo) >> 18 & 3)
#define ICR_WMASK       0x000ccfffu  /* vector, mode, dest mode, level, trigger, shorthand */
enum { DM_FIXED = 0, DM_LOWEST = 1 };
enum { SH_NONE, SH_SELF, SH_ALL, SH_OTHERS };

/* ESR (11.5.3, Figure 11-9) */
#define ESR_SEND_ILLEGAL_VECTOR BIT(5)
#define ESR_RECV_ILLEGAL_VECTOR BIT(6)
#define ESR_ILLEGAL_REGISTER    BIT(7)

#define DFR_RESERVED    0x0fffffffu  /* bits 27:0 read as ones (11.6.2.2) */
#define DFR_FLAT        0xfu

/* --- small helpers ----------------------------------------------------- */

static bool hw_enabled(const struct vlapic *v) { return v->apic_base & BASE_EN; }
static bool sw_enabled(const struct vlapic *v) { return v->reg[R_SVR] & SVR_ENABLE; }
static bool xapic_mode(const struct vlapic *v) { return (v->apic_base & BASE_MODE) == BASE_EN; }
static uint64_t now(const struct vlapic *v) { return vclock_now(&v->cfg.clock); }

bool vlapic_x2apic(const struct vlapic *v) { return (v->apic_base & BASE_MODE) == BASE_MODE; }
bool vlapic_enabled(const struct vlapic *v) { return hw_enabled(v) && sw_enabled(v); }

/* 256-bit vector sets: ISR, TMR and IRR are 8 consecutive registers. */
static bool vec_test(const uint32_t *set, unsigned vec) { return set[vec / 32] >> (vec % 32) & 1; }
static void vec_set(uint32_t *set, unsigned vec) { set[vec / 32] |= 1u << (vec % 32); }
static void vec_clear(uint32_t *set, unsigned vec) { set[vec / 32] &= ~(1u << (vec % 32)); }

static int vec_highest(const uint32_t *set)
{
	for (int i = 7; i >= 0; i--)
		if (set[i])
			return i * 32 + 31 - __builtin_clz(set[i]);
	return -1;
}

static uint32_t self_id(const struct vlapic *v)
{
	return vlapic_x2apic(v) ? v->cfg.apic_id : v->cfg.apic_id & 0xff;
}

/* Logical x2APIC ID (11.12.10.2): cluster ID[19:4], one bit of ID[3:0]. */
static uint32_t x2apic_ldr(const struct vlapic *v)
{
	uint32_t id = v->cfg.apic_id;

	return (id >> 4 & 0xffff) << 16 | 1u << (id & 0xf);
}

/* PPR (11.8.3.1): TPR if its class is at least that of the highest
 * in-service vector, else that class. */
static uint32_t ppr(const struct vlapic *v)
{
	uint32_t tpr = v->reg[R_TPR];
	int isrv = vec_highest(&v->reg[R_ISR]);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/* a * b / c, exact while b * c < 2^64 (r * b < c * b), saturating. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c, bool round_up)
{
	uint64_t part = a % c * b, hi, res;

	if (__builtin_mul_overflow(a / c, b, &hi))
		return UINT64_MAX;
	if (__builtin_add_overflow(hi, part / c + (round_up && part % c), &res))
		return UINT64_MAX;
	return res;
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

/* --- acceptance, errors, EOI (11.8) ------------------------------------ */

static void set_irr(struct vlapic *v, unsigned vec, bool level)
{
	vec_set(&v->reg[R_IRR], vec);
	if (level)
		vec_set(&v->reg[R_TMR], vec);
	else
		vec_clear(&v->reg[R_TMR], vec);
}

/* 11.5.3: log an error for the next ESR write; the LVT error entry
 * signals it.  An illegal error vector is logged, not signalled again. */
static void raise_error(struct vlapic *v, uint32_t err)
{
	uint32_t lvt = v->reg[R_LVTERR];

	v->esr_pending |= err;
	if (lvt & LVT_MASKED)
		return;
	if ((lvt & LVT_VECTOR) < 16) {
		v->esr_pending |= ESR_RECV_ILLEGAL_VECTOR;
		return;
	}
	set_irr(v, lvt & LVT_VECTOR, false);
}

/* 11.8.4; vectors 0-15 are illegal (11.5.2).  A software-disabled APIC
 * takes only NMI, SMI, INIT and SIPI (11.4.7.2), none of which come here. */
static void accept(struct vlapic *v, unsigned vec, bool level)
{
	if (!vlapic_enabled(v))
		return;
	if (vec < 16) {
		raise_error(v, ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	set_irr(v, vec, level);
}

void vlapic_accept_irq(struct vlapic *v, uint8_t vector, bool level)
{
	accept(v, vector, level);
}

int vlapic_pending_vector(const struct vlapic *v)
{
	int vec = vec_highest(&v->reg[R_IRR]);

	if (!hw_enabled(v) || vec < 0)
		return -1;
	/* 11.8.3.1: only a higher priority class than PPR's interrupts. */
	if (((uint32_t)vec & 0xf0) <= (ppr(v) & 0xf0))
		return -1;
	return vec;
}

void vlapic_ack(struct vlapic *v, uint8_t vector)
{
	if (!vec_test(&v->reg[R_IRR], vector))
		return;
	vec_clear(&v->reg[R_IRR], vector);
	vec_set(&v->reg[R_ISR], vector);
}

/* 11.8.5: EOI retires the highest in-service vector; a level-triggered
 * one (TMR set) is broadcast to the I/O APICs. */
static void eoi(struct vlapic *v)
{
	int vec = vec_highest(&v->reg[R_ISR]);

	if (vec < 0)
		return;
	vec_clear(&v->reg[R_ISR], (unsigned)vec);
	if (vec_test(&v->reg[R_TMR], (unsigned)vec) && v->cfg.eoi_level)
		v->cfg.eoi_level(v->cfg.eoi_ctx, (uint8_t)vec);
}

/* --- timer (11.5.4) ----------------------------------------------------- */

static uint32_t timer_mode(const struct vlapic *v) { return v->reg[R_LVTT] & LVT_TIMER_MODE; }

/* Divide configuration (Figure 11-10): bits 3,1:0 = n give divide 2^(n+1),
 * 111b divide 1. */
static unsigned div_shift(uint32_t tdcr)
{
	unsigned n = (tdcr & 3) | (tdcr >> 1 & 4);

	return (n + 1) & 7;
}

/* Length of the initial count at the divide in force, rounded up so that
 * the count has reached 0 at the deadline. */
static uint64_t count_ns(const struct vlapic *v)
{
	uint64_t ns = muldiv((uint64_t)v->reg[R_TMICT] << v->timer_shift, NSEC_PER_SEC,
			     v->cfg.timer_hz, true);

	if (timer_mode(v) == TIMER_PERIODIC)
		return MAX(ns, VLAPIC_MIN_PERIOD_NS);
	return ns;
}

/* Current count: the timer ticks left before the deadline, rounded up. */
static uint32_t remaining_count(const struct vlapic *v, uint64_t ns)
{
	uint64_t ticks = muldiv(ns, v->cfg.timer_hz, NSEC_PER_SEC, true);
	uint64_t mask = (1ULL << v->timer_shift) - 1;
	uint64_t count = (ticks >> v->timer_shift) + ((ticks & mask) != 0);

	return (uint32_t)MIN(count, (uint64_t)v->reg[R_TMICT]);
}

static void timer_disarm(struct vlapic *v)
{
	v->timer_deadline = VLAPIC_NO_TIMER;
	v->tsc_deadline = 0;
}

/* The count is copied in and counts down from now (11.5.4). */
static void timer_start(struct vlapic *v, uint64_t t)
{
	v->timer_shift = div_shift(v->reg[R_TDCR]);
	v->timer_deadline = sat_add(t, count_ns(v));
}

/* Periodic reload, picking up a new divide; missed periods are skipped. */
static void timer_reload(struct vlapic *v, uint64_t t)
{
	uint64_t period, periods, step;

	v->timer_shift = div_shift(v->reg[R_TDCR]);
	period = count_ns(v);
	periods = (t - v->timer_deadline) / period + 1;
	if (__builtin_mul_overflow(periods, period, &step))
		step = UINT64_MAX;
	v->timer_deadline = sat_add(v->timer_deadline, step);
}

/* Bring the timer up to time t: an expiry that has passed fires now (the
 * LVT entry as it is decides whether it interrupts).  Everything that
 * reads or changes timer state calls this first, so that an expiry the
 * hypervisor has not ticked yet still happens before the change. */
static void timer_update(struct vlapic *v, uint64_t t)
{
	uint32_t lvt = v->reg[R_LVTT];

	if (v->timer_deadline == VLAPIC_NO_TIMER || t < v->timer_deadline)
		return;
	if (timer_mode(v) == TIMER_PERIODIC)
		timer_reload(v, t);
	else
		timer_disarm(v);   /* one-shot; TSC-deadline clears the MSR */
	if (!(lvt & LVT_MASKED))
		accept(v, lvt & LVT_VECTOR, false);
}

void vlapic_timer_tick(struct vlapic *v) { timer_update(v, now(v)); }

uint64_t vlapic_timer_next_ns(const struct vlapic *v)
{
	if (v->reg[R_LVTT] & LVT_MASKED)
		return VLAPIC_NO_TIMER;
	return v->timer_deadline;
}

/* TSC-deadline mode (11.5.4.1). */
/* The first vclock ns at which the guest's TSC has reached tsc (0 if it
 * has from the start). */
static uint64_t tsc_to_deadline(const struct vlapic *v, uint64_t tsc)
{
	uint64_t base = v->cfg.tsc_base;

	/* A TSC_ADJUST below 0 puts the base in the upper half, "before" 0:
	 * there only a deadline also up there and not above it has passed. */
	if (tsc <= base && ((int64_t)base >= 0 || (int64_t)tsc < 0))
		return 0;
	return muldiv(tsc - v->cfg.tsc_base, NSEC_PER_SEC, v->cfg.tsc_hz, true);
}

uint64_t vlapic_tsc_deadline_read(struct vlapic *v)
{
	if (timer_mode(v) != TIMER_DEADLINE)
		return 0;
	timer_update(v, now(v));
	return v->tsc_deadline;
}

void vlapic_tsc_deadline_write(struct vlapic *v, uint64_t tsc)
{
	if (timer_mode(v) != TIMER_DEADLINE)
		return;
	timer_update(v, now(v));
	timer_disarm(v);
	if (!tsc)
		return;
	v->tsc_deadline = tsc;
	v->timer_deadline = tsc_to_deadline(v, tsc);
}

void vlapic_set_tsc_base(struct vlapic *v, uint64_t tsc_base)
{
	timer_update(v, now(v));
	v->cfg.tsc_base = tsc_base;
	if (timer_mode(v) == TIMER_DEADLINE && v->tsc_deadline)
		v->timer_deadline = tsc_to_deadline(v, v->tsc_deadline);
}

/* --- IPIs (11.6) -------------------------------------------------------- */

/* Does an IPI's destination field name this APIC (11.6.2, 11.12.10)? */
static bool dest_is_self(const struct vlapic *v, uint32_t dest, bool logical)
{
	bool x2 = vlapic_x2apic(v);
	uint32_t ldr;

	if (dest == (x2 ? 0xffffffffu : 0xffu))
		return true;                                   /* broadcast */
	if (!logical)
		return dest == self_id(v);
	if (x2) {
		ldr = x2apic_ldr(v);                           /* 11.12.10.1 */
		return dest >> 16 == ldr >> 16 && (dest & ldr & 0xffff);
	}
	ldr = v->reg[R_LDR] >> 24;
	if (v->reg[R_DFR] >> 28 == DFR_FLAT)
		return dest & ldr;                             /* flat model */
	return dest >> 4 == ldr >> 4 && (dest & ldr & 0xf);   /* cluster model */
}

uint8_t vlapic_task_priority(const struct vlapic *v) { return (uint8_t)v->reg[R_TPR]; }

bool vlapic_matches(const struct vlapic *v, uint32_t dest, bool logical)
{
	return dest_is_self(v, dest, logical);
}

/* Send the IPI in ICR[31:0] to dest.  Fixed vectors for this vCPU are
 * accepted here (edge: the trigger bit only matters for INIT level
 * de-assert); the rest goes to the send_ipi callback, and lowest priority
 * all of it when there is one: the platform arbitrates among all the
 * targets, this vCPU included. */
static void send_ipi(struct vlapic *v, uint32_t lo, uint32_t dest)
{
	unsigned dm = ICR_DM(lo), vec = lo & ICR_VECTOR;
	bool fixed = dm == DM_FIXED || dm == DM_LOWEST;
	bool self, others;

	if (fixed && vec < 16) {
		raise_error(v, ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	if (dm == DM_LOWEST && v->cfg.send_ipi) {
		v->cfg.send_ipi(v->cfg.ipi_ctx, (uint64_t)dest << 32 | lo);
		return;
	}
	switch (ICR_SHORTHAND(lo)) {
	case SH_SELF: self = true; others = false; break;
	case SH_ALL: self = true; others = true; break;
	case SH_OTHERS: self = false; others = true; break;
	default:
		self = dest_is_self(v, dest, lo & ICR_LOGICAL);
		others = (lo & ICR_LOGICAL) || dest != self_id(v);
		break;
	}
	if (fixed && self) {
		accept(v, vec, false);
		if (dm == DM_LOWEST)
			others = false;   /* alone: this CPU wins the arbitration */
	}
	if ((others || !fixed) && v->cfg.send_ipi)
		v->cfg.send_ipi(v->cfg.ipi_ctx, (uint64_t)dest << 32 | lo);
}

/* --- register hooks ----------------------------------------------------- */

static uint32_t read_id(struct vlapic *v, unsigned idx)
{
	/* 11.4.6: xAPIC ID in bits 31:24; 11.12.5.1: the full x2APIC ID. */
	return vlapic_x2apic(v) ? v->cfg.apic_id : (v->cfg.apic_id & 0xff) << 24;
}

static uint32_t read_version(struct vlapic *v, unsigned idx) { return APIC_VERSION; }
static uint32_t read_ppr(struct vlapic *v, unsigned idx) { return ppr(v); }

static uint32_t read_ldr(struct vlapic *v, unsigned idx)
{
	return vlapic_x2apic(v) ? x2apic_ldr(v) : v->reg[R_LDR];
}

static uint32_t read_tmcct(struct vlapic *v, unsigned idx)
{
	uint64_t t = now(v);

	timer_update(v, t);
	/* 11.5.4.1: always 0 in TSC-deadline mode. */
	if (timer_mode(v) == TIMER_DEADLINE || v->timer_deadline == VLAPIC_NO_TIMER)
		return 0;
	return remaining_count(v, v->timer_deadline - t);
}

static void write_eoi(struct vlapic *v, unsigned idx, uint32_t val) { eoi(v); }
static void write_dfr(struct vlapic *v, unsigned idx, uint32_t val) { v->reg[R_DFR] = val | DFR_RESERVED; }

/* 11.5.3: a write latches the errors since the previous one. */
static void write_esr(struct vlapic *v, unsigned idx, uint32_t val)
{
	v->reg[R_ESR] = v->esr_pending;
	v->esr_pending = 0;
}

static const uint8_t lvt_regs[] = { R_LVTT, R_THERM, R_PERF, R_LINT0, R_LINT1, R_LVTERR };

/* 11.4.7.2: software disable sets every LVT mask bit. */
static void write_svr(struct vlapic *v, unsigned idx, uint32_t val)
{
	timer_update(v, now(v));
	v->reg[R_SVR] = val;
	if (val & SVR_ENABLE)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(lvt_regs); i++)
		v->reg[lvt_regs[i]] |= LVT_MASKED;
}

/* 11.4.7.2: while software-disabled the mask bits cannot be cleared. */
static void write_lvt(struct vlapic *v, unsigned idx, uint32_t val)
{
	v->reg[idx] = sw_enabled(v) ? val : val | LVT_MASKED;
}

/* 11.5.4.1: entering or leaving TSC-deadline mode disarms the timer. */
static void write_lvtt(struct vlapic *v, unsigned idx, uint32_t val)
{
	bool was_deadline = timer_mode(v) == TIMER_DEADLINE;

	timer_update(v, now(v));
	write_lvt(v, idx, val);
	if (was_deadline == (timer_mode(v) == TIMER_DEADLINE))
		return;
	timer_disarm(v);
	v->reg[R_TMICT] = 0;
}

/* 11.5.4: a write starts the count; 0 stops the timer.  Ignored in
 * TSC-deadline mode (11.5.4.1). */
static void write_tmict(struct vlapic *v, unsigned idx, uint32_t val)
{
	uint64_t t = now(v);

	if (timer_mode(v) == TIMER_DEADLINE)
		return;
	timer_update(v, t);
	v->reg[R_TMICT] = val;
	if (val)
		timer_start(v, t);
	else
		timer_disarm(v);
}

/* xAPIC: writing ICR[31:0] sends, to the destination in ICR[63:56]. */
static void write_icr(struct vlapic *v, unsigned idx, uint32_t val)
{
	v->reg[R_ICR] = val;
	send_ipi(v, val, vlapic_x2apic(v) ? v->reg[R_ICR2] : v->reg[R_ICR2] >> 24);
}

/* 11.12.11: a fixed, edge-triggered IPI to self. */
static void write_self_ipi(struct vlapic *v, unsigned idx, uint32_t val)
{
	send_ipi(v, val | (uint32_t)SH_SELF << 18, 0);
}

/* --- the register table ------------------------------------------------- */

#define XR  BIT(0)   /* xAPIC readable */
#define XW  BIT(1)   /* xAPIC writable (else writes are ignored) */
#define X2R BIT(2)   /* x2APIC RDMSR allowed (else #GP) */
#define X2W BIT(3)   /* x2APIC WRMSR allowed (else #GP) */
#define RW  (XR | XW | X2R | X2W)
#define RO  (XR | X2R)

struct reg_desc {
	uint8_t flags;            /* none: reserved (11.4.1, 11.12.1.2) */
	uint32_t wmask;           /* bits a write stores (others ignored) */
	uint32_t x2_ok;           /* bits WRMSR may set; others #GP (11.12.1.3) */
	uint32_t (*read)(struct vlapic *v, unsigned idx);           /* NULL: reg[idx] */
	void (*write)(struct vlapic *v, unsigned idx, uint32_t val); /* NULL: store */
};

/* LVT entries: delivery status and remote IRR are read-only, not reserved. */
#define LVT(wmask, hook) { RW, wmask, (wmask) | LVT_STATUS | LVT_REMOTE_IRR, NULL, hook }

static const struct reg_desc regs[VLAPIC_NREGS] = {
	[R_ID] = { RO, 0, 0, read_id, NULL },   /* xAPIC writes ignored (11.4.6) */
	[R_VER] = { RO, 0, 0, read_version, NULL },
	[R_TPR] = { RW, 0xff, 0xff, NULL, NULL },
	[R_APR] = { XR, 0, 0, NULL, NULL },     /* reads 0: no bus arbitration */
	[R_PPR] = { RO, 0, 0, read_ppr, NULL },
	[R_EOI] = { XW | X2W, 0, 0, NULL, write_eoi },
	[R_RRD] = { XR, 0, 0, NULL, NULL },
	[R_LDR] = { XR | XW | X2R, 0xff000000u, 0, read_ldr, NULL },
	[R_DFR] = { XR | XW, 0xf0000000u, 0, NULL, write_dfr },
	[R_SVR] = { RW, SVR_WMASK, SVR_WMASK, NULL, write_svr },
	[R_ISR ... R_ISR + 7] = { RO, 0, 0, NULL, NULL },
	[R_TMR ... R_TMR + 7] = { RO, 0, 0, NULL, NULL },
	[R_IRR ... R_IRR + 7] = { RO, 0, 0, NULL, NULL },
	[R_ESR] = { RW, 0, 0, NULL, write_esr },
	[R_ICR] = { RW, ICR_WMASK, 0, NULL, write_icr },   /* x2APIC: vlapic_msr_write() */
	[R_ICR2] = { XR | XW, 0xff000000u, 0, NULL, NULL },
	[R_LVTT] = LVT(LVTT_WMASK, write_lvtt),
	[R_THERM] = LVT(LVT_DM_WMASK, write_lvt),
	[R_PERF] = LVT(LVT_DM_WMASK, write_lvt),
	[R_LINT0] = LVT(LINT_WMASK, write_lvt),
	[R_LINT1] = LVT(LINT_WMASK, write_lvt),
	[R_LVTERR] = LVT(LVTERR_WMASK, write_lvt),
	[R_TMICT] = { RW, 0xffffffffu, 0xffffffffu, NULL, write_tmict },
	[R_TMCCT] = { RO, 0, 0, read_tmcct, NULL },
	[R_TDCR] = { RW, 0xb, 0xb, NULL, NULL },
	[R_SELF_IPI] = { X2W, ICR_VECTOR, ICR_VECTOR, NULL, write_self_ipi },
};

static uint32_t read_reg(struct vlapic *v, unsigned idx)
{
	return regs[idx].read ? regs[idx].read(v, idx) : v->reg[idx];
}

static void write_reg(struct vlapic *v, unsigned idx, uint32_t val)
{
	const struct reg_desc *d = &regs[idx];

	val &= d->wmask;
	if (d->write)
		d->write(v, idx, val);
	else
		v->reg[idx] = val;
}

/* --- xAPIC MMIO (11.4.1) ------------------------------------------------ */

/* The register index of an access within a register's 32 bits, or -1
 * (ignored).  Registers are to be accessed with aligned 32-bit loads and
 * stores; narrower ones are model-specific (11.4.1): reads of a part of
 * the 32 bits get that part, as on bare Bochs and the CPUs Linux meets,
 * and narrower writes are ignored (Bochs stops on them). */
static int mmio_index(uint64_t addr, unsigned size, bool write)
{
	uint64_t off = addr - VLAPIC_DEFAULT_BASE;

	if (off >= VLAPIC_MMIO_SIZE || (write && size != 4))
		return -1;
	if ((size != 1 && size != 2 && size != 4) || (off & 0xf) + size > 4)
		return -1;
	return (int)(off >> 4);
}

/* 11.5.3: an access to a reserved register is an error. */
static bool mmio_reserved(struct vlapic *v, int idx)
{
	if (idx < VLAPIC_NREGS && (regs[idx].flags & (XR | XW)))
		return false;
	raise_error(v, ESR_ILLEGAL_REGISTER);
	return true;
}

int vlapic_mmio_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	struct vlapic *v = dev;
	int idx;

	*val = 0;
	if (!xapic_mode(v)) {
		*val = ~0ULL;   /* nothing answers there */
		return 0;
	}
	idx = mmio_index(addr, size, false);
	if (idx < 0 || mmio_reserved(v, idx) || !(regs[idx].flags & XR))
		return 0;
	*val = (read_reg(v, (unsigned)idx) >> (8 * (addr & 3))) & (0xffffffffu >> (32 - 8 * size));
	return 0;
}

int vlapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct vlapic *v = dev;
	int idx;

	if (!xapic_mode(v))
		return 0;
	idx = mmio_index(addr, size, true);
	if (idx < 0 || mmio_reserved(v, idx) || !(regs[idx].flags & XW))
		return 0;
	write_reg(v, (unsigned)idx, (uint32_t)val);
	return 0;
}

int vlapic_attach(struct vlapic *v, struct io_bus *mmio)
{
	return io_register(mmio, VLAPIC_DEFAULT_BASE, VLAPIC_MMIO_SIZE, "lapic",
			   vlapic_mmio_read, vlapic_mmio_write, v);
}

/* --- x2APIC MSRs (11.12.1) ---------------------------------------------- */

/* The register index of an x2APIC MSR, or -1: #GP outside x2APIC mode,
 * for MSRs 0x840-0x8ff and for registers x2APIC mode lacks. */
static int msr_index(const struct vlapic *v, uint32_t msr, uint8_t need)
{
	uint32_t idx = msr - VLAPIC_MSR_X2APIC_FIRST;

	if (!vlapic_x2apic(v) || idx >= VLAPIC_NREGS || !(regs[idx].flags & need))
		return -1;
	return (int)idx;
}

int vlapic_msr_read(struct vlapic *v, uint32_t msr, uint64_t *val)
{
	int idx = msr_index(v, msr, X2R);

	if (idx < 0)
		return HV_EINVAL;
	*val = read_reg(v, (unsigned)idx);
	if (idx == R_ICR)
		*val |= (uint64_t)v->reg[R_ICR2] << 32;
	return 0;
}

/* 11.12.9: the 64-bit ICR is one MSR; bits 12, 13, 16, 17 and 31:20 are
 * reserved (no delivery status in x2APIC mode). */
static int write_icr64(struct vlapic *v, uint64_t val)
{
	if ((uint32_t)val & ~ICR_WMASK)
		return HV_EINVAL;
	v->reg[R_ICR2] = (uint32_t)(val >> 32);
	write_reg(v, R_ICR, (uint32_t)val);
	return 0;
}

int vlapic_msr_write(struct vlapic *v, uint32_t msr, uint64_t val)
{
	int idx = msr_index(v, msr, X2W);

	if (idx < 0)
		return HV_EINVAL;
	if (idx == R_ICR)
		return write_icr64(v, val);
	/* 11.12.1.3: reserved bits, 63:32 included, must be written as 0. */
	if (val & ~(uint64_t)regs[idx].x2_ok)
		return HV_EINVAL;
	write_reg(v, (unsigned)idx, (uint32_t)val);
	return 0;
}

/* --- IA32_APIC_BASE and state (11.4.4, 11.4.7.1, 11.12.5) --------------- */

/* Power-up values of everything but the ID and the version (11.4.7.1). */
static void reset_regs(struct vlapic *v)
{
	memset(v->reg, 0, sizeof(v->reg));
	for (size_t i = 0; i < ARRAY_SIZE(lvt_regs); i++)
		v->reg[lvt_regs[i]] = LVT_MASKED;
	v->reg[R_SVR] = 0xff;
	v->reg[R_DFR] = 0xffffffffu;
	v->esr_pending = 0;
	v->timer_shift = div_shift(0);
	timer_disarm(v);
}

int vlapic_init(struct vlapic *v, const struct vlapic_config *cfg)
{
	if (!cfg->clock.now)
		return HV_EINVAL;
	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
	if (!v->cfg.timer_hz)
		v->cfg.timer_hz = VLAPIC_DEFAULT_HZ;
	if (!v->cfg.tsc_hz)
		v->cfg.tsc_hz = VLAPIC_DEFAULT_HZ;
	if (v->cfg.timer_hz > VLAPIC_MAX_HZ || v->cfg.tsc_hz > VLAPIC_MAX_HZ)
		return HV_ERANGE;
	if (!cfg->x2apic && cfg->apic_id > 0xff)
		return HV_ERANGE;
	v->apic_base = VLAPIC_DEFAULT_BASE | BASE_EN | (cfg->bsp ? BASE_BSP : 0);
	reset_regs(v);
	return 0;
}

uint64_t vlapic_apic_base_read(const struct vlapic *v) { return v->apic_base; }

/* 11.12.5.1 (Figure 11-27): disabled <-> xAPIC -> x2APIC -> disabled. */
static bool transition_ok(uint64_t from, uint64_t to)
{
	if (to == BASE_EXTD)
		return false;                           /* the invalid state */
	if (from == BASE_MODE && to == BASE_EN)
		return false;                           /* x2APIC -> xAPIC */
	return !(from == 0 && to == BASE_MODE);         /* disabled -> x2APIC */
}

int vlapic_apic_base_write(struct vlapic *v, uint64_t val)
{
	uint64_t from = v->apic_base & BASE_MODE, to = val & BASE_MODE;

	/* Bits 7:0 and 9 are reserved; relocating the page is not modelled.
	 * BSP is the processor's own and ignores writes. */
	if ((val & BASE_ADDR_MASK) != VLAPIC_DEFAULT_BASE || (val & ~(BASE_ADDR_MASK | BASE_BSP | BASE_MODE)))
		return HV_EINVAL;
	if ((to & BASE_EXTD) && !v->cfg.x2apic)
		return HV_EINVAL;
	if (!transition_ok(from, to))
		return HV_EINVAL;
	/* Entering or leaving the disabled state loses all but the ID
	 * (11.4.3); xAPIC -> x2APIC keeps the registers (11.12.5.1). */
	if (to != from && (!(to & BASE_EN) || !(from & BASE_EN)))
		reset_regs(v);
	v->apic_base = (v->apic_base & ~BASE_MODE) | to;
	return 0;
}

/* --- the rest of the interface ------------------------------------------ */

uint64_t vlapic_cr8_read(const struct vlapic *v) { return v->reg[R_TPR] >> 4; }

void vlapic_cr8_write(struct vlapic *v, uint64_t cr8) { v->reg[R_TPR] = (uint32_t)(cr8 & 0xf) << 4; }

bool vlapic_accepts_pic(const struct vlapic *v)
{
	uint32_t lint0 = v->reg[R_LINT0];

	if (!hw_enabled(v))
		return true;
	return !(lint0 & LVT_MASKED) && (lint0 & LVT_DM) == LVT_DM_EXTINT;
}

/* ---- the state stream (hv/vmstate.h) ---- */

/* The registers as stored (the computed ones, PPR and the current count,
 * are computed again); the timer's expiry as ns after the saving instant
 * (all ones: none; 0: due), or in TSC-deadline mode the deadline as the
 * guest wrote it, which the guest's TSC keeps meaning; the divide the
 * running count uses. */
void vlapic_save(const struct vlapic *v, unsigned vcpu, struct vms_out *o)
{
	uint64_t t = now(v);

	vms_begin(o, VMS_LAPIC, vcpu);
	vms_put_u64(o, v->apic_base);
	vms_put_u32(o, v->esr_pending);
	vms_put_u8(o, (uint8_t)v->timer_shift);
	vms_put_u64(o, v->timer_deadline == VLAPIC_NO_TIMER ? UINT64_MAX
			: v->timer_deadline > t ? v->timer_deadline - t : 0);
	vms_put_u64(o, v->tsc_deadline);
	for (unsigned i = 0; i < VLAPIC_NREGS; i++)
		vms_put_u32(o, v->reg[i]);
	vms_end(o);
}

/* What the guest's writes could have made: the page at its one place,
 * the VM's own BSP bit and x2APIC offer; LVT entries within their
 * writable bits; no vector below 16 requested, in service or
 * level-triggered (such a vector is refused with an error, 11.5.3). */
static bool regs_ok(const struct vlapic *v, const uint32_t *reg, uint64_t base)
{
	static const struct { uint8_t r; uint32_t mask; } lvt[] = {
		{ R_LVTT, LVTT_WMASK }, { R_THERM, LVT_DM_WMASK }, { R_PERF, LVT_DM_WMASK },
		{ R_LINT0, LINT_WMASK }, { R_LINT1, LINT_WMASK }, { R_LVTERR, LVTERR_WMASK },
	};

	if ((base & BASE_ADDR_MASK) != VLAPIC_DEFAULT_BASE ||
	    (base & ~(BASE_ADDR_MASK | BASE_BSP | BASE_MODE)) ||
	    ((base & BASE_BSP) != 0) != v->cfg.bsp || !transition_ok(BASE_EN, base & BASE_MODE) ||
	    ((base & BASE_EXTD) && !v->cfg.x2apic))
		return false;
	for (size_t i = 0; i < sizeof(lvt) / sizeof(lvt[0]); i++)
		if (reg[lvt[i].r] & ~lvt[i].mask)
			return false;
	return !(reg[R_ISR] & 0xffff) && !(reg[R_TMR] & 0xffff) && !(reg[R_IRR] & 0xffff) &&
	       !(reg[R_SVR] & ~SVR_WMASK);
}

int vlapic_load(struct vlapic *v, struct vms_section *s)
{
	uint64_t t = now(v), base = vms_get_u64(s), due, tsc;
	uint32_t esr = vms_get_u32(s), reg[VLAPIC_NREGS];
	uint8_t shift = vms_get_u8(s);

	due = vms_get_u64(s);
	tsc = vms_get_u64(s);
	for (unsigned i = 0; i < VLAPIC_NREGS; i++)
		reg[i] = vms_get_u32(s);
	if (vms_section_done(s) || shift > 7 || esr > 0xff || !regs_ok(v, reg, base))
		return HV_EINVAL;
	v->apic_base = base;
	v->esr_pending = esr;
	v->timer_shift = shift;
	memcpy(v->reg, reg, sizeof(reg));
	v->tsc_deadline = (reg[R_LVTT] & LVT_TIMER_MODE) == TIMER_DEADLINE ? tsc : 0;
	if (v->tsc_deadline)
		v->timer_deadline = tsc_to_deadline(v, tsc);
	else if ((reg[R_LVTT] & LVT_TIMER_MODE) == TIMER_DEADLINE || due == UINT64_MAX)
		v->timer_deadline = VLAPIC_NO_TIMER;
	else
		v->timer_deadline = sat_add(t, due);
	return 0;
}
