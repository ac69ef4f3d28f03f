/* The VM-exit dispatcher: one table from basic exit reason (SDM Vol. 3C
 * appendix C) to the exit's name and its handler.  A handler turns the
 * exit into a vendor-neutral request for the portable emulation
 * (hv/vmexit.h) or, where the operands are only general registers, is the
 * portable handler itself; every handler returns what happens next
 * (enum vmexit_ret) and the dispatcher moves RIP in one place.  An exit
 * with no handler stops only the VM that caused it.
 *
 * The path is short on purpose: the exit reason is the only VMCS field
 * read for every exit; the qualification, the IDT-vectoring information
 * and the guest's registers are read when a handler needs them, and the
 * next entry does only the work some handler asked for (v->req). */
#include <arch/cpu.h>
#include <arch/idt.h>
#include <arch/irq.h>
#include <arch/vmx.h>
#include <arch/vmx_decode.h>
#include <arch/vmx_vcpu.h>
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/gdb_vm.h>
#include <hv/log.h>
#include <hv/string.h>
#include <hv/task.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

typedef enum vmexit_ret (*exit_handler_fn)(struct vcpu *v);

struct exit_handler {
	const char *name;
	exit_handler_fn handle;   /* NULL: the VM stops */
	/* The exit may interrupt the delivery of an event, which the
	 * IDT-vectoring information then holds (SDM 28.2.4 lists these). */
	bool in_delivery;
};

/* IA32_MCG_STATUS (SDM Vol. 3B 16.3.1.2) exists where CPUID.1:EDX.MCA
 * (bit 14) is set; MCIP (bit 2) says a machine check is in progress, and a
 * second one while it is set shuts the CPU down (15.10.1): it is cleared
 * once reported, so that the hypervisor and the next VMs go on. */
#define MSR_IA32_MCG_STATUS 0x17a
#define MCG_STATUS_MCIP     BIT(2)
#define CPUID1_EDX_MCA      BIT(14)

static void read_mc_status(struct exception_request *r)
{
	struct cpuid_regs c;

	cpuid(1, 0, &c);
	if (!(c.edx & CPUID1_EDX_MCA))
		return;
	r->mc_status = rdmsr(MSR_IA32_MCG_STATUS);
	r->mc_status_valid = true;
	wrmsr(MSR_IA32_MCG_STATUS, r->mc_status & ~(uint64_t)MCG_STATUS_MCIP);
}

/* An exception of the exception bitmap (vcpu.c: #DB, #AC, #MC), or an NMI
 * of the machine. */
static enum vmexit_ret exit_exception_nmi(struct vcpu *v)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INTR_INFO);
	uint32_t type = INTR_INFO_TYPE(info), error = 0, len = 0;
	struct exception_request r;
	bool nmi_unblocked;

	/* An NMI of the machine (a watchdog, a platform error) arrived while
	 * the guest ran.  The hypervisor has no use for NMIs, and the platform
	 * is the guest's: the guest takes it, as it would without the
	 * hypervisor. */
	if (type == INTR_TYPE_NMI) {
		pr_debug("vm %u (%s): host NMI passed to the guest", v->vm->id, v->vm->name);
		vcpu_queue_nmi(v);
		return VMEXIT_RETRY;
	}
	vmx(v)->exceptions[INTR_INFO_VECTOR(info) & 31]++;
	if (info & INTR_INFO_ERROR_CODE)
		error = (uint32_t)vmcs_read(VMCS_EXIT_INTR_ERROR);
	/* INT1, INT3, INTO: the instruction's length, to inject them again
	 * (SDM 28.2.5, 27.6.1.3). */
	if (type == INTR_TYPE_PRIV_SW_EXCEPTION || type == INTR_TYPE_SW_EXCEPTION)
		len = (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
	vmx_decode_exception(info, error, len,
			     INTR_INFO_VECTOR(info) == X86_DB ? vmcs_read(VMCS_EXIT_QUALIFICATION) : 0,
			     &r, &nmi_unblocked);
	/* A fault in an IRET that had unblocked NMIs: they are blocked again
	 * until the IRET runs once more (28.2.3). */
	if (nmi_unblocked)
		vmx_reblock_nmi(v);
	if (type == INTR_TYPE_HW_EXCEPTION && INTR_INFO_VECTOR(info) == X86_MC)
		read_mc_status(&r);
	if (type == INTR_TYPE_HW_EXCEPTION && INTR_INFO_VECTOR(info) == X86_DB)
		vmx_db_single_step_pending(v);
	return exception_reflect(v, &r);
}

