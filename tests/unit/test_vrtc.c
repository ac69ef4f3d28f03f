#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/io.h>
#include <hv/errno.h>
#include <hv/vrtc.h>

#include "vms_test.h"

#define NS 1000000000ull
#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* 2026-11-25 12:34:56 UTC, a Wednesday. */
#define T_2026 1795610096ull
/* 2099-12-31 23:59:59 UTC. */
#define T_2099 4102444799ull
/* 2028-02-28 23:59:59 UTC (2028 is a leap year). */
#define T_2028 1835395199ull
/* 2030-01-02 03:04:05 UTC. */
#define T_2030 1893553445ull

static uint64_t fake_ns;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_ns;
}

static const struct vclock clock = { fake_now, NULL };

static uint8_t cmos_read(struct vrtc *r, uint8_t idx)
{
	uint64_t v;

	assert_int_equal(vrtc_write(r, 0x70, 1, idx), 0);
	assert_int_equal(vrtc_read(r, 0x71, 1, &v), 0);
	return (uint8_t)v;
}

static void cmos_write(struct vrtc *r, uint8_t idx, uint8_t val)
{
	assert_int_equal(vrtc_write(r, 0x70, 1, idx), 0);
	assert_int_equal(vrtc_write(r, 0x71, 1, val), 0);
}

static void setup(struct vrtc *r, uint64_t epoch)
{
	fake_ns = 12345;
	vrtc_init(r, &clock, epoch, 256 * MIB);
}

/* Seconds, minutes, hours, weekday, day, month, year, century. */
static void expect_time(struct vrtc *r, const uint8_t want[8])
{
	static const uint8_t regs[8] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32 };

	for (int i = 0; i < 8; i++)
		assert_int_equal(cmos_read(r, regs[i]), want[i]);
}

static void test_bcd_reset_state(void **state)
{
	struct vrtc r;
	const uint8_t t[8] = { 0x56, 0x34, 0x12, 0x04, 0x25, 0x11, 0x26, 0x20 };

	(void)state;
	setup(&r, T_2026);
	expect_time(&r, t);
	assert_int_equal(cmos_read(&r, 0x0a), 0x26);
	assert_int_equal(cmos_read(&r, 0x0b), 0x02);
	assert_int_equal(cmos_read(&r, 0x0d), 0x80);
	/* Time runs with the clock. */
	fake_ns += 3 * NS + NS / 2;
	assert_int_equal(cmos_read(&r, 0x00), 0x59);
	assert_int_equal(cmos_read(&r, 0x02), 0x34);
	fake_ns += NS;
	assert_int_equal(cmos_read(&r, 0x00), 0x00);
	assert_int_equal(cmos_read(&r, 0x02), 0x35);
}

static void test_binary_and_12_hour(void **state)
{
	struct vrtc r;
	const uint8_t bin[8] = { 56, 34, 12, 4, 25, 11, 26, 20 };

	(void)state;
	setup(&r, T_2026);
	cmos_write(&r, 0x0b, 0x06);                  /* binary, 24 h */
	expect_time(&r, bin);
	cmos_write(&r, 0x0b, 0x04);                  /* binary, 12 h */
	assert_int_equal(cmos_read(&r, 0x04), 0x80 | 12);   /* 12 PM */
	fake_ns += 3600 * NS;
	assert_int_equal(cmos_read(&r, 0x04), 0x80 | 1);
	cmos_write(&r, 0x0b, 0x00);                  /* BCD, 12 h */
	assert_int_equal(cmos_read(&r, 0x04), 0x81);
	fake_ns += 11 * 3600 * NS;                   /* 00:34: 12 AM */
	assert_int_equal(cmos_read(&r, 0x04), 0x12);
	assert_int_equal(cmos_read(&r, 0x07), 0x26);
	assert_int_equal(cmos_read(&r, 0x06), 0x05);   /* Thursday */
}

