/* CPUID: the host's answers, filtered to what guests get (SDM Vol. 2A
 * CPUID), plus the hypervisor leaves at 0x40000000 (the range Intel
 * reserves for hypervisors: CPUID.1:ECX[31] says they exist).  The leaf
 * and sub-leaf are the guest's EAX and ECX: nothing to decode. */
#include <hv/arch.h>
#include <hv/platform.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/xsave.h>

#define HV_CPUID_BASE 0x40000000u
#define HV_CPUID_MAX  0x40000010u
#define HV_CPUID_TIMING 0x40000010u /* EAX = TSC kHz, EBX = APIC timer kHz (VMware's layout) */
#define CPUID_TSC_LEAF 0x15u        /* TSC/crystal ratio and crystal Hz (SDM Vol. 2A CPUID) */
#define CPUID_EXT_BASE 0x80000000u  /* the extended leaves */
/* "TinyHVTinyHV" in EBX, ECX, EDX order. */
#define HV_SIGNATURE_EBX 0x796e6954u /* "Tiny" */
#define HV_SIGNATURE_ECX 0x69545648u /* "HVTi" */
#define HV_SIGNATURE_EDX 0x5648796eu /* "nyHV" */

/* Leaf 1 ECX/EDX features that guests do not get. */
#define L1_ECX_MONITOR   BIT(3)   /* MONITOR/MWAIT exit to #UD */
#define L1_ECX_DS_CPL    BIT(4)
#define L1_ECX_VMX       BIT(5)   /* no nested virtualization */
#define L1_ECX_SMX       BIT(6)
#define L1_ECX_EST       BIT(7)
#define L1_ECX_TM2       BIT(8)
#define L1_ECX_PDCM      BIT(15)
#define L1_ECX_X2APIC    BIT(21)  /* no virtual local APIC yet */
#define L1_ECX_TSC_DEADLINE BIT(24)
#define L1_ECX_OSXSAVE   BIT(27)
#define L1_ECX_HYPERVISOR BIT(31)
#define L1_EDX_MCE       BIT(7)
#define L1_EDX_APIC      BIT(9)
#define L1_EDX_MCA       BIT(14)
#define L1_EDX_DS        BIT(21)
#define L1_EDX_ACPI      BIT(22)
#define L1_EDX_TM        BIT(29)
#define L1_EDX_PBE       BIT(31)
#define L7_EBX_SGX       BIT(2)
#define L7_EBX_INVPCID   BIT(10)
#define L7_EBX_PT        BIT(25)   /* processor trace: MSRs not emulated */
#define L7_ECX_WAITPKG   BIT(5)    /* needs a VM-execution control we don't set */
#define L7_ECX_SGX_LC    BIT(30)
/* The speculation controls the host has are the guest's (SPEC_CTRL,
 * PRED_CMD, FLUSH_CMD pass through; ARCH_CAPABILITIES is read in msr.c),
 * so that it can protect itself; CORE_CAPABILITIES is not emulated. */
#define L7_EDX_HIDDEN    CPUID7_EDX_CORE_CAP
#define LD1_EAX_XSAVEC   BIT(1)
#define LD1_EAX_XSAVES   BIT(3)    /* needs "enable XSAVES/XRSTORS" */
#define LX1_EDX_RDTSCP   BIT(27)

static void leaf_1(struct vcpu *v, struct cpuid_regs *r)
{
	r->ecx &= ~(uint32_t)(L1_ECX_MONITOR | L1_ECX_DS_CPL | L1_ECX_VMX | L1_ECX_SMX | L1_ECX_EST |
			      L1_ECX_TM2 | L1_ECX_PDCM | L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE |
			      L1_ECX_OSXSAVE);
	r->ecx |= L1_ECX_HYPERVISOR;
	/* OSXSAVE mirrors the guest's own CR4.OSXSAVE. */
	if (vcpu_get(v, VREG_CR4) & CR4_OSXSAVE)
		r->ecx |= L1_ECX_OSXSAVE;
	/* MTRR stays: the MTRRs are virtual (src/emul/mtrr.c). */
	r->edx &= ~(uint32_t)(L1_EDX_MCE | L1_EDX_APIC | L1_EDX_MCA | L1_EDX_DS |
			      L1_EDX_ACPI | L1_EDX_TM | L1_EDX_PBE);
	/* A VM with the PC platform has a local APIC: xAPIC, x2APIC and the
	 * TSC-deadline timer mode (src/dev/vlapic.c). */
	if (platform_has_lapic(v->vm)) {
		r->edx |= L1_EDX_APIC;
		r->ecx |= L1_ECX_X2APIC | L1_ECX_TSC_DEADLINE;
	}
	/* EBX[31:24] is the initial APIC ID, EBX[23:16] the logical count. */
	r->ebx = (r->ebx & 0x0000ffffu) | (1u << 16) | (v->id << 24);
}

