#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/io.h>
#include <hv/vmstate.h>
#include <hv/vpit.h>

#include "vms_test.h"

static uint64_t fake_ns;
static int raised;          /* rising edges on IRQ 0 */
static bool line;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_ns;
}

static void set_irq(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	assert_int_equal(irq, 0);
	if (level && !line)
		raised++;
	line = level;
}

static const struct vclock clock = { fake_now, NULL };
static const struct irq_sink sink = { set_irq, NULL };

/* The first ns at which tick k has elapsed at 1193182 Hz (k < 2^32, so
 * k * 1e9 fits in 64 bits: an independent check of the model's split). */
static uint64_t tick_ns(uint64_t k)
{
	return (k * 1000000000ull + VPIT_HZ - 1) / VPIT_HZ;
}

static void outb(struct vpit *p, uint16_t port, uint8_t v)
{
	assert_int_equal(vpit_write(p, port, 1, v), 0);
}

static uint8_t inb(struct vpit *p, uint16_t port)
{
	uint64_t v;

	assert_int_equal(vpit_read(p, port, 1, &v), 0);
	return (uint8_t)v;
}

static uint16_t in16(struct vpit *p, uint16_t port)
{
	uint8_t lo = inb(p, port);

	return (uint16_t)(lo | inb(p, port) << 8);
}

static void setup(struct vpit *p, uint64_t start_ns)
{
	fake_ns = start_ns;
	raised = 0;
	line = false;
	vpit_init(p, &clock, &sink);
}

static void test_idle_until_programmed(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 5000);
	assert_true(vpit_next_event_ns(&p) == VPIT_NO_EVENT);
	fake_ns += 1000000000;
	vpit_tick(&p);
	assert_int_equal(raised, 0);
	assert_int_equal(inb(&p, 0x61) & 0x21, 0);   /* gate 2 low, OUT2 low */
	assert_int_equal(inb(&p, 0x43), 0xff);
}

/* Linux's i8253 clockevent, periodic at HZ = 1000: mode 2, LATCH 1193. */
static void test_mode2_periodic_irq0(void **state)
{
	struct vpit p;
	const uint64_t t0 = 777;

	(void)state;
	setup(&p, t0);
	outb(&p, 0x43, 0x34);
	outb(&p, 0x40, 1193 & 0xff);
	assert_true(vpit_next_event_ns(&p) == VPIT_NO_EVENT);  /* half a count */
	outb(&p, 0x40, 1193 >> 8);
	assert_int_equal(vpit_next_event_ns(&p), t0 + tick_ns(1193));
	assert_int_equal(t0 + tick_ns(1193), t0 + 999848);

	fake_ns = t0 + tick_ns(1193) - 1;
	vpit_tick(&p);
	assert_int_equal(raised, 0);
	fake_ns++;
	vpit_tick(&p);
	assert_int_equal(raised, 1);
	assert_false(line);                         /* a pulse */
	vpit_tick(&p);
	assert_int_equal(raised, 1);                /* once per edge */
	assert_int_equal(vpit_next_event_ns(&p), t0 + tick_ns(2 * 1193));

	fake_ns = t0 + tick_ns(2 * 1193);
	vpit_tick(&p);
	assert_int_equal(raised, 2);

	/* Late by several periods: one pulse, the rest merged. */
	fake_ns = t0 + tick_ns(7 * 1193) + 10;
	vpit_tick(&p);
	assert_int_equal(raised, 3);
	assert_int_equal(p.irq_coalesced, 4);      /* 4, 5, 6, 7 merged into 3 */
	assert_int_equal(vpit_next_event_ns(&p), t0 + tick_ns(8 * 1193));

	/* The counter reloads every period: 1193 - (d % 1193). */
	fake_ns = t0 + tick_ns(8 * 1193 + 100);
	outb(&p, 0x43, 0x00);
	assert_int_equal(in16(&p, 0x40), 1193 - 100);
}

