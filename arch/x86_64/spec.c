/* Speculative-execution mitigations at the VM boundary (arch/spec.h).
 *
 * L1TF: a guest can read the L1 data cache through a not-present guest
 * page-table entry; a CPU that is affected (no ARCH_CAP_RDCL_NO) and that
 * does not say the flush is already done for it (SKIP_L1DFL_VMENTRY)
 * flushes L1D before every VM entry, through IA32_FLUSH_CMD.
 * MDS: a CPU with MD_CLEAR and without MDS_NO clears its buffers with
 * VERW before every VM entry (the L1D flush does that too, so VERW is
 * only needed without it).
 * Spectre v2 between VMs: IBPB (IA32_PRED_CMD) when a CPU switches VMs.
 * The guests get the speculation-control CPUID bits and MSRs the CPU
 * has (src/emul/cpuid.c, msr.c; the MSR bitmap in vmx/vm.c), so that
 * they can protect themselves. */
#include <arch/percpu.h>
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/spec.h>
#include <hv/log.h>
#include <hv/x86.h>

#define PRED_CMD_IBPB  BIT(0)

uint8_t spec_flush_l1d;
uint8_t spec_verw;
static uint32_t cpuid7_edx;
static uint64_t arch_cap;

void spec_probe(void)
{
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	if (r.eax >= 7) {
		cpuid(7, 0, &r);
		cpuid7_edx = r.edx;
	}
	if (cpuid7_edx & CPUID7_EDX_ARCH_CAP)
		arch_cap = rdmsr(MSR_IA32_ARCH_CAPABILITIES);
	spec_flush_l1d = (cpuid7_edx & CPUID7_EDX_L1D_FLUSH) &&
			 !(arch_cap & (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY));
	spec_verw = !spec_flush_l1d && (cpuid7_edx & CPUID7_EDX_MD_CLEAR) &&
		    !(arch_cap & ARCH_CAP_MDS_NO);
	pr_info("speculation: L1D flush on VM entry %s, VERW on VM entry %s, IBPB between VMs %s",
		spec_flush_l1d ? "yes" : "no", spec_verw ? "yes" : "no",
		(cpuid7_edx & CPUID7_EDX_IBRS_IBPB) ? "yes" : "no (not offered)");
}

uint32_t spec_cpuid7_edx(void) { return cpuid7_edx; }
uint64_t spec_arch_capabilities(void) { return arch_cap; }
bool spec_entry_work(void) { return spec_flush_l1d || spec_verw; }

void spec_enter_vm(unsigned vm_id)
{
	struct pcpu *p = this_cpu();         /* VM ids start at 1 */

	if (p->last_vm == vm_id)
		return;
	p->last_vm = vm_id;
	if (cpuid7_edx & CPUID7_EDX_IBRS_IBPB)
		wrmsr(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
}
