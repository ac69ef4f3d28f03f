/* A vCPU's VMCS: controls computed from the capability MSRs, the host
 * state of this hypervisor, the initial guest state; the guest registers
 * the portable code reads and writes through the register cache; and the
 * run loop (SDM Vol. 3C chapters 25-28). */
#include <stddef.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/idt.h>
#include <arch/msr.h>
#include <arch/spec.h>
#include <arch/vmx.h>
#include <arch/vmx_vcpu.h>
#include <hv/arch.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/string.h>
#include <hv/vm.h>

/* The exit stub finds the guest's registers at the vcpu's address and the
 * host stack right after them (vmx_entry.asm). */
_Static_assert(offsetof(struct vcpu, regs.gpr) == 0, "gpr[] must start struct vcpu");
_Static_assert(offsetof(struct vcpu, regs.host_rsp) == 8 * GPR_COUNT,
	       "host_rsp must follow gpr[] (vmx_entry.asm REGS_HOST_RSP)");

static struct vcpu_arch vcpu_pool[MAX_VMS][MAX_VCPUS_PER_VM];

/* Segment access rights in the VMCS format (SDM 25.4.1, table 25-2). */
#define AR_CODE32   0xc09b  /* present, code exec/read accessed, D=1, G=1 */
#define AR_DATA32   0xc093  /* present, data read/write accessed, D=1, G=1 */
#define AR_TSS32    0x008b  /* present, busy 32-bit TSS */
#define AR_LDT      0x0082  /* present, LDT */

/* CR0 bits the guest may change without an exit: the FPU-context bits
 * that OSes flip often.  Every other bit is shadowed (src/emul/cr.c). */
#define CR0_GUEST_OWNED (BIT(1) | BIT(2) | BIT(3)) /* MP, EM, TS */

/* Exceptions that always exit (the exception bitmap, SDM 25.6.3).  #AC
 * and #DB: a guest can make either fault while it is being delivered, for
 * ever, and a CPU that delivers back to back takes nothing else in between
 * (CVE-2015-5307, CVE-2015-8104); each delivery attempt is an exit instead
 * and the exception is reflected (src/emul/exception.c).  #MC: a machine
 * check in guest time is the hypervisor's to report. */
#define EXCEPTION_BITMAP_INTERCEPTED (BIT(X86_DB) | BIT(X86_AC) | BIT(X86_MC))

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
static int check_toggled_controls(struct vcpu_arch *x, const struct vmx_caps *caps)
{
	uint32_t unused;
	int rc;

	rc = control("processor-based", &caps->proc, PROC_INTERRUPT_WINDOW_EXITING, 0, &unused);
	rc = rc ? rc : control("pin-based", &caps->pin, PIN_PREEMPTION_TIMER, 0, &unused);
	rc = rc ? rc : control("VM-entry", &caps->entry, ENTRY_IA32E_MODE_GUEST, 0, &unused);
	x->nmi_window_ok = (x->pin_ctls & PIN_VIRTUAL_NMIS) &&
			   (caps->proc.may_be_1 & PROC_NMI_WINDOW_EXITING);
	return rc;
}

static int compute_controls(struct vcpu_arch *x, const struct vmx_caps *caps)
{
	int rc;

	rc = control("pin-based", &caps->pin, PIN_EXTERNAL_INTERRUPT_EXITING | PIN_NMI_EXITING,
		     PIN_VIRTUAL_NMIS, &x->pin_ctls);
	/* CR8 exiting: a guest's CR8 is its virtual local APIC's TPR
	 * (src/emul/cr.c), never the CPU's, which masks the host's interrupts. */
	rc = rc ? rc : control("processor-based", &caps->proc,
			       PROC_HLT_EXITING | PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS |
				       PROC_ACTIVATE_SECONDARY | PROC_CR8_LOAD_EXITING |
				       PROC_CR8_STORE_EXITING,
			       PROC_MWAIT_EXITING | PROC_MONITOR_EXITING | PROC_USE_TSC_OFFSETTING |
				       PROC_MOV_DR_EXITING,
			       &x->proc_ctls);
	x->mov_dr_exiting_ok = x->proc_ctls & PROC_MOV_DR_EXITING;
	/* Unrestricted guest lets a guest run with paging off, as a Multiboot
	 * kernel starts (SDM 26.2.1.1). */
	rc = rc ? rc : control("secondary processor-based", &caps->proc2,
			       PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST,
			       PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID |
				       PROC2_WBINVD_EXITING,
			       &x->proc2_ctls);
	rc = rc ? rc : control("VM-exit", &caps->exit,
			       EXIT_HOST_ADDRESS_SPACE_SIZE | EXIT_ACK_INTERRUPT_ON_EXIT |
				       EXIT_SAVE_EFER | EXIT_LOAD_EFER | EXIT_SAVE_DEBUG_CONTROLS,
			       EXIT_SAVE_PAT | EXIT_LOAD_PAT, &x->exit_ctls);
	/* The debug controls: every exit loads DR7 = 0x400 (SDM 28.5.1), so
	 * the guest's DR7 lives in the VMCS (saved on exit, loaded on entry)
	 * or its breakpoints would vanish at the first exit. */
	rc = rc ? rc : control("VM-entry", &caps->entry, ENTRY_LOAD_EFER | ENTRY_LOAD_DEBUG_CONTROLS,
			       ENTRY_LOAD_PAT, &x->entry_ctls);
	return rc ? rc : check_toggled_controls(x, caps);
}