/* A new control word stops channel 0; an edge already due is delivered
 * by the write rather than lost. */
static void test_reprogram_keeps_due_edge(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x43, 0x34);
	outb(&p, 0x40, 100);
	outb(&p, 0x40, 0);
	fake_ns = tick_ns(100) + 5;
	outb(&p, 0x43, 0x34);
	assert_int_equal(raised, 1);
	assert_true(vpit_next_event_ns(&p) == VPIT_NO_EVENT);
}

/* Linux's oneshot clockevent: mode 4, then 0 for comparison. */
static void test_one_shot_modes(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x43, 0x38);
	outb(&p, 0x40, 50);
	outb(&p, 0x40, 0);
	/* Mode 4: OUT strobes low at terminal count, rises one CLK later. */
	assert_int_equal(vpit_next_event_ns(&p), tick_ns(51));
	fake_ns = tick_ns(50);
	outb(&p, 0x43, 0xe2);                       /* status of ch0 */
	assert_int_equal(inb(&p, 0x40), 0x38);      /* OUT low */
	fake_ns = tick_ns(51);
	outb(&p, 0x43, 0xe2);
	assert_int_equal(inb(&p, 0x40), 0x80 | 0x38);
	fake_ns = tick_ns(60);
	vpit_tick(&p);
	assert_int_equal(raised, 1);
	assert_true(vpit_next_event_ns(&p) == VPIT_NO_EVENT);
	fake_ns = tick_ns(70000);
	vpit_tick(&p);
	assert_int_equal(raised, 1);

	/* Mode 0: OUT rises at terminal count and stays high. */
	outb(&p, 0x43, 0x30);
	outb(&p, 0x40, 10);
	outb(&p, 0x40, 0);
	assert_int_equal(vpit_next_event_ns(&p), fake_ns + tick_ns(10));
	fake_ns += tick_ns(10);
	vpit_tick(&p);
	assert_int_equal(raised, 2);
	assert_true(vpit_next_event_ns(&p) == VPIT_NO_EVENT);
}

static void test_mode3_square_wave_on_channel2(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x61, 0x01);                       /* gate 2 high */
	outb(&p, 0x43, 0xb6);                       /* ch2, lo/hi, mode 3 */
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);  /* high before count */
	outb(&p, 0x42, 100);
	outb(&p, 0x42, 0);
	fake_ns = tick_ns(49);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
	fake_ns = tick_ns(50);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	fake_ns = tick_ns(99);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	fake_ns = tick_ns(100);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
	/* Mode 3 counts down by two. */
	fake_ns = tick_ns(110);
	outb(&p, 0x43, 0x80);
	assert_int_equal(in16(&p, 0x42), 80);
	/* Gate low: OUT high, counting stops; rising gate restarts. */
	fake_ns = tick_ns(160);
	outb(&p, 0x61, 0x00);
	assert_int_equal(inb(&p, 0x61) & 0x21, 0x20);
	fake_ns = tick_ns(1000);
	outb(&p, 0x61, 0x01);
	fake_ns = tick_ns(1000 + 49) + 1;
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
	fake_ns = tick_ns(1000 + 50) + 1;
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	/* Channel 2 never raises IRQ 0. */
	vpit_tick(&p);
	assert_int_equal(raised, 0);
}

/* arch/x86/kernel/tsc.c, pit_hpet_ptimer_calibrate_cpu(): gate high,
 * speaker off, channel 2 mode 0 with a 50 ms count, poll OUT2. */
static void test_linux_pit_calibration(void **state)
{
	struct vpit p;
	const uint16_t latch = 1193182 / 20;
	const uint64_t t0 = 123456789;

	(void)state;
	setup(&p, t0);
	outb(&p, 0x61, (uint8_t)((inb(&p, 0x61) & ~0x02) | 0x01));
	outb(&p, 0x43, 0xb0);
	outb(&p, 0x42, latch & 0xff);
	outb(&p, 0x42, latch >> 8);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	fake_ns = t0 + tick_ns(latch) - 1;
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	fake_ns = t0 + tick_ns(latch);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
	assert_int_equal(fake_ns - t0, 49999917);    /* 59659 ticks */
	fake_ns += 1000000;
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);  /* stays high */
}