/* One of the hypervisor's interrupts came while the guest ran:
 * "acknowledge interrupt on exit" has taken it from the local APIC, and
 * the exit's interruption information names it (SDM Vol. 3C 28.2.2). */
static enum vmexit_ret exit_external_interrupt(struct vcpu *v)
{
	host_irq((unsigned)INTR_INFO_VECTOR(vmcs_read(VMCS_EXIT_INTR_INFO)));
	vcpu_host_interrupt(v);
	return VMEXIT_RETRY;
}

static enum vmexit_ret exit_triple_fault(struct vcpu *v)
{
	vm_end(v->vm, VM_END_TRIPLE_FAULT, 0, "triple fault at RIP 0x%lx (CR0 0x%lx, IDTR limit 0x%lx)",
	       vcpu_get(v, VREG_RIP), vcpu_get(v, VREG_CR0), vmcs_read(VMCS_GUEST_IDTR_LIMIT));
	return VMEXIT_STOP;
}

/* Interrupt- and NMI-window exiting was armed by event.c: the guest can
 * now take what waits, which the next entry delivers. */
static enum vmexit_ret exit_window(struct vcpu *v)
{
	vcpu_request(v, VCPU_REQ_EVENTS);
	return VMEXIT_RETRY;
}

/* The guest's caches are the host's caches: INVD would throw away the
 * hypervisor's dirty lines too, so it is done as WBINVD (SDM Vol. 2A INVD:
 * "use with care"). */
static enum vmexit_ret exit_cache_flush(struct vcpu *v)
{
	UNUSED(v);
	__asm__ volatile("wbinvd" ::: "memory");
	return VMEXIT_NEXT;
}

/* VMX is hidden from guests (CPUID.1:ECX.VMX = 0), and on such a CPU every
 * VMX instruction raises #UD (SDM Vol. 3C 31.3); CPUID hides MONITOR and
 * MWAIT too. */
static enum vmexit_ret exit_undefined(struct vcpu *v)
{
	vcpu_queue_ud(v);
	return VMEXIT_INJECTED;
}

static enum vmexit_ret exit_cr_access(struct vcpu *v)
{
	struct cr_request r;

	vmx_decode_cr(vmcs_read(VMCS_EXIT_QUALIFICATION), &r);
	return cr_emulate(v, &r);
}

static enum vmexit_ret exit_io(struct vcpu *v)
{
	uint64_t qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
	struct pio_request r;

	if (qual & BIT(4)) /* INS/OUTS: their operands are in two more fields */
		vmx_decode_io(qual, (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_INFO),
			      vmcs_read(VMCS_GUEST_LINEAR_ADDRESS), &r);
	else
		vmx_decode_io(qual, 0, 0, &r);
	return pio_emulate(v, &r);
}

static enum vmexit_ret exit_ept_violation(struct vcpu *v)
{
	uint64_t qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
	struct mmio_request r;

	if (vmx_ept_violation_unblocked_nmi(qual))
		vmx_reblock_nmi(v);
	vmx_decode_ept_violation(qual, vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS),
				 vmx_ept_violation_has_gla(qual) ? vmcs_read(VMCS_GUEST_LINEAR_ADDRESS) : 0,
				 v->ev.interrupted.valid, &r);
	return mmio_emulate(v, &r);
}

