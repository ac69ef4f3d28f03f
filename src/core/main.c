/* The boot CPU's path from the Multiboot2 information to the guests: the
 * command line, the banner, memory, virtualization (the arch's), then one
 * VM per module.  The arch's entry (arch/x86_64/setup.c) has set up the
 * console and the CPU's own tables before hv_start(). */
#include <hv/arch.h>
#include <hv/bootinfo.h>
#include <hv/config.h>
#include <hv/console.h>
#include <hv/console_in.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/log.h>
#include <hv/loader_mb1.h>
#include <hv/memory.h>
#include <hv/sched.h>
#include <hv/string.h>
#include <hv/vm.h>

static struct boot_info boot_info;
static struct config config;

/* Warnings from the command line are kept until the console is set up
 * the way the command line asks, then printed. */
#define MAX_EARLY_WARNINGS 8
static struct {
	char msg[MAX_EARLY_WARNINGS][160];
	int count;
	int dropped;               /* beyond MAX_EARLY_WARNINGS: counted, not kept */
} early_warnings;

static void stash_warning(void *ctx, const char *msg)
{
	UNUSED(ctx);
	if (early_warnings.count < MAX_EARLY_WARNINGS)
		hv_strlcpy(early_warnings.msg[early_warnings.count++], msg, sizeof(early_warnings.msg[0]));
	else
		early_warnings.dropped++;
}

static void park_cpus(void);

static __attribute__((noreturn)) void stop(void)
{
	park_cpus();
	if (config.poweroff)
		arch_power_off();
	pr_info("halting (poweroff=0)");
	arch_halt_forever();
}

static void print_banner(void)
{
	char cpu[160];

	arch_describe_cpu(cpu, sizeof(cpu));
	kprintf("\ntinyhv %s booting, loaded by %s\n", HV_VERSION,
		boot_info.loader[0] ? boot_info.loader : "an unnamed loader");
	kprintf("CPU: %s\n", cpu);
	kprintf("Command line: \"%s\"\n", boot_info.cmdline);
}

static void print_memory_map(void)
{
	uint64_t usable = boot_ram_bytes(&boot_info);

	kprintf("Memory map (%zu entries, %lu MiB usable%s):\n", boot_info.mmap_count,
		usable >> 20, boot_info.mmap_truncated ? ", truncated" : "");
	for (size_t i = 0; i < boot_info.mmap_count; i++) {
		const struct boot_mmap_entry *e = &boot_info.mmap[i];

		kprintf("  [0x%016lx-0x%016lx) type %u\n", e->base, e->base + e->len, e->type);
	}
}

static void print_modules(void)
{
	kprintf("Modules: %zu%s\n", boot_info.module_count,
		boot_info.modules_truncated ? " (more ignored)" : "");
	for (size_t i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];

		kprintf("  %zu: \"%s\" %lu bytes at 0x%lx\n", i, m->cmdline, m->end - m->start, m->start);
	}
}

static void setup_console_and_config(void)
{
	config_defaults(&config);
	config_parse(&config, boot_info.cmdline, stash_warning, NULL);
	if (config.console_port != CONSOLE_COM1 || config.console_baud != 115200)
		console_init(config.console_port, config.console_baud);
	log_set_level(config.log_level);
}

#define MULTIBOOT_GUEST_MEM_MIB 32
#define LINUX_GUEST_MEM_MIB 256

/* A Linux bzImage carries "HdrS" at 0x202 (Linux boot protocol). */
static bool is_bzimage(const struct boot_module *m)
{
	const uint8_t *p = phys_to_virt(m->start);

	return m->end - m->start > 0x206 && !memcmp(p + 0x202, "HdrS", 4);
}

static bool module_named(const struct boot_module *m, const char *name)
{
	struct vm_options o;
	char err[8];

	return !vm_options_parse(m->cmdline, &o, err, sizeof(err)) && !strcmp(o.name, name);
}