/* The debugger's intercepts (hv/vcpu.h): #BP exits while it has INT3s in
 * the guest, and the monitor trap flag (SDM 26.5.2: an exit after one
 * instruction) while it steps the vCPU; written only when they change. */
bool arch_vcpu_debug_update(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	const struct vm_debug *d = &v->vm->debug;
	bool bp = d->on && d->sw_breaks;
	bool mtf = v->debug_step && (vmx_get_caps()->proc.may_be_1 & PROC_MONITOR_TRAP_FLAG);
	uint32_t proc = mtf ? x->proc_ctls | PROC_MONITOR_TRAP_FLAG
			    : x->proc_ctls & ~(uint32_t)PROC_MONITOR_TRAP_FLAG;

	if (bp != x->bp_exiting) {
		vmcs_write(VMCS_EXCEPTION_BITMAP,
			   EXCEPTION_BITMAP_INTERCEPTED | (bp ? BIT(X86_BP) : 0));
		x->bp_exiting = bp;
	}
	if (proc != x->proc_ctls) {
		x->proc_ctls = proc;
		vmcs_write(VMCS_PROC_CONTROLS, proc);
	}
	return mtf || !v->debug_step;
}

static void write_controls(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	struct vm_arch *vm = v->vm->arch;

	vmcs_write(VMCS_PIN_CONTROLS, x->pin_ctls);
	vmcs_write(VMCS_PROC_CONTROLS, x->proc_ctls);
	vmcs_write(VMCS_PROC2_CONTROLS, x->proc2_ctls);
	vmcs_write(VMCS_EXIT_CONTROLS, x->exit_ctls);
	vmcs_write(VMCS_ENTRY_CONTROLS, x->entry_ctls);
	vmcs_write(VMCS_EXCEPTION_BITMAP, EXCEPTION_BITMAP_INTERCEPTED);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_IO_BITMAP_A, vm->io_bitmap);
	vmcs_write(VMCS_IO_BITMAP_B, vm->io_bitmap + PAGE_SIZE);
	vmcs_write(VMCS_MSR_BITMAP, vm->msr_bitmap);
	if (x->proc2_ctls & PROC2_ENABLE_VPID)
		vmcs_write(VMCS_VPID, vm->vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, ~(uint64_t)CR0_GUEST_OWNED);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, ~0ULL);
	vmcs_write(VMCS_TSC_OFFSET, v->vm->tsc_offset);
}

static void write_host_state(struct vcpu *v, unsigned cpu)
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
	vmcs_write(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)this_cpu());
	vmcs_write(VMCS_HOST_TR_BASE, tss_base(cpu));
	vmcs_write(VMCS_HOST_GDTR_BASE, gdt_base(cpu));
	vmcs_write(VMCS_HOST_IDTR_BASE, idt_base());
	vmcs_write(VMCS_HOST_SYSENTER_CS, 0);
	vmcs_write(VMCS_HOST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_HOST_EFER, rdmsr(MSR_IA32_EFER));
	vmcs_write(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vmcs_write(VMCS_HOST_RIP, (uint64_t)(uintptr_t)(spec_entry_work() ? vmx_exit_stub_mitigated
									 : vmx_exit_stub));
	/* Just past the guest's registers: the exit stub pushes them there. */
	vmcs_write(VMCS_HOST_RSP, (uint64_t)(uintptr_t)&v->regs.host_rsp);
}