static void test_date_rollover(void **state)
{
	struct vrtc r;
	const uint8_t before[8] = { 0x59, 0x59, 0x23, 0x05, 0x31, 0x12, 0x99, 0x20 };
	const uint8_t after[8] = { 0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x00, 0x21 };
	const uint8_t leap[8] = { 0x00, 0x00, 0x00, 0x03, 0x29, 0x02, 0x28, 0x20 };
	const uint8_t march[8] = { 0x00, 0x00, 0x00, 0x04, 0x01, 0x03, 0x28, 0x20 };

	(void)state;
	setup(&r, T_2099);
	expect_time(&r, before);
	fake_ns += NS;
	expect_time(&r, after);

	setup(&r, T_2028);
	fake_ns += NS;
	expect_time(&r, leap);
	fake_ns += 86400 * NS;
	expect_time(&r, march);
}

static void test_uip(void **state)
{
	struct vrtc r;

	(void)state;
	setup(&r, T_2026);
	fake_ns += 999700000;
	assert_int_equal(cmos_read(&r, 0x0a), 0x26);
	fake_ns += 100000;                          /* 244 us before the update */
	assert_int_equal(cmos_read(&r, 0x0a), 0xa6);
	assert_int_equal(cmos_read(&r, 0x00), 0x56);   /* not updated yet */
	fake_ns += 200000;
	assert_int_equal(cmos_read(&r, 0x0a), 0x26);
	assert_int_equal(cmos_read(&r, 0x00), 0x57);
	/* Divider and rate bits are writable, UIP is not. */
	cmos_write(&r, 0x0a, 0xaf);
	assert_int_equal(cmos_read(&r, 0x0a), 0x2f);
}

static void test_register_c(void **state)
{
	struct vrtc r;

	(void)state;
	setup(&r, T_2026);
	assert_int_equal(cmos_read(&r, 0x0c), 0x00);
	fake_ns += NS + NS / 2;
	assert_int_equal(cmos_read(&r, 0x0c), 0x10);   /* UF */
	assert_int_equal(cmos_read(&r, 0x0c), 0x00);   /* cleared by the read */
	fake_ns += NS / 4;
	assert_int_equal(cmos_read(&r, 0x0c), 0x00);   /* same second */
	cmos_write(&r, 0x0b, 0x12);                  /* UIE */
	fake_ns += NS;
	assert_int_equal(cmos_read(&r, 0x0c), 0x90);   /* IRQF | UF */
	cmos_write(&r, 0x0c, 0xff);                  /* read-only */
	cmos_write(&r, 0x0d, 0x00);
	assert_int_equal(cmos_read(&r, 0x0c), 0x00);
	assert_int_equal(cmos_read(&r, 0x0d), 0x80);
	/* SET clears UIE. */
	cmos_write(&r, 0x0b, 0x92);
	assert_int_equal(cmos_read(&r, 0x0b), 0x82);
}

/* drivers/rtc/rtc-mc146818-lib.c, mc146818_set_time(): SET, the fields
 * in the current format, then B without SET. */
static void test_set_time(void **state)
{
	struct vrtc r;
	const uint8_t set[8] = { 0x05, 0x04, 0x03, 0x04, 0x02, 0x01, 0x30, 0x20 };
	const uint8_t later[8] = { 0x07, 0x04, 0x03, 0x04, 0x02, 0x01, 0x30, 0x20 };

	(void)state;
	setup(&r, T_2026);
	fake_ns += NS / 3;
	cmos_write(&r, 0x0b, 0x82);
	assert_int_equal(cmos_read(&r, 0x00), 0x56);   /* frozen as it was */
	cmos_write(&r, 0x09, 0x30);
	cmos_write(&r, 0x08, 0x01);
	cmos_write(&r, 0x07, 0x02);
	cmos_write(&r, 0x04, 0x03);
	cmos_write(&r, 0x02, 0x04);
	cmos_write(&r, 0x00, 0x05);
	cmos_write(&r, 0x32, 0x20);
	cmos_write(&r, 0x06, 0x04);
	fake_ns += 5 * NS;                           /* stopped while SET */
	expect_time(&r, set);
	assert_int_equal(cmos_read(&r, 0x0a) & 0x80, 0);
	assert_int_equal(cmos_read(&r, 0x0c), 0x00);
	cmos_write(&r, 0x0b, 0x02);
	assert_int_equal(r.base_sec, T_2030);
	fake_ns += 2 * NS + NS / 2;
	expect_time(&r, later);
}

