/* The VM-exit dispatcher: a table from basic exit reason to handler (SDM
 * Vol. 3C appendix C).  The one-line handlers live here; each larger
 * concern has its own file (exit_cpuid.c, exit_msr.c, exit_cr.c,
 * exit_io.c, exit_ept.c, hypercall.c).  An exit with no handler stops
 * only the VM that caused it. */
#include <arch/cpu.h>
#include <arch/vmcs.h>
#include <hv/exit.h>
#include <hv/log.h>
#include <hv/platform.h>
#include <hv/vm.h>

static void handle_triple_fault(struct vcpu *v)
{
	vm_end(v->vm, VM_END_TRIPLE_FAULT, 0, "triple fault at RIP 0x%lx (CR0 0x%lx, IDTR limit 0x%lx)",
	       vcpu_rip(v), vmcs_read(VMCS_CR0_READ_SHADOW), vmcs_read(VMCS_GUEST_IDTR_LIMIT));
}

/* HLT: sleep until an interrupt.  With an interrupt already pending the
 * guest goes on at once; with the HC_TIMER armed the CPU itself waits in
 * the HLT activity state until the preemption timer fires (SDM 26.6.5);
 * with no wake-up source the VM can never run again, so it ends. */
static void handle_hlt(struct vcpu *v)
{
	bool interrupts_on = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_IF;

	vcpu_skip_instruction(v);
	if (interrupts_on && vcpu_irq_pending(v))
		return;
	if (interrupts_on && vcpu_next_event_tsc(v)) {
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_HLT);
		return;
	}
	vm_end(v->vm, VM_END_HALTED, 0, "halted with %s at RIP 0x%lx",
	       interrupts_on ? "no wake-up source" : "interrupts disabled", vcpu_rip(v));
}

/* A timer value clamped to 32 bits may run out before anything is due:
 * then nothing happens and the next entry re-arms it. */
static void handle_preemption_timer(struct vcpu *v)
{
	platform_tick(v->vm);
	if (!v->timer_deadline || rdtsc() < v->timer_deadline)
		return;
	v->timer_deadline = 0;
	vcpu_raise_irq(v, v->timer_vector);
}

/* The host takes no interrupts of its own yet: with "acknowledge interrupt
 * on exit" the vector is already consumed; note it and go on. */
static void handle_external_interrupt(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);

	pr_debug("vm %u: host interrupt vector %u during guest execution", v->vm->id,
		 INTR_INFO_VECTOR(info));
}

/* Interrupt-window exiting was armed by event.c; the delivery itself is
 * done on the way back in by vcpu_deliver_events(). */
static void handle_interrupt_window(struct vcpu *v) { UNUSED(v); }

/* Likewise: the guest's IRET unblocked NMIs; the pending one goes in. */
static void handle_nmi_window(struct vcpu *v) { UNUSED(v); }

/* The guest's caches are the host's caches: INVD would throw away the
 * hypervisor's dirty lines too, so it is done as WBINVD (SDM Vol. 2A INVD:
 * "use with care"). */
static void handle_cache_flush(struct vcpu *v)
{
	__asm__ volatile("wbinvd" ::: "memory");
	vcpu_skip_instruction(v);
}

/* VMX is hidden from guests (CPUID.1:ECX.VMX = 0), and on such a CPU every
 * VMX instruction raises #UD (SDM Vol. 3C 31.3). */
static void handle_vmx_instruction(struct vcpu *v) { vcpu_inject_ud(v); }

/* CPUID hides MONITOR/MWAIT, so they raise #UD as on such a CPU. */
static void handle_monitor_mwait(struct vcpu *v) { vcpu_inject_ud(v); }

static void handle_exception_nmi(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);

	/* Only NMIs exit here (the exception bitmap is empty): an NMI of the
	 * machine (a watchdog, a platform error) arrived while the guest ran.
	 * The hypervisor has no use for NMIs, and the platform is the guest's:
	 * the guest takes it, as it would without the hypervisor. */
	if (INTR_INFO_TYPE(info) == INTR_TYPE_NMI) {
		pr_debug("vm %u (%s): host NMI passed to the guest", v->vm->id, v->vm->name);
		vcpu_inject_nmi(v);
		return;
	}
	vm_end(v->vm, VM_END_ERROR, 0, "unexpected exception exit, interruption info 0x%x", info);
}

static const exit_handler_fn exit_handlers[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_INTERRUPT_WINDOW] = handle_interrupt_window,
	[EXIT_NMI_WINDOW] = handle_nmi_window,
	[EXIT_CPUID] = handle_cpuid,
	[EXIT_HLT] = handle_hlt,
	[EXIT_INVD] = handle_cache_flush,
	[EXIT_WBINVD] = handle_cache_flush,
	[EXIT_VMCALL] = handle_vmcall,
	[EXIT_VMCLEAR] = handle_vmx_instruction,
	[EXIT_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_VMPTRLD] = handle_vmx_instruction,
	[EXIT_VMPTRST] = handle_vmx_instruction,
	[EXIT_VMREAD] = handle_vmx_instruction,
	[EXIT_VMRESUME] = handle_vmx_instruction,
	[EXIT_VMWRITE] = handle_vmx_instruction,
	[EXIT_VMXOFF] = handle_vmx_instruction,
	[EXIT_VMXON] = handle_vmx_instruction,
	[EXIT_INVEPT] = handle_vmx_instruction,
	[EXIT_INVVPID] = handle_vmx_instruction,
	[EXIT_VMFUNC] = handle_vmx_instruction,
	[EXIT_GETSEC] = handle_vmx_instruction,
	[EXIT_CR_ACCESS] = handle_cr_access,
	[EXIT_IO_INSTRUCTION] = handle_io,
	[EXIT_RDMSR] = handle_rdmsr,
	[EXIT_WRMSR] = handle_wrmsr,
	[EXIT_MWAIT] = handle_monitor_mwait,
	[EXIT_MONITOR] = handle_monitor_mwait,
	[EXIT_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_PREEMPTION_TIMER] = handle_preemption_timer,
	[EXIT_XSETBV] = handle_xsetbv,
};

void vcpu_handle_exit(struct vcpu *v)
{
	uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);
	uint32_t basic = EXIT_REASON_BASIC(reason);
	exit_handler_fn handler = basic < EXIT_REASON_MAX ? exit_handlers[basic] : NULL;

	v->exit_reason = basic;
	v->exit_qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
	if (reason & EXIT_REASON_ENTRY_FAILURE) {
		vcpu_entry_failed_exit(v, reason);
		return;
	}
	if (basic < EXIT_REASON_MAX)
		v->exits[basic]++;
	v->exit_insn_len = (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
	vcpu_reinject_idt_vectoring(v);
	if (!handler) {
		vm_end(v->vm, VM_END_ERROR, basic, "unhandled VM exit %u (%s) at RIP 0x%lx", basic,
		       vmx_exit_reason_name(basic), vcpu_rip(v));
		return;
	}
	handler(v);
}
