/* Events for a vCPU and the choice of the one that each VM entry delivers.
 *
 * Two slots keep apart what the CPU keeps apart: an event whose delivery a
 * VM exit interrupted (it goes in again, SDM Vol. 3C 28.2.4) and an
 * exception the emulation raised since.  When both are there the CPU's
 * own rule for an exception during delivery applies (Vol. 3A 6.15): a
 * contributory fault during another, or a #PF during a #PF, becomes a
 * double fault, and a fault during a double fault shuts the CPU down.
 * Otherwise the order is the CPU's (Vol. 3A 6.9): exceptions, then NMIs,
 * then external interrupts, each when the guest's blocking allows it; an
 * event that must wait opens a window (a VM exit as soon as the guest can
 * take it). */
#include <hv/event.h>
#include <hv/platform.h>
#include <hv/vcpu.h>
#include <hv/vm.h>
#include <hv/x86.h>

static struct event hw_exception(uint8_t vector, bool has_error, uint32_t error)
{
	return (struct event){ .valid = true, .type = EVENT_HW_EXCEPTION, .vector = vector,
			       .has_error = has_error, .error = error };
}

/* The first exception of an exit stops the instruction; anything the
 * emulation raises after it never happened on a real CPU. */
void vcpu_queue_exception(struct vcpu *v, uint8_t vector, bool has_error, uint32_t error)
{
	if (v->ev.exception.valid)
		return;
	v->ev.exception = hw_exception(vector, has_error, error);
	vcpu_request(v, VCPU_REQ_EVENTS);
}

void vcpu_queue_event(struct vcpu *v, const struct event *e)
{
	if (v->ev.exception.valid || !e->valid)
		return;
	v->ev.exception = *e;
	vcpu_request(v, VCPU_REQ_EVENTS);
}

void vcpu_queue_pf(struct vcpu *v, uint64_t addr, uint32_t error)
{
	if (v->ev.exception.valid)
		return;
	vcpu_queue_exception(v, X86_PF, true, error);
	v->ev.pf_addr = addr;
}

void vcpu_single_step_done(struct vcpu *v)
{
	vcpu_set(v, VREG_DR6, vcpu_get(v, VREG_DR6) | DR6_BS);
	vcpu_queue_exception(v, X86_DB, false, 0);
}

void vcpu_queue_nmi(struct vcpu *v)
{
	v->ev.nmi_pending = true;
	vcpu_request(v, VCPU_REQ_EVENTS);
}

void vcpu_raise_irq(struct vcpu *v, uint8_t vector)
{
	v->ev.irq[vector / 64] |= BIT(vector % 64);
	vcpu_request(v, VCPU_REQ_EVENTS);
}

void vcpu_event_interrupted(struct vcpu *v, const struct event *e)
{
	v->ev.interrupted = *e;
	vcpu_request(v, VCPU_REQ_EVENTS);
}

static bool own_irq_pending(const struct vcpu *v)
{
	return v->ev.irq[0] | v->ev.irq[1] | v->ev.irq[2] | v->ev.irq[3];
}

bool vcpu_irq_pending(struct vcpu *v)
{
	return own_irq_pending(v) || platform_pending_vector(v) >= 0;
}

/* Exception classes of SDM Vol. 3A table 6-4. */
enum exc_class { BENIGN, CONTRIBUTORY, PAGE_FAULT };

static enum exc_class exc_class(const struct event *e)
{
	if (e->type != EVENT_HW_EXCEPTION)
		return BENIGN;
	switch (e->vector) {
	case X86_DE: case X86_TS: case X86_NP: case X86_SS: case X86_GP: case X86_CP:
		return CONTRIBUTORY;
	case X86_PF: case X86_VE:
		return PAGE_FAULT;
	default:
		return BENIGN;
	}
}

struct event event_merge(const struct event *first, const struct event *second, bool *triple)
{
	enum exc_class a = exc_class(first), b = exc_class(second);

	*triple = false;
	if (first->type == EVENT_HW_EXCEPTION && first->vector == X86_DF) {
		*triple = b != BENIGN;
		return *second;
	}
	if ((a == CONTRIBUTORY && b == CONTRIBUTORY) || (a == PAGE_FAULT && b != BENIGN))
		return hw_exception(X86_DF, true, 0);
	return *second; /* handled serially */
}

/* Fault-class exceptions (SDM Vol. 3A 6.5, table 6-1): not #DB (a trap
 * as tinyhv raises it; an instruction breakpoint comes with its own RF
 * from the CPU), #BP, #OF (traps), #DF, #MC (aborts) or NMI. */
