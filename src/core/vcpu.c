/* A vCPU's portable side: creation, its timers, and HLT.  Running it and
 * its hardware state are the arch's (arch/x86_64/vmx/vcpu.c). */
#include <hv/arch.h>
#include <hv/platform.h>
#include <hv/string.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

int vcpu_init(struct vcpu *v, struct vm *vm, unsigned id, const struct vcpu_start *start)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	for (int i = 0; i < GPR_COUNT; i++)
		v->regs.gpr[i] = start->gpr[i];
	/* The first entry chooses events and arms timers like any other. */
	v->req = VCPU_REQ_EVENTS | VCPU_REQ_TIMER;
	return arch_vcpu_create(v, start);
}

void vcpu_free(struct vcpu *v)
{
	if (v->arch)
		arch_vcpu_destroy(v);
}

uint64_t vcpu_next_event_tsc(struct vcpu *v)
{
	uint64_t platform = platform_next_event_tsc(v->vm);

	if (!v->timer_deadline)
		return platform;
	return platform && platform < v->timer_deadline ? platform : v->timer_deadline;
}

uint64_t vcpu_next_deadline_tsc(struct vcpu *v)
{
	uint64_t next = vcpu_next_event_tsc(v), limit = v->vm->cpu_deadline_tsc;

	if (limit && (!next || limit < next))
		next = limit;
	return v->slice_end && (!next || v->slice_end < next) ? v->slice_end : next;
}

/* The HC_TIMER one-shot, the platform's timers, and the VM's CPU-time
 * limit: a guest that never exits (cli; jmp $) is stopped by it too. */
enum vmexit_ret vcpu_timer_expired(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (vm->cpu_deadline_tsc && arch_tsc() >= vm->cpu_deadline_tsc) {
		vm_end(vm, VM_END_CPU_LIMIT, 0, "CPU time limit of %u ms used up, at RIP 0x%lx",
		       vm->cpu_limit_ms, vcpu_get(v, VREG_RIP));
		return VMEXIT_STOP;
	}
	if (v->slice_end && arch_tsc() >= v->slice_end)
		vcpu_request(v, VCPU_REQ_YIELD);
	platform_tick(v->vm);
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	if (v->timer_deadline && arch_tsc() >= v->timer_deadline) {
		v->timer_deadline = 0;
		vcpu_raise_irq(v, v->timer_vector);
	}
	return VMEXIT_RETRY;
}

void vcpu_host_interrupt(struct vcpu *v)
{
	if (v->vm->input_ready)
		vm_take_input(v->vm);
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
}

/* HLT: sleep until an interrupt.  With an interrupt already pending the
 * guest goes on at once; with a timer armed the CPU waits in the HLT
 * state until it fires (the arch's VCPU_REQ_HALT); with no wake-up source
 * the VM can never run again, so it ends. */
enum vmexit_ret vcpu_emulate_hlt(struct vcpu *v)
{
	bool interrupts_on = vcpu_get(v, VREG_RFLAGS) & RFLAGS_IF;

	/* The guest waits: a prompt it printed without a line end shows. */
	vm_console_flush(&v->vm->console, true);
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	if (interrupts_on && vcpu_irq_pending(v))
		return VMEXIT_NEXT;
	if (interrupts_on && vcpu_next_event_tsc(v)) {
		vcpu_request(v, VCPU_REQ_HALT);
		if (v->slice_end) {
			/* Others wait for the CPU: theirs until the timer. */
			v->wake_tsc = vcpu_next_event_tsc(v);
			vcpu_request(v, VCPU_REQ_YIELD);
		}
		return VMEXIT_NEXT;
	}
	vm_end(v->vm, VM_END_HALTED, 0, "halted with %s at RIP 0x%lx",
	       interrupts_on ? "no wake-up source" : "interrupts disabled", vcpu_get(v, VREG_RIP));
	return VMEXIT_STOP;
}