static void test_set_time_binary(void **state)
{
	struct vrtc r;

	(void)state;
	setup(&r, T_2026);
	cmos_write(&r, 0x0b, 0x86);                  /* SET, binary, 24 h */
	cmos_write(&r, 0x00, 5);
	cmos_write(&r, 0x02, 4);
	cmos_write(&r, 0x04, 3);
	cmos_write(&r, 0x07, 2);
	cmos_write(&r, 0x08, 1);
	cmos_write(&r, 0x09, 30);
	cmos_write(&r, 0x32, 20);
	cmos_write(&r, 0x0b, 0x06);
	assert_int_equal(r.base_sec, T_2030);
	cmos_write(&r, 0x0b, 0x02);
	assert_int_equal(cmos_read(&r, 0x09), 0x30);
}

static void test_write_while_running(void **state)
{
	struct vrtc r;

	(void)state;
	setup(&r, T_2026);
	fake_ns += NS / 2;
	cmos_write(&r, 0x02, 0x40);                  /* minutes := 40 */
	assert_int_equal(cmos_read(&r, 0x02), 0x40);
	assert_int_equal(cmos_read(&r, 0x00), 0x56);
	assert_int_equal(r.base_sec, T_2026 + 6 * 60);
	fake_ns += NS / 2;                           /* the phase is kept */
	assert_int_equal(cmos_read(&r, 0x00), 0x57);
}

static void test_cmos_memory(void **state)
{
	struct vrtc r;

	(void)state;
	fake_ns = 0;
	vrtc_init(&r, &clock, T_2026, 512 * MIB);
	assert_int_equal(cmos_read(&r, 0x15), 0x80);   /* 640 KiB */
	assert_int_equal(cmos_read(&r, 0x16), 0x02);
	assert_int_equal(cmos_read(&r, 0x17), 0xff);   /* 511 MiB: saturated */
	assert_int_equal(cmos_read(&r, 0x18), 0xff);
	assert_int_equal(cmos_read(&r, 0x30), 0xff);
	assert_int_equal(cmos_read(&r, 0x31), 0xff);
	assert_int_equal(cmos_read(&r, 0x34), 0x00);   /* 496 MiB / 64 KiB */
	assert_int_equal(cmos_read(&r, 0x35), 0x1f);
	assert_int_equal(cmos_read(&r, 0x5b), 0x00);

	vrtc_init(&r, &clock, T_2026, 15 * MIB);
	assert_int_equal(cmos_read(&r, 0x17), 0x00);   /* 14 MiB = 0x3800 KiB */
	assert_int_equal(cmos_read(&r, 0x18), 0x38);
	assert_int_equal(cmos_read(&r, 0x34), 0x00);
	assert_int_equal(cmos_read(&r, 0x35), 0x00);

	vrtc_init(&r, &clock, T_2026, 6 * GIB);
	assert_int_equal(cmos_read(&r, 0x34), 0x00);   /* 4 GiB - 16 MiB */
	assert_int_equal(cmos_read(&r, 0x35), 0xff);
	assert_int_equal(cmos_read(&r, 0x5b), 0x00);   /* 2 GiB / 64 KiB */
	assert_int_equal(cmos_read(&r, 0x5c), 0x80);
	assert_int_equal(cmos_read(&r, 0x5d), 0x00);

	/* Plain RAM; index bit 7 (NMI mask) does not change the register. */
	cmos_write(&r, 0x40, 0xa5);
	cmos_write(&r, 0x7f, 0x5a);
	assert_int_equal(cmos_read(&r, 0x40), 0xa5);
	assert_int_equal(cmos_read(&r, 0xc0), 0xa5);
	assert_int_equal(cmos_read(&r, 0x7f), 0x5a);
	/* Alarm bytes are stored. */
	cmos_write(&r, 0x01, 0x30);
	assert_int_equal(cmos_read(&r, 0x01), 0x30);
}

