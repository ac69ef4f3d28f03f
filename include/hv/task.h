/* Hardware task switches (SDM Vol. 3A 9.3, "Task Switching"): VMX runs
 * none in a guest (Vol. 3C 26.4.2: every one is a VM exit, after the CPU
 * has checked the task gate's and the TSS descriptor's privilege, type,
 * limit and present bit), so the hypervisor performs it: the old task's
 * state into its TSS, the new one's from its TSS, the busy bits, the
 * back link and NT, TR, CR3, LDTR and the segment registers with their
 * checks, CR0.TS, the error code of an exception through a task gate;
 * between 32-bit and 16-bit TSSs in any pairing. */
#ifndef HV_TASK_H
#define HV_TASK_H

#include <hv/event.h>
#include <hv/types.h>

struct vcpu;

enum task_source { TASK_CALL, TASK_IRET, TASK_JMP, TASK_GATE };

struct task_switch_request {
	uint16_t selector;          /* the new task's TSS */
	enum task_source source;    /* what asked for it (exit qualification 31:30) */
	uint32_t insn_len;          /* CALL, JMP, IRET: the instruction's length */
	struct event event;         /* TASK_GATE: the event the gate delivers */
};

/* VMEXIT_RETRY once the new task is the guest's (RIP is its EIP), with
 * an exception queued if a check failed (before the switch, in the old
 * task; after it, in the new one); VMEXIT_STOP when a descriptor table or
 * TSS lies outside guest RAM. */
int task_switch(struct vcpu *v, const struct task_switch_request *r);

#endif