/* A Linux kernel's initrd is the module named "initrd" after it; a
 * Multiboot kernel's boot modules are the modules named "module" after
 * it, whose strings (but the name) it gets. */
static bool is_initrd(const struct boot_module *m) { return module_named(m, "initrd"); }
static bool is_mb_module(const struct boot_module *m) { return module_named(m, "module"); }

/* One guest to run: its module (and the initrd or boot modules after it),
 * its options, and the physical CPU it runs on.  The boot CPU plans them
 * all before any runs; then each CPU runs its own. */
struct guest {
	const struct boot_module *m, *initrd;
	const struct boot_module *mods;    /* a Multiboot guest's boot modules */
	unsigned nmods;
	struct vm_options opts;
	bool console_input;        /* it has the console's input first: the first Linux
				    * guest, else the first guest */
	unsigned id;               /* its VM's id: module order */
	unsigned cpu;              /* its first vCPU's CPU */
	unsigned vcpu_cpu[MAX_VCPUS_PER_VM];  /* each vCPU's CPU */
	struct vm *vm;             /* made by the boot CPU (time-sliced runs) */
};

static struct guest guests[BOOT_MAX_MODULES];
_Static_assert(RUNQ_MAX >= MAX_VMS, "a CPU's run queue holds every VM the hypervisor can");
static bool console_irq;           /* console input comes by interrupt */
static unsigned nr_guests;
static unsigned guests_left;       /* counted down by whichever CPU ends one */

static int load_guest(struct vm *vm, const struct guest *g)
{
	const struct boot_module *m = g->m, *initrd = g->initrd;
	const void *image = phys_to_virt(m->start);

	if (!is_bzimage(m)) {
		struct mb1_module mods[MB1_MODS_MAX];
		struct vm_options o;
		char err[8];

		for (unsigned i = 0; i < g->nmods && i < MB1_MODS_MAX; i++) {
			const struct boot_module *b = &g->mods[i];

			vm_options_parse(b->cmdline, &o, err, sizeof(err));
			mods[i] = (struct mb1_module){ phys_to_virt(b->start), b->end - b->start,
						       o.args };
		}
		return vm_load_multiboot(vm, image, m->end - m->start, mods, g->nmods);
	}
	return vm_load_linux(vm, image, m->end - m->start,
			     initrd ? phys_to_virt(initrd->start) : NULL,
			     initrd ? initrd->end - initrd->start : 0);
}

/* The guest's VM, made and loaded, or NULL (what failed is reported, and
 * the guest is over). */
static void guest_over(struct vm *vm);

static struct vm *make_guest(const struct guest *g)
{
	uint32_t mib = g->opts.mem_mib ? g->opts.mem_mib : config.guest_mem_mib;
	struct vm *vm;
	int rc;

	if (!mib)
		mib = is_bzimage(g->m) ? LINUX_GUEST_MEM_MIB : MULTIBOOT_GUEST_MEM_MIB;
	rc = vm_create(g->id, g->opts.name, g->opts.args, (uint64_t)mib << 20, &vm);
	if (rc == HV_EBUSY) {
		pr_err("guest %s: not started: all %u VMs the hypervisor can hold exist", g->opts.name,
		       MAX_VMS);
		guest_over(NULL);
		return NULL;
	}
	if (rc) {
		pr_err("guest %s: cannot create a VM with %u MiB: %s", g->opts.name, mib,
		       hv_strerror(rc));
		guest_over(NULL);
		return NULL;
	}
	vm->stats_interval_tsc = (uint64_t)config.stats_interval_s * arch_tsc_hz();
	vm->cpu_limit_ms = config.cpu_limit_ms;
	vm_console_set_rate(&vm->console, config.console_rate, arch_tsc_hz());
	vm->entry_fail_test = vm->id == 1 ? config.entry_fail_test : ENTRY_FAIL_NONE;
	vm->input_polled = !console_irq;
	vm->bare = g->opts.bare;
	vm->holes_stop = g->opts.holes_stop;
	vm->nr_vcpus = g->opts.vcpus;
	console_in_attach(vm, g->console_input);
	rc = load_guest(vm, g);
	if (rc) {
		vm_end(vm, VM_END_ERROR, 0, "not started: the image could not be loaded");
		guest_over(vm);
		return NULL;
	}
	return vm;
}

