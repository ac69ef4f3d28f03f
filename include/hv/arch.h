/* What portable code (src/) asks of the architecture layer: the only way
 * across the line, which the build enforces (src/ is compiled without the
 * arch headers).  arch/x86_64/ implements these; the host unit tests fake
 * the ones they need (tests/unit/fake_arch.c). */
#ifndef HV_ARCH_H
#define HV_ARCH_H

#include <hv/bootinfo.h>
#include <hv/dirty.h>
#include <hv/types.h>
#include <hv/x86.h>

struct vm;
struct vcpu;
struct vcpu_start;

/* The portable boot sequence (src/core/main.c), which the arch's entry
 * calls once its console and CPU tables are up, with the boot loader's
 * magic value and information. */
void hv_start(uint32_t magic, const void *mbi) __attribute__((noreturn));

/* ---- the boot CPU's start-up (arch/x86_64/setup.c) ---- */
/* One line describing the CPU for the banner. */
void arch_describe_cpu(char *buf, size_t len);
/* Find the ACPI power-management registers (power-off, reset). */
void arch_power_init(const struct boot_info *bi);
/* Measure the TSC and bring up virtualization on the boot CPU; prints what
 * it found, or the one line saying what is missing.  0 or HV_E*. */
int arch_virt_init(void);
/* Command-line tests of the hypervisor's own fault and NMI paths, and of
 * the VM-entry mitigations on a CPU that needs none (VERW forced). */
void arch_fault_test(void);
bool arch_nmi_test(void);
void arch_spec_test(void);
void arch_power_off(void) __attribute__((noreturn));
/* Reset the machine (ACPI reset register, port 0xCF9, the keyboard controller). */
void arch_reset(void) __attribute__((noreturn));
void arch_halt_forever(void) __attribute__((noreturn));

/* ---- physical CPUs (arch/x86_64/smp.c) ---- */
/* Start the other CPUs of the machine (absent_apic_id >= 0: one more,
 * which does not exist, to test the start-up timeout) into VMX root
 * operation, after arch_virt_init().  Returns how many are online. */
unsigned arch_cpus_start(int64_t absent_apic_id);
/* CPUs are numbered 0 (the boot CPU) to arch_cpu_max() - 1; a CPU that
 * did not come up is not online. */
unsigned arch_cpu_max(void);
bool arch_cpu_online(unsigned cpu);
uint32_t arch_cpu_apic_id(unsigned cpu);
unsigned arch_this_cpu(void);
/* The vCPU this CPU runs now (during its exits), or NULL. */
struct vcpu *arch_current_vcpu(void);
/* An online CPU other than the boot CPU runs work(cpu), then idles; until
 * then it waits.  The boot CPU calls its own work itself. */
void arch_cpu_release(unsigned cpu, void (*work)(unsigned cpu));
/* Make the CPU leave its guest at once (a host IPI; the exit runs
 * vcpu_host_interrupt).  Nothing for this CPU or one that is not online. */
void arch_cpu_kick(unsigned cpu);
/* Wait until the host TSC reaches until (UINT64_MAX: no time) or an
 * interrupt comes (a kick, the console): the CPU sleeps meanwhile where
 * it has a timer; may return early. */
void arch_cpu_wait(uint64_t until);
/* Nothing more to do here: wait for interrupts, for ever. */
void arch_cpu_idle_forever(void) __attribute__((noreturn));

/* ---- the hypervisor's interrupts (arch/x86_64/irq.c) ---- */
/* Console input by interrupt: the UART at port raises its receive
 * interrupt, which calls console_in_interrupt().  False when it cannot
 * (no I/O APIC, a port with no ISA IRQ): then input must be polled. */
bool arch_console_irq_start(uint16_t port);

