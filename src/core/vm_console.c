/* A VM's console output, one tagged line at a time. */
#include <hv/console.h>
#include <hv/string.h>
#include <hv/vm_console.h>

void vm_console_init(struct vm_console *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
}

static void emit(struct vm_console *c, bool line_end)
{
	c->line[c->len] = '\0';
	if (c->mid_line)
		kprintf("%s%s", c->line, line_end ? "\n" : "");
	else
		kprintf("[%s] %s%s", c->name, c->line, line_end ? "\n" : "");
	c->mid_line = !line_end;
	c->len = 0;
}

void vm_console_putc(struct vm_console *c, char ch)
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

void vm_console_write(struct vm_console *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vm_console_putc(c, buf[i]);
}

void vm_console_flush(struct vm_console *c, bool partial)
{
	if (c->len)
		emit(c, !partial);
}

void vm_console_break(struct vm_console *c)
{
	if (c->mid_line)
		kprintf("\n");
	c->mid_line = false;
}
