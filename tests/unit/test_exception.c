/* Unit tests of src/emul/exception.c: the intercepted exceptions (#AC and
 * #DB reflected into the guest, #MC stopping the VM) on a fake vCPU
 * (fake_arch.c), through the event plan the next entry would deliver. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/event.h>
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
	fake_hw_set(v, VREG_RFLAGS, RFLAGS_IF | 2);
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_ET);   /* protected mode */
	fake_hw_set(v, VREG_RIP, 0x101000);
	fake_hw_set(v, VREG_DR6, DR6_RESET);
	fake_hw_set(v, VREG_DR7, 0x400);
	fake_console_clear();
	fake_exit(v);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static struct exception_request hw(uint8_t vector, bool has_error, uint32_t error, uint64_t dr6)
{
	return (struct exception_request){
		.event = { .valid = true, .type = EVENT_HW_EXCEPTION, .vector = vector,
			   .has_error = has_error, .error = error },
		.dr6 = dr6,
	};
}

static void assert_event(const struct event *e, uint8_t type, uint8_t vector)
{
	assert_true(e->valid);
	assert_int_equal(e->type, type);
	assert_int_equal(e->vector, vector);
}

/* What the next entry injects; the registers set reach the "hardware". */
static struct event_plan entry(void)
{
	struct event_plan p;

	vcpu_plan_events(v, 0, &p);
	fake_entry(v);
	return p;
}

static void test_ac_reflected(void **state)
{
	struct exception_request r = hw(X86_AC, true, 0, 0);
	struct event_plan p;

	(void)state;
	assert_int_equal(exception_reflect(v, &r), VMEXIT_INJECTED);
	assert_true(v->req & VCPU_REQ_EVENTS);
	p = entry();
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_AC);
	assert_true(p.inject.has_error);
	assert_int_equal(p.inject.error, 0);
	assert_int_equal(p.inject.insn_len, 0);
	assert_false(p.set_cr2);
	/* The debug registers are not touched for #AC. */
	assert_int_equal(fake_hw(v, VREG_DR6), DR6_RESET);
	assert_int_equal(v->regs.dirty, 0);
	assert_false(vm_ended(vm));
}

/* CVE-2015-5307: #AC while delivering #AC.  The interrupted #AC and the
 * new one are both benign: handled serially (SDM Vol. 3A table 6-5), the
 * new #AC goes in, an exit each time; no #DF, no triple fault. */
static void test_ac_during_ac_delivery(void **state)
{
	struct exception_request r = hw(X86_AC, true, 0, 0);
	struct event_plan p;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		fake_exit(v);
		vcpu_event_interrupted(v, &r.event);
		assert_int_equal(exception_reflect(v, &r), VMEXIT_INJECTED);
		p = entry();
		assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_AC);
		assert_int_equal(p.inject.error, 0);
		assert_false(p.triple_fault);
	}
	assert_false(vm_ended(vm));
}

/* #AC while delivering a #GP: serial too (#AC is benign): the #AC. */
static void test_ac_during_contributory(void **state)
{
	struct event gp = { .valid = true, .type = EVENT_HW_EXCEPTION, .vector = X86_GP,
			    .has_error = true };
	struct exception_request r = hw(X86_AC, true, 0, 0);
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &gp);
	exception_reflect(v, &r);
	p = entry();
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_AC);
	assert_false(p.triple_fault);
}

/* A single step: BS set in DR6, B0-B3 of an earlier #DB cleared, the
 * rest of DR6 as the guest left it; DR7 untouched without GD. */
static void test_db_single_step(void **state)
{
	struct exception_request r = hw(X86_DB, false, 0, DR6_BS);
	struct event_plan p;

	(void)state;
	fake_hw_set(v, VREG_DR6, DR6_RESET | 0x2);
	assert_int_equal(exception_reflect(v, &r), VMEXIT_INJECTED);
	p = entry();
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DB);
	assert_false(p.inject.has_error);
	assert_int_equal(fake_hw(v, VREG_DR6), DR6_RESET | DR6_BS);
	assert_int_equal(fake_hw(v, VREG_DR7), 0x400);
	assert_false(v->regs.dirty & BIT(VREG_DR7));
}

/* A breakpoint: its B bit; BS of an earlier single step stays (only
 * software clears it). */
static void test_db_breakpoint(void **state)
{
	struct exception_request r = hw(X86_DB, false, 0, 0x1);

	(void)state;
	fake_hw_set(v, VREG_DR6, DR6_RESET | DR6_BS | 0x8);
	fake_hw_set(v, VREG_DR7, 0x402);
	exception_reflect(v, &r);
	entry();
	assert_int_equal(fake_hw(v, VREG_DR6), DR6_RESET | DR6_BS | 0x1);
	assert_int_equal(fake_hw(v, VREG_DR7), 0x402);
}

/* General detect: a MOV DR with DR7.GD set.  BD in DR6, and GD cleared so
 * that the handler may use the debug registers (SDM Vol. 3A 17.2.4). */
static void test_db_general_detect(void **state)
{
	struct exception_request r = hw(X86_DB, false, 0, DR6_BD);

	(void)state;
	fake_hw_set(v, VREG_DR7, 0x400 | DR7_GD | 0x1);
	exception_reflect(v, &r);
	entry();
	assert_int_equal(fake_hw(v, VREG_DR6), DR6_RESET | DR6_BD);
	assert_int_equal(fake_hw(v, VREG_DR7), 0x400 | 0x1);
}