/* quick_pit_calibrate(): count from 0xffff in mode 0, reading LSB then
 * MSB without a latch and watching the MSB fall. */
static void test_linux_quick_calibration(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 1000);
	outb(&p, 0x61, 0x01);
	outb(&p, 0x43, 0xb0);
	outb(&p, 0x42, 0xff);
	outb(&p, 0x42, 0xff);
	inb(&p, 0x42);
	assert_int_equal(inb(&p, 0x42), 0xff);
	fake_ns = 1000 + tick_ns(256);
	assert_int_equal(in16(&p, 0x42), 0xffff - 256);
	fake_ns = 1000 + tick_ns(0x8000);
	inb(&p, 0x42);
	assert_int_equal(inb(&p, 0x42), 0x7f);
	/* Mode 0 wraps past zero and keeps counting. */
	fake_ns = 1000 + tick_ns(0xffff + 5);
	assert_int_equal(in16(&p, 0x42), 0xfffb);
}

static void test_latch_command(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x43, 0x34);
	outb(&p, 0x40, 0xe8);
	outb(&p, 0x40, 0x03);                       /* 1000 */
	fake_ns = tick_ns(300);
	outb(&p, 0x43, 0x00);                       /* latch channel 0 */
	fake_ns = tick_ns(400);
	outb(&p, 0x43, 0x00);                       /* ignored: not read yet */
	assert_int_equal(inb(&p, 0x40), 700 & 0xff);
	fake_ns = tick_ns(500);
	assert_int_equal(inb(&p, 0x40), 700 >> 8);
	/* Unlatched, the live count again. */
	assert_int_equal(in16(&p, 0x40), 500);
	/* Reads and writes keep separate flip-flops: LSB read, LSB write,
	 * MSB read, MSB write ("Read Operations"). */
	fake_ns = tick_ns(600);
	assert_int_equal(inb(&p, 0x40), 400 & 0xff);
	outb(&p, 0x40, 0x10);
	assert_int_equal(inb(&p, 0x40), 400 >> 8);
	outb(&p, 0x40, 0x00);
	assert_int_equal(vpit_next_event_ns(&p), tick_ns(600) + tick_ns(16));
}

static void test_one_byte_access_modes(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x43, 0x14);                       /* LSB only, mode 2 */
	outb(&p, 0x40, 0x50);
	assert_int_equal(p.ch[0].count, 0x50);
	fake_ns = tick_ns(0x10);
	assert_int_equal(inb(&p, 0x40), 0x40);
	assert_int_equal(inb(&p, 0x40), 0x40);
	outb(&p, 0x43, 0x24);                       /* MSB only */
	outb(&p, 0x40, 0x12);
	assert_int_equal(p.ch[0].count, 0x1200);
	fake_ns += tick_ns(0x100);
	assert_int_equal(inb(&p, 0x40), 0x11);
	/* A count of 0 means 65536. */
	outb(&p, 0x43, 0x34);
	outb(&p, 0x40, 0);
	outb(&p, 0x40, 0);
	assert_int_equal(p.ch[0].count, 0x10000);
	assert_int_equal(in16(&p, 0x40), 0);
}

