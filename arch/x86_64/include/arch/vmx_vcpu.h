/* The VMX parts of a vCPU and a VM (arch/x86_64/vmx/), behind the
 * portable structures' arch pointers, and what the VMX files call of each
 * other. */
#ifndef ARCH_VMX_VCPU_H
#define ARCH_VMX_VCPU_H

#include <arch/ept.h>
#include <arch/vmcs.h>
#include <arch/xstate.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

struct vm_arch {
	struct ept ept;
	struct spinlock ept_lock;  /* changes to ept (the CPU's A/D flags aside) */
	enum dirty_mode dirty_mode; /* what each vCPU's sync applies (dirty.c) */
	uint16_t vpid;
	paddr_t io_bitmap;         /* two pages: ports 0-0x7fff, 0x8000-0xffff */
	paddr_t msr_bitmap;
};

/* MSRs the VMCS does not switch: the hypervisor never uses them, so they
 * are swapped only when a vCPU starts and stops running. */
struct vcpu_msrs {
	uint64_t star, lstar, cstar, fmask, kernel_gs_base, tsc_aux;
	uint64_t spec_ctrl;        /* where the CPU has IA32_SPEC_CTRL */
};

struct vcpu_arch {
	paddr_t vmcs;
	bool launched;             /* VMLAUNCH succeeded: the next entry is VMRESUME */
	unsigned host_cpu;         /* the CPU whose tables the VMCS's host state names */
	uint32_t pin_ctls, proc_ctls, proc2_ctls, entry_ctls, exit_ctls;
	bool nmi_window_ok;        /* the CPU has NMI-window exiting (needs virtual NMIs) */
	bool mov_dr_exiting_ok;    /* the CPU has MOV-DR exiting */
	bool bp_exiting;           /* #BP in the exception bitmap: the debugger's INT3s */
	bool irq_window, nmi_window;   /* window exiting armed */
	bool timer_on;             /* the preemption timer is enabled */
	unsigned timer_shift;      /* it counts TSC / 2^timer_shift (IA32_VMX_MISC[4:0]) */
	uint64_t deadline;         /* host TSC of the next timer event, 0: none */
	uint64_t next_stats;       /* host TSC of the next stats_interval line, 0: none */
	bool halted;               /* the VMCS activity state is HLT */
	uint32_t reason;           /* this exit's basic reason */
	struct vcpu_msrs msrs;
	uint64_t xcr0;             /* the guest's XCR0 */
	struct xstate xs;          /* extended, debug and TPR state while not loaded */
	paddr_t pml;               /* its page-modification log (where the CPU has PML) */
	bool pml_on;               /* enabled in the VMCS */
	uint64_t eptp;             /* the EPT pointer in the VMCS */

	/* Per basic exit reason: exits, and the VMREADs/VMWRITEs they cost
	 * (the last slot: failed entries and unknown reasons). */
	uint64_t exits[EXIT_REASON_MAX];
	struct vmcs_counters counts[EXIT_REASON_MAX + 1];
	/* Exception-or-NMI exits by vector (exceptions 0-31). */
	uint64_t exceptions[32];
};

static inline struct vcpu_arch *vmx(const struct vcpu *v) { return v->arch; }

/* vmx_entry.asm: load the guest's registers and VMLAUNCH (launched == 0)
 * or VMRESUME.  Returns 0 once the exit path returns no vCPU to resume
 * (the VM ended), 1 if VMLAUNCH/VMRESUME itself failed. */
int vmx_enter(struct vcpu *v, int launched);
void vmx_exit_stub(void);
void vmx_exit_stub_mitigated(void);   /* with arch/spec.h's entry work */

/* exit.c: the exit stub calls this with the guest's registers saved;
 * returns the vCPU to resume, or NULL to return from vmx_enter(). */
struct vcpu *vmx_exit(struct vcpu *v);
/* Everything the next entry needs; false when the VM has ended. */
bool vmx_prepare_entry(struct vcpu *v);

/* dirty.c: the vCPU's part of dirty-page logging: its controls at
 * creation (the VMCS current), its sync before an entry when the VM's
 * sync_gen moved (vm_sync_vcpus), the drain of its log when it leaves
 * its CPU, and the PML-full exit. */
int vmx_dirty_vcpu_init(struct vcpu *v);
void vmx_dirty_vcpu_free(struct vcpu *v);
void vmx_dirty_sync(struct vcpu *v);
void vmx_dirty_drain(struct vcpu *v);
enum vmexit_ret vmx_pml_full(struct vcpu *v);

/* vcpu.c */
void vmx_flush_regs(struct vcpu *v);
/* The guest state an entry failure report shows (console lines). */
void vmx_report_guest_state(void);
void vmx_update_timer(struct vcpu *v);
uint64_t vmx_real_cr0(uint64_t guest_cr0);
uint64_t vmx_real_cr4(uint64_t guest_cr4);

/* event.c */
void vmx_save_vectoring(struct vcpu *v);
void vmx_deliver_events(struct vcpu *v);
/* A faulting IRET had unblocked NMIs: block them again (SDM 28.2.3). */
void vmx_reblock_nmi(struct vcpu *v);
/* A #DB exit with TF and an STI/MOV-SS shadow: set the pending BS. */
void vmx_db_single_step_pending(struct vcpu *v);
enum vmexit_ret vmx_dr_access(struct vcpu *v);

#endif
