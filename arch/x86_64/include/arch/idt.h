/* The hypervisor's IDT: an exception in VMX root operation is a hypervisor
 * bug, so every vector prints the CPU state and stops that CPU, but for
 * the NMI, which is the machine's: it is kept for the next guest entry. */
#ifndef ARCH_IDT_H
#define ARCH_IDT_H

#include <hv/types.h>

/* Layout pushed by isr.asm; keep in sync with it. */
struct exception_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void idt_init(void);
uint64_t idt_base(void);
/* Returns only for an NMI. */
void exception_handler(struct exception_frame *f);
/* Per CPU: an NMI came in VMX root operation (set in NMI context, where
 * nothing else is safe: the console lock may be held by the code the NMI
 * interrupted). */
extern volatile bool host_nmi_seen[];

/* An NMI came to this CPU in VMX root operation since the last call: the
 * run loop passes it to the guest it enters next.  Inline: it is asked
 * before every VM entry, and the answer is almost always no. */
static inline bool host_nmi_take(unsigned cpu)
{
	if (!host_nmi_seen[cpu])
		return false;
	host_nmi_seen[cpu] = false;
	return true;
}

#endif
