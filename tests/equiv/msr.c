/* tests/equiv/msr.c: the architectural MSRs (SDM Vol. 4, chapter 2):
 * each is read, written back, then written with values the SDM allows
 * and values it refuses (reserved bits, non-canonical addresses, invalid
 * memory types), read back after each write, and restored.  A guest
 * must see what the CPU does: the value, or the #GP. */
#include "equiv.h"

const char eq_area[] = "msr";

/* What a value's read-out says: NUMBER prints it; TIME prints only that
 * the read worked (a counter whose value depends on when it is read). */
enum show { NUMBER, TIME };

struct msr {
	uint32_t index;
	const char *name;
	enum show show;
	uint64_t tries[6];      /* values to write, in order; ends at 0 (after the first) */
};

#define NONCANON 0x0000800000000000ull
#define NONCANON_HIGH 0xffff7ffffffff000ull
#define KERNEL_ADDR 0xffff800000001000ull

/* Written back and tried; the values end with the first 0 after the
 * first entry (a 0 as the first is a value to try). */
static const struct msr msrs[] = {
	{ 0x10, "TSC", TIME, { 0 } },
	{ 0x17, "PLATFORM_ID", NUMBER, { 0 } },
	{ 0x1b, "APIC_BASE", NUMBER, { 0xfee00900 | 1u << 9, 0xfee00900ull | 1ull << 52 } },
	{ 0x3a, "FEATURE_CONTROL", NUMBER, { 0 } },
	{ 0x3b, "TSC_ADJUST", NUMBER, { 0 } },
	{ 0x48, "SPEC_CTRL", NUMBER, { 1, 1ull << 63 } },
	{ 0x49, "PRED_CMD", NUMBER, { 1 } },
	{ 0x8b, "BIOS_SIGN_ID", NUMBER, { 0 } },
	{ 0x9e, "SMBASE", NUMBER, { 0 } },
	{ 0xc1, "PMC0", NUMBER, { 0 } },
	{ 0xe7, "MPERF", TIME, { 0 } },
	{ 0xe8, "APERF", TIME, { 0 } },
	{ 0xfe, "MTRRCAP", NUMBER, { 0 } },
	{ 0x10a, "ARCH_CAPABILITIES", NUMBER, { 0 } },
	{ 0x10b, "FLUSH_CMD", NUMBER, { 1 } },
	{ 0x174, "SYSENTER_CS", NUMBER, { 0x10, 0xffffffff, 0x1234567800000010ull } },
	{ 0x175, "SYSENTER_ESP", NUMBER, { KERNEL_ADDR, 0x12345678, NONCANON, NONCANON_HIGH } },
	{ 0x176, "SYSENTER_EIP", NUMBER, { KERNEL_ADDR, 0x12345678, NONCANON, NONCANON_HIGH } },
	{ 0x179, "MCG_CAP", NUMBER, { 0 } },
	{ 0x17a, "MCG_STATUS", NUMBER, { 0 } },
	{ 0x186, "PERFEVTSEL0", NUMBER, { 0 } },
	{ 0x198, "PERF_STATUS", NUMBER, { 0 } },
	{ 0x199, "PERF_CTL", NUMBER, { 0 } },
	{ 0x19a, "CLOCK_MODULATION", NUMBER, { 0 } },
	{ 0x1a0, "MISC_ENABLE", NUMBER, { 0 } },
	{ 0x1d9, "DEBUGCTL", NUMBER, { 0, 1, 2, 1ull << 63 } },
	{ 0x200, "MTRR_PHYSBASE0", NUMBER, { 0x6, 0x2, 1ull << 52 | 6, 0x106 } },
	{ 0x201, "MTRR_PHYSMASK0", NUMBER, { 0xff0000800ull, 0xff0000801ull, 0 } },
	{ 0x20e, "MTRR_PHYSBASE7", NUMBER, { 0 } },
	{ 0x20f, "MTRR_PHYSMASK7", NUMBER, { 0 } },
	{ 0x250, "MTRR_FIX64K_00000", NUMBER, { 0x0606060606060606ull, 0x0202020202020202ull, 0 } },
	{ 0x258, "MTRR_FIX16K_80000", NUMBER, { 0 } },
	{ 0x259, "MTRR_FIX16K_A0000", NUMBER, { 0 } },
	{ 0x268, "MTRR_FIX4K_C0000", NUMBER, { 0x0505050505050505ull, 0x0808080808080808ull, 0 } },
	{ 0x26f, "MTRR_FIX4K_F8000", NUMBER, { 0 } },
	{ 0x277, "PAT", NUMBER, { 0x0007040600070406ull, 0x0105060704000106ull, 0x0002040600070406ull,
				 0x0007040600070408ull, 1ull << 63 } },
	{ 0x2ff, "MTRR_DEF_TYPE", NUMBER, { 0xc06, 0xc02, 0x1c06, 0x806 } },
	{ 0x38f, "PERF_GLOBAL_CTRL", NUMBER, { 0 } },
	{ 0x480, "VMX_BASIC", NUMBER, { 0 } },
	{ 0x48b, "VMX_PROCBASED_CTLS2", NUMBER, { 0 } },
	{ 0x4c1, "A_PMC0", NUMBER, { 0 } },
	{ 0x6e0, "TSC_DEADLINE", NUMBER, { 0 } },
	{ 0x802, "X2APIC_APICID", NUMBER, { 0 } },
	{ 0xda0, "XSS", NUMBER, { 0 } },
	{ 0xc0000081, "STAR", NUMBER, { 0x0023001000000000ull, ~0ull } },
	{ 0xc0000082, "LSTAR", NUMBER, { KERNEL_ADDR, NONCANON, NONCANON_HIGH } },
	{ 0xc0000083, "CSTAR", NUMBER, { KERNEL_ADDR, NONCANON } },
	{ 0xc0000084, "FMASK", NUMBER, { 0x47700, 0xffffffff, 1ull << 32 } },
	{ 0xc0000100, "FS_BASE", NUMBER, { KERNEL_ADDR, NONCANON } },
	{ 0xc0000101, "GS_BASE", NUMBER, { KERNEL_ADDR, NONCANON } },
	{ 0xc0000102, "KERNEL_GS_BASE", NUMBER, { KERNEL_ADDR, NONCANON } },
	{ 0xc0000103, "TSC_AUX", NUMBER, { 0x12345678, 1ull << 32 } },
	{ 0x40000000, "HV_0x40000000", NUMBER, { 0 } },
	{ 0x12345678, "UNKNOWN_0x12345678", NUMBER, { 0 } },
	{ 0xc0011234, "AMD_0xc0011234", NUMBER, { 0 } },
};