static void write_segment_full(enum vmcs_field sel, uint16_t selector, uint32_t ar,
			       uint64_t base, uint32_t limit)
{
	/* Selector, limit, access rights and base fields of one register sit
	 * at fixed distances in the encoding space (SDM appendix B). */
	uint32_t index = (sel - VMCS_GUEST_ES_SEL) / 2;

	vmcs_write(sel, selector);
	vmcs_write((enum vmcs_field)(VMCS_GUEST_ES_LIMIT + 2 * index), limit);
	vmcs_write((enum vmcs_field)(VMCS_GUEST_ES_AR + 2 * index), ar);
	vmcs_write((enum vmcs_field)(VMCS_GUEST_ES_BASE + 2 * index), base);
}

static void write_segment(enum vmcs_field sel, uint16_t selector, uint32_t ar)
{
	write_segment_full(sel, selector, ar, 0, 0xffffffff);
}

#define AR_DATA16   0x0093  /* present, data read/write accessed, 16-bit */

/* Real mode at CS:IP: an application processor's start-up IPI (VV00:0000,
 * SDM Vol. 3A 9.4.3) or the wake from S3, which unrestricted guest runs as
 * it is.  CS is "present, R/W, accessed" as after RESET or INIT (table
 * 10-1), a data type that VM entry allows for CS only with unrestricted
 * guest (27.3.1.2), and with it any selector: a code type would require
 * the selector's RPL to equal the DPL, 0, which a waking vector such as
 * 991f0 (991f:0000) does not have. */
static void write_real_mode_segments(const struct vcpu_start *s)
{
	static const enum vmcs_field data[] = { VMCS_GUEST_DS_SEL, VMCS_GUEST_ES_SEL,
						VMCS_GUEST_SS_SEL, VMCS_GUEST_FS_SEL,
						VMCS_GUEST_GS_SEL };

	write_segment_full(VMCS_GUEST_CS_SEL, s->cs_sel, AR_DATA16, (uint64_t)s->cs_sel << 4,
			   0xffff);
	for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
		write_segment_full(data[i], 0, AR_DATA16, 0, 0xffff);
}

#define AR_CODE64   0xa09b  /* present, code exec/read accessed, L=1, G=1 */

/* The initial state: 32-bit protected mode with paging off and flat 4 GiB
 * segments (Multiboot spec 3.2), or 64-bit mode on the loader's page
 * tables and GDT (Linux boot protocol, "64-bit boot protocol"). */
static void write_guest_state(struct vcpu *v, const struct vcpu_start *s)
{
	struct vcpu_arch *x = vmx(v);
	uint64_t cr0 = (s->real_mode ? 0 : CR0_PE) | CR0_ET | (s->long_mode ? CR0_PG : 0) |
		       (s->power_on ? CR0_CD | CR0_NW : 0);  /* Vol. 3A table 10-1 */
	uint64_t cr4 = s->long_mode ? CR4_PAE : 0;
	uint32_t code_ar = s->long_mode ? AR_CODE64 : AR_CODE32;

	vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
	vmcs_write(VMCS_GUEST_CR0, vmx_real_cr0(cr0));
	vmcs_write(VMCS_CR4_READ_SHADOW, cr4);
	vmcs_write(VMCS_GUEST_CR4, vmx_real_cr4(cr4));
	vmcs_write(VMCS_GUEST_CR3, s->cr3);
	if (s->real_mode) {
		write_real_mode_segments(s);
	} else {
		write_segment(VMCS_GUEST_CS_SEL, s->cs_sel, code_ar);
		write_segment(VMCS_GUEST_DS_SEL, s->ds_sel, AR_DATA32);
		write_segment(VMCS_GUEST_ES_SEL, s->ds_sel, AR_DATA32);
		write_segment(VMCS_GUEST_SS_SEL, s->ds_sel, AR_DATA32);
		write_segment(VMCS_GUEST_FS_SEL, s->ds_sel, AR_DATA32);
		write_segment(VMCS_GUEST_GS_SEL, s->ds_sel, AR_DATA32);
	}
	/* LDTR and TR as the CPU leaves them at reset (Vol. 3A table 10-1),
	 * as a loader that never loads them passes them on: a guest that
	 * uses an LDT selector before LLDT sees the CPU's behaviour. */
	vmcs_write(VMCS_GUEST_LDTR_SEL, 0);
	vmcs_write(VMCS_GUEST_LDTR_AR, AR_LDT);
	vmcs_write(VMCS_GUEST_LDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_LDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_TR_SEL, 0);
	vmcs_write(VMCS_GUEST_TR_AR, AR_TSS32);
	vmcs_write(VMCS_GUEST_TR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_TR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_BASE, s->gdt_base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, s->real_mode ? 0xffff : s->gdt_limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, s->real_mode ? 0xffff : 0);
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
		x->entry_ctls |= ENTRY_IA32E_MODE_GUEST;
		vmcs_write(VMCS_ENTRY_CONTROLS, x->entry_ctls);
	}
	x->xcr0 = 1; /* x87 only, the reset value */
}