/* A misconfigured EPT entry is the hypervisor's bug, not the guest's; the
 * VM cannot go on, the hypervisor can. */
static enum vmexit_ret exit_ept_misconfig(struct vcpu *v)
{
	gpa_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);

	pr_err("vm %u (%s): EPT misconfiguration at guest-physical 0x%lx: a hypervisor bug",
	       v->vm->id, v->vm->name, gpa);
	vm_end(v->vm, VM_END_ERROR, gpa, "EPT misconfiguration at guest-physical 0x%lx (RIP 0x%lx)",
	       gpa, vcpu_get(v, VREG_RIP));
	return VMEXIT_STOP;
}

/* A hardware task switch exits whatever caused it (SDM Vol. 3C 26.4.2),
 * and src/emul/task.c performs it: the qualification gives the new TSS's
 * selector and what asked for it (28.2.1, table 28-2: CALL, IRET, JMP,
 * or a task gate in the IDT, whose event the exit's IDT-vectoring
 * information holds: the task switch delivers it, so it does not go in
 * again). */
static enum vmexit_ret exit_task_switch(struct vcpu *v)
{
	uint64_t qual = vmcs_read(VMCS_EXIT_QUALIFICATION);
	struct task_switch_request r = {
		.selector = (uint16_t)qual,
		.source = (enum task_source)((qual >> 30) & 3),
		.insn_len = (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN),
	};

	if (r.source == TASK_GATE) {
		r.event = v->ev.interrupted;
		v->ev.interrupted.valid = false;
	}
	return task_switch(v, &r);
}

static void report_progress(struct vcpu *v);

/* The timers' deadline came (it may have been cut to the timer's 32 bits,
 * then nothing is due yet and the next entry arms it again). */
static enum vmexit_ret exit_preemption_timer(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	if (x->next_stats && rdtsc() >= x->next_stats) {
		report_progress(v);
		x->next_stats = rdtsc() + v->vm->stats_interval_tsc;
	}
	return vcpu_timer_expired(v);
}

