/* The per-CPU structures (include/arch/percpu.h). */
#include <arch/cpu.h>
#include <arch/percpu.h>
#include <hv/string.h>

struct pcpu pcpus[MAX_CPUS] __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct pcpu, self) == 0, "this_cpu() reads %gs:0");
_Static_assert(__builtin_offsetof(struct pcpu, id) == 8, "this_cpu_id() reads %gs:8");
_Static_assert(__builtin_offsetof(struct pcpu, vmcs_charge) == 16,
	       "this_cpu_vmcs_charge() reads %gs:16");
_Static_assert(__builtin_offsetof(struct pcpu, nmi_seen) == 24, "this_cpu_nmi_seen() reads %gs:24");

void percpu_init(unsigned id, uint32_t apic_id)
{
	struct pcpu *p = &pcpus[id];

	p->self = p;
	p->id = id;
	p->apic_id = apic_id;
	p->vmcs_charge = &p->uncharged;
	wrmsr(MSR_IA32_GS_BASE, (uint64_t)(uintptr_t)p);
}
