/* A vCPU's portable side: creation, its timers, and HLT.  Running it and
 * its hardware state are the arch's (arch/x86_64/vmx/vcpu.c). */
#include <hv/arch.h>
#include <hv/errno.h>
#include <hv/event.h>
#include <hv/format.h>
#include <hv/log.h>
#include <hv/platform.h>
#include <hv/string.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

static int vcpu_start(struct vcpu *v, const struct vcpu_start *start)
{
	for (int i = 0; i < GPR_COUNT; i++)
		v->regs.gpr[i] = start->gpr[i];
	/* The first entry chooses events and arms timers like any other. */
	v->req = VCPU_REQ_EVENTS | VCPU_REQ_TIMER;
	v->wait_sipi = false;
	return arch_vcpu_create(v, start);
}

void vcpu_init_waiting(struct vcpu *v, struct vm *vm, unsigned id)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->wait_sipi = true;
}

int vcpu_init(struct vcpu *v, struct vm *vm, unsigned id, const struct vcpu_start *start)
{
	vcpu_init_waiting(v, vm, id);
	return vcpu_start(v, start);
}

void vcpu_kick(struct vcpu *v, uint32_t remote)
{
	__atomic_or_fetch(&v->remote, remote, __ATOMIC_RELEASE);
	if (v->cpu != arch_this_cpu())
		arch_cpu_kick(v->cpu);
}

/* SIPI: real mode at VV00:0000 (SDM Vol. 3A 9.4.3); the vCPU is made now,
 * on its own CPU.  A SIPI to a vCPU that does not wait for one is
 * ignored, as the CPU does (11.6.1). */
static void start_ap(struct vcpu *v)
{
	struct vcpu_start s = { .real_mode = true, .cs_sel = (uint16_t)(v->sipi_vector << 8) };
	int rc;

	if (!v->wait_sipi)
		return;
	if (v->arch)
		arch_vcpu_destroy(v);
	rc = vcpu_start(v, &s);
	if (rc)
		vm_end(v->vm, VM_END_ERROR, 0, "vCPU %u could not start: %s", v->id,
		       rc == HV_ENOMEM ? "out of memory" : "its VMCS");
}

/* The first vCPU of a VM in S3, each time it may run: a wake event
 * restarts it where the OS resumes, with a new hardware state (its CPU
 * was off); else it sleeps on until the RTC alarm or news (console
 * input: the power button).  False while it sleeps on. */
bool vcpu_sleep(struct vcpu *v, bool button)
{
	struct vcpu_start s;
	uint64_t next = 0;
	int rc = platform_wake(v->vm, button, &s, &next);

	if (rc == PLATFORM_ASLEEP) {
		v->wake_tsc = next ? next : UINT64_MAX;
		return false;
	}
	v->s3 = false;
	v->wake_tsc = 0;
	if (rc) {
		vm_end(v->vm, VM_END_RESET, 0, "woke from S3 with %s waking vector in the FACS",
		       rc == HV_ENOENT ? "no" : "an unreachable");
		return false;
	}
	if (v->arch)
		arch_vcpu_destroy(v);
	rc = vcpu_start(v, &s);
	if (rc) {
		vm_end(v->vm, VM_END_ERROR, 0, "vCPU 0 could not wake from S3: %s", hv_strerror(rc));
		return false;
	}
	pr_info("vm %u (%s): woke from S3 (%s), resuming at %s 0x%lx", v->vm->id, v->vm->name,
		button ? "console input: the power button" : "RTC alarm",
		s.real_mode ? "the real-mode waking vector" : "the 32-bit waking vector",
		s.real_mode ? (uint64_t)s.cs_sel << 4 | s.rip : s.rip);
	return true;
}

