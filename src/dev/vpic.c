/* Dual 8259A PIC model.  Section references are to the Intel 8259A
 * datasheet (order no. 231468); the ELCR is the PIIX/ICH "edge/level
 * control register" that replaced ICW1.LTIM on PCs.
 *
 * Left out, because PC software does not use them: 8080/8085 mode (ICW4
 * uPM = 0 is treated as 8086 mode), buffered mode, special fully nested
 * mode (stored nowhere: the master's ISR bit for IR2 blocks the slave's
 * further requests until the master's EOI, as in fully nested mode), and
 * ICW1.LTIM (the ELCR alone chooses edge or level, as on PIIX). */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vmstate.h>
#include <hv/vpic.h>

enum { MASTER = 0, SLAVE = 1 };

/* ICW1 is told apart from OCW2/OCW3 by bit 4, OCW3 from OCW2 by bit 3. */
#define ICW1_SEL     0x10
#define ICW1_IC4     0x01
#define ICW1_SNGL    0x02
#define OCW3_SEL     0x08
#define OCW3_POLL    0x04
#define OCW3_RR      0x02  /* RR=1: RIS selects IRR (0) or ISR (1) */
#define OCW3_RIS     0x01
#define OCW3_ESMM    0x40  /* ESMM=1: SMM selects special mask mode */
#define OCW3_SMM     0x20
#define ICW4_AEOI    0x02
#define POLL_INT     0x80

/* The data port's meaning during initialisation: the ICW expected next. */
enum { INIT_DONE = 0, INIT_ICW2, INIT_ICW3, INIT_ICW4 };

/* OCW2 R/SL/EOI field (bits 7-5), "Operation Command Words" table. */
enum {
	OCW2_ROTATE_AEOI_CLEAR = 0,
	OCW2_NONSPECIFIC_EOI = 1,
	OCW2_NOP = 2,
	OCW2_SPECIFIC_EOI = 3,
	OCW2_ROTATE_AEOI_SET = 4,
	OCW2_ROTATE_NONSPECIFIC_EOI = 5,
	OCW2_SET_PRIORITY = 6,
	OCW2_ROTATE_SPECIFIC_EOI = 7,
};

/* PIIX3: IRQ 0, 1, 2, 8 and 13 are always edge-triggered. */
static const uint8_t elcr_masks[2] = { 0xf8, 0xde };

/* Priority rank of input i: 0 is the highest, the one after `lowest`
 * (fully nested mode is lowest = 7; rotation moves it). */
static unsigned rank(const struct vpic_chip *c, unsigned i)
{
	return (i - c->lowest - 1) & 7;
}

/* The input of highest priority among the bits of mask, or -1. */
static int highest(const struct vpic_chip *c, uint8_t mask)
{
	for (unsigned r = 0; r < 8; r++) {
		unsigned i = (c->lowest + 1 + r) & 7;

		if (mask & (1u << i))
			return (int)i;
	}
	return -1;
}

/* The request this chip would signal on INT: the highest unmasked IRR bit,
 * if its priority beats everything in service.  In special mask mode a
 * masked in-service level no longer inhibits lower ones ("Special Mask
 * Mode"). */
static int chip_pending(const struct vpic_chip *c)
{
	int irq = highest(c, c->irr & ~c->imr);
	uint8_t in_service = c->isr;
	int cur;

	if (irq < 0)
		return -1;
	if (c->special_mask)
		in_service &= ~c->imr;
	cur = highest(c, in_service);
	if (cur >= 0 && rank(c, (unsigned)irq) >= rank(c, (unsigned)cur))
		return -1;
	return irq;
}

/* Edge inputs latch a request on a rising edge and keep it until INTA even
 * if the line falls, where a real 8259A would answer with the default IR7
 * ("Edge Triggered Mode"): device models pulse their lines (irq_pulse), so
 * the request must outlive the pulse.  Level inputs (ELCR) request while
 * high. */
