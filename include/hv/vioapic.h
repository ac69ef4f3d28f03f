/* A guest's I/O APIC: 24 redirection entries behind the IOREGSEL/IOWIN
 * register window at 0xfec00000, plus the EOI register of version 0x20
 * I/O APICs (ICH and later).  Devices drive pins with vioapic_set_irq();
 * interrupts leave through a delivery callback (to the local APIC), and
 * the local APIC's EOI of a level-triggered vector comes back through
 * vioapic_eoi(). */
#ifndef HV_VIOAPIC_H
#define HV_VIOAPIC_H

#include <hv/io.h>
#include <hv/types.h>

#define VIOAPIC_BASE      0xfec00000ull
#define VIOAPIC_MMIO_SIZE 0x1000
#define VIOAPIC_PINS      24
#define VIOAPIC_VERSION   0x20

/* Redirection entry bits (82093AA datasheet, 3.2.4). */
#define VIOAPIC_RTE_VECTOR      0xffull
#define VIOAPIC_RTE_DELMODE_SHIFT 8
#define VIOAPIC_RTE_LOGICAL     BIT(11)
#define VIOAPIC_RTE_DELIVS      BIT(12)
#define VIOAPIC_RTE_ACTIVE_LOW  BIT(13)
#define VIOAPIC_RTE_REMOTE_IRR  BIT(14)
#define VIOAPIC_RTE_LEVEL       BIT(15)
#define VIOAPIC_RTE_MASKED      BIT(16)
#define VIOAPIC_RTE_DEST_SHIFT  56

/* Deliver an interrupt message: vector, destination field, trigger mode,
 * delivery mode (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT,
 * 7 ExtINT) and destination mode (true: logical). */
typedef void (*vioapic_deliver_fn)(void *ctx, uint8_t vector, uint8_t dest, bool level,
				   uint8_t delivery_mode, bool logical);

struct vioapic {
	uint32_t ioregsel;
	uint8_t id;                       /* bits 27-24 of register 0x00 */
	uint8_t arb_id;
	uint32_t lines;                   /* input pin levels, 1 = asserted */
	uint64_t redir[VIOAPIC_PINS];
	vioapic_deliver_fn deliver;
	void *ctx;
};

/* Reset state: ID 0, every entry masked. */
void vioapic_init(struct vioapic *io, vioapic_deliver_fn deliver, void *ctx);
/* Registers the 4 KiB window at base (4 KiB aligned) on an MMIO bus. */
int vioapic_attach(struct vioapic *io, struct io_bus *mmio, uint64_t base);
/* 32-bit accesses only; others read 0 and are ignored on write. */
int vioapic_read(void *dev, uint64_t addr, unsigned size, uint64_t *val);
int vioapic_write(void *dev, uint64_t addr, unsigned size, uint64_t val);

/* Drive pin gsi (0-23; others ignored); level true = asserted, whatever
 * the entry's polarity bit says. */
void vioapic_set_irq(struct vioapic *io, unsigned gsi, bool level);
/* EOI of vector by a local APIC: clears Remote IRR of level entries with
 * that vector and delivers again if their pin is still asserted. */
void vioapic_eoi(struct vioapic *io, uint8_t vector);

/* Its section of the state stream (VMS_IOAPIC, hv/vmstate.h), and back:
 * 0, or HV_EINVAL for registers the I/O APIC could not hold (it is left
 * as it was); an asserted level pin that may send sends. */
struct vms_out;
struct vms_section;
void vioapic_save(const struct vioapic *io, struct vms_out *o);
int vioapic_load(struct vioapic *io, struct vms_section *s);

#endif