static void test_read_back(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x43, 0x34);
	outb(&p, 0x40, 0x00);
	outb(&p, 0x40, 0x01);                       /* ch0: 256, mode 2 */
	outb(&p, 0x61, 0x01);
	outb(&p, 0x43, 0xb0);
	/* Status before the count: OUT low (mode 0), null count. */
	outb(&p, 0x43, 0xe8);                       /* status only, ch2 */
	assert_int_equal(inb(&p, 0x42), 0x40 | 0x30);
	outb(&p, 0x42, 20);
	outb(&p, 0x42, 0);
	fake_ns = tick_ns(25);
	outb(&p, 0x43, 0xc8);                       /* count and status */
	assert_int_equal(inb(&p, 0x42), 0x80 | 0x30);  /* status first */
	assert_int_equal(inb(&p, 0x42), (uint8_t)(20 - 25));
	assert_int_equal(inb(&p, 0x42), 0xff);
	/* Count only, several channels at once. */
	fake_ns = tick_ns(35);
	outb(&p, 0x43, 0xda);                       /* counts of ch0 and ch2 */
	fake_ns = tick_ns(45);
	assert_int_equal(in16(&p, 0x40), 256 - 35);
	assert_int_equal(in16(&p, 0x42), (uint16_t)(20 - 35));
}

static void test_gate_pauses_mode0(void **state)
{
	struct vpit p;
	uint64_t t1 = tick_ns(500), t2;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x43, 0xb0);
	outb(&p, 0x42, 100);
	outb(&p, 0x42, 0);                          /* gate low: waits */
	fake_ns = t1;
	assert_int_equal(in16(&p, 0x42), 100);
	outb(&p, 0x61, 0x01);
	fake_ns = t1 + tick_ns(40);
	outb(&p, 0x61, 0x00);
	fake_ns += 1000000;
	assert_int_equal(in16(&p, 0x42), 60);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	t2 = fake_ns;
	outb(&p, 0x61, 0x01);
	fake_ns = t2 + tick_ns(60) - 1;
	assert_int_equal(inb(&p, 0x61) & 0x20, 0);
	fake_ns = t2 + tick_ns(60);
	assert_int_equal(inb(&p, 0x61) & 0x20, 0x20);
}

static void test_port_b(void **state)
{
	struct vpit p;

	(void)state;
	setup(&p, 0);
	outb(&p, 0x61, 0xff);                       /* only bits 0-3 stick */
	assert_int_equal(inb(&p, 0x61) & 0xcf, 0x0f);
	/* Bit 4 toggles with the refresh clock. */
	fake_ns = 15085;
	assert_int_equal(inb(&p, 0x61) & 0x10, 0x10);
	fake_ns = 2 * 15085;
	assert_int_equal(inb(&p, 0x61) & 0x10, 0);
}

static void test_bus(void **state)
{
	struct io_bus bus;
	struct vpit p;
	uint64_t v;

	(void)state;
	setup(&p, 0);
	io_bus_init(&bus);
	assert_int_equal(vpit_attach(&p, &bus), 0);
	assert_int_equal(io_write(&bus, 0x43, 1, 0x34), 0);
	assert_int_equal(io_write(&bus, 0x40, 1, 0x34), 0);
	assert_int_equal(io_write(&bus, 0x40, 1, 0x12), 0);
	assert_int_equal(io_read(&bus, 0x40, 1, &v), 0);
	assert_int_equal(v, 0x34);
	assert_int_equal(io_write(&bus, 0x61, 1, 0x03), 0);
	assert_int_equal(io_read(&bus, 0x61, 1, &v), 0);
	assert_int_equal(v & 0x0f, 0x03);
	assert_int_equal(io_read(&bus, 0x62, 1, &v), HV_ENOENT);
	assert_int_equal(vpit_attach(&p, &bus), HV_EBUSY);
}

/* ---- the state stream ---- */

static int load_bytes(struct vpit *q, const uint8_t *bytes, size_t n)
{
	struct vms_section sec = vms_test_section(VMS_PIT, 0, bytes, n);

	return vpit_load(q, &sec);
}

/* Saved while periodic on channel 0 and square-waving on channel 2 with a
 * latched count on channel 1, loaded into a PIT whose clock has another
 * origin: it goes on as the first would have, within a tick. */