static const struct exit_handler exit_table[EXIT_REASON_MAX] = {
	[EXIT_EXCEPTION_NMI] = { "exception or NMI", exit_exception_nmi, true },
	[EXIT_EXTERNAL_INTERRUPT] = { "external interrupt", exit_external_interrupt, false },
	[EXIT_TRIPLE_FAULT] = { "triple fault", exit_triple_fault, false },
	[EXIT_INIT] = { "INIT signal", NULL, false },
	[EXIT_SIPI] = { "start-up IPI", NULL, false },
	[EXIT_INTERRUPT_WINDOW] = { "interrupt window", exit_window, false },
	[EXIT_NMI_WINDOW] = { "NMI window", exit_window, false },
	[EXIT_TASK_SWITCH] = { "task switch", exit_task_switch, true },
	[EXIT_CPUID] = { "CPUID", cpuid_emulate, false },
	[EXIT_GETSEC] = { "GETSEC", exit_undefined, false },
	[EXIT_HLT] = { "HLT", vcpu_emulate_hlt, false },
	[EXIT_INVD] = { "INVD", exit_cache_flush, false },
	[EXIT_INVLPG] = { "INVLPG", NULL, false },
	[EXIT_RDPMC] = { "RDPMC", NULL, false },
	[EXIT_RDTSC] = { "RDTSC", NULL, false },
	[EXIT_RSM] = { "RSM", NULL, false },
	[EXIT_VMCALL] = { "VMCALL", hypercall_emulate, false },
	[EXIT_VMCLEAR] = { "VMCLEAR", exit_undefined, false },
	[EXIT_VMLAUNCH] = { "VMLAUNCH", exit_undefined, false },
	[EXIT_VMPTRLD] = { "VMPTRLD", exit_undefined, false },
	[EXIT_VMPTRST] = { "VMPTRST", exit_undefined, false },
	[EXIT_VMREAD] = { "VMREAD", exit_undefined, false },
	[EXIT_VMRESUME] = { "VMRESUME", exit_undefined, false },
	[EXIT_VMWRITE] = { "VMWRITE", exit_undefined, false },
	[EXIT_VMXOFF] = { "VMXOFF", exit_undefined, false },
	[EXIT_VMXON] = { "VMXON", exit_undefined, false },
	[EXIT_CR_ACCESS] = { "CR access", exit_cr_access, false },
	[EXIT_DR_ACCESS] = { "DR access", vmx_dr_access, false },
	[EXIT_IO_INSTRUCTION] = { "I/O instruction", exit_io, false },
	[EXIT_RDMSR] = { "RDMSR", msr_emulate_read, false },
	[EXIT_WRMSR] = { "WRMSR", msr_emulate_write, false },
	[EXIT_ENTRY_INVALID_GUEST_STATE] = { "VM entry: invalid guest state", NULL, false },
	[EXIT_ENTRY_MSR_LOADING] = { "VM entry: MSR loading", NULL, false },
	[EXIT_MWAIT] = { "MWAIT", exit_undefined, false },
	[EXIT_MONITOR_TRAP_FLAG] = { "monitor trap flag", debug_mtf_exit, false },
	[EXIT_MONITOR] = { "MONITOR", exit_undefined, false },
	[EXIT_PAUSE] = { "PAUSE", NULL, false },
	[EXIT_ENTRY_MACHINE_CHECK] = { "VM entry: machine check", NULL, false },
	[EXIT_TPR_BELOW_THRESHOLD] = { "TPR below threshold", NULL, false },
	[EXIT_APIC_ACCESS] = { "APIC access", NULL, true },
	[EXIT_VIRTUALIZED_EOI] = { "virtualized EOI", NULL, false },
	[EXIT_GDTR_IDTR] = { "GDTR/IDTR access", NULL, false },
	[EXIT_LDTR_TR] = { "LDTR/TR access", NULL, false },
	[EXIT_EPT_VIOLATION] = { "EPT violation", exit_ept_violation, true },
	[EXIT_EPT_MISCONFIG] = { "EPT misconfiguration", exit_ept_misconfig, true },
	[EXIT_INVEPT] = { "INVEPT", exit_undefined, false },
	[EXIT_RDTSCP] = { "RDTSCP", NULL, false },
	[EXIT_PREEMPTION_TIMER] = { "preemption timer", exit_preemption_timer, false },
	[EXIT_INVVPID] = { "INVVPID", exit_undefined, false },
	[EXIT_WBINVD] = { "WBINVD", exit_cache_flush, false },
	[EXIT_XSETBV] = { "XSETBV", xsetbv_emulate, false },
	[EXIT_APIC_WRITE] = { "APIC write", NULL, false },
	[EXIT_RDRAND] = { "RDRAND", NULL, false },
	[EXIT_INVPCID] = { "INVPCID", NULL, false },
	[EXIT_VMFUNC] = { "VMFUNC", exit_undefined, false },
	[EXIT_ENCLS] = { "ENCLS", NULL, false },
	[EXIT_RDSEED] = { "RDSEED", NULL, false },
	[EXIT_PML_FULL] = { "page-modification log full", vmx_pml_full, true },
	[EXIT_XSAVES] = { "XSAVES", NULL, false },
	[EXIT_XRSTORS] = { "XRSTORS", NULL, false },
};

const char *vmx_exit_reason_name(uint32_t basic)
{
	if (basic < EXIT_REASON_MAX && exit_table[basic].name)
		return exit_table[basic].name;
	return "unknown";
}

/* VM entry itself failed the checks of guest state or MSR loading after
 * VMLAUNCH/VMRESUME succeeded as an instruction (SDM 26.8): the exit
 * reason has bit 31 set. */
static enum vmexit_ret entry_failed(struct vcpu *v, uint32_t reason)
{
	uint32_t basic = EXIT_REASON_BASIC(reason);
	uint64_t qual = vmcs_read(VMCS_EXIT_QUALIFICATION);

