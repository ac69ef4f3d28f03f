/* Unit tests of src/core/sched.c: the per-CPU run queue's round robin,
 * its removal, and vCPUs that sleep until a time. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/sched.h>
#include <hv/vcpu.h>

static struct vcpu vc[RUNQ_MAX + 1];

static struct runq three(void)
{
	struct runq q = { 0 };

	for (int i = 0; i < 3; i++) {
		vc[i].wake_tsc = 0;
		assert_int_equal(runq_add(&q, &vc[i]), 0);
	}
	return q;
}

static void test_round_robin(void **state)
{
	struct runq q = three();
	uint64_t wake;

	(void)state;
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 3; i++)
			assert_ptr_equal(runq_pick(&q, 100, &wake), &vc[i]);
	assert_int_equal(wake, 0);
}

static void test_remove_keeps_order(void **state)
{
	struct runq q = three();
	uint64_t wake;

	(void)state;
	assert_ptr_equal(runq_pick(&q, 0, &wake), &vc[0]);
	assert_ptr_equal(runq_pick(&q, 0, &wake), &vc[1]);
	runq_remove(&q, &vc[1]);       /* the one that just ran ends */
	assert_int_equal(q.n, 2);
	assert_ptr_equal(runq_pick(&q, 0, &wake), &vc[2]);
	assert_ptr_equal(runq_pick(&q, 0, &wake), &vc[0]);
	runq_remove(&q, &vc[0]);
	assert_ptr_equal(runq_pick(&q, 0, &wake), &vc[2]);
	assert_ptr_equal(runq_pick(&q, 0, &wake), &vc[2]);
	runq_remove(&q, &vc[2]);
	assert_int_equal(q.n, 0);
	assert_null(runq_pick(&q, 0, &wake));
	assert_int_equal(wake, 0);
	runq_remove(&q, &vc[2]);       /* not there: nothing happens */
	assert_int_equal(q.n, 0);
}

static void test_sleepers(void **state)
{
	struct runq q = three();
	uint64_t wake;

	(void)state;
	vc[0].wake_tsc = 500;
	vc[2].wake_tsc = 300;
	assert_ptr_equal(runq_pick(&q, 100, &wake), &vc[1]);
	assert_ptr_equal(runq_pick(&q, 100, &wake), &vc[1]);
	vc[1].wake_tsc = 400;
	assert_null(runq_pick(&q, 100, &wake));
	assert_int_equal(wake, 300);
	assert_ptr_equal(runq_pick(&q, 300, &wake), &vc[2]);
	assert_int_equal(vc[2].wake_tsc, 0);  /* awake now */
	assert_ptr_equal(runq_pick(&q, 450, &wake), &vc[1]);
	assert_ptr_equal(runq_pick(&q, 450, &wake), &vc[2]);
	assert_ptr_equal(runq_pick(&q, 500, &wake), &vc[0]);
}

static void test_full(void **state)
{
	struct runq q = { 0 };

	(void)state;
	for (int i = 0; i < RUNQ_MAX; i++)
		assert_int_equal(runq_add(&q, &vc[i]), 0);
	assert_int_equal(runq_add(&q, &vc[RUNQ_MAX]), HV_ENOMEM);
	assert_int_equal(q.n, RUNQ_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_robin),
		cmocka_unit_test(test_remove_keeps_order),
		cmocka_unit_test(test_sleepers),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
