/* VM life cycle: create (memory, EPT, bitmaps, devices), load, run, end,
 * report, destroy.  VMs live in a fixed table; a VM's VPID is its slot
 * number plus one (VPID 0 is the hypervisor's own). */
#include <arch/cpu.h>
#include <arch/vmx.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/exit.h>
#include <hv/format.h>
#include <hv/loader_linux.h>
#include <hv/loader_mb1.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/string.h>
#include <hv/vm.h>

/* QEMU's isa-debug-exit device (hw/misc/debugexit.c): writing V ends the
 * VM with status (V << 1) | 1, so that test kernels written for QEMU can
 * report a result. */
#define DEBUG_EXIT_PORT 0xf4

static struct vm vms[MAX_VMS];
/* Console ids count every VM ever made; VPIDs reuse table slots. */
static unsigned next_vm_id = 1;

static int ept_alloc_table(void *ctx, paddr_t *pa) { UNUSED(ctx); return page_alloc(1, PAGE_SIZE, pa); }
static void ept_free_table(void *ctx, paddr_t pa) { UNUSED(ctx); page_free(pa, 1); }
static void *ept_map_table(void *ctx, paddr_t pa) { UNUSED(ctx); return phys_to_virt(pa); }

static const struct ept_ops ept_ops = { ept_alloc_table, ept_free_table, ept_map_table, NULL };

/* Guest output, tagged with the VM's name at the start of each line; a
 * line an interactive guest has not finished yet (a prompt) is continued
 * by the next call without a second tag. */
static void uart_line(void *ctx, const char *text, bool line_end)
{
	struct vm *vm = ctx;

	if (vm->uart_mid_line)
		kprintf("%s%s", text, line_end ? "\n" : "");
	else
		kprintf("[%s] %s%s", vm->name, text, line_end ? "\n" : "");
	vm->uart_mid_line = !line_end;
}

static int debug_exit_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct vm *vm = dev;

	UNUSED(port);
	UNUSED(size);
	vm_end(vm, VM_END_DEBUG_EXIT, (val << 1) | 1, "debug-exit port");
	return 0;
}

static unsigned large_pages(void)
{
	uint64_t cap = vmx_get_caps()->ept_vpid;

	return ((cap & EPT_CAP_2M) ? EPT_ALLOW_2M : 0) | ((cap & EPT_CAP_1G) ? EPT_ALLOW_1G : 0);
}

static int setup_memory(struct vm *vm)
{
	int rc;

	/* 2 MiB alignment lets EPT map guest RAM with large pages. */
	rc = page_alloc(vm->ram_size / PAGE_SIZE, PAGE_2M, &vm->ram_hpa);
	if (rc)
		return rc;
	rc = ept_init(&vm->ept, &ept_ops, large_pages());
	if (rc)
		return rc;
	rc = ept_map(&vm->ept, 0, vm->ram_hpa, vm->ram_size, EPT_RWX | EPT_MT_WB);
	if (rc)
		return rc;
	/* The EPT's pages may have served an earlier VM: drop anything the
	 * CPU cached under this EPT pointer (SDM 29.4.3.1). */
	vmx_invept(ept_pointer(&vm->ept, false));
	return 0;
}

static int setup_bitmaps(struct vm *vm)
{
	int rc = page_alloc(2, PAGE_SIZE, &vm->io_bitmap);

	if (rc)
		return rc;
	/* Every port exits: a guest reaches no real device (SDM 25.6.4). */
	memset(phys_to_virt(vm->io_bitmap), 0xff, 2 * PAGE_SIZE);
	rc = page_alloc(1, PAGE_SIZE, &vm->msr_bitmap);
	if (rc)
		return rc;
	msr_bitmap_init(phys_to_virt(vm->msr_bitmap),
			vmx_get_caps()->proc2.may_be_1 & PROC2_ENABLE_RDTSCP);
	return 0;
}

static int setup_devices(struct vm *vm)
{
	int rc;

	io_bus_init(&vm->pio);
	io_bus_init(&vm->mmio);
	vuart_init(&vm->uart, uart_line, vm);
	rc = vuart_attach(&vm->uart, &vm->pio, VUART_COM1_BASE);
	return rc ? rc : io_register(&vm->pio, DEBUG_EXIT_PORT, 4, "debug-exit", NULL,
				     debug_exit_write, vm);
}

