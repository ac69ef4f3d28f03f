/* RDMSR/WRMSR: an allow-list.  MSRs the hardware switches, or that only
 * guests use, pass through without exits (the arch's MSR bitmap); the few
 * that need emulation are in the table below; any other MSR raises #GP,
 * as on a CPU that lacks it.  The MSR number is the guest's ECX and the
 * value EDX:EAX: nothing to decode. */
#include <hv/arch.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/mtrr.h>
#include <hv/platform.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

/* IA32_MISC_ENABLE's bits a guest may change; the rest read as at reset
 * and writes to them are ignored (a read-modify-write of what it read
 * must not fault). */
#define MISC_ENABLE_WRITABLE (MISC_ENABLE_FAST_STRINGS | MISC_ENABLE_TCC | MISC_ENABLE_EIST | \
			      MISC_ENABLE_MONITOR_FSM | MISC_ENABLE_XTPR_DISABLE)

/* 0: done; negative: inject #GP. */
typedef int (*msr_read_fn)(struct vcpu *v, uint64_t *val);
typedef int (*msr_write_fn)(struct vcpu *v, uint64_t val);

struct msr_entry {
	uint32_t msr;
	msr_read_fn read;
	msr_write_fn write;   /* NULL: read-only, writes raise #GP */
};

static int read_tsc(struct vcpu *v, uint64_t *val)
{
	*val = arch_tsc() + v->vm->tsc_offset;
	return 0;
}
/* IA32_TSC_ADJUST (SDM Vol. 3B 18.17.3): writing it moves the guest's TSC
 * by the difference, which is exactly a change of the TSC offset. */
static int read_tsc_adjust(struct vcpu *v, uint64_t *val)
{
	*val = v->vm->tsc_adjust;
	return 0;
}

static int write_tsc_adjust(struct vcpu *v, uint64_t val)
{
	v->vm->tsc_offset += val - v->vm->tsc_adjust;
	v->vm->tsc_adjust = val;
	vcpu_set(v, VREG_TSC_OFFSET, v->vm->tsc_offset);
	/* Its TSC-deadline timer counts in the guest's TSC too. */
	platform_tsc_adjusted(v->vm, val);
	vcpu_request(v, VCPU_REQ_TIMER);
	return 0;
}

/* A write to IA32_TSC adds the difference to IA32_TSC_ADJUST as well
 * (SDM Vol. 3B 18.17.3): both move by what the TSC moved. */
static int write_tsc(struct vcpu *v, uint64_t val)
{
	uint64_t now;

	read_tsc(v, &now);
	return write_tsc_adjust(v, v->vm->tsc_adjust + (val - now));
}

static int write_ignored(struct vcpu *v, uint64_t val) { UNUSED(v); UNUSED(val); return 0; }
static int read_zero(struct vcpu *v, uint64_t *val) { UNUSED(v); *val = 0; return 0; }
static int write_zero_only(struct vcpu *v, uint64_t val) { UNUSED(v); return val ? -1 : 0; }

/* Locked, with VMX off: what a guest on a CPU without VMX would see. */
static int read_feature_control(struct vcpu *v, uint64_t *val)
{
	UNUSED(v);
	*val = FEATURE_CONTROL_LOCK;
	return 0;
}

static int read_misc_enable(struct vcpu *v, uint64_t *val)
{
	*val = v->misc_enable_set ? v->misc_enable : MISC_ENABLE_FAST_STRINGS;
	return 0;
}

static int write_misc_enable(struct vcpu *v, uint64_t val)
{
	v->misc_enable = val & MISC_ENABLE_WRITABLE;
	v->misc_enable_set = true;
	return 0;
}

#define VREG_MSR(fn, reg)                                                         \
	static int read_##fn(struct vcpu *v, uint64_t *val)                       \
	{                                                                         \
		*val = vcpu_get(v, reg);                                          \
		return 0;                                                         \
	}
VREG_MSR(sysenter_cs, VREG_SYSENTER_CS)
VREG_MSR(sysenter_esp, VREG_SYSENTER_ESP)
VREG_MSR(sysenter_eip, VREG_SYSENTER_EIP)
VREG_MSR(pat, VREG_PAT)
VREG_MSR(debugctl, VREG_DEBUGCTL)
VREG_MSR(efer, VREG_EFER)
#undef VREG_MSR

static int write_sysenter_cs(struct vcpu *v, uint64_t val)
{
	vcpu_set(v, VREG_SYSENTER_CS, val & 0xffffffff);
	return 0;
}

/* SYSENTER_ESP/EIP must be canonical (SDM Vol. 4, table 2-2).  The shift
 * left is unsigned: shifting a negative int64_t left is undefined. */
static bool canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

static int write_sysenter_esp(struct vcpu *v, uint64_t val)
{
	if (!canonical(val))
		return -1;
	vcpu_set(v, VREG_SYSENTER_ESP, val);
	return 0;
}

static int write_sysenter_eip(struct vcpu *v, uint64_t val)
{
	if (!canonical(val))
		return -1;
	vcpu_set(v, VREG_SYSENTER_EIP, val);
	return 0;
}

/* IA32_DEBUGCTL: LBR and BTF (SDM Vol. 3B 18.4.1, 19.4.1); the VM-exit
 * and VM-entry controls save and load it, so the CPU applies them in the
 * guest.  The other bits need what tinyhv hides (BTS: DS; the freezes:
 * performance monitoring) and are reserved for the guest: #GP. */
