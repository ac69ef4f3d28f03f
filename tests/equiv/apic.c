/* tests/equiv/apic.c: the local APIC (SDM Vol. 3A chapter 12, "Advanced
 * Programmable Interrupt Controller (APIC)").  Through the xAPIC page:
 * what each register keeps of a write (ID, TPR, LDR, DFR, SVR, the LVT
 * entries, the timer's divide configuration, ICR, ESR), what a
 * software-disabled APIC does to LVT writes, the error status of an
 * illegal vector; self-IPIs: IRR, ISR and PPR around their delivery, two
 * pending ones taken highest first, the TPR holding one back, EOI; the
 * timer in one-shot, periodic and TSC-deadline modes, masked and not,
 * and its current count.  Then x2APIC mode: the registers as MSRs, the
 * self-IPI MSR, and the #GP of a register the mode lacks or that cannot
 * be written.  Timing is reported as relations (a count went down, an
 * interrupt came before a bound): the two runs' clocks differ. */
#include "equiv.h"

const char eq_area[] = "apic";

#define APIC 0xfee00000ul
#define R_ID 0x20
#define R_VER 0x30
#define R_TPR 0x80
#define R_APR 0x90
#define R_PPR 0xa0
#define R_EOI 0xb0
#define R_LDR 0xd0
#define R_DFR 0xe0
#define R_SVR 0xf0
#define R_ISR 0x100
#define R_TMR 0x180
#define R_IRR 0x200
#define R_ESR 0x280
#define R_ICR 0x300
#define R_ICR2 0x310
#define R_LVTT 0x320
#define R_LINT0 0x350
#define R_LINT1 0x360
#define R_LVTERR 0x370
#define R_TMICT 0x380
#define R_TMCCT 0x390
#define R_TDCR 0x3e0
#define LVT_MASKED (1u << 16)
#define TIMER_PERIODIC (1u << 17)
#define TIMER_DEADLINE (2u << 17)
#define ICR_SELF (1u << 18)
#define IA32_APIC_BASE 0x1b
#define IA32_TSC_DEADLINE 0x6e0
#define APIC_BASE_EXTD (1ul << 10)
#define VEC 0x40        /* the area's vectors: 0x40-0x5f */
#define WAIT 2000000u   /* loop iterations an interrupt may take, at most */

static uint32_t rd(unsigned reg) { return *(volatile uint32_t *)(APIC + reg); }
static void wr(unsigned reg, uint32_t v) { *(volatile uint32_t *)(APIC + reg) = v; }

static bool bit(unsigned base, unsigned vector)
{
	return rd(base + (vector / 32) * 0x10) & (1u << (vector % 32));
}

/* Each interrupt: its vector in order, the ISR and PPR as the handler
 * found them, then EOI. */
static volatile unsigned nseq, isr_in_handler, ppr_in_handler;
static volatile uint8_t seq[16];
static bool x2apic;

static void handler(struct eq_frame *f)
{
	if (nseq < sizeof(seq))
		seq[nseq] = (uint8_t)f->vector;
	if (nseq++ == 0) {
		isr_in_handler = x2apic ? 0 : bit(R_ISR, (unsigned)f->vector);
		ppr_in_handler = x2apic ? (uint32_t)rdmsr(0x80a) : rd(R_PPR);
	}
	if (x2apic)
		wrmsr(0x80b, 0);
	else
		wr(R_EOI, 0);
}

static void sti_nop_cli(void) { asm volatile("sti\n\tnop\n\tnop\n\tcli" : : : "memory"); }

/* Waits, interrupts on, for N interrupts in all: true if they came. */
static bool wait_for(unsigned n)
{
	for (unsigned i = 0; i < WAIT && nseq < n; i++)
		sti_nop_cli();
	return nseq >= n;
}

static void reset_seq(void) { nseq = 0; }

static const char *order(void)
{
	static char buf[64];
	size_t at = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < nseq && i < sizeof(seq) && at + 6 < sizeof(buf); i++) {
		eq_sformat(buf + at, sizeof(buf) - at, "%s%#x", i ? " " : "", seq[i]);
		at = strlen(buf);
	}
	return nseq ? buf : "none";
}

