/* Unit tests of src/core/event.c: the event queue of a vCPU and the choice
 * of the event each VM entry delivers, on a fake vCPU (fake_arch.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/event.h>
#include <hv/vm.h>
#include <hv/x86.h>

#include "fake_arch.h"

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1 << 20);
	v = &vm->vcpus[0];
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_ET);   /* protected mode */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static struct event hw(uint8_t vector, bool has_error)
{
	return (struct event){ .valid = true, .type = EVENT_HW_EXCEPTION, .vector = vector,
			       .has_error = has_error };
}

static void assert_event(const struct event *e, uint8_t type, uint8_t vector)
{
	assert_true(e->valid);
	assert_int_equal(e->type, type);
	assert_int_equal(e->vector, vector);
}

static void test_merge_double_fault(void **state)
{
	struct event gp = hw(X86_GP, true), pf = hw(X86_PF, true), de = hw(X86_DE, false);
	struct event r;
	bool triple;

	(void)state;
	/* Contributory during contributory, #PF during #PF, contributory
	 * during #PF: #DF with error code 0 (SDM Vol. 3A table 6-5). */
	r = event_merge(&gp, &de, &triple);
	assert_event(&r, EVENT_HW_EXCEPTION, X86_DF);
	assert_true(r.has_error);
	assert_int_equal(r.error, 0);
	assert_false(triple);
	r = event_merge(&pf, &pf, &triple);
	assert_event(&r, EVENT_HW_EXCEPTION, X86_DF);
	r = event_merge(&pf, &gp, &triple);
	assert_event(&r, EVENT_HW_EXCEPTION, X86_DF);
}

static void test_merge_serial(void **state)
{
	struct event gp = hw(X86_GP, true), pf = hw(X86_PF, true), ud = hw(X86_UD, false);
	struct event db = hw(X86_DB, false), r;
	bool triple;

	(void)state;
	/* A #PF during a contributory fault, or anything after a benign
	 * exception, is handled serially: the second is delivered. */
	r = event_merge(&gp, &pf, &triple);
	assert_event(&r, EVENT_HW_EXCEPTION, X86_PF);
	assert_false(triple);
	r = event_merge(&db, &gp, &triple);
	assert_event(&r, EVENT_HW_EXCEPTION, X86_GP);
	r = event_merge(&gp, &ud, &triple);
	assert_event(&r, EVENT_HW_EXCEPTION, X86_UD);
}

static void test_merge_triple_fault(void **state)
{
	struct event df = hw(X86_DF, true), gp = hw(X86_GP, true), pf = hw(X86_PF, true);
	struct event ud = hw(X86_UD, false);
	bool triple;

	(void)state;
	event_merge(&df, &gp, &triple);
	assert_true(triple);
	event_merge(&df, &pf, &triple);
	assert_true(triple);
	/* A benign exception during #DF is delivered. */
	event_merge(&df, &ud, &triple);
	assert_false(triple);
}

static void test_plan_nothing(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_plan_events(v, 0, &p);
	assert_false(p.inject.valid);
	assert_false(p.irq_window);
	assert_false(p.nmi_window);
	assert_false(p.triple_fault);
}

static void test_plan_exception_then_interrupt(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_raise_irq(v, 0x40);
	vcpu_queue_exception(v, X86_GP, true, 0x18);
	assert_true(v->req & VCPU_REQ_EVENTS);
	vcpu_plan_events(v, 0, &p);
	/* The exception first; the interrupt waits for a window. */
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_GP);
	assert_int_equal(p.inject.error, 0x18);
	assert_true(p.irq_window);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_EXT_INTR, 0x40);
	assert_false(p.irq_window);
}

static void test_first_exception_wins(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_queue_exception(v, X86_UD, false, 0);
	vcpu_queue_exception(v, X86_GP, true, 0);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_UD);
}

static void test_page_fault_sets_cr2(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_queue_pf(v, 0xdead000, 2);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_PF);
	assert_true(p.set_cr2);
	assert_int_equal(p.cr2, 0xdead000);
	assert_int_equal(p.inject.error, 2);
}

/* A completed instruction stepped with TF: DR6.BS, then #DB (a trap: no
 * RF, no error code). */
static void test_single_step_done(void **state)
{
	struct event_plan p;

	(void)state;
	fake_hw_set(v, VREG_DR6, 0xffff0ff0);
	vcpu_single_step_done(v);
	assert_int_equal(vcpu_get(v, VREG_DR6), 0xffff0ff0 | DR6_BS);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DB);
	assert_false(p.inject.has_error);
	assert_false(vcpu_get(v, VREG_RFLAGS) & RFLAGS_RF);
}

/* A fault is delivered with RF set in the RFLAGS it pushes (SDM Vol. 3A
 * 18.3.1.1), as the CPU does for its own; traps, aborts and software
 * exceptions leave RF alone. */
static void test_fault_sets_rf(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_queue_exception(v, X86_GP, true, 0);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_GP);
	assert_true(vcpu_get(v, VREG_RFLAGS) & RFLAGS_RF);
	vcpu_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	vcpu_queue_exception(v, X86_DB, false, 0);              /* a single step: a trap */
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DB);
	assert_false(vcpu_get(v, VREG_RFLAGS) & RFLAGS_RF);
	/* #GP in the delivery of #GP: #DF, an abort. */
	v->ev.interrupted = hw(X86_GP, true);
	vcpu_queue_exception(v, X86_GP, true, 0);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DF);
	assert_false(vcpu_get(v, VREG_RFLAGS) & RFLAGS_RF);
}

