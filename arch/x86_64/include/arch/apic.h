/* The hypervisor's own local APIC on each CPU (SDM Vol. 3A chapter 11):
 * x2APIC mode where the CPU offers it (11.12), else xAPIC through its MMIO
 * page.  Guests never reach it: theirs is the virtual one (src/dev/vlapic.c). */
#ifndef ARCH_APIC_H
#define ARCH_APIC_H

#include <hv/types.h>

/* ICR delivery modes and flags (11.6.1, Figure 11-12). */
#define ICR_DM_NMI      (4u << 8)
#define ICR_DM_INIT     (5u << 8)
#define ICR_DM_STARTUP  (6u << 8)
#define ICR_LEVEL_ASSERT BIT(14)

/* The boot CPU chooses the mode for the machine (every CPU must use the
 * same: IPIs are addressed by APIC ID in its width); then each CPU,
 * the boot CPU first, enables its APIC in that mode. */
void apic_choose_mode(void);
void apic_init_cpu(void);
bool apic_x2apic(void);
uint32_t apic_id(void);
/* This CPU's timer (TSC-deadline mode): an interrupt (VECTOR_TIMER) when
 * the TSC reaches tsc; 0 disarms.  False where the CPU has no TSC-deadline
 * timer. */
bool apic_timer_at(uint64_t tsc);
/* The end of the interrupt in service (11.8.5). */
void apic_eoi(void);
/* Send an IPI (its ICR low word: vector, delivery mode, flags) to the CPU
 * with APIC ID dest.  0, or HV_EBUSY when an xAPIC did not finish sending. */
int apic_send_ipi(uint32_t dest, uint32_t icr_lo);

#endif
