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
#include <hv/balloon.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/memory.h>
#include <hv/platform.h>
#include <hv/time.h>
#include <hv/arch.h>
#include <hv/virtio_rng.h>
#include <hv/vm.h>

#define MSR_IA32_TSC_DEADLINE  VLAPIC_MSR_TSC_DEADLINE
#define MSR_X2APIC_FIRST       VLAPIC_MSR_X2APIC_FIRST
#define MSR_X2APIC_LAST        VLAPIC_MSR_X2APIC_LAST
#define IOAPIC_MMIO_BASE       ACPI_GUEST_IOAPIC_ADDR
#define ISA_IRQS               16
#define PIT_ISA_IRQ            0
#define RTC_ISA_IRQ            8
#define PIT_IOAPIC_PIN         2
#define UART_IRQ               4

static struct platform *pf(const struct vm *vm) { return vm->platform; }

static uint64_t now_ns(void *ctx)
{
	struct vm *vm = ctx;

	struct platform *p = vm->platform;

	return ticks_to_ns(p->host.tsc() - p->tsc_start, p->host.tsc_hz);
}

/* The PIC's output (ExtINT) and the legacy devices reach the first vCPU. */
static void events_changed(struct vm *vm)
{
	vcpu_kick(&vm->vcpus[0], VCPU_REMOTE_EVENTS);
}

static struct vlapic *lapic_of(struct vcpu *v) { return &v->vm->platform->lapic[v->id]; }

/* The vCPU whose exit this is (the local APIC page is each vCPU's own at
 * the same address); outside any exit, the first. */
static struct vcpu *current_vcpu(struct vm *vm)
{
	struct vcpu *v = arch_current_vcpu();

	return v && v->vm == vm ? v : &vm->vcpus[0];
}

static int lapic_mmio_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	return vlapic_mmio_read(lapic_of(current_vcpu(dev)), addr, size, val);
}

static int lapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	return vlapic_mmio_write(lapic_of(current_vcpu(dev)), addr, size, val);
}

/* A fixed interrupt for vCPU t: into its local APIC, and t hears of it. */
static void deliver_fixed(struct vcpu *t, uint8_t vector, bool level)
{
	vlapic_accept_irq(lapic_of(t), vector, level);
	vcpu_kick(t, VCPU_REMOTE_EVENTS);
}

static void set_isa_irq(struct vm *vm, unsigned gsi, bool level)
{
	struct platform *p = pf(vm);

	events_changed(vm);
	if (gsi < ISA_IRQS)
		vpic_set_irq(&p->pic, gsi, level);
	vioapic_set_irq(&p->ioapic, gsi == PIT_ISA_IRQ ? PIT_IOAPIC_PIN : gsi, level);
}

/* The devices' lines.  In the HPET's legacy replacement mode its timers
 * 0 and 1 own IRQ 0 and IRQ 8, and the PIT's and RTC's are cut off (HPET
 * specification 1.0a, 2.3.5: LEG_RT_CNF). */
static void platform_set_irq(void *ctx, unsigned gsi, bool level)
{
	struct vm *vm = ctx;

	if ((gsi == PIT_ISA_IRQ || gsi == RTC_ISA_IRQ) && vhpet_legacy(&pf(vm)->hpet))
		return;
	set_isa_irq(vm, gsi, level);
}

static void hpet_isa_irq(void *ctx, unsigned gsi, bool level) { set_isa_irq(ctx, gsi, level); }

/* The HPET's routed timers drive I/O APIC inputs, not ISA IRQs. */
static void hpet_ioapic_irq(void *ctx, unsigned pin, bool level)
{
	events_changed(ctx);
	vioapic_set_irq(&pf(ctx)->ioapic, pin, level);
}

/* Lowest priority among the vCPUs in the mask: the one whose task
 * priority class is lowest (SDM Vol. 3A 11.6.2.4: since the Pentium 4
 * the chipset chooses by task priority); among equals they take turns,
 * starting after the last one chosen.  NULL for an empty mask. */
