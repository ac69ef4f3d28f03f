#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vpm.h>

static uint64_t now_ns;
static int events[2];

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
	events[0] = events[1] = 0;
	vpm_init(pm, 5, &c, on_event, NULL);
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
	vpm_write(&pm, 0x604, 2, 1 << 10 | 1 << 13);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s5_power_off),
		cmocka_unit_test(test_reset_register),
		cmocka_unit_test(test_pm_timer),
		cmocka_unit_test(test_event_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
