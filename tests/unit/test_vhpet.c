/* Unit tests of src/dev/vhpet.c against the IA-PC HPET Specification 1.0a
 * and bare Bochs's register values, on a fake clock and fake interrupt
 * lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <hv/vhpet.h>

#define CAP 0x000
#define CONFIG 0x010
#define ISR 0x020
#define COUNTER 0x0f0
#define TCONF(n) (0x100 + 0x20 * (n))
#define TCMP(n) (0x108 + 0x20 * (n))
#define ENABLE 1
#define LEGACY 2
#define T_LEVEL (1 << 1)
#define T_ENABLE (1 << 2)
#define T_PERIODIC (1 << 3)
#define T_VAL_SET (1 << 6)
#define T_32BIT (1 << 8)
#define T_ROUTE(pin) ((uint64_t)(pin) << 9)

static uint64_t fake_ns;
static unsigned edges[2][24];   /* rising edges: [0] ISA IRQs, [1] I/O APIC inputs */
static bool lines[2][24];

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_ns;
}

static void set_line(unsigned which, unsigned irq, bool level)
{
	assert_true(irq < 24);
	if (level && !lines[which][irq])
		edges[which][irq]++;
	lines[which][irq] = level;
}

static void set_isa(void *ctx, unsigned irq, bool level) { (void)ctx; set_line(0, irq, level); }
static void set_ioapic(void *ctx, unsigned irq, bool level) { (void)ctx; set_line(1, irq, level); }

static const struct vclock clock = { fake_now, NULL };
static const struct irq_sink isa = { set_isa, NULL };
static const struct irq_sink ioapic = { set_ioapic, NULL };

static struct vhpet h;

static int setup(void **state)
{
	(void)state;
	fake_ns = 1000;
	memset(edges, 0, sizeof(edges));
	memset(lines, 0, sizeof(lines));
	vhpet_init(&h, &clock, &isa, &ioapic);
	return 0;
}

static uint64_t rd(uint64_t off)
{
	uint64_t v;

	assert_int_equal(vhpet_read(&h, VHPET_BASE + off, 8, &v), 0);
	return v;
}

