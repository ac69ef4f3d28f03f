/* i8042 keyboard controller (IBM PC/AT technical reference; the command
 * set as Linux's drivers/input/serio/i8042.h names it). */
#include <hv/string.h>
#include <hv/vkbc.h>

#define STS_OBF   0x01   /* output buffer full: data at 0x60 */
#define STS_SYS   0x04   /* system flag: POST passed */
#define STS_CMD   0x08   /* the last write went to 0x64 */
#define STS_UNLOCKED 0x10 /* keyboard not inhibited (no key lock); Linux
			   * warns "Keylock active" when it is clear */
#define CTR_KBD_INT 0x01
#define CTR_DEFAULT 0x45  /* keyboard interrupt, system flag, translation */

enum {
	CMD_READ_CTR = 0x20, CMD_WRITE_CTR = 0x60, CMD_AUX_DISABLE = 0xa7, CMD_AUX_ENABLE = 0xa8,
	CMD_AUX_TEST = 0xa9, CMD_SELF_TEST = 0xaa, CMD_KBD_TEST = 0xab, CMD_KBD_DISABLE = 0xad,
	CMD_KBD_ENABLE = 0xae, CMD_WRITE_OUTPUT = 0xd1, CMD_WRITE_KBD_OBUF = 0xd2,
	CMD_WRITE_AUX_OBUF = 0xd3, CMD_WRITE_AUX = 0xd4, CMD_PULSE_RESET = 0xfe,
};

#define KBD_ACK 0xfa
#define KBD_RESEND 0xfe

void vkbc_init(struct vkbc *k, const struct irq_sink *irq,
	       void (*reset)(void *ctx, const char *how), void *ctx)
{
	memset(k, 0, sizeof(*k));
	k->ctr = CTR_DEFAULT;
	k->port_a = VKBC_PORT_A_A20;   /* as firmware leaves it: nothing masks A20 here */
	fifo_init(&k->queue, VKBC_QUEUE);
	if (irq)
		k->irq = *irq;
	k->reset = reset;
	k->reset_ctx = ctx;
}

int vkbc_attach(struct vkbc *k, struct io_bus *pio)
{
	int rc = io_register(pio, VKBC_DATA_PORT, 1, "i8042-data", vkbc_read, vkbc_write, k);

	rc = rc ? rc : io_register(pio, VKBC_STATUS_PORT, 1, "i8042-cmd", vkbc_read, vkbc_write, k);
	return rc ? rc : io_register(pio, VKBC_PORT_A, 1, "port-a", vkbc_read, vkbc_write, k);
}

/* A byte for the guest; dropped when the queue is full. */
static void push(struct vkbc *k, uint8_t b)
{
	fifo_push(&k->queue, b);
}

/* A byte from the keyboard: raises IRQ 1 when the command byte enables it. */
static void push_kbd(struct vkbc *k, uint8_t b)
{
	push(k, b);
	if (k->ctr & CTR_KBD_INT)
		irq_pulse(&k->irq, 1);
}

static void command(struct vkbc *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR: push(k, k->ctr); break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST: push(k, 0x00); break;
	case CMD_SELF_TEST: push(k, 0x55); break;
	case CMD_AUX_DISABLE: k->ctr |= 0x20; break;
	case CMD_AUX_ENABLE: k->ctr &= (uint8_t)~0x20; break;
	case CMD_KBD_DISABLE: k->ctr |= 0x10; break;
	case CMD_KBD_ENABLE: k->ctr &= (uint8_t)~0x10; break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPUT:
	case CMD_WRITE_KBD_OBUF:
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		k->pending = cmd;
		break;
	default:
		/* 0xF0-0xFF pulse output-port lines; bit 0 low pulses reset. */
		if (cmd >= 0xf0 && !(cmd & 1) && k->reset)
			k->reset(k->reset_ctx, "keyboard controller");
		break;
	}
}

/* Bytes for the keyboard itself: acknowledge; answer reset and identify
 * as a standard MF2 keyboard would. */
static void keyboard_byte(struct vkbc *k, uint8_t b)
{
	push_kbd(k, b == 0xee ? 0xee : KBD_ACK);
	if (b == 0xff)
		push_kbd(k, 0xaa);         /* self-test passed */
	else if (b == 0xf2) {
		push_kbd(k, 0xab);         /* MF2 keyboard id */
		push_kbd(k, 0x83);
	}
}

static void data_byte(struct vkbc *k, uint8_t b)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	switch (cmd) {
	case CMD_WRITE_CTR: k->ctr = b; break;
	case CMD_WRITE_OUTPUT:
		if (!(b & 1) && k->reset)
			k->reset(k->reset_ctx, "keyboard controller");
		break;
	case CMD_WRITE_KBD_OBUF: push_kbd(k, b); break;
	case CMD_WRITE_AUX_OBUF: push(k, b); break;
	case CMD_WRITE_AUX: push(k, KBD_RESEND); break;   /* no mouse */
	default: keyboard_byte(k, b); break;
	}
}

int vkbc_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	struct vkbc *k = dev;

	UNUSED(size);
	if (port == VKBC_PORT_A)
		*val = k->port_a;
	else if (port == VKBC_STATUS_PORT)
		*val = STS_SYS | STS_UNLOCKED | (fifo_empty(&k->queue) ? 0 : STS_OBF) | (k->last_was_command ? STS_CMD : 0);
	else
		*val = fifo_pop(&k->queue);
	return 0;
}

int vkbc_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct vkbc *k = dev;

	UNUSED(size);
	if (port == VKBC_PORT_A) {
		/* The fast reset: bit 0 going from 0 to 1 (PS/2 technical
		 * reference, System Control Port A); A20 is kept as written. */
		bool reset = (val & VKBC_PORT_A_RESET) && !(k->port_a & VKBC_PORT_A_RESET);

		k->port_a = (uint8_t)val & (VKBC_PORT_A_RESET | VKBC_PORT_A_A20);
		if (reset && k->reset)
			k->reset(k->reset_ctx, "port 0x92");
		return 0;
	}
	k->last_was_command = port == VKBC_STATUS_PORT;
	if (port == VKBC_STATUS_PORT)
		command(k, (uint8_t)val);
	else
		data_byte(k, (uint8_t)val);
	return 0;
}
