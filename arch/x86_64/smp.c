/* The application processors: every CPU of the MADT but the boot CPU,
 * started one at a time with INIT-SIPI-SIPI (SDM Vol. 3A 9.4.4.1, "Typical
 * BSP Initialization Sequence") through the trampoline of ap_start.asm,
 * brought into long mode with their own stack, GDT/TSS, per-CPU structure
 * and VMXON region, and then left waiting for work (arch_cpu_release). */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/idt.h>
#include <arch/percpu.h>
#include <arch/power.h>
#include <arch/smp.h>
#include <arch/vmx.h>
#include <hv/acpi.h>
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/string.h>

#define AP_STACK_PAGES      4          /* 16 KiB, as the boot CPU's */
#define INIT_DELAY_US       10000      /* 9.4.4.1: 10 ms after INIT */
#define SIPI_DELAY_US       200        /* ... and 200 us after each SIPI */
#define AP_START_TIMEOUT_US 100000     /* then it is left out */

extern const uint8_t ap_trampoline[], ap_trampoline_end[];
extern uint64_t ap_boot_stack;
extern uint32_t ap_boot_cpu;
void ap_main(unsigned cpu);

static void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + us * (arch_tsc_hz() / 1000000);

	while (rdtsc() < end)
		cpu_relax();
}

/* True once the CPU is past STARTING (online or failed). */
static bool wait_started(struct pcpu *p, uint64_t us)
{
	uint64_t end = rdtsc() + us * (arch_tsc_hz() / 1000000);

	while (p->state == PCPU_STARTING && rdtsc() < end)
		cpu_relax();
	return p->state != PCPU_STARTING;
}

/* An AP's first C code, on the stack the boot CPU gave it. */
void ap_main(unsigned cpu)
{
	struct pcpu *p = &pcpus[cpu];

	percpu_init(cpu, p->apic_id);
	gdt_init_cpu(cpu);
	idt_load();
	cpu_enable_features();
	apic_init_cpu();
	if (vmx_enable_cpu(cpu, vmx_get_caps())) {
		p->state = PCPU_FAILED;
		cpu_halt_forever();
	}
	p->state = PCPU_ONLINE;
	while (!p->work)
		cpu_relax();
	p->work(cpu);
	arch_cpu_idle_forever();
}

static int start_one(unsigned cpu, uint32_t apic_id, paddr_t trampoline)
{
	struct pcpu *p = &pcpus[cpu];
	paddr_t stack;
	int rc = page_alloc(AP_STACK_PAGES, PAGE_SIZE, &stack);

	if (rc)
		return rc;
	p->apic_id = apic_id;
	p->state = PCPU_STARTING;
	ap_boot_stack = stack + AP_STACK_PAGES * PAGE_SIZE;
	ap_boot_cpu = cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rc = apic_send_ipi(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
	udelay(INIT_DELAY_US);
	/* Two SIPIs: the second only if the first was lost (9.4.4.1). */
	for (int i = 0; !rc && i < 2 && p->state == PCPU_STARTING; i++) {
		rc = apic_send_ipi(apic_id, ICR_DM_STARTUP | (uint32_t)(trampoline >> 12));
		wait_started(p, SIPI_DELAY_US);
	}
	if (rc || !wait_started(p, AP_START_TIMEOUT_US)) {
		/* INIT again: a CPU that wakes late then waits for a SIPI
		 * that never comes, instead of running on the next CPU's
		 * stack.  Its stack stays allocated: it may have begun. */
		apic_send_ipi(apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
		p->state = PCPU_ABSENT;
		return rc ? rc : HV_EIO;
	}
	return p->state == PCPU_ONLINE ? 0 : HV_ENOTSUP;
}

static void print_cpus(const struct acpi_cpus *c)
{
	char line[160];
	size_t n;

	n = (size_t)hv_snprintf(line, sizeof(line), "CPUs: %u in the MADT, APIC IDs", c->count);
	for (unsigned i = 0; i < c->count && n < sizeof(line); i++)
		n += (size_t)hv_snprintf(line + n, sizeof(line) - n, "%s %u", i ? "," : "",
					 c->apic_id[i]);
	pr_info("%s%s; boot CPU APIC ID %u; %s mode", line, c->dropped ? " (more ignored)" : "",
		this_cpu()->apic_id, apic_x2apic() ? "x2APIC" : "xAPIC");
}

static struct acpi_cpus madt;
static bool madt_valid;

const struct acpi_cpus *smp_madt(void) { return madt_valid ? &madt : NULL; }

/* The MADT's CPUs, and the absent one of the start-up test. */
static int find_cpus(struct acpi_cpus *c, int64_t absent_apic_id)
{
	const struct acpi_rsdp *rsdp = host_acpi_rsdp();
	int rc = rsdp ? acpi_parse_madt(host_phys_map, NULL, rsdp, c) : HV_ENOENT;

	if (rc) {
		pr_warn("CPUs: no usable MADT (%s): only the boot CPU runs", hv_strerror(rc));
		return rc;
	}
	madt = *c;
	madt_valid = true;
	print_cpus(c);
	if (absent_apic_id >= 0 && c->count < ACPI_MAX_CPUS) {
		c->apic_id[c->count++] = (uint32_t)absent_apic_id;
		pr_info("absent_cpu_test: starting APIC ID %u too", (unsigned)absent_apic_id);
	}
	return 0;
}

unsigned smp_start_cpus(int64_t absent_apic_id)
{
	struct acpi_cpus c;
	paddr_t trampoline = memory_startup_page();
	unsigned online = 1, next = 1;

	pcpus[0].state = PCPU_ONLINE;
	if (find_cpus(&c, absent_apic_id))
		return online;
	if (!trampoline) {
		pr_err("CPUs: no free page below 1 MiB for the start-up code: only the boot CPU runs");
		return online;
	}
	memcpy(phys_to_virt(trampoline), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
	for (unsigned i = 0; i < c.count; i++) {
		uint32_t id = c.apic_id[i];
		int rc;

		if (id == this_cpu()->apic_id)
			continue;
		if (next == MAX_CPUS) {
			pr_warn("CPU with APIC ID %u left out: tinyhv uses at most %u CPUs", id, MAX_CPUS);
			continue;
		}
		rc = start_one(next, id, trampoline);
		if (rc == HV_ENOTSUP) {
			/* It halted itself on pcpus[next]: that one stays its. */
			pr_err("CPU with APIC ID %u left out: it started but could not enter VMX operation", id);
			next++;
			continue;
		}
		if (rc) {
			pr_err("CPU with APIC ID %u left out: it did not start (no answer to INIT-SIPI-SIPI)", id);
			continue;
		}
		next++;
		online++;
	}
	pr_info("CPUs: %u online", online);
	return online;
}

/* ---- what portable code may ask (hv/arch.h) ---- */
unsigned arch_cpu_max(void) { return MAX_CPUS; }
bool arch_cpu_online(unsigned cpu) { return cpu < MAX_CPUS && pcpus[cpu].state == PCPU_ONLINE; }
uint32_t arch_cpu_apic_id(unsigned cpu) { return pcpus[cpu].apic_id; }
unsigned arch_this_cpu(void) { return this_cpu_id(); }
struct vcpu *arch_current_vcpu(void) { return this_cpu()->vcpu; }

void arch_cpu_release(unsigned cpu, void (*work)(unsigned cpu))
{
	if (cpu && arch_cpu_online(cpu))
		pcpus[cpu].work = work;
}