static void test_regs_to_epoch(void **state)
{
	uint8_t c[0x33] = { 0 };

	(void)state;
	c[0x00] = 0x56; c[0x02] = 0x34; c[0x04] = 0x12;
	c[0x07] = 0x25; c[0x08] = 0x11; c[0x09] = 0x26; c[0x32] = 0x20;
	c[0x0b] = 0x02;
	assert_int_equal(vrtc_regs_to_epoch(c), T_2026);
	/* Binary, 12-hour: 3:04:05 AM. */
	c[0x00] = 5; c[0x02] = 4; c[0x04] = 3;
	c[0x07] = 2; c[0x08] = 1; c[0x09] = 30; c[0x32] = 20;
	c[0x0b] = 0x04;
	assert_int_equal(vrtc_regs_to_epoch(c), T_2030);
	c[0x04] = 0x80 | 3;                          /* 3 PM */
	assert_int_equal(vrtc_regs_to_epoch(c), T_2030 + 12 * 3600);
	c[0x04] = 12;                                /* 12 AM: midnight */
	assert_int_equal(vrtc_regs_to_epoch(c), T_2030 - 3 * 3600);
	c[0x0b] = 0x06;
	c[0x04] = 3;
	c[0x09] = 70; c[0x32] = 19; c[0x08] = 1; c[0x07] = 1;
	c[0x00] = c[0x02] = c[0x04] = 0;
	assert_int_equal(vrtc_regs_to_epoch(c), 0);
}

/* Every rendering parses back to the same time: 1970 to 2199, in steps
 * that visit all weekdays, months and leap days, in both data modes. */
static void test_calendar_round_trip(void **state)
{
	static const uint8_t regs[8] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32 };
	struct vrtc r;
	uint8_t c[0x33];

	(void)state;
	for (uint64_t t = 0; t < 7258118400ull; t += 5 * 86400 + 3607) {
		setup(&r, t);
		cmos_write(&r, 0x0b, t & 1 ? 0x06 : 0x02);
		for (int i = 0; i < 8; i++)
			c[regs[i]] = cmos_read(&r, regs[i]);
		c[0x0b] = t & 1 ? 0x06 : 0x02;
		assert_int_equal(vrtc_regs_to_epoch(c), t);
		/* Weekday: 1970-01-01 (day 0) was a Thursday (5). */
		assert_int_equal(c[0x06] & 0x0f, (t / 86400 + 4) % 7 + 1);
	}
}

/* The alarm's IRQ line as the platform sees it. */
static int irq_level = -1, irq_changes;

static void fake_irq(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	assert_int_equal(irq, 8);
	irq_level = level;
	irq_changes++;
}

static const struct irq_sink irq8 = { fake_irq, NULL };

static void setup_alarm(struct vrtc *r, uint8_t sec, uint8_t min, uint8_t hour)
{
	setup(r, T_2026);                    /* 12:34:56, BCD, 24-hour */
	irq_level = -1;
	irq_changes = 0;
	vrtc_set_irq(r, &irq8, 8);
	cmos_write(r, 0x01, sec);
	cmos_write(r, 0x03, min);
	cmos_write(r, 0x05, hour);
}

/* "Alarm": AF at the update into the matching second, cleared by reading
 * register C; no interrupt without AIE. */
static void test_alarm_flag(void **state)
{
	struct vrtc r;

	(void)state;
	setup_alarm(&r, 0x58, 0x34, 0x12);
	assert_int_equal(vrtc_next_event_ns(&r), UINT64_MAX);   /* AIE clear */
	fake_ns += NS + NS / 2;                                 /* 12:34:57.5 */
	assert_int_equal(cmos_read(&r, 0x0c), 0x10);
	fake_ns += NS / 2;                                      /* 12:34:58.0 */
	assert_int_equal(cmos_read(&r, 0x0c), 0x30);            /* AF | UF */
	assert_int_equal(cmos_read(&r, 0x0c), 0x00);
	/* Matched once a day: not again the next second. */
	fake_ns += NS;
	assert_int_equal(cmos_read(&r, 0x0c), 0x10);
	assert_int_equal(irq_changes, 0);
}

