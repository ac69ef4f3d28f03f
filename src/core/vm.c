/* VM life cycle: create (memory, the arch's second-level tables and
 * intercepts, devices), load, run, end, report, destroy.  VMs live in a
 * fixed table. */
#include <hv/arch.h>
#include <hv/balloon.h>
#include <hv/console.h>
#include <hv/console_in.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/loader_linux.h>
#include <hv/loader_mb1.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/vm.h>

/* QEMU's isa-debug-exit device (hw/misc/debugexit.c): writing V ends the
 * VM with status (V << 1) | 1, so that test kernels written for QEMU can
 * report a result. */
#define DEBUG_EXIT_PORT 0xf4

static struct vm vms[MAX_VMS];
/* Console ids count every VM ever made (atomically); VPIDs reuse table
 * slots.  CPUs create and destroy VMs at once: vms_lock guards the slots'
 * states (a VM's own fields are its CPU's). */
static unsigned next_vm_id = 1;
static struct spinlock vms_lock;

/* The UART's output goes to the VM's console output. */
static void uart_tx(void *ctx, char c)
{
	struct vm *vm = ctx;

	vm_console_putc(&vm->console, c);
}

static int debug_exit_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct vm *vm = dev;

	UNUSED(port);
	UNUSED(size);
	vm_end(vm, VM_END_DEBUG_EXIT, (val << 1) | 1, "debug-exit port");
	return 0;
}

/* The guest's TSC starts at 0 with its VM (the VMCS's TSC offset, SDM
 * Vol. 3C 25.6.5; RDTSC, RDTSCP and RDMSR IA32_TSC all add it), so that
 * no guest reads the host's TSC: how long the machine has been up, how
 * long the VMs before it ran.  Called before its vCPUs are created, whose
 * VMCS takes vm->tsc_offset; the PC platform sets it again, later, on its
 * own clock's start. */
void vm_tsc_reset(struct vm *vm)
{
	vm->tsc_offset = -arch_tsc();
	vm->tsc_adjust = 0;
}

static int setup_memory(struct vm *vm)
{
	int rc;

	/* 2 MiB alignment lets the second-level tables map guest RAM with
	 * large pages. */
	rc = page_alloc(vm->ram_size / PAGE_SIZE, PAGE_2M, &vm->ram_hpa);
	if (rc)
		return rc;
	vm->mem = (struct gmem){ phys_to_virt(vm->ram_hpa), vm->ram_size, NULL };
	return arch_vm_create(vm);
}

/* What was typed for the VM goes into its UART's receive FIFO, as far as
 * there is room; the rest waits in the console's queue for the VM. */
static void pull_console_input(struct vm *vm)
{
	int c;

	while (!vuart_rx_full(&vm->uart) && (c = console_in_getc(vm)) >= 0)
		vuart_receive(&vm->uart, (uint8_t)c);
}

void vm_take_input(struct vm *vm)
{
	__atomic_store_n(&vm->input_ready, false, __ATOMIC_RELAXED);
	vm_lock(vm);
	pull_console_input(vm);
	vm_unlock(vm);
	/* Someone types: show a prompt or an echo that has no line end yet. */
	vm_console_flush(&vm->console, true);
}

void vm_tell(struct vm *vm, unsigned news)
{
	if ((__atomic_fetch_or(&vm->news, news, __ATOMIC_ACQ_REL) & news) == news)
		return;   /* told already */
	arch_cpu_kick(vm->cpu);   /* as console input does (console_in_interrupt) */
}

void vm_frames_came(void *vm) { vm_tell(vm, VM_NEWS_FRAMES); }

void vm_take_news(struct vm *vm)
{
	unsigned news = __atomic_exchange_n(&vm->news, 0, __ATOMIC_ACQ_REL);

	vm_lock(vm);
	if (news & VM_NEWS_FRAMES)
		platform_take_frames(vm);
	if (news & VM_NEWS_POWER_BUTTON)
		platform_power_button(vm);
	if (news & VM_NEWS_BALLOON)
		platform_balloon(vm, __atomic_load_n(&vm->balloon_request, __ATOMIC_ACQUIRE));
	vm_unlock(vm);
}

