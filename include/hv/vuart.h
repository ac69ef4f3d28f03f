/* A guest's 16550 UART (PC16550D register map), enough for a guest to
 * print and be typed at: each byte sent goes to a sink (the VM's console
 * output, which cuts it into tagged lines). */
#ifndef HV_VUART_H
#define HV_VUART_H

#include <hv/fifo.h>
#include <hv/io.h>
#include <hv/irq.h>
#include <hv/types.h>

#define VUART_COM1_BASE 0x3f8
#define VUART_RX_FIFO 16
_Static_assert(VUART_RX_FIFO <= FIFO_MAX, "struct fifo holds the receive FIFO");

/* A byte the guest sent (not in loopback mode). */
typedef void (*vuart_sink_fn)(void *ctx, char c);

struct vuart {
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	uint8_t fcr;
	vuart_sink_fn sink;
	void *sink_ctx;
	/* Receive path and interrupt (optional: irq.set may be NULL). */
	struct fifo rx;
	bool thre_pending;         /* "transmitter empty" interrupt not yet seen */
	bool irq_level;
	struct irq_sink irq;
	unsigned irq_line;
};

void vuart_init(struct vuart *u, vuart_sink_fn sink, void *ctx);
int vuart_attach(struct vuart *u, struct io_bus *pio, uint16_t base);
int vuart_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vuart_write(void *dev, uint64_t port, unsigned size, uint64_t val);
/* Wire the interrupt output (IRQ 4 for COM1) to an interrupt controller. */
void vuart_set_irq(struct vuart *u, const struct irq_sink *sink, unsigned irq);
/* A byte typed at the console for the guest; false if the FIFO is full. */
/* The receive FIFO holds VUART_RX_FIFO bytes the guest has not read. */
bool vuart_rx_full(const struct vuart *u);
bool vuart_receive(struct vuart *u, uint8_t c);

/* Its section of the state stream (VMS_UART, instance: which UART of the
 * VM; hv/vmstate.h), and back: 0, or HV_EINVAL for registers the 16550
 * could not hold (the UART is left as it was). */
struct vms_out;
struct vms_section;
void vuart_save(const struct vuart *u, unsigned instance, struct vms_out *o);
int vuart_load(struct vuart *u, struct vms_section *s);

#endif