static void chip_set_input(struct vpic_chip *c, unsigned i, bool level)
{
	uint8_t bit = (uint8_t)(1u << i);

	if (c->elcr & bit) {
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;
	}
	c->lines = level ? c->lines | bit : c->lines & ~bit;
}

/* The first INTA pulse: in-service set (unless AEOI), an edge request
 * consumed.  A level request stays in IRR while its line is high. */
static void chip_intack(struct vpic_chip *c, unsigned irq)
{
	uint8_t bit = (uint8_t)(1u << irq);

	if (!(c->elcr & bit))
		c->irr &= ~bit;
	if (!c->auto_eoi)
		c->isr |= bit;
	else if (c->rotate_on_aeoi)
		c->lowest = (uint8_t)irq;
}

/* Propagate the slave's INT to the master's IR2, then the master's INT to
 * the CPU. */
static void update(struct vpic *pic)
{
	bool intr;

	chip_set_input(&pic->chip[MASTER], VPIC_CASCADE_IRQ,
		       chip_pending(&pic->chip[SLAVE]) >= 0);
	intr = chip_pending(&pic->chip[MASTER]) >= 0;
	if (intr == pic->intr)
		return;
	pic->intr = intr;
	if (pic->intr_fn)
		pic->intr_fn(pic->intr_ctx, intr);
}

static void chip_reset(struct vpic_chip *c, unsigned which)
{
	uint8_t lines = c->lines, elcr = c->elcr;

	memset(c, 0, sizeof(*c));
	c->lines = lines;
	c->elcr = elcr;
	c->elcr_mask = elcr_masks[which];
	c->lowest = 7;
	c->irr = lines & elcr;
}

void vpic_init(struct vpic *pic, vpic_intr_fn intr, void *ctx)
{
	memset(pic, 0, sizeof(*pic));
	chip_reset(&pic->chip[MASTER], MASTER);
	chip_reset(&pic->chip[SLAVE], SLAVE);
	pic->intr_fn = intr;
	pic->intr_ctx = ctx;
}

/* ICW1 ("Initialization Command Words"): IMR and ISR cleared, IR7 lowest
 * priority, special mask mode off, status read = IRR, and the edge sense
 * latch reset, so an edge input that is high must go low and high again to
 * request.  Level requests still asserted stay. */
static void write_icw1(struct vpic_chip *c, unsigned which, uint8_t v)
{
	chip_reset(c, which);
	c->icw4_needed = v & ICW1_IC4;
	c->single = v & ICW1_SNGL;
	c->init_step = INIT_ICW2;
}

static void write_ocw2(struct vpic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	int irq;

	switch (v >> 5) {
	case OCW2_ROTATE_AEOI_CLEAR: c->rotate_on_aeoi = false; break;
	case OCW2_ROTATE_AEOI_SET: c->rotate_on_aeoi = true; break;
	case OCW2_NONSPECIFIC_EOI:
	case OCW2_ROTATE_NONSPECIFIC_EOI:
		irq = highest(c, c->isr);
		if (irq < 0)
			break;
		c->isr &= (uint8_t)~(1u << irq);
		if (v >> 5 == OCW2_ROTATE_NONSPECIFIC_EOI)
			c->lowest = (uint8_t)irq;
		break;
	case OCW2_SPECIFIC_EOI:
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= (uint8_t)~(1u << level);
		if (v >> 5 == OCW2_ROTATE_SPECIFIC_EOI)
			c->lowest = (uint8_t)level;
		break;
	case OCW2_SET_PRIORITY: c->lowest = (uint8_t)level; break;
	default: break; /* OCW2_NOP */
	}
}

static void write_ocw3(struct vpic_chip *c, uint8_t v)
{
	if (v & OCW3_ESMM)
		c->special_mask = v & OCW3_SMM;
	if (v & OCW3_RR)
		c->read_isr = v & OCW3_RIS;
	c->poll = v & OCW3_POLL;
}

