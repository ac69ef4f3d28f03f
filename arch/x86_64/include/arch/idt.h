/* The hypervisor's IDT: an exception in VMX root operation is a hypervisor
 * bug, so every vector prints the CPU state and stops that CPU, but for
 * the NMI, which is the machine's: it is kept for the next guest entry. */
#ifndef ARCH_IDT_H
#define ARCH_IDT_H

#include <arch/percpu.h>
#include <hv/types.h>

/* Layout pushed by isr.asm; keep in sync with it. */
struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* The boot CPU fills the one IDT and loads it; the others load it. */
void idt_init(void);
void idt_load(void);
uint64_t idt_base(void);
/* Returns only for an NMI or one of the hypervisor's interrupts. */
void exception_handler(struct exception_frame *f);
/* An NMI came to this CPU in VMX root operation since the last call
 * (struct pcpu's nmi_seen): the run loop passes it to the guest it enters
 * next.  Inline: it is asked before every VM entry, and the answer is
 * almost always no. */
static inline bool host_nmi_take(void)
{
	struct pcpu *p = this_cpu();

	if (!p->nmi_seen)
		return false;
	p->nmi_seen = false;
	return true;
}

#endif
