/* The serial console: everything the hypervisor prints goes through here. */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <hv/types.h>

#define CONSOLE_COM1 0x3f8

void console_init(uint16_t port, uint32_t baud);
uint16_t console_port(void);
/* A byte typed at the console, or -1. */
int console_getc(void);
void console_write(const char *s, size_t n);
/* Between these, only this CPU prints: a report of several lines stays
 * whole.  They nest. */
void console_hold(void);
void console_release(void);
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a writer other than the hypervisor (a VM's console): a
 * line one writer leaves unfinished is ended before another writes. */
int kprintf_as(const void *who, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The last line on the console is who's and unfinished (call it between
 * console_hold and console_release to act on the answer). */
bool console_line_open_by(const void *who);
/* Called when the hypervisor is dying: stop honouring the console lock,
 * which the faulting CPU may hold. */
void console_panic_mode(void);
/* Wait until everything written has left the UART. */
void console_drain(void);

#endif
