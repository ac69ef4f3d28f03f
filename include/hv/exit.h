/* VM-exit handling: the dispatcher (exit.c) and the helpers handlers share. */
#ifndef HV_EXIT_H
#define HV_EXIT_H

#include <arch/vmx.h>
#include <hv/vm.h>

typedef void (*exit_handler_fn)(struct vcpu *v);

void vcpu_handle_exit(struct vcpu *v);
void vcpu_entry_failed_exit(struct vcpu *v, uint32_t reason);

/* One handler per concern, each in its own file. */
void handle_cpuid(struct vcpu *v);          /* exit_cpuid.c */
void handle_rdmsr(struct vcpu *v);          /* exit_msr.c */
void handle_wrmsr(struct vcpu *v);
void handle_cr_access(struct vcpu *v);      /* exit_cr.c */
void handle_xsetbv(struct vcpu *v);
void handle_io(struct vcpu *v);             /* exit_io.c */
void handle_ept_violation(struct vcpu *v);  /* exit_ept.c */
void handle_ept_misconfig(struct vcpu *v);
void handle_vmcall(struct vcpu *v);         /* src/core/hypercall.c */
void msr_bitmap_init(void *page, bool rdtscp);

uint64_t vcpu_gpr_read(struct vcpu *v, unsigned reg);
void vcpu_gpr_write(struct vcpu *v, unsigned reg, uint64_t val);
uint64_t vcpu_real_cr0(const struct vmx_caps *caps, uint64_t guest_cr0);
uint64_t vcpu_real_cr4(const struct vmx_caps *caps, uint64_t guest_cr4);
/* Whether the guest runs with 64-bit code (CS.L in IA-32e mode). */
bool vcpu_long_mode(struct vcpu *v);
/* Copy from/to the guest's linear address space, walking its page
 * tables (guest_mem.c).  On a guest page fault, #PF is injected and
 * HV_ENOENT returned; HV_ERANGE if it points outside guest RAM. */
int vcpu_read_gva(struct vcpu *v, uint64_t gva, void *dst, size_t len);
int vcpu_write_gva(struct vcpu *v, uint64_t gva, const void *src, size_t len);

#endif
