/* Guest 16550A UART model (PC16550D datasheet).  Transmit is instantaneous,
 * so the transmitter is always empty; received bytes wait in a 16-byte
 * FIFO.  The interrupt output follows IER, the pending conditions and
 * MCR.OUT2, which gates the IRQ line on PCs.  Bytes sent go to a sink. */
#include <hv/string.h>
#include <hv/errno.h>
#include <hv/vmstate.h>
#include <hv/vuart.h>

enum {
	REG_DATA = 0,  /* THR/RBR, or DLL while LCR.DLAB */
	REG_IER = 1,   /* or DLM while LCR.DLAB */
	REG_IIR = 2,   /* FCR on write */
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define LCR_DLAB 0x80
#define LSR_DR 0x01
#define LSR_THRE_TEMT 0x60
#define IER_RDA 0x01
#define IER_THRE 0x02
#define IIR_NONE 0x01
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void vuart_init(struct vuart *u, vuart_sink_fn sink, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->sink = sink;
	u->sink_ctx = ctx;
	u->dll = 1; /* 115200 baud */
	fifo_init(&u->rx, VUART_RX_FIFO);
}

int vuart_attach(struct vuart *u, struct io_bus *pio, uint16_t base)
{
	return io_register(pio, base, 8, "uart", vuart_read, vuart_write, u);
}

void vuart_set_irq(struct vuart *u, const struct irq_sink *sink, unsigned irq)
{
	u->irq = *sink;
	u->irq_line = irq;
}

static uint8_t iir(const struct vuart *u)
{
	uint8_t fifo = (u->fcr & FCR_ENABLE) ? IIR_FIFO : 0;

	if ((u->ier & IER_RDA) && !fifo_empty(&u->rx))
		return fifo | IIR_RDA;
	if ((u->ier & IER_THRE) && u->thre_pending)
		return fifo | IIR_THRE;
	return fifo | IIR_NONE;
}

/* The IRQ line is driven only while OUT2 is set (PC wiring). */
static void update_irq(struct vuart *u)
{
	bool level = (u->mcr & MCR_OUT2) && !(iir(u) & IIR_NONE);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_set(&u->irq, u->irq_line, level);
}

bool vuart_rx_full(const struct vuart *u)
{
	return fifo_full(&u->rx);
}

bool vuart_receive(struct vuart *u, uint8_t c)
{
	if (!fifo_push(&u->rx, c))
		return false;
	update_irq(u);
	return true;
}

static void transmit(struct vuart *u, char c)
{
	if (u->mcr & MCR_LOOP)
		vuart_receive(u, (uint8_t)c);
	else
		u->sink(u->sink_ctx, c);
}

/* In loopback the modem inputs mirror the modem outputs (datasheet 8.6):
 * Linux's 8250 driver checks this to decide that a UART is there. */
static uint8_t modem_status(const struct vuart *u)
{
	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return ((u->mcr & MCR_RTS) ? MSR_CTS : 0) | ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
	       ((u->mcr & MCR_OUT1) ? MSR_RI : 0) | ((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
}

/* The register is the port's offset from the (8-aligned) base. */
static uint8_t read_reg(void *dev, uint16_t port)
{
	struct vuart *u = dev;
	bool dlab = u->lcr & LCR_DLAB;
	uint8_t v;

	switch (port & 7) {
	case REG_DATA:
		return dlab ? u->dll : fifo_pop(&u->rx);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR:
		v = iir(u);
		/* Reading IIR while it reports THRE clears that condition. */
		if ((v & 0x0f) == IIR_THRE)
			u->thre_pending = false;
		return v;
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return LSR_THRE_TEMT | (fifo_empty(&u->rx) ? 0 : LSR_DR);
	case REG_MSR: return modem_status(u);
	default: return u->scr;
	}
}

static void write_reg(void *dev, uint16_t port, uint8_t v)
{
	struct vuart *u = dev;
	bool dlab = u->lcr & LCR_DLAB;

	switch (port & 7) {
	case REG_DATA:
		if (dlab) {
			u->dll = v;
			break;
		}
		transmit(u, (char)v);
		u->thre_pending = true; /* sent at once: the holding register is empty again */
		break;
	case REG_IER:
		if (dlab) {
			u->dlm = v;
			break;
		}
		/* Enabling THRE with an empty transmitter raises it at once. */
		if ((v & IER_THRE) && !(u->ier & IER_THRE))
			u->thre_pending = true;
		u->ier = v & 0x0f;
		break;
	case REG_IIR:
		u->fcr = v & 0xc9;
		if (v & FCR_CLEAR_RX)
			fifo_clear(&u->rx);
		break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v & 0x1f; break;
	case REG_SCR: u->scr = v; break;
	default: break; /* LSR and MSR writes change nothing here */
	}
}

/* Wider accesses touch consecutive registers, as on an 8-bit bus. */
int vuart_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	io_split_read(dev, port, size, val, read_reg);
	update_irq(dev);
	return 0;
}

int vuart_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	io_split_write(dev, port, size, val, write_reg);
	update_irq(dev);
	return 0;
}

/* ---- the state stream (hv/vmstate.h) ---- */

/* The receive FIFO goes as its capacity and bytes, oldest first; the IRQ
 * line as the loaded registers say. */
void vuart_save(const struct vuart *u, unsigned instance, struct vms_out *o)
{
	const uint8_t r[8] = { u->ier, u->lcr, u->mcr, u->scr, u->dll, u->dlm, u->fcr,
			       u->thre_pending };

	vms_begin(o, VMS_UART, instance);
	vms_put_bytes(o, r, sizeof(r));
	vms_put_u8(o, (uint8_t)u->rx.size);
	vms_put_u8(o, (uint8_t)u->rx.count);
	for (unsigned i = 0; i < u->rx.count; i++)
		vms_put_u8(o, u->rx.buf[(u->rx.head + i) % FIFO_MAX]);
	vms_end(o);
}

int vuart_load(struct vuart *u, struct vms_section *s)
{
	uint8_t r[8], size, count, bytes[FIFO_MAX];

	vms_get_bytes(s, r, sizeof(r));
	size = vms_get_u8(s);
	count = vms_get_u8(s);
	if (size == 0 || size > FIFO_MAX || count > size)
		return HV_EINVAL;
	vms_get_bytes(s, bytes, count);
	/* What write_reg keeps of each register; a flag is 0 or 1. */
	if (r[0] & ~0x0f || r[2] & ~0x1f || r[6] & ~0xc9 || r[7] > 1 || vms_section_done(s))
		return HV_EINVAL;
	u->ier = r[0];
	u->lcr = r[1];
	u->mcr = r[2];
	u->scr = r[3];
	u->dll = r[4];
	u->dlm = r[5];
	u->fcr = r[6];
	u->thre_pending = r[7];
	fifo_init(&u->rx, size);
	for (unsigned i = 0; i < count; i++)
		fifo_push(&u->rx, bytes[i]);
	update_irq(u);
	return 0;
}