bool vcpu_take_remote(struct vcpu *v)
{
	uint32_t r = __atomic_exchange_n(&v->remote, 0, __ATOMIC_ACQUIRE);

	if (r & VCPU_REMOTE_STOP || vm_ended(v->vm)) {
		vcpu_request(v, VCPU_REQ_STOP);
		return false;
	}
	if ((r & VCPU_REMOTE_INIT) && v->id == 0) {
		/* INIT makes the bootstrap processor start again at the reset
		 * vector (SDM Vol. 3A 9.1): a reset, which for a VM with no
		 * firmware to restart ends it, as a reset through 0xCF9 does. */
		vm_end(v->vm, VM_END_RESET, 0, "reset (INIT IPI to vCPU 0)");
		vcpu_request(v, VCPU_REQ_STOP);
		return false;
	}
	if (r & VCPU_REMOTE_SLEEP) {
		/* S3: an AP waits for a start-up IPI after the wake, as after
		 * INIT; the first vCPU sleeps until vcpu_sleep wakes it. */
		v->wait_sipi = v->id != 0;
		v->s3 = v->id == 0;
		v->wake_tsc = 0;
		v->halt_no_irq = false;
		vcpu_request(v, VCPU_REQ_YIELD);
		if (v->s3)
			pr_info("vm %u (%s): asleep in ACPI S3 (suspend to RAM); the RTC alarm or "
				"console input wakes it", v->vm->id, v->vm->name);
		return false;
	}
	if (r & VCPU_REMOTE_INIT) {
		/* INIT: the AP waits for a start-up IPI; its state goes then. */
		v->wait_sipi = true;
		vcpu_request(v, VCPU_REQ_YIELD);
	}
	if (r & VCPU_REMOTE_SIPI)
		start_ap(v);
	/* The shell's pause: what others asked is taken (an NMI waits
	 * queued), but the vCPU leaves its CPU and is not picked again until
	 * the resume's kick (hv/sched.h). */
	v->paused = __atomic_load_n(&v->vm->paused, __ATOMIC_ACQUIRE);
	if (v->paused)
		vcpu_request(v, VCPU_REQ_YIELD);
	if (v->wait_sipi)
		return false;
	if (r & VCPU_REMOTE_NMI)
		vcpu_queue_nmi(v);
	if (v->paused)
		return false;
	if (r & VCPU_REMOTE_YIELD)
		vcpu_request(v, VCPU_REQ_YIELD);
	r &= ~VCPU_REMOTE_YIELD;
	/* HLT with interrupts off wakes for an NMI (or INIT, SIPI), not for
	 * an interrupt (SDM Vol. 2A HLT). */
	if (r & ~VCPU_REMOTE_EVENTS || (r && !v->halt_no_irq)) {
		v->wake_tsc = 0;
		v->halt_no_irq = false;
	}
	if (r)
		vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	return true;
}

void vcpu_snapshot(struct vcpu *v)
{
	struct vcpu_snapshot *s = &v->snap;

	for (unsigned n = 0; n < GPR_COUNT; n++)
		s->gpr[n] = vcpu_gpr(v, n);
	s->rip = vcpu_get(v, VREG_RIP);
	s->rflags = vcpu_get(v, VREG_RFLAGS);
	s->cr0 = vcpu_get(v, VREG_CR0);
	s->cr2 = v->cr2;
	s->cr3 = vcpu_get(v, VREG_CR3);
	s->cr4 = vcpu_get(v, VREG_CR4);
	s->efer = vcpu_get(v, VREG_EFER);
	s->dr7 = vcpu_get(v, VREG_DR7);
	for (unsigned i = 0; i < VSEG_COUNT; i++)
		arch_vcpu_seg_read(v, (enum vseg_id)i, &s->seg[i]);
	arch_vcpu_gdtr(v, &s->gdt_base, &s->gdt_limit);
	__atomic_store_n(&s->valid, true, __ATOMIC_RELEASE);
}

void vcpu_debug_enter(struct vcpu *v)
{
	struct vcpu_snapshot *s = &v->snap;
	const struct vm_debug *d = &v->vm->debug;

	if (s->dirty) {
		for (unsigned n = 0; n < GPR_COUNT; n++)
			vcpu_set_gpr(v, n, s->gpr[n]);
		vcpu_set(v, VREG_RIP, s->rip);
		vcpu_set(v, VREG_RFLAGS, s->rflags);
		s->dirty = false;
	}
	if (d->dr_owned) {
		for (unsigned i = 0; i < 4; i++)
			vcpu_set(v, (enum vreg)(VREG_DR0 + i), d->dr[i]);
		vcpu_set(v, VREG_DR7, d->dr7);
	}
	/* Without the monitor trap flag a step is a trap flag of the
	 * debugger's: its #DB (always intercepted) ends the step, and the
	 * flag goes again (debug_exception).  The guest could see it in
	 * that one instruction (PUSHF). */
	if (!arch_vcpu_debug_update(v) && !v->debug_tf) {
		uint64_t rflags = vcpu_get(v, VREG_RFLAGS);

		v->debug_tf = !(rflags & RFLAGS_TF);
		vcpu_set(v, VREG_RFLAGS, rflags | RFLAGS_TF);
	}
}

void vcpu_free(struct vcpu *v)
{
	if (v->arch)
		arch_vcpu_destroy(v);
}

static uint64_t earliest(uint64_t a, uint64_t b) { return a && (!b || a < b) ? a : b; }

