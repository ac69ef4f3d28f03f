/* The boot CPU's entry from boot.asm, and the arch's part of the boot
 * sequence that src/core/main.c runs: CPU identification, ACPI power-off,
 * the TSC, VT-x bring-up, and the self-tests of the fault and NMI paths. */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/idt.h>
#include <arch/irq.h>
#include <arch/percpu.h>
#include <arch/power.h>
#include <arch/tsc.h>
#include <arch/vmx.h>
#include <arch/smp.h>
#include <arch/spec.h>
#include <arch/xstate.h>
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/log.h>

void hv_main(uint32_t magic, uint32_t mbi_phys);

void hv_main(uint32_t magic, uint32_t mbi_phys)
{
	struct cpuid_regs r;

	/* The initial APIC ID (CPUID.1:EBX[31:24]) names the boot CPU until
	 * the local APIC driver reads the full one. */
	cpuid(1, 0, &r);
	percpu_init(0, r.ebx >> 24);
	console_init(CONSOLE_COM1, 115200);
	gdt_init_cpu(0);
	idt_init();
	apic_choose_mode();
	apic_init_cpu();
	cpu_enable_features();
	xstate_probe();
	hv_start(magic, (const void *)(uintptr_t)mbi_phys);
}

void arch_describe_cpu(char *buf, size_t len)
{
	struct cpu_info ci;

	cpu_identify(&ci);
	hv_snprintf(buf, len, "%s family %u model %u stepping %u, \"%s\"", ci.vendor, ci.family,
		    ci.model, ci.stepping, ci.brand);
}

void arch_power_init(const struct boot_info *bi) { power_init(bi); }
void arch_power_off(void) { power_off(); }
void arch_reset(void) { power_reset(); }
void arch_halt_forever(void) { cpu_halt_forever(); }

void arch_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r) { cpuid(leaf, subleaf, r); }

#define CPUID1_ECX_RDRAND BIT(30)
#define RDRAND_RETRIES 10   /* Intel's DRNG guide: retry ten times, then give up */

bool arch_random64(uint64_t *v)
{
	static int have = -1;
	struct cpuid_regs r;

	if (have < 0) {
		cpuid(1, 0, &r);
		have = (r.ecx & CPUID1_ECX_RDRAND) != 0;
	}
	for (int i = 0; have && i < RDRAND_RETRIES; i++) {
		uint8_t ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
		if (ok)
			return true;
	}
	return false;
}

int arch_virt_init(void)
{
	static struct vmx_caps caps;
	const char *missing = "";
	int rc;

	pr_info("TSC: %lu kHz", (unsigned long)(tsc_calibrate() / 1000));
	rc = vmx_probe(&caps, &missing);
	if (rc) {
		kprintf("VT-x unavailable: %s\n", missing);
		return rc;
	}
	vmx_print_caps(&caps);
	spec_probe();
	return vmx_enable_cpu(0, &caps);
}

unsigned arch_cpus_start(int64_t absent_apic_id) { return smp_start_cpus(absent_apic_id); }

/* COM1 and COM3 are ISA IRQ 4, COM2 and COM4 IRQ 3 (the PC's). */
bool arch_console_irq_start(uint16_t port)
{
	int irq = (port == 0x3f8 || port == 0x3e8) ? 4 : (port == 0x2f8 || port == 0x2e8) ? 3 : -1;

	if (!irq_init(irq))
		return false;
	arch_uart_rx_interrupt(port, true);
	return true;
}

void arch_fault_test(void) { __asm__ volatile("ud2"); }

void arch_spec_test(void)
{
	spec_verw = 1;
	pr_info("spec_test: VERW before every VM entry (the mitigating exit stub)");
}

/* INT 2 enters the NMI handler as an NMI would; the one it notes is taken
 * here, so that no guest gets it. */
bool arch_nmi_test(void)
{
	__asm__ volatile("int $2");
	return host_nmi_take();
}
