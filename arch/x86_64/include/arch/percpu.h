/* Per-CPU state: one structure per physical CPU, everything a CPU keeps
 * for itself.  A CPU reaches its own through GS: the host's GS base is its
 * struct pcpu (set at start-up, and by every VM exit from the VMCS's
 * host-state area, SDM Vol. 3C 27.5.2), and the hypervisor never loads GS
 * or executes SWAPGS. */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#include <arch/gdt.h>

struct vcpu;
#include <hv/types.h>

/* VMREADs and VMWRITEs are counted so that the statistics and the
 * benchmark can tell what each exit reason costs: each access adds one to
 * the counters this CPU charges now, which the exit dispatcher points at
 * the running vCPU's counters for the exit's reason (exit.c). */
struct vmcs_counters {
	uint64_t reads, writes;
};

enum pcpu_state {
	PCPU_ABSENT,       /* not in the MADT, or not started */
	PCPU_STARTING,     /* INIT-SIPI-SIPI sent, not yet in VMX root */
	PCPU_ONLINE,       /* in VMX root operation, waiting for or doing work */
	PCPU_FAILED,       /* it started but could not enter VMX operation */
};

struct pcpu {
	struct pcpu *self;                 /* %gs:0 */
	unsigned id;                       /* %gs:8: its index in pcpus[] */
	uint32_t apic_id;
	struct vmcs_counters *vmcs_charge; /* %gs:16: where VMCS accesses are counted now */
	/* %gs:24: an NMI came in VMX root operation (set in NMI context,
	 * where nothing else is safe: the console lock may be held by the
	 * code it interrupted); the run loop passes it to the next guest it
	 * enters. */
	volatile bool nmi_seen;
	volatile int state;                /* enum pcpu_state */
	struct vmcs_counters uncharged;    /* ... outside any exit */
	paddr_t vmxon_region;
	unsigned last_vm;                  /* the VM it ran last (IBPB between VMs) */
	struct vcpu *vcpu;                 /* the vCPU it runs now, or NULL */
	uint64_t stack_top;                /* an application processor's stack */
	/* What the CPU runs once the boot CPU releases it (arch_cpu_release). */
	void (*volatile work)(unsigned cpu);
	struct cpu_tables tables;          /* GDT, TSS, IST stacks */
};

extern struct pcpu pcpus[MAX_CPUS];

/* Make pcpus[id] this CPU's (GS base); the first thing a CPU does. */
void percpu_init(unsigned id, uint32_t apic_id);

static inline struct pcpu *this_cpu(void)
{
	struct pcpu *p;

	__asm__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/* One load: every VMREAD and VMWRITE counts through it. */
static inline struct vmcs_counters *this_cpu_vmcs_charge(void)
{
	struct vmcs_counters *c;

	__asm__("movq %%gs:16, %0" : "=r"(c));
	return c;
}

static inline void this_cpu_charge_to(struct vmcs_counters *c)
{
	__asm__ volatile("movq %0, %%gs:16" : : "r"(c) : "memory");
}

static inline bool this_cpu_nmi_seen(void)
{
	bool seen;

	__asm__ volatile("movb %%gs:24, %0" : "=r"(seen));
	return seen;
}

static inline unsigned this_cpu_id(void)
{
	unsigned id;

	__asm__("movl %%gs:8, %0" : "=r"(id));
	return id;
}

#endif
