/* The machine's I/O APIC (82093AA datasheet; SDM Vol. 3A 11.1): the
 * hypervisor's own, never a guest's (theirs is src/dev/vioapic.c). */
#ifndef ARCH_IOAPIC_H
#define ARCH_IOAPIC_H

#include <hv/types.h>

/* Map it and mask every pin; its pin 0 is GSI gsi_base.  0 or HV_E*. */
int ioapic_init(uint64_t addr, uint32_t gsi_base);
/* Deliver GSI gsi as vector to the CPU with APIC ID dest (fixed,
 * physical); ACPI_IRQ_* flags give polarity and trigger mode. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest, unsigned flags);

#endif