static bool is_fault(const struct event *e)
{
	const uint32_t not_faults = BIT(X86_DB) | BIT(X86_NMI) | BIT(X86_BP) | BIT(X86_OF) |
				    BIT(X86_DF) | BIT(X86_MC);

	return e->valid && e->type == EVENT_HW_EXCEPTION && e->vector < 32 &&
	       !(not_faults & BIT(e->vector));
}

/* The interrupted delivery and the new exception become one event.  An
 * NMI or external interrupt that lost its delivery to the exception waits
 * for its turn again; a software interrupt or exception is simply raised
 * again by its instruction, at which RIP still points. */
static void plan_fault(struct vcpu *v, struct event_plan *p)
{
	struct vcpu_events *e = &v->ev;
	struct event first = e->interrupted, second = e->exception;

	e->interrupted.valid = false;
	e->exception.valid = false;
	if (!second.valid) {
		p->inject = first;
		return;
	}
	if (second.type == EVENT_HW_EXCEPTION && second.vector == X86_PF) {
		/* CR2 is loaded when the #PF is detected, also when it then
		 * becomes a #DF (SDM Vol. 3A 6.15, interrupt 14). */
		p->set_cr2 = true;
		p->cr2 = e->pf_addr;
	}
	p->inject = second;
	if (first.valid && first.type == EVENT_HW_EXCEPTION)
		p->inject = event_merge(&first, &second, &p->triple_fault);
	/* A fault's frame holds RFLAGS with RF set, so that the IRET back
	 * to the faulting instruction does not break on it again (SDM Vol.
	 * 3A 18.3.1.1); injection does not do it for the hypervisor. */
	if (is_fault(&p->inject))
		vcpu_set(v, VREG_RFLAGS, vcpu_get(v, VREG_RFLAGS) | RFLAGS_RF);
	if (!first.valid || first.type == EVENT_HW_EXCEPTION)
		return;
	if (first.type == EVENT_NMI)
		e->nmi_pending = true;
	else if (first.type == EVENT_EXT_INTR)
		e->irq[first.vector / 64] |= BIT(first.vector % 64);
}

/* The vCPU's own interrupts (HC_TIMER) first, then the platform's
 * interrupt controllers; -1 if none. */
static int highest_irq(struct vcpu *v, bool *own)
{
	*own = true;
	for (int w = 3; w >= 0; w--)
		if (v->ev.irq[w])
			return w * 64 + 63 - __builtin_clzll(v->ev.irq[w]);
	*own = false;
	return platform_pending_vector(v);
}

static void plan_irq(struct vcpu *v, unsigned blocking, struct event_plan *p)
{
	bool own;
	int vector = highest_irq(v, &own);

	if (vector < 0)
		return;
	if (!(vcpu_get(v, VREG_RFLAGS) & RFLAGS_IF) ||
	    (blocking & (EVENT_BLOCK_STI | EVENT_BLOCK_MOV_SS))) {
		p->irq_window = true;
		return;
	}
	if (own)
		v->ev.irq[vector / 64] &= ~BIT(vector % 64);
	else
		platform_ack_vector(v, vector);
	p->inject = (struct event){ .valid = true, .type = EVENT_EXT_INTR, .vector = (uint8_t)vector };
	p->irq_window = vcpu_irq_pending(v);
}

void vcpu_plan_events(struct vcpu *v, unsigned blocking, struct event_plan *p)
{
	struct vcpu_events *e = &v->ev;

	*p = (struct event_plan){ 0 };
	if (e->interrupted.valid || e->exception.valid) {
		plan_fault(v, p);
		/* Real mode pushes no error code (SDM Vol. 3A 20.1.4), and VM
		 * entry refuses to deliver one into a guest with CR0.PE clear
		 * (Vol. 3C 26.2.1.3): a #GP from RDMSR in real mode, say. */
		if (!(vcpu_get(v, VREG_CR0) & CR0_PE))
			p->inject.has_error = false;
		p->irq_window = vcpu_irq_pending(v);
	} else if (e->nmi_pending &&
		   !(blocking & (EVENT_BLOCK_NMI | EVENT_BLOCK_STI | EVENT_BLOCK_MOV_SS))) {
		/* An NMI goes before external interrupts (SDM Vol. 3A 6.9). */
		e->nmi_pending = false;
		p->inject = (struct event){ .valid = true, .type = EVENT_NMI, .vector = X86_NMI };
		p->irq_window = vcpu_irq_pending(v);
	} else {
		plan_irq(v, blocking, p);
	}
	p->nmi_window = e->nmi_pending;
}
