/* Unit tests for src/lib/string.c, the image's freestanding string
 * functions.  That file is image-only (the host library has the C
 * library's), so this test compiles it itself, its functions renamed hv_*
 * so that they do not clash with the C library's: the C library's
 * <string.h> comes first (its include guard then keeps hv/string.h from
 * declaring anything under the new names twice), the renaming after. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#define memset hv_memset
#define memcpy hv_memcpy
#define memmove hv_memmove
#define memcmp hv_memcmp
#define strlen hv_strlen
#define strnlen hv_strnlen
#define strcmp hv_strcmp
#define strncmp hv_strncmp
#include "../../src/lib/string.c"
#undef memset
#undef memcpy
#undef memmove
#undef memcmp
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp

#define MAX_LEN 80      /* every size 0..MAX_LEN */
#define MAX_ALIGN 16    /* every alignment 0..MAX_ALIGN-1 */
#define GUARD 32        /* bytes either side that must stay untouched */
#define BUF_SIZE (GUARD + MAX_ALIGN + MAX_LEN + 8 + GUARD)
#define GUARD_BYTE 0xA5

static _Alignas(64) unsigned char buf[BUF_SIZE];
static _Alignas(64) unsigned char src_buf[BUF_SIZE];
static unsigned char expect[BUF_SIZE];

/* Byte loops, the reference the REP-string code is checked against. */
static void fill(unsigned char *p, size_t n, unsigned char v)
{
	for (size_t i = 0; i < n; i++)
		p[i] = v;
}

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + seed * 13 + 1);
}

/* buf equals expect, with the first differing byte in the message. */
static void check_buf(size_t off, size_t n, const char *what)
{
	for (size_t i = 0; i < BUF_SIZE; i++) {
		if (buf[i] != expect[i])
			fail_msg("%s: off %zu len %zu: byte %zu is %#x, not %#x",
				 what, off, n, i, buf[i], expect[i]);
	}
}

/* memset: every size at every alignment, the value truncated to a byte,
 * nothing written outside [dst, dst+n), dst returned. */
static void test_memset(void **state)
{
	static const int values[] = { 0, 0x3C, 0xFF, 0x1A7, -1 };

	(void)state;
	for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++)
		for (size_t a = 0; a < MAX_ALIGN; a++)
			for (size_t n = 0; n <= MAX_LEN; n++) {
				size_t off = GUARD + a;

				fill(buf, BUF_SIZE, GUARD_BYTE);
				fill(expect, BUF_SIZE, GUARD_BYTE);
				fill(expect + off, n, (unsigned char)values[v]);
				assert_ptr_equal(hv_memset(buf + off, values[v], n),
						 buf + off);
				check_buf(off, n, "memset");
			}
}

/* memcpy: every size, every source and destination alignment. */
static void test_memcpy(void **state)
{
	(void)state;
	for (size_t sa = 0; sa < MAX_ALIGN; sa++)
		for (size_t da = 0; da < MAX_ALIGN; da++)
			for (size_t n = 0; n <= MAX_LEN; n++) {
				size_t soff = GUARD + sa, doff = GUARD + da;

				fill_pattern(src_buf, BUF_SIZE, (unsigned)(sa + n));
				fill(buf, BUF_SIZE, GUARD_BYTE);
				fill(expect, BUF_SIZE, GUARD_BYTE);
				for (size_t i = 0; i < n; i++)
					expect[doff + i] = src_buf[soff + i];
				assert_ptr_equal(hv_memcpy(buf + doff, src_buf + soff, n),
						 buf + doff);
				check_buf(doff, n, "memcpy");
				for (size_t i = 0; i < BUF_SIZE; i++)  /* source untouched */
					assert_int_equal(src_buf[i],
						(unsigned char)(i * 7 + (sa + n) * 13 + 1));
			}
}

/* memmove within one buffer: the destination below the source, above it
 * (overlapping by 1..n-1 bytes, where a forward copy would read bytes it
 * already wrote), equal, and apart; every size, every source alignment. */
