/* Speculative-execution mitigations at the VM boundary: what the CPU says
 * it needs (CPUID leaf 7 EDX, IA32_ARCH_CAPABILITIES), and the work done
 * at VM entry (L1D flush, VERW) and between VMs (IBPB).  Intel's
 * "Deep Dive" notes on L1TF, MDS and indirect branch control, as KVM's
 * vmx_l1d_flush, mds_clear and indirect_branch_prediction_barrier do. */
#ifndef ARCH_SPEC_H
#define ARCH_SPEC_H

#include <hv/types.h>

/* Read by the exit stub (vmx_entry.asm): 1 = do it before every entry. */
extern uint8_t spec_flush_l1d;   /* IA32_FLUSH_CMD.L1D_FLUSH (L1TF) */
extern uint8_t spec_verw;        /* VERW clears CPU buffers (MDS) */

/* Once at boot: what the CPU has and needs, and one console line. */
void spec_probe(void);
/* CPUID.7.0:EDX and IA32_ARCH_CAPABILITIES (0 without it) of the host. */
uint32_t spec_cpuid7_edx(void);
uint64_t spec_arch_capabilities(void);
/* Whether VM entries need the mitigating exit stub. */
bool spec_entry_work(void);
/* A vCPU of VM vm_id starts running on this CPU: if it last ran another
 * VM, IBPB where the CPU has it, so that one VM's branch predictions do
 * not steer the next one's. */
void spec_enter_vm(unsigned vm_id);

#endif