/* With AIE: IRQF and IRQ 8 from the alarm's update until register C is
 * read; the platform learns when to look (vrtc_next_event_ns). */
static void test_alarm_interrupt(void **state)
{
	struct vrtc r;

	(void)state;
	setup_alarm(&r, 0x58, 0x34, 0x12);
	cmos_write(&r, 0x0b, 0x22);                             /* AIE, 24-hour */
	assert_int_equal(vrtc_next_event_ns(&r), 12345 + 2 * NS);
	fake_ns = 12345 + 2 * NS - 1;
	vrtc_tick(&r);
	assert_int_equal(irq_changes, 0);
	fake_ns++;
	vrtc_tick(&r);
	assert_int_equal(irq_level, 1);
	assert_int_equal(vrtc_next_event_ns(&r), UINT64_MAX);   /* raised already */
	fake_ns += NS / 2;
	assert_int_equal(cmos_read(&r, 0x0c), 0xb0);            /* IRQF | AF | UF */
	assert_int_equal(irq_level, 0);
	assert_int_equal(irq_changes, 2);
	/* Tomorrow at the same time. */
	assert_int_equal(vrtc_next_event_ns(&r), 12345 + 2 * NS + 86400 * NS);
}

/* A byte of 0xc0-0xff matches any value; an impossible value never. */
static void test_alarm_dont_care(void **state)
{
	struct vrtc r;

	(void)state;
	setup_alarm(&r, 0x00, 0xc0, 0xff);                      /* every minute */
	cmos_write(&r, 0x0b, 0x22);
	assert_int_equal(vrtc_next_event_ns(&r), 12345 + 4 * NS);  /* 12:35:00 */
	cmos_write(&r, 0x01, 0xc0);                             /* every second */
	assert_int_equal(vrtc_next_event_ns(&r), 12345 + NS);
	cmos_write(&r, 0x03, 0x75);                             /* minute 75 */
	assert_int_equal(vrtc_next_event_ns(&r), UINT64_MAX);
	/* 12-hour mode: 1 PM is hour 13. */
	setup_alarm(&r, 0x00, 0x00, 0x81);
	cmos_write(&r, 0x0b, 0x20);                             /* AIE, 12-hour */
	assert_int_equal(vrtc_next_event_ns(&r), 12345 + (25 * 60 + 4) * NS);
}

/* AIE set while AF is pending raises the interrupt at once; SET stops
 * the clock and with it the alarm. */
static void test_alarm_pending_and_set(void **state)
{
	struct vrtc r;

	(void)state;
	setup_alarm(&r, 0xc0, 0xc0, 0xc0);
	fake_ns += NS;
	cmos_write(&r, 0x0b, 0x22);
	assert_int_equal(irq_level, 1);
	assert_int_equal(cmos_read(&r, 0x0c), 0xb0);
	cmos_write(&r, 0x0b, 0xa2);                             /* SET */
	assert_int_equal(vrtc_next_event_ns(&r), UINT64_MAX);
	fake_ns += 5 * NS;
	assert_int_equal(cmos_read(&r, 0x0c) & 0x20, 0);
	cmos_write(&r, 0x0b, 0x22);
	assert_int_equal(vrtc_next_event_ns(&r), fake_ns + NS);
}