/* In real mode an exception pushes no error code (SDM Vol. 3A 20.1.4)
 * and VM entry refuses to deliver one (Vol. 3C 26.2.1.3): a #GP(0) from
 * an emulated RDMSR goes in without; in protected mode with it. */
static void test_real_mode_no_error_code(void **state)
{
	struct event_plan p;

	(void)state;
	fake_hw_set(v, VREG_CR0, 0x10);                  /* ET only: real mode */
	vcpu_queue_exception(v, X86_GP, true, 0);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_GP);
	assert_false(p.inject.has_error);
	fake_hw_set(v, VREG_CR0, 0x11);                  /* PE */
	fake_exit(v);                                    /* the next exit reads it */
	vcpu_queue_exception(v, X86_GP, true, 0);
	vcpu_plan_events(v, 0, &p);
	assert_true(p.inject.has_error);
}

/* The delivery of a #PF was interrupted (its IDT entry in an unmapped
 * page, say) and the emulation raised another #PF: #DF, CR2 loaded. */
static void test_plan_interrupted_fault_becomes_double_fault(void **state)
{
	struct event pf = hw(X86_PF, true);
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &pf);
	vcpu_queue_pf(v, 0x5000, 0);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DF);
	assert_true(p.set_cr2);
	assert_false(p.triple_fault);
	/* Both slots are used up. */
	vcpu_plan_events(v, 0, &p);
	assert_false(p.inject.valid);
}

static void test_plan_triple_fault(void **state)
{
	struct event df = hw(X86_DF, true);
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &df);
	vcpu_queue_gp(v);
	vcpu_plan_events(v, 0, &p);
	assert_true(p.triple_fault);
}

static void test_plan_reinjects_alone(void **state)
{
	struct event swint = { .valid = true, .type = EVENT_SW_INTERRUPT, .vector = 0x80,
			       .insn_len = 2 };
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &swint);
	vcpu_plan_events(v, EVENT_BLOCK_STI, &p);
	/* Blocking does not hold back a delivery already under way. */
	assert_event(&p.inject, EVENT_SW_INTERRUPT, 0x80);
	assert_int_equal(p.inject.insn_len, 2);
}

/* An NMI or external interrupt whose delivery lost to a new exception is
 * delivered afterwards; a software interrupt is dropped (its instruction
 * runs again). */
static void test_plan_requeues_interrupted(void **state)
{
	struct event nmi = { .valid = true, .type = EVENT_NMI, .vector = X86_NMI };
	struct event intr = { .valid = true, .type = EVENT_EXT_INTR, .vector = 0x31 };
	struct event swint = { .valid = true, .type = EVENT_SW_INTERRUPT, .vector = 0x80 };
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &nmi);
	vcpu_queue_gp(v);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_GP);
	assert_true(p.nmi_window);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_NMI, X86_NMI);

	vcpu_event_interrupted(v, &intr);
	vcpu_queue_ud(v);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_UD);
	assert_true(p.irq_window);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_EXT_INTR, 0x31);

	vcpu_event_interrupted(v, &swint);
	vcpu_queue_ud(v);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_UD);
	vcpu_plan_events(v, 0, &p);
	assert_false(p.inject.valid);
}

static void test_plan_nmi_blocking(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_queue_nmi(v);
	vcpu_queue_nmi(v);  /* latched as one */
	/* In the guest's NMI handler, or an STI or MOV-SS shadow: wait. */
	vcpu_plan_events(v, EVENT_BLOCK_NMI, &p);
	assert_false(p.inject.valid);
	assert_true(p.nmi_window);
	vcpu_plan_events(v, EVENT_BLOCK_MOV_SS, &p);
	assert_false(p.inject.valid);
	assert_true(p.nmi_window);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_NMI, X86_NMI);
	assert_false(p.nmi_window);
	vcpu_plan_events(v, 0, &p);
	assert_false(p.inject.valid);
}

/* A blocked NMI does not hold back an interrupt the guest can take. */
static void test_plan_interrupt_while_nmi_blocked(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_queue_nmi(v);
	vcpu_raise_irq(v, 0x50);
	vcpu_plan_events(v, EVENT_BLOCK_NMI, &p);
	assert_event(&p.inject, EVENT_EXT_INTR, 0x50);
	assert_true(p.nmi_window);
}

static void test_plan_interrupt_windows(void **state)
{
	struct event_plan p;

	(void)state;
	vcpu_raise_irq(v, 0x40);
	vcpu_raise_irq(v, 0x90);
	fake_hw_set(v, VREG_RFLAGS, 2); /* IF = 0 */
	fake_exit(v);
	vcpu_plan_events(v, 0, &p);
	assert_false(p.inject.valid);
	assert_true(p.irq_window);
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	fake_exit(v);
	vcpu_plan_events(v, EVENT_BLOCK_STI, &p);
	assert_false(p.inject.valid);
	assert_true(p.irq_window);
	/* The highest vector first; the other keeps the window open. */
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_EXT_INTR, 0x90);
	assert_true(p.irq_window);
	vcpu_plan_events(v, 0, &p);
	assert_event(&p.inject, EVENT_EXT_INTR, 0x40);
	assert_false(p.irq_window);
	assert_false(vcpu_irq_pending(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_double_fault),
		cmocka_unit_test(test_merge_serial),
		cmocka_unit_test(test_merge_triple_fault),
		cmocka_unit_test_setup_teardown(test_plan_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_exception_then_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_exception_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_page_fault_sets_cr2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_mode_no_error_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_sets_rf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_single_step_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_interrupted_fault_becomes_double_fault, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_plan_triple_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_reinjects_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_requeues_interrupted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_nmi_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_interrupt_while_nmi_blocked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan_interrupt_windows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
