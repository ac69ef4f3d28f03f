/* The i8042 keyboard controller, as far as a guest needs it: the probe
 * Linux's i8042 driver makes (self test, command byte), a keyboard that
 * acknowledges commands, and the reset line (command 0xFE), the oldest way
 * to reset a PC; with it System Control Port A (0x92, the PS/2 "fast"
 * reset and A20 gate).  No mouse, no key presses. */
#ifndef HV_VKBC_H
#define HV_VKBC_H

#include <hv/fifo.h>
#include <hv/io.h>
#include <hv/irq.h>

#define VKBC_DATA_PORT   0x60
#define VKBC_STATUS_PORT 0x64
#define VKBC_PORT_A      0x92
#define VKBC_PORT_A_RESET 0x01    /* a 0 -> 1 change resets the machine */
#define VKBC_PORT_A_A20   0x02    /* A20 enabled (always, in fact) */
#define VKBC_QUEUE 8
_Static_assert(VKBC_QUEUE <= FIFO_MAX, "struct fifo holds the output queue");

struct vkbc {
	uint8_t ctr;               /* controller command byte */
	uint8_t pending;           /* command waiting for its data byte, or 0 */
	struct fifo queue;         /* output buffer: bytes for port 0x60 */
	bool last_was_command;
	uint8_t port_a;            /* System Control Port A as written */
	struct irq_sink irq;       /* IRQ 1 for keyboard bytes */
	void (*reset)(void *ctx, const char *how);
	void *reset_ctx;
};

/* reset(ctx, how): the guest reset the machine, how saying by which way. */
void vkbc_init(struct vkbc *k, const struct irq_sink *irq,
	       void (*reset)(void *ctx, const char *how), void *ctx);
int vkbc_attach(struct vkbc *k, struct io_bus *pio);
int vkbc_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vkbc_write(void *dev, uint64_t port, unsigned size, uint64_t val);

#endif
