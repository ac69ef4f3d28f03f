/* RDMSR/WRMSR: an allow-list.  MSRs the VMCS switches, or that only
 * guests use, pass through without exits (see msr_bitmap_init()); the
 * few that need emulation are in the table below; any other MSR raises
 * #GP, as on a CPU that lacks it. */
#include <arch/cpu.h>
#include <arch/msr.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/exit.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/platform.h>
#include <hv/string.h>
#include <hv/vm.h>

#define MSR_IA32_TSC            0x010
#define MSR_IA32_TSC_ADJUST     0x03b
#define MSR_IA32_BIOS_SIGN_ID   0x08b
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MISC_ENABLE_FAST_STRINGS BIT(0)

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
	*val = rdtsc() + v->vm->tsc_offset;
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
	vmcs_write(VMCS_TSC_OFFSET, v->vm->tsc_offset);
	return 0;
}

/* The TSC is shared with the host; a guest write is ignored. */
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
	UNUSED(v);
	*val = MISC_ENABLE_FAST_STRINGS;
	return 0;
}

#define VMCS_MSR(fn, field)                                                       \
	static int read_##fn(struct vcpu *v, uint64_t *val)                       \
	{                                                                         \
		UNUSED(v);                                                        \
		*val = vmcs_read(field);                                          \
		return 0;                                                         \
	}
VMCS_MSR(sysenter_cs, VMCS_GUEST_SYSENTER_CS)
VMCS_MSR(sysenter_esp, VMCS_GUEST_SYSENTER_ESP)
VMCS_MSR(sysenter_eip, VMCS_GUEST_SYSENTER_EIP)
VMCS_MSR(pat, VMCS_GUEST_PAT)
VMCS_MSR(efer, VMCS_GUEST_EFER)
#undef VMCS_MSR

static int write_sysenter_cs(struct vcpu *v, uint64_t val)
{
	UNUSED(v);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, val & 0xffffffff);
	return 0;
}

/* SYSENTER_ESP/EIP must be canonical (SDM Vol. 4, table 2-2). */
static bool canonical(uint64_t a) { return (uint64_t)(((int64_t)a << 16) >> 16) == a; }

static int write_sysenter_esp(struct vcpu *v, uint64_t val)
{
	UNUSED(v);
	if (!canonical(val))
		return -1;
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, val);
	return 0;
}

static int write_sysenter_eip(struct vcpu *v, uint64_t val)
{
	UNUSED(v);
	if (!canonical(val))
		return -1;
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, val);
	return 0;
}

/* Each PAT entry must be a valid memory type: 0, 1, 4, 5, 6 or 7
 * (SDM Vol. 3A 13.12.2). */
static int write_pat(struct vcpu *v, uint64_t val)
{
	UNUSED(v);
	for (int i = 0; i < 8; i++) {
		uint8_t type = (val >> (8 * i)) & 0xff;

		if (type == 2 || type == 3 || type > 7)
			return -1;
	}
	vmcs_write(VMCS_GUEST_PAT, val);
	return 0;
}

/* EFER: SCE, LME and NXE are the guest's; LMA follows CR0.PG (exit_cr.c),
 * and LME may not change while paging is on (SDM Vol. 3A 10.8.5). */
