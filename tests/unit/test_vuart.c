#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <hv/vuart.h>

static char lines[8][200];
static int nlines;

static void sink(void *ctx, const char *line)
{
	(void)ctx;
	strncpy(lines[nlines++ % 8], line, 199);
}

static void put(struct vuart *u, const char *s)
{
	for (; *s; s++)
		vuart_write(u, 0x3f8, 1, (uint8_t)*s);
}

static void test_lines(void **state)
{
	struct vuart u;

	(void)state;
	nlines = 0;
	vuart_init(&u, sink, NULL);
	put(&u, "hello\r\nwor");
	assert_int_equal(nlines, 1);
	assert_string_equal(lines[0], "hello");
	put(&u, "ld\n");
	assert_string_equal(lines[1], "world");
	put(&u, "tail");
	vuart_flush(&u);
	assert_string_equal(lines[2], "tail");
	vuart_flush(&u);
	assert_int_equal(nlines, 3);
}

static void test_control_chars_and_long_lines(void **state)
{
	struct vuart u;
	char big[400];

	(void)state;
	nlines = 0;
	vuart_init(&u, sink, NULL);
	put(&u, "a\033[2Jb\n");
	assert_string_equal(lines[0], "a.[2Jb");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	put(&u, big);
	assert_int_equal(nlines, 3); /* two full lines of VUART_LINE_MAX */
	assert_int_equal(strlen(lines[1]), VUART_LINE_MAX);
}

static void test_registers(void **state)
{
	struct vuart u;
	uint64_t v;

	(void)state;
	nlines = 0;
	vuart_init(&u, sink, NULL);
	vuart_read(&u, 0x3fd, 1, &v);
	assert_int_equal(v & 0x60, 0x60);
	vuart_write(&u, 0x3ff, 1, 0x5a);
	vuart_read(&u, 0x3ff, 1, &v);
	assert_int_equal(v, 0x5a);
	/* Divisor latch: DLAB set, write 0x0c/0x00 (9600 baud), DLAB clear. */
	vuart_write(&u, 0x3fb, 1, 0x83);
	vuart_write(&u, 0x3f8, 1, 0x0c);
	vuart_write(&u, 0x3f9, 1, 0x00);
	vuart_read(&u, 0x3f8, 1, &v);
	assert_int_equal(v, 0x0c);
	vuart_write(&u, 0x3fb, 1, 0x03);
	assert_int_equal(nlines, 0); /* the divisor write printed nothing */
	vuart_read(&u, 0x3fa, 1, &v);
	assert_int_equal(v, 0x01);
	/* A 16-bit read covers LCR and MCR. */
	vuart_write(&u, 0x3fc, 1, 0x0b);
	vuart_read(&u, 0x3fb, 2, &v);
	assert_int_equal(v, 0x0b03);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_control_chars_and_long_lines),
		cmocka_unit_test(test_registers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