/* ---- registers ----------------------------------------------------------- */

static void write_read(const char *name, unsigned reg, uint32_t v)
{
	uint32_t old = rd(reg);

	wr(reg, v);
	eq("write %#x to %s => reads %#x", v, name, rd(reg));
	wr(reg, old);
}

static void registers(void)
{
	eq("ID => %#x", rd(R_ID));
	eq("version => %#x", rd(R_VER));
	eq("TPR at the start => %#x", rd(R_TPR));
	eq("PPR at the start => %#x", rd(R_PPR));
	eq("LVT LINT1 at the start => %#x", rd(R_LINT1));
	eq("LVT error at the start => %#x", rd(R_LVTERR));
	eq("LVT timer at the start => %#x", rd(R_LVTT));
	write_read("TPR", R_TPR, 0xffffffff);
	wr(R_TPR, 0x20);
	eq("PPR with TPR 0x20, nothing in service => %#x", rd(R_PPR));
	wr(R_TPR, 0);
	write_read("LDR", R_LDR, 0xffffffff);
	write_read("DFR (cluster model)", R_DFR, 0x0fffffff);
	write_read("DFR", R_DFR, 0xffffffff);
	write_read("SVR", R_SVR, 0xffffffff);
	write_read("LVT timer", R_LVTT, 0xffffffff);
	write_read("LVT LINT0", R_LINT0, 0xffffffff);
	write_read("LVT LINT1", R_LINT1, 0xffffffff);
	write_read("LVT error", R_LVTERR, 0xffffffff);
	write_read("timer divide configuration", R_TDCR, 0xffffffff);
	write_read("ICR high", R_ICR2, 0xffffffff);
	wr(R_ICR2, 0);
	eq("ESR after a write => %#x", (wr(R_ESR, 0), rd(R_ESR)));

	/* A software-disabled APIC keeps every LVT entry masked (12.4.7.2). */
	uint32_t svr = rd(R_SVR);
	wr(R_SVR, svr & ~0x100u);
	wr(R_LVTT, VEC + 1);
	eq("LVT timer written unmasked, the APIC software-disabled => reads %#x", rd(R_LVTT));
	wr(R_SVR, svr);
	eq("then enabled again => LVT timer reads %#x", rd(R_LVTT));
	wr(R_LVTT, LVT_MASKED);

	/* Vectors 0-15 are illegal: the send is refused and ESR says so
	 * (bit 5, send illegal vector), once ESR is written (12.5.3). */
	reset_seq();
	wr(R_ICR, ICR_SELF | 0x02);
	wr(R_ESR, 0);
	eq("self-IPI of vector 2 => ESR %#x, delivered %u", rd(R_ESR), nseq);
	wr(R_ESR, 0);
	eq("ESR after another write => %#x", rd(R_ESR));
}

/* ---- IPIs, priorities ----------------------------------------------------- */

static void ipis(void)
{
	reset_seq();
	wr(R_ICR, ICR_SELF | (VEC + 5));
	eq("self-IPI 0x45, IF clear => IRR bit %d, ISR bit %d, PPR %#x, delivered %u",
	   bit(R_IRR, VEC + 5), bit(R_ISR, VEC + 5), rd(R_PPR), nseq);
	eq("ICR after the send => %#x", rd(R_ICR));
	wait_for(1);
	eq("then sti => delivered %s, in the handler: ISR bit %u, PPR %#x", order(),
	   isr_in_handler, ppr_in_handler);
	eq("after EOI => ISR bit %d, IRR bit %d, PPR %#x", bit(R_ISR, VEC + 5),
	   bit(R_IRR, VEC + 5), rd(R_PPR));

	reset_seq();
	wr(R_ICR, ICR_SELF | (VEC + 5));
	wr(R_ICR, ICR_SELF | (VEC + 0x15));
	wr(R_ICR, ICR_SELF | (VEC + 5));        /* already pending: one interrupt */
	wait_for(3);
	eq("self-IPIs 0x45, 0x55, 0x45 with IF clear, then sti => delivered %s", order());

	reset_seq();
	wr(R_TPR, 0x50);
	wr(R_ICR, ICR_SELF | (VEC + 5));
	wait_for(1);
	eq("self-IPI 0x45 with TPR 0x50 => delivered %s, IRR bit %d, PPR %#x", order(),
	   bit(R_IRR, VEC + 5), rd(R_PPR));
	wr(R_TPR, 0x40);
	wait_for(1);
	eq("TPR 0x40 => delivered %s", order());
	wr(R_TPR, 0x30);
	wait_for(1);
	eq("TPR 0x30 => delivered %s", order());
	wr(R_TPR, 0);

	reset_seq();
	wr(R_EOI, 0);
	eq("EOI with nothing in service => ISR clear: %s", bit(R_ISR, VEC + 5) ? "no" : "yes");
}

