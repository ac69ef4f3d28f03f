/* A fake architecture for host tests of the exit path (fake_arch.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hv/errno.h>
#include <hv/x86.h>

#include "fake_arch.h"

struct vcpu_arch {
	uint64_t hw[VREG_COUNT];
	unsigned reads[VREG_COUNT];
	uint8_t xmm[16][16];
};

struct vm_arch {
	int unused;
};

/* ---- guest state ---- */

uint64_t arch_vcpu_read(struct vcpu *v, enum vreg r)
{
	v->arch->reads[r]++;
	return v->arch->hw[r];
}

void arch_vcpu_xmm_read(struct vcpu *v, unsigned n, uint8_t val[16])
{
	memcpy(val, v->arch->xmm[n], 16);
}

void arch_vcpu_xmm_write(struct vcpu *v, unsigned n, const uint8_t val[16])
{
	memcpy(v->arch->xmm[n], val, 16);
}

/* Segment registers and the GDTR: fake_arch.h's fake_segs and fake_gdtr. */
struct vseg fake_segs[VSEG_COUNT];
uint64_t fake_gdtr_base;
uint32_t fake_gdtr_limit;

void arch_vcpu_seg_read(struct vcpu *v, enum vseg_id s, struct vseg *out)
{
	(void)v;
	*out = fake_segs[s];
}

void arch_vcpu_seg_write(struct vcpu *v, enum vseg_id s, const struct vseg *in)
{
	(void)v;
	fake_segs[s] = *in;
}

void arch_vcpu_gdtr(struct vcpu *v, uint64_t *base, uint32_t *limit)
{
	(void)v;
	*base = fake_gdtr_base;
	*limit = fake_gdtr_limit;
}

/* No MOV-DR exiting here: v->breakpoints_off stays false, DR7 is read. */
void arch_vcpu_watch_breakpoints(struct vcpu *v) { (void)v; }

void fake_hw_set(struct vcpu *v, enum vreg r, uint64_t val) { v->arch->hw[r] = val; }
uint64_t fake_hw(struct vcpu *v, enum vreg r) { return v->arch->hw[r]; }
unsigned fake_hw_reads(struct vcpu *v, enum vreg r) { return v->arch->reads[r]; }

void fake_exit(struct vcpu *v)
{
	v->regs.avail = 0;
	v->insn_len = 0;
	memset(v->arch->reads, 0, sizeof(v->arch->reads));
}

void fake_entry(struct vcpu *v)
{
	for (int r = 0; r < VREG_COUNT; r++)
		if (v->regs.dirty & BIT(r))
			v->arch->hw[r] = v->regs.val[r];
	v->regs.dirty = 0;
}

static void vm_init(struct vm *vm, void *ram, uint64_t ram_size, struct vcpu_arch *arch)
{
	memset(vm, 0, sizeof(*vm));
	memset(ram, 0, ram_size);
	memset(arch, 0, sizeof(*arch));
	vm->id = 1;
	vm->state = VM_RUNNING;
	strcpy(vm->name, "fake");
	vm->ram_size = ram_size;
	vm->ram_hpa = (paddr_t)(uintptr_t)ram;
	vm->mem = (struct gmem){ ram, ram_size, NULL };
	io_bus_init(&vm->pio);
	io_bus_init(&vm->mmio);
	vm_console_init(&vm->console, vm->name);
	vm->nr_vcpus = 1;
	vm->vcpus[0].vm = vm;
	vm->vcpus[0].arch = arch;
	vm->vcpus[0].feat = (struct vcpu_features){ .maxphyaddr = 39, .host_max_leaf = 0xd,
						    .cr4_valid = 0x3727ff & ~(uint64_t)CR4_VMXE };
}

struct vm *fake_vm(uint64_t ram_size)
{
	struct vm *vm = malloc(sizeof(*vm));
	struct vcpu_arch *arch = malloc(sizeof(*arch));
	void *ram = NULL;

	if (!vm || !arch || posix_memalign(&ram, 4096, ram_size))
		abort();
	vm_init(vm, ram, ram_size, arch);
	return vm;
}

void fake_vm_init(struct vm *vm, void *ram, uint64_t ram_size)
{
	static struct vcpu_arch arch;

	vm_init(vm, ram, ram_size, &arch);
}

static int no_console_input(struct vm *vm) { (void)vm; return -1; }

void fake_platform(struct vm *vm)
{
	struct platform_host host = { arch_tsc, FAKE_TSC_HZ, no_console_input, 0 };
	uint64_t rsdp;

	if (platform_init(vm, &host, false, &rsdp))
		abort();
}

void fake_vm_free(struct vm *vm)
{
	free(vm->vcpus[0].arch);
	free((void *)(uintptr_t)vm->ram_hpa);
	free(vm);
}

/* ---- CPUID ---- */

#define FAKE_CPUID_MAX 64
static struct {
	uint32_t leaf, subleaf;
	struct cpuid_regs r;
} cpuid_table[FAKE_CPUID_MAX];
static unsigned cpuid_count;

void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx,
		    uint32_t edx)
{
	for (unsigned i = 0; i < cpuid_count; i++) {
		if (cpuid_table[i].leaf == leaf && cpuid_table[i].subleaf == subleaf) {
			cpuid_table[i].r = (struct cpuid_regs){ eax, ebx, ecx, edx };
			return;
		}
	}
	if (cpuid_count == FAKE_CPUID_MAX)
		abort();
	cpuid_table[cpuid_count++] = (typeof(cpuid_table[0])){ leaf, subleaf, { eax, ebx, ecx, edx } };
}