/* A guest that polls its UART (a Multiboot guest has no timer that would
 * bring input) finds the input there when it looks. */
static int uart_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	struct vm *vm = (struct vm *)((char *)dev - offsetof(struct vm, uart));

	pull_console_input(vm);
	return vuart_read(dev, port, size, val);
}

static int setup_devices(struct vm *vm)
{
	int rc;

	io_bus_init(&vm->pio);
	io_bus_init(&vm->mmio);
	vuart_init(&vm->uart, uart_tx, vm);
	rc = io_register(&vm->pio, VUART_COM1_BASE, 8, "uart", uart_read, vuart_write, &vm->uart);
	return rc ? rc : io_register(&vm->pio, DEBUG_EXIT_PORT, 4, "debug-exit", NULL,
				     debug_exit_write, vm);
}

unsigned vm_new_id(void) { return __atomic_fetch_add(&next_vm_id, 1, __ATOMIC_RELAXED); }

int vm_create(unsigned id, const char *name, const char *cmdline, uint64_t ram_size,
	      struct vm **out)
{
	struct vm *vm = NULL;
	int rc;

	spin_lock(&vms_lock);
	for (unsigned i = 0; i < MAX_VMS && !vm; i++)
		if (vms[i].state == VM_FREE)
			vm = &vms[i];
	if (vm) {
		memset(vm, 0, sizeof(*vm));
		vm->id = id ? id : vm_new_id();
		vm->nr_vcpus = 1;
		vm->state = VM_CREATED;
	}
	spin_unlock(&vms_lock);
	if (!vm)
		return HV_EBUSY;
	vm->slot = (unsigned)(vm - vms);
	vm->ram_size = ALIGN_UP(ram_size, PAGE_2M);
	hv_strlcpy(vm->name, name, sizeof(vm->name));
	hv_strlcpy(vm->cmdline, cmdline, sizeof(vm->cmdline));
	vm_console_init(&vm->console, vm->name);
	rc = setup_memory(vm);
	rc = rc ? rc : setup_devices(vm);
	vm_tsc_reset(vm); /* after zeroing its RAM: the guest's clock starts near its first instruction */
	if (rc) {
		vm_destroy(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

/* The first vCPU starts as the loader says; the others (application
 * processors) wait for a start-up IPI from it (SDM Vol. 3A 9.4). */
static int init_vcpus(struct vm *vm, const struct vcpu_start *start)
{
	int rc = vcpu_init(&vm->vcpus[0], vm, 0, start);

	if (rc) {
		pr_err("vm %u (%s): cannot set up its vCPU: %s", vm->id, vm->name, hv_strerror(rc));
		return rc;
	}
	for (unsigned k = 1; k < vm->nr_vcpus; k++)
		vcpu_init_waiting(&vm->vcpus[k], vm, k);
	return 0;
}

/* The PC platform (local APIC, I/O APIC, PIC, PIT, RTC, PCI, ACPI PM and
 * tables, keyboard controller) on the VM's buses; *rsdp: its ACPI RSDP. */
static int add_platform(struct vm *vm, uint64_t *rsdp)
{
	struct platform_host host = { arch_tsc, arch_tsc_hz(), console_in_getc, arch_rtc_epoch() };
	int rc = platform_init(vm, &host, vm->input_polled, rsdp);

	if (rc)
		pr_err("vm %u (%s): cannot build its platform: %s", vm->id, vm->name, hv_strerror(rc));
	return rc;
}

int vm_load_multiboot(struct vm *vm, const void *image, size_t len, const struct mb1_module *mods,
		      unsigned nmods)
{
	uint64_t rsdp;
	struct guest_mem mem = { phys_to_virt(vm->ram_hpa), vm->ram_size };
	struct mb1_result res = { 0 };
	struct vcpu_start start;
	char err[160];
	int rc;

	rc = mb1_load_modules(&mem, image, len, vm->cmdline, "tinyhv " HV_VERSION, mods, nmods, &res,
			      err, sizeof(err));
	if (rc) {
		pr_err("vm %u (%s): cannot load the kernel: %s", vm->id, vm->name, err);
		return rc;
	}
	/* The same PC as a Linux guest's, unless it asked for a bare machine
	 * (platform=none): the tables at 0xE0000 lie where the Multiboot
	 * memory map lists no RAM, so the kernel does not load over them. */
	if (!vm->bare && (rc = add_platform(vm, &rsdp)))
		return rc;
	start = (struct vcpu_start){ .rip = res.entry, .cs_sel = 0x08, .ds_sel = 0x10 };
	start.gpr[GPR_RAX] = MB1_BOOT_MAGIC;
	start.gpr[GPR_RBX] = res.info_gpa;
	return init_vcpus(vm, &start);
}

int vm_load_linux(struct vm *vm, const void *kernel, size_t kernel_len, const void *initrd,
		  size_t initrd_len)
{
	struct guest_mem mem = { phys_to_virt(vm->ram_hpa), vm->ram_size };
	struct linux_boot_cfg cfg = { kernel, kernel_len, initrd, initrd_len, vm->cmdline, NULL, 0, 0 };
	struct linux_boot_result res = { 0 };
	struct vcpu_start start;
	char err[160];
	int rc;

	rc = add_platform(vm, &cfg.acpi_rsdp);
	if (rc)
		return rc;
	rc = linux_load(&mem, &cfg, &res, err, sizeof(err));
	if (rc) {
		pr_err("vm %u (%s): cannot load the kernel: %s", vm->id, vm->name, err);
		return rc;
	}
	pr_info("vm %u (%s): Linux boot protocol %u.%02u, kernel at 0x%lx, initrd %lu bytes at 0x%lx",
		vm->id, vm->name, res.protocol >> 8, res.protocol & 0xff, res.kernel_load,
		res.initrd_size, res.initrd_addr);
	/* The 64-bit boot protocol: paging on the loader's identity map,
	 * __BOOT_CS/__BOOT_DS, RSI = the zero page (boot.rst). */
	start = (struct vcpu_start){ .long_mode = true, .rip = res.entry64, .rsp = res.rsp,
				     .cr3 = res.cr3, .gdt_base = res.gdt_base,
				     .gdt_limit = LINUX_GDT_LIMIT, .cs_sel = LINUX_BOOT_CS,
				     .ds_sel = LINUX_BOOT_DS };
	start.gpr[GPR_RSI] = res.zero_page;
	return init_vcpus(vm, &start);
}

void vm_start(struct vm *vm, unsigned cpu)
{
	char cpus[64] = "";
	size_t n = 0;

	vm->cpu = cpu;
	if (vm->nr_vcpus == 1)
		vm->vcpus[0].cpu = cpu;
	vm->state = VM_RUNNING;
	if (vm->nr_vcpus == 1) {
		pr_info("vm %u (%s): starting on CPU %u, %lu MiB RAM at host 0x%lx", vm->id,
			vm->name, cpu, (unsigned long)(vm->ram_size >> 20), vm->ram_hpa);
		return;
	}
	for (unsigned k = 0; k < vm->nr_vcpus && n < sizeof(cpus); k++)
		n += (size_t)hv_snprintf(cpus + n, sizeof(cpus) - n, "%s%u", k ? "," : "",
					 vm->vcpus[k].cpu);
	pr_info("vm %u (%s): starting, %u vCPUs on CPUs %s, %lu MiB RAM at host 0x%lx", vm->id,
		vm->name, vm->nr_vcpus, cpus, (unsigned long)(vm->ram_size >> 20), vm->ram_hpa);
}

bool vm_run_slice(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t now = arch_tsc();
	int rc;

	/* A vCPU's CPU time is its time on the CPU, running, halted or in
	 * the hypervisor's hands, from its first slice; not the slices of
	 * the others.  Each vCPU of an SMP guest has the whole limit. */
	if (vm->cpu_limit_ms && !v->cpu_deadline_tsc)
		v->cpu_deadline_tsc = now + vm->cpu_limit_ms * (arch_tsc_hz() / 1000);
	else if (v->cpu_deadline_tsc && v->off_cpu_since)
		v->cpu_deadline_tsc += now - v->off_cpu_since;
	/* Console input for a VM asleep in S3 presses its power button. */
	if (v->s3 && !vcpu_sleep(v, vm->input_ready)) {
		if (vm->input_ready)
			vm_take_input(vm);
		v->off_cpu_since = arch_tsc();
		return vm_ended(vm);
	}
	if (vm->input_ready)
		vm_take_input(vm);
	if (vm->news)
		vm_take_news(vm);
	__atomic_store_n(&v->snap.valid, false, __ATOMIC_RELEASE);
	__atomic_store_n(&v->on_cpu, true, __ATOMIC_SEQ_CST);   /* before its entries look (vm_sync_vcpus) */
	rc = arch_vcpu_run(v);
	__atomic_store_n(&v->on_cpu, false, __ATOMIC_RELEASE);
	v->off_cpu_since = arch_tsc();
	if (rc && !vm_ended(vm))
		vm_end(vm, VM_END_ERROR, 0, "vCPU could not run: %s", hv_strerror(rc));
	if (vm_ended(vm))
		vm_console_flush(&vm->console, false); /* the guest's last, unfinished line */
	return vm_ended(vm);
}

void vm_end(struct vm *vm, enum vm_end how, uint64_t status, const char *fmt, ...)
{
	va_list ap;

	spin_lock(&vm->end_lock);
	if (vm->state == VM_ENDED) {
		spin_unlock(&vm->end_lock);
		return;
	}
	vm->end = how;
	vm->end_status = status;
	va_start(ap, fmt);
	hv_vsnprintf(vm->end_detail, sizeof(vm->end_detail), fmt, ap);
	va_end(ap);
	__atomic_store_n(&vm->state, VM_ENDED, __ATOMIC_RELEASE);
	spin_unlock(&vm->end_lock);
	/* A one-vCPU VM's vCPU is the caller's own (but for the shell's
	 * kill, which kicks it too); an SMP guest's others run elsewhere and
	 * hear it from their CPUs. */
	if (vm->nr_vcpus == 1)
		vcpu_request(&vm->vcpus[0], VCPU_REQ_STOP);
	else
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_kick(&vm->vcpus[i], VCPU_REMOTE_STOP);
}

/* The generation first, then the kicks: a vCPU that enters after
 * reading the old one takes the kick's IPI as an exit at once and syncs
 * on its way back in (the arch checks sync_gen before every entry that
 * is not the fast path, and a kick takes it off the fast path).  Only a
 * vCPU in arch_vcpu_run, whose CPU may hold translations or log entries
 * from before, is kicked and waited for; the others check sync_gen in
 * the first entry of their next run. */
void vm_sync_vcpus(struct vm *vm)
{
	uint32_t gen = __atomic_add_fetch(&vm->sync_gen, 1, __ATOMIC_SEQ_CST);

	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (__atomic_load_n(&vm->vcpus[i].on_cpu, __ATOMIC_SEQ_CST))
			vcpu_kick(&vm->vcpus[i], VCPU_REMOTE_EVENTS);
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		while (__atomic_load_n(&v->on_cpu, __ATOMIC_SEQ_CST) &&
		       (int32_t)(__atomic_load_n(&v->sync_ack, __ATOMIC_ACQUIRE) - gen) < 0)
			cpu_relax();
	}
}

/* Each vCPU's CPU sees the change at the kick (vcpu_take_remote). */
void vm_hold(struct vm *vm, bool paused)
{
	__atomic_store_n(&vm->paused, paused, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i], VCPU_REMOTE_EVENTS);
}

static void set_paused(struct vm *vm, bool paused)
{
	vm_hold(vm, paused);
	kprintf("vm %u (%s): %s\n", vm->id, vm->name, paused ? "paused" : "resumed");
}

void vm_pause(struct vm *vm) { set_paused(vm, true); }
void vm_resume(struct vm *vm) { set_paused(vm, false); }

/* From another CPU than the VM's: every vCPU is kicked, so that its own
 * CPU takes the news (a paused one too) and drops it from its run queue. */
void vm_kill(struct vm *vm)
{
	vm_end(vm, VM_END_KILLED, 0, "the shell's kill");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i], VCPU_REMOTE_STOP);
}