/* A guest has ended: its report, and the VM goes.  The CPU that ends the
 * last guest of all switches the machine off. */
static void guest_over(struct vm *vm)
{
	if (vm) {
		vm_report(vm);
		vm_destroy(vm);
	}
	if (__atomic_sub_fetch(&guests_left, 1, __ATOMIC_ACQ_REL) == 0) {
		kprintf("all guests ended\n");
		stop();
	}
}

/* One of the VM's vCPUs has left its CPU's run queue for good: the last
 * one out ends the guest. */
static void vcpu_done(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (__atomic_sub_fetch(&vm->vcpus_queued, 1, __ATOMIC_ACQ_REL) == 0)
		guest_over(vm);
}

/* Something for a queued vCPU that does not run now: console input, a
 * request of another CPU (an IPI, its VM's end). */
static bool news_for(const struct vcpu *v) { return v->remote || v->vm->input_ready; }

/* All of the CPU's vCPUs sleep (halted, or waiting for a start-up IPI)
 * until wake, or until news comes for one of them. */
static void wait_for_sleepers(struct runq *q, uint64_t wake)
{
	if (!wake)
		wake = UINT64_MAX;  /* all wait for a start-up IPI: only news wakes them */
	while (arch_tsc() < wake) {
		for (unsigned i = 0; i < q->n; i++)
			if (news_for(q->v[i]))
				return;
		arch_cpu_wait(wake);
	}
}

/* Before choosing: the news of the vCPUs that do not run (their own CPU
 * is this one, so their state is this CPU's to change); the vCPUs whose
 * VM ended leave the queue. */
static void take_news(struct runq *q)
{
	for (unsigned i = 0; i < q->n;) {
		struct vcpu *v = q->v[i];

		if (v->vm->input_ready)
			v->wake_tsc = 0;
		if (v->remote)
			vcpu_take_remote(v);
		if (vm_ended(v->vm)) {
			runq_remove(q, v);
			vcpu_done(v);
			continue;
		}
		i++;
	}
}

/* The VM's vCPUs on their CPUs (as placed), and it starts. */
static void start_guest(const struct guest *g, struct vm *vm)
{
	vm->vcpus_queued = vm->nr_vcpus;
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		vm->vcpus[k].cpu = g->vcpu_cpu[k];
	vm_start(vm, g->cpu);
}

/* The boot CPU makes every guest's VM before any CPU runs one, so that
 * the vCPUs of an SMP guest find their VM on whichever CPU they are. */
static void make_guests(void)
{
	for (unsigned i = 0; i < nr_guests; i++) {
		struct guest *g = &guests[i];
		struct vm *vm = make_guest(g);

		g->vm = vm;
		if (vm)
			start_guest(g, vm);
	}
}

/* Run the queue's vCPUs until none is left: a slice each in turn while
 * more than one can run (hv/sched.h). */
static void serve(struct runq *q)
{
	uint64_t quantum = SCHED_QUANTUM_MS * (arch_tsc_hz() / 1000);

	while (q->n) {
		uint64_t wake;
		struct vcpu *v;

		take_news(q);
		v = runq_pick(q, arch_tsc(), &wake);
		if (!v) {
			if (q->n)
				wait_for_sleepers(q, wake);
			continue;
		}
		v->slice_end = q->n > 1 ? arch_tsc() + quantum : 0;
		if (vm_run_slice(v)) {
			runq_remove(q, v);
			vcpu_done(v);
		}
	}
}

