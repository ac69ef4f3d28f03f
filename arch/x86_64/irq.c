/* The hypervisor's own interrupts (include/arch/irq.h). */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/ioapic.h>
#include <arch/irq.h>
#include <arch/percpu.h>
#include <arch/smp.h>
#include <hv/acpi.h>
#include <hv/arch.h>
#include <hv/console_in.h>
#include <hv/log.h>

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

bool irq_init(int isa_irq)
{
	const struct acpi_cpus *m = smp_madt();
	uint32_t gsi;

	/* The 8259s stay as the firmware left them but with every line
	 * masked (OCW1), so that nothing reaches LINT0 as ExtINT: the
	 * hypervisor takes its interrupts through the I/O APIC. */
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	if (!m || !m->ioapic_addr || ioapic_init(m->ioapic_addr, m->ioapic_gsi_base)) {
		pr_warn("interrupts: no I/O APIC in the MADT: console input is polled");
		return false;
	}
	if (isa_irq < 0 || isa_irq >= ACPI_ISA_IRQS) {
		pr_info("interrupts: the console port has no ISA IRQ: its input is polled");
		return false;
	}
	gsi = m->isa_gsi[isa_irq];
	if (ioapic_route(gsi, VECTOR_CONSOLE, this_cpu()->apic_id, m->isa_flags[isa_irq])) {
		pr_warn("interrupts: cannot route GSI %u: console input is polled", gsi);
		return false;
	}
	pr_info("interrupts: console input by IRQ %d (GSI %u), vector 0x%x, to CPU 0", isa_irq, gsi,
		VECTOR_CONSOLE);
	return true;
}

void host_irq(unsigned vector)
{
	/* A spurious interrupt sets no in-service bit: no EOI (11.9). */
	if (vector == VECTOR_SPURIOUS)
		return;
	if (vector == VECTOR_CONSOLE)
		console_in_interrupt();
	apic_eoi();
}

void arch_cpu_kick(unsigned cpu)
{
	if (arch_cpu_online(cpu) && cpu != this_cpu_id())
		apic_send_ipi(pcpus[cpu].apic_id, VECTOR_KICK);
}

/* Wait for an interrupt: a kick, the console, or this CPU's timer set to
 * until (UINT64_MAX: none).  Without a TSC-deadline timer a timed wait
 * does not sleep: the caller looks at the clock again. */
void arch_cpu_wait(uint64_t until)
{
	if (until != UINT64_MAX && !apic_timer_at(until)) {
		cpu_relax();
		return;
	}
	__asm__ volatile("sti; hlt; cli");   /* STI's shadow: no interrupt lost before HLT */
	if (until != UINT64_MAX)
		apic_timer_at(0);
}

/* Nothing more to do on this CPU: wait with interrupts on, so that the
 * console's interrupt (routed to the boot CPU) is still taken. */
void arch_cpu_idle_forever(void)
{
	for (;;)
		__asm__ volatile("sti; hlt; cli");
}
