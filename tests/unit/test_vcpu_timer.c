/* Unit tests of src/core/vcpu.c's timers on a fake vCPU (fake_arch.c):
 * the HC_TIMER one-shot, the VM's CPU-time limit (cpu_limit=), and HLT's
 * test for a wake-up source, which the limit is not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vcpu.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1 << 20);
	v = &vm->vcpus[0];
	fake_tsc_now = 1000;
	fake_exit(v);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static void test_no_limit_no_deadline(void **state)
{
	(void)state;
	assert_int_equal(vcpu_next_deadline_tsc(v), 0);
	assert_int_equal(vcpu_timer_expired(v), VMEXIT_RETRY);
	assert_false(vm_ended(vm));
}

/* The earlier of the limit and the next timer event arms the timer. */
static void test_deadline_is_the_earlier(void **state)
{
	(void)state;
	v->cpu_deadline_tsc = 5000;
	assert_int_equal(vcpu_next_deadline_tsc(v), 5000);
	v->timer_deadline = 3000;
	assert_int_equal(vcpu_next_deadline_tsc(v), 3000);
	v->timer_deadline = 7000;
	assert_int_equal(vcpu_next_deadline_tsc(v), 5000);
	/* The guest's own timer events do not include the limit. */
	assert_int_equal(vcpu_next_event_tsc(v), 7000);
}

static void test_limit_stops_the_vm(void **state)
{
	(void)state;
	vm->cpu_limit_ms = 20;
	v->cpu_deadline_tsc = 5000;
	fake_hw_set(v, VREG_RIP, 0x1234);
	fake_tsc_now = 4999;
	assert_int_equal(vcpu_timer_expired(v), VMEXIT_RETRY);
	assert_false(vm_ended(vm));
	fake_tsc_now = 5000;
	fake_exit(v);
	assert_int_equal(vcpu_timer_expired(v), VMEXIT_STOP);
	assert_true(vm_ended(vm));
	assert_int_equal(vm->end, VM_END_CPU_LIMIT);
	assert_string_equal(vm->end_detail, "CPU time limit of 20 ms used up, at RIP 0x1234");
}

/* HLT with interrupts on and only the limit ahead: nothing can wake the
 * guest, so it ends as halted, not later by the limit. */
static void test_hlt_ignores_the_limit(void **state)
{
	(void)state;
	v->cpu_deadline_tsc = 5000;
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	assert_int_equal(vcpu_emulate_hlt(v), VMEXIT_STOP);
	assert_int_equal(vm->end, VM_END_HALTED);
}

/* HLT with TF set: the single-step trap after it ends the halt at once
 * (the dispatcher queues it), even with interrupts off and nothing else
 * to wake the guest: the VM goes on. */
static void test_hlt_single_step(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_TF | 2);
	assert_int_equal(vcpu_emulate_hlt(v), VMEXIT_NEXT);
	assert_false(vm_ended(vm));
	assert_false(v->req & (VCPU_REQ_HALT | VCPU_REQ_YIELD));
}

/* A slice (others wait for the CPU) arms the timer too, and its end
 * makes the vCPU yield; its own timers still run. */
static void test_slice_end_yields(void **state)
{
	(void)state;
	v->slice_end = 4000;
	v->timer_deadline = 6000;
	assert_int_equal(vcpu_next_deadline_tsc(v), 4000);
	v->timer_deadline = 2000;
	assert_int_equal(vcpu_next_deadline_tsc(v), 2000);
	v->req = 0;
	fake_tsc_now = 3999;
	v->timer_deadline = 0;
	assert_int_equal(vcpu_timer_expired(v), VMEXIT_RETRY);
	assert_false(v->req & VCPU_REQ_YIELD);
	fake_tsc_now = 4000;
	assert_int_equal(vcpu_timer_expired(v), VMEXIT_RETRY);
	assert_true(v->req & VCPU_REQ_YIELD);
	assert_false(vm_ended(vm));
}

/* HLT with a timer armed: alone on the CPU the vCPU waits in the HLT
 * state; with others waiting it yields until its timer. */
static void test_hlt_yields_when_shared(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	v->timer_deadline = 9000;
	v->req = 0;
	assert_int_equal(vcpu_emulate_hlt(v), VMEXIT_NEXT);
	assert_true(v->req & VCPU_REQ_HALT);
	assert_false(v->req & VCPU_REQ_YIELD);
	assert_int_equal(v->wake_tsc, 0);
	v->slice_end = 5000;
	v->req = 0;
	fake_exit(v);
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	assert_int_equal(vcpu_emulate_hlt(v), VMEXIT_NEXT);
	assert_true(v->req & VCPU_REQ_HALT);
	assert_true(v->req & VCPU_REQ_YIELD);
	assert_int_equal(v->wake_tsc, 9000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_limit_no_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline_is_the_earlier, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_stops_the_vm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlt_ignores_the_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlt_single_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slice_end_yields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hlt_yields_when_shared, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
