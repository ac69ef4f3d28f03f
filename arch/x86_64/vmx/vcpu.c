/* A vCPU's VMCS: controls computed from the capability MSRs, the host
 * state of this hypervisor, the initial guest state, and the run loop
 * (SDM Vol. 3C chapters 25-28). */
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/idt.h>
#include <arch/msr.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/exit.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/platform.h>
#include <hv/vm.h>

int vmx_enter(struct guest_regs *regs, int launched);
void vmx_exit_stub(void);

/* Segment access rights in the VMCS format (SDM 25.4.1, table 25-2). */
#define AR_CODE32   0xc09b  /* present, code exec/read accessed, D=1, G=1 */
#define AR_DATA32   0xc093  /* present, data read/write accessed, D=1, G=1 */
#define AR_TSS32    0x008b  /* present, busy 32-bit TSS */
#define AR_UNUSABLE 0x10000

/* CR0 bits the guest may change without an exit: the FPU-context bits
 * that OSes flip often.  Every other bit is shadowed (vcpu_cr.c). */
#define CR0_GUEST_OWNED (BIT(1) | BIT(2) | BIT(3)) /* MP, EM, TS */

static int control(const char *name, const struct vmx_ctl_caps *c, uint32_t need, uint32_t want,
		   uint32_t *out)
{
	uint32_t missing;

	*out = vmx_ctl_value(c, need | want, &missing);
	if (missing & need) {
		pr_err("vmx: the CPU cannot set %s controls 0x%x that guests need", name,
		       missing & need);
		return HV_ENOTSUP;
	}
	return 0;
}

/* Controls the run loop sets and clears as it goes, 0 at first: the CPU
 * must allow them to be 1 (appendix A.3-A.5).  Interrupt-window exiting
 * delivers interrupts, the preemption timer runs every timer model and
 * HC_TIMER, IA-32e mode guest follows the guest's EFER.LMA.  NMI-window
 * exiting is used where the CPU has it. */
static int check_toggled_controls(struct vcpu *v, const struct vmx_caps *caps)
{
	uint32_t unused;
	int rc;

	rc = control("processor-based", &caps->proc, PROC_INTERRUPT_WINDOW_EXITING, 0, &unused);
	rc = rc ? rc : control("pin-based", &caps->pin, PIN_PREEMPTION_TIMER, 0, &unused);
	rc = rc ? rc : control("VM-entry", &caps->entry, ENTRY_IA32E_MODE_GUEST, 0, &unused);
	v->nmi_window_ok = (v->pin_ctls & PIN_VIRTUAL_NMIS) &&
			   (caps->proc.may_be_1 & PROC_NMI_WINDOW_EXITING);
	return rc;
}

static int compute_controls(struct vcpu *v, const struct vmx_caps *caps)
{
	int rc;

	rc = control("pin-based", &caps->pin, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
		     PIN_VIRTUAL_NMIS, &v->pin_ctls);
	rc = rc ? rc : control("processor-based", &caps->proc,
			       PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
				       PROC_ACTIVATE_SECONDARY,
			       PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_USE_TSC_OFFSETTING,
			       &v->proc_ctls);
	/* Unrestricted guest lets a guest run with paging off, as a Multiboot
	 * kernel starts (SDM 26.2.1.1). */
	rc = rc ? rc : control("secondary processor-based", &caps->proc2,
			       PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
			       PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID |
				       PROC2_WBINVD_EXITING,
			       &v->proc2_ctls);
	rc = rc ? rc : control("VM-exit", &caps->exit,
			       EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT_ON_EXIT |
				       EXIT_SAVE_EFER | EXIT_LOAD_EFER,
			       EXIT_SAVE_PAT | EXIT_LOAD_PAT, &v->exit_ctls);
	rc = rc ? rc : control("VM-entry", &caps->entry, ENTRY_LOAD_EFER, ENTRY_LOAD_PAT,
			       &v->entry_ctls);
	return rc ? rc : check_toggled_controls(v, caps);
}

