/* A VM's console output, one tagged line at a time. */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/string.h>
#include <hv/vm_console.h>

void vm_console_init(struct vm_console *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
}

void vm_console_set_rate(struct vm_console *c, uint32_t lines_per_s, uint64_t tsc_hz)
{
	c->line_cost = lines_per_s ? tsc_hz / lines_per_s : 0;
	c->credit_max = c->line_cost * lines_per_s * VM_CONSOLE_BURST_SECONDS;
	c->credit = c->credit_max;
	c->credit_tsc = arch_tsc();
}

static void report_dropped(struct vm_console *c)
{
	if (!c->dropped)
		return;
	kprintf("[%s] (%lu lines over console_rate not shown)\n", c->name,
		(unsigned long)c->dropped);
	c->dropped = 0;
}

/* Whether a new line may be shown: the token bucket of line_cost. */
static bool line_allowed(struct vm_console *c)
{
	uint64_t now;

	if (!c->line_cost)
		return true;
	now = arch_tsc();
	c->credit += now - c->credit_tsc;
	c->credit_tsc = now;
	if (c->credit > c->credit_max)
		c->credit = c->credit_max;
	if (c->credit < c->line_cost)
		return false;
	c->credit -= c->line_cost;
	return true;
}

static void emit(struct vm_console *c, bool line_end)
{
	c->line[c->len] = '\0';
	if (!c->mid_line && !c->dropping && !line_allowed(c))
		c->dropping = true;
	if (c->dropping) {
		/* The whole line goes uncounted but once, partial or not. */
		if (line_end) {
			c->dropped++;
			c->dropping = false;
		}
		c->len = 0;
		return;
	}
	console_hold();
	report_dropped(c);
	/* Its unfinished line goes on where it stopped, unless another
	 * writer's line came in between: then it starts again with its tag. */
	if (c->mid_line && console_line_open_by(c))
		kprintf_as(c, "%s%s", c->line, line_end ? "\n" : "");
	else
		kprintf_as(c, "[%s] %s%s", c->name, c->line, line_end ? "\n" : "");
	console_release();
	c->mid_line = !line_end;
	c->len = 0;
}

static void putc_locked(struct vm_console *c, char ch)
{
	if (ch == '\r')
		return;
	if (ch == '\n') {
		emit(c, true);
		return;
	}
	if (c->len == VM_CONSOLE_LINE_MAX)
		emit(c, true);
	/* Control characters would let a guest forge console output. */
	c->line[c->len++] = (ch >= 0x20 && ch < 0x7f) || ch == '\t' ? ch : '.';
}

void vm_console_putc(struct vm_console *c, char ch)
{
	spin_lock(&c->lock);
	putc_locked(c, ch);
	spin_unlock(&c->lock);
}

void vm_console_write(struct vm_console *c, const char *buf, size_t n)
{
	spin_lock(&c->lock);
	for (size_t i = 0; i < n; i++)
		putc_locked(c, buf[i]);
	spin_unlock(&c->lock);
}

void vm_console_flush(struct vm_console *c, bool partial)
{
	spin_lock(&c->lock);
	if (c->len)
		emit(c, !partial);
	if (!partial) {
		c->dropping = false;
		report_dropped(c);
	}
	spin_unlock(&c->lock);
}

void vm_console_break(struct vm_console *c)
{
	console_hold();
	if (c->mid_line && console_line_open_by(c))
		kprintf_as(c, "\n");
	console_release();
	c->mid_line = false;
}
