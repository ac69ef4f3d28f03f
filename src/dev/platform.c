/* The virtual PC for Linux guests: device models wired together.
 *
 * Interrupts: a device drives a GSI (platform_set_irq); ISA IRQs 0-15 go
 * to both the 8259 PIC and the I/O APIC, as on a PC (ISA IRQ 0, the PIT,
 * is I/O APIC pin 2: the MADT says so).  The I/O APIC delivers to the
 * local APIC; the PIC's output reaches the CPU through LINT0 in ExtINT
 * mode (or directly while the local APIC is off).  At each VM entry the
 * highest ready vector is injected (arch/x86_64/vmx/event.c).
 *
 * Time: models read a clock in nanoseconds since the VM started (the host
 * TSC scaled by its measured frequency).  The next timer event of any
 * model arms the VMX-preemption timer; when it fires, platform_tick() runs
 * the models' timers and polls the host console for input.  The host's
 * clock and console come in as operations (struct platform_host), so the
 * platform runs on a fake clock in the unit tests.
 *
 * Anything that may make an interrupt deliverable asks the vCPU to choose
 * its events again before the next entry (VCPU_REQ_EVENTS). */
#include <hv/acpi_build.h>
#include <hv/errno.h>
#include <hv/memory.h>
#include <hv/platform.h>
#include <hv/time.h>
#include <hv/vm.h>

#define MSR_IA32_TSC_DEADLINE  VLAPIC_MSR_TSC_DEADLINE
#define MSR_X2APIC_FIRST       VLAPIC_MSR_X2APIC_FIRST
#define MSR_X2APIC_LAST        VLAPIC_MSR_X2APIC_LAST
#define IOAPIC_MMIO_BASE       ACPI_GUEST_IOAPIC_ADDR
#define ISA_IRQS               16
#define PIT_ISA_IRQ            0
#define PIT_IOAPIC_PIN         2
#define UART_IRQ               4

static struct platform *pf(const struct vm *vm) { return vm->platform; }

static uint64_t now_ns(void *ctx)
{
	struct vm *vm = ctx;

	struct platform *p = vm->platform;

	return ticks_to_ns(p->host.tsc() - p->tsc_start, p->host.tsc_hz);
}

static void events_changed(struct vm *vm)
{
	vcpu_request(&vm->vcpus[0], VCPU_REQ_EVENTS);
}

static void platform_set_irq(void *ctx, unsigned gsi, bool level)
{
	struct platform *p = pf(ctx);

	events_changed(ctx);
	if (gsi < ISA_IRQS)
		vpic_set_irq(&p->pic, gsi, level);
	vioapic_set_irq(&p->ioapic, gsi == PIT_ISA_IRQ ? PIT_IOAPIC_PIN : gsi, level);
}

static void ioapic_deliver(void *ctx, uint8_t vector, uint8_t dest, bool level,
			   uint8_t delivery_mode, bool logical)
{
	struct vm *vm = ctx;

	UNUSED(dest);
	UNUSED(delivery_mode);
	UNUSED(logical);
	/* One vCPU: every destination is it. */
	vlapic_accept_irq(&vm->platform->lapic, vector, level);
	events_changed(vm);
}

static void lapic_eoi_level(void *ctx, uint8_t vector)
{
	struct vm *vm = ctx;

	vioapic_eoi(&vm->platform->ioapic, vector);
}

static void power_event(void *ctx, enum vpm_event ev)
{
	struct vm *vm = ctx;

	if (ev == VPM_POWER_OFF)
		vm_end(vm, VM_END_POWER_OFF, 0, "ACPI S5 power-off");
	else
		vm_end(vm, VM_END_RESET, 0, "reset (0xCF9)");
}

static void kbc_reset(void *ctx)
{
	vm_end(ctx, VM_END_RESET, 0, "reset (keyboard controller)");
}

static int attach_devices(struct vm *vm)
{
	struct platform *p = pf(vm);
	int rc;

	rc = vpic_attach(&p->pic, &vm->pio);
	rc = rc ? rc : vpit_attach(&p->pit, &vm->pio);
	rc = rc ? rc : vrtc_attach(&p->rtc, &vm->pio);
	rc = rc ? rc : vpci_attach(&p->pci, &vm->pio);
	rc = rc ? rc : vpm_attach(&p->pm, &vm->pio);
	rc = rc ? rc : vkbc_attach(&p->kbc, &vm->pio);
	rc = rc ? rc : vioapic_attach(&p->ioapic, &vm->mmio, IOAPIC_MMIO_BASE);
	rc = rc ? rc : vlapic_attach(&p->lapic, &vm->mmio);
	return rc;
}

static int build_acpi(struct vm *vm, uint64_t *rsdp)
{
	struct acpi_guest_cfg cfg;
	struct acpi_layout layout;
	int rc;

	acpi_guest_cfg_init(&cfg, vm->nr_vcpus ? vm->nr_vcpus : 1);
	cfg.dsdt = acpi_dsdt_aml;
	cfg.dsdt_len = acpi_dsdt_aml_len;
	rc = acpi_build(phys_to_virt(vm->ram_hpa), vm->ram_size, ACPI_GUEST_TABLES_BASE, &cfg, &layout);
	if (!rc)
		*rsdp = layout.rsdp;
	return rc;
}