/* ---- the host's serial port (arch/x86_64/uart.c) ---- */
void arch_uart_init(uint16_t port, uint32_t baud);
/* A 16550 answers at port (its scratch register keeps what is written). */
bool arch_uart_present(uint16_t port);
void arch_uart_putc(uint16_t port, char c);
int arch_uart_getc(uint16_t port);   /* a received byte, or -1 */
void arch_uart_drain(uint16_t port);
void arch_uart_rx_interrupt(uint16_t port, bool on);

/* ---- time (arch/x86_64/tsc.c, rtc.c) ---- */
uint64_t arch_tsc(void);
uint64_t arch_tsc_hz(void);          /* measured at boot; never 0 */
uint64_t arch_rtc_epoch(void);       /* seconds since 1970, or 0 */

/* Eight bytes from the CPU's random number generator (RDRAND): false
 * where it has none or it fails. */
bool arch_random64(uint64_t *v);

/* ---- the CPU's identification (CPUID) ---- */
void arch_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *r);

/* ---- VMs and vCPUs (arch/x86_64/vmx/) ---- */
/* The VM's second-level page tables mapping its RAM, its I/O and MSR
 * intercepts: 0 or HV_E*; arch_vm_destroy undoes what was made. */
int arch_vm_create(struct vm *vm);
void arch_vm_destroy(struct vm *vm);
int arch_vcpu_create(struct vcpu *v, const struct vcpu_start *start);
void arch_vcpu_destroy(struct vcpu *v);
/* Run the vCPU until its VM ends: 0, or HV_E* if it could not start. */
int arch_vcpu_run(struct vcpu *v);
/* Its VM exits by reason, one console line each. */
void arch_vcpu_report_exits(const struct vcpu *v);
/* Its VM exits so far (read from any CPU: a snapshot). */
uint64_t arch_vcpu_exit_count(const struct vcpu *v);
/* The shell's stats: exits of one basic reason (0..arch_exit_reasons()-1)
 * and the VMREADs and VMWRITEs they cost, the exit reason's VMREAD
 * included; the reason's name; back to zero (from any CPU: counts taken
 * meanwhile may be lost). */
struct exit_stats {
	uint64_t exits, reads, writes;
};
unsigned arch_exit_reasons(void);
const char *arch_exit_reason_name(unsigned reason);
void arch_vcpu_exit_stats(const struct vcpu *v, unsigned reason, struct exit_stats *s);
void arch_vcpu_stats_reset(struct vcpu *v);
/* One 4 KiB page of the VM's guest-physical space taken out of its
 * second-level tables, or mapped (write-back, RWX) to host page hpa (a
 * balloon's pages), with this CPU's cached translations of the VM
 * dropped (INVEPT).  Other CPUs are not told: for VMs with one vCPU, on
 * the CPU that runs it. */
int arch_vm_unmap_page(struct vm *vm, uint64_t gpa);
int arch_vm_map_page(struct vm *vm, uint64_t gpa, paddr_t hpa);
/* Dirty-page logging (arch/x86_64/vmx/dirty.c; hv/vm.h says the order):
 * whether the CPU has a mode, and its best (DIRTY_OFF: none); start
 * (guest RAM in 4 KiB pages, the dirty flags cleared, the mode set for
 * the vCPUs' next sync), 0 or HV_ENOMEM; collect what only the tables
 * hold into vm->dirty; clear the dirty flags of the pages taken; stop
 * (for the next sync). */
bool arch_dirty_has(enum dirty_mode mode);
enum dirty_mode arch_dirty_best(void);
int arch_vm_dirty_start(struct vm *vm, enum dirty_mode mode);
void arch_vm_dirty_collect(struct vm *vm);
void arch_vm_dirty_rearm(struct vm *vm, const uint64_t *taken);
void arch_vm_dirty_stop(struct vm *vm);
/* Pages the arch holds for the VM beside its RAM: second-level page
 * tables, intercept bitmaps, a VMCS per vCPU (the shell's mem). */
uint64_t arch_vm_pages(const struct vm *vm);

#endif
