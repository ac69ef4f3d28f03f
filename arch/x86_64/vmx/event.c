/* Event injection (SDM Vol. 3C 27.6: event injection on VM entry; 28.2.4:
 * information for VM exits during event delivery).  One exception slot,
 * one latched NMI and a bitmap of pending external-interrupt vectors per
 * vCPU. */
#include <arch/cpu.h>
#include <arch/vmcs.h>
#include <hv/exit.h>
#include <hv/platform.h>
#include <hv/vm.h>

void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	v->exception_pending = true;
	v->exception_info = INTR_INFO_VALID | (INTR_TYPE_HW_EXCEPTION << 8) | vector |
			    (has_error ? INTR_INFO_ERROR_CODE : 0);
	v->exception_error = error;
	v->exception_insn_len = 0;
}

static void set_nmi_window(struct vcpu *v, bool on);

void vcpu_inject_nmi(struct vcpu *v)
{
	v->nmi_pending = true;
}

/* An NMI raised once vcpu_deliver_events() has chosen this entry's event:
 * it goes in at the first point where NMIs are unblocked (NMI-window
 * exiting), or at the next exit on a CPU without it. */
void vcpu_inject_nmi_late(struct vcpu *v)
{
	v->nmi_pending = true;
	set_nmi_window(v, true);
}

void vcpu_raise_irq(struct vcpu *v, uint8_t vector)
{
	v->irq_pending[vector / 64] |= BIT(vector % 64);
}

static bool own_irq_pending(const struct vcpu *v)
{
	return v->irq_pending[0] | v->irq_pending[1] | v->irq_pending[2] | v->irq_pending[3];
}

bool vcpu_irq_pending(const struct vcpu *v)
{
	return own_irq_pending(v) || platform_pending_vector(v->vm) >= 0;
}

/* An exit in the middle of delivering an event through the guest's IDT
 * (an EPT violation on the IDT or stack, say) loses the event unless it is
 * injected again on the next entry (SDM 28.2.4). */
void vcpu_reinject_idt_vectoring(struct vcpu *v)
{
	uint32_t info = vmx_reinjection_info((uint32_t)vmcs_read(VMCS_IDT_VECTORING_INFO),
					     v->exit_insn_len, &v->exception_insn_len);

	if (!info)
		return;
	v->exception_pending = true;
	v->exception_info = info;
	v->exception_error = info & INTR_INFO_ERROR_CODE
				     ? (uint32_t)vmcs_read(VMCS_IDT_VECTORING_ERROR) : 0;
}

/* Interrupts raised directly (HC_TIMER) come first, then the platform's
 * interrupt controllers. */
static int highest_pending(const struct vcpu *v, bool *own)
{
	*own = true;
	for (int w = 3; w >= 0; w--)
		if (v->irq_pending[w])
			return w * 64 + 63 - __builtin_clzll(v->irq_pending[w]);
	*own = false;
	return platform_pending_vector(v->vm);
}

/* Interrupt- and NMI-window exiting: a VM exit as soon as the guest can
 * take the event (SDM 25.6.2). */
static void set_window_exiting(struct vcpu *v, uint32_t control, bool *armed, bool on)
{
	if (*armed == on)
		return;
	v->proc_ctls = on ? v->proc_ctls | control : v->proc_ctls & ~control;
	vmcs_write(VMCS_PROC_CONTROLS, v->proc_ctls);
	*armed = on;
}

static void set_irq_window(struct vcpu *v, bool on)
{
	set_window_exiting(v, PROC_INTERRUPT_WINDOW_EXITING, &v->irq_window_armed, on);
}

/* Without NMI-window exiting (no virtual NMIs) a blocked NMI waits for
 * whatever exit comes next. */
static void set_nmi_window(struct vcpu *v, bool on)
{
	set_window_exiting(v, PROC_NMI_WINDOW_EXITING, &v->nmi_window_armed, on && v->nmi_window_ok);
}

static void wake(void)
{
	/* An injected event ends the HLT state anyway (SDM 27.6.5), but
	 * saying so keeps the VMCS honest for anyone reading it. */
	if (vmcs_read(VMCS_GUEST_ACTIVITY_STATE) != ACTIVITY_ACTIVE)
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
}

static bool interrupts_deliverable(void)
{
	uint64_t rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	return (rflags & RFLAGS_IF) && !(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* An NMI waits while the guest handles one (blocking by NMI lasts until
 * its IRET; with virtual NMIs the CPU tracks it, SDM 25.3) and in the
 * shadow of MOV SS or STI, where VM entry may refuse it (SDM 26.3.1.5). */
static bool nmi_deliverable(void)
{
	uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	return !(intr & (INTERRUPTIBILITY_NMI | INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* An NMI goes before external interrupts (SDM Vol. 3A 6.9). */
static bool deliver_nmi(struct vcpu *v)
{
	if (!v->nmi_pending) {
		set_nmi_window(v, false);
		return false;
	}
	if (!nmi_deliverable()) {
		set_nmi_window(v, true);
		return false;
	}
	v->nmi_pending = false;
	set_nmi_window(v, false);
	vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | (INTR_TYPE_NMI << 8) | NMI_VECTOR);
	wake();
	set_irq_window(v, vcpu_irq_pending(v));
	return true;
}

void vcpu_deliver_events(struct vcpu *v)
{
	bool own;
	int vector;

	if (v->exception_pending) {
		vmcs_write(VMCS_ENTRY_INTR_INFO, v->exception_info);
		if (v->exception_info & INTR_INFO_ERROR_CODE)
			vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR, v->exception_error);
		if (v->exception_insn_len)
			vmcs_write(VMCS_ENTRY_INSTRUCTION_LEN, v->exception_insn_len);
		v->exception_pending = false;
		/* A pending NMI or interrupt waits for the next window. */
		set_nmi_window(v, v->nmi_pending);
		set_irq_window(v, vcpu_irq_pending(v));
		return;
	}
	if (deliver_nmi(v))
		return;
	vector = highest_pending(v, &own);
	if (vector < 0) {
		set_irq_window(v, false);
		return;
	}
	if (!interrupts_deliverable()) {
		set_irq_window(v, true);
		return;
	}
	if (own)
		v->irq_pending[vector / 64] &= ~BIT(vector % 64);
	else
		platform_ack_vector(v->vm, vector);
	vmcs_write(VMCS_ENTRY_INTR_INFO, INTR_INFO_VALID | (INTR_TYPE_EXT_INTERRUPT << 8) | (uint32_t)vector);
	wake();
	set_irq_window(v, vcpu_irq_pending(v));
}
