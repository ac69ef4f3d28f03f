/* Unit tests of ACPI S3 on the PC platform (src/dev/platform.c,
 * platform_wake; src/core/vcpu.c, vcpu_sleep): SLP_EN with \_S3's type
 * stops every vCPU, the first sleeps until the RTC alarm (with RTC_EN) or
 * the power button (console input), and wakes where the FACS's waking
 * vector says, with the devices that lose power in S3 reset and the rest
 * kept (ACPI 6.5, 7.4.2.4, 16.1.3 and 5.2.10). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/acpi_build.h>
#include <hv/errno.h>
#include <hv/io.h>
#include <hv/platform.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <hv/vpm.h>

#include "fake_arch.h"

#define NR 2
#define SLEEP (ACPI_GUEST_SLP_TYP_S3 << 10 | 1 << 13)
#define IOAPIC_RTE8 (0x10 + 2 * 8)

static struct vm *vm;

static int setup(void **state)
{
	(void)state;
	fake_tsc_now = 1000;
	vm = fake_vm(1 << 20);
	vm->nr_vcpus = NR;
	for (unsigned k = 1; k < NR; k++)
		vcpu_init_waiting(&vm->vcpus[k], vm, k);
	fake_platform(vm);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static void out(uint16_t port, unsigned size, uint64_t v)
{
	assert_int_equal(io_write(&vm->pio, port, size, v), 0);
}

static uint64_t in(uint16_t port, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(io_read(&vm->pio, port, size, &v), 0);
	return v;
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	out(0x70, 1, reg);
	out(0x71, 1, v);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	assert_int_equal(io_write(&vm->mmio, ACPI_GUEST_IOAPIC_ADDR, 4, reg), 0);
	assert_int_equal(io_write(&vm->mmio, ACPI_GUEST_IOAPIC_ADDR + 0x10, 4, v), 0);
}

static uint32_t ioapic_read(unsigned reg)
{
	uint64_t v;

	assert_int_equal(io_write(&vm->mmio, ACPI_GUEST_IOAPIC_ADDR, 4, reg), 0);
	assert_int_equal(io_read(&vm->mmio, ACPI_GUEST_IOAPIC_ADDR + 0x10, 4, &v), 0);
	return (uint32_t)v;
}

static void set_waking_vectors(uint32_t v, uint64_t x)
{
	uint8_t *facs = fake_ram(vm) + vm->platform->facs;

	assert_memory_equal(facs, "FACS", 4);
	memcpy(facs + 12, &v, 4);
	memcpy(facs + 24, &x, 8);
}

/* The OS's way into S3, as Linux goes: the waking vector, the wake
 * source (RTC_EN and an alarm every second with AIE), SLP_TYP | SLP_EN. */
static void go_to_sleep(void)
{
	set_waking_vectors(0x12345, 0);
	out(VPM_PM1A_EVT_PORT + 2, 2, VPM_STS_RTC);
	cmos_write(0x01, 0xc0);
	cmos_write(0x03, 0xc0);
	cmos_write(0x05, 0xc0);
	cmos_write(0x0b, 0x22);
	out(VPM_PM1A_CNT_PORT, 2, SLEEP | 1);
}

static void test_sleep_stops_every_vcpu(void **state)
{
	(void)state;
	go_to_sleep();
	for (unsigned k = 0; k < NR; k++)
		assert_true(vm->vcpus[k].remote & VCPU_REMOTE_SLEEP);
	assert_false(vcpu_take_remote(&vm->vcpus[0]));
	assert_false(vcpu_take_remote(&vm->vcpus[1]));
	assert_true(vm->vcpus[0].s3);
	assert_false(vm->vcpus[0].wait_sipi);
	assert_true(vm->vcpus[1].wait_sipi);      /* the OS starts it again */
	assert_true(vm->vcpus[0].req & VCPU_REQ_YIELD);
	assert_true(strstr(fake_console(), "asleep in ACPI S3") != NULL);
}

/* Asleep until the RTC alarm: the wake time comes from it; then real mode
 * at 1234:0005 with CR0 as at power-on, WAK_STS and RTC_STS set. */