	pr_err("vm %u (%s): VM entry failed: exit reason %u (%s), exit qualification 0x%lx",
	       v->vm->id, v->vm->name, basic, vmx_exit_reason_name(basic), qual);
	vmx_report_guest_state();
	vm_end(v->vm, VM_END_ENTRY_FAILED, basic, "VM entry failed: %s, qualification 0x%lx",
	       vmx_exit_reason_name(basic), qual);
	return VMEXIT_STOP;
}

static enum vmexit_ret unhandled(struct vcpu *v, uint32_t basic)
{
	vm_end(v->vm, VM_END_ERROR, basic, "unhandled VM exit %u (%s) at RIP 0x%lx", basic,
	       vmx_exit_reason_name(basic), vcpu_get(v, VREG_RIP));
	return VMEXIT_STOP;
}

/* The instruction is done: RIP moves past it, and an STI or MOV-SS shadow
 * it sat in is over.  The shadow is cleared in the VMCS now, not only when
 * an event is about to be delivered: blocking by MOV SS also holds back
 * debug exceptions until the end of the next instruction (SDM Vol. 3A
 * 6.8.3, "Masking Exceptions and Interrupts When Switching Stacks"), so a
 * single step owed since a MOV SS with TF set, which the exit saved as the
 * pending BS (Vol. 3C 28.3.4, "Saving Non-Register State"), came one
 * instruction late: after the instruction that follows the emulated one
 * (the stress guest's "step" operations).  Vol. 3C 26.3.1.5 also forbids
 * entering with blocking by STI after an instruction that is no longer
 * next, and with either blocking in the HLT state.  RIP goes straight to
 * the VMCS: it is the one register almost every exit changes.  A single
 * step owed (RFLAGS.TF) is queued as the #DB the CPU would have raised. */
static inline void next_instruction(struct vcpu *v)
{
	uint32_t len = v->insn_len ? v->insn_len : (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_LEN);
	uint64_t rip = (v->regs.avail & BIT(VREG_RIP)) ? v->regs.val[VREG_RIP]
						       : vmcs_read(VMCS_GUEST_RIP);
	uint32_t intr = (uint32_t)vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);
	uint64_t rflags = (v->regs.avail & BIT(VREG_RFLAGS)) ? v->regs.val[VREG_RFLAGS]
							   : vmcs_read(VMCS_GUEST_RFLAGS);

	vmcs_write(VMCS_GUEST_RIP, rip + len);
	v->regs.avail &= ~(uint32_t)BIT(VREG_RIP);   /* the VMCS has the new one */
	if (__builtin_expect(intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS), 0))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr & ~(uint32_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
	/* Stepping through an instruction that exits: the CPU owes the trap
	 * after it, and the exit leaves that to the hypervisor. */
	if (__builtin_expect(rflags & RFLAGS_TF, 0))
		vcpu_single_step_done(v);
}

/* A failed entry or a reason beyond the table: the VM stops. */
static __attribute__((noinline)) struct vcpu *odd_exit(struct vcpu *v, uint32_t reason)
{
	this_cpu()->vmcs_charge = &vmx(v)->counts[EXIT_REASON_MAX];
	if (reason & EXIT_REASON_ENTRY_FAILURE)
		entry_failed(v, reason);
	else
		unhandled(v, EXIT_REASON_BASIC(reason));
	return NULL;
}

static __attribute__((noinline)) void handler_stopped(struct vcpu *v)
{
	uint32_t reason = (uint32_t)vmcs_read(VMCS_EXIT_REASON);

	if (!vm_ended(v->vm))
		vm_end(v->vm, VM_END_ERROR, reason, "exit %u (%s): the handler stopped the VM",
		       reason, vmx_exit_reason_name(reason));
}

/* An exit that may have interrupted an event's delivery: the event is
 * kept before the handler runs.  Out of line, so that the common path
 * holds nothing but the vCPU across the handler's call. */