/* ---- the timer ------------------------------------------------------------ */

static void timer(void)
{
	uint32_t c1, c2;
	bool came;

	wr(R_TDCR, 0xb);                        /* divide by 1 */
	reset_seq();
	wr(R_LVTT, LVT_MASKED | (VEC + 6));
	wr(R_TMICT, 2000);
	for (unsigned i = 0; i < WAIT && rd(R_TMCCT); i++)
		sti_nop_cli();
	eq("one-shot timer, masked, 2000 => ran out: %s, delivered %s, IRR bit %d",
	   rd(R_TMCCT) ? "no" : "yes", order(), bit(R_IRR, VEC + 6));

	reset_seq();
	wr(R_LVTT, VEC + 7);
	wr(R_TMICT, 100000);
	c1 = rd(R_TMCCT);
	for (volatile unsigned i = 0; i < 1000; i++)
		;
	c2 = rd(R_TMCCT);
	eq("one-shot timer, 100000 => counts down: %s, not above the initial count: %s",
	   c2 < c1 ? "yes" : "no", c1 <= 100000 ? "yes" : "no");
	came = wait_for(1);
	eq("one-shot timer => delivered %s, then the current count %u, initial count %u",
	   came ? order() : "none", rd(R_TMCCT), rd(R_TMICT));
	reset_seq();
	for (unsigned i = 0; i < 20000; i++)
		sti_nop_cli();
	eq("one-shot timer, later => no second interrupt: %s", nseq ? "no" : "yes");

	reset_seq();
	wr(R_LVTT, TIMER_PERIODIC | (VEC + 8));
	wr(R_TMICT, 20000);
	came = wait_for(3);
	wr(R_LVTT, LVT_MASKED | TIMER_PERIODIC | (VEC + 8));
	c1 = rd(R_TMCCT);
	eq("periodic timer, 20000 => three interrupts: %s, reloads (current count not 0): %s",
	   came ? "yes" : "no", c1 ? "yes" : "no");
	wr(R_TMICT, 0);
	eq("initial count 0 => current count %u", rd(R_TMCCT));
}

static void tsc_deadline(void)
{
	struct eq_cpuid id = cpuid(1, 0);
	uint64_t d;
	bool came;

	eq("CPUID.1:ECX.TSC_DEADLINE => %u", (id.c >> 24) & 1);
	if (!(id.c & (1u << 24)))
		return;
	wr(R_LVTT, VEC + 9);                    /* one-shot: the MSR is ignored */
	wrmsr(IA32_TSC_DEADLINE, rdtsc() + 1000);
	eq("IA32_TSC_DEADLINE written in one-shot mode => reads %#lx", rdmsr(IA32_TSC_DEADLINE));
	reset_seq();
	wr(R_LVTT, TIMER_DEADLINE | (VEC + 9));
	wr(R_TMICT, 1000);
	eq("initial count written in TSC-deadline mode => reads %u", rd(R_TMICT));
	wrmsr(IA32_TSC_DEADLINE, rdtsc() + 200000);
	d = rdmsr(IA32_TSC_DEADLINE);
	eq("IA32_TSC_DEADLINE armed => reads it back: %s", d ? "yes" : "no");
	came = wait_for(1);
	eq("TSC deadline => delivered %s, then IA32_TSC_DEADLINE %#lx", came ? order() : "none",
	   rdmsr(IA32_TSC_DEADLINE));
	reset_seq();
	wrmsr(IA32_TSC_DEADLINE, 1);            /* in the past: at once */
	came = wait_for(1);
	eq("TSC deadline in the past => delivered %s", came ? order() : "none");
	reset_seq();
	wrmsr(IA32_TSC_DEADLINE, rdtsc() + 100000000);
	wrmsr(IA32_TSC_DEADLINE, 0);            /* disarmed */
	for (unsigned i = 0; i < 20000; i++)
		sti_nop_cli();
	eq("TSC deadline disarmed by writing 0 => delivered %s", order());
	wr(R_LVTT, LVT_MASKED);
}

