#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arch/vmcs.h>

static uint32_t vectoring(uint32_t type, uint32_t vector, bool error)
{
	return INTR_INFO_VALID | (type << 8) | vector | (error ? INTR_INFO_ERROR_CODE : 0);
}

static void test_nothing_to_reinject(void **state)
{
	uint32_t len = 99;

	(void)state;
	assert_int_equal(vmx_reinjection_info(0, 3, &len), 0);
	assert_int_equal(len, 0);
	/* Bits without the valid bit mean nothing. */
	assert_int_equal(vmx_reinjection_info(0x30e, 3, &len), 0);
}

static void test_hardware_events(void **state)
{
	uint32_t len = 99;
	uint32_t pf = vectoring(INTR_TYPE_HW_EXCEPTION, 14, true);

	(void)state;
	/* A #PF whose delivery hit an EPT violation: again, error code too. */
	assert_int_equal(vmx_reinjection_info(pf, 3, &len), pf);
	assert_int_equal(len, 0);
	/* An external interrupt and an NMI need no instruction length. */
	assert_int_equal(vmx_reinjection_info(vectoring(INTR_TYPE_EXT_INTERRUPT, 0x30, false), 2, &len),
			 vectoring(INTR_TYPE_EXT_INTERRUPT, 0x30, false));
	assert_int_equal(len, 0);
	assert_int_equal(vmx_reinjection_info(vectoring(INTR_TYPE_NMI, 2, false), 2, &len),
			 vectoring(INTR_TYPE_NMI, 2, false));
	assert_int_equal(len, 0);
}

static void test_software_events_keep_their_length(void **state)
{
	uint32_t len = 0;

	(void)state;
	/* INT 0x80 (2 bytes), INT3 (1), INT1 (1). */
	assert_int_equal(vmx_reinjection_info(vectoring(INTR_TYPE_SW_INTERRUPT, 0x80, false), 2, &len),
			 vectoring(INTR_TYPE_SW_INTERRUPT, 0x80, false));
	assert_int_equal(len, 2);
	vmx_reinjection_info(vectoring(INTR_TYPE_SW_EXCEPTION, 3, false), 1, &len);
	assert_int_equal(len, 1);
	vmx_reinjection_info(vectoring(INTR_TYPE_PRIV_SW_EXCEPTION, 1, false), 1, &len);
	assert_int_equal(len, 1);
}

static void test_bit_12_dropped(void **state)
{
	uint32_t len;
	uint32_t info = vectoring(INTR_TYPE_HW_EXCEPTION, 13, true);

	(void)state;
	/* Undefined in IDT-vectoring information, reserved on VM entry. */
	assert_int_equal(vmx_reinjection_info(info | INTR_INFO_NMI_UNBLOCKING, 3, &len), info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_to_reinject),
		cmocka_unit_test(test_hardware_events),
		cmocka_unit_test(test_software_events_keep_their_length),
		cmocka_unit_test(test_bit_12_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