uint64_t vmx_real_cr0(uint64_t guest_cr0)
{
	const struct vmx_caps *caps = vmx_get_caps();
	/* Unrestricted guests may clear PE and PG despite CR0_FIXED0
	 * (SDM 26.3.1.1). */
	uint64_t fixed0 = caps->cr0_fixed0 & ~(CR0_PE | CR0_PG);

	return (guest_cr0 | fixed0) & caps->cr0_fixed1;
}

uint64_t vmx_real_cr4(uint64_t guest_cr4)
{
	const struct vmx_caps *caps = vmx_get_caps();

	return (guest_cr4 | caps->cr4_fixed0) & caps->cr4_fixed1;
}

static unsigned maxphyaddr(void)
{
	struct cpuid_regs r;

	cpuid(0x80000000, 0, &r);
	if (r.eax < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, &r);
	return r.eax & 0xff;
}

/* What the guest may use, for CPUID and the emulation. */
static void set_features(struct vcpu *v, const struct vmx_caps *caps)
{
	struct vcpu_arch *x = vmx(v);
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	v->feat = (struct vcpu_features){
		.rdtscp = x->proc2_ctls & PROC2_ENABLE_RDTSCP,
		.invpcid = x->proc2_ctls & PROC2_ENABLE_INVPCID,
		.xsave = read_cr4() & CR4_OSXSAVE,
		.xsavec = xstate_xsavec_sound(),
		/* What VMX allows, less VMXE (VMX is hidden) and SMXE. */
		.cr4_valid = caps->cr4_fixed1 & ~(uint64_t)(CR4_VMXE | CR4_SMXE),
		.maxphyaddr = maxphyaddr(),
		.host_max_leaf = r.eax,
		.arch_capabilities = spec_cpuid7_edx() & CPUID7_EDX_ARCH_CAP,
		.arch_capabilities_val = spec_arch_capabilities(),
	};
}

int arch_vcpu_create(struct vcpu *v, const struct vcpu_start *start)
{
	const struct vmx_caps *caps = vmx_get_caps();
	struct vcpu_arch *x = &vcpu_pool[v->vm->slot][v->id];
	int rc;

	memset(x, 0, sizeof(*x));
	vmcs_charge_none();
	rc = compute_controls(x, caps);
	rc = rc ? rc : page_alloc(1, PAGE_SIZE, &x->vmcs);
	if (rc)
		return rc;
	v->arch = x;
	rc = xstate_init(&x->xs);
	if (rc) {
		arch_vcpu_destroy(v);
		return rc;
	}
	set_features(v, caps);
	x->timer_shift = VMX_MISC_PREEMPTION_RATE(caps->misc);
	*(uint32_t *)phys_to_virt(x->vmcs) = caps->revision;
	rc = vmcs_clear(x->vmcs);
	rc = rc ? rc : vmcs_load(x->vmcs);
	if (rc) {
		arch_vcpu_destroy(v);
		return rc;
	}
	write_controls(v);
	rc = vmx_dirty_vcpu_init(v);
	if (rc) {
		vmcs_clear(x->vmcs);
		arch_vcpu_destroy(v);
		return rc;
	}
	v->breakpoints_off = x->mov_dr_exiting_ok;     /* DR7 starts as 0x400 */
	write_host_state(v, this_cpu_id());
	x->host_cpu = this_cpu_id();
	write_guest_state(v, start);
	/* Ways to exercise the failed-entry reports: activity states above 3
	 * fail the guest-state checks (SDM 27.3.1.5); a CR3-target count
	 * above 4 fails the control checks, before any guest state (26.2.1.1). */
	if (v->vm->entry_fail_test == ENTRY_FAIL_STATE)
		vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 7);
	if (v->vm->entry_fail_test == ENTRY_FAIL_CONTROL)
		vmcs_write(VMCS_CR3_TARGET_COUNT, 5);
	return vmcs_clear(x->vmcs);
}

