/* Exceptions the hypervisor intercepts (the arch's exception bitmap) and
 * what becomes of them.
 *
 * #AC and #DB are reflected: each goes back into the guest exactly as the
 * CPU raised it.  They are intercepted at all because a guest can make
 * either one fault while it is being delivered, for ever, and a CPU that
 * delivers events back to back takes no interrupt and makes no VM exit in
 * between: the physical CPU would be the guest's until reset.  #AC: an
 * alignment check at CPL 3 whose handler is CPL 3 too (a conforming code
 * segment: no stack switch) on a misaligned stack faults again while
 * pushing the frame (CVE-2015-5307).  #DB: a data breakpoint on the stack
 * that the #DB frame is pushed to (CVE-2015-8104).  Intercepted, each
 * delivery attempt is a VM exit, so the hypervisor keeps the CPU (and its
 * timers, such as a VM's CPU time limit, keep running).
 *
 * A machine check during guest time is the hardware's, not the guest's: it
 * is reported on the console and the VM stops; the hypervisor and later
 * VMs go on. */
#include <hv/arch.h>
#include <hv/gdb_vm.h>
#include <hv/log.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

/* IA32_MCG_STATUS (SDM Vol. 3B 16.3.1.2). */
#define MCG_STATUS_RIPV BIT(0)   /* the interrupted RIP may be restarted */
#define MCG_STATUS_EIPV BIT(1)   /* the interrupted RIP is where the error happened */
#define MCG_STATUS_MCIP BIT(2)   /* a machine check is in progress */

static enum vmexit_ret machine_check(struct vcpu *v, const struct exception_request *r)
{
	uint64_t rip = vcpu_get(v, VREG_RIP);

	if (r->mc_status_valid)
		pr_err("vm %u (%s): machine check during guest execution at RIP 0x%lx, "
		       "IA32_MCG_STATUS 0x%lx (RIPV %u EIPV %u MCIP %u)",
		       v->vm->id, v->vm->name, rip, r->mc_status,
		       (unsigned)!!(r->mc_status & MCG_STATUS_RIPV),
		       (unsigned)!!(r->mc_status & MCG_STATUS_EIPV),
		       (unsigned)!!(r->mc_status & MCG_STATUS_MCIP));
	else
		pr_err("vm %u (%s): machine check during guest execution at RIP 0x%lx", v->vm->id,
		       v->vm->name, rip);
	vm_end(v->vm, VM_END_ERROR, X86_MC,
	       "machine check (#MC) during guest execution at RIP 0x%lx: the VM cannot go on",
	       rip);
	return VMEXIT_STOP;
}

/* A #DB's delivery updates the debug registers before the handler runs
 * (SDM Vol. 3A 17.2.3, 17.2.4); when the #DB exits instead, none of it
 * has happened (Vol. 3C 27.1: DR6 is not updated, DR7.GD not cleared), so
 * it is done here, before the #DB goes in.  INT1 changes no debug
 * register: only the debug exceptions of 17.2.3 set DR6 bits. */
static void debug_registers(struct vcpu *v, const struct exception_request *r)
{
	uint64_t dr6 = vcpu_get(v, VREG_DR6), dr7 = vcpu_get(v, VREG_DR7);

	/* B0-B3 say which breakpoints this #DB met: those of an earlier one
	 * are cleared (the processor "may clear" them, 17.2.3, and does);
	 * BD and BS stay until software clears them. */
	dr6 = (dr6 & ~DR6_B0_B3) | (r->dr6 & (DR6_B0_B3 | DR6_BD | DR6_BS));
	vcpu_set(v, VREG_DR6, dr6);
	/* GD is cleared on entering the #DB handler, so that it may use the
	 * debug registers (17.2.4); a #DB with BD is one GD raised. */
	if (dr7 & DR7_GD)
		vcpu_set(v, VREG_DR7, dr7 & ~DR7_GD);
}

enum vmexit_ret exception_reflect(struct vcpu *v, const struct exception_request *r)
{
	const struct event *e = &r->event;

	if (!e->valid)
		return VMEXIT_RETRY;
	/* A debugger's breakpoint (its INT3, its debug registers) stops the
	 * VM where it is; nothing goes to the guest. */
	if (v->vm->debug.on && debug_exception(v, r))
		return VMEXIT_RETRY;
	/* An exception raised again by every delivery attempt exits before
	 * the guest runs a single instruction, and so before the preemption
	 * timer can expire (it counts in guest time, and the exit comes
	 * first): the VM's CPU-time limit is checked here as well. */
	if (v->cpu_deadline_tsc && arch_tsc() >= v->cpu_deadline_tsc)
		return vcpu_timer_expired(v);
	if (e->type == EVENT_HW_EXCEPTION && e->vector == X86_MC)
		return machine_check(v, r);
	if (e->type == EVENT_HW_EXCEPTION && e->vector == X86_DB)
		debug_registers(v, r);
	/* Into the guest as raised: with its error code (#AC's is 0), INT1
	 * as a privileged software exception with its length, so that the
	 * handler returns after it.  RIP stays where the CPU left it: at the
	 * faulting instruction for a fault, after the trapping one for a
	 * trap, at INT1 (27.2.1). */
	vcpu_queue_event(v, e);
	return VMEXIT_INJECTED;
}
