/* Events for a vCPU: exceptions the emulation raises, NMIs and external
 * interrupts, and the choice at each VM entry of the one event that goes
 * in (SDM Vol. 3A 6.9 priorities, 6.15 double faults; Vol. 3C 27.6 event
 * injection).  Portable: the arch writes the chosen event into the VMCS
 * (arch/x86_64/vmx/event.c). */
#ifndef HV_EVENT_H
#define HV_EVENT_H

#include <hv/types.h>

struct vcpu;

/* Interruption types (SDM Vol. 3C table 25-17; the same numbers in the
 * IDT-vectoring information and the VM-entry interruption information). */
enum event_type {
	EVENT_EXT_INTR = 0,
	EVENT_NMI = 2,
	EVENT_HW_EXCEPTION = 3,
	EVENT_SW_INTERRUPT = 4,       /* INT n */
	EVENT_PRIV_SW_EXCEPTION = 5,  /* INT1 */
	EVENT_SW_EXCEPTION = 6,       /* INT3, INTO */
};

struct event {
	bool valid;
	uint8_t type;       /* enum event_type */
	uint8_t vector;
	bool has_error;
	uint32_t error;
	uint32_t insn_len;  /* software interrupts and exceptions: the length of the
			     * instruction that raised them (SDM Vol. 3C 27.6.1.3) */
};

struct vcpu_events {
	struct event interrupted;  /* a delivery the VM exit interrupted: it goes in again */
	struct event exception;    /* raised by the emulation since */
	uint64_t pf_addr;          /* CR2 for exception when it is a #PF */
	bool nmi_pending;          /* one NMI latched, as the CPU's NMI pin latches one */
	uint64_t irq[4];           /* the vCPU's own external-interrupt vectors (HC_TIMER) */
};

/* Blocking in force at the next entry (SDM Vol. 3A 6.8.3, 6.7.1). */
#define EVENT_BLOCK_STI    BIT(0)
#define EVENT_BLOCK_MOV_SS BIT(1)
#define EVENT_BLOCK_NMI    BIT(2)

/* What the next entry does about events. */
struct event_plan {
	struct event inject;   /* valid: delivered by this entry */
	bool set_cr2;          /* a #PF (or the #DF it became): load CR2 = cr2 first */
	uint64_t cr2;
	bool irq_window;       /* exit as soon as the guest can take an interrupt */
	bool nmi_window;       /* ... an NMI */
	bool triple_fault;     /* a fault while delivering a double fault: shutdown */
};

/* Queue an exception for the next entry; the instruction that raised it
 * does not complete (its handler returns VMEXIT_INJECTED). */
void vcpu_queue_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error);
void vcpu_queue_pf(struct vcpu *v, uint64_t addr, uint32_t error);
static inline void vcpu_queue_gp(struct vcpu *v) { vcpu_queue_exception(v, 13, true, 0); }
static inline void vcpu_queue_ud(struct vcpu *v) { vcpu_queue_exception(v, 6, false, 0); }
/* Queue any exception-class event (a hardware exception, INT1, INT3/INTO
 * with their instruction length) as the one the exit raised: an exception
 * the guest raised itself and the hypervisor intercepted goes back in
 * exactly as the CPU reported it, merged with an interrupted delivery like
 * vcpu_queue_exception's. */
void vcpu_queue_event(struct vcpu *v, const struct event *e);
void vcpu_queue_nmi(struct vcpu *v);
/* An instruction the hypervisor completed with RFLAGS.TF set owes the
 * single-step trap the CPU would have raised after it (SDM Vol. 3A
 * 18.3.1.4): DR6.BS, and #DB next. */
void vcpu_single_step_done(struct vcpu *v);
void vcpu_raise_irq(struct vcpu *v, uint8_t vector);
/* The event whose delivery the exit interrupted (from the arch's
 * IDT-vectoring information): it is delivered again unless an exception
 * raised since takes its place (vcpu_plan_events). */
void vcpu_event_interrupted(struct vcpu *v, const struct event *e);

/* The event for the next entry and the windows to open, from what is
 * pending and the guest's blocking (EVENT_BLOCK_*) and RFLAGS.IF.  Takes
 * the chosen event out of the pending state (for a platform interrupt:
 * the interrupt controller moves it in service). */
void vcpu_plan_events(struct vcpu *v, unsigned blocking, struct event_plan *p);

/* An exception raised while delivering another event (SDM Vol. 3A 6.15,
 * table 6-5): returns the event to deliver, which is second, or #DF when
 * both are contributory or a #PF meets a contributory fault or a #PF;
 * *triple is set when the first is a #DF and the second contributory or a
 * #PF (the CPU shuts down).  first must be a hardware exception. */
struct event event_merge(const struct event *first, const struct event *second, bool *triple);

#endif