int vm_create(const char *name, const char *cmdline, uint64_t ram_size, struct vm **out)
{
	struct vm *vm = NULL;
	int rc;

	for (unsigned i = 0; i < MAX_VMS && !vm; i++)
		if (vms[i].state == VM_FREE)
			vm = &vms[i];
	if (!vm)
		return HV_ENOMEM;
	memset(vm, 0, sizeof(*vm));
	vm->id = next_vm_id++;
	vm->vpid = (uint16_t)(vm - vms) + 1;
	vm->state = VM_CREATED;
	vm->ram_size = ALIGN_UP(ram_size, PAGE_2M);
	hv_strlcpy(vm->name, name, sizeof(vm->name));
	hv_strlcpy(vm->cmdline, cmdline, sizeof(vm->cmdline));
	rc = setup_memory(vm);
	rc = rc ? rc : setup_bitmaps(vm);
	rc = rc ? rc : setup_devices(vm);
	if (rc) {
		vm_destroy(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

int vm_load_multiboot(struct vm *vm, const void *image, size_t len)
{
	struct guest_mem mem = { phys_to_virt(vm->ram_hpa), vm->ram_size };
	struct mb1_result res;
	struct vcpu_start start;
	char err[160];
	int rc;

	rc = mb1_load(&mem, image, len, vm->cmdline, "tinyhv " HV_VERSION, &res, err, sizeof(err));
	if (rc) {
		pr_err("vm %u (%s): cannot load the kernel: %s", vm->id, vm->name, err);
		return rc;
	}
	start = (struct vcpu_start){ .rip = res.entry, .cs_sel = 0x08, .ds_sel = 0x10 };
	start.gpr[GPR_RAX] = MB1_BOOT_MAGIC;
	start.gpr[GPR_RBX] = res.info_gpa;
	vm->nr_vcpus = 1;
	rc = vcpu_init(&vm->vcpus[0], vm, 0, &start);
	if (rc)
		pr_err("vm %u (%s): cannot set up its vCPU: %s", vm->id, vm->name, hv_strerror(rc));
	return rc;
}

int vm_load_linux(struct vm *vm, const void *kernel, size_t kernel_len, const void *initrd,
		  size_t initrd_len, bool console_input)
{
	struct guest_mem mem = { phys_to_virt(vm->ram_hpa), vm->ram_size };
	struct linux_boot_cfg cfg = { kernel, kernel_len, initrd, initrd_len, vm->cmdline, NULL, 0, 0 };
	struct linux_boot_result res;
	struct vcpu_start start;
	char err[160];
	int rc;

	vm->nr_vcpus = 1;
	rc = platform_init(vm, console_input, &cfg.acpi_rsdp);
	if (rc) {
		pr_err("vm %u (%s): cannot build its platform: %s", vm->id, vm->name, hv_strerror(rc));
		return rc;
	}
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
	rc = vcpu_init(&vm->vcpus[0], vm, 0, &start);
	if (rc)
		pr_err("vm %u (%s): cannot set up its vCPU: %s", vm->id, vm->name, hv_strerror(rc));
	return rc;
}

int vm_run(struct vm *vm)
{
	int rc;

	vm->state = VM_RUNNING;
	pr_info("vm %u (%s): starting, %lu MiB RAM at host 0x%lx", vm->id, vm->name,
		(unsigned long)(vm->ram_size >> 20), vm->ram_hpa);
	rc = vcpu_run(&vm->vcpus[0]);
	vuart_flush(&vm->uart); /* the guest's last, unfinished line */
	if (rc && !vm_ended(vm))
		vm_end(vm, VM_END_ERROR, 0, "vCPU could not run: %s", hv_strerror(rc));
	return rc;
}

void vm_end(struct vm *vm, enum vm_end how, uint64_t status, const char *fmt, ...)
{
	va_list ap;

	if (vm->state == VM_ENDED)
		return;
	vm->state = VM_ENDED;
	vm->end = how;
	vm->end_status = status;
	va_start(ap, fmt);
	hv_vsnprintf(vm->end_detail, sizeof(vm->end_detail), fmt, ap);
	va_end(ap);
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
	default: tag = "stopped: "; break;
	}
	kprintf("vm %u (%s): %s%s\n", vm->id, vm->name, tag, vm->end_detail);
}

/* "x.y" for a/b without floating point. */
static void ratio(char *buf, size_t n, uint64_t a, uint64_t b)
{
	uint64_t tenths = b ? (a * 10 + b / 2) / b : 0;

	hv_snprintf(buf, n, "%lu.%lu", (unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
}

static void report_exits(const struct vm *vm, const struct vcpu *v)
{
	uint64_t total = 0;

	for (int r = 0; r < EXIT_REASON_MAX; r++)
		total += v->exits[r];
	kprintf("vm %u (%s): %lu VM exits\n", vm->id, vm->name, total);
	for (int r = 0; r < EXIT_REASON_MAX; r++) {
		char rd[24], wr[24];

		if (!v->exits[r])
			continue;
		ratio(rd, sizeof(rd), v->vmreads_by_reason[r], v->exits[r]);
		ratio(wr, sizeof(wr), v->vmwrites_by_reason[r], v->exits[r]);
		kprintf("  %-22s %10lu  (%s VMREAD, %s VMWRITE per exit)\n",
			vmx_exit_reason_name((uint32_t)r), v->exits[r], rd, wr);
	}
}

void vm_report_progress(const struct vcpu *v)
{
	char line[400];
	int n, best[3] = { -1, -1, -1 };
	uint64_t total = 0;

	for (int r = 0; r < EXIT_REASON_MAX; r++) {
		total += v->exits[r];
		for (int i = 0; i < 3; i++) {
			if (best[i] < 0 || v->exits[r] > v->exits[best[i]]) {
				for (int j = 2; j > i; j--)
					best[j] = best[j - 1];
				best[i] = r;
				break;
			}
		}
	}
	n = hv_snprintf(line, sizeof(line), "vm %u (%s): running, %lu exits (", v->vm->id, v->vm->name,
			total);
	for (int i = 0; i < 3 && best[i] >= 0 && v->exits[best[i]]; i++)
		n += hv_snprintf(line + n, sizeof(line) - (size_t)n, "%s%s %lu", i ? ", " : "",
				 vmx_exit_reason_name((uint32_t)best[i]), v->exits[best[i]]);
	kprintf("%s), RIP 0x%lx\n", line, vcpu_rip((struct vcpu *)v));
}

void vm_report(const struct vm *vm)
{
	if (vm->uart_mid_line)
		kprintf("\n");
	report_end(vm);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		report_exits(vm, &vm->vcpus[i]);
}

void vm_destroy(struct vm *vm)
{
	vuart_flush(&vm->uart);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_free(&vm->vcpus[i]);
	if (vm->ept.pml4) {
		vmx_invept(ept_pointer(&vm->ept, false));
		ept_destroy(&vm->ept);
	}
	vmx_invvpid(vm->vpid);
	if (vm->ram_hpa)
		page_free(vm->ram_hpa, vm->ram_size / PAGE_SIZE);
	if (vm->io_bitmap)
		page_free(vm->io_bitmap, 2);
	if (vm->msr_bitmap)
		page_free(vm->msr_bitmap, 1);
	vm->state = VM_FREE;
}

static bool in_ram(const struct vm *vm, gpa_t gpa, size_t len)
{
	return gpa < vm->ram_size && len <= vm->ram_size - gpa;
}

int vm_read_gpa(struct vm *vm, gpa_t gpa, void *dst, size_t len)
{
	if (!in_ram(vm, gpa, len))
		return HV_ERANGE;
	memcpy(dst, (uint8_t *)phys_to_virt(vm->ram_hpa) + gpa, len);
	return 0;
}

int vm_write_gpa(struct vm *vm, gpa_t gpa, const void *src, size_t len)
{
	if (!in_ram(vm, gpa, len))
		return HV_ERANGE;
	memcpy((uint8_t *)phys_to_virt(vm->ram_hpa) + gpa, src, len);
	return 0;
}