void fake_cpuid_clear(void) { cpuid_count = 0; }

void arch_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r)
{
	*r = (struct cpuid_regs){ 0, 0, 0, 0 };
	for (unsigned i = 0; i < cpuid_count; i++)
		if (cpuid_table[i].leaf == leaf && cpuid_table[i].subleaf == subleaf)
			*r = cpuid_table[i].r;
}

/* ---- time ---- */

uint64_t fake_tsc_now = 1000;
uint64_t arch_tsc(void) { return fake_tsc_now; }
uint64_t arch_tsc_hz(void) { return FAKE_TSC_HZ; }
uint64_t arch_rtc_epoch(void) { return 0; }
unsigned arch_this_cpu(void) { return 0; }
void arch_cpu_kick(unsigned cpu) { (void)cpu; }
struct vcpu *arch_current_vcpu(void) { return NULL; }
void arch_cpu_wait(uint64_t until) { (void)until; }

/* ---- console ---- */

static char console_buf[1 << 16];
static size_t console_len;

void arch_uart_init(uint16_t port, uint32_t baud) { (void)port; (void)baud; }
void arch_uart_putc(uint16_t port, char c)
{
	(void)port;
	if (console_len + 1 < sizeof(console_buf))
		console_buf[console_len++] = c;
	console_buf[console_len] = '\0';
}
int arch_uart_getc(uint16_t port) { (void)port; return -1; }
void arch_uart_drain(uint16_t port) { (void)port; }
const char *fake_console(void) { return console_buf; }
void fake_console_clear(void) { console_len = 0; console_buf[0] = '\0'; }

/* ---- what the tests never reach ---- */

char __image_start[1], __image_end[1];

int arch_vm_create(struct vm *vm) { (void)vm; return 0; }
int arch_vm_unmap_page(struct vm *vm, uint64_t gpa) { (void)vm; (void)gpa; return 0; }
int arch_vm_map_page(struct vm *vm, uint64_t gpa, paddr_t hpa)
{
	(void)vm;
	(void)gpa;
	(void)hpa;
	return 0;
}
void arch_vm_destroy(struct vm *vm) { (void)vm; }
struct vcpu_start fake_last_start;

int arch_vcpu_create(struct vcpu *v, const struct vcpu_start *start)
{
	fake_last_start = *start;
	v->arch = calloc(1, sizeof(struct vcpu_arch));
	return v->arch ? 0 : HV_ENOMEM;
}
void arch_vcpu_destroy(struct vcpu *v) { free(v->arch); v->arch = NULL; }
int arch_vcpu_run(struct vcpu *v) { (void)v; return 0; }
void arch_vcpu_report_exits(const struct vcpu *v) { (void)v; }
uint64_t arch_vcpu_exit_count(const struct vcpu *v) { (void)v; return 0; }
void arch_describe_cpu(char *buf, size_t len) { snprintf(buf, len, "fake"); }
void arch_power_init(const struct boot_info *bi) { (void)bi; }
int arch_virt_init(void) { return 0; }
void arch_fault_test(void) {}
bool arch_nmi_test(void) { return true; }
void arch_power_off(void) { abort(); }
void arch_reset(void) { abort(); }
bool arch_vcpu_debug_update(struct vcpu *v) { return !v->debug_step; }
bool arch_uart_present(uint16_t port) { (void)port; return false; }
bool arch_random64(uint64_t *v) { (void)v; return false; }

/* The shell's statistics: three exit reasons, counts set by the tests. */
struct exit_stats fake_exit_stats[MAX_VCPUS_PER_VM][FAKE_EXIT_REASONS];
uint64_t fake_vm_pages = 7;

unsigned arch_exit_reasons(void) { return FAKE_EXIT_REASONS; }

const char *arch_exit_reason_name(unsigned reason)
{
	static const char *const names[FAKE_EXIT_REASONS] = { "EXCEPTION_NMI", "CPUID", "HLT" };

	return reason < FAKE_EXIT_REASONS ? names[reason] : "?";
}

void arch_vcpu_exit_stats(const struct vcpu *v, unsigned reason, struct exit_stats *s)
{
	*s = reason < FAKE_EXIT_REASONS ? fake_exit_stats[v->id][reason] : (struct exit_stats){ 0 };
}

void arch_vcpu_stats_reset(struct vcpu *v)
{
	memset(fake_exit_stats[v->id], 0, sizeof(fake_exit_stats[v->id]));
}

uint64_t arch_vm_pages(const struct vm *vm) { (void)vm; return fake_vm_pages; }
void arch_halt_forever(void) { abort(); }

void fake_protected_mode(struct vcpu *v)
{
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_ET);
	fake_hw_set(v, VREG_CS_AR, 0xc09b);   /* present code, DPL 0, D/B = 1 */
	fake_hw_set(v, VREG_SS_AR, 0xc093);   /* present data, DPL 0 */
	fake_hw_set(v, VREG_RFLAGS, 2);
}

/* Dirty-page logging: a CPU with neither PML nor EPT dirty flags. */
bool arch_dirty_has(enum dirty_mode m) { (void)m; return false; }
enum dirty_mode arch_dirty_best(void) { return DIRTY_OFF; }
int arch_vm_dirty_start(struct vm *vm, enum dirty_mode m) { (void)vm; (void)m; return HV_ENOTSUP; }
void arch_vm_dirty_collect(struct vm *vm) { (void)vm; }
void arch_vm_dirty_rearm(struct vm *vm, const uint64_t *taken) { (void)vm; (void)taken; }
void arch_vm_dirty_stop(struct vm *vm) { (void)vm; }