void arch_vcpu_destroy(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	if (x->vmcs)
		page_free(x->vmcs, 1);
	x->vmcs = 0;
	vmx_dirty_vcpu_free(v);
	xstate_free(&x->xs);
	v->arch = NULL;
}

/* ---- the register cache (hv/vcpu.h) ---- */

static const enum vmcs_field reg_field[VREG_COUNT] = {
	[VREG_RSP] = VMCS_GUEST_RSP,
	[VREG_RIP] = VMCS_GUEST_RIP,
	[VREG_RFLAGS] = VMCS_GUEST_RFLAGS,
	[VREG_CR0] = VMCS_CR0_READ_SHADOW,
	[VREG_CR3] = VMCS_GUEST_CR3,
	[VREG_CR4] = VMCS_CR4_READ_SHADOW,
	[VREG_EFER] = VMCS_GUEST_EFER,
	[VREG_PAT] = VMCS_GUEST_PAT,
	[VREG_DEBUGCTL] = VMCS_GUEST_DEBUGCTL,
	[VREG_SYSENTER_CS] = VMCS_GUEST_SYSENTER_CS,
	[VREG_SYSENTER_ESP] = VMCS_GUEST_SYSENTER_ESP,
	[VREG_SYSENTER_EIP] = VMCS_GUEST_SYSENTER_EIP,
	[VREG_CS_BASE] = VMCS_GUEST_CS_BASE,
	[VREG_SS_BASE] = VMCS_GUEST_SS_BASE,
	[VREG_DS_BASE] = VMCS_GUEST_DS_BASE,
	[VREG_ES_BASE] = VMCS_GUEST_ES_BASE,
	[VREG_FS_BASE] = VMCS_GUEST_FS_BASE,
	[VREG_GS_BASE] = VMCS_GUEST_GS_BASE,
	[VREG_CS_AR] = VMCS_GUEST_CS_AR,
	[VREG_SS_AR] = VMCS_GUEST_SS_AR,
	[VREG_PDPTE0] = VMCS_GUEST_PDPTE0,
	[VREG_PDPTE1] = VMCS_GUEST_PDPTE1,
	[VREG_PDPTE2] = VMCS_GUEST_PDPTE2,
	[VREG_PDPTE3] = VMCS_GUEST_PDPTE3,
	[VREG_TSC_OFFSET] = VMCS_TSC_OFFSET,
	[VREG_DR7] = VMCS_GUEST_DR7,
};

/* MOV-DR exiting is on while the guest's DR7 enables no breakpoint (as
 * at the start: 0x400), so that an emulated port or MMIO access need not
 * read DR7 to know that it meets none (v->breakpoints_off).  The guest's
 * first MOV DR turns it off (vmx_dr_access); the first emulated access
 * after that reads DR7 and, if it enables nothing, calls this to turn it
 * on again.  KVM does the same (its "switch_db_regs"). */
void arch_vcpu_watch_breakpoints(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	if (!x->mov_dr_exiting_ok || (x->proc_ctls & PROC_MOV_DR_EXITING))
		return;
	x->proc_ctls |= PROC_MOV_DR_EXITING;
	vmcs_write(VMCS_PROC_CONTROLS, x->proc_ctls);
	v->breakpoints_off = true;
}

/* A MOV to or from a debug register while MOV-DR exiting was on: it goes
 * off, and the instruction runs again in the guest, where the CPU makes
 * its own checks (CPL, DR4 and DR5 under CR4.DE, DR7.GD, reserved bits). */
enum vmexit_ret vmx_dr_access(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	x->proc_ctls &= ~(uint32_t)PROC_MOV_DR_EXITING;
	vmcs_write(VMCS_PROC_CONTROLS, x->proc_ctls);
	v->breakpoints_off = false;
	return VMEXIT_RETRY;
}

/* Segment registers in the VMCS's field order (appendix B: selectors,
 * limits, access rights and bases are each ES, CS, SS, DS, FS, GS, LDTR,
 * TR, two encodings apart). */