static void write_command(struct vpic_chip *c, unsigned which, uint8_t v)
{
	if (v & ICW1_SEL)
		write_icw1(c, which, v);
	else if (v & OCW3_SEL)
		write_ocw3(c, v);
	else
		write_ocw2(c, v);
}

/* ICW2-ICW4 follow ICW1 on the data port; ICW3 only when cascaded (SNGL
 * = 0), ICW4 only when ICW1.IC4 asked for it.  Otherwise it is OCW1. */
static void write_data(struct vpic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case INIT_ICW2:
		c->vector_base = v & 0xf8;
		c->init_step = !c->single ? INIT_ICW3 : c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW3:
		c->icw3 = v;
		c->init_step = c->icw4_needed ? INIT_ICW4 : INIT_DONE;
		break;
	case INIT_ICW4:
		c->auto_eoi = v & ICW4_AEOI;
		c->init_step = INIT_DONE;
		break;
	default:
		c->imr = v;
		break;
	}
}

/* Poll command: the read acts as an INTA and returns I (bit 7) and the
 * level W2-W0 ("The Poll Command").  Cascading is the software's job: a
 * master answer of IR2 means poll the slave next. */
static uint8_t read_poll(struct vpic_chip *c)
{
	int irq = chip_pending(c);

	c->poll = false;
	if (irq < 0)
		return 0;
	chip_intack(c, (unsigned)irq);
	return (uint8_t)(POLL_INT | irq);
}

static uint8_t read_port(void *dev, uint16_t port)
{
	struct vpic *pic = dev;
	struct vpic_chip *c;

	if (port == VPIC_ELCR_BASE || port == VPIC_ELCR_BASE + 1)
		return pic->chip[port & 1].elcr;
	c = &pic->chip[port >= VPIC_SLAVE_BASE];
	if (c->poll)
		return read_poll(c);
	if (port & 1)
		return c->imr;
	return c->read_isr ? c->isr : c->irr;
}

static void write_elcr(struct vpic_chip *c, uint8_t v)
{
	c->elcr = v & c->elcr_mask;
	/* A line made level-triggered requests exactly while it is high. */
	c->irr = (uint8_t)((c->irr & ~c->elcr) | (c->lines & c->elcr));
}

static void write_port(void *dev, uint16_t port, uint8_t v)
{
	struct vpic *pic = dev;
	unsigned which = port >= VPIC_SLAVE_BASE && port < VPIC_ELCR_BASE;
	struct vpic_chip *c = &pic->chip[which];

	if (port == VPIC_ELCR_BASE || port == VPIC_ELCR_BASE + 1)
		write_elcr(&pic->chip[port & 1], v);
	else if (port & 1)
		write_data(c, v);
	else
		write_command(c, which, v);
}

/* Wider accesses touch consecutive ports, as on an 8-bit bus; every
 * access may change INT, so the outputs are recomputed after each. */
int vpic_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	io_split_read(dev, port, size, val, read_port);
	update(dev);
	return 0;
}

int vpic_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	io_split_write(dev, port, size, val, write_port);
	update(dev);
	return 0;
}

int vpic_attach(struct vpic *pic, struct io_bus *pio)
{
	int rc = io_register(pio, VPIC_MASTER_BASE, 2, "pic-master", vpic_read, vpic_write, pic);

	if (rc)
		return rc;
	rc = io_register(pio, VPIC_SLAVE_BASE, 2, "pic-slave", vpic_read, vpic_write, pic);
	if (rc)
		return rc;
	return io_register(pio, VPIC_ELCR_BASE, 2, "pic-elcr", vpic_read, vpic_write, pic);
}

/* IR2 of the master is the slave's INT, not an ISA line: drives of irq 2
 * are ignored (on a PC the ISA IRQ2 pin is wired to IRQ9). */
