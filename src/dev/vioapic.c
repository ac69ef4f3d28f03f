/* I/O APIC model.  Section numbers are from the Intel 82093AA I/O APIC
 * datasheet (order no. 290566); the EOI register and version 0x20 are
 * those of the ICH's I/O APIC, which Linux uses instead of the
 * edge-then-level trick to clear a stuck Remote IRR.
 *
 * Messages are delivered at once, so Delivery Status (bit 12) always
 * reads 0.  Pin levels are logical (asserted or not): the polarity bit is
 * kept for the guest to read back but inverts nothing, since the board's
 * wiring is not modelled. */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vioapic.h>
#include <hv/vmstate.h>

/* Memory-mapped registers (3.1) and indirect registers (3.2). */
#define MMIO_IOREGSEL 0x00
#define MMIO_IOWIN    0x10
#define MMIO_EOI      0x40
#define REG_ID        0x00
#define REG_VER       0x01
#define REG_ARB       0x02
#define REG_REDIR     0x10  /* entry n: low half at 0x10 + 2n, high at +1 */

#define ID_SHIFT 24
#define ID_MASK  0x0f
#define VER_MAX_REDIR_SHIFT 16

/* Delivery Status and Remote IRR are read-only; bits 17-55 reserved. */
#define RTE_WRITABLE (0xff00000000000000ull | VIOAPIC_RTE_MASKED | VIOAPIC_RTE_LEVEL | \
		      VIOAPIC_RTE_ACTIVE_LOW | VIOAPIC_RTE_LOGICAL | 0x7ffull)

static void send(struct vioapic *io, uint64_t e)
{
	if (!io->deliver)
		return;
	io->deliver(io->ctx, (uint8_t)(e & VIOAPIC_RTE_VECTOR),
		    (uint8_t)(e >> VIOAPIC_RTE_DEST_SHIFT), e & VIOAPIC_RTE_LEVEL,
		    (uint8_t)((e >> VIOAPIC_RTE_DELMODE_SHIFT) & 7), e & VIOAPIC_RTE_LOGICAL);
}

/* A level entry sends while its pin is asserted, unmasked and no earlier
 * message awaits the local APIC's EOI (Remote IRR, 3.2.4). */
static void service_level(struct vioapic *io, unsigned pin)
{
	uint64_t *e = &io->redir[pin];

	if (!(*e & VIOAPIC_RTE_LEVEL) || (*e & (VIOAPIC_RTE_MASKED | VIOAPIC_RTE_REMOTE_IRR)))
		return;
	if (!(io->lines & (1u << pin)))
		return;
	*e |= VIOAPIC_RTE_REMOTE_IRR;
	send(io, *e);
}

void vioapic_init(struct vioapic *io, vioapic_deliver_fn deliver, void *ctx)
{
	memset(io, 0, sizeof(*io));
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		io->redir[i] = VIOAPIC_RTE_MASKED;
	io->deliver = deliver;
	io->ctx = ctx;
}

/* Edge pins send on a rising edge; an edge on a masked pin is lost, not
 * held pending (3.2.4, Interrupt Mask). */
void vioapic_set_irq(struct vioapic *io, unsigned gsi, bool level)
{
	uint32_t bit;
	bool rising;
	uint64_t e;

	if (gsi >= VIOAPIC_PINS)
		return;
	bit = 1u << gsi;
	rising = level && !(io->lines & bit);
	io->lines = level ? io->lines | bit : io->lines & ~bit;
	e = io->redir[gsi];
	if (e & VIOAPIC_RTE_LEVEL)
		service_level(io, gsi);
	else if (rising && !(e & VIOAPIC_RTE_MASKED))
		send(io, e);
}

void vioapic_eoi(struct vioapic *io, uint8_t vector)
{
	for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
		uint64_t *e = &io->redir[i];

		if (!(*e & VIOAPIC_RTE_REMOTE_IRR) || (*e & VIOAPIC_RTE_VECTOR) != vector)
			continue;
		*e &= ~VIOAPIC_RTE_REMOTE_IRR;
		service_level(io, i);
	}
}

static uint32_t read_reg(const struct vioapic *io, uint32_t reg)
{
	unsigned pin = (reg - REG_REDIR) / 2;

	switch (reg) {
	case REG_ID: return (uint32_t)io->id << ID_SHIFT;
	case REG_VER: return VIOAPIC_VERSION | (VIOAPIC_PINS - 1) << VER_MAX_REDIR_SHIFT;
	case REG_ARB: return (uint32_t)io->arb_id << ID_SHIFT;
	default: break;
	}
	if (reg < REG_REDIR || pin >= VIOAPIC_PINS)
		return 0;
	return (uint32_t)(io->redir[pin] >> (reg & 1 ? 32 : 0));
}