static void write_controls(struct vcpu *v, const struct vmx_caps *caps)
{
	struct vm *vm = v->vm;

	vmcs_write(VMCS_PIN_CONTROLS, v->pin_ctls);
	vmcs_write(VMCS_PROC_CONTROLS, v->proc_ctls);
	vmcs_write(VMCS_PROC2_CONTROLS, v->proc2_ctls);
	vmcs_write(VMCS_EXIT_CONTROLS, v->exit_ctls);
	vmcs_write(VMCS_ENTRY_CONTROLS, v->entry_ctls);
	vmcs_write(VMCS_EXCEPTION_BITMAP, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_IO_BITMAP_A, vm->io_bitmap);
	vmcs_write(VMCS_IO_BITMAP_B, vm->io_bitmap + PAGE_SIZE);
	vmcs_write(VMCS_MSR_BITMAP, vm->msr_bitmap);
	vmcs_write(VMCS_EPT_POINTER, ept_pointer(&vm->ept, false));
	if (v->proc2_ctls & PROC2_ENABLE_VPID)
		vmcs_write(VMCS_VPID, vm->vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, ~(uint64_t)CR0_GUEST_OWNED);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, ~0ULL);
	vmcs_write(VMCS_TSC_OFFSET, vm->tsc_offset);
	UNUSED(caps);
}

static void write_host_state(unsigned cpu)
{
	vmcs_write(VMCS_HOST_CR0, read_cr0());
	vmcs_write(VMCS_HOST_CR3, read_cr3());
	vmcs_write(VMCS_HOST_CR4, read_cr4());
	vmcs_write(VMCS_HOST_CS_SEL, GDT_SEL_CODE);
	vmcs_write(VMCS_HOST_SS_SEL, GDT_SEL_DATA);
	vmcs_write(VMCS_HOST_DS_SEL, GDT_SEL_DATA);
	vmcs_write(VMCS_HOST_ES_SEL, GDT_SEL_DATA);
	vmcs_write(VMCS_HOST_FS_SEL, 0);
	vmcs_write(VMCS_HOST_GS_SEL, 0);
	vmcs_write(VMCS_HOST_TR_SEL, GDT_SEL_TSS);
	vmcs_write(VMCS_HOST_FS_BASE, 0);
	vmcs_write(VMCS_HOST_GS_BASE, 0);
	vmcs_write(VMCS_HOST_TR_BASE, tss_base(cpu));
	vmcs_write(VMCS_HOST_GDTR_BASE, gdt_base(cpu));
	vmcs_write(VMCS_HOST_IDTR_BASE, idt_base());
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub);
}

static void write_segment(enum vmcs_field sel, uint16_t selector, uint32_t ar)
{
	/* Selector, limit, access rights and base fields of one register sit
	 * at fixed distances in the encoding space (SDM appendix B). */
	uint32_t index = (sel - VMCS_GUEST_ES_SEL) / 2;

	vmcs_write(sel, selector);
	vmcs_write((enum vmcs_field)(VMCS_GUEST_ES_LIMIT + 2 * index), 0xffffffff);
	vmcs_write((enum vmcs_field)(VMCS_GUEST_ES_AR + 2 * index), ar);
	vmcs_write((enum vmcs_field)(VMCS_GUEST_ES_BASE + 2 * index), 0);
}

#define AR_CODE64   0xa09b  /* present, code exec/read accessed, L=1, G=1 */

/* The initial state: 32-bit protected mode with paging off and flat 4 GiB
 * segments (Multiboot spec 3.2), or 64-bit mode on the loader's page
 * tables and GDT (Linux boot protocol, "64-bit boot protocol"). */