static bool listed(const struct vm *vm)
{
	return vm->state != VM_FREE;
}

struct vm *vm_find_id(unsigned id)
{
	struct vm *found = NULL;

	spin_lock(&vms_lock);
	for (unsigned i = 0; i < MAX_VMS && !found; i++)
		if (listed(&vms[i]) && vms[i].id == id)
			found = &vms[i];
	spin_unlock(&vms_lock);
	return found;
}

struct vm *vm_next_id(unsigned after)
{
	struct vm *best = NULL;

	spin_lock(&vms_lock);
	for (unsigned i = 0; i < MAX_VMS; i++)
		if (listed(&vms[i]) && vms[i].id > after && (!best || vms[i].id < best->id))
			best = &vms[i];
	spin_unlock(&vms_lock);
	return best;
}

static void report_end(const struct vm *vm)
{
	const char *tag = "";

	switch (vm->end) {
	case VM_END_HYPERCALL:
	case VM_END_DEBUG_EXIT:
		kprintf("vm %u (%s): ended by %s, status %lu\n", vm->id, vm->name, vm->end_detail,
			vm->end_status);
		return;
	case VM_END_TRIPLE_FAULT: tag = "ended by "; break;
	case VM_END_POWER_OFF:
	case VM_END_RESET: tag = "ended by "; break;
	case VM_END_HALTED: tag = "ended: "; break;
	case VM_END_KILLED: tag = "ended by "; break;
	default: tag = "stopped: "; break;
	}
	kprintf("vm %u (%s): %s%s\n", vm->id, vm->name, tag, vm->end_detail);
}

