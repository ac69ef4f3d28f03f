/* Unit tests for src/lib/format.c (hv_snprintf / hv_vsnprintf). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <hv/format.h>

/* Format into a fresh buffer and check both the text and the return value
 * (which, without truncation, is the text's length). */
#define CHECK(expect, ...)                                             \
	do {                                                           \
		char b_[256];                                          \
		memset(b_, 'Z', sizeof(b_));                           \
		int n_ = hv_snprintf(b_, sizeof(b_), __VA_ARGS__);     \
		assert_string_equal(b_, expect);                       \
		assert_int_equal(n_, (int)strlen(expect));             \
	} while (0)

/* Through hv_vsnprintf, which has no format attribute: for specifications
 * that GCC's -Wformat rightly flags (ignored flags, unknown conversions)
 * but whose behaviour we still pin down. */
static int call_v(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = hv_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

#define CHECKV(expect, ...)                                            \
	do {                                                           \
		char b_[256];                                          \
		int n_ = call_v(b_, sizeof(b_), __VA_ARGS__);          \
		assert_string_equal(b_, expect);                       \
		assert_int_equal(n_, (int)strlen(expect));             \
	} while (0)

static void test_plain_text(void **state)
{
	(void)state;
	CHECK("", "%s", "");
	CHECK("hello, world", "hello, world");
	CHECK("100%", "100%%");
	CHECK("%", "%%");
}

static void test_signed_decimal(void **state)
{
	(void)state;
	CHECK("0", "%d", 0);
	CHECK("42", "%d", 42);
	CHECK("-42", "%i", -42);
	CHECK("2147483647", "%d", INT32_MAX);
	CHECK("-2147483648", "%d", INT32_MIN);
	CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
	CHECK("-9223372036854775808", "%ld", (long)INT64_MIN);
	CHECK("9223372036854775807", "%lld", (long long)INT64_MAX);
	CHECK("-1", "%zd", (ssize_t)-1);
}

static void test_unsigned_and_bases(void **state)
{
	(void)state;
	CHECK("4294967295", "%u", UINT32_MAX);
	CHECK("18446744073709551615", "%llu", (unsigned long long)UINT64_MAX);
	CHECK("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	CHECK("123456", "%zu", (size_t)123456);
	CHECK("deadbeef", "%x", 0xdeadbeefu);
	CHECK("DEADBEEF", "%X", 0xdeadbeefu);
	CHECK("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	CHECK("1777777777777777777777", "%llo", (unsigned long long)UINT64_MAX);
	CHECK("755", "%o", 0755);
	CHECK("0", "%x", 0);
}

static void test_length_modifiers_truncate(void **state)
{
	(void)state;
	/* hh/h convert the promoted int back to char/short. */
	CHECK("-1", "%hhd", 255);
	CHECK("255", "%hhu", -1);
	CHECK("ff", "%hhx", 0x1ff);
	CHECK("-1", "%hd", 65535);
	CHECK("65535", "%hu", -1);
	CHECK("ffff", "%hx", 0x1ffff);
	CHECK("-32768", "%hd", 32768);
}

static void test_width_and_flags(void **state)
{
	(void)state;
	CHECK("   42", "%5d", 42);
	CHECK("42   |", "%-5d|", 42);
	CHECK("00042", "%05d", 42);
	CHECK("-0042", "%05d", -42);
	CHECK("  -42", "%5d", -42);
	CHECK("+42", "%+d", 42);
	CHECK("-42", "%+d", -42);
	CHECK(" 42", "% d", 42);
	CHECKV("+42", "%+ d", 42);        /* '+' wins over ' ' */
	CHECKV("42   |", "%-05d|", 42);   /* '0' ignored with '-' */
	CHECK("42", "%1d", 42);          /* width smaller than output */
	CHECK("+0042", "%+05d", 42);
	CHECKV("42", "%+u", 42u);        /* sign flags only for signed */
	CHECKV("42", "% u", 42u);
}

static void test_alt_forms(void **state)
{
	(void)state;
	CHECK("0xff", "%#x", 0xff);
	CHECK("0XFF", "%#X", 0xff);
	CHECK("0", "%#x", 0);            /* no prefix for zero */
	CHECK("017", "%#o", 017);
	CHECK("0", "%#o", 0);
	CHECK("0", "%#.0o", 0);          /* '#' forces the leading 0 */
	CHECK("0x00ff", "%#06x", 0xff);  /* zeros go after the prefix */
	CHECK("  0xff", "%#6x", 0xff);
	CHECK("0x000000ff", "%#.8x", 0xff);
}

static void test_precision_integers(void **state)
{
	(void)state;
	CHECK("00042", "%.5d", 42);
	CHECK("-00042", "%.5d", -42);
	CHECK("  00042", "%7.5d", 42);
	CHECKV("  00042", "%07.5d", 42);  /* '0' ignored with a precision */
	CHECK("", "%.0d", 0);            /* zero with precision 0: no digits */
	CHECK("   ", "%3.0d", 0);
	CHECK("", "%.0x", 0);
	CHECK("+", "%+.0d", 0);
	CHECK("7", "%.0d", 7);
}

static void test_star_width_precision(void **state)
{
	(void)state;
	CHECK("   42", "%*d", 5, 42);
	CHECK("42   |", "%*d|", -5, 42);  /* negative '*' width means '-' */
	CHECK("00042", "%.*d", 5, 42);
	CHECK("42", "%.*d", -3, 42);      /* negative precision: none */
	CHECK("  abc", "%*.*s", 5, 3, "abcdef");
}

static void test_chars(void **state)
{
	(void)state;
	CHECK("A", "%c", 'A');
	CHECK("    A", "%5c", 'A');
	CHECK("A    |", "%-5c|", 'A');
	CHECK("x-y", "%c%c%c", 'x', '-', 'y');
}

static void test_strings(void **state)
{
	(void)state;
	CHECK("hello", "%s", "hello");
	CHECK("  hello", "%7s", "hello");
	CHECK("hello  |", "%-7s|", "hello");
	CHECK("hel", "%.3s", "hello");
	CHECK("   hel", "%6.3s", "hello");
	CHECK("hello", "%.10s", "hello");
	CHECK("", "%.0s", "hello");
	CHECKV("(null)", "%s", (const char *)NULL);
	CHECKV("  (null)", "%8s", (const char *)NULL);
}

static void test_string_precision_does_not_read_past(void **state)
{
	(void)state;
	/* Not NUL-terminated: a precision must stop the read (C99). */
	const char raw[3] = { 'a', 'b', 'c' };
	CHECK("abc", "%.3s", raw);
	CHECK("ab", "%.*s", 2, raw);
}

static void test_pointer(void **state)
{
	(void)state;
	CHECK("0x1234", "%p", (void *)0x1234);
	CHECK("0x0", "%p", (void *)0);
	CHECK("0xffff800000000000", "%p", (void *)0xffff800000000000ull);
	CHECK("  0xab", "%6p", (void *)0xab);
	CHECK("0xab  |", "%-6p|", (void *)0xab);
}

static void test_mixed(void **state)
{
	(void)state;
	CHECK("cpu 3: vmx rev 0x12 at 0x0000000000101000 ok",
	      "cpu %u: %s rev %#x at 0x%016llx %s", 3u, "vmx", 0x12,
	      0x101000ull, "ok");
	CHECKV("[ 1] a=-5 b=ff c=(null)", "[%2d] a=%d b=%x c=%s", 1, -5, 255,
	      (const char *)NULL);
}

static void test_truncation(void **state)
{
	(void)state;
	char buf[8];

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(hv_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	assert_string_equal(buf, "0123456");

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(hv_snprintf(buf, 1, "abc"), 3);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Z');          /* nothing past size written */

	/* size 0: nothing written at all (buf may even be NULL). */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(hv_snprintf(buf, 0, "abc"), 3);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(hv_snprintf(NULL, 0, "%d-%s", -12345, "xy"), 9);

	/* Exactly fitting output: 7 characters + NUL in 8 bytes. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(hv_snprintf(buf, sizeof(buf), "%07d", 42), 7);
	assert_string_equal(buf, "0000042");

	/* Truncation in the middle of padding and of a number. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(hv_snprintf(buf, 5, "%10d", 7), 10);
	assert_string_equal(buf, "    ");
	assert_int_equal(hv_snprintf(buf, 4, "%lld", (long long)INT64_MIN), 20);
	assert_string_equal(buf, "-92");
}

static void test_unknown_conversion_copied(void **state)
{
	(void)state;
	CHECKV("a%qb", "a%qb");
	CHECKV("%-5q", "%-5q");
	CHECKV("end%", "end%");
	CHECKV("%5", "%5");
}

static void test_vsnprintf(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(call_v(buf, sizeof(buf), "%s=%d;%c", "k", 9, '!'), 5);
	assert_string_equal(buf, "k=9;!");
}

/* Cross-check a spread of specifications against the host C library. */
static void test_matches_libc(void **state)
{
	(void)state;
	static const char *const ifmts[] = {
		"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d",
		"%-8.3d|", "%x", "%#x", "%#010x", "%X", "%#o", "%o", "%u",
		"%+.0d", "%.0x", "%#.0o", "% 07d", "%+-7d|",
	};
	static const int ivals[] = { 0, 1, -1, 42, -42, 255, 0x7fffffff,
				     (int)0x80000000, 100000 };
	char a[128], b[128];

	for (size_t i = 0; i < sizeof(ifmts) / sizeof(ifmts[0]); i++) {
		for (size_t j = 0; j < sizeof(ivals) / sizeof(ivals[0]); j++) {
			int n1 = hv_snprintf(a, sizeof(a), ifmts[i], ivals[j]);
			int n2 = snprintf(b, sizeof(b), ifmts[i], ivals[j]);
			if (strcmp(a, b) != 0 || n1 != n2)
				fail_msg("fmt \"%s\" val %d: got \"%s\" want \"%s\"",
					 ifmts[i], ivals[j], a, b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_signed_decimal),
		cmocka_unit_test(test_unsigned_and_bases),
		cmocka_unit_test(test_length_modifiers_truncate),
		cmocka_unit_test(test_width_and_flags),
		cmocka_unit_test(test_alt_forms),
		cmocka_unit_test(test_precision_integers),
		cmocka_unit_test(test_star_width_precision),
		cmocka_unit_test(test_chars),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_precision_does_not_read_past),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_unknown_conversion_copied),
		cmocka_unit_test(test_vsnprintf),
		cmocka_unit_test(test_matches_libc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
