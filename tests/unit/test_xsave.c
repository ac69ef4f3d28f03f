#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/xsave.h>

/* CPUID.(0DH, i) of a Skylake-SP (and Bochs's corei7_skylake_x): AVX,
 * MPX, AVX-512 opmask/ZMM_Hi256/Hi16_ZMM, PKRU. */
static const struct xsave_component skylake[XSAVE_COMPONENTS] = {
	[2] = { 256, 576, false },  [3] = { 64, 960, false },   [4] = { 64, 1024, false },
	[5] = { 64, 1088, false },  [6] = { 512, 1152, false }, [7] = { 1024, 1664, false },
	[9] = { 8, 2688, false },
};

static void get(void *ctx, unsigned i, struct xsave_component *c)
{
	const struct xsave_component *table = ctx;

	*c = table[i];
}

static void test_legacy_only(void **state)
{
	(void)state;
	/* x87 and SSE live in the legacy area: 512 + the 64-byte header. */
	assert_int_equal(xsave_standard_size(0x3, get, (void *)skylake), 576);
	assert_int_equal(xsave_compacted_size(0x3, get, (void *)skylake), 576);
}

static void test_standard_is_the_furthest_end(void **state)
{
	(void)state;
	assert_int_equal(xsave_standard_size(0x7, get, (void *)skylake), 832);
	/* Linux's XCR0 on Skylake-X: x87, SSE, AVX, AVX-512. */
	assert_int_equal(xsave_standard_size(0xe7, get, (void *)skylake), 2688);
	assert_int_equal(xsave_standard_size(0x2e7, get, (void *)skylake), 2696);
	/* A hole (no MPX) does not shrink the standard format. */
	assert_int_equal(xsave_standard_size(0x87, get, (void *)skylake), 2688);
}

static void test_compacted_packs_components(void **state)
{
	(void)state;
	/* 576 + 256 + 64 + 512 + 1024: what Linux computes for XSAVEC and
	 * compares with CPUID.(0DH,1).EBX ("XSAVE consistency problem"). */
	assert_int_equal(xsave_compacted_size(0xe7, get, (void *)skylake), 2432);
	assert_int_equal(xsave_compacted_size(0x2e7, get, (void *)skylake), 2440);
	assert_int_equal(xsave_compacted_size(0x1f, get, (void *)skylake), 576 + 256 + 64 + 64);
}

static void test_compacted_alignment(void **state)
{
	struct xsave_component t[XSAVE_COMPONENTS] = {
		[2] = { 8, 576, false }, [3] = { 100, 640, true }, [4] = { 4, 768, true },
	};

	(void)state;
	/* 576 + 8 = 584, aligned to 640, + 100 = 740, aligned to 768, + 4. */
	assert_int_equal(xsave_compacted_size(0x1f, get, t), 772);
	/* Without component 2, component 3 starts right after the header. */
	assert_int_equal(xsave_compacted_size(0x1b, get, t), 576 + 100 + 28 + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_only),
		cmocka_unit_test(test_standard_is_the_furthest_end),
		cmocka_unit_test(test_compacted_packs_components),
		cmocka_unit_test(test_compacted_alignment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