static struct vcpu *lowest_priority(struct vm *vm, uint32_t mask)
{
	struct platform *p = pf(vm);
	struct vcpu *best = NULL;

	for (unsigned i = 1; i <= vm->nr_vcpus; i++) {
		struct vcpu *t = &vm->vcpus[(p->lowest_last + i) % vm->nr_vcpus];

		if (!(mask & 1u << t->id))
			continue;
		if (!best || vlapic_task_priority(lapic_of(t)) >> 4 <
			     vlapic_task_priority(lapic_of(best)) >> 4)
			best = t;
	}
	if (best)
		p->lowest_last = best->id;
	return best;
}

/* The I/O APIC's message to the local APICs its destination names
 * (82093AA 3.2.4); lowest priority to one of them. */
static void ioapic_deliver(void *ctx, uint8_t vector, uint8_t dest, bool level,
			   uint8_t delivery_mode, bool logical)
{
	struct vm *vm = ctx;
	uint32_t mask = 0;

	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		if (vlapic_matches(lapic_of(&vm->vcpus[k]), dest, logical))
			mask |= 1u << k;
	if (delivery_mode == VLAPIC_DM_LOWEST) {
		struct vcpu *t = lowest_priority(vm, mask);

		mask = t ? 1u << t->id : 0;
	}
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		if (mask & 1u << k)
			deliver_fixed(&vm->vcpus[k], vector, level);
}

/* Whether the IPI of sender s goes to t: its shorthand, else its
 * destination (11.6.1). */
static bool ipi_target(struct vcpu *s, struct vcpu *t, uint32_t lo, uint32_t dest)
{
	switch (VLAPIC_ICR_SHORTHAND(lo)) {
	case VLAPIC_SH_SELF: return t == s;
	case VLAPIC_SH_ALL: return true;
	case VLAPIC_SH_OTHERS: return t != s;
	default: return vlapic_matches(lapic_of(t), dest, lo & VLAPIC_ICR_LOGICAL);
	}
}

/* An IPI from a vCPU's local APIC (vlapic_ipi_fn): fixed into the
 * targets' APICs (the sender's own was served by its APIC), lowest
 * priority into the one that wins the arbitration (the sender too); NMI,
 * INIT and start-up as requests the target's CPU takes
 * (vcpu_take_remote); an INIT de-assert and SMI do nothing. */
static void platform_send_ipi(void *ctx, uint64_t icr)
{
	struct vcpu *s = ctx;
	struct vm *vm = s->vm;
	uint32_t lo = (uint32_t)icr, dest = (uint32_t)(icr >> 32);
	unsigned dm = VLAPIC_ICR_DM(lo);

	if (dm == VLAPIC_DM_LOWEST) {
		uint32_t mask = 0;
		struct vcpu *t;

		for (unsigned k = 0; k < vm->nr_vcpus; k++)
			if (ipi_target(s, &vm->vcpus[k], lo, dest))
				mask |= 1u << k;
		t = lowest_priority(vm, mask);
		if (t)
			deliver_fixed(t, (uint8_t)lo, false);
		return;
	}
	for (unsigned k = 0; k < vm->nr_vcpus; k++) {
		struct vcpu *t = &vm->vcpus[k];

		if (!ipi_target(s, t, lo, dest))
			continue;
		switch (dm) {
		case VLAPIC_DM_FIXED:
			if (t != s)
				deliver_fixed(t, (uint8_t)lo, false);
			break;
		case VLAPIC_DM_NMI:
			vcpu_kick(t, VCPU_REMOTE_NMI);
			break;
		case VLAPIC_DM_INIT:
			if (lo & VLAPIC_ICR_LEVEL_ASSERT)
				vcpu_kick(t, VCPU_REMOTE_INIT);
			break;
		case VLAPIC_DM_STARTUP:
			t->sipi_vector = (uint8_t)lo;
			vcpu_kick(t, VCPU_REMOTE_SIPI);
			break;
		default:
			break;
		}
	}
}

static void lapic_eoi_level(void *ctx, uint8_t vector)
{
	struct vm *vm = ctx;

	vioapic_eoi(&vm->platform->ioapic, vector);
}