/* The same checks whatever the outcomes, so that the two transcripts
 * line up: the read, the write of what was read (0 when the read
 * faulted: PRED_CMD and FLUSH_CMD are write-only), each value to try
 * with what reads back, and the restore. */
static void try_msr(const struct msr *m)
{
	uint64_t orig = 0, v = 0;
	int vec = rdmsr_safe(m->index, &orig);

	if (vec != EQ_NONE || m->show == TIME)
		eq("rdmsr %s => %s", m->name, eq_fault(vec));
	else
		eq("rdmsr %s => %#lx", m->name, orig);
	if (m->show == TIME)
		return;             /* TSC: tsc.c */
	eq("wrmsr %s <- what it read => %s", m->name, eq_fault(wrmsr_safe(m->index, orig)));
	for (unsigned i = 0; i < 6 && (m->tries[i] || (i == 0 && m->tries[1])); i++) {
		int wvec = wrmsr_safe(m->index, m->tries[i]);
		int rvec = rdmsr_safe(m->index, &v);

		eq("wrmsr %s <- %#lx => %s, then rdmsr => %s %#lx", m->name, m->tries[i],
		   eq_fault(wvec), eq_fault(rvec), rvec == EQ_NONE ? v : 0);
	}
	wrmsr_safe(m->index, orig);
}