static void test_bus(void **state)
{
	struct io_bus bus;
	struct vrtc r;
	uint64_t v;

	(void)state;
	setup(&r, T_2026);
	io_bus_init(&bus);
	assert_int_equal(vrtc_attach(&r, &bus), 0);
	/* A word write selects and writes in one go. */
	assert_int_equal(io_write(&bus, 0x70, 2, 0xab45), 0);
	assert_int_equal(io_write(&bus, 0x70, 1, 0x45), 0);
	assert_int_equal(io_read(&bus, 0x71, 1, &v), 0);
	assert_int_equal(v, 0xab);
	assert_int_equal(io_read(&bus, 0x70, 1, &v), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(io_read(&bus, 0x72, 1, &v), HV_ENOENT);
}

/* Saved half a second before its AIE alarm, loaded into an RTC whose
 * clock has another origin: the time of day goes on from 12:34:57.5,
 * the alarm comes half a second later, the CMOS bytes are kept. */
static void test_state_round_trip(void **state)
{
	struct vrtc r, q;
	struct vms_out *o;
	struct vms_section sec;
	const uint8_t *payload;
	uint8_t copy[256];
	size_t n;

	(void)state;
	setup_alarm(&r, 0x58, 0x34, 0x12);
	cmos_write(&r, 0x0b, 0x22);                             /* AIE, 24-hour */
	cmos_write(&r, 0x40, 0xa5);                             /* CMOS RAM */
	fake_ns += NS + NS / 2;                                 /* 12:34:57.5 */
	o = vms_test_out();
	vrtc_save(&r, o);
	payload = vms_test_payload(o, &n);
	assert_int_equal(n, 1 + 128 + 4 * 8 + 2);

	fake_ns = 777 * NS;
	vrtc_init(&q, &clock, T_2028, 64 * MIB);
	vrtc_set_irq(&q, &irq8, 8);
	sec = vms_test_section(VMS_RTC, 0, payload, n);
	assert_int_equal(vrtc_load(&q, &sec), 0);
	assert_int_equal(cmos_read(&q, 0x40), 0xa5);
	assert_int_equal(cmos_read(&q, 0x00), 0x57);            /* 12:34:57 */
	assert_int_equal(cmos_read(&q, 0x04), 0x12);
	assert_int_equal(vrtc_next_event_ns(&q), 777 * NS + NS / 2);
	fake_ns = 777 * NS + NS / 2;
	vrtc_tick(&q);
	assert_int_equal(irq_level, 1);
	assert_int_equal(cmos_read(&q, 0x00), 0x58);

	/* Saved with IRQ 8 up: loaded, it is up. */
	o = vms_test_out();
	vrtc_save(&q, o);
	payload = vms_test_payload(o, &n);
	irq_level = -1;
	vrtc_init(&r, &clock, T_2026, 64 * MIB);
	vrtc_set_irq(&r, &irq8, 8);
	sec = vms_test_section(VMS_RTC, 0, payload, n);
	assert_int_equal(vrtc_load(&r, &sec), 0);
	assert_int_equal(irq_level, 1);
	assert_int_equal(cmos_read(&r, 0x0c), 0xa0);            /* IRQF | AF: released */
	assert_int_equal(irq_level, 0);

	/* Malformed: refused. */
	memcpy(copy, payload, n);
	copy[0] = 0x80;                                         /* index 128 */
	sec = vms_test_section(VMS_RTC, 0, copy, n);
	assert_int_equal(vrtc_load(&r, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[1 + 128 + 8 + 3] = 0x40;                           /* 1.07 s into a second */
	sec = vms_test_section(VMS_RTC, 0, copy, n);
	assert_int_equal(vrtc_load(&r, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[n - 2] = 0x40;                                     /* PF: not kept */
	sec = vms_test_section(VMS_RTC, 0, copy, n);
	assert_int_equal(vrtc_load(&r, &sec), HV_EINVAL);
	sec = vms_test_section(VMS_RTC, 0, payload, n - 1);
	assert_int_equal(vrtc_load(&r, &sec), HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_bcd_reset_state),
		cmocka_unit_test(test_binary_and_12_hour),
		cmocka_unit_test(test_date_rollover),
		cmocka_unit_test(test_uip),
		cmocka_unit_test(test_register_c),
		cmocka_unit_test(test_set_time),
		cmocka_unit_test(test_set_time_binary),
		cmocka_unit_test(test_write_while_running),
		cmocka_unit_test(test_cmos_memory),
		cmocka_unit_test(test_regs_to_epoch),
		cmocka_unit_test(test_calendar_round_trip),
		cmocka_unit_test(test_alarm_flag),
		cmocka_unit_test(test_alarm_interrupt),
		cmocka_unit_test(test_alarm_dont_care),
		cmocka_unit_test(test_alarm_pending_and_set),
		cmocka_unit_test(test_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