/* The RTC's interrupt is an ACPI fixed event too: RTC_STS (4.8.3.1.1). */
static void rtc_set_irq(void *ctx, unsigned gsi, bool level)
{
	struct vm *vm = ctx;

	if (level)
		vpm_status(&pf(vm)->pm, VPM_STS_RTC);
	platform_set_irq(vm, gsi, level);
}

void platform_power_button(struct vm *vm) { vpm_status(&pf(vm)->pm, VPM_STS_PWRBTN); }

/* S3: every processor stops (the vCPUs' state goes, as the CPUs' power
 * does) until platform_wake finds a wake event. */
static void enter_sleep(struct vm *vm)
{
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		vcpu_kick(&vm->vcpus[k], VCPU_REMOTE_SLEEP);
}

static void power_event(void *ctx, enum vpm_event ev)
{
	struct vm *vm = ctx;

	if (ev == VPM_POWER_OFF)
		vm_end(vm, VM_END_POWER_OFF, 0, "ACPI S5 power-off");
	else if (ev == VPM_SLEEP)
		enter_sleep(vm);
	else
		vm_end(vm, VM_END_RESET, 0, "reset (0xCF9)");
}

static void kbc_reset(void *ctx, const char *how)
{
	vm_end(ctx, VM_END_RESET, 0, "reset (%s)", how);
}

static int attach_devices(struct vm *vm)
{
	struct platform *p = pf(vm);
	int rc;

	rc = vpic_attach(&p->pic, &vm->pio);
	rc = rc ? rc : vpit_attach(&p->pit, &vm->pio);
	rc = rc ? rc : vrtc_attach(&p->rtc, &vm->pio);
	rc = rc ? rc : vpci_attach(&p->pci, &vm->pio, &vm->mmio);
	rc = rc ? rc : vpm_attach(&p->pm, &vm->pio);
	rc = rc ? rc : vkbc_attach(&p->kbc, &vm->pio);
	rc = rc ? rc : vioapic_attach(&p->ioapic, &vm->mmio, IOAPIC_MMIO_BASE);
	rc = rc ? rc : vhpet_attach(&p->hpet, &vm->mmio);
	rc = rc ? rc : io_register(&vm->mmio, VLAPIC_DEFAULT_BASE, VLAPIC_MMIO_SIZE, "lapic",
				   lapic_mmio_read, lapic_mmio_write, vm);
	return rc;
}

/* A message-signalled interrupt (an MSI-X table entry): the address
 * names the local APIC(s), the data the vector and delivery mode (SDM
 * Vol. 3A 11.11.1, 11.11.2), delivered as the I/O APIC's messages are. */
static void platform_msi(void *ctx, uint64_t addr, uint32_t data)
{
	if ((addr & 0xfff00000) != 0xfee00000)
		return;   /* not an interrupt message: the write goes nowhere */
	ioapic_deliver(ctx, (uint8_t)data, (uint8_t)(addr >> 12), (data & BIT(15)) != 0,
		       (uint8_t)(data >> 8 & 7), (addr & BIT(2)) != 0);
}

static void virtio_report(void *ctx, const char *msg)
{
	const struct vm *vm = ctx;

	kprintf("vm %u (%s): %s\n", vm->id, vm->name, msg);
}

/* A PCI device's INTA, an I/O APIC pin of its own. */
static void pci_intx(void *ctx, unsigned irq, bool level)
{
	vioapic_set_irq(&pf(ctx)->ioapic, irq, level);
}

static void *pages_alloc(void *ctx, uint64_t pages)
{
	paddr_t pa;

	return page_alloc(pages, PAGE_SIZE, &pa) ? NULL : phys_to_virt(pa);
}

static void pages_free(void *ctx, void *p, uint64_t pages)
{
	page_free(virt_to_phys(p), pages);
}

