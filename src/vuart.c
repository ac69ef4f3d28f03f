/* Guest 16550 UART model.  Transmit is instantaneous, so LSR always says
 * "transmitter empty"; there is no receive path or interrupt yet. */
#include <hv/string.h>
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
#define LSR_THRE_TEMT 0x60
#define IIR_NO_INTERRUPT 0x01
#define MSR_DCD_DSR_CTS 0xb0

void vuart_init(struct vuart *u, vuart_sink_fn sink, void *ctx)
{
	memset(u, 0, sizeof(*u));
	u->sink = sink;
	u->sink_ctx = ctx;
	u->dll = 1; /* 115200 baud */
}

int vuart_attach(struct vuart *u, struct io_bus *pio, uint16_t base)
{
	return io_register(pio, base, 8, "uart", vuart_read, vuart_write, u);
}

void vuart_flush(struct vuart *u)
{
	if (!u->len)
		return;
	u->line[u->len] = '\0';
	u->sink(u->sink_ctx, u->line);
	u->len = 0;
}

static void transmit(struct vuart *u, char c)
{
	if (c == '\r')
		return;
	if (c == '\n') {
		u->line[u->len] = '\0';
		u->sink(u->sink_ctx, u->line);
		u->len = 0;
		return;
	}
	if (u->len == VUART_LINE_MAX)
		vuart_flush(u);
	/* Control characters would let a guest forge console output. */
	u->line[u->len++] = (c >= 0x20 && c < 0x7f) || c == '\t' ? c : '.';
}

static uint8_t read_reg(struct vuart *u, unsigned reg)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA: return dlab ? u->dll : 0;
	case REG_IER: return dlab ? u->dlm : u->ier;
	case REG_IIR: return IIR_NO_INTERRUPT;
	case REG_LCR: return u->lcr;
	case REG_MCR: return u->mcr;
	case REG_LSR: return LSR_THRE_TEMT;
	case REG_MSR: return MSR_DCD_DSR_CTS;
	default: return u->scr;
	}
}

static void write_reg(struct vuart *u, unsigned reg, uint8_t v)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (reg) {
	case REG_DATA:
		if (dlab)
			u->dll = v;
		else
			transmit(u, (char)v);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = v;
		else
			u->ier = v & 0x0f;
		break;
	case REG_LCR: u->lcr = v; break;
	case REG_MCR: u->mcr = v & 0x1f; break;
	case REG_SCR: u->scr = v; break;
	default: break; /* FCR, LSR and MSR writes change nothing here */
	}
}

/* Wider accesses touch consecutive registers, as on an 8-bit bus. */
int vuart_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	struct vuart *u = dev;

	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)read_reg(u, (port + i) & 7) << (8 * i);
	return 0;
}

int vuart_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct vuart *u = dev;

	for (unsigned i = 0; i < size; i++)
		write_reg(u, (port + i) & 7, (uint8_t)(val >> (8 * i)));
	return 0;
}