static const struct { uint16_t sel, limit, ar, base; int base_reg, ar_reg; } seg_fields[] = {
	[VSEG_ES] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, VMCS_GUEST_ES_BASE,
		      VREG_ES_BASE, -1 },
	[VSEG_CS] = { VMCS_GUEST_CS_SEL, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR, VMCS_GUEST_CS_BASE,
		      VREG_CS_BASE, VREG_CS_AR },
	[VSEG_SS] = { VMCS_GUEST_SS_SEL, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, VMCS_GUEST_SS_BASE,
		      VREG_SS_BASE, VREG_SS_AR },
	[VSEG_DS] = { VMCS_GUEST_DS_SEL, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, VMCS_GUEST_DS_BASE,
		      VREG_DS_BASE, -1 },
	[VSEG_FS] = { VMCS_GUEST_FS_SEL, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, VMCS_GUEST_FS_BASE,
		      VREG_FS_BASE, -1 },
	[VSEG_GS] = { VMCS_GUEST_GS_SEL, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, VMCS_GUEST_GS_BASE,
		      VREG_GS_BASE, -1 },
	[VSEG_LDTR] = { VMCS_GUEST_LDTR_SEL, VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_LDTR_AR,
			VMCS_GUEST_LDTR_BASE, -1, -1 },
	[VSEG_TR] = { VMCS_GUEST_TR_SEL, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_AR, VMCS_GUEST_TR_BASE,
		      -1, -1 },
};

void arch_vcpu_seg_read(struct vcpu *v, enum vseg_id s, struct vseg *out)
{
	out->sel = (uint16_t)vmcs_read(seg_fields[s].sel);
	out->limit = (uint32_t)vmcs_read(seg_fields[s].limit);
	out->ar = (uint32_t)vmcs_read(seg_fields[s].ar);
	out->base = seg_fields[s].base_reg >= 0 ? vcpu_get(v, (enum vreg)seg_fields[s].base_reg)
						: vmcs_read(seg_fields[s].base);
}

/* Straight to the VMCS; the register cache takes the new base and access
 * rights as the hardware's (available, not dirty). */
static void cache_hw(struct vcpu *v, int r, uint64_t val)
{
	if (r < 0)
		return;
	v->regs.val[r] = val;
	v->regs.avail |= (uint32_t)BIT(r);
	v->regs.dirty &= ~(uint32_t)BIT(r);
}

void arch_vcpu_seg_write(struct vcpu *v, enum vseg_id s, const struct vseg *in)
{
	vmcs_write(seg_fields[s].sel, in->sel);
	vmcs_write(seg_fields[s].limit, in->limit);
	vmcs_write(seg_fields[s].ar, in->ar);
	vmcs_write(seg_fields[s].base, in->base);
	cache_hw(v, seg_fields[s].base_reg, in->base);
	cache_hw(v, seg_fields[s].ar_reg, in->ar);
}

void arch_vcpu_gdtr(struct vcpu *v, uint64_t *base, uint32_t *limit)
{
	UNUSED(v);
	*base = vmcs_read(VMCS_GUEST_GDTR_BASE);
	*limit = (uint32_t)vmcs_read(VMCS_GUEST_GDTR_LIMIT);
}

/* The guest's XMM registers are the CPU's while its exit is handled
 * (arch/xstate.h: the hypervisor is built without SSE). */
#define XMM_READ(n)  case n: __asm__ volatile("movdqu %%xmm" #n ", %0" : "=m"(*x)); break
#define XMM_WRITE(n) case n: __asm__ volatile("movdqu %0, %%xmm" #n : : "m"(*x)); break

void arch_vcpu_xmm_read(struct vcpu *v, unsigned n, uint8_t val[16])
{
	struct { uint8_t b[16]; } *x = (void *)val;

	UNUSED(v);
	switch (n) {
	XMM_READ(0); XMM_READ(1); XMM_READ(2); XMM_READ(3);
	XMM_READ(4); XMM_READ(5); XMM_READ(6); XMM_READ(7);
	XMM_READ(8); XMM_READ(9); XMM_READ(10); XMM_READ(11);
	XMM_READ(12); XMM_READ(13); XMM_READ(14); XMM_READ(15);
	}
}