static int write_efer(struct vcpu *v, uint64_t val)
{
	uint64_t old = vmcs_read(VMCS_GUEST_EFER);
	uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	bool paging = vmcs_read(VMCS_CR0_READ_SHADOW) & CR0_PG;

	UNUSED(v);
	if (val & ~allowed)
		return -1;
	if (paging && ((val ^ old) & EFER_LME))
		return -1;
	vmcs_write(VMCS_GUEST_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
	return 0;
}

static const struct msr_entry msr_table[] = {
	{ MSR_IA32_TSC, read_tsc, write_ignored },
	{ MSR_IA32_TSC_ADJUST, read_tsc_adjust, write_tsc_adjust },
	{ MSR_IA32_FEATURE_CONTROL, read_feature_control, NULL },
	{ MSR_IA32_BIOS_SIGN_ID, read_zero, write_ignored },
	{ MSR_IA32_SYSENTER_CS, read_sysenter_cs, write_sysenter_cs },
	{ MSR_IA32_SYSENTER_ESP, read_sysenter_esp, write_sysenter_esp },
	{ MSR_IA32_SYSENTER_EIP, read_sysenter_eip, write_sysenter_eip },
	{ MSR_IA32_MISC_ENABLE, read_misc_enable, write_ignored },
	{ MSR_IA32_DEBUGCTL, read_zero, write_zero_only },
	{ MSR_IA32_PAT, read_pat, write_pat },
	{ MSR_IA32_EFER, read_efer, write_efer },
};

static const struct msr_entry *find_msr(uint32_t msr)
{
	for (size_t i = 0; i < ARRAY_SIZE(msr_table); i++)
		if (msr_table[i].msr == msr)
			return &msr_table[i];
	return NULL;
}

/* The platform's MSRs first (local APIC), then the table. */
static int read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	const struct msr_entry *e;
	int rc = platform_msr_read(v->vm, msr, val);

	if (rc != HV_ENOENT)
		return rc;
	e = find_msr(msr);
	return e ? e->read(v, val) : HV_ENOENT;
}

static int write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	const struct msr_entry *e;
	int rc = platform_msr_write(v->vm, msr, val);

	if (rc != HV_ENOENT)
		return rc;
	e = find_msr(msr);
	return e && e->write ? e->write(v, val) : HV_ENOENT;
}

void handle_rdmsr(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val;

	if (read_msr(v, msr, &val)) {
		pr_debug("vm %u: RDMSR 0x%x refused with #GP", v->vm->id, msr);
		vcpu_inject_gp(v);
		return;
	}
	v->regs.gpr[GPR_RAX] = (uint32_t)val;
	v->regs.gpr[GPR_RDX] = val >> 32;
	vcpu_skip_instruction(v);
}

void handle_wrmsr(struct vcpu *v)
{
	uint32_t msr = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];

	if (write_msr(v, msr, val)) {
		pr_debug("vm %u: WRMSR 0x%x = 0x%lx refused with #GP", v->vm->id, msr, val);
		vcpu_inject_gp(v);
		return;
	}
	vcpu_skip_instruction(v);
}

/* The MSR bitmap (SDM 25.6.9): four 1 KiB bitmaps, read-low, read-high,
 * write-low, write-high; a set bit means "exit".  Everything exits except
 * the MSRs below, which the VMCS switches (FS/GS base) or which only the
 * guest uses and vcpu.c swaps when a vCPU starts and stops running. */
static void allow(uint8_t *bitmap, uint32_t msr)
{
	uint32_t base = msr >= 0xc0000000 ? 1024 : 0;
	uint32_t bit = msr & 0x1fff;

	bitmap[base + bit / 8] &= (uint8_t)~(1u << (bit % 8));          /* reads */
	bitmap[2048 + base + bit / 8] &= (uint8_t)~(1u << (bit % 8));   /* writes */
}

void msr_bitmap_init(void *page, bool rdtscp)
{
	uint8_t *bitmap = page;

	memset(bitmap, 0xff, PAGE_SIZE);
	allow(bitmap, MSR_IA32_FS_BASE);
	allow(bitmap, MSR_IA32_GS_BASE);
	allow(bitmap, MSR_IA32_KERNEL_GS_BASE);
	allow(bitmap, MSR_IA32_STAR);
	allow(bitmap, MSR_IA32_LSTAR);
	allow(bitmap, MSR_IA32_CSTAR);
	allow(bitmap, MSR_IA32_FMASK);
	if (rdtscp)
		allow(bitmap, MSR_IA32_TSC_AUX);
}
