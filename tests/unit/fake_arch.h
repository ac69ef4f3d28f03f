/* A fake architecture for host tests of the exit path (fake_arch.c): a
 * vCPU whose "hardware" guest state is an array, a VM whose RAM is a host
 * buffer, CPUID answers from a table, a settable TSC, and a console that
 * is captured.  Stands in for arch/x86_64 behind include/hv/arch.h. */
#ifndef FAKE_ARCH_H
#define FAKE_ARCH_H

#include <hv/arch.h>
#include <hv/vm.h>

/* A VM with one vCPU and ram_size bytes of zeroed RAM, no devices. */
struct vm *fake_vm(uint64_t ram_size);
/* The same in the caller's memory (a fuzz harness's, reused run after
 * run; one such VM at a time: its vCPU's fake hardware is static). */
void fake_vm_init(struct vm *vm, void *ram, uint64_t ram_size);
void fake_vm_free(struct vm *vm);
/* Give vm the PC platform (local APIC and the rest) on the fake clock:
 * its RAM must hold the ACPI tables (1 MiB or more). */
void fake_platform(struct vm *vm);
static inline uint8_t *fake_ram(struct vm *vm) { return (uint8_t *)(uintptr_t)vm->ram_hpa; }

/* The guest state in the "hardware", as a VM exit would find it.  A new
 * exit starts with an empty register cache (fake_exit()); what handlers
 * set reaches the hardware at the next entry (fake_entry()). */
void fake_hw_set(struct vcpu *v, enum vreg r, uint64_t val);
uint64_t fake_hw(struct vcpu *v, enum vreg r);
unsigned fake_hw_reads(struct vcpu *v, enum vreg r);
void fake_exit(struct vcpu *v);
/* 32-bit protected mode, paging off, ring 0 (flat 32-bit code and data). */
void fake_protected_mode(struct vcpu *v);
void fake_entry(struct vcpu *v);

/* CPUID answers of the fake host CPU (all zeros where none is set). */
void fake_cpuid_set(uint32_t leaf, uint32_t subleaf, uint32_t eax, uint32_t ebx, uint32_t ecx,
		    uint32_t edx);
void fake_cpuid_clear(void);

extern uint64_t fake_tsc_now;
/* The state the last vCPU created (arch_vcpu_create) was to start in. */
extern struct vcpu_start fake_last_start;

/* The segment registers and GDTR the fake architecture keeps (one vCPU's:
 * enough for the task-switch tests). */
extern struct vseg fake_segs[VSEG_COUNT];
extern uint64_t fake_gdtr_base;
extern uint32_t fake_gdtr_limit;
#define FAKE_TSC_HZ 100000000ULL

/* The shell's exit statistics: reasons 0 EXCEPTION_NMI, 1 CPUID, 2 HLT,
 * per vCPU id; the pages arch_vm_pages() reports for any VM. */
#define FAKE_EXIT_REASONS 3
extern struct exit_stats fake_exit_stats[MAX_VCPUS_PER_VM][FAKE_EXIT_REASONS];
extern uint64_t fake_vm_pages;

/* Everything printed on the hypervisor console since the last clear. */
const char *fake_console(void);
void fake_console_clear(void);

#endif