void arch_vcpu_xmm_write(struct vcpu *v, unsigned n, const uint8_t val[16])
{
	const struct { uint8_t b[16]; } *x = (const void *)val;

	UNUSED(v);
	switch (n) {
	XMM_WRITE(0); XMM_WRITE(1); XMM_WRITE(2); XMM_WRITE(3);
	XMM_WRITE(4); XMM_WRITE(5); XMM_WRITE(6); XMM_WRITE(7);
	XMM_WRITE(8); XMM_WRITE(9); XMM_WRITE(10); XMM_WRITE(11);
	XMM_WRITE(12); XMM_WRITE(13); XMM_WRITE(14); XMM_WRITE(15);
	}
}

uint64_t arch_vcpu_read(struct vcpu *v, enum vreg r)
{
	if (r == VREG_XCR0)
		return vmx(v)->xcr0;
	switch (r) {
	case VREG_CR0:
		/* The guest-owned bits (MP, EM, TS) are the real CR0's: the
		 * guest changes them without an exit, and the read shadow
		 * keeps what was last written there (SDM Vol. 3C 25.6.6). */
		return (vmcs_read(VMCS_CR0_READ_SHADOW) & ~(uint64_t)CR0_GUEST_OWNED) |
		       (vmcs_read(VMCS_GUEST_CR0) & CR0_GUEST_OWNED);
	case VREG_DR0: return read_dr0();
	case VREG_DR1: return read_dr1();
	case VREG_DR2: return read_dr2();
	case VREG_DR3: return read_dr3();
	case VREG_DR6: return read_dr6();
	default: return vmcs_read(reg_field[r]);
	}
}

/* IA-32e mode guest must equal EFER.LMA on entry (SDM 26.3.1.1): the
 * control follows the guest's EFER wherever that changes. */
static void write_efer(struct vcpu *v, uint64_t efer)
{
	struct vcpu_arch *x = vmx(v);
	uint32_t entry = (efer & EFER_LMA) ? x->entry_ctls | ENTRY_IA32E_MODE_GUEST
					   : x->entry_ctls & ~(uint32_t)ENTRY_IA32E_MODE_GUEST;

	vmcs_write(VMCS_GUEST_EFER, efer);
	if (entry != x->entry_ctls) {
		x->entry_ctls = entry;
		vmcs_write(VMCS_ENTRY_CONTROLS, entry);
	}
}

static void write_reg(struct vcpu *v, enum vreg r, uint64_t val)
{
	switch (r) {
	case VREG_CR0:
		vmcs_write(VMCS_CR0_READ_SHADOW, val);
		vmcs_write(VMCS_GUEST_CR0, vmx_real_cr0(val));
		break;
	case VREG_CR4:
		vmcs_write(VMCS_CR4_READ_SHADOW, val);
		vmcs_write(VMCS_GUEST_CR4, vmx_real_cr4(val));
		break;
	case VREG_EFER:
		write_efer(v, val);
		break;
	case VREG_XCR0:
		/* The guest's XCR0 is the CPU's while the vCPU is loaded. */
		vmx(v)->xcr0 = val;
		xsetbv(0, val);
		break;
	case VREG_DR0: write_dr0(val); break;
	case VREG_DR1: write_dr1(val); break;
	case VREG_DR2: write_dr2(val); break;
	case VREG_DR3: write_dr3(val); break;
	case VREG_DR6:
		write_dr6(val);
		break;
	default:
		vmcs_write(reg_field[r], val);
		break;
	}
}

void vmx_flush_regs(struct vcpu *v)
{
	uint32_t dirty = v->regs.dirty;

	v->regs.dirty = 0;
	while (dirty) {
		enum vreg r = (enum vreg)__builtin_ctz(dirty);

		dirty &= dirty - 1;
		write_reg(v, r, v->regs.val[r]);
	}
}

/* State the VMCS does not switch: the MSRs of struct vcpu_msrs, XCR0,
 * CR2, and the extended, debug and TPR state of arch/xstate.h.  The
 * hypervisor never uses them, so they are swapped only when a vCPU starts
 * or stops running on a CPU. */
