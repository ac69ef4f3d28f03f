/* Unit tests for include/hv/fifo.h: the byte ring of the device models. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/fifo.h>

static void test_order_and_capacity(void **state)
{
	struct fifo f;

	(void)state;
	fifo_init(&f, 3);
	assert_true(fifo_empty(&f));
	assert_true(fifo_push(&f, 1));
	assert_true(fifo_push(&f, 2));
	assert_true(fifo_push(&f, 3));
	assert_true(fifo_full(&f));
	assert_false(fifo_push(&f, 4));     /* dropped */
	assert_int_equal(fifo_pop(&f), 1);
	assert_false(fifo_full(&f));
	assert_int_equal(fifo_pop(&f), 2);
	assert_int_equal(fifo_pop(&f), 3);
	assert_true(fifo_empty(&f));
	assert_int_equal(fifo_pop(&f), 0);  /* empty reads 0 */
}

/* Pushes and pops interleaved move head around the ring many times. */
static void test_wraps_around(void **state)
{
	struct fifo f;
	uint8_t next_in = 0, next_out = 0;

	(void)state;
	fifo_init(&f, 5);
	for (int round = 0; round < 40; round++) {
		while (fifo_push(&f, next_in))
			next_in++;
		for (int i = 0; i < 3; i++)
			assert_int_equal(fifo_pop(&f), next_out++);
	}
	while (!fifo_empty(&f))
		assert_int_equal(fifo_pop(&f), next_out++);
	assert_int_equal(next_in, next_out);
}

static void test_clear_and_limit(void **state)
{
	struct fifo f;

	(void)state;
	fifo_init(&f, 4);
	fifo_push(&f, 7);
	fifo_push(&f, 8);
	fifo_clear(&f);
	assert_true(fifo_empty(&f));
	assert_true(fifo_push(&f, 9));
	assert_int_equal(fifo_pop(&f), 9);
	/* A capacity beyond the storage is cut to it. */
	fifo_init(&f, FIFO_MAX + 10);
	for (int i = 0; i < FIFO_MAX; i++)
		assert_true(fifo_push(&f, (uint8_t)i));
	assert_true(fifo_full(&f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_capacity),
		cmocka_unit_test(test_wraps_around),
		cmocka_unit_test(test_clear_and_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