static void write_guest_state(struct vcpu *v, const struct vmx_caps *caps,
			      const struct vcpu_start *s)
{
	uint64_t cr0 = CR0_PE | CR0_ET | (s->long_mode ? CR0_PG : 0);
	uint64_t cr4 = s->long_mode ? CR4_PAE : 0;
	uint32_t code_ar = s->long_mode ? AR_CODE64 : AR_CODE32;

	vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
	vmcs_write(VMCS_GUEST_CR0, vcpu_real_cr0(caps, cr0));
	vmcs_write(VMCS_CR4_READ_SHADOW, cr4);
	vmcs_write(VMCS_GUEST_CR4, vcpu_real_cr4(caps, cr4));
	vmcs_write(VMCS_GUEST_CR3, s->cr3);
	write_segment(VMCS_GUEST_CS_SEL, s->cs_sel, code_ar);
	write_segment(VMCS_GUEST_DS_SEL, s->ds_sel, AR_DATA32);
	write_segment(VMCS_GUEST_ES_SEL, s->ds_sel, AR_DATA32);
	write_segment(VMCS_GUEST_SS_SEL, s->ds_sel, AR_DATA32);
	write_segment(VMCS_GUEST_FS_SEL, s->ds_sel, AR_DATA32);
	write_segment(VMCS_GUEST_GS_SEL, s->ds_sel, AR_DATA32);
	vmcs_write(VMCS_GUEST_LDTR_SEL, 0);
	vmcs_write(VMCS_GUEST_LDTR_AR, AR_UNUSABLE);
	vmcs_write(VMCS_GUEST_LDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_LDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_TR_SEL, 0);
	vmcs_write(VMCS_GUEST_TR_AR, AR_TSS32);
	vmcs_write(VMCS_GUEST_TR_LIMIT, 0xff);
	vmcs_write(VMCS_GUEST_TR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_BASE, s->gdt_base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, s->gdt_limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0);
	vmcs_write(VMCS_GUEST_RIP, s->rip);
	vmcs_write(VMCS_GUEST_RSP, s->rsp);
	vmcs_write(VMCS_GUEST_RFLAGS, BIT(1)); /* bit 1 is reserved as 1 */
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_EFER, s->long_mode ? EFER_LME | EFER_LMA : 0);
	vmcs_write(VMCS_GUEST_PAT, 0x0007040600070406ULL); /* the reset value */
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, ACTIVITY_ACTIVE);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	if (s->long_mode) {
		v->entry_ctls |= ENTRY_IA32E_MODE_GUEST;
		vmcs_write(VMCS_ENTRY_CONTROLS, v->entry_ctls);
	}
	for (int i = 0; i < GPR_COUNT; i++)
		v->regs.gpr[i] = s->gpr[i];
	v->msrs.xcr0 = 1; /* x87 only, the reset value */
}

uint64_t vcpu_real_cr0(const struct vmx_caps *caps, uint64_t guest_cr0)
{
	/* Unrestricted guests may clear PE and PG despite CR0_FIXED0
	 * (SDM 26.3.1.1). */
	uint64_t fixed0 = caps->cr0_fixed0 & ~(CR0_PE | CR0_PG);

	return (guest_cr0 | fixed0) & caps->cr0_fixed1;
}

uint64_t vcpu_real_cr4(const struct vmx_caps *caps, uint64_t guest_cr4)
{
	return (guest_cr4 | caps->cr4_fixed0) & caps->cr4_fixed1;
}

int vcpu_init(struct vcpu *v, struct vm *vm, unsigned id, const struct vcpu_start *start)
{
	const struct vmx_caps *caps = vmx_get_caps();
	int rc;

	v->vm = vm;
	v->id = id;
	rc = compute_controls(v, caps);
	if (rc)
		return rc;
	rc = page_alloc(1, PAGE_SIZE, &v->vmcs);
	if (rc)
		return rc;
	*(uint32_t *)phys_to_virt(v->vmcs) = caps->revision;
	rc = vmcs_clear(v->vmcs);
	rc = rc ? rc : vmcs_load(v->vmcs);
	if (rc) {
		page_free(v->vmcs, 1);
		v->vmcs = 0;
		return rc;
	}
	write_controls(v, caps);
	write_host_state(this_cpu_id());
	write_guest_state(v, caps, start);
	/* Ways to exercise the failed-entry reports: activity states above 3
	 * fail the guest-state checks (SDM 27.3.1.5); a CR3-target count
	 * above 4 fails the control checks, before any guest state (26.2.1.1). */
	if (vm->entry_fail_test == ENTRY_FAIL_STATE)
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 7);
	if (vm->entry_fail_test == ENTRY_FAIL_CONTROL)
		vmcs_write(VMCS_CR3_TARGET_COUNT, 5);
	v->launched = false;
	return vmcs_clear(v->vmcs);
}

void vcpu_free(struct vcpu *v)
{
	if (v->vmcs)
		page_free(v->vmcs, 1);
	v->vmcs = 0;
}

uint64_t vcpu_rip(struct vcpu *v) { return vmcs_read(VMCS_GUEST_RIP); }