static int add_blk(struct vm *vm, struct virtio_host *host)
{
	struct platform *p = pf(vm);
	struct disk_mem mem = { pages_alloc, pages_free, vm };
	int rc = disk_init(&p->disk, vm->disk.image, vm->disk.size, vm->disk.read_only, &mem);

	if (rc)
		return rc;
	host->irq = PLATFORM_PCI_GSI(PLATFORM_PCI_BLK_SLOT);
	virtio_blk_init(&p->blk, host, &p->disk, vm->disk.name);
	return vpci_add(&p->pci, PLATFORM_PCI_BLK_SLOT, &p->blk.vp.func);
}

#define NET_QUEUE_PAGES ((VSWITCH_QUEUE * sizeof(struct vswitch_frame) + PAGE_SIZE - 1) / PAGE_SIZE)

static int add_net(struct vm *vm, struct virtio_host *host)
{
	struct platform *p = pf(vm);
	int port;

	p->net_queue = pages_alloc(vm, NET_QUEUE_PAGES);
	if (!p->net_queue)
		return HV_ENOMEM;
	port = vswitch_attach(vm->net.sw, p->net_queue, vm_frames_came, vm);
	if (port < 0) {
		pages_free(vm, p->net_queue, NET_QUEUE_PAGES);
		p->net_queue = NULL;
		kprintf("vm %u (%s): virtio-net: switch %s has no free port (%u)\n", vm->id, vm->name,
			vm->net.sw->name, VSWITCH_PORTS);
		return port;
	}
	host->irq = PLATFORM_PCI_GSI(PLATFORM_PCI_NET_SLOT);
	virtio_net_init(&p->net, host, vm->net.mac, vm->net.sw, (unsigned)port);
	return vpci_add(&p->pci, PLATFORM_PCI_NET_SLOT, &p->net.vp.func);
}

static int balloon_give_page(void *ctx, uint64_t pfn) { return balloon_give(ctx, pfn); }
static int balloon_take_page(void *ctx, uint64_t pfn) { return balloon_take(ctx, pfn); }
static uint64_t free_pages(void *ctx) { return memory_free_pages(); }

static int add_balloon(struct vm *vm, struct virtio_host *host)
{
	struct platform *p = pf(vm);
	struct balloon_ops ops = { balloon_give_page, balloon_take_page, free_pages, vm };

	host->irq = PLATFORM_PCI_GSI(PLATFORM_PCI_BALLOON_SLOT);
	virtio_balloon_init(&p->balloon, host, &ops, vm->balloon_mib * 256);
	return vpci_add(&p->pci, PLATFORM_PCI_BALLOON_SLOT, &p->balloon.vp.func);
}

int platform_balloon(struct vm *vm, int64_t mib)
{
	struct platform *p = pf(vm);

	if (!p || !vm->virtio_balloon)
		return HV_ENOENT;
	if (mib < 0)
		virtio_balloon_show(&p->balloon);
	else
		virtio_balloon_set_target(&p->balloon, (uint32_t)mib * 256);
	return 0;
}

static void hvc_putc(void *ctx, char c)
{
	struct vm *vm = ctx;

	vm_console_putc(&vm->console, c);
}

/* The virtio devices the VM's options ask for, on PCI bus 0 from slot 2. */
static int add_virtio(struct vm *vm)
{
	struct platform *p = pf(vm);
	struct virtio_host host;
	int rc = vm->virtio_balloon ? balloon_prepare(vm) : 0;   /* vm->mem's map first */

	host = (struct virtio_host){ vm->mem, platform_msi, virtio_report, vm, pci_intx, 0 };
	if (rc)
		return rc;

	if (vm->virtio_rng) {
		host.irq = PLATFORM_PCI_GSI(PLATFORM_PCI_RNG_SLOT);
		virtio_rng_init(&p->rng, &host);
		rc = vpci_add(&p->pci, PLATFORM_PCI_RNG_SLOT, &p->rng.vp.func);
	}
	if (!rc && vm->virtio_console) {
		host.irq = PLATFORM_PCI_GSI(PLATFORM_PCI_CONSOLE_SLOT);
		virtio_console_init(&p->hvc, &host, hvc_putc, vm);
		rc = vpci_add(&p->pci, PLATFORM_PCI_CONSOLE_SLOT, &p->hvc.vp.func);
	}
	if (!rc && vm->disk.name)
		rc = add_blk(vm, &host);
	if (!rc && vm->net.sw)
		rc = add_net(vm, &host);
	if (!rc && vm->virtio_balloon)
		rc = add_balloon(vm, &host);
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
	if (!rc) {
		*rsdp = layout.rsdp;
		pf(vm)->facs = layout.facs;
	}
	return rc;
}