void vm_report(struct vm *vm)
{
	console_hold();
	vm_console_break(&vm->console);
	report_end(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		arch_vcpu_report_exits(&vm->vcpus[i]);
	console_release();
}

void vm_destroy(struct vm *vm)
{
	vm_dirty_stop(vm);
	console_in_detach(vm);
	vm_console_flush(&vm->console, false);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_free(&vm->vcpus[i]);
	platform_fini(vm);
	arch_vm_destroy(vm);
	if (vm->mem.map)
		balloon_release(vm);
	else if (vm->ram_hpa)
		page_free(vm->ram_hpa, vm->ram_size / PAGE_SIZE);
	spin_lock(&vms_lock);
	vm->state = VM_FREE;
	spin_unlock(&vms_lock);
}

bool vm_gpa_in_ram(const struct vm *vm, gpa_t gpa, size_t len)
{
	return gpa < vm->ram_size && gmem_is_ram(&vm->mem, gpa, len);
}

int vm_read_gpa(struct vm *vm, gpa_t gpa, void *dst, size_t len)
{
	return gmem_read(&vm->mem, gpa, dst, len);
}

int vm_write_gpa(struct vm *vm, gpa_t gpa, const void *src, size_t len)
{
	return gmem_write(&vm->mem, gpa, src, len);
}
