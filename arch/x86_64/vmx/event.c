/* Events into and out of the VMCS (SDM Vol. 3C 27.6: event injection on
 * VM entry; 28.2.4: information for VM exits during event delivery).
 * Which event goes in is decided by portable code (src/core/event.c);
 * here it is written to the VM-entry fields, the windows are opened and
 * closed, and the interruptibility state is kept valid for the entry. */
#include <arch/cpu.h>
#include <arch/vmx.h>
#include <arch/vmx_decode.h>
#include <arch/vmx_vcpu.h>
#include <hv/vm.h>

/* An exit in the middle of delivering an event through the guest's IDT
 * (an EPT violation on the IDT or stack, say) loses the event unless it is
 * delivered again (SDM 28.2.4). */
__attribute__((noinline)) void vmx_save_vectoring(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO);
	uint32_t type = INTR_INFO_TYPE(info);
	uint32_t error = 0, len = 0;
	struct event e;

	if (!(info & INTR_INFO_VALID))
		return;
	if (info & INTR_INFO_ERROR_CODE)
		error = (uint32_t)vmcs_read(VMCS_IDT_VECTORING_ERROR);
	if (type == EVENT_SW_INTERRUPT || type == EVENT_SW_EXCEPTION ||
	    type == EVENT_PRIV_SW_EXCEPTION)
		len = (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
	vmx_decode_vectoring(info, error, len, &e);
	vcpu_event_interrupted(v, &e);
}

/* An IRET that faulted (or whose access exited) has not returned yet:
 * NMIs stay blocked until it runs again (SDM Vol. 3C 28.2.3, with virtual
 * NMIs).  Nothing to do when the exit came from an event's delivery. */
void vmx_reblock_nmi(struct vcpu *v)
{
	if (!(vmx(v)->pin_ctls & PIN_VIRTUAL_NMIS) || v->ev.interrupted.valid)
		return;
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
		   vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) | INTERRUPTIBILITY_NMI);
}

/* A #DB that exits leaves the single step it may owe undone: with TF set
 * and blocking by STI or MOV SS, VM entry requires the pending BS
 * (26.3.1.5), which the CPU sets for every other exit but not this one
 * (27.1); set it as it would have. */
void vmx_db_single_step_pending(struct vcpu *v)
{
	uint32_t intr;

	if (!(vcpu_get(v, VREG_RFLAGS) & RFLAGS_TF))
		return;
	intr = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write(VMCS_GUEST_PENDING_DBG,
			   vmcs_read(VMCS_GUEST_PENDING_DBG) | PENDING_DBG_BS);
}

/* Interrupt- and NMI-window exiting: a VM exit as soon as the guest can
 * take the event (SDM 25.6.2).  Without NMI-window exiting (no virtual
 * NMIs) a blocked NMI waits for whatever exit comes next. */
static void set_window(struct vcpu *v, uint32_t control, bool *armed, bool on)
{
	struct vcpu_arch *x = vmx(v);

	if (*armed == on)
		return;
	x->proc_ctls = on ? x->proc_ctls | control : x->proc_ctls & ~control;
	vmcs_write(VMCS_PROC_CONTROLS, x->proc_ctls);
	*armed = on;
}

static void inject(struct vcpu *v, const struct event_plan *p, uint32_t *intr)
{
	struct vcpu_arch *x = vmx(v);
	const struct event *e = &p->inject;

	vmcs_write(VMCS_ENTRY_INTR_INFO, vmx_entry_intr_info(e));
	if (e->has_error)
		vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, e->error);
	if (e->insn_len)
		vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, e->insn_len);
	/* CR2 is not in the VMCS: the guest's is the CPU's own while the
	 * hypervisor runs (it takes no page faults). */
	if (p->set_cr2)
		write_cr2(p->cr2);
	/* Virtual-NMI blocking starts with the delivery; an NMI whose
	 * delivery was interrupted may have left it set, which the entry
	 * checks refuse for an injected NMI (SDM 26.3.1.5). */
	if (e->type == EVENT_NMI)
		*intr &= ~(uint32_t)INTERRUPTIBILITY_NMI;
	/* An injected event ends the HLT state (SDM 27.6.5), and only a few
	 * may be injected into it (26.3.1.5): say so in the VMCS. */
	if (x->halted) {
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
		x->halted = false;
	}
}

void vmx_deliver_events(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	uint32_t old = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY), intr = old;
	bool halt = v->req & VCPU_REQ_HALT;
	struct event_plan p;

	v->req &= ~(uint32_t)(VCPU_REQ_EVENTS | VCPU_REQ_HALT);
	vcpu_plan_events(v, vmx_blocking(intr), &p);
	if (p.triple_fault) {
		vm_end(v->vm, VM_END_TRIPLE_FAULT, 0,
		       "triple fault (a fault while delivering a double fault) at RIP 0x%lx",
		       vcpu_get(v, VREG_RIP));
		return;
	}
	if (p.inject.valid) {
		inject(v, &p, &intr);
	} else if (halt) {
		/* HLT waits in the CPU's HLT state for the next exit. */
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
		x->halted = true;
	}
	if (intr != old)
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr);
	set_window(v, PROC_INTERRUPT_WINDOW_EXITING, &x->irq_window, p.irq_window);
	set_window(v, PROC_NMI_WINDOW_EXITING, &x->nmi_window, p.nmi_window && x->nmi_window_ok);
	if (p.nmi_window && !x->nmi_window_ok)
		vcpu_request(v, VCPU_REQ_EVENTS);
}