static void test_rtc_alarm_wakes(void **state)
{
	struct vcpu *v = &vm->vcpus[0];

	(void)state;
	go_to_sleep();
	assert_false(vcpu_take_remote(v));
	assert_false(vcpu_sleep(v, false));
	assert_true(v->s3);
	/* The next second of the RTC, on the host TSC (+1: past it). */
	assert_int_equal(v->wake_tsc, 1000 + FAKE_TSC_HZ + 1);
	fake_tsc_now = v->wake_tsc;
	assert_true(vcpu_sleep(v, false));
	assert_false(v->s3);
	assert_int_equal(v->wake_tsc, 0);
	assert_int_equal(in(VPM_PM1A_EVT_PORT, 2), VPM_STS_WAK | VPM_STS_RTC);
	assert_true(v->arch != NULL);
	assert_true(fake_last_start.real_mode);
	assert_true(fake_last_start.power_on);
	assert_int_equal(fake_last_start.cs_sel, 0x1234);
	assert_int_equal(fake_last_start.rip, 5);
	assert_true(strstr(fake_console(), "woke from S3 (RTC alarm), resuming at the real-mode "
					   "waking vector 0x12345") != NULL);
}

/* The power button (console input) wakes without RTC_EN; the devices
 * that lose power start anew, the 8259s and RTC keep their state. */
static void test_button_wakes_and_devices_reset(void **state)
{
	struct vcpu_start s;
	uint64_t next;

	(void)state;
	ioapic_write(IOAPIC_RTE8, 0x58);                   /* unmasked */
	out(0x21, 1, 0xfa);                                /* OCW1: the IMR */
	cmos_write(0x40, 0x5a);
	set_waking_vectors(0x12345, 0);
	out(VPM_PM1A_CNT_PORT, 2, SLEEP);
	assert_int_equal(platform_wake(vm, false, &s, &next), PLATFORM_ASLEEP);
	assert_int_equal(next, 0);                         /* no alarm armed */
	assert_int_equal(platform_wake(vm, true, &s, &next), 0);
	assert_true(s.real_mode);
	assert_true(s.power_on);
	assert_int_equal(s.cs_sel, 0x1234);
	assert_int_equal(s.rip, 5);
	assert_int_equal(in(VPM_PM1A_EVT_PORT, 2), VPM_STS_WAK | VPM_STS_PWRBTN);
	assert_int_equal(ioapic_read(IOAPIC_RTE8), 1u << 16);
	assert_int_equal(in(0x21, 1), 0xfa);
	out(0x70, 1, 0x40);
	assert_int_equal(in(0x71, 1), 0x5a);
	/* Awake: another wake attempt finds nothing to do. */
	assert_int_equal(platform_wake(vm, true, &s, &next), PLATFORM_ASLEEP);
}

/* X_Firmware_Waking_Vector wins: 32-bit protected mode, flat; no vector
 * at all, or one out of reach, is an error the VM ends with. */
static void test_waking_vectors(void **state)
{
	struct vcpu *v = &vm->vcpus[0];
	struct vcpu_start s;
	uint64_t next;

	(void)state;
	set_waking_vectors(0x12345, 0x200000);
	out(VPM_PM1A_CNT_PORT, 2, SLEEP);
	assert_int_equal(platform_wake(vm, true, &s, &next), 0);
	assert_false(s.real_mode);
	assert_false(s.long_mode);
	assert_int_equal(s.rip, 0x200000);
	set_waking_vectors(0x100000, 0);
	out(VPM_PM1A_CNT_PORT, 2, SLEEP);
	assert_int_equal(platform_wake(vm, true, &s, &next), HV_ERANGE);
	set_waking_vectors(0, 0);
	out(VPM_PM1A_CNT_PORT, 2, SLEEP);
	assert_false(vcpu_take_remote(v));
	assert_false(vcpu_sleep(v, true));
	assert_true(vm_ended(vm));
	assert_string_equal(vm->end_detail, "woke from S3 with no waking vector in the FACS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sleep_stops_every_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rtc_alarm_wakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_button_wakes_and_devices_reset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_waking_vectors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
