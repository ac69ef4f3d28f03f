/* Unit tests of the dirty-page log (src/core/dirty.c): marks, takes that
 * clear what they return, addresses past the RAM, and the draining of a
 * page-modification log by its index (SDM Vol. 3C 29.3.6). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/dirty.h>

#define PAGES 130                     /* three words, the last one partly */
#define PAGE(n) ((uint64_t)(n) << DIRTY_PAGE_SHIFT)

static uint64_t bits[3], out[3];
static struct dirty_log d;

static int setup(void **state)
{
	(void)state;
	memset(bits, 0, sizeof(bits));
	memset(out, 0xff, sizeof(out));
	d = (struct dirty_log){ 0 };
	dirty_attach(&d, bits, PAGES);
	return 0;
}

static void test_words(void **state)
{
	(void)state;
	assert_int_equal(dirty_words(0), 0);
	assert_int_equal(dirty_words(1), 1);
	assert_int_equal(dirty_words(64), 1);
	assert_int_equal(dirty_words(65), 2);
	assert_int_equal(dirty_words(PAGES), 3);
}

static void test_mark_take(void **state)
{
	(void)state;
	assert_true(dirty_mark(&d, PAGE(0)));
	assert_true(dirty_mark(&d, PAGE(0) + 0xfff));   /* the same page */
	assert_true(dirty_mark(&d, PAGE(63)));
	assert_true(dirty_mark(&d, PAGE(64) + 8));
	assert_true(dirty_mark(&d, PAGE(PAGES - 1)));
	assert_false(dirty_mark(&d, PAGE(PAGES)));        /* past the RAM */
	assert_false(dirty_mark(&d, UINT64_MAX));
	assert_int_equal(dirty_take(&d, out), 4);
	assert_true(dirty_test(out, 0));
	assert_true(dirty_test(out, 63));
	assert_true(dirty_test(out, 64));
	assert_true(dirty_test(out, PAGES - 1));
	assert_false(dirty_test(out, 1));
	assert_false(dirty_test(out, 65));
	/* Taken means cleared: the next take finds nothing... */
	assert_int_equal(dirty_take(&d, out), 0);
	assert_int_equal(out[0] | out[1] | out[2], 0);
	/* ... until the guest writes again; a take into NULL drops. */
	dirty_mark(&d, PAGE(5));
	assert_int_equal(dirty_take(&d, NULL), 1);
	assert_int_equal(dirty_take(&d, out), 0);
}

static void test_not_logging(void **state)
{
	struct dirty_log off = { 0 };

	(void)state;
	assert_false(dirty_mark(&off, PAGE(1)));
	assert_int_equal(dirty_take(&off, out), 0);
}

/* The CPU writes the log from entry 511 down, decrementing the index
 * after each write; past entry 0 the index wraps to 0xffff and the next
 * write exits (PML full) instead. */
static void test_pml_drain(void **state)
{
	uint64_t pml[DIRTY_PML_ENTRIES];

	(void)state;
	for (unsigned i = 0; i < DIRTY_PML_ENTRIES; i++)
		pml[i] = PAGE(i % PAGES) | 0x123;     /* low bits: as the CPU clears them, ignored */
	/* Index 511: nothing logged yet. */
	assert_int_equal(dirty_drain_pml(&d, pml, 511), 0);
	assert_int_equal(dirty_take(&d, out), 0);
	/* Index 508: entries 509, 510, 511. */
	assert_int_equal(dirty_drain_pml(&d, pml, 508), 3);
	assert_int_equal(dirty_take(&d, out), 3);
	assert_true(dirty_test(out, 509 % PAGES));
	assert_true(dirty_test(out, 511 % PAGES));
	assert_false(dirty_test(out, 508 % PAGES));
	/* Wrapped (PML full): all 512, every page of the RAM. */
	assert_int_equal(dirty_drain_pml(&d, pml, 0xffff), DIRTY_PML_ENTRIES);
	assert_int_equal(dirty_take(&d, out), PAGES);
	/* An address past the RAM (a guest cannot write one, but the log is
	 * memory the hypervisor reads): not marked. */
	pml[511] = PAGE(PAGES + 7);
	assert_int_equal(dirty_drain_pml(&d, pml, 510), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_words, setup),
		cmocka_unit_test_setup(test_mark_take, setup),
		cmocka_unit_test_setup(test_not_logging, setup),
		cmocka_unit_test_setup(test_pml_drain, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