/* Leaves 0xB and 0x1F, extended topology (SDM Vol. 2A CPUID, Vol. 3A
 * 10.9.1): the host's would tell the guest of the host's threads and
 * cores and an x2APIC ID other than leaf 1's APIC ID.  One vCPU is one
 * thread of one core: the SMT (1) and core (2) levels, each with one
 * logical processor and nothing to shift, then the invalid level; EDX is
 * the x2APIC ID at every sub-leaf. */
static void topology_leaf(struct vcpu *v, uint32_t subleaf, struct cpuid_regs *r)
{
	uint32_t level = subleaf & 0xff;

	if (level < 2)
		*r = (struct cpuid_regs){ 0, 1, level | ((level + 1) << 8), v->id };
	else
		*r = (struct cpuid_regs){ 0, 0, level, v->id };
}

static void hypervisor_leaf(uint32_t leaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	if (leaf == HV_CPUID_BASE) {
		r->eax = HV_CPUID_MAX;
		r->ebx = HV_SIGNATURE_EBX;
		r->ecx = HV_SIGNATURE_ECX;
		r->edx = HV_SIGNATURE_EDX;
	} else if (leaf == HV_CPUID_TIMING) {
		r->eax = (uint32_t)(arch_tsc_hz() / 1000);
		r->ebx = (uint32_t)(arch_tsc_hz() / 1000);
	}
	/* 0x40000001: feature bits, none defined yet. */
}

/* The guest is told the TSC frequency so that it need not calibrate it
 * against an emulated PIT: leaf 0x15 with ratio 1/1 and the "crystal" at
 * the TSC frequency (Linux's native_calibrate_tsc() reads exactly this). */
static bool tsc_leaf(uint32_t leaf, struct cpuid_regs *r)
{
	if (leaf != CPUID_TSC_LEAF)
		return false;
	uint64_t hz = arch_tsc_hz();
	uint32_t ratio = hz > UINT32_MAX ? 2 : 1;

	*r = (struct cpuid_regs){ 1, ratio, (uint32_t)(hz / ratio), 0 };
	return true;
}

/* Leaves below the extended ones that the host lacks (the hypervisor
 * leaves are answered before): empty.  Up to 0x15 they exist because we
 * raised the maximum over them; past the maximum a real CPU repeats its
 * highest basic leaf (SDM Vol. 2A CPUID), which from the host would reach
 * the guest unfiltered (its topology leaf, say). */
static bool beyond_host_max(const struct vcpu *v, uint32_t leaf)
{
	return leaf < CPUID_EXT_BASE && leaf > v->feat.host_max_leaf;
}

static void host_component(void *ctx, unsigned i, struct xsave_component *c)
{
	struct cpuid_regs r;

	UNUSED(ctx);
	arch_cpuid(0xd, i, &r);
	*c = (struct xsave_component){ r.eax, r.ebx, (r.ecx & BIT(1)) != 0 };
}

/* CPUID.(EAX=0DH,ECX=0): EBX is the standard-format area the guest's XCR0
 * needs, ECX the one all supported components need; ECX=1: EBX is the
 * compacted-format area for XCR0 | IA32_XSS (XSS is 0: XSAVES is hidden).
 * XSAVEC is hidden too where the host's puts components elsewhere than
 * its XRSTOR reads them (feat.xsavec, arch/xstate.h).
 * Derived from the component sub-leaves rather than passed through, so
 * the guest sees sizes that agree with the offsets: Bochs's skylake_x
 * model reports the standard size in sub-leaf 1, which Linux (using
 * XSAVEC) rejects as an "XSAVE consistency problem" and then runs without
 * XSAVE and AVX. */
