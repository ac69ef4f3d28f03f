/* tests/equiv/hpet.c: the HPET at 0xfed00000 (IA-PC HPET Specification
 * 1.0a), as PC software finds it without ACPI: its capabilities and reset
 * values, what its configuration, counter, timer configuration and
 * comparator registers keep of a write (in 64- and 32-bit accesses, in
 * 32-bit mode), the main counter halted and running, and a timer's
 * interrupt, one-shot and edge-triggered through the I/O APIC, and
 * level-triggered with its status bit.  Counts are reported as relations
 * (the two runs' clocks differ). */
#include "equiv.h"

const char eq_area[] = "hpet";

#define HPET 0xfed00000ul
#define CAP 0x000
#define CONFIG 0x010
#define ISR 0x020
#define COUNTER 0x0f0
#define TCONF(n) (0x100 + 0x20 * (n))
#define TCMP(n) (0x108 + 0x20 * (n))
#define IOAPIC 0xfec00000ul
#define APIC 0xfee00000ul
#define VEC 0x50
#define PIN 20

static uint64_t rd(unsigned off) { return *(volatile uint64_t *)(HPET + off); }
static uint32_t rd32(unsigned off) { return *(volatile uint32_t *)(HPET + off); }
static void wr(unsigned off, uint64_t v) { *(volatile uint64_t *)(HPET + off) = v; }
static void wr32(unsigned off, uint32_t v) { *(volatile uint32_t *)(HPET + off) = v; }

static void ioapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static volatile unsigned interrupts;

static void handler(struct eq_frame *f)
{
	(void)f;
	interrupts++;
	*(volatile uint32_t *)(APIC + 0xb0) = 0;    /* EOI */
}

static void registers(void)
{
	eq("capabilities => %#lx", rd(CAP));
	eq("capabilities, the high dword => %#x", rd32(CAP + 4));
	eq("configuration at the start => %#lx", rd(CONFIG));
	for (unsigned n = 0; n < 4; n++)
		eq("timer %u configuration and comparator at the start => %#lx, %#lx", n, rd(TCONF(n)),
		   rd(TCMP(n)));
	wr(CONFIG, ~0ul & ~1ul);
	eq("configuration written with every bit but ENABLE => reads %#lx", rd(CONFIG));
	wr(CONFIG, 0);
	wr(TCONF(0), ~0ul & ~(1ul << 2));
	eq("timer 0 configuration written with every bit but INT_ENB => reads %#lx", rd(TCONF(0)));
	wr(TCONF(0), 0);
	wr(TCONF(1), 1ul << 8);                     /* 32-bit mode */
	wr(TCMP(1), 0x123456789ul);
	eq("timer 1 in 32-bit mode, comparator written with 0x123456789 => reads %#lx", rd(TCMP(1)));
	wr(TCONF(1), 0);
	wr(TCMP(1), 0x123456789ul);
	eq("timer 1 in 64-bit mode, the same write => reads %#lx", rd(TCMP(1)));
	wr32(TCMP(1) + 4, 0xabc);
	eq("timer 1 comparator's high dword written alone => reads %#lx", rd(TCMP(1)));
	wr(TCMP(1), ~0ul);
}

static void counter(void)
{
	uint64_t a, b;

	wr(CONFIG, 0);
	wr(COUNTER, 0x1000);
	a = rd(COUNTER);
	for (volatile int i = 0; i < 1000; i++)
		;
	b = rd(COUNTER);
	eq("counter halted, written with 0x1000 => reads %#lx, then %#lx", a, b);
	wr32(COUNTER + 4, 0x7);
	eq("counter's high dword written alone => reads %#lx", rd(COUNTER));
	wr(COUNTER, 0);
	wr(CONFIG, 1);
	a = rd(COUNTER);
	for (volatile int i = 0; i < 10000; i++)
		;
	b = rd(COUNTER);
	eq("counter enabled => runs: %s", b > a ? "yes" : "no");
	wr(CONFIG, 0);
	a = rd(COUNTER);
	for (volatile int i = 0; i < 1000; i++)
		;
	eq("counter disabled again => stops: %s", rd(COUNTER) == a ? "yes" : "no");
}

static void timer_interrupts(void)
{
	uint32_t cap_period_fs = rd32(CAP + 4);
	uint64_t ticks = 1000000000000ul / cap_period_fs;   /* 1 ms */
	bool came;

	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	*(volatile uint32_t *)(APIC + 0xf0) = 0x1ff;
	eq_set_handler(VEC, handler);
	ioapic_write(0x10 + 2 * PIN + 1, 0);                /* to APIC ID 0 */
	ioapic_write(0x10 + 2 * PIN, VEC);                  /* fixed, edge, unmasked */

	wr(COUNTER, 0);
	wr(TCONF(2), (uint64_t)PIN << 9 | 1ul << 2);       /* edge, INT_ENB, route */
	wr(TCMP(2), ticks);
	interrupts = 0;
	wr(CONFIG, 1);
	for (unsigned i = 0; i < 5000000 && !interrupts; i++)
		asm volatile("sti\n\tnop\n\tcli" : : : "memory");
	came = interrupts;
	eq("timer 2, one-shot, edge, through I/O APIC input 20 => an interrupt: %s, counter past the comparator: %s",
	   came ? "yes" : "no", rd(COUNTER) >= ticks ? "yes" : "no");
	for (unsigned i = 0; i < 200000; i++)
		asm volatile("sti\n\tnop\n\tcli" : : : "memory");
	eq("timer 2, one-shot, later => no second interrupt: %s", interrupts == 1 ? "yes" : "no");
	eq("general interrupt status after an edge-triggered match => %#lx", rd(ISR));

	/* Level-triggered, its I/O APIC input masked: the status bit. */
	ioapic_write(0x10 + 2 * PIN, 1u << 16 | 1u << 15 | VEC);
	wr(CONFIG, 0);
	wr(COUNTER, 0);
	wr(TCONF(2), (uint64_t)PIN << 9 | 1ul << 2 | 1ul << 1);
	wr(TCMP(2), ticks / 10);
	wr(CONFIG, 1);
	for (unsigned i = 0; i < 5000000 && !(rd(ISR) & 4); i++)
		;
	eq("timer 2, level-triggered => status bit: %#lx", rd(ISR) & 4);
	wr(ISR, 4);
	eq("status written with 1 => %#lx", rd(ISR) & 4);
	wr(CONFIG, 0);
	wr(TCONF(2), 0);
	ioapic_write(0x10 + 2 * PIN, 1u << 16);
	eq_set_handler(VEC, 0);
}

void eq_main(void)
{
	registers();
	counter();
	timer_interrupts();
}