#define DEBUGCTL_LBR BIT(0)
#define DEBUGCTL_BTF BIT(1)

static int write_debugctl(struct vcpu *v, uint64_t val)
{
	if (val & ~(DEBUGCTL_LBR | DEBUGCTL_BTF))
		return -1;
	vcpu_set(v, VREG_DEBUGCTL, val);
	return 0;
}

/* Each PAT entry must be a valid memory type: 0, 1, 4, 5, 6 or 7
 * (SDM Vol. 3A 13.12.2). */
static int write_pat(struct vcpu *v, uint64_t val)
{
	for (int i = 0; i < 8; i++) {
		uint8_t type = (val >> (8 * i)) & 0xff;

		if (type == 2 || type == 3 || type > 7)
			return -1;
	}
	vcpu_set(v, VREG_PAT, val);
	return 0;
}

/* EFER: SCE, LME and NXE are the guest's; LMA follows CR0.PG (exit_cr.c),
 * and LME may not change while paging is on (SDM Vol. 3A 10.8.5). */
static int write_efer(struct vcpu *v, uint64_t val)
{
	uint64_t old = vcpu_get(v, VREG_EFER);
	uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	bool paging = vcpu_get(v, VREG_CR0) & CR0_PG;

	if (val & ~allowed)
		return -1;
	if (paging && ((val ^ old) & EFER_LME))
		return -1;
	vcpu_set(v, VREG_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
	return 0;
}

/* The host's value: what the guest runs on is this CPU. */
static int read_arch_capabilities(struct vcpu *v, uint64_t *val)
{
	if (!v->feat.arch_capabilities)
		return -1;
	*val = v->feat.arch_capabilities_val;
	return 0;
}

static const struct msr_entry msr_table[] = {
	{ MSR_IA32_TSC, read_tsc, write_tsc },
	{ MSR_IA32_TSC_ADJUST, read_tsc_adjust, write_tsc_adjust },
	{ MSR_IA32_FEATURE_CONTROL, read_feature_control, NULL },
	{ MSR_IA32_BIOS_SIGN_ID, read_zero, write_ignored },
	/* Read-only (SDM Vol. 4 table 2-2); platform ID 0.  Linux's microcode
	 * loader reads it when it resumes from S3. */
	{ MSR_IA32_PLATFORM_ID, read_zero, NULL },
	{ MSR_IA32_SYSENTER_CS, read_sysenter_cs, write_sysenter_cs },
	{ MSR_IA32_SYSENTER_ESP, read_sysenter_esp, write_sysenter_esp },
	{ MSR_IA32_SYSENTER_EIP, read_sysenter_eip, write_sysenter_eip },
	{ MSR_IA32_MCG_CAP, read_zero, NULL },            /* no banks, no MCG_CTL */
	{ MSR_IA32_MCG_STATUS, read_zero, write_zero_only },
	{ MSR_IA32_MISC_ENABLE, read_misc_enable, write_misc_enable },
	{ MSR_IA32_DEBUGCTL, read_debugctl, write_debugctl },
	{ MSR_IA32_PAT, read_pat, write_pat },
	{ MSR_IA32_EFER, read_efer, write_efer },
	{ MSR_IA32_ARCH_CAPABILITIES, read_arch_capabilities, NULL },
};

static const struct msr_entry *find_msr(uint32_t msr)
{
	for (size_t i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr_table[i].msr == msr)
			return &msr_table[i];
	return NULL;
}

/* The platform's MSRs first (local APIC), the MTRRs, then the table. */
static int read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	const struct msr_entry *e;
	int rc = platform_msr_read(v, msr, val);

	if (rc != HV_ENOENT)
		return rc;
	rc = mtrr_read(&v->mtrr, msr, v->feat.maxphyaddr, val);
	if (rc != HV_ENOENT)
		return rc;
	e = find_msr(msr);
	return e ? e->read(v, val) : HV_ENOENT;
}

static int write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	const struct msr_entry *e;
	int rc = platform_msr_write(v, msr, val);

	if (rc != HV_ENOENT) {
		/* The local APIC's interrupts and timer may have changed. */
		vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
		return rc;
	}
	rc = mtrr_write(&v->mtrr, msr, v->feat.maxphyaddr, val);
	if (rc != HV_ENOENT)
		return rc;
	e = find_msr(msr);
	return e && e->write ? e->write(v, val) : HV_ENOENT;
}

enum vmexit_ret msr_emulate_read(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val;

	if (read_msr(v, msr, &val)) {
		pr_debug("vm %u: RDMSR 0x%x refused with #GP", v->vm->id, msr);
		vcpu_queue_gp(v);
		return VMEXIT_INJECTED;
	}
	v->regs.gpr[GPR_RAX] = (uint32_t)val;
	v->regs.gpr[GPR_RDX] = val >> 32;
	return VMEXIT_NEXT;
}

enum vmexit_ret msr_emulate_write(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];

	if (write_msr(v, msr, val)) {
		pr_debug("vm %u: WRMSR 0x%x = 0x%lx refused with #GP", v->vm->id, msr, val);
		vcpu_queue_gp(v);
		return VMEXIT_INJECTED;
	}
	return VMEXIT_NEXT;
}