/* The next event of its own: the platform's timers, the HC_TIMER one-shot,
 * and for vCPU 0 the end of the grace time of the shell's stop. */
uint64_t vcpu_next_event_tsc(struct vcpu *v)
{
	uint64_t next = earliest(platform_next_event_tsc(v), v->timer_deadline);

	if (v->id == 0)
		next = earliest(next, __atomic_load_n(&v->vm->stop_deadline_tsc, __ATOMIC_ACQUIRE));
	return next;
}

uint64_t vcpu_next_deadline_tsc(struct vcpu *v)
{
	uint64_t next = vcpu_next_event_tsc(v), limit = v->cpu_deadline_tsc;

	if (limit && (!next || limit < next))
		next = limit;
	return v->slice_end && (!next || v->slice_end < next) ? v->slice_end : next;
}

/* The HC_TIMER one-shot, the platform's timers, and the VM's CPU-time
 * limit: a guest that never exits (cli; jmp $) is stopped by it too. */
enum vmexit_ret vcpu_timer_expired(struct vcpu *v)
{
	struct vm *vm = v->vm;

	if (v->cpu_deadline_tsc && arch_tsc() >= v->cpu_deadline_tsc) {
		char who[24] = "";

		if (vm->nr_vcpus > 1)
			hv_snprintf(who, sizeof(who), " by vCPU %u", v->id);
		vm_end(vm, VM_END_CPU_LIMIT, 0, "CPU time limit of %u ms used up%s, at RIP 0x%lx",
		       vm->cpu_limit_ms, who, vcpu_get(v, VREG_RIP));
		return VMEXIT_STOP;
	}
	if (v->id == 0 && vm->stop_deadline_tsc && arch_tsc() >= vm->stop_deadline_tsc) {
		vm_end(vm, VM_END_KILLED, 0, "the shell's stop: still running at the end of its "
		       "grace time after the power button");
		return VMEXIT_STOP;
	}
	if (v->slice_end && arch_tsc() >= v->slice_end)
		vcpu_request(v, VCPU_REQ_YIELD);
	platform_tick(v);
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
	if (v->vm->news)
		vm_take_news(v->vm);
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
}

/* HLT: sleep until an interrupt.  With an interrupt already pending the
 * guest goes on at once; with a timer armed the CPU waits in the HLT
 * state until it fires (the arch's VCPU_REQ_HALT); with no wake-up source
 * the VM can never run again, so it ends. */
enum vmexit_ret vcpu_emulate_hlt(struct vcpu *v)
{
	uint64_t rflags = vcpu_get(v, VREG_RFLAGS);
	bool interrupts_on = rflags & RFLAGS_IF;

	/* Single-stepping HLT: the trap after it ends the halt at once. */
	if (rflags & RFLAGS_TF)
		return VMEXIT_NEXT;

	/* The guest waits: a prompt it printed without a line end shows. */
	vm_console_flush(&v->vm->console, true);
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	if (interrupts_on && vcpu_irq_pending(v))
		return VMEXIT_NEXT;
	/* Interrupts off in an SMP guest (Linux's stop_this_cpu parks its
	 * CPUs so): only another vCPU's NMI, INIT or start-up IPI wakes it.
	 * It sleeps in its CPU's run queue, not in the CPU's HLT state, and
	 * only that vCPU waits. */
	if (!interrupts_on && v->vm->nr_vcpus > 1) {
		v->wake_tsc = UINT64_MAX;
		v->halt_no_irq = true;
		vcpu_request(v, VCPU_REQ_YIELD);
		return VMEXIT_NEXT;
	}
	/* Another vCPU of the VM may wake it with an IPI, timer or not. */
	if (interrupts_on && (vcpu_next_event_tsc(v) || v->vm->nr_vcpus > 1)) {
		vcpu_request(v, VCPU_REQ_HALT);
		if (v->slice_end) {
			/* Others wait for the CPU: theirs until the timer (or
			 * a kick: vcpu_take_remote wakes it). */
			v->wake_tsc = vcpu_next_event_tsc(v);
			if (!v->wake_tsc)
				v->wake_tsc = UINT64_MAX;
			vcpu_request(v, VCPU_REQ_YIELD);
		}
		return VMEXIT_NEXT;
	}
	vm_end(v->vm, VM_END_HALTED, 0, "halted with %s at RIP 0x%lx",
	       interrupts_on ? "no wake-up source" : "interrupts disabled", vcpu_get(v, VREG_RIP));
	return VMEXIT_STOP;
}