void vpic_set_irq(struct vpic *pic, unsigned irq, bool level)
{
	if (irq >= 16 || irq == VPIC_CASCADE_IRQ)
		return;
	chip_set_input(&pic->chip[irq >> 3], irq & 7, level);
	update(pic);
}

/* With nothing left on the slave when the master's IR2 is acknowledged
 * (the request went away after the master latched it), the slave answers
 * with IR7's vector without setting ISR: the spurious IRQ 15. */
static int slave_vector(struct vpic *pic, bool ack)
{
	struct vpic_chip *s = &pic->chip[SLAVE];
	int irq = chip_pending(s);

	if (irq < 0)
		return s->vector_base + 7;
	if (ack)
		chip_intack(s, (unsigned)irq);
	return s->vector_base + irq;
}

int vpic_pending_vector(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[MASTER];
	int irq = chip_pending(m);

	if (irq < 0)
		return -1;
	if (irq == VPIC_CASCADE_IRQ && !m->single)
		return slave_vector(pic, false);
	return m->vector_base + irq;
}

int vpic_ack(struct vpic *pic)
{
	struct vpic_chip *m = &pic->chip[MASTER];
	int irq = chip_pending(m), vector;

	if (irq < 0)
		return -1;
	chip_intack(m, (unsigned)irq);
	if (irq == VPIC_CASCADE_IRQ && !m->single)
		vector = slave_vector(pic, true);
	else
		vector = m->vector_base + irq;
	update(pic);
	return vector;
}

/* ---- the state stream (hv/vmstate.h) ---- */

/* A chip's flags, in the order of their bits in its section. */
#define CHIP_FLAGS(c) { &(c)->icw4_needed, &(c)->single, &(c)->auto_eoi, &(c)->rotate_on_aeoi, \
			&(c)->special_mask, &(c)->read_isr, &(c)->poll }
#define CHIP_NFLAGS 7

void vpic_save(const struct vpic *pic, struct vms_out *o)
{
	vms_begin(o, VMS_PIC, 0);
	for (unsigned i = 0; i < 2; i++) {
		const struct vpic_chip *c = &pic->chip[i];
		const bool *const flags[] = CHIP_FLAGS(c);
		const uint8_t r[10] = {
			c->irr, c->isr, c->imr, c->elcr, c->lines, c->vector_base, c->icw3,
			c->lowest, c->init_step, vms_pack_flags(flags, CHIP_NFLAGS),
		};

		vms_put_bytes(o, r, sizeof(r));
	}
	vms_end(o);
}

static bool load_chip(struct vpic_chip *c, unsigned which, struct vms_section *s)
{
	bool *const flags[] = CHIP_FLAGS(c);
	uint8_t r[10];

	vms_get_bytes(s, r, sizeof(r));
	*c = (struct vpic_chip){
		.irr = r[0], .isr = r[1], .imr = r[2], .elcr = r[3], .lines = r[4],
		.vector_base = r[5], .icw3 = r[6], .lowest = r[7], .init_step = r[8],
		.elcr_mask = elcr_masks[which],
	};
	return vms_unpack_flags(r[9], flags, CHIP_NFLAGS) && !(c->elcr & ~c->elcr_mask) &&
	       !(c->vector_base & 7) && c->lowest <= 7 && c->init_step <= INIT_ICW4;
}

/* INTR follows from the loaded registers (update): a request pending
 * there is pending for the vCPU too. */
int vpic_load(struct vpic *pic, struct vms_section *s)
{
	struct vpic_chip chip[2];
	bool ok;

	memset(chip, 0, sizeof(chip));
	ok = load_chip(&chip[MASTER], MASTER, s);
	ok = load_chip(&chip[SLAVE], SLAVE, s) && ok;
	if (!ok || vms_section_done(s))
		return HV_EINVAL;
	memcpy(pic->chip, chip, sizeof(chip));
	update(pic);
	return 0;
}