static void xsave_sizes(struct vcpu *v, uint32_t subleaf, struct cpuid_regs *r)
{
	if (subleaf == 1)
		r->eax &= ~(uint32_t)(LD1_EAX_XSAVES | (v->feat.xsavec ? 0 : LD1_EAX_XSAVEC));
	if (!v->feat.xsave)
		return; /* no XSAVE on this CPU: nothing to correct */
	if (subleaf == 0) {
		uint64_t supported = ((uint64_t)r->edx << 32) | r->eax;

		r->ebx = xsave_standard_size(vcpu_get(v, VREG_XCR0), host_component, NULL);
		r->ecx = xsave_standard_size(supported, host_component, NULL);
	} else if (subleaf == 1) {
		r->ebx = xsave_compacted_size(vcpu_get(v, VREG_XCR0), host_component, NULL);
	}
}

/* Inline: it is on the path of every CPUID exit. */
static inline __attribute__((always_inline)) void filter(struct vcpu *v, uint32_t leaf,
							 uint32_t subleaf, struct cpuid_regs *r)
{
	switch (leaf) {
	case 0:
		if (r->eax < CPUID_TSC_LEAF)
			r->eax = CPUID_TSC_LEAF;
		break;
	case 1:
		leaf_1(v, r);
		break;
	case 5:  /* MONITOR/MWAIT */
	case 6:  /* thermal and power management */
	case 0xa: /* architectural performance monitoring */
		*r = (struct cpuid_regs){ 0, 0, 0, 0 };
		break;
	case 7:
		if (subleaf == 0) {
			r->ebx &= ~(uint32_t)(L7_EBX_SGX | L7_EBX_PT);
			if (!v->feat.invpcid)
				r->ebx &= ~(uint32_t)L7_EBX_INVPCID;
			r->ecx &= ~(uint32_t)(L7_ECX_WAITPKG | L7_ECX_SGX_LC);
			r->edx &= ~(uint32_t)L7_EDX_HIDDEN;
		}
		break;
	case 0xb:
	case 0x1f:
		topology_leaf(v, subleaf, r);
		break;
	case 0xd:
		xsave_sizes(v, subleaf, r);
		break;
	case 0x80000001:
		if (!v->feat.rdtscp)
			r->edx &= ~(uint32_t)LX1_EDX_RDTSCP;
		break;
	}
}

enum vmexit_ret cpuid_emulate(struct vcpu *v)
{
	uint32_t leaf = (uint32_t)v->regs.gpr[GPR_RAX];
	uint32_t subleaf = (uint32_t)v->regs.gpr[GPR_RCX];
	struct cpuid_regs r;

	if (leaf <= v->feat.host_max_leaf && leaf != CPUID_TSC_LEAF) {
		/* The basic leaves the host has: the common case. */
		arch_cpuid(leaf, subleaf, &r);
		filter(v, leaf, subleaf, &r);
	} else if (leaf >= HV_CPUID_BASE && leaf < HV_CPUID_BASE + 0x10000) {
		hypervisor_leaf(leaf, &r);
	} else if (tsc_leaf(leaf, &r)) {
		/* r is the answer */
	} else if (beyond_host_max(v, leaf)) {
		r = (struct cpuid_regs){ 0, 0, 0, 0 };
	} else {
		arch_cpuid(leaf, subleaf, &r);
		filter(v, leaf, subleaf, &r);
	}
	/* CPUID writes the low 32 bits and clears the high ones. */
	v->regs.gpr[GPR_RAX] = r.eax;
	v->regs.gpr[GPR_RBX] = r.ebx;
	v->regs.gpr[GPR_RCX] = r.ecx;
	v->regs.gpr[GPR_RDX] = r.edx;
	return VMEXIT_NEXT;
}
