/* Unit tests of guest RAM as the hypervisor reaches it (src/core/gmem.c):
 * the plain block, and a block whose map says a page was given up (never
 * touched) or given back at another host page (found there, contiguous
 * with nothing). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/gmem.h>

#define PAGES 8
#define SIZE (PAGES * GMEM_PAGE)

static uint8_t *block;
static uint8_t *elsewhere;    /* page 5's new host page */
static uint64_t map[PAGES];
static struct gmem plain, changed;

static int setup(void **state)
{
	(void)state;
	block = aligned_alloc(GMEM_PAGE, SIZE);
	elsewhere = aligned_alloc(GMEM_PAGE, GMEM_PAGE);
	assert_non_null(block);
	assert_non_null(elsewhere);
	for (unsigned i = 0; i < SIZE; i++)
		block[i] = (uint8_t)(i / GMEM_PAGE);
	memset(elsewhere, 0x55, GMEM_PAGE);
	memset(map, 0, sizeof(map));
	map[3] = GMEM_ABSENT;
	map[5] = (uint64_t)(uintptr_t)elsewhere >> GMEM_PAGE_SHIFT;
	plain = (struct gmem){ block, SIZE, NULL };
	changed = (struct gmem){ block, SIZE, map };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(block);
	free(elsewhere);
	return 0;
}

static void test_plain(void **state)
{
	size_t n;
	uint8_t buf[16];

	(void)state;
	assert_ptr_equal(gmem_ptr(&plain, 100, SIZE - 100), block + 100);
	assert_null(gmem_ptr(&plain, 100, SIZE));
	assert_ptr_equal(gmem_ptr(&plain, SIZE, 0), block + SIZE);
	assert_null(gmem_ptr(&plain, SIZE + 1, 0));
	assert_ptr_equal(gmem_run(&plain, 10, ~0ull, &n), block + 10);
	assert_int_equal(n, SIZE - 10);
	assert_null(gmem_run(&plain, SIZE, 1, &n));
	assert_int_equal(n, 0);
	assert_int_equal(gmem_read(&plain, GMEM_PAGE - 8, buf, 16), 0);
	assert_int_equal(buf[7], 0);
	assert_int_equal(buf[8], 1);
	assert_int_equal(gmem_read(&plain, SIZE - 8, buf, 16), HV_ERANGE);
	assert_int_equal(gmem_read(&plain, ~0ull, buf, 2), HV_ERANGE);
	assert_true(gmem_is_ram(&plain, 0, SIZE));
}

static void test_changed(void **state)
{
	size_t n;
	uint8_t buf[32];

	(void)state;
	/* Pages 0-2 run together and stop at the page given up. */
	assert_ptr_equal(gmem_run(&changed, 100, ~0ull, &n), block + 100);
	assert_int_equal(n, 3 * GMEM_PAGE - 100);
	assert_null(gmem_run(&changed, 3 * GMEM_PAGE + 5, 1, &n));
	assert_false(gmem_is_ram(&changed, 2 * GMEM_PAGE, 2 * GMEM_PAGE));
	assert_null(gmem_ptr(&changed, 3 * GMEM_PAGE, 1));
	/* Page 4 runs up to page 5, which is elsewhere and stands alone. */
	assert_ptr_equal(gmem_run(&changed, 4 * GMEM_PAGE, ~0ull, &n), block + 4 * GMEM_PAGE);
	assert_int_equal(n, GMEM_PAGE);
	assert_ptr_equal(gmem_run(&changed, 5 * GMEM_PAGE + 7, ~0ull, &n), elsewhere + 7);
	assert_int_equal(n, GMEM_PAGE - 7);
	assert_null(gmem_ptr(&changed, 5 * GMEM_PAGE - 1, 2));   /* across: RAM, not contiguous */
	assert_true(gmem_is_ram(&changed, 4 * GMEM_PAGE, 4 * GMEM_PAGE));
	/* Copies across the boundary go to both places; across the page
	 * given up, nothing is copied. */
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(gmem_write(&changed, 5 * GMEM_PAGE - 16, buf, 32), 0);
	assert_int_equal(block[5 * GMEM_PAGE - 1], 0xaa);
	assert_int_equal(elsewhere[15], 0xaa);
	assert_int_equal(block[5 * GMEM_PAGE], 5);   /* the old page is not the guest's */
	assert_int_equal(gmem_read(&changed, 5 * GMEM_PAGE - 16, buf, 32), 0);
	assert_int_equal(gmem_write(&changed, 3 * GMEM_PAGE - 16, buf, 32), HV_ERANGE);
	assert_int_equal(block[3 * GMEM_PAGE - 16], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