int platform_init(struct vm *vm, const struct platform_host *host, bool console_input,
		  uint64_t *rsdp)
{
	struct platform *p = &vm->platform_storage;
	struct irq_sink irq = { platform_set_irq, vm };
	struct vclock clock = { now_ns, vm };
	struct vlapic_config lapic_cfg;

	vm->platform = p;
	p->host = *host;
	p->tsc_start = host->tsc();
	/* The guest's TSC starts at 0 with the VM, on the clock the models use
	 * (so IA32_TSC_DEADLINE and the model clock agree). */
	vm->tsc_offset = -p->tsc_start;
	p->console_input = console_input;
	p->next_poll_ns = PLATFORM_CONSOLE_POLL_NS;
	vpic_init(&p->pic, NULL, NULL);
	vpit_init(&p->pit, &clock, &irq);
	vrtc_init(&p->rtc, &clock, host->rtc_epoch, vm->ram_size);
	vioapic_init(&p->ioapic, ioapic_deliver, vm);
	lapic_cfg = (struct vlapic_config){ .apic_id = 0, .bsp = true, .x2apic = true,
					    .timer_hz = host->tsc_hz, .tsc_hz = host->tsc_hz, .clock = clock,
					    .eoi_level = lapic_eoi_level, .eoi_ctx = vm };
	if (vlapic_init(&p->lapic, &lapic_cfg))
		return HV_EINVAL;
	vpci_init(&p->pci);
	vpci_set_reset_control(&p->pci, vpm_read, vpm_write, &p->pm);
	vpm_init(&p->pm, ACPI_GUEST_SLP_TYP_S5, &clock, power_event, vm);
	vkbc_init(&p->kbc, &irq, kbc_reset, vm);
	vuart_set_irq(&vm->uart, &irq, UART_IRQ);
	return attach_devices(vm) ? HV_EBUSY : build_acpi(vm, rsdp);
}

bool platform_has_lapic(const struct vm *vm) { return pf(vm) != NULL; }

int platform_pending_vector(struct vm *vm)
{
	struct platform *p = pf(vm);
	int v;

	if (!p)
		return -1;
	v = vlapic_pending_vector(&p->lapic);
	if (v >= 0)
		return v;
	return vlapic_accepts_pic(&p->lapic) ? vpic_pending_vector(&p->pic) : -1;
}

void platform_ack_vector(struct vm *vm, int vector)
{
	struct platform *p = pf(vm);

	if (vlapic_pending_vector(&p->lapic) == vector)
		vlapic_ack(&p->lapic, (uint8_t)vector);
	else
		vpic_ack(&p->pic);
}

static uint64_t earliest(uint64_t a, uint64_t b) { return a < b ? a : b; }

uint64_t platform_next_event_tsc(struct vm *vm)
{
	struct platform *p = pf(vm);
	uint64_t ns;

	if (!p)
		return 0;
	ns = earliest(vlapic_timer_next_ns(&p->lapic), vpit_next_event_ns(&p->pit));
	if (p->console_input)
		ns = earliest(ns, p->next_poll_ns);
	if (ns == UINT64_MAX)
		return 0;
	return p->tsc_start + ns_to_ticks(ns, p->host.tsc_hz) + 1;
}

static void poll_console(struct vm *vm)
{
	struct platform *p = pf(vm);
	int c;

	/* What the guest's FIFO cannot take stays in the host UART's. */
	while (!vuart_rx_full(&vm->uart) && (c = p->host.console_getc(vm)) >= 0)
		vuart_receive(&vm->uart, (uint8_t)c);
	/* A person is at the console: show prompts and echoes at once. */
	vm_console_flush(&vm->console, true);
	p->next_poll_ns = now_ns(vm) + PLATFORM_CONSOLE_POLL_NS;
}

void platform_tick(struct vm *vm)
{
	struct platform *p = pf(vm);

	if (!p)
		return;
	vlapic_timer_tick(&p->lapic);
	vpit_tick(&p->pit);
	if (p->console_input && now_ns(vm) >= p->next_poll_ns)
		poll_console(vm);
}

int platform_msr_read(struct vm *vm, uint32_t msr, uint64_t *val)
{
	struct platform *p = pf(vm);

	if (!p)
		return HV_ENOENT;
	if (msr == MSR_IA32_APIC_BASE) {
		*val = vlapic_apic_base_read(&p->lapic);
		return 0;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = vlapic_tsc_deadline_read(&p->lapic);
		return 0;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return vlapic_msr_read(&p->lapic, msr, val) ? HV_EINVAL : 0;
	return HV_ENOENT;
}

int platform_msr_write(struct vm *vm, uint32_t msr, uint64_t val)
{
	struct platform *p = pf(vm);

	if (!p)
		return HV_ENOENT;
	if (msr == MSR_IA32_APIC_BASE)
		return vlapic_apic_base_write(&p->lapic, val) ? HV_EINVAL : 0;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		vlapic_tsc_deadline_write(&p->lapic, val);
		return 0;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return vlapic_msr_write(&p->lapic, msr, val) ? HV_EINVAL : 0;
	return HV_ENOENT;
}

void platform_tsc_adjusted(struct vm *vm, uint64_t adjust)
{
	struct platform *p = pf(vm);

	if (p)
		vlapic_set_tsc_base(&p->lapic, adjust);
}

uint64_t platform_cr8_read(struct vm *vm)
{
	struct platform *p = pf(vm);

	return p ? vlapic_cr8_read(&p->lapic) : 0;
}

void platform_cr8_write(struct vm *vm, uint64_t cr8)
{
	struct platform *p = pf(vm);

	if (p)
		vlapic_cr8_write(&p->lapic, cr8);
}
