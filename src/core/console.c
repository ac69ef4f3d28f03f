/* Serial console.  Lines end in CRLF so that terminals and log files both
 * read well; a lock keeps lines from different CPUs apart, and a CPU that
 * holds it (console_hold) prints several lines with no other CPU's
 * between them. */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/format.h>
#include <hv/spinlock.h>

static struct {
	uint16_t port;
	struct spinlock lock;
	volatile int holder;       /* the CPU in console_hold(), or -1 */
	bool panic;
} con = { .port = CONSOLE_COM1, .holder = -1 };

void console_init(uint16_t port, uint32_t baud)
{
	con.port = port;
	arch_uart_init(port, baud);
}

uint16_t console_port(void) { return con.port; }

int console_getc(void) { return arch_uart_getc(con.port); }

static void write_locked(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			arch_uart_putc(con.port, '\r');
		arch_uart_putc(con.port, s[i]);
	}
}

void console_write(const char *s, size_t n)
{
	if (con.panic || con.holder == (int)arch_this_cpu()) {
		write_locked(s, n);
		return;
	}
	spin_lock(&con.lock);
	write_locked(s, n);
	spin_unlock(&con.lock);
}

int kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

void console_hold(void)
{
	spin_lock(&con.lock);
	con.holder = (int)arch_this_cpu();
}

void console_release(void)
{
	con.holder = -1;
	spin_unlock(&con.lock);
}

void console_panic_mode(void) { con.panic = true; }

void console_drain(void) { arch_uart_drain(con.port); }