static uint32_t rd32(uint64_t off)
{
	uint64_t v;

	assert_int_equal(vhpet_read(&h, VHPET_BASE + off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(uint64_t off, uint64_t v) { assert_int_equal(vhpet_write(&h, VHPET_BASE + off, 8, v), 0); }
static void wr32(uint64_t off, uint32_t v) { assert_int_equal(vhpet_write(&h, VHPET_BASE + off, 4, v), 0); }

/* Advance the clock to ns, running the timers at each event on the way
 * as the hypervisor does. */
static void run_to(uint64_t ns)
{
	uint64_t next;

	while ((next = vhpet_next_event_ns(&h)) <= ns) {
		if (next > fake_ns)
			fake_ns = next;
		vhpet_tick(&h);
	}
	fake_ns = ns;
	vhpet_tick(&h);
}

static void test_reset_state(void **state)
{
	(void)state;
	/* Bare Bochs's values: 10 ns, vendor 8086h, legacy replacement,
	 * 64-bit, three timers (NUM_TIM_CAP 2), revision 1. */
	assert_int_equal(rd(CAP), 0x009896808086a201ULL);
	assert_int_equal(rd32(CAP + 4), 0x00989680);
	assert_int_equal(rd(CONFIG), 0);
	assert_int_equal(rd(COUNTER), 0);
	for (unsigned n = 0; n < 3; n++) {
		assert_int_equal(rd(TCONF(n)), 0x00ffffff00000030ULL);
		assert_int_equal(rd(TCMP(n)), ~0ULL);
	}
	assert_int_equal(rd(TCONF(3)), 0);   /* no fourth timer */
	assert_int_equal(vhpet_next_event_ns(&h), VHPET_NO_EVENT);
	/* Not a dword or qword, or misaligned: all ones, writes ignored. */
	uint64_t v;
	assert_int_equal(vhpet_read(&h, VHPET_BASE + CONFIG, 2, &v), 0);
	assert_int_equal(v, ~0ULL);
	assert_int_equal(vhpet_write(&h, VHPET_BASE + CONFIG + 2, 4, 1), 0);
	assert_int_equal(rd(CONFIG), 0);
}

static void test_counter(void **state)
{
	(void)state;
	fake_ns += 1000;
	assert_int_equal(rd(COUNTER), 0);           /* halted */
	wr(CONFIG, ENABLE | 0xfc);                  /* reserved bits: not kept */
	assert_int_equal(rd(CONFIG), ENABLE);
	fake_ns += 1005;
	assert_int_equal(rd(COUNTER), 100);         /* 10 ns a tick */
	wr(CONFIG, 0);
	fake_ns += 5000;
	assert_int_equal(rd(COUNTER), 100);
	/* Written, in halves: the other half stays. */
	wr32(COUNTER + 4, 0x12);
	assert_int_equal(rd(COUNTER), 0x1200000064ULL);
	wr32(COUNTER, 0x34);
	assert_int_equal(rd32(COUNTER), 0x34);
	assert_int_equal(rd32(COUNTER + 4), 0x12);
	wr(CONFIG, ENABLE);
	fake_ns += 20;
	assert_int_equal(rd(COUNTER), 0x1200000036ULL);
}

static void test_one_shot_edge(void **state)
{
	(void)state;
	wr(TCONF(2), T_ENABLE | T_ROUTE(20));
	wr(TCMP(2), 500);
	assert_int_equal(vhpet_next_event_ns(&h), VHPET_NO_EVENT);   /* halted */
	wr(CONFIG, ENABLE);
	assert_int_equal(vhpet_next_event_ns(&h), fake_ns + 5000);
	run_to(fake_ns + 4999);
	assert_int_equal(edges[1][20], 0);
	run_to(fake_ns + 1);
	assert_int_equal(edges[1][20], 1);
	assert_false(lines[1][20]);
	assert_int_equal(rd(ISR), 0);               /* edge: no status */
	/* One-shot, 64-bit: no second match. */
	run_to(fake_ns + 100000000);
	assert_int_equal(edges[1][20], 1);
	assert_int_equal(vhpet_next_event_ns(&h), VHPET_NO_EVENT);
	/* A comparator behind the counter: no match until a wrap. */
	wr(TCMP(2), 5);
	assert_int_equal(vhpet_next_event_ns(&h), VHPET_NO_EVENT);
}

static void test_level_and_status(void **state)
{
	(void)state;
	wr(CONFIG, ENABLE);
	wr(TCONF(1), T_ENABLE | T_LEVEL | T_ROUTE(11));
	wr(TCMP(1), 10);
	run_to(fake_ns + 100);
	assert_true(lines[1][11]);
	assert_int_equal(rd(ISR), 2);
	wr(ISR, 1);                                 /* another timer's bit: nothing */
	assert_true(lines[1][11]);
	wr(ISR, 2);                                 /* write 1 to clear */
	assert_false(lines[1][11]);
	assert_int_equal(rd(ISR), 0);
}

static void test_periodic(void **state)
{
	(void)state;
	wr(CONFIG, ENABLE);
	/* Linux's sequence: VAL_SET, the first match, then the period. */
	wr(TCONF(0), T_ENABLE | T_PERIODIC | T_VAL_SET | T_ROUTE(2));
	wr(TCMP(0), 1000);
	wr(TCMP(0), 1000);
	assert_int_equal(rd(TCMP(0)), 1000);
	run_to(fake_ns + 10000);                    /* tick 1000 */
	assert_int_equal(edges[1][2], 1);
	assert_int_equal(rd(TCMP(0)), 2000);
	run_to(fake_ns + 20000);                    /* ticks 2000 and 3000 */
	assert_int_equal(edges[1][2], 3);
	/* Missed periods: one interrupt, the comparator past the counter. */
	fake_ns += 55000;
	vhpet_tick(&h);
	assert_int_equal(edges[1][2], 4);
	assert_int_equal(rd(TCMP(0)), 9000);
	/* Without VAL_SET a comparator write sets only the period. */
	wr(TCMP(0), 500);
	assert_int_equal(rd(TCMP(0)), 9000);
	run_to(fake_ns + 10000);                    /* tick 9000, then 9500 */
	assert_int_equal(rd(TCMP(0)), 10000);
}

static void test_legacy_replacement(void **state)
{
	(void)state;
	wr(CONFIG, ENABLE | LEGACY);
	wr(TCONF(0), T_ENABLE | T_ROUTE(20));
	wr(TCONF(1), T_ENABLE | T_ROUTE(21));
	wr(TCONF(2), T_ENABLE | T_ROUTE(22));
	wr(TCMP(0), 10);
	wr(TCMP(1), 20);
	wr(TCMP(2), 30);
	run_to(fake_ns + 1000);
	/* Timers 0 and 1 to IRQ 0 and IRQ 8; timer 2 keeps its route. */
	assert_int_equal(edges[0][0], 1);
	assert_int_equal(edges[0][8], 1);
	assert_int_equal(edges[1][20] + edges[1][21], 0);
	assert_int_equal(edges[1][22], 1);
}

static void test_32bit_mode(void **state)
{
	(void)state;
	wr(COUNTER, 0xfffffff0ULL);
	wr(CONFIG, ENABLE);
	wr(TCONF(0), T_ENABLE | T_32BIT | T_ROUTE(5));
	wr(TCMP(0), 0x100000010ULL);                /* the low half only */
	assert_int_equal(rd(TCMP(0)), 0x10);
	assert_int_equal(rd(TCONF(0)) & T_32BIT, T_32BIT);
	/* The low 32 bits wrap: 0x20 ticks to go. */
	assert_int_equal(vhpet_next_event_ns(&h), fake_ns + 0x20 * 10);
	run_to(fake_ns + 0x20 * 10);
	assert_int_equal(edges[1][5], 1);
	/* And again 2^32 ticks later. */
	assert_int_equal(vhpet_next_event_ns(&h), fake_ns + (1ULL << 32) * 10);
}

static void test_disable_drops_level(void **state)
{
	(void)state;
	wr(CONFIG, ENABLE);
	wr(TCONF(0), T_ENABLE | T_LEVEL | T_ROUTE(9));
	wr(TCMP(0), 1);
	run_to(fake_ns + 100);
	assert_true(lines[1][9]);
	wr(TCONF(0), T_LEVEL | T_ROUTE(9));         /* interrupts off */
	assert_false(lines[1][9]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_reset_state, setup),
		cmocka_unit_test_setup(test_counter, setup),
		cmocka_unit_test_setup(test_one_shot_edge, setup),
		cmocka_unit_test_setup(test_level_and_status, setup),
		cmocka_unit_test_setup(test_periodic, setup),
		cmocka_unit_test_setup(test_legacy_replacement, setup),
		cmocka_unit_test_setup(test_32bit_mode, setup),
		cmocka_unit_test_setup(test_disable_drops_level, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
