/* Virtual machines and virtual CPUs.  A VM owns its guest-physical memory
 * (one contiguous host block mapped at guest-physical 0 through its own
 * EPT), its I/O and MSR bitmaps, its device models and its vCPUs; a vCPU
 * owns a VMCS.  Nothing else in the hypervisor holds guest state. */
#ifndef HV_VM_H
#define HV_VM_H

#include <arch/ept.h>
#include <arch/vmcs.h>
#include <hv/config.h>
#include <hv/io.h>
#include <hv/platform.h>
#include <hv/types.h>
#include <hv/vuart.h>

#define MAX_VMS 16
#define VM_NAME_MAX 32
#define VM_CMDLINE_MAX 256
#define MAX_VCPUS_PER_VM 1

/* General registers the VM-exit stub saves, in x86 register-number order
 * (SDM Vol. 2A table 2-1) so that decoders can index them; the guest's
 * RSP lives in the VMCS and regs[4] is only a scratch copy. */
enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

/* Layout shared with vmx_entry.asm. */
struct guest_regs {
	uint64_t gpr[GPR_COUNT];
	uint64_t cr2;
	uint64_t host_rsp;   /* last value written to VMCS_HOST_RSP */
};

enum vm_state { VM_FREE, VM_CREATED, VM_RUNNING, VM_ENDED };

/* How a VM ended: printed on the console, one line per VM. */
enum vm_end {
	VM_END_NONE,
	VM_END_HYPERCALL,
	VM_END_DEBUG_EXIT,
	VM_END_TRIPLE_FAULT,
	VM_END_POWER_OFF,
	VM_END_ERROR,      /* the guest did something the hypervisor cannot emulate */
	VM_END_ENTRY_FAILED,
	VM_END_HALTED,      /* HLT with no way to wake up again */
	VM_END_RESET,       /* the guest reset its machine */
};

struct vcpu_msrs {
	/* Not switched by the VMCS: swapped in software when a vCPU starts and
	 * stops running on a CPU (the hypervisor itself never uses them). */
	uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
	uint64_t xcr0;
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	paddr_t vmcs;
	bool launched;
	struct guest_regs regs;
	struct vcpu_msrs msrs;

	/* This exit, read once by the dispatcher. */
	uint32_t exit_reason;
	uint64_t exit_qual;
	uint32_t exit_insn_len;

	/* Events to deliver on the next VM entry (event.c). */
	bool exception_pending;
	uint32_t exception_info;   /* VM-entry interruption-information format */
	uint32_t exception_error;
	uint32_t exception_insn_len;
	uint64_t irq_pending[4];   /* external-interrupt vectors, one bit each */
	bool irq_window_armed;
	bool nmi_pending;          /* one NMI latched, as the CPU's NMI pin latches one */
	bool nmi_window_armed;
	bool nmi_window_ok;        /* the CPU has NMI-window exiting (needs virtual NMIs) */

	/* One-shot timer from HC_TIMER, delivered via the preemption timer. */
	uint64_t timer_deadline;   /* TSC; 0 = not armed */
	uint8_t timer_vector;
	bool preemption_timer_on;

	uint32_t pin_ctls, proc_ctls, proc2_ctls, entry_ctls, exit_ctls;

	uint64_t exits[EXIT_REASON_MAX];
	uint64_t vmreads_by_reason[EXIT_REASON_MAX];
	uint64_t vmwrites_by_reason[EXIT_REASON_MAX];
};

struct vm {
	unsigned id;
	enum vm_state state;
	char name[VM_NAME_MAX];
	char cmdline[VM_CMDLINE_MAX];

	uint64_t ram_size;
	paddr_t ram_hpa;           /* host-physical base of guest RAM */
	struct ept ept;
	uint16_t vpid;
	paddr_t io_bitmap;         /* two pages: ports 0-0x7fff, 0x8000-0xffff */
	paddr_t msr_bitmap;

	struct io_bus pio;         /* port I/O devices */
	struct io_bus mmio;        /* MMIO devices (guest-physical ranges left out of EPT) */
	struct vuart uart;
	bool uart_mid_line;                /* the console is inside a guest line */
	uint64_t tsc_offset;               /* guest TSC = host TSC + this (SDM 25.6.5) */
	uint64_t tsc_adjust;               /* IA32_TSC_ADJUST as the guest wrote it */
	uint64_t stats_interval_tsc;       /* 0: no periodic statistics */
	enum entry_fail_test entry_fail_test; /* start with an invalid guest state or control */
	struct platform *platform;         /* NULL: no PC platform (Multiboot guests) */
	struct platform platform_storage;

	struct vcpu vcpus[MAX_VCPUS_PER_VM];
	unsigned nr_vcpus;

	enum vm_end end;
	uint64_t end_status;
	char end_detail[160];
};

/* vm.c: life cycle */
int vm_create(const char *name, const char *cmdline, uint64_t ram_size, struct vm **out);
int vm_load_multiboot(struct vm *vm, const void *image, size_t len);
/* A Linux bzImage with an optional initrd on the PC platform. */
int vm_load_linux(struct vm *vm, const void *kernel, size_t kernel_len, const void *initrd,
		  size_t initrd_len, bool console_input);
int vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);
/* End the VM: the vCPU loop stops at the next check; first reason wins. */
void vm_end(struct vm *vm, enum vm_end how, uint64_t status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void vm_report(const struct vm *vm);
/* One line of a running vCPU's exit counts (stats_interval). */
void vm_report_progress(const struct vcpu *v);
static inline bool vm_ended(const struct vm *vm) { return vm->state == VM_ENDED; }

/* Guest-physical memory access for emulation; HV_ERANGE outside RAM. */
int vm_read_gpa(struct vm *vm, gpa_t gpa, void *dst, size_t len);
int vm_write_gpa(struct vm *vm, gpa_t gpa, const void *src, size_t len);

/* How a vCPU starts: 32-bit protected mode, paging off, flat segments
 * (Multiboot), or 64-bit mode on the loader's page tables (Linux). */
struct vcpu_start {
	bool long_mode;
	uint64_t rip, rsp, cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs_sel, ds_sel;
	uint64_t gpr[GPR_COUNT];
};

/* vcpu.c (arch): VMCS set-up and the run loop */
int vcpu_init(struct vcpu *v, struct vm *vm, unsigned id, const struct vcpu_start *start);
int vcpu_run(struct vcpu *v);
void vcpu_free(struct vcpu *v);
void vcpu_skip_instruction(struct vcpu *v);
/* The next timer event for this vCPU (HC_TIMER or the platform's), or 0. */
uint64_t vcpu_next_event_tsc(struct vcpu *v);
uint64_t vcpu_rip(struct vcpu *v);

/* event.c (arch): event injection */
void vcpu_inject_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
static inline void vcpu_inject_gp(struct vcpu *v) { vcpu_inject_exception(v, 13, true, 0); }
static inline void vcpu_inject_ud(struct vcpu *v) { vcpu_inject_exception(v, 6, false, 0); }
void vcpu_raise_irq(struct vcpu *v, uint8_t vector);
void vcpu_inject_nmi(struct vcpu *v);
void vcpu_inject_nmi_late(struct vcpu *v);
void vcpu_reinject_idt_vectoring(struct vcpu *v);
void vcpu_deliver_events(struct vcpu *v);
bool vcpu_irq_pending(const struct vcpu *v);

#endif
