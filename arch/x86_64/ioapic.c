/* The host's I/O APIC (include/arch/ioapic.h): an index register and a
 * data window (IOREGSEL at 0x00, IOWIN at 0x10); the version register
 * gives the number of pins, each a 64-bit redirection entry at 0x10 + 2n
 * (82093AA datasheet, 3.2). */
#include <arch/ioapic.h>
#include <hv/acpi.h>
#include <hv/errno.h>
#include <hv/log.h>

#define IOREGSEL         0x00
#define IOWIN            0x10
#define IOAPICVER        0x01
#define IOREDTBL(n)      (0x10 + 2 * (n))

#define REDIR_MASKED     BIT(16)
#define REDIR_LEVEL      BIT(15)
#define REDIR_ACTIVE_LOW BIT(13)

static volatile uint32_t *regs;
static uint32_t base_gsi, pins;

static uint32_t ioapic_read(uint32_t reg)
{
	regs[IOREGSEL / 4] = reg;
	return regs[IOWIN / 4];
}

static void ioapic_write(uint32_t reg, uint32_t val)
{
	regs[IOREGSEL / 4] = reg;
	regs[IOWIN / 4] = val;
}

int ioapic_init(uint64_t addr, uint32_t gsi_base)
{
	if (!addr || addr >= (4ULL << 30))
		return HV_EINVAL;
	regs = (volatile uint32_t *)(uintptr_t)addr;
	base_gsi = gsi_base;
	pins = ((ioapic_read(IOAPICVER) >> 16) & 0xff) + 1;
	for (uint32_t i = 0; i < pins; i++) {
		ioapic_write(IOREDTBL(i) + 1, 0);
		ioapic_write(IOREDTBL(i), REDIR_MASKED);
	}
	pr_info("I/O APIC at 0x%lx: %u pins from GSI %u, all masked", addr, pins, gsi_base);
	return 0;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest, unsigned flags)
{
	uint32_t pin = gsi - base_gsi, lo = vector;

	if (!regs || gsi < base_gsi || pin >= pins || dest > 0xff)
		return HV_ERANGE;
	if (flags & ACPI_IRQ_LEVEL)
		lo |= REDIR_LEVEL;
	if (flags & ACPI_IRQ_ACTIVE_LOW)
		lo |= REDIR_ACTIVE_LOW;
	/* Physical destination mode, fixed delivery: an 8-bit APIC ID in
	 * bits 63:56 (the datasheet's; x2APIC IDs above 255 need interrupt
	 * remapping, which the hypervisor does not use). */
	ioapic_write(IOREDTBL(pin) + 1, dest << 24);
	ioapic_write(IOREDTBL(pin), lo);
	return 0;
}
