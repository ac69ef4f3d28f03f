/* VMCALL: the hypercall ABI of include/hv/hypercall.h (docs/HYPERCALLS.md).
 * Only the guest's kernel may call: VMCALL from CPL > 0 raises #UD, as on
 * a CPU with no hypervisor, so a guest's user programs cannot reach the
 * hypervisor behind its kernel's back (Jailhouse and ACRN refuse it the
 * same way). */
#include <hv/arch.h>
#include <hv/hypercall.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

/* Printed in pieces on the VM's console output, tagged and sanitised like
 * everything else the guest prints.  The whole buffer is checked first:
 * a call that fails with HC_EFAULT prints nothing. */
static int64_t hc_print(struct vcpu *v, uint64_t gpa, uint64_t len)
{
	char buf[256];

	if (len > HC_PRINT_MAX)
		return HC_EINVAL;
	if (!vm_gpa_in_ram(v->vm, gpa, len))
		return HC_EFAULT;
	while (len) {
		size_t n = MIN(len, sizeof(buf));

		if (vm_read_gpa(v->vm, gpa, buf, n))
			return HC_EFAULT;
		vm_console_write(&v->vm->console, buf, n);
		gpa += n;
		len -= n;
	}
	vm_console_flush(&v->vm->console, false);
	return HC_OK;
}

static int64_t hc_timer(struct vcpu *v, uint64_t vector, uint64_t delay)
{
	uint64_t now = arch_tsc();

	if (vector < 32 || vector > 255)
		return HC_EINVAL;
	v->timer_vector = (uint8_t)vector;
	/* Saturated: a sum that wrapped would be a deadline in the past (it
	 * fires at once) or 0 (not armed); UINT64_MAX never comes. */
	delay = delay ? delay : 1;
	v->timer_deadline = delay > UINT64_MAX - now ? UINT64_MAX : now + delay;
	vcpu_request(v, VCPU_REQ_TIMER);
	return HC_OK;
}

enum vmexit_ret hypercall_emulate(struct vcpu *v)
{
	uint64_t *r = v->regs.gpr;
	int64_t ret;

	if (vcpu_cpl(v) != 0) {
		vcpu_queue_ud(v);
		return VMEXIT_INJECTED;
	}
	switch ((uint32_t)r[GPR_RAX]) {
	case HC_PRINT:
		ret = hc_print(v, (uint32_t)r[GPR_RBX], (uint32_t)r[GPR_RCX]);
		break;
	case HC_EXIT:
		vm_end(v->vm, VM_END_HYPERCALL, (uint32_t)r[GPR_RBX], "hypercall");
		return VMEXIT_STOP;
	case HC_NOP:
		ret = HC_OK;
		break;
	case HC_TIMER:
		ret = hc_timer(v, (uint32_t)r[GPR_RBX],
			       ((uint64_t)(uint32_t)r[GPR_RDX] << 32) | (uint32_t)r[GPR_RCX]);
		break;
	case HC_NMI:
		vcpu_queue_nmi(v);
		ret = HC_OK;
		break;
	default:
		ret = HC_ENOSYS;
		break;
	}
	r[GPR_RAX] = (uint64_t)ret;
	return VMEXIT_NEXT;
}