/* The devices whose state a wake from S3 starts anew (the chipset's core
 * well and the processors' local APICs lose power in S3, ACPI 6.5
 * 16.1.3); the RTC, the PM1 registers and the PCI host bridge keep
 * theirs, and so do the 8259s, which a PC's firmware programs again
 * before the waking vector (bare Bochs keeps them: tests/equiv/s3.c).
 * Their bus registrations stay. */
static int init_devices(struct vm *vm)
{
	struct platform *p = pf(vm);
	struct irq_sink irq = { platform_set_irq, vm };
	struct irq_sink hpet_isa = { hpet_isa_irq, vm }, hpet_ioapic = { hpet_ioapic_irq, vm };
	struct vclock clock = { now_ns, vm };
	struct vlapic_config lapic_cfg;

	vpit_init(&p->pit, &clock, &irq);
	vhpet_init(&p->hpet, &clock, &hpet_isa, &hpet_ioapic);
	vioapic_init(&p->ioapic, ioapic_deliver, vm);
	if (vm->nr_vcpus > PLATFORM_MAX_VCPUS)
		return HV_ERANGE;
	for (unsigned k = 0; k < vm->nr_vcpus; k++) {
		lapic_cfg = (struct vlapic_config){ .apic_id = k, .bsp = k == 0, .x2apic = true,
						    .timer_hz = p->host.tsc_hz, .tsc_hz = p->host.tsc_hz,
						    .clock = clock, .eoi_level = lapic_eoi_level,
						    .eoi_ctx = vm, .send_ipi = platform_send_ipi,
						    .ipi_ctx = &vm->vcpus[k] };
		if (vlapic_init(&p->lapic[k], &lapic_cfg))
			return HV_EINVAL;
	}
	vkbc_init(&p->kbc, &irq, kbc_reset, vm);
	return 0;
}

int platform_init(struct vm *vm, const struct platform_host *host, bool console_input,
		  uint64_t *rsdp)
{
	struct platform *p = &vm->platform_storage;
	struct irq_sink irq = { platform_set_irq, vm }, rtc_irq = { rtc_set_irq, vm };
	struct vclock clock = { now_ns, vm };
	int rc;

	vm->platform = p;
	p->host = *host;
	p->tsc_start = host->tsc();
	/* The guest's TSC starts at 0 with the VM, on the clock the models use
	 * (so IA32_TSC_DEADLINE and the model clock agree). */
	vm->tsc_offset = -p->tsc_start;
	p->console_input = console_input;
	p->next_poll_ns = PLATFORM_CONSOLE_POLL_NS;
	vpic_init(&p->pic, NULL, NULL);
	rc = init_devices(vm);
	if (rc)
		return rc;
	vrtc_init(&p->rtc, &clock, host->rtc_epoch, vm->ram_size);
	vrtc_set_irq(&p->rtc, &rtc_irq, RTC_ISA_IRQ);
	vpci_init(&p->pci);
	vpci_set_reset_control(&p->pci, vpm_read, vpm_write, &p->pm);
	vpm_init(&p->pm, ACPI_GUEST_SLP_TYP_S3, ACPI_GUEST_SLP_TYP_S5, &clock, power_event, vm);
	vpm_set_sci(&p->pm, &irq, ACPI_GUEST_SCI_IRQ);
	vuart_set_irq(&vm->uart, &irq, UART_IRQ);
	rc = attach_devices(vm) ? HV_EBUSY : add_virtio(vm);
	return rc ? rc : build_acpi(vm, rsdp);
}

