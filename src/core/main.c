/* The boot CPU's path from the Multiboot2 information to the guests: the
 * command line, the banner, memory, virtualization (the arch's), then the
 * guests (guests.c).  The arch's entry (arch/x86_64/setup.c) has set up the
 * console and the CPU's own tables before hv_start(). */
#include <hv/arch.h>
#include <hv/bootinfo.h>
#include <hv/config.h>
#include <hv/console.h>
#include <hv/console_in.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/gdb_vm.h>
#include <hv/guests.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/shell.h>
#include <hv/string.h>

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

static void idle_work(unsigned cpu) { UNUSED(cpu); }

/* The CPUs that wait for work halt instead: nothing more will come. */
static void park_cpus(void)
{
	for (unsigned c = 1; c < arch_cpu_max(); c++)
		arch_cpu_release(c, idle_work);
}

void hv_poweroff(void)
{
	park_cpus();
	if (config.poweroff)
		arch_power_off();
	pr_info("halting (poweroff=0)");
	arch_halt_forever();
}

void hv_reboot(void)
{
	park_cpus();
	arch_reset();
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

void hv_start(uint32_t magic, const void *mbi)
{
	bool console_irq;
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
	console_in_init(console_getc, &shell_hv_env, guests_shell_wake);
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
		hv_poweroff();
	pr_info("memory: %lu MiB free for guests and hypervisor tables",
		(unsigned long)(memory_free_pages() * PAGE_SIZE >> 20));
	arch_power_init(&boot_info);
	if (arch_virt_init())
		hv_poweroff();
	arch_cpus_start(config.absent_cpu_test);
	console_irq = arch_console_irq_start(config.console_port);
	gdb_vm_init(config.gdb_port);
	if (config.spec_test)
		arch_spec_test();
	if (config.shutdown_after_boot) {
		pr_info("bring-up complete; shutdown_after_boot set");
		hv_poweroff();
	}
	guests_run(&boot_info, &config, console_irq);
}
