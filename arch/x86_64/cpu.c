/* CPU identification through CPUID (SDM Vol. 2A, CPUID). */
#include <arch/cpu.h>
#include <hv/string.h>

static void copy_regs(char *dst, const uint32_t *regs, int n)
{
	memcpy(dst, regs, (size_t)n * 4);
}

void cpu_identify(struct cpu_info *ci)
{
	struct cpuid_regs r;
	uint32_t base_family, base_model;

	memset(ci, 0, sizeof(*ci));
	cpuid(0, 0, &r);
	ci->max_leaf = r.eax;
	copy_regs(ci->vendor, &r.ebx, 1);
	copy_regs(ci->vendor + 4, &r.edx, 1);
	copy_regs(ci->vendor + 8, &r.ecx, 1);
	ci->intel = memcmp(ci->vendor, "GenuineIntel", 12) == 0;

	cpuid(1, 0, &r);
	/* Display family/model: SDM Vol. 2A, CPUID leaf 1, EAX. */
	base_family = (r.eax >> 8) & 0xf;
	base_model = (r.eax >> 4) & 0xf;
	ci->family = base_family == 0xf ? base_family + ((r.eax >> 20) & 0xff) : base_family;
	ci->model = (base_family == 0x6 || base_family == 0xf) ? base_model | ((r.eax >> 12) & 0xf0)
							      : base_model;
	ci->stepping = r.eax & 0xf;

	cpuid(0x80000000, 0, &r);
	ci->max_ext_leaf = r.eax;
	if (ci->max_ext_leaf < 0x80000004)
		return;
	for (uint32_t i = 0; i < 3; i++) {
		cpuid(0x80000002 + i, 0, &r);
		copy_regs(ci->brand + 16 * i, &r.eax, 4);
	}
}

/* XSETBV, which emulates the guest's, needs CR4.OSXSAVE in the host
 * (SDM Vol. 2C XSETBV), and saving a guest's XMM registers needs XSAVE or
 * CR4.OSFXSR for FXSAVE; the hypervisor itself never uses extended state. */
void cpu_enable_features(void)
{
	struct cpuid_regs r;

	write_cr4(read_cr4() | CR4_OSFXSR);
	cpuid(1, 0, &r);
	if (r.ecx & BIT(26))
		write_cr4(read_cr4() | CR4_OSXSAVE);
}