static void load_guest_state(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	wrmsr(MSR_IA32_STAR, x->msrs.star);
	wrmsr(MSR_IA32_LSTAR, x->msrs.lstar);
	wrmsr(MSR_IA32_CSTAR, x->msrs.cstar);
	wrmsr(MSR_IA32_FMASK, x->msrs.fmask);
	wrmsr(MSR_IA32_KERNEL_GS_BASE, x->msrs.kernel_gs_base);
	if (x->proc2_ctls & PROC2_ENABLE_RDTSCP)
		wrmsr(MSR_IA32_TSC_AUX, x->msrs.tsc_aux);
	xstate_load(&x->xs, x->xcr0);
	write_cr2(v->cr2);
	if (spec_cpuid7_edx() & CPUID7_EDX_IBRS_IBPB)
		wrmsr(MSR_IA32_SPEC_CTRL, x->msrs.spec_ctrl);
	spec_enter_vm(v->vm->id);
}

static void save_guest_state(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	x->msrs.star = rdmsr(MSR_IA32_STAR);
	x->msrs.lstar = rdmsr(MSR_IA32_LSTAR);
	x->msrs.cstar = rdmsr(MSR_IA32_CSTAR);
	x->msrs.fmask = rdmsr(MSR_IA32_FMASK);
	x->msrs.kernel_gs_base = rdmsr(MSR_IA32_KERNEL_GS_BASE);
	if (x->proc2_ctls & PROC2_ENABLE_RDTSCP)
		x->msrs.tsc_aux = rdmsr(MSR_IA32_TSC_AUX);
	xstate_save(&x->xs);
	v->cr2 = read_cr2();
	/* The guest's IA32_SPEC_CTRL is its own (no exits): kept, and the
	 * host's, 0, put back. */
	if (spec_cpuid7_edx() & CPUID7_EDX_IBRS_IBPB) {
		x->msrs.spec_ctrl = rdmsr(MSR_IA32_SPEC_CTRL);
		wrmsr(MSR_IA32_SPEC_CTRL, 0);
	}
}

/* The timers run on the VMX-preemption timer, which counts down at the
 * TSC rate divided by 2^IA32_VMX_MISC[4:0] (SDM 26.5.1) from the value
 * each VM entry loads: it is set again before every entry while a
 * deadline is armed, from the absolute deadline, so that time spent in
 * exits counts. */
void vmx_update_timer(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	bool want = x->deadline != 0;

	if (want != x->timer_on) {
		x->pin_ctls = want ? x->pin_ctls | PIN_PREEMPTION_TIMER
				   : x->pin_ctls & ~(uint32_t)PIN_PREEMPTION_TIMER;
		vmcs_write(VMCS_PIN_CONTROLS, x->pin_ctls);
		x->timer_on = want;
	}
	if (want) {
		uint64_t now = rdtsc();
		uint64_t ticks = x->deadline > now ? (x->deadline - now) >> x->timer_shift : 0;

		vmcs_write(VMCS_PREEMPTION_TIMER_VALUE, ticks > 0xffffffffULL ? 0xffffffffULL : ticks);
	}
}

void vmx_report_guest_state(void)
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
	vmx_report_guest_state();
	vm_end(v->vm, VM_END_ENTRY_FAILED, err, "VM entry failed: VM-instruction error %u (%s)", err,
	       vmx_instruction_error_name(err));
}

/* The run loop is in the exit path: vmx_enter() returns only when the VM
 * has ended, an entry instruction failed, or the vCPU yields its CPU to
 * the next of its run queue (VCPU_REQ_YIELD).  The VMCS is cleared each
 * time, so the next run launches it again (SDM Vol. 3C 24.11.3), on
 * whichever CPU. */
int arch_vcpu_run(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	int rc = vmcs_load(x->vmcs);

	if (rc)
		return rc;
	if (x->host_cpu != this_cpu_id()) {
		write_host_state(v, this_cpu_id());
		x->host_cpu = this_cpu_id();
	}
	load_guest_state(v);
	this_cpu()->vcpu = v;
	x->next_stats = v->vm->stats_interval_tsc ? rdtsc() + v->vm->stats_interval_tsc : 0;
	v->regs.avail = 0;
	vmcs_charge_none();
	vcpu_debug_enter(v);
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	if (vmx_prepare_entry(v)) {
		if (vmx_enter(v, x->launched))
			entry_instruction_failed(v);
		else
			x->launched = true;
	}
	vmcs_charge_none();
	this_cpu()->vcpu = NULL;
	vmx_dirty_drain(v);   /* what it logged, before another CPU looks */
	save_guest_state(v);
	vcpu_snapshot(v);   /* for the shell's regs and the debugger, while it does not run */
	rc = vmcs_clear(x->vmcs);
	x->launched = false;
	return rc;
}