void platform_fini(struct vm *vm)
{
	struct platform *p = pf(vm);

	if (!p)
		return;
	if (vm->disk.name) {
		const struct virtio_blk *b = &p->blk;

		kprintf("vm %u (%s): virtio-blk: %lu reads (%lu KiB), %lu writes (%lu KiB), %lu "
			"errors; %lu KiB of writes given back\n", vm->id, vm->name, b->reads,
			b->read_bytes >> 10, b->writes, b->written_bytes >> 10, b->errors,
			p->disk.written * (DISK_BLOCK >> 10));
	}
	disk_fini(&p->disk);
	if (p->net_queue) {
		const struct virtio_net *n = &p->net;

		kprintf("vm %u (%s): virtio-net: sent %lu frames (%lu KiB), received %lu (%lu KiB), "
			"dropped %lu sent and %lu received\n", vm->id, vm->name, n->tx_frames,
			n->tx_bytes >> 10, n->rx_frames, n->rx_bytes >> 10, n->tx_dropped,
			n->rx_dropped + vm->net.sw->port[n->port].dropped);
		vswitch_detach(vm->net.sw, n->port);
		pages_free(vm, p->net_queue, NET_QUEUE_PAGES);
		p->net_queue = NULL;
	}
}

void platform_take_frames(struct vm *vm)
{
	struct platform *p = pf(vm);

	if (p && p->net_queue)
		virtio_net_receive(&p->net);
}

bool platform_has_lapic(const struct vm *vm) { return pf(vm) != NULL; }

int platform_pending_vector(struct vcpu *v)
{
	struct platform *p = pf(v->vm);
	struct vlapic *l;
	int vec;

	if (!p)
		return -1;
	l = lapic_of(v);
	vm_lock(v->vm);
	vec = vlapic_pending_vector(l);
	if (vec < 0 && v->id == 0 && vlapic_accepts_pic(l))
		vec = vpic_pending_vector(&p->pic);
	vm_unlock(v->vm);
	return vec;
}

void platform_ack_vector(struct vcpu *v, int vector)
{
	struct platform *p = pf(v->vm);
	struct vlapic *l = lapic_of(v);

	vm_lock(v->vm);
	if (vlapic_pending_vector(l) == vector)
		vlapic_ack(l, (uint8_t)vector);
	else
		vpic_ack(&p->pic);
	vm_unlock(v->vm);
}

static uint64_t earliest(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* The host TSC just past model time ns (the preemption timer fires at
 * or after it), or 0 for UINT64_MAX, no event. */
static uint64_t host_tsc_of(const struct platform *p, uint64_t ns)
{
	return ns == UINT64_MAX ? 0 : p->tsc_start + ns_to_ticks(ns, p->host.tsc_hz) + 1;
}

uint64_t platform_next_event_tsc(struct vcpu *v)
{
	struct platform *p = pf(v->vm);
	uint64_t ns;

	if (!p)
		return 0;
	vm_lock(v->vm);
	ns = vlapic_timer_next_ns(lapic_of(v));
	if (v->id == 0) {
		ns = earliest(ns, vpit_next_event_ns(&p->pit));
		ns = earliest(ns, vhpet_next_event_ns(&p->hpet));
		ns = earliest(ns, vrtc_next_event_ns(&p->rtc));
		if (p->console_input)
			ns = earliest(ns, p->next_poll_ns);
	}
	vm_unlock(v->vm);
	return host_tsc_of(p, ns);
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

void platform_tick(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct platform *p = pf(vm);

	if (!p)
		return;
	vm_lock(vm);
	vlapic_timer_tick(lapic_of(v));
	if (v->id == 0) {
		vpit_tick(&p->pit);
		vhpet_tick(&p->hpet);
		vrtc_tick(&p->rtc);
		if (p->console_input && now_ns(vm) >= p->next_poll_ns)
			poll_console(vm);
	}
	vm_unlock(vm);
}

static int msr_read_locked(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	struct vlapic *l = lapic_of(v);

	if (msr == MSR_IA32_APIC_BASE) {
		*val = vlapic_apic_base_read(l);
		return 0;
	}
	if (msr == MSR_IA32_TSC_DEADLINE) {
		*val = vlapic_tsc_deadline_read(l);
		return 0;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return vlapic_msr_read(l, msr, val) ? HV_EINVAL : 0;
	return HV_ENOENT;
}

static int msr_write_locked(struct vcpu *v, uint32_t msr, uint64_t val)
{
	struct vlapic *l = lapic_of(v);

	if (msr == MSR_IA32_APIC_BASE)
		return vlapic_apic_base_write(l, val) ? HV_EINVAL : 0;
	if (msr == MSR_IA32_TSC_DEADLINE) {
		vlapic_tsc_deadline_write(l, val);
		return 0;
	}
	if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST)
		return vlapic_msr_write(l, msr, val) ? HV_EINVAL : 0;
	return HV_ENOENT;
}

int platform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	int rc;

	if (!pf(v->vm))
		return HV_ENOENT;
	vm_lock(v->vm);
	rc = msr_read_locked(v, msr, val);
	vm_unlock(v->vm);
	return rc;
}

int platform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
	int rc;

	if (!pf(v->vm))
		return HV_ENOENT;
	vm_lock(v->vm);
	rc = msr_write_locked(v, msr, val);
	vm_unlock(v->vm);
	return rc;
}

