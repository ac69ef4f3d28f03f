/* Switching the real machine off or resetting it, via ACPI with legacy
 * fallbacks, so that test runs on QEMU and Bochs end by themselves. */
#ifndef ARCH_POWER_H
#define ARCH_POWER_H

#include <hv/acpi.h>
#include <hv/bootinfo.h>

/* Find the ACPI tables (the loader's RSDP copy in bi, else a scan of the
 * BIOS areas) and remember the PM1 control, \_S5 and reset register values.
 * Expects physical memory below 4 GiB to be identity-mapped.  Logs one line.
 * Returns 0 or a negative HV_E* code; power_off() and power_reset() work
 * either way, falling back to legacy mechanisms. */
int power_init(const struct boot_info *bi);
/* The RSDP power_init() found, or NULL; and the map for acpi_* calls on
 * the host's tables (physical memory below 4 GiB, identity-mapped). */
const struct acpi_rsdp *host_acpi_rsdp(void);
const void *host_phys_map(void *ctx, uint64_t phys, size_t len);

/* Enter ACPI S5 (soft off); if that does not take, try the Bochs/QEMU APM
 * port, then log an error and halt with interrupts off. */
void power_off(void) __attribute__((noreturn));

/* Reset through the ACPI reset register (system I/O space only), port 0xCF9,
 * then the keyboard controller; halt if all of them fail. */
void power_reset(void) __attribute__((noreturn));

#endif