static void test_state_round_trip(void **state)
{
	struct vpit p, q;
	const uint64_t t0 = 777, later = 5000000000ull;
	const uint8_t *payload;
	uint64_t save_t, p_next, q_next;
	uint8_t copy[256];
	size_t n;

	(void)state;
	setup(&p, t0);
	outb(&p, 0x43, 0x34);             /* channel 0: mode 2, 1193 */
	outb(&p, 0x40, 1193 & 0xff);
	outb(&p, 0x40, 1193 >> 8);
	outb(&p, 0x61, 0x01);             /* gate 2 high */
	outb(&p, 0x43, 0xb6);             /* channel 2: mode 3, 100 */
	outb(&p, 0x42, 100);
	outb(&p, 0x42, 0);
	outb(&p, 0x43, 0x74);             /* channel 1: mode 2, 5000, then latched */
	outb(&p, 0x41, 5000 & 0xff);
	outb(&p, 0x41, 5000 >> 8);
	fake_ns = t0 + tick_ns(1193);
	vpit_tick(&p);
	fake_ns = t0 + tick_ns(2 * 1193) + 500;
	vpit_tick(&p);
	assert_int_equal(raised, 2);
	outb(&p, 0x43, 0x40);             /* latch channel 1 */
	save_t = fake_ns;
	p_next = vpit_next_event_ns(&p) - save_t;
	struct vms_out *o = vms_test_out();
	vpit_save(&p, o);
	payload = vms_test_payload(o, &n);
	assert_int_equal(n, 3 * 28 + 9);   /* 8 bytes, a count, ticks and the edge per channel */

	setup(&q, later);
	assert_int_equal(load_bytes(&q, payload, n), 0);
	q_next = vpit_next_event_ns(&q) - later;
	assert_true(q_next <= p_next + 1000 && p_next <= q_next + 1000);
	/* The latched count reads the same; channel 0 counts the same. */
	assert_int_equal(in16(&q, 0x41), in16(&p, 0x41));
	fake_ns = later + 100000;
	outb(&q, 0x43, 0x00);
	uint16_t qc = in16(&q, 0x40);
	fake_ns = save_t + 100000;
	outb(&p, 0x43, 0x00);
	uint16_t pc = in16(&p, 0x40);
	assert_true(qc <= pc + 1 && pc <= qc + 1);
	/* Its next edge raises IRQ 0 as the first's would. */
	raised = 0;
	fake_ns = later + q_next;
	vpit_tick(&q);
	assert_int_equal(raised, 1);

	/* Malformed: each refused, q left as it was. */
	memcpy(copy, payload, n);
	copy[1] = 6;                      /* channel 0 in mode 6 */
	assert_int_equal(load_bytes(&q, copy, n), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[8] = 0x01;                   /* channel 0's count: 0x10001 */
	copy[10] = 0x01;
	assert_int_equal(load_bytes(&q, copy, n), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[6] = 3;                      /* three latched bytes */
	assert_int_equal(load_bytes(&q, copy, n), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[3 * 28] = 0x80;              /* port B bit 7 */
	assert_int_equal(load_bytes(&q, copy, n), HV_EINVAL);
	assert_int_equal(load_bytes(&q, payload, n - 1), HV_EINVAL);       /* short */
	memcpy(copy, payload, n);
	copy[n] = 0;
	assert_int_equal(load_bytes(&q, copy, n + 1), HV_EINVAL);          /* a byte more */
	assert_int_equal(q.ch[0].mode, 2);
	assert_int_equal(q.ch[0].count, 1193);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_until_programmed),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_mode2_periodic_irq0),
		cmocka_unit_test(test_reprogram_keeps_due_edge),
		cmocka_unit_test(test_one_shot_modes),
		cmocka_unit_test(test_mode3_square_wave_on_channel2),
		cmocka_unit_test(test_linux_pit_calibration),
		cmocka_unit_test(test_linux_quick_calibration),
		cmocka_unit_test(test_latch_command),
		cmocka_unit_test(test_one_byte_access_modes),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_gate_pauses_mode0),
		cmocka_unit_test(test_port_b),
		cmocka_unit_test(test_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
