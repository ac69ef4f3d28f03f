/* VMCALL: the hypercall ABI of include/hv/hypercall.h. */
#include <arch/cpu.h>
#include <hv/console.h>
#include <hv/exit.h>
#include <hv/hypercall.h>
#include <hv/vm.h>

static int64_t hc_print(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	char buf[257];

	if (len > HC_PRINT_MAX)
		return HC_EINVAL;
	/* Printed in pieces through the guest's console path, so the output
	 * is tagged and sanitised like the guest's UART output. */
	while (len) {
		size_t n = MIN(len, sizeof(buf) - 1);

		if (vm_read_gpa(v->vm, gpa, buf, n))
			return HC_EFAULT;
		for (size_t i = 0; i < n; i++)
			vuart_write(&v->vm->uart, VUART_COM1_BASE, 1, (uint8_t)buf[i]);
		gpa += n;
		len -= n;
	}
	vuart_flush(&v->vm->uart);
	return HC_OK;
}

static int64_t hc_timer(struct vcpu *v, uint64_t vector, uint64_t delay)
{
	if (vector < 32 || vector > 255)
		return HC_EINVAL;
	v->timer_vector = (uint8_t)vector;
	v->timer_deadline = rdtsc() + (delay ? delay : 1);
	return HC_OK;
}

void handle_vmcall(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr;
	uint32_t fn = (uint32_t)r[GPR_RAX];
	int64_t ret;

	switch (fn) {
	case HC_PRINT:
		ret = hc_print(v, (uint32_t)r[GPR_RBX], (uint32_t)r[GPR_RCX]);
		break;
	case HC_EXIT:
		vm_end(v->vm, VM_END_HYPERCALL, (uint32_t)r[GPR_RBX], "hypercall");
		return;
	case HC_NOP:
		ret = HC_OK;
		break;
	case HC_TIMER:
		ret = hc_timer(v, (uint32_t)r[GPR_RBX],
			       ((uint64_t)(uint32_t)r[GPR_RDX] << 32) | (uint32_t)r[GPR_RCX]);
		break;
	case HC_NMI:
		vcpu_inject_nmi(v);
		ret = HC_OK;
		break;
	default:
		ret = HC_ENOSYS;
		break;
	}
	r[GPR_RAX] = (uint64_t)ret;
	vcpu_skip_instruction(v);
}
