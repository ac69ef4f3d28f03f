/* Unit tests of src/core/hypercall.c: VMCALL's ABI (include/hv/hypercall.h)
 * on a fake vCPU (fake_arch.c), output checked on the captured console. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/hypercall.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"

#define RAM_SIZE (1 << 20)

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(RAM_SIZE);
	v = &vm->vcpus[0];
	fake_hw_set(v, VREG_SS_AR, 0x93);  /* DPL 0 */
	fake_console_clear();
	fake_tsc_now = 1000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

/* One VMCALL exit with EAX..EDX. */
static enum vmexit_ret vmcall(uint64_t rax, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	fake_exit(v);
	v->regs.gpr[GPR_RAX] = rax;
	v->regs.gpr[GPR_RBX] = rbx;
	v->regs.gpr[GPR_RCX] = rcx;
	v->regs.gpr[GPR_RDX] = rdx;
	return hypercall_emulate(v);
}

/* From CPL > 0 VMCALL raises #UD, as on a CPU without a hypervisor: the
 * registers are untouched and the VM goes on. */
static void test_user_mode_ud(void **state)
{
	(void)state;
	for (unsigned dpl = 1; dpl <= 3; dpl++) {
		memset(&v->ev, 0, sizeof(v->ev));
		fake_hw_set(v, VREG_SS_AR, 0x93 | dpl << 5);
		assert_int_equal(vmcall(HC_EXIT, 5, 0, 0), VMEXIT_INJECTED);
		assert_true(v->ev.exception.valid);
		assert_int_equal(v->ev.exception.vector, X86_UD);
		assert_int_equal(v->regs.gpr[GPR_RAX], HC_EXIT);
		assert_int_equal(vm->state, VM_RUNNING);
		assert_false(v->req & VCPU_REQ_STOP);
	}
	assert_int_equal(vmcall(HC_NOP, 0, 0, 0), VMEXIT_INJECTED);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_NOP);
}