/* What tells which MSRs the CPU has (SDM Vol. 4 2.1). */
static void features(void)
{
	struct eq_cpuid one = cpuid(1, 0), seven = cpuid(7, 0), ext = cpuid(0x80000001, 0);
	struct eq_cpuid pm = cpuid(0xa, 0);

	eq("CPUID.1:EDX => MSR %u MCE %u MTRR %u MCA %u PAT %u DS %u ACPI %u", one.d >> 5 & 1,
	   one.d >> 7 & 1, one.d >> 12 & 1, one.d >> 14 & 1, one.d >> 16 & 1, one.d >> 21 & 1,
	   one.d >> 22 & 1);
	eq("CPUID.1:ECX => VMX %u SMX %u EST %u TM2 %u PDCM %u X2APIC %u TSC_DEADLINE %u",
	   one.c >> 5 & 1, one.c >> 6 & 1, one.c >> 7 & 1, one.c >> 8 & 1, one.c >> 15 & 1,
	   one.c >> 21 & 1, one.c >> 24 & 1);
	eq("CPUID.7:EDX => SPEC_CTRL %u STIBP %u FLUSH_CMD %u ARCH_CAP %u SSBD %u",
	   seven.d >> 26 & 1, seven.d >> 27 & 1, seven.d >> 28 & 1, seven.d >> 29 & 1,
	   seven.d >> 31 & 1);
	eq("CPUID.80000001H:EDX => SYSCALL %u NX %u RDTSCP %u LM %u", ext.d >> 11 & 1,
	   ext.d >> 20 & 1, ext.d >> 27 & 1, ext.d >> 29 & 1);
	eq("CPUID.0AH:EAX => performance monitoring version %u", pm.a & 0xff);
}

/* EFER (SDM Vol. 3A 2.2.1 and 10.8.5): SCE and NXE may change; LME may
 * not while paging is on; LMA is the CPU's; the other bits are reserved
 * (FFXSR and TCE are AMD's). */
static void efer(void)
{
	static const struct {
		const char *what;
		uint64_t flip;
	} flips[] = {
		{ "SCE", 1 << 0 }, { "bit 1", 1 << 1 }, { "LME", 1 << 8 }, { "bit 9", 1 << 9 },
		{ "LMA", 1 << 10 }, { "NXE", 1 << 11 }, { "SVME", 1 << 12 }, { "LMSLE", 1 << 13 },
		{ "FFXSR", 1 << 14 }, { "TCE", 1 << 15 }, { "bit 63", 1ull << 63 },
	};
	const uint32_t EFER = 0xc0000080;
	uint64_t orig = rdmsr(EFER), v;

	eq("rdmsr EFER => %#lx", orig);
	for (unsigned i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		int vec = wrmsr_safe(EFER, orig ^ flips[i].flip);

		rdmsr_safe(EFER, &v);
		eq("wrmsr EFER flipping %s => %s, reads %#lx", flips[i].what, eq_fault(vec), v);
		wrmsr(EFER, orig);
	}
}

/* APIC_BASE's enable and x2APIC bits (SDM Vol. 3A 12.12.5): x2APIC to
 * xAPIC directly is invalid; through disabled it is not. */
static void apic_modes(void)
{
	const uint32_t APIC_BASE = 0x1b;
	const uint64_t EN = 1 << 11, EXTD = 1 << 10;
	uint64_t orig = rdmsr(APIC_BASE), v;
	uint64_t base = orig & ~(EN | EXTD);
	static const struct {
		const char *what;
		uint64_t bits;
	} steps[] = {
		{ "x2APIC", 1 << 11 | 1 << 10 }, { "xAPIC from x2APIC", 1 << 11 },
		{ "disabled", 0 }, { "x2APIC-only from disabled", 1 << 10 },
		{ "xAPIC from disabled", 1 << 11 }, { "x2APIC again", 1 << 11 | 1 << 10 },
		{ "disabled from x2APIC", 0 }, { "xAPIC at last", 1 << 11 },
	};

	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int vec = wrmsr_safe(APIC_BASE, base | steps[i].bits);

		rdmsr_safe(APIC_BASE, &v);
		eq("APIC_BASE to %s => %s, reads %#lx", steps[i].what, eq_fault(vec), v);
		if (steps[i].bits & EXTD) {
			uint64_t id;

			vec = rdmsr_safe(0x802, &id);
			eq("  %s: rdmsr X2APIC_APICID => %s %#lx", steps[i].what, eq_fault(vec), id);
		}
	}
	if (wrmsr_safe(APIC_BASE, orig) != EQ_NONE)
		eq_fail("restoring APIC_BASE to %#lx raised %s", orig, eq_fault(eq_vector));
}

/* The MTRRs are changed while enabled: the SDM only recommends
 * disabling them first (Vol. 3A 13.11.7.2), and this guest runs from
 * write-back memory whatever they say. */
void eq_main(void)
{
	features();
	for (unsigned i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++)
		try_msr(&msrs[i]);
	efer();
	apic_modes();
}