/* Queue the VM's vCPUs that are this CPU's. */
static void queue_vcpus(struct runq *q, struct vm *vm, unsigned cpu)
{
	for (unsigned k = 0; k < vm->nr_vcpus; k++) {
		if (vm->vcpus[k].cpu != cpu)
			continue;
		if (runq_add(q, &vm->vcpus[k])) { /* never: RUNQ_MAX >= MAX_VMS */
			vm_end(vm, VM_END_ERROR, 0, "CPU %u's run queue is full", cpu);
			vcpu_done(&vm->vcpus[k]);
		}
	}
}

/* guests_in_turn: each of the CPU's guests to its end, in module order;
 * an SMP guest's vCPUs share the CPU (place_guest put them all there). */
static void run_in_turn(unsigned cpu)
{
	for (unsigned i = 0; i < nr_guests; i++) {
		struct runq q = { 0 };
		struct vm *vm = guests[i].cpu == cpu ? make_guest(&guests[i]) : NULL;

		if (!vm)
			continue;
		start_guest(&guests[i], vm);
		queue_vcpus(&q, vm, cpu);
		serve(&q);
	}
}

/* Every CPU's work: all of its guests start at once and share the CPU. */
static void cpu_work(unsigned cpu)
{
	struct runq q = { 0 };

	if (config.guests_in_turn) {
		run_in_turn(cpu);
		return;
	}
	for (unsigned i = 0; i < nr_guests; i++)
		if (guests[i].vm)
			queue_vcpus(&q, guests[i].vm, cpu);
	serve(&q);
}

static void idle_work(unsigned cpu) { UNUSED(cpu); }

/* The CPUs that wait for work halt instead: nothing more will come. */
static void park_cpus(void)
{
	for (unsigned c = 1; c < arch_cpu_max(); c++)
		arch_cpu_release(c, idle_work);
}

/* A CPU of its own if one is free (static partitioning, as Jailhouse
 * does), else the CPU of its allowed set with the fewest guests, which it
 * shares with them (time-sliced, or in turn with guests_in_turn). */
static int place_guest(struct guest *g, unsigned *load, char *err, size_t errlen)
{
	uint64_t allowed = g->opts.cpus;
	int best = -1;

	if (g->opts.bare && is_bzimage(g->m)) {
		hv_snprintf(err, errlen, "platform=none: a Linux guest needs the PC platform");
		return HV_EINVAL;
	}
	if (g->opts.vcpus > MAX_VCPUS_PER_VM) {
		hv_snprintf(err, errlen, "vcpus=%u: at most %u vCPUs per VM", g->opts.vcpus,
			    MAX_VCPUS_PER_VM);
		return HV_ERANGE;
	}
	for (unsigned c = 0; c < 64; c++) {
		if (allowed && (allowed & (1ULL << c)) && !arch_cpu_online(c)) {
			hv_snprintf(err, errlen, "cpus=: CPU %u is not online", c);
			return HV_ERANGE;
		}
	}
	/* Each vCPU on the least loaded CPU it may use, one after another:
	 * the vCPUs of one guest spread over its CPUs.  With guests_in_turn
	 * a guest waits for one CPU: all its vCPUs share that one. */
	for (unsigned k = 0; k < g->opts.vcpus; k++) {
		if (k && config.guests_in_turn) {
			g->vcpu_cpu[k] = g->vcpu_cpu[0];
			continue;
		}
		best = -1;
		for (unsigned c = 0; c < 64; c++) {
			if ((allowed && !(allowed & (1ULL << c))) || !arch_cpu_online(c))
				continue;
			if (best < 0 || load[c] < load[best])
				best = (int)c;
		}
		g->vcpu_cpu[k] = (unsigned)best;
		load[best]++;
	}
	g->cpu = g->vcpu_cpu[0];
	return 0;
}