static __attribute__((noinline)) enum vmexit_ret handle_in_delivery(struct vcpu *v,
								    uint32_t reason)
{
	const struct exit_handler *h = &exit_table[reason];

	vmx_save_vectoring(v);
	return h->handle ? h->handle(v) : unhandled(v, reason);
}

static __attribute__((noinline)) struct vcpu *entry_work(struct vcpu *v)
{
	return vmx_prepare_entry(v) ? v : NULL;
}

/* The exit stub calls this with the guest's general registers saved in
 * v->regs.gpr; it returns the vCPU to resume, or NULL.  Every exit reads
 * the exit reason and counts it; whatever else the VMCS holds is read
 * only by the handlers that need it, and the entry does work only when a
 * handler asked for some (v->req), changed a register, or a timer is
 * armed.  The exit reason's own VMREAD is not counted: there is exactly
 * one per exit (arch_vcpu_report_exits adds it). */
struct vcpu *vmx_exit(struct vcpu *v)
{
	uint32_t reason = (uint32_t)vmcs_read_raw(VMCS_EXIT_REASON);
	struct vcpu_arch *x = vmx(v);
	const struct exit_handler *h;
	enum vmexit_ret ret;

	/* Bit 31 (a failed entry) makes the value too large as well. */
	if (reason >= EXIT_REASON_MAX)
		return odd_exit(v, reason);
	h = &exit_table[reason];
	this_cpu_charge_to(&x->counts[reason]);
	x->exits[reason]++;
	v->regs.avail = 0;
	v->insn_len = 0;
	if (h->in_delivery)
		ret = handle_in_delivery(v, reason);
	else
		ret = h->handle ? h->handle(v) : unhandled(v, reason);
	if (ret == VMEXIT_NEXT)
		next_instruction(v);
	else if (ret == VMEXIT_STOP)
		handler_stopped(v);
	if (!(v->req | v->regs.dirty | vmx(v)->deadline | this_cpu_nmi_seen() | v->remote))
		return v;
	return entry_work(v);
}

bool vmx_prepare_entry(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	if (v->remote)
		vcpu_take_remote(v);
	if (v->req & VCPU_REQ_STOP)
		return false;
	/* Its VM's tables or dirty logging changed (vm_sync_vcpus). */
	if (__builtin_expect(v->sync_ack != v->vm->sync_gen, 0))
		vmx_dirty_sync(v);
	/* An NMI taken in root operation is the guest's too. */
	if (host_nmi_take())
		vcpu_queue_nmi(v);
	if (v->req & (VCPU_REQ_EVENTS | VCPU_REQ_HALT)) {
		vmx_deliver_events(v);
		if (v->req & VCPU_REQ_STOP)
			return false;
	}
	if (v->req & VCPU_REQ_TIMER) {
		uint64_t next = vcpu_next_deadline_tsc(v);

		v->req &= ~(uint32_t)VCPU_REQ_TIMER;
		if (x->next_stats && (!next || x->next_stats < next))
			next = x->next_stats;
		x->deadline = next;
	}
	if (x->deadline || x->timer_on)
		vmx_update_timer(v);
	if (v->regs.dirty)
		vmx_flush_regs(v);
	/* The state is all in the VMCS now: the vCPU may leave its CPU. */
	if (v->req & VCPU_REQ_YIELD) {
		v->req &= ~(uint32_t)VCPU_REQ_YIELD;
		return false;
	}
	return true;
}

