/* Unit tests of src/emul/breakpoint.c's breakpoint_hits: which of DR0-DR3
 * an emulated access meets (SDM Vol. 3B 18.2.4 and 18.2.5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/breakpoint.h>

#define L(n) (1ULL << (2 * (n)))
#define G(n) (2ULL << (2 * (n)))
#define RW(n, rw) ((uint64_t)(rw) << (16 + 4 * (n)))
#define LEN(n, len) ((uint64_t)(len) << (18 + 4 * (n)))
enum { RW_EXEC, RW_WRITE, RW_IO, RW_ACCESS };
enum { LEN_1, LEN_2, LEN_8, LEN_4 };

static void test_lengths_and_ranges(void **state)
{
	uint64_t dr[4] = { 0x1000, 0x2002, 0x3008, 0x4004 };
	uint64_t dr7 = L(0) | RW(0, RW_WRITE) | LEN(0, LEN_1) | L(1) | RW(1, RW_WRITE) |
		       LEN(1, LEN_2) | L(2) | RW(2, RW_WRITE) | LEN(2, LEN_8) | L(3) |
		       RW(3, RW_WRITE) | LEN(3, LEN_4);

	(void)state;
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x1000, 1), 1);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x1001, 1), 0);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x0ffc, 4), 0);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x0ffd, 4), 1);   /* overlaps */
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x2003, 1), 2);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x2004, 1), 0);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x300f, 1), 4);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x3010, 8), 0);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x4007, 2), 8);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x4008, 2), 0);
	/* The low bits of an unaligned address are ignored: DR1 0x2003 with
	 * 2 bytes covers 0x2002-0x2003. */
	dr[1] = 0x2003;
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x2002, 1), 2);
	/* One access across several breakpoints. */
	dr[0] = 0x5000, dr[1] = 0x5002;
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x5000, 4), 3);
}

static void test_kinds(void **state)
{
	uint64_t dr[4] = { 0x1000, 0x1000, 0x80, 0x1000 };
	uint64_t dr7 = L(0) | RW(0, RW_WRITE) | L(1) | RW(1, RW_ACCESS) | L(2) | RW(2, RW_IO) |
		       G(3) | RW(3, RW_EXEC);

	(void)state;
	/* Writes: R/W 01 and 11; reads: 11 only; fetches are never data. */
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_WRITE, 0x1000, 1), 3);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_READ, 0x1000, 1), 2);
	/* I/O: R/W 10 with CR4.DE, never without (undefined there). */
	assert_int_equal(breakpoint_hits(dr, dr7, true, BP_IO, 0x80, 1), 4);
	assert_int_equal(breakpoint_hits(dr, dr7, false, BP_IO, 0x80, 1), 0);
	assert_int_equal(breakpoint_hits(dr, dr7, true, BP_IO, 0x81, 1), 0);
	/* A port is not an address: a write to linear 0x80 is not I/O. */
	assert_int_equal(breakpoint_hits(dr, dr7, true, BP_WRITE, 0x80, 1), 0);
}

static void test_enables(void **state)
{
	uint64_t dr[4] = { 0x1000, 0x1000, 0, 0 };
	uint64_t rw = RW(0, RW_WRITE) | RW(1, RW_WRITE);

	(void)state;
	/* Neither enabled: nothing, though both match. */
	assert_int_equal(breakpoint_hits(dr, rw, false, BP_WRITE, 0x1000, 1), 0);
	/* G alone enables as L does; a disabled one that matches is
	 * reported with it. */
	assert_int_equal(breakpoint_hits(dr, rw | G(1), false, BP_WRITE, 0x1000, 1), 3);
	assert_int_equal(breakpoint_hits(dr, rw | L(0), false, BP_WRITE, 0x1000, 1), 3);
	/* An enabled one elsewhere does not report a disabled match. */
	dr[0] = 0x2000;
	assert_int_equal(breakpoint_hits(dr, rw | L(0), false, BP_WRITE, 0x1000, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lengths_and_ranges),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_enables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
