/* A guest's High Precision Event Timer (IA-PC HPET Specification 1.0a):
 * the 1 KiB register block at 0xfed00000 that PC software finds there
 * (and in the ACPI HPET table), laid out as bare Bochs's: a 64-bit main
 * counter at 100 MHz and three timers, each with a 64-bit comparator,
 * periodic mode, 32-bit mode, and any I/O APIC input 0-23; legacy
 * replacement routes timer 0 to IRQ 0 and timer 1 to IRQ 8.  No FSB
 * (MSI) delivery.  The counter runs from a struct vclock; interrupts go
 * out through two struct irq_sinks: ISA IRQs (legacy replacement) and I/O
 * APIC inputs (Tn_INT_ROUTE_CNF).  The hypervisor arms a timer for
 * vhpet_next_event_ns() and calls vhpet_tick() when it fires. */
#ifndef HV_VHPET_H
#define HV_VHPET_H

#include <hv/io.h>
#include <hv/irq.h>
#include <hv/types.h>

#define VHPET_BASE      0xfed00000ULL
#define VHPET_SIZE      0x400
#define VHPET_TIMERS    3
#define VHPET_HZ        100000000ULL        /* a 10 ns period */
#define VHPET_NO_EVENT  UINT64_MAX

struct vhpet_timer {
	uint64_t config;      /* Tn_CONF's writable bits */
	uint64_t comparator;
	uint64_t period;      /* periodic mode: what the comparator advances by */
	bool asserted;        /* level-triggered: its line is asserted */
	bool armed;           /* a match is coming: at main counter value `next` */
	uint64_t next;
};

struct vhpet {
	uint64_t config;      /* ENABLE_CNF, LEG_RT_CNF */
	uint64_t isr;         /* General Interrupt Status: level-triggered timers */
	uint64_t counter;     /* the main counter at `since` (its value while halted) */
	uint64_t since;       /* vclock ns when it was last set or started */
	struct vhpet_timer t[VHPET_TIMERS];
	struct vclock clock;
	struct irq_sink isa;     /* legacy replacement: IRQ 0 and IRQ 8 */
	struct irq_sink ioapic;  /* I/O APIC inputs */
};

/* Halted, counter 0, every timer off with its comparator all ones. */
void vhpet_init(struct vhpet *h, const struct vclock *clock, const struct irq_sink *isa,
		const struct irq_sink *ioapic);
int vhpet_attach(struct vhpet *h, struct io_bus *mmio);
int vhpet_read(void *dev, uint64_t addr, unsigned size, uint64_t *val);
int vhpet_write(void *dev, uint64_t addr, unsigned size, uint64_t val);

/* Legacy replacement (LEG_RT_CNF): timers 0 and 1 own IRQ 0 and IRQ 8,
 * which the PIT and the RTC then do not drive. */
static inline bool vhpet_legacy(const struct vhpet *h) { return h->config & 2; }

/* vclock time at which a timer's comparator is next reached (possibly in
 * the past), or VHPET_NO_EVENT. */
uint64_t vhpet_next_event_ns(struct vhpet *h);
/* Raise the interrupts of the comparators reached; periodic ones move on
 * (periods missed are merged into one interrupt). */
void vhpet_tick(struct vhpet *h);

#endif
