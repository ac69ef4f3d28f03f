/* Starting the application processors (smp.c). */
#ifndef ARCH_SMP_H
#define ARCH_SMP_H

#include <hv/types.h>

/* Start every CPU the MADT lists (and absent_apic_id too, when it is not
 * -1: a test of the start-up timeout) and bring each into VMX root
 * operation.  Prints the CPUs found and one line for each that does not
 * come up.  Returns how many CPUs are online, the boot CPU included. */
unsigned smp_start_cpus(int64_t absent_apic_id);
/* The MADT smp_start_cpus() read, or NULL. */
struct acpi_cpus;
const struct acpi_cpus *smp_madt(void);

#endif