/* Finishing an emulated instruction also ends any STI or MOV-SS shadow it
 * sat in (SDM 26.3.1.5 forbids entering with blocking by STI after an
 * instruction that is no longer next). */
void vcpu_skip_instruction(struct vcpu *v)
{
	uint64_t intr = vmcs_read(VMCS_GUEST_INTERRUPTIBILITY);

	vmcs_write(VMCS_GUEST_RIP, vcpu_rip(v) + v->exit_insn_len);
	if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

uint64_t vcpu_gpr_read(struct vcpu *v, unsigned reg)
{
	return reg == GPR_RSP ? vmcs_read(VMCS_GUEST_RSP) : v->regs.gpr[reg & 15];
}

void vcpu_gpr_write(struct vcpu *v, unsigned reg, uint64_t val)
{
	if (reg == GPR_RSP)
		vmcs_write(VMCS_GUEST_RSP, val);
	else
		v->regs.gpr[reg & 15] = val;
}

/* MSRs the VMCS does not switch (vcpu_msrs): the hypervisor never uses
 * them, so they are swapped only when a vCPU starts or stops running. */
static void load_guest_msrs(struct vcpu *v)
{
	wrmsr(MSR_IA32_STAR, v->msrs.star);
	wrmsr(MSR_IA32_LSTAR, v->msrs.lstar);
	wrmsr(MSR_IA32_CSTAR, v->msrs.cstar);
	wrmsr(MSR_IA32_FMASK, v->msrs.fmask);
	wrmsr(MSR_IA32_KERNEL_GS_BASE, v->msrs.kernel_gs_base);
	if (v->proc2_ctls & PROC2_ENABLE_RDTSCP)
		wrmsr(MSR_IA32_TSC_AUX, v->msrs.tsc_aux);
	if (read_cr4() & CR4_OSXSAVE)
		xsetbv(0, v->msrs.xcr0);
}

static void save_guest_msrs(struct vcpu *v)
{
	v->msrs.star = rdmsr(MSR_IA32_STAR);
	v->msrs.lstar = rdmsr(MSR_IA32_LSTAR);
	v->msrs.cstar = rdmsr(MSR_IA32_CSTAR);
	v->msrs.fmask = rdmsr(MSR_IA32_FMASK);
	v->msrs.kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
	if (v->proc2_ctls & PROC2_ENABLE_RDTSCP)
		v->msrs.tsc_aux = rdmsr(MSR_IA32_TSC_AUX);
	if (read_cr4() & CR4_OSXSAVE)
		xsetbv(0, 1);
}

/* The HC_TIMER one-shot runs on the VMX-preemption timer, which counts
 * down at the TSC rate divided by 2^IA32_VMX_MISC[4:0] (SDM 26.5.1). */
uint64_t vcpu_next_event_tsc(struct vcpu *v)
{
	uint64_t platform = platform_next_event_tsc(v->vm);

	if (!v->timer_deadline)
		return platform;
	return platform && platform < v->timer_deadline ? platform : v->timer_deadline;
}

static void update_preemption_timer(struct vcpu *v)
{
	uint64_t deadline = vcpu_next_event_tsc(v);
	bool want = deadline != 0;
	uint32_t rate = VMX_MISC_PREEMPTION_RATE(vmx_get_caps()->misc);

	if (want != v->preemption_timer_on) {
		v->pin_ctls = want ? v->pin_ctls | PIN_PREEMPTION_TIMER
				   : v->pin_ctls & ~(uint32_t)PIN_PREEMPTION_TIMER;
		vmcs_write(VMCS_PIN_CONTROLS, v->pin_ctls);
		v->preemption_timer_on = want;
	}
	if (want) {
		uint64_t now = rdtsc();
		uint64_t ticks = deadline > now ? (deadline - now) >> rate : 0;

		vmcs_write(VMCS_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffULL ? 0xffffffffULL : ticks);
	}
}

static void report_guest_state(void)
{
	pr_err("  guest CR0 0x%lx (shadow 0x%lx) CR3 0x%lx CR4 0x%lx (shadow 0x%lx) EFER 0x%lx",
	       vmcs_read(VMCS_GUEST_CR0), vmcs_read(VMCS_CR0_READ_SHADOW), vmcs_read(VMCS_GUEST_CR3),
	       vmcs_read(VMCS_GUEST_CR4), vmcs_read(VMCS_CR4_READ_SHADOW), vmcs_read(VMCS_GUEST_EFER));
	pr_err("  guest RIP 0x%lx RSP 0x%lx RFLAGS 0x%lx CS 0x%lx base 0x%lx limit 0x%lx AR 0x%lx",
	       vmcs_read(VMCS_GUEST_RIP), vmcs_read(VMCS_GUEST_RSP), vmcs_read(VMCS_GUEST_RFLAGS),
	       vmcs_read(VMCS_GUEST_CS_SEL), vmcs_read(VMCS_GUEST_CS_BASE),
	       vmcs_read(VMCS_GUEST_CS_LIMIT), vmcs_read(VMCS_GUEST_CS_AR));
	pr_err("  guest SS 0x%lx AR 0x%lx TR AR 0x%lx activity %lu interruptibility 0x%lx "
	       "entry controls 0x%lx entry interruption 0x%lx",
	       vmcs_read(VMCS_GUEST_SS_SEL), vmcs_read(VMCS_GUEST_SS_AR), vmcs_read(VMCS_GUEST_TR_AR),
	       vmcs_read(VMCS_GUEST_ACTIVITY_STATE), vmcs_read(VMCS_GUEST_INTERRUPTIBILITY),
	       vmcs_read(VMCS_ENTRY_CONTROLS), vmcs_read(VMCS_ENTRY_INTR_INFO));
}

/* VMLAUNCH/VMRESUME itself failed (SDM 26.2/26.3 checks on controls and
 * host state): the VM-instruction error says which class. */
static void entry_instruction_failed(struct vcpu *v)
{
	uint32_t err = (uint32_t)vmcs_read(VMCS_INSTRUCTION_ERROR);

	pr_err("vm %u (%s): VM entry failed: VM-instruction error %u (%s)", v->vm->id, v->vm->name,
	       err, vmx_instruction_error_name(err));
	report_guest_state();
	vm_end(v->vm, VM_END_ENTRY_FAILED, err, "VM entry failed: VM-instruction error %u (%s)", err,
	       vmx_instruction_error_name(err));
}

void vcpu_entry_failed_exit(struct vcpu *v, uint32_t reason)
{
	uint32_t basic = EXIT_REASON_BASIC(reason);

	pr_err("vm %u (%s): VM entry failed: exit reason %u (%s), exit qualification 0x%lx",
	       v->vm->id, v->vm->name, basic, vmx_exit_reason_name(basic), v->exit_qual);
	report_guest_state();
	vm_end(v->vm, VM_END_ENTRY_FAILED, basic, "VM entry failed: %s, qualification 0x%lx",
	       vmx_exit_reason_name(basic), v->exit_qual);
}

int vcpu_run(struct vcpu *v)
{
	unsigned cpu = this_cpu_id();
	struct vmcs_counters *cnt = &vmcs_count[cpu];
	uint64_t next_stats = rdtsc() + v->vm->stats_interval_tsc;
	int rc = vmcs_load(v->vmcs);

	if (rc)
		return rc;
	load_guest_msrs(v);
	vcpu_deliver_events(v);
	update_preemption_timer(v);
	while (!vm_ended(v->vm)) {
		uint64_t reads, writes;

		/* An NMI taken in root operation is the guest's too. */
		if (host_nmi_take(cpu))
			vcpu_inject_nmi_late(v);
		if (vmx_enter(&v->regs, v->launched)) {
			entry_instruction_failed(v);
			break;
		}
		v->launched = true;
		reads = cnt->reads;
		writes = cnt->writes;
		vcpu_handle_exit(v);
		if (v->vm->stats_interval_tsc && rdtsc() >= next_stats) {
			vm_report_progress(v);
			next_stats = rdtsc() + v->vm->stats_interval_tsc;
		}
		if (!vm_ended(v->vm)) {
			vcpu_deliver_events(v);
			update_preemption_timer(v);
		}
		if (v->exit_reason < EXIT_REASON_MAX) {
			v->vmreads_by_reason[v->exit_reason] += cnt->reads - reads;
			v->vmwrites_by_reason[v->exit_reason] += cnt->writes - writes;
		}
	}
	save_guest_msrs(v);
	return vmcs_clear(v->vmcs);
}