/* "x.y" for a/b without floating point. */
static void ratio(char *buf, size_t n, uint64_t a, uint64_t b)
{
	uint64_t tenths = b ? (a * 10 + b / 2) / b : 0;

	hv_snprintf(buf, n, "%lu.%lu", (unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
}

/* The exception exits by vector, under their reason's line. */
static void report_exceptions(const struct vcpu_arch *x)
{
	static const char names[32][4] = {
		"DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "9", "TS", "NP", "SS", "GP",
		"PF", "15", "MF", "AC", "MC", "XM", "VE", "CP", "22", "23", "24", "25", "26", "27",
		"HV", "VC", "SX", "31",
	};

	for (int i = 0; i < 32; i++)
		if (x->exceptions[i])
			kprintf("    exception %2d (#%s) %10lu\n", i, names[i], x->exceptions[i]);
}

uint64_t arch_vcpu_exit_count(const struct vcpu *v)
{
	const struct vcpu_arch *x = vmx(v);
	uint64_t total = 0;

	for (int r = 0; x && r < EXIT_REASON_MAX; r++)
		total += x->exits[r];
	return total;
}

unsigned arch_exit_reasons(void) { return EXIT_REASON_MAX; }

const char *arch_exit_reason_name(unsigned reason) { return vmx_exit_reason_name(reason); }

void arch_vcpu_exit_stats(const struct vcpu *v, unsigned reason, struct exit_stats *s)
{
	const struct vcpu_arch *x = vmx(v);

	*s = (struct exit_stats){ 0 };
	if (!x || reason >= EXIT_REASON_MAX)
		return;
	s->exits = x->exits[reason];
	s->reads = x->counts[reason].reads + x->exits[reason];
	s->writes = x->counts[reason].writes;
}

void arch_vcpu_stats_reset(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	if (!x)
		return;
	memset(x->exits, 0, sizeof(x->exits));
	memset(x->counts, 0, sizeof(x->counts));
	memset(x->exceptions, 0, sizeof(x->exceptions));
}

void arch_vcpu_report_exits(const struct vcpu *v)
{
	const struct vcpu_arch *x = vmx(v);
	uint64_t total = arch_vcpu_exit_count(v);

	if (!x)
		return;
	if (v->vm->nr_vcpus > 1)
		kprintf("vm %u (%s): vCPU %u: %lu VM exits\n", v->vm->id, v->vm->name, v->id, total);
	else
		kprintf("vm %u (%s): %lu VM exits\n", v->vm->id, v->vm->name, total);
	for (int r = 0; r < EXIT_REASON_MAX; r++) {
		char rd[24], wr[24];

		if (!x->exits[r])
			continue;
		/* The exit reason's VMREAD is not counted: one per exit. */
		ratio(rd, sizeof(rd), x->counts[r].reads + x->exits[r], x->exits[r]);
		ratio(wr, sizeof(wr), x->counts[r].writes, x->exits[r]);
		kprintf("  %-22s %10lu  (%s VMREAD, %s VMWRITE per exit)\n",
			vmx_exit_reason_name((uint32_t)r), x->exits[r], rd, wr);
		if (r == EXIT_EXCEPTION_NMI)
			report_exceptions(x);
	}
}

/* One line of a running vCPU's three most frequent exits (stats_interval). */
static void report_progress(struct vcpu *v)
{
	const struct vcpu_arch *x = vmx(v);
	char line[400];
	int n, best[3] = { -1, -1, -1 };
	uint64_t total = 0;

	for (int r = 0; r < EXIT_REASON_MAX; r++) {
		total += x->exits[r];
		for (int i = 0; i < 3; i++) {
			if (best[i] < 0 || x->exits[r] > x->exits[best[i]]) {
				for (int j = 2; j > i; j--)
					best[j] = best[j - 1];
				best[i] = r;
				break;
			}
		}
	}
	n = hv_snprintf(line, sizeof(line), "vm %u (%s): running, %lu exits (", v->vm->id, v->vm->name,
			total);
	for (int i = 0; i < 3 && best[i] >= 0 && x->exits[best[i]]; i++)
		n += hv_snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %lu", i ? ", " : "",
				 vmx_exit_reason_name((uint32_t)best[i]), x->exits[best[i]]);
	kprintf("%s), RIP 0x%lx\n", line, vcpu_get(v, VREG_RIP));
}