/* INT1 (ICEBP): a privileged software exception, injected again with its
 * type and length (the guest's handler returns after it); no DR6 bit. */
static void test_int1(void **state)
{
	struct exception_request r = {
		.event = { .valid = true, .type = EVENT_PRIV_SW_EXCEPTION, .vector = X86_DB,
			   .insn_len = 1 },
	};
	struct event_plan p;

	(void)state;
	fake_hw_set(v, VREG_DR6, DR6_RESET | 0x4);
	assert_int_equal(exception_reflect(v, &r), VMEXIT_INJECTED);
	p = entry();
	assert_event(&p.inject, EVENT_PRIV_SW_EXCEPTION, X86_DB);
	assert_int_equal(p.inject.insn_len, 1);
	assert_false(p.inject.has_error);
	assert_int_equal(fake_hw(v, VREG_DR6), DR6_RESET | 0x4);
	assert_int_equal(fake_hw_reads(v, VREG_DR6), 0);
}

/* CVE-2015-8104: #DB while delivering #DB: the new #DB goes in (serial),
 * its DR6 bits set; and again, for as long as the guest likes. */
static void test_db_during_db_delivery(void **state)
{
	struct exception_request r = hw(X86_DB, false, 0, 0x1);
	struct event_plan p;

	(void)state;
	for (int i = 0; i < 100; i++) {
		fake_exit(v);
		vcpu_event_interrupted(v, &r.event);
		exception_reflect(v, &r);
		p = entry();
		assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DB);
		assert_false(p.triple_fault);
	}
	assert_int_equal(fake_hw(v, VREG_DR6), DR6_RESET | 0x1);
}

/* A #DB that interrupted an external interrupt's delivery: the #DB goes
 * in, the interrupt waits for its turn again (SDM Vol. 3C 28.2.4). */
static void test_db_during_interrupt_delivery(void **state)
{
	struct event irq = { .valid = true, .type = EVENT_EXT_INTR, .vector = 0x30 };
	struct exception_request r = hw(X86_DB, false, 0, 0x1);
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &irq);
	exception_reflect(v, &r);
	p = entry();
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DB);
	assert_true(p.irq_window);
	p = entry();
	assert_event(&p.inject, EVENT_EXT_INTR, 0x30);
}

/* A #DB during a double fault's delivery is benign: delivered, no
 * shutdown (SDM Vol. 3A table 6-5). */
static void test_db_during_double_fault(void **state)
{
	struct event df = { .valid = true, .type = EVENT_HW_EXCEPTION, .vector = X86_DF,
			    .has_error = true };
	struct exception_request r = hw(X86_DB, false, 0, DR6_BS);
	struct event_plan p;

	(void)state;
	vcpu_event_interrupted(v, &df);
	exception_reflect(v, &r);
	p = entry();
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_DB);
	assert_false(p.triple_fault);
}

/* A machine check stops the VM, says so on the console, injects nothing. */
static void test_machine_check(void **state)
{
	struct exception_request r = hw(X86_MC, false, 0, 0);
	struct event_plan p;

	(void)state;
	r.mc_status_valid = true;
	r.mc_status = 0x5;   /* RIPV, MCIP */
	assert_int_equal(exception_reflect(v, &r), VMEXIT_STOP);
	assert_true(vm_ended(vm));
	assert_int_equal(vm->end, VM_END_ERROR);
	assert_non_null(strstr(vm->end_detail, "machine check (#MC) during guest execution at "
					       "RIP 0x101000"));
	assert_non_null(strstr(fake_console(), "machine check during guest execution at RIP "
					       "0x101000, IA32_MCG_STATUS 0x5 (RIPV 1 EIPV 0 MCIP 1)"));
	vcpu_plan_events(v, 0, &p);
	assert_false(p.inject.valid);
}

static void test_machine_check_no_status(void **state)
{
	struct exception_request r = hw(X86_MC, false, 0, 0);

	(void)state;
	assert_int_equal(exception_reflect(v, &r), VMEXIT_STOP);
	assert_true(vm_ended(vm));
	assert_non_null(strstr(fake_console(), "machine check during guest execution at RIP "
					       "0x101000"));
	assert_null(strstr(fake_console(), "MCG_STATUS"));
}

/* The #AC loop exits at every delivery attempt and never runs an
 * instruction: the CPU-time limit is checked at these exits too. */
static void test_cpu_limit_in_loop(void **state)
{
	struct exception_request r = hw(X86_AC, true, 0, 0);
	struct event_plan p;

	(void)state;
	vm->cpu_limit_ms = 300;
	v->cpu_deadline_tsc = fake_tsc_now + 1000;
	vcpu_event_interrupted(v, &r.event);
	assert_int_equal(exception_reflect(v, &r), VMEXIT_INJECTED);
	p = entry();
	assert_event(&p.inject, EVENT_HW_EXCEPTION, X86_AC);
	fake_tsc_now += 1000;
	fake_exit(v);
	vcpu_event_interrupted(v, &r.event);
	assert_int_equal(exception_reflect(v, &r), VMEXIT_STOP);
	assert_true(vm_ended(vm));
	assert_int_equal(vm->end, VM_END_CPU_LIMIT);
	assert_non_null(strstr(vm->end_detail, "CPU time limit of 300 ms used up"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ac_reflected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ac_during_ac_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ac_during_contributory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_single_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_breakpoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_general_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_int1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_during_db_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_during_interrupt_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_db_during_double_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_check_no_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_limit_in_loop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
