/* src/emul/mtrr.c: the values a guest's MTRRs start with, and which
 * writes the CPU refuses (SDM Vol. 3A 13.11; the expected values are
 * what bare Bochs showed the equivalence guest tests/equiv/msr.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/mtrr.h>

#define MAXPHY 40

static uint64_t rd(const struct mtrr_state *m, uint32_t msr)
{
	uint64_t v = 0xdead;

	assert_int_equal(mtrr_read(m, msr, MAXPHY, &v), 0);
	return v;
}

static void test_bios_defaults(void **state)
{
	struct mtrr_state m = { 0 };

	(void)state;
	assert_int_equal(rd(&m, MSR_IA32_MTRRCAP), 0x508);
	assert_int_equal(rd(&m, MSR_IA32_MTRR_DEF_TYPE), 0xc06);
	assert_int_equal(rd(&m, 0x200), 0xc0000000);
	assert_int_equal(rd(&m, 0x201), 0xffc0000800);
	assert_int_equal(rd(&m, 0x20e), 0);
	assert_int_equal(rd(&m, 0x250), 0x0606060606060606);
	assert_int_equal(rd(&m, 0x258), 0x0606060606060606);
	assert_int_equal(rd(&m, 0x259), 0);
	assert_int_equal(rd(&m, 0x26f), 0);
}

static void test_not_mtrrs(void **state)
{
	struct mtrr_state m = { 0 };
	uint64_t v;

	(void)state;
	assert_int_equal(mtrr_read(&m, 0x210, MAXPHY, &v), HV_ENOENT);  /* past PHYSMASK7 */
	assert_int_equal(mtrr_read(&m, 0x251, MAXPHY, &v), HV_ENOENT);
	assert_int_equal(mtrr_write(&m, 0x277, MAXPHY, 0), HV_ENOENT);  /* PAT: msr.c's */
	assert_false(m.set);
}

static void test_writes(void **state)
{
	struct mtrr_state m = { 0 };

	(void)state;
	assert_int_equal(mtrr_write(&m, MSR_IA32_MTRRCAP, MAXPHY, 0x508), -1);
	assert_int_equal(mtrr_write(&m, 0x200, MAXPHY, 6), 0);
	assert_int_equal(rd(&m, 0x200), 6);
	/* The other registers keep the BIOS's values after the first write. */
	assert_int_equal(rd(&m, MSR_IA32_MTRR_DEF_TYPE), 0xc06);
	assert_int_equal(rd(&m, 0x201), 0xffc0000800);
	assert_int_equal(mtrr_write(&m, 0x200, MAXPHY, 2), -1);              /* type 2 */
	assert_int_equal(mtrr_write(&m, 0x200, MAXPHY, 1ULL << 52 | 6), -1); /* above MAXPHYADDR */
	assert_int_equal(mtrr_write(&m, 0x200, MAXPHY, 0x106), -1);          /* bit 8 */
	assert_int_equal(mtrr_write(&m, 0x201, MAXPHY, 0xff0000800), 0);
	assert_int_equal(mtrr_write(&m, 0x201, MAXPHY, 0xff0000801), -1);    /* bit 0 */
	assert_int_equal(mtrr_write(&m, 0x201, 36, 0xff00000800), -1);       /* bits 36-39 */
	assert_int_equal(mtrr_write(&m, 0x250, MAXPHY, 0x0202020202020202), -1);
	assert_int_equal(mtrr_write(&m, 0x268, MAXPHY, 0x0808080808080808), -1);
	assert_int_equal(mtrr_write(&m, 0x268, MAXPHY, 0x0504010006050401), 0);
	assert_int_equal(rd(&m, 0x268), 0x0504010006050401);
	assert_int_equal(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, MAXPHY, 0xc02), -1);
	assert_int_equal(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, MAXPHY, 0x1c06), -1);
	assert_int_equal(mtrr_write(&m, MSR_IA32_MTRR_DEF_TYPE, MAXPHY, 0x806), 0);
	assert_int_equal(rd(&m, MSR_IA32_MTRR_DEF_TYPE), 0x806);
	assert_int_equal(rd(&m, 0x200), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bios_defaults),
		cmocka_unit_test(test_not_mtrrs),
		cmocka_unit_test(test_writes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
