/* The hypervisor's own interrupts.  The host runs with RFLAGS.IF clear but
 * in its idle loop: an interrupt that comes while a guest runs makes a VM
 * exit that acknowledges it ("acknowledge interrupt on exit", SDM Vol. 3C
 * 25.2, 28.2.2), one that comes in root operation waits for the next VM
 * entry, which then exits at once, and one that comes while the CPU idles
 * takes its IDT gate.  Every path ends in host_irq(). */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <hv/types.h>

#define VECTOR_CONSOLE  0x40     /* the console UART's receive interrupt */
#define VECTOR_TIMER    0xe0     /* this CPU's own timer (apic_timer_at) */
#define VECTOR_KICK     0xf0     /* another CPU wants this one out of its guest */
#define VECTOR_SPURIOUS 0xff

/* Mask the legacy PIC, mask the I/O APIC's pins, and route the console
 * UART's receive interrupt (ISA IRQ irq) to the boot CPU.  True when
 * console input now comes by interrupt. */
bool irq_init(int isa_irq);
void host_irq(unsigned vector);

#endif
