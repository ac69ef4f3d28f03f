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
	unsigned depth;            /* its console_hold() calls not yet released */
	const void *open_by;       /* who left a line unfinished on the screen, or NULL */
	bool panic;
} con = { .port = CONSOLE_COM1, .holder = -1 };

void console_init(uint16_t port, uint32_t baud)
{
	con.port = port;
	arch_uart_init(port, baud);
}

uint16_t console_port(void) { return con.port; }

int console_getc(void) { return arch_uart_getc(con.port); }

/* Whatever the hypervisor itself prints, as a writer. */
#define HYPERVISOR ((const void *)&con)

/* A line another writer left unfinished (a VM's prompt) ends before this
 * writer's text: lines of different writers never mix. */
static void write_locked(const void *who, const char *s, size_t n)
{
	if (!n)
		return;
	if (con.open_by && con.open_by != who) {
		arch_uart_putc(con.port, '\r');
		arch_uart_putc(con.port, '\n');
	}
	con.open_by = s[n - 1] == '\n' ? NULL : who;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			arch_uart_putc(con.port, '\r');
		arch_uart_putc(con.port, s[i]);
	}
}

static void write_as(const void *who, const char *s, size_t n)
{
	if (con.panic || con.holder == (int)arch_this_cpu()) {
		write_locked(who, s, n);
		return;
	}
	spin_lock(&con.lock);
	write_locked(who, s, n);
	spin_unlock(&con.lock);
}

void console_write(const char *s, size_t n) { write_as(HYPERVISOR, s, n); }

static int vprint_as(const void *who, const char *fmt, va_list ap)
{
	char buf[512];
	int n = hv_vsnprintf(buf, sizeof(buf), fmt, ap);

	write_as(who, buf, n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprint_as(HYPERVISOR, fmt, ap);
	va_end(ap);
	return n;
}

int kprintf_as(const void *who, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprint_as(who, fmt, ap);
	va_end(ap);
	return n;
}

bool console_line_open_by(const void *who) { return con.open_by == who; }

void console_hold(void)
{
	if (con.holder == (int)arch_this_cpu()) {
		con.depth++;
		return;
	}
	spin_lock(&con.lock);
	con.holder = (int)arch_this_cpu();
	con.depth = 1;
}

void console_release(void)
{
	if (--con.depth)
		return;
	con.holder = -1;
	spin_unlock(&con.lock);
}

void console_panic_mode(void) { con.panic = true; }

void console_drain(void) { arch_uart_drain(con.port); }
