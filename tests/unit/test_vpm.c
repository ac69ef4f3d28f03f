#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vpm.h>

static uint64_t now_ns;
static int events[3];
static int sci_level = -1, sci_changes;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now_ns;
}

static void on_event(void *ctx, enum vpm_event ev)
{
	(void)ctx;
	events[ev]++;
}

static void setup(struct vpm *pm)
{
	struct vclock c = { fake_now, NULL };

	now_ns = 0;
	events[0] = events[1] = events[2] = 0;
	vpm_init(pm, 1, 5, &c, on_event, NULL);
}

static void fake_sci(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	assert_int_equal(irq, 9);
	sci_level = level;
	sci_changes++;
}

static void test_s5_power_off(void **state)
{
	struct vpm pm;
	uint64_t v;

	(void)state;
	setup(&pm);
	vpm_read(&pm, 0x604, 2, &v);
	assert_int_equal(v & 1, 1); /* SCI_EN: ACPI mode */
	/* Linux writes SLP_TYP first, then SLP_TYP | SLP_EN. */
	vpm_write(&pm, 0x604, 2, 5 << 10 | 1);
	assert_int_equal(events[VPM_POWER_OFF], 0);
	vpm_write(&pm, 0x604, 2, 5 << 10 | 1 << 13 | 1);
	assert_int_equal(events[VPM_POWER_OFF], 1);
	/* SLP_EN reads back as 0. */
	vpm_read(&pm, 0x604, 2, &v);
	assert_int_equal(v & (1 << 13), 0);
	/* Another sleep type does nothing. */
	vpm_write(&pm, 0x604, 2, 2 << 10 | 1 << 13);
	assert_int_equal(events[VPM_POWER_OFF], 1);
}

static void test_reset_register(void **state)
{
	struct vpm pm;

	(void)state;
	setup(&pm);
	vpm_write(&pm, 0xcf9, 1, 0x02);
	assert_int_equal(events[VPM_RESET], 0);
	vpm_write(&pm, 0xcf9, 1, 0x06);
	assert_int_equal(events[VPM_RESET], 1);
}

static void test_pm_timer(void **state)
{
	struct vpm pm;
	uint64_t v;

	(void)state;
	setup(&pm);
	vpm_read(&pm, 0x608, 4, &v);
	assert_int_equal(v, 0);
	now_ns = 1000000000ULL;   /* 1 s */
	vpm_read(&pm, 0x608, 4, &v);
	assert_int_equal(v, 3579545);
	now_ns = 10ULL * 1000000000ULL + 500000000ULL;   /* 10.5 s: wraps 24 bits */
	vpm_read(&pm, 0x608, 4, &v);
	assert_int_equal(v, (35795450ULL + 1789772ULL) & 0xffffff);
}

static void test_event_block(void **state)
{
	struct vpm pm;
	uint64_t v;

	(void)state;
	setup(&pm);
	vpm_write(&pm, 0x602, 2, 0x0121);
	vpm_read(&pm, 0x600, 4, &v);
	assert_int_equal(v, 0x01210000);
	vpm_read(&pm, 0x602, 2, &v);
	assert_int_equal(v, 0x0121);
	pm.pm1_status = 0x8001;
	vpm_write(&pm, 0x600, 2, 0x0001); /* write-1-to-clear */
	vpm_read(&pm, 0x600, 2, &v);
	assert_int_equal(v, 0x8000);
}

static uint16_t pm1_status(struct vpm *pm)
{
	uint64_t v;

	vpm_read(pm, 0x600, 2, &v);
	return (uint16_t)v;
}

/* S3: SLP_EN with \_S3's type sleeps once; only a wake event ends it
 * (the power button always, the RTC alarm with RTC_EN), setting WAK_STS,
 * which software clears by writing 1. */
static void test_s3_sleep_and_wake(void **state)
{
	struct vpm pm;

	(void)state;
	setup(&pm);
	assert_false(vpm_wake(&pm));                       /* not asleep */
	vpm_write(&pm, 0x604, 2, 1 << 10 | 1 << 13 | 1);
	assert_int_equal(events[VPM_SLEEP], 1);
	assert_true(pm.sleeping);
	vpm_write(&pm, 0x604, 2, 1 << 10 | 1 << 13 | 1);   /* asleep: nothing */
	assert_int_equal(events[VPM_SLEEP], 1);
	vpm_status(&pm, VPM_STS_RTC);                      /* RTC_EN clear */
	assert_false(vpm_wake(&pm));
	vpm_write(&pm, 0x602, 2, VPM_STS_RTC);             /* RTC_EN */
	assert_true(vpm_wake(&pm));
	assert_false(pm.sleeping);
	assert_int_equal(pm1_status(&pm), VPM_STS_WAK | VPM_STS_RTC);
	vpm_write(&pm, 0x600, 2, VPM_STS_WAK | VPM_STS_RTC);
	assert_int_equal(pm1_status(&pm), 0);
	/* The power button wakes whatever PWRBTN_EN says. */
	vpm_write(&pm, 0x604, 2, 1 << 10 | 1 << 13);
	assert_false(vpm_wake(&pm));
	vpm_status(&pm, VPM_STS_PWRBTN);
	assert_true(vpm_wake(&pm));
	assert_int_equal(pm1_status(&pm), VPM_STS_WAK | VPM_STS_PWRBTN);
	assert_int_equal(events[VPM_POWER_OFF], 0);
}

/* The SCI: level, while an enabled fixed event's status is set, not
 * while asleep. */
static void test_sci(void **state)
{
	struct irq_sink sink = { fake_sci, NULL };
	struct vpm pm;

	(void)state;
	setup(&pm);
	sci_level = -1;
	sci_changes = 0;
	vpm_set_sci(&pm, &sink, 9);
	vpm_status(&pm, VPM_STS_PWRBTN);
	assert_int_equal(sci_changes, 0);                  /* PWRBTN_EN clear */
	vpm_write(&pm, 0x602, 2, VPM_STS_PWRBTN);
	assert_int_equal(sci_level, 1);
	vpm_write(&pm, 0x600, 2, VPM_STS_PWRBTN);          /* handled */
	assert_int_equal(sci_level, 0);
	vpm_write(&pm, 0x602, 2, VPM_STS_PWRBTN | VPM_STS_RTC);
	vpm_write(&pm, 0x604, 2, 1 << 10 | 1 << 13);
	vpm_status(&pm, VPM_STS_RTC);
	assert_int_equal(sci_level, 0);                    /* asleep */
	assert_true(vpm_wake(&pm));
	assert_int_equal(sci_level, 1);                    /* awake: RTC_STS */
	assert_int_equal(sci_changes, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s5_power_off),
		cmocka_unit_test(test_reset_register),
		cmocka_unit_test(test_s3_sleep_and_wake),
		cmocka_unit_test(test_sci),
		cmocka_unit_test(test_pm_timer),
		cmocka_unit_test(test_event_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