/* Writing half an entry keeps the read-only bits.  Switching an entry to
 * edge clears Remote IRR (what older Linux relies on to unstick it), and
 * unmasking an asserted level pin sends at once. */
static void write_redir(struct vioapic *io, unsigned pin, bool high, uint32_t v)
{
	uint64_t *e = &io->redir[pin];
	uint64_t shift = high ? 32 : 0;
	uint64_t half = 0xffffffffull << shift;
	uint64_t w = RTE_WRITABLE & half;

	*e = (*e & ~w) | (((uint64_t)v << shift) & w);
	if (!(*e & VIOAPIC_RTE_LEVEL))
		*e &= ~VIOAPIC_RTE_REMOTE_IRR;
	service_level(io, pin);
}

static void write_reg(struct vioapic *io, uint32_t reg, uint32_t v)
{
	unsigned pin = (reg - REG_REDIR) / 2;

	if (reg == REG_ID) {
		/* The arbitration ID is loaded from the ID when it is written
		 * (3.2.3). */
		io->id = (v >> ID_SHIFT) & ID_MASK;
		io->arb_id = io->id;
		return;
	}
	if (reg < REG_REDIR || pin >= VIOAPIC_PINS)
		return;  /* version and arbitration are read-only */
	write_redir(io, pin, reg & 1, v);
}

int vioapic_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	struct vioapic *io = dev;
	uint64_t off = addr & (VIOAPIC_MMIO_SIZE - 1);

	*val = 0;
	if (size != 4)
		return 0;
	if (off == MMIO_IOREGSEL)
		*val = io->ioregsel;
	else if (off == MMIO_IOWIN)
		*val = read_reg(io, io->ioregsel);
	return 0;
}

int vioapic_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct vioapic *io = dev;
	uint64_t off = addr & (VIOAPIC_MMIO_SIZE - 1);

	if (size != 4)
		return 0;
	if (off == MMIO_IOREGSEL)
		io->ioregsel = (uint32_t)val & 0xff;
	else if (off == MMIO_IOWIN)
		write_reg(io, io->ioregsel, (uint32_t)val);
	else if (off == MMIO_EOI)
		vioapic_eoi(io, (uint8_t)val);
	return 0;
}

int vioapic_attach(struct vioapic *io, struct io_bus *mmio, uint64_t base)
{
	if (base & (VIOAPIC_MMIO_SIZE - 1))
		return HV_EINVAL;
	return io_register(mmio, base, VIOAPIC_MMIO_SIZE, "ioapic", vioapic_read, vioapic_write, io);
}

/* ---- the state stream (hv/vmstate.h) ---- */

/* Remote IRR travels with its entry: a message the local APIC has not
 * acknowledged yet is still awaited (the local APIC's own section holds
 * it in service). */
void vioapic_save(const struct vioapic *io, struct vms_out *o)
{
	vms_begin(o, VMS_IOAPIC, 0);
	vms_put_u32(o, io->ioregsel);
	vms_put_u8(o, io->id);
	vms_put_u8(o, io->arb_id);
	vms_put_u32(o, io->lines);
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		vms_put_u64(o, io->redir[i]);
	vms_end(o);
}

/* Then each asserted level pin that may send does (service_level). */
int vioapic_load(struct vioapic *io, struct vms_section *s)
{
	uint64_t redir[VIOAPIC_PINS];
	uint32_t sel = vms_get_u32(s), lines;
	uint8_t id = vms_get_u8(s), arb = vms_get_u8(s);
	bool ok;

	lines = vms_get_u32(s);
	ok = sel <= 0xff && id <= ID_MASK && arb <= ID_MASK && !(lines >> VIOAPIC_PINS);
	for (unsigned i = 0; i < VIOAPIC_PINS; i++) {
		redir[i] = vms_get_u64(s);
		ok = ok && !(redir[i] & ~(RTE_WRITABLE | VIOAPIC_RTE_REMOTE_IRR));
	}
	if (!ok || vms_section_done(s))
		return HV_EINVAL;
	io->ioregsel = sel;
	io->id = id;
	io->arb_id = arb;
	io->lines = lines;
	memcpy(io->redir, redir, sizeof(redir));
	for (unsigned i = 0; i < VIOAPIC_PINS; i++)
		service_level(io, i);
	return 0;
}