void platform_tsc_adjusted(struct vm *vm, uint64_t adjust)
{
	struct platform *p = pf(vm);

	if (!p)
		return;
	vm_lock(vm);
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		vlapic_set_tsc_base(&p->lapic[k], adjust);
	vm_unlock(vm);
}

uint64_t platform_cr8_read(struct vcpu *v)
{
	uint64_t cr8;

	if (!pf(v->vm))
		return 0;
	vm_lock(v->vm);
	cr8 = vlapic_cr8_read(lapic_of(v));
	vm_unlock(v->vm);
	return cr8;
}

void platform_cr8_write(struct vcpu *v, uint64_t cr8)
{
	if (!pf(v->vm))
		return;
	vm_lock(v->vm);
	vlapic_cr8_write(lapic_of(v), cr8);
	vm_unlock(v->vm);
}

/* FACS fields (ACPI 6.5, 5.2.10, table 5.14). */
#define FACS_WAKING_VECTOR    12
#define FACS_X_WAKING_VECTOR  24

/* Where the OS resumes (5.2.10): X_Firmware_Waking_Vector if set (32-bit
 * protected mode, flat, paging off: the FACS offers no 64-bit wake), else
 * Firmware_Waking_Vector in real mode at (vector >> 4):(vector & 0xf). */
static int waking_state(struct vm *vm, struct vcpu_start *s)
{
	uint64_t facs = pf(vm)->facs, x = 0;
	uint32_t v = 0;

	if (vm_read_gpa(vm, facs + FACS_X_WAKING_VECTOR, &x, sizeof(x)) ||
	    vm_read_gpa(vm, facs + FACS_WAKING_VECTOR, &v, sizeof(v)))
		return HV_ERANGE;
	if (x) {
		if (x >> 32)
			return HV_ERANGE;
		*s = (struct vcpu_start){ .rip = x, .cs_sel = 0x08, .ds_sel = 0x10,
					  .power_on = true };
		return 0;
	}
	if (!v || v >= 0x100000)
		return v ? HV_ERANGE : HV_ENOENT;
	*s = (struct vcpu_start){ .real_mode = true, .cs_sel = (uint16_t)(v >> 4), .rip = v & 0xf,
				  .power_on = true };
	return 0;
}

int platform_wake(struct vm *vm, bool button, struct vcpu_start *start, uint64_t *next_tsc)
{
	struct platform *p = pf(vm);
	int rc;

	vm_lock(vm);
	vrtc_tick(&p->rtc);
	if (button)
		vpm_status(&p->pm, VPM_STS_PWRBTN);
	if (!vpm_wake(&p->pm)) {
		*next_tsc = host_tsc_of(p, vrtc_next_event_ns(&p->rtc));
		vm_unlock(vm);
		return PLATFORM_ASLEEP;
	}
	rc = init_devices(vm);
	vm_unlock(vm);
	return rc ? rc : waking_state(vm, start);
}
