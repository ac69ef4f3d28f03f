/* A physical CPU's run queue: the vCPUs placed on it, run in turn.  When
 * more than one can run, each gets a slice of SCHED_QUANTUM_MS, which the
 * VMX preemption timer ends (vcpu->slice_end); a vCPU that halts gives up
 * the rest of its slice and is not run again before its next timer event
 * (vcpu->wake_tsc); an application processor that waits for its start-up
 * IPI (vcpu->wait_sipi), or a vCPU of a paused VM (vcpu->paused), is not
 * run at all.  Pure: the caller runs what runq_pick() chooses. */
#ifndef HV_SCHED_H
#define HV_SCHED_H

#include <hv/types.h>

struct vcpu;

#define SCHED_QUANTUM_MS 10
#define RUNQ_MAX 16

struct runq {
	struct vcpu *v[RUNQ_MAX];
	unsigned n;
	unsigned next;             /* where the round-robin search starts */
};

/* 0, or HV_ENOMEM when the queue is full. */
int runq_add(struct runq *q, struct vcpu *v);
void runq_remove(struct runq *q, struct vcpu *v);
/* The next vCPU at time now, round-robin after the last one chosen,
 * skipping those that sleep until later; NULL when all sleep (then *wake
 * is the earliest time one wakes) or the queue is empty (*wake = 0). */
struct vcpu *runq_pick(struct runq *q, uint64_t now, uint64_t *wake);

#endif
