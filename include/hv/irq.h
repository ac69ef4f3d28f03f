/* How device models reach interrupt controllers and time, so that each
 * model stays pure (testable on the host with fake sinks and clocks). */
#ifndef HV_IRQ_H
#define HV_IRQ_H

#include <hv/types.h>

/* Drive an interrupt line: level true = asserted.  Edge-triggered lines
 * are pulsed (set true then false).  irq is a GSI: 0-15 are the ISA IRQs
 * wired to the PIC and the I/O APIC, 16-23 the remaining I/O APIC pins. */
typedef void (*irq_set_fn)(void *ctx, unsigned irq, bool level);

struct irq_sink {
	irq_set_fn set;
	void *ctx;
};

static inline void irq_set(const struct irq_sink *s, unsigned irq, bool level)
{
	if (s && s->set)
		s->set(s->ctx, irq, level);
}

static inline void irq_pulse(const struct irq_sink *s, unsigned irq)
{
	irq_set(s, irq, true);
	irq_set(s, irq, false);
}

/* Monotonic time in nanoseconds since the VM started. */
typedef uint64_t (*clock_now_fn)(void *ctx);

struct vclock {
	clock_now_fn now;
	void *ctx;
};

static inline uint64_t vclock_now(const struct vclock *c) { return c->now(c->ctx); }

#endif
