/* 16550 UART, polled (PC16550D datasheet register map). */
#include <arch/io.h>
#include <hv/arch.h>

enum {
	UART_THR = 0, /* transmit holding (write), receive buffer (read) */
	UART_IER = 1,
	UART_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_SCR = 7, /* scratch: no function, keeps what is written */
	UART_DLL = 0, /* divisor latch, while LCR.DLAB is set */
	UART_DLM = 1,
};

#define UART_CLOCK_HZ 115200 /* the divisor latch counts in units of this */
#define LCR_8N1  0x03
#define LCR_DLAB 0x80
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define LSR_TX_IDLE    0x40 /* THR and shift register both empty */
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS_OUT2 0x0b

/* Bound the wait for a transmitter that never empties (no UART at that
 * port): losing output beats hanging the hypervisor. */
#define TX_SPIN_LIMIT 100000

void arch_uart_init(uint16_t port, uint32_t baud)
{
	uint16_t divisor = baud ? (uint16_t)(UART_CLOCK_HZ / baud) : 1;

	outb(port + UART_IER, 0);              /* polled: no interrupts */
	outb(port + UART_LCR, LCR_DLAB);
	outb(port + UART_DLL, divisor & 0xff);
	outb(port + UART_DLM, divisor >> 8);
	outb(port + UART_LCR, LCR_8N1);
	outb(port + UART_FCR, FCR_ENABLE_CLEAR);
	outb(port + UART_MCR, MCR_DTR_RTS_OUT2);
}

bool arch_uart_present(uint16_t port)
{
	static const uint8_t probes[] = { 0x5a, 0xa5 };

	for (unsigned i = 0; i < sizeof(probes); i++) {
		outb(port + UART_SCR, probes[i]);
		if (inb(port + UART_SCR) != probes[i])
			return false;
	}
	return true;
}

void arch_uart_putc(uint16_t port, char c)
{
	for (int i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(port + UART_LSR) & LSR_THR_EMPTY)
			break;
		__asm__ volatile("pause");
	}
	outb(port + UART_THR, (uint8_t)c);
}

#define IER_RX_DATA 0x01

/* The receive-data interrupt: raised while the receiver holds data
 * (PC16550D, IER bit 0); MCR.OUT2, set at init, gates it onto the IRQ line
 * on PCs. */
void arch_uart_rx_interrupt(uint16_t port, bool on)
{
	outb(port + UART_IER, on ? IER_RX_DATA : 0);
}

int arch_uart_getc(uint16_t port)
{
	if (!(inb(port + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(port + UART_THR);
}

/* Wait until the last byte has left the shift register: before a power-off
 * or reset, so that the final line is not cut short. */
void arch_uart_drain(uint16_t port)
{
	for (int i = 0; i < TX_SPIN_LIMIT; i++) {
		if (inb(port + UART_LSR) & LSR_TX_IDLE)
			return;
		__asm__ volatile("pause");
	}
}
