/* A VM's console output: what its UART sends and what it prints by
 * hypercall, cut into lines and shown on the hypervisor's console as
 * "[NAME] text", control characters replaced so that a guest cannot forge
 * hypervisor output.  Lines may be rate-limited (console_rate=): a guest
 * that prints without end cannot drown the console, and the lines over
 * the limit are counted, then reported. */
#ifndef HV_VM_CONSOLE_H
#define HV_VM_CONSOLE_H

#include <hv/spinlock.h>
#include <hv/types.h>

#define VM_CONSOLE_LINE_MAX 160

struct vm_console {
	struct spinlock lock;      /* the vCPUs of an SMP guest print at once */
	const char *name;          /* the tag */
	char line[VM_CONSOLE_LINE_MAX + 1];
	size_t len;
	bool mid_line;             /* the hypervisor console is inside this VM's line */
	/* Rate limit, a token bucket counted in host TSC ticks: a line
	 * costs line_cost, the credit grows with time up to credit_max. */
	uint64_t line_cost;        /* 0: no limit */
	uint64_t credit, credit_max, credit_tsc;
	bool dropping;             /* the current line is over the limit */
	uint64_t dropped;          /* lines over the limit not yet reported */
};

/* Lines a second, and how many may come at once, before the limit. */
#define VM_CONSOLE_BURST_SECONDS 10

void vm_console_init(struct vm_console *c, const char *name);
/* At most lines_per_s lines a second on average, with bursts of
 * VM_CONSOLE_BURST_SECONDS seconds' worth; 0: no limit. */
void vm_console_set_rate(struct vm_console *c, uint32_t lines_per_s, uint64_t tsc_hz);
void vm_console_putc(struct vm_console *c, char ch);
void vm_console_write(struct vm_console *c, const char *buf, size_t n);
/* Show what there is of the current line: ending it (partial = false: the
 * VM ended, or a hypercall's output is complete) or not (an interactive
 * guest's prompt, which the next output continues). */
void vm_console_flush(struct vm_console *c, bool partial);
/* Before a hypervisor line: end a guest line left open by a prompt. */
void vm_console_break(struct vm_console *c);

#endif