/* ---- x2APIC ---------------------------------------------------------------- */

static void x2(void)
{
	uint64_t base = rdmsr(IA32_APIC_BASE), v;
	int vec;

	if (!(cpuid(1, 0).c & (1u << 21))) {
		eq("CPUID.1:ECX.x2APIC => 0");
		return;
	}
	wrmsr(IA32_APIC_BASE, base | APIC_BASE_EXTD);
	x2apic = true;
	eq("x2APIC ID => %#lx", rdmsr(0x802));
	eq("x2APIC version => %#lx", rdmsr(0x803));
	eq("x2APIC LDR => %#lx", rdmsr(0x80d));
	vec = rdmsr_safe(0x80e, &v);
	eq("rdmsr DFR (none in x2APIC mode) => %s", eq_fault(vec));
	vec = wrmsr_safe(0x802, 5);
	eq("wrmsr ID (read-only) => %s", eq_fault(vec));
	vec = rdmsr_safe(0x80b, &v);
	eq("rdmsr EOI (write-only) => %s", eq_fault(vec));
	vec = wrmsr_safe(0x80b, 1);
	eq("wrmsr EOI, not 0 => %s", eq_fault(vec));
	vec = wrmsr_safe(0x808, 0x1ff);
	eq("wrmsr TPR 0x1ff => %s, reads %#lx", eq_fault(vec), rdmsr(0x808));
	wrmsr(0x808, 0);
	vec = rdmsr_safe(0x831, &v);
	eq("rdmsr ICR high (none: ICR is one 64-bit MSR) => %s", eq_fault(vec));
	vec = rdmsr_safe(0x83f, &v);
	eq("rdmsr SELF_IPI (write-only) => %s", eq_fault(vec));
	reset_seq();
	wrmsr(0x83f, VEC + 10);
	wait_for(1);
	eq("wrmsr SELF_IPI 0x4a => delivered %s", order());
	reset_seq();
	wrmsr(0x830, (uint64_t)rdmsr(0x802) << 32 | (VEC + 11));
	wait_for(1);
	eq("wrmsr ICR, fixed 0x4b to this APIC's ID => delivered %s", order());
	vec = wrmsr_safe(0x830, 1ul << 20 | (VEC + 11));    /* reserved bit 20 */
	eq("wrmsr ICR with reserved bit 20 => %s", eq_fault(vec));
	vec = wrmsr_safe(IA32_APIC_BASE, (base & ~(1ul << 11)) | APIC_BASE_EXTD);
	eq("APIC_BASE from x2APIC to EXTD without EN => %s", eq_fault(vec));
	vec = wrmsr_safe(IA32_APIC_BASE, base & ~APIC_BASE_EXTD);
	eq("APIC_BASE from x2APIC to xAPIC => %s", eq_fault(vec));
}

void eq_main(void)
{
	outb(0x21, 0xff);   /* the PICs masked: the APIC's interrupts alone */
	outb(0xa1, 0xff);
	wr(R_SVR, 0x1ff);
	wr(R_LINT0, rd(R_LINT0) | LVT_MASKED);
	for (unsigned v = VEC; v < VEC + 0x20; v++)
		eq_set_handler(v, handler);
	registers();
	ipis();
	timer();
	tsc_deadline();
	x2();
}