static void plan_guests(void)
{
	unsigned load[64] = { 0 };
	bool console_taken = false;
	size_t mods_end = 0;       /* past the last boot module a guest took */

	for (size_t i = 0; i < boot_info.module_count; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		const struct boot_module *next = i + 1 < boot_info.module_count ? m + 1 : NULL;
		struct guest *g = &guests[nr_guests];
		char err[160];

		if (is_mb_module(m) && i >= mods_end)
			pr_warn("module %zu: a boot module named 'module' with no Multiboot guest "
				"before it: ignored", i);
		if (is_initrd(m) || is_mb_module(m))
			continue; /* belongs to the kernel before it */
		g->m = m;
		if (vm_options_parse(m->cmdline, &g->opts, err, sizeof(err)) ||
		    place_guest(g, load, err, sizeof(err))) {
			pr_err("guest %s (module %zu): refused: %s", g->opts.name[0] ? g->opts.name : "?",
			       i, err);
			continue;
		}
		g->initrd = next && is_initrd(next) ? next : NULL;
		g->mods = next;
		g->nmods = 0;
		while (!is_bzimage(m) && i + 1 + g->nmods < boot_info.module_count &&
		       is_mb_module(&boot_info.modules[i + 1 + g->nmods]))
			g->nmods++;
		mods_end = i + 1 + g->nmods;
		g->console_input = is_bzimage(m) && !console_taken;
		g->id = vm_new_id();
		console_taken |= g->console_input;
		nr_guests++;
	}
	if (!console_taken && nr_guests)
		guests[0].console_input = true;
}

static void run_guests(void)
{
	if (boot_info.module_count == 0) {
		pr_info("no guests to run (no Multiboot2 modules)");
		return;
	}
	plan_guests();
	if (nr_guests == 0) {
		pr_err("no guests to run: every module was refused");
		return;
	}
	guests_left = nr_guests;
	if (!config.guests_in_turn)
		make_guests();
	for (unsigned c = 1; c < arch_cpu_max(); c++)
		arch_cpu_release(c, cpu_work);
	cpu_work(0);
	arch_cpu_idle_forever(); /* the CPU that ends the last guest powers off */
}

void hv_start(uint32_t magic, const void *mbi)
{
	int rc;

	config_defaults(&config);
	if (magic != MB2_BOOTLOADER_MAGIC) {
		pr_err("not started by a Multiboot2 loader (EAX = 0x%x, expected 0x%x)", magic,
		       MB2_BOOTLOADER_MAGIC);
		arch_halt_forever();
	}
	rc = mb2_parse(mbi, &boot_info);
	if (rc) {
		pr_err("malformed Multiboot2 information at 0x%lx: %s", (uint64_t)(uintptr_t)mbi,
		       hv_strerror(rc));
		arch_halt_forever();
	}
	setup_console_and_config();
	console_in_init(console_getc);
	print_banner();
	for (int i = 0; i < early_warnings.count; i++)
		pr_warn("config: %s", early_warnings.msg[i]);
	if (early_warnings.dropped)
		pr_warn("config: %d more bad options not shown", early_warnings.dropped);
	print_memory_map();
	print_modules();
	if (config.fault_test) {
		pr_info("fault_test: executing UD2 in the hypervisor");
		arch_fault_test();
	}
	if (config.nmi_test) {
		if (arch_nmi_test())
			pr_info("nmi_test: the hypervisor took an NMI and went on");
		else
			pr_err("nmi_test: the NMI handler did not note the NMI");
	}

	if (memory_init(&boot_info))
		stop();
	pr_info("memory: %lu MiB free for guests and hypervisor tables",
		(unsigned long)(memory_free_pages() * PAGE_SIZE >> 20));
	arch_power_init(&boot_info);
	if (arch_virt_init())
		stop();
	arch_cpus_start(config.absent_cpu_test);
	console_irq = arch_console_irq_start(config.console_port);
	if (config.spec_test)
		arch_spec_test();
	if (config.shutdown_after_boot) {
		pr_info("bring-up complete; shutdown_after_boot set");
		stop();
	}
	run_guests();
	stop();
}
