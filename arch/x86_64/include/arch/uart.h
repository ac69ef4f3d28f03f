/* 16550 UART driver for the host's serial port. */
#ifndef ARCH_UART_H
#define ARCH_UART_H

#include <hv/types.h>

#define UART_COM1 0x3f8
#define UART_CLOCK_HZ 115200 /* the divisor latch counts in units of this */

void uart_init(uint16_t port, uint32_t baud);
void uart_putc(uint16_t port, char c);
/* A received byte, or -1 if none is waiting. */
int uart_getc(uint16_t port);
void uart_drain(uint16_t port);

#endif
