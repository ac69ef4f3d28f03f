/* A VM's console output: what its UART sends and what it prints by
 * hypercall, cut into lines and shown on the hypervisor's console as
 * "[NAME] text", control characters replaced so that a guest cannot forge
 * hypervisor output. */
#ifndef HV_VM_CONSOLE_H
#define HV_VM_CONSOLE_H

#include <hv/types.h>

#define VM_CONSOLE_LINE_MAX 160

struct vm_console {
	const char *name;          /* the tag */
	char line[VM_CONSOLE_LINE_MAX + 1];
	size_t len;
	bool mid_line;             /* the hypervisor console is inside this VM's line */
};

void vm_console_init(struct vm_console *c, const char *name);
void vm_console_putc(struct vm_console *c, char ch);
void vm_console_write(struct vm_console *c, const char *buf, size_t n);
/* Show what there is of the current line: ending it (partial = false: the
 * VM ended, or a hypercall's output is complete) or not (an interactive
 * guest's prompt, which the next output continues). */
void vm_console_flush(struct vm_console *c, bool partial);
/* Before a hypervisor line: end a guest line left open by a prompt. */
void vm_console_break(struct vm_console *c);

#endif