static void test_memmove_overlap(void **state)
{
	unsigned char before[BUF_SIZE];

	(void)state;
	for (int delta = -(MAX_ALIGN + 9); delta <= MAX_ALIGN + 9; delta++)
		for (size_t sa = 0; sa < MAX_ALIGN; sa++)
			for (size_t n = 0; n <= MAX_LEN; n++) {
				size_t soff = GUARD + MAX_ALIGN / 2 + sa;
				size_t doff = (size_t)((long)soff + delta);

				if (doff + n + 8 > BUF_SIZE)
					continue;
				fill_pattern(buf, BUF_SIZE, (unsigned)(sa + n));
				for (size_t i = 0; i < BUF_SIZE; i++)
					before[i] = expect[i] = buf[i];
				for (size_t i = 0; i < n; i++)
					expect[doff + i] = before[soff + i];
				assert_ptr_equal(hv_memmove(buf + doff, buf + soff, n),
						 buf + doff);
				check_buf(doff, n, delta < 0 ? "memmove down"
						       : "memmove up");
			}
}

/* Large sizes: many words, and a tail; and memmove up by less than a
 * word, where the backward copy's words overlap their own source. */
static void test_large(void **state)
{
	enum { N = (1 << 20) + 13 };
	unsigned char *a = test_malloc(N + 64), *b = test_malloc(N + 64);

	(void)state;
	fill(a, N + 64, GUARD_BYTE);
	hv_memset(a + 3, 0, N);
	assert_int_equal(a[2], GUARD_BYTE);
	for (size_t i = 0; i < N; i++)
		if (a[3 + i] != 0)
			fail_msg("memset large: byte %zu", i);
	assert_int_equal(a[3 + N], GUARD_BYTE);

	fill_pattern(a, N + 64, 5);
	hv_memcpy(b + 1, a + 6, N);
	for (size_t i = 0; i < N; i++)
		if (b[1 + i] != a[6 + i])
			fail_msg("memcpy large: byte %zu", i);

	fill_pattern(a, N + 64, 9);
	hv_memmove(a + 3, a, N);
	for (size_t i = 0; i < N; i++)
		if (a[3 + i] != (unsigned char)(i * 7 + 9 * 13 + 1))
			fail_msg("memmove up large: byte %zu", i);
	fill_pattern(a, N + 64, 11);
	hv_memmove(a, a + 5, N);
	for (size_t i = 0; i < N; i++)
		if (a[i] != (unsigned char)((i + 5) * 7 + 11 * 13 + 1))
			fail_msg("memmove down large: byte %zu", i);
	test_free(a);
	test_free(b);
}

/* The rest of the file, briefly: signs and limits. */
static void test_compare_and_length(void **state)
{
	(void)state;
	assert_int_equal(hv_memcmp("abc", "abc", 3), 0);
	assert_true(hv_memcmp("abc", "abd", 3) < 0);
	assert_true(hv_memcmp("\xff", "\x01", 1) > 0);  /* unsigned bytes */
	assert_int_equal(hv_memcmp("x", "y", 0), 0);
	assert_int_equal(hv_strlen(""), 0);
	assert_int_equal(hv_strlen("tinyhv"), 6);
	assert_int_equal(hv_strnlen("tinyhv", 3), 3);
	assert_int_equal(hv_strnlen("ab", 8), 2);
	assert_int_equal(hv_strcmp("a", "a"), 0);
	assert_true(hv_strcmp("a", "b") < 0);
	assert_true(hv_strcmp("ab", "a") > 0);
	assert_true(hv_strcmp("\xff", "a") > 0);
	assert_int_equal(hv_strncmp("abcX", "abcY", 3), 0);
	assert_true(hv_strncmp("abcX", "abcY", 4) < 0);
	assert_int_equal(hv_strncmp("a", "a", 9), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memset),
		cmocka_unit_test(test_memcpy),
		cmocka_unit_test(test_memmove_overlap),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_compare_and_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