static void test_nop(void **state)
{
	(void)state;
	assert_int_equal(vmcall(HC_NOP, 1, 2, 3), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_false(v->ev.exception.valid);
	/* The function number is EAX: RAX's high half does not count. */
	assert_int_equal(vmcall(0xffffffff00000000ULL | HC_NOP, 0, 0, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
}

/* Unknown functions return HC_ENOSYS, sign-extended into RAX. */
static void test_unknown(void **state)
{
	(void)state;
	assert_int_equal(vmcall(5, 0, 0, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_ENOSYS);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xfffffffffffffffeULL);
	assert_int_equal(vmcall(0xffffffff, 0, 0, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_ENOSYS);
	assert_int_equal(vm->state, VM_RUNNING);
}

/* HC_PRINT: one tagged line on the console, control characters
 * replaced. */
static void test_print(void **state)
{
	(void)state;
	memcpy(fake_ram(vm) + 0x1000, "hello\x1b[2Jworld\n", 15);
	assert_int_equal(vmcall(HC_PRINT, 0x1000, 15, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_string_equal(fake_console(), "[fake] hello.[2Jworld\r\n");
	/* Output without a newline is ended by the hypercall; EBX and ECX
	 * are 32-bit. */
	fake_console_clear();
	assert_int_equal(vmcall(HC_PRINT, 0xffffffff00001000ULL, 0xffffffff00000005ULL, 0),
			 VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_string_equal(fake_console(), "[fake] hello\r\n");
	/* Nothing to print. */
	fake_console_clear();
	vmcall(HC_PRINT, 0x1000, 0, 0);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_string_equal(fake_console(), "");
}

/* The longest print, to the last byte of RAM, in several pieces. */
static void test_print_max(void **state)
{
	uint8_t *buf = fake_ram(vm) + RAM_SIZE - HC_PRINT_MAX;

	(void)state;
	memset(buf, 'x', HC_PRINT_MAX);
	assert_int_equal(vmcall(HC_PRINT, RAM_SIZE - HC_PRINT_MAX, HC_PRINT_MAX, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	/* Lines of VM_CONSOLE_LINE_MAX characters, each tagged. */
	assert_int_equal(strlen(fake_console()),
			 HC_PRINT_MAX + (HC_PRINT_MAX / VM_CONSOLE_LINE_MAX + 1) * strlen("[fake] \r\n"));
	assert_int_equal(vmcall(HC_PRINT, 0, HC_PRINT_MAX + 1, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_EINVAL);
}

/* A buffer not all in guest RAM: HC_EFAULT, and nothing printed, not even
 * the part that is in RAM. */
static void test_print_bad_buffer(void **state)
{
	(void)state;
	memset(fake_ram(vm) + RAM_SIZE - 1024, 'y', 1024);
	assert_int_equal(vmcall(HC_PRINT, RAM_SIZE, 1, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_EFAULT);
	assert_int_equal(vmcall(HC_PRINT, 0xfffff000, 16, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_EFAULT);
	assert_int_equal(vmcall(HC_PRINT, RAM_SIZE - 1024, 1025, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_EFAULT);
	assert_string_equal(fake_console(), "");
	assert_int_equal(vm->state, VM_RUNNING);
}

/* HC_TIMER: vector in EBX, delay in ECX (low) : EDX (high), from now. */
static void test_timer(void **state)
{
	(void)state;
	assert_int_equal(vmcall(HC_TIMER, 0x40, 500, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_int_equal(v->timer_vector, 0x40);
	assert_int_equal(v->timer_deadline, 1500);
	assert_true(v->req & VCPU_REQ_TIMER);
	assert_int_equal(vmcall(HC_TIMER, 255, 0x2, 0x1), VMEXIT_NEXT);
	assert_int_equal(v->timer_vector, 255);
	assert_int_equal(v->timer_deadline, 1000 + 0x100000002ULL);
	/* A zero delay is the next tick: 0 would mean "not armed". */
	vmcall(HC_TIMER, 32, 0, 0);
	assert_int_equal(v->timer_deadline, 1001);
	/* It fires as an interrupt with its vector. */
	fake_tsc_now = 1001;
	assert_int_equal(vcpu_timer_expired(v), VMEXIT_RETRY);
	assert_int_equal(v->timer_deadline, 0);
	assert_true(vcpu_irq_pending(v));
}

static void test_timer_bad_vector(void **state)
{
	(void)state;
	assert_int_equal(vmcall(HC_TIMER, 31, 100, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_EINVAL);
	assert_int_equal(vmcall(HC_TIMER, 256, 100, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], (uint64_t)(int64_t)HC_EINVAL);
	assert_int_equal(v->timer_deadline, 0);
	assert_false(v->req & VCPU_REQ_TIMER);
}

/* A delay past the end of the TSC's range is "never", not a deadline
 * that wrapped into the past (which would fire at once) or to 0 (which
 * would disarm the timer). */
static void test_timer_saturates(void **state)
{
	(void)state;
	assert_int_equal(vmcall(HC_TIMER, 0x40, 0xffffffff, 0xffffffff), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_int_equal(v->timer_deadline, UINT64_MAX);
	vmcall(HC_TIMER, 0x40, (uint32_t)-1000, 0xffffffff);
	assert_int_equal(v->timer_deadline, UINT64_MAX);
	fake_tsc_now = 1ULL << 63;
	vcpu_timer_expired(v);
	assert_false(vcpu_irq_pending(v));
	assert_int_equal(v->timer_deadline, UINT64_MAX);
}

static void test_exit(void **state)
{
	(void)state;
	assert_int_equal(vmcall(HC_EXIT, 0xffffffff00000007ULL, 0, 0), VMEXIT_STOP);
	assert_int_equal(vm->state, VM_ENDED);
	assert_int_equal(vm->end, VM_END_HYPERCALL);
	assert_int_equal(vm->end_status, 7);
	assert_true(v->req & VCPU_REQ_STOP);
}

static void test_nmi(void **state)
{
	(void)state;
	assert_int_equal(vmcall(HC_NMI, 0, 0, 0), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], HC_OK);
	assert_true(v->ev.nmi_pending);
	assert_true(v->req & VCPU_REQ_EVENTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_mode_ud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_bad_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_bad_vector, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_saturates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nmi, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
