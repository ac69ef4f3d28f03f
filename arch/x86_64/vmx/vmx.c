/* VT-x bring-up (SDM Vol. 3C chapter 24, "Introduction to VMX operation",
 * and appendix A for the capability MSRs). */
#include <arch/cpu.h>
#include <arch/msr.h>
#include <arch/percpu.h>
#include <arch/vmx.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/memory.h>

#define CPUID_1_ECX_VMX BIT(5)

/* What every CPU offers (they are the same model; checked on the boot CPU). */
static struct vmx_caps platform_caps;

const struct vmx_caps *vmx_get_caps(void) { return &platform_caps; }

static struct vmx_ctl_caps ctl_caps(uint32_t msr)
{
	uint64_t v = rdmsr(msr);

	return (struct vmx_ctl_caps){ .must_be_1 = (uint32_t)v, .may_be_1 = (uint32_t)(v >> 32) };
}

uint32_t vmx_ctl_value(const struct vmx_ctl_caps *c, uint32_t want, uint32_t *missing)
{
	if (missing)
		*missing = want & ~c->may_be_1;
	return (want | c->must_be_1) & c->may_be_1;
}

static void read_caps(struct vmx_caps *caps)
{
	bool true_ctls;

	caps->basic = rdmsr(MSR_IA32_VMX_BASIC);
	caps->revision = VMX_BASIC_REVISION(caps->basic);
	caps->vmcs_size = VMX_BASIC_VMCS_SIZE(caps->basic);
	/* The TRUE MSRs report which default-1 controls may be cleared
	 * (appendix A.2); use them whenever the CPU has them. */
	true_ctls = caps->basic & VMX_BASIC_TRUE_CTLS;
	caps->pin = ctl_caps(true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
	caps->proc = ctl_caps(true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
	caps->exit = ctl_caps(true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
	caps->entry = ctl_caps(true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
	caps->misc = rdmsr(MSR_IA32_VMX_MISC);
	caps->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	caps->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	caps->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	caps->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	caps->proc2 = (struct vmx_ctl_caps){ 0, 0 };
	caps->ept_vpid = 0;
	if (caps->proc.may_be_1 & PROC_ACTIVATE_SECONDARY)
		caps->proc2 = ctl_caps(MSR_IA32_VMX_PROCBASED_CTLS2);
	/* IA32_VMX_EPT_VPID_CAP exists only if EPT or VPID may be enabled. */
	if (caps->proc2.may_be_1 & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
		caps->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
}

/* IA32_FEATURE_CONTROL (SDM Vol. 3C 24.7): firmware may lock it; once
 * locked with VMX-outside-SMX clear, VMXON faults until the next reset. */
static int check_feature_control(const char **missing)
{
	uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);

	if (!(fc & FEATURE_CONTROL_LOCK)) {
		wrmsr(MSR_IA32_FEATURE_CONTROL,
		      fc | FEATURE_CONTROL_VMX_OUTSIDE_SMX | FEATURE_CONTROL_LOCK);
		return 0;
	}
	if (fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)
		return 0;
	*missing = "the firmware locked VMX off (IA32_FEATURE_CONTROL locked with "
		   "VMX-outside-SMX clear; enable VT-x in the firmware setup)";
	return HV_ENOTSUP;
}

static int check_ept(const struct vmx_caps *caps, const char **missing)
{
	if (!(caps->proc.may_be_1 & PROC_ACTIVATE_SECONDARY)) {
		*missing = "EPT: the CPU has no secondary processor-based controls";
		return HV_ENOTSUP;
	}
	if (!(caps->proc2.may_be_1 & PROC2_ENABLE_EPT)) {
		*missing = "EPT: the CPU cannot enable EPT (IA32_VMX_PROCBASED_CTLS2 bit 1)";
		return HV_ENOTSUP;
	}
	if (!(caps->ept_vpid & EPT_CAP_PWL4) || !(caps->ept_vpid & EPT_CAP_WB)) {
		*missing = "EPT: no 4-level write-back EPT (IA32_VMX_EPT_VPID_CAP bits 6, 14)";
		return HV_ENOTSUP;
	}
	if (!(caps->ept_vpid & EPT_CAP_INVEPT) ||
	    !(caps->ept_vpid & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL))) {
		*missing = "EPT: the CPU has no INVEPT of one or all contexts "
			   "(IA32_VMX_EPT_VPID_CAP bits 20, 25, 26)";
		return HV_ENOTSUP;
	}
	return 0;
}

static bool may_set(const struct vmx_ctl_caps *c, uint32_t bits)
{
	return (c->may_be_1 & bits) == bits;
}

/* What every VM needs besides EPT (compute_controls() in vcpu.c), checked
 * here so that such a CPU gets the one "VT-x unavailable" line rather than
 * an error from each VM. */
static int check_guest_controls(const struct vmx_caps *caps, const char **missing)
{
	if (!may_set(&caps->proc2, PROC2_UNRESTRICTED_GUEST)) {
		*missing = "unrestricted guest: guests cannot start with paging off "
			   "(IA32_VMX_PROCBASED_CTLS2 bit 7)";
		return HV_ENOTSUP;
	}
	if (!may_set(&caps->pin, PIN_PREEMPTION_TIMER)) {
		*missing = "the VMX-preemption timer, which runs the guests' timers "
			   "(IA32_VMX_PINBASED_CTLS bit 6)";
		return HV_ENOTSUP;
	}
	if (!may_set(&caps->entry, ENTRY_LOAD_EFER) ||
	    !may_set(&caps->exit, EXIT_SAVE_EFER | EXIT_LOAD_EFER)) {
		*missing = "loading and saving IA32_EFER on VM entry and exit "
			   "(IA32_VMX_ENTRY_CTLS bit 15, IA32_VMX_EXIT_CTLS bits 20, 21)";
		return HV_ENOTSUP;
	}
	return 0;
}

int vmx_probe(struct vmx_caps *caps, const char **missing)
{
	struct cpuid_regs r;
	int rc;

	cpuid(1, 0, &r);
	if (!(r.ecx & CPUID_1_ECX_VMX)) {
		*missing = "VMX: the CPU does not report VT-x (CPUID.1:ECX.VMX[bit 5] = 0)";
		return HV_ENOTSUP;
	}
	rc = check_feature_control(missing);
	if (rc)
		return rc;
	read_caps(caps);
	if (VMX_BASIC_MEMTYPE(caps->basic) != VMX_MEMTYPE_WB) {
		*missing = "VMX: VMCS memory type is not write-back (IA32_VMX_BASIC bits 53:50)";
		return HV_ENOTSUP;
	}
	if (caps->vmcs_size == 0 || caps->vmcs_size > PAGE_SIZE) {
		*missing = "VMX: VMCS region size in IA32_VMX_BASIC is not within one page";
		return HV_ENOTSUP;
	}
	rc = check_ept(caps, missing);
	if (!rc)
		rc = check_guest_controls(caps, missing);
	if (!rc)
		platform_caps = *caps;
	return rc;
}

static int vmxon(paddr_t region)
{
	uint8_t fail_invalid, fail_valid;

	__asm__ volatile("vmxon %2; setc %0; setz %1"
			 : "=qm"(fail_invalid), "=qm"(fail_valid)
			 : "m"(region)
			 : "cc", "memory");
	return (fail_invalid || fail_valid) ? HV_EIO : 0;
}

int vmx_enable_cpu(unsigned cpu, const struct vmx_caps *caps)
{
	const char *missing = "";
	paddr_t region;
	int rc;

	/* IA32_FEATURE_CONTROL is per CPU: the boot CPU's check in
	 * vmx_probe() says nothing of the others'. */
	rc = check_feature_control(&missing);
	if (rc) {
		pr_err("vmx: CPU %u: %s", cpu, missing);
		return rc;
	}
	rc = page_alloc(1, PAGE_SIZE, &region);
	if (rc) {
		pr_err("vmx: CPU %u: no page for the VMXON region: %s", cpu, hv_strerror(rc));
		return rc;
	}
	*(uint32_t *)phys_to_virt(region) = caps->revision;

	/* CR0 and CR4 must hold the fixed bits in VMX operation (24.8). */
	write_cr0((read_cr0() | caps->cr0_fixed0) & caps->cr0_fixed1);
	write_cr4((read_cr4() | caps->cr4_fixed0 | CR4_VMXE) & caps->cr4_fixed1);

	rc = vmxon(region);
	if (rc) {
		pr_err("vmx: CPU %u: VMXON failed (RFLAGS.CF/ZF set)", cpu);
		page_free(region, 1);
		return rc;
	}
	this_cpu()->vmxon_region = region;
	pr_info("VMXON succeeded on CPU %u, APIC ID %u (VMXON region at 0x%lx)", cpu,
		this_cpu()->apic_id, region);
	return 0;
}

static const char *yn(bool b) { return b ? "yes" : "no"; }

void vmx_print_caps(const struct vmx_caps *c)
{
	uint64_t e = c->ept_vpid;

	pr_info("VMX capabilities: VMCS revision 0x%x, %u bytes; EPT %s, 2M pages %s, "
		"1G pages %s, EPT A/D %s; VPID %s; unrestricted guest %s; PML %s; "
		"preemption timer %s (TSC/%u); posted interrupts %s; monitor trap flag %s",
		c->revision, c->vmcs_size, yn(c->proc2.may_be_1 & PROC2_ENABLE_EPT),
		yn(e & EPT_CAP_2M), yn(e & EPT_CAP_1G), yn(e & EPT_CAP_AD),
		yn(c->proc2.may_be_1 & PROC2_ENABLE_VPID),
		yn(c->proc2.may_be_1 & PROC2_UNRESTRICTED_GUEST),
		yn(c->proc2.may_be_1 & PROC2_ENABLE_PML),
		yn(c->pin.may_be_1 & PIN_PREEMPTION_TIMER), 1u << VMX_MISC_PREEMPTION_RATE(c->misc),
		yn(c->pin.may_be_1 & PIN_POSTED_INTERRUPTS),
		yn(c->proc.may_be_1 & PROC_MONITOR_TRAP_FLAG));
}

/* INVEPT/INVVPID descriptors (SDM Vol. 3C 31.3, INVEPT and INVVPID). */
struct inv_desc {
	uint64_t lo, hi;
};

enum { INV_SINGLE_CONTEXT = 1, INV_ALL_CONTEXTS = 2 };

void vmx_invept(uint64_t eptp)
{
	struct inv_desc d = { eptp, 0 };
	uint64_t type = (platform_caps.ept_vpid & EPT_CAP_INVEPT_SINGLE) ? INV_SINGLE_CONTEXT
									: INV_ALL_CONTEXTS;

	__asm__ volatile("invept %0, %1" : : "m"(d), "r"(type) : "cc", "memory");
}

void vmx_invvpid(uint16_t vpid)
{
	struct inv_desc d = { vpid, 0 };
	uint64_t type;

	if (!(platform_caps.ept_vpid & VPID_CAP_INVVPID))
		return;
	type = (platform_caps.ept_vpid & VPID_CAP_INVVPID_SINGLE) ? INV_SINGLE_CONTEXT
								   : INV_ALL_CONTEXTS;
	__asm__ volatile("invvpid %0, %1" : : "m"(d), "r"(type) : "cc", "memory");
}
