/* A virtual CPU as portable code sees it: the guest's registers behind
 * accessors with a per-exit cache, its pending events, and the work the
 * next VM entry must do.  What only VMX knows (the VMCS, controls,
 * per-reason exit counts) is in struct vcpu_arch (arch/x86_64/vmx/).
 *
 * Register cache: the exit stub saves the general registers (all but RSP)
 * into regs.gpr on every exit.  The rest of the guest state stays in the
 * hardware (the VMCS) until a handler asks: vcpu_get() reads a register
 * once per exit, vcpu_set() changes the cached copy, and only registers
 * set this exit are written back, just before the next VM entry. */
#ifndef HV_VCPU_H
#define HV_VCPU_H

#include <hv/event.h>
#include <hv/mtrr.h>
#include <hv/types.h>
#include <hv/x86.h>

struct vm;
struct vcpu_arch;

/* General registers in x86 register-number order (SDM Vol. 2A table
 * 2-1), so that decoders can index them. */
enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT
};

/* The rest of the guest state that emulation reads or writes. */
enum vreg {
	VREG_RSP,
	VREG_RIP,
	VREG_RFLAGS,
	VREG_CR0,           /* as the guest sees it (its read shadow) */
	VREG_CR3,
	VREG_CR4,           /* as the guest sees it */
	VREG_EFER,
	VREG_PAT,
	VREG_DEBUGCTL,      /* IA32_DEBUGCTL (VMX: saved and loaded with the debug controls) */
	VREG_SYSENTER_CS,
	VREG_SYSENTER_ESP,
	VREG_SYSENTER_EIP,
	VREG_CS_BASE,
	VREG_SS_BASE,       /* the data segments' bases: MOVS, PUSH and POP on a device */
	VREG_DS_BASE,
	VREG_ES_BASE,
	VREG_FS_BASE,
	VREG_GS_BASE,
	VREG_CS_AR,         /* access rights, SEG_AR_* layout */
	VREG_SS_AR,         /* its DPL is the CPL (SDM Vol. 3A 5.5) */
	VREG_PDPTE0,        /* PAE paging's PDPTE registers (SDM Vol. 3A 4.4.1) */
	VREG_PDPTE1,
	VREG_PDPTE2,
	VREG_PDPTE3,
	VREG_XCR0,
	VREG_TSC_OFFSET,    /* guest TSC = host TSC + this */
	VREG_DR0,           /* the guest's breakpoint addresses (VMX: the CPU's own DR0-DR3) */
	VREG_DR1,
	VREG_DR2,
	VREG_DR3,
	VREG_DR6,           /* the guest's debug status (VMX: the CPU's own DR6) */
	VREG_DR7,           /* the guest's debug control */
	VREG_COUNT
};

struct vcpu_regs {
	uint64_t gpr[GPR_COUNT];  /* saved by the exit stub; GPR_RSP only via vcpu_gpr() */
	uint64_t host_rsp;        /* arch: the stack the exit stub switches to */
	uint64_t val[VREG_COUNT];
	uint32_t avail;           /* BIT(vreg): val[] holds it this exit */
	uint32_t dirty;           /* BIT(vreg): to be written back before entry */
};

/* Work for the next VM entry (v->req): set by whoever changes what the
 * entry depends on, so that an entry with nothing to do does nothing. */
#define VCPU_REQ_EVENTS BIT(0)  /* an event may be deliverable: choose again */
#define VCPU_REQ_TIMER  BIT(1)  /* a timer deadline may have moved */
#define VCPU_REQ_HALT   BIT(2)  /* the guest executed HLT: wait in the HLT state */
#define VCPU_REQ_STOP   BIT(3)  /* the VM has ended: do not enter again */
#define VCPU_REQ_YIELD  BIT(4)  /* leave the CPU to the next vCPU of its run queue */

/* What other CPUs ask of a vCPU (v->remote, set atomically by vcpu_kick):
 * taken by the vCPU's own CPU before its next entry (vcpu_take_remote),
 * the only CPU that touches its state. */
#define VCPU_REMOTE_EVENTS BIT(0)  /* an interrupt may be deliverable */
#define VCPU_REMOTE_NMI    BIT(1)  /* an NMI IPI */
#define VCPU_REMOTE_INIT   BIT(2)  /* an INIT IPI: wait for a start-up IPI */
#define VCPU_REMOTE_SIPI   BIT(3)  /* a start-up IPI, vector in sipi_vector */
#define VCPU_REMOTE_STOP   BIT(4)  /* the VM ended */
#define VCPU_REMOTE_SLEEP  BIT(5)  /* ACPI S3: the processors stop (platform_wake) */
#define VCPU_REMOTE_YIELD  BIT(6)  /* its CPU has a new vCPU to run: leave the CPU */

/* What the hardware lets this vCPU have, for CPUID and the emulation. */
/* A segment register whole: selector and descriptor cache, the access
 * rights in the VMX layout (SDM Vol. 3C 25.4.1: the descriptor's type, S,
 * DPL and P in bits 7:0, AVL, L, D/B and G in 15:12; bit 16 unusable). */
struct vseg {
	uint16_t sel;
	uint64_t base;
	uint32_t limit;     /* in bytes, G applied */
	uint32_t ar;
};

#define VSEG_AR_UNUSABLE BIT(16)

enum vseg_id { VSEG_ES, VSEG_CS, VSEG_SS, VSEG_DS, VSEG_FS, VSEG_GS, VSEG_LDTR, VSEG_TR,
	       VSEG_COUNT };

/* The guest's state as its vCPU last left its CPU (the shell's regs, the
 * debugger): its CPU writes it, then sets valid; running again clears
 * valid. */
struct vcpu_snapshot {
	volatile bool valid;
	bool dirty;                /* the debugger changed gpr, rip or rflags: put back
				    * at the next entry (vcpu_debug_enter) */
	uint64_t gpr[GPR_COUNT];
	uint64_t rip, rflags, cr0, cr2, cr3, cr4, efer, dr7;
	struct vseg seg[VSEG_COUNT];
	uint64_t gdt_base;
	uint32_t gdt_limit;
};

struct vcpu_features {
	bool rdtscp, invpcid;      /* the guest may use RDTSCP, INVPCID */
	bool xsave;                /* the host runs with CR4.OSXSAVE */
	bool xsavec;               /* the host's XSAVEC is sound: shown to the guest */
	uint64_t cr4_valid;        /* CR4 bits the guest may set */
	unsigned maxphyaddr;       /* CPUID.80000008H:EAX[7:0] */
	uint32_t host_max_leaf;    /* CPUID.0:EAX */
	bool arch_capabilities;    /* the host has IA32_ARCH_CAPABILITIES ... */
	uint64_t arch_capabilities_val; /* ... with this value */
};

struct vcpu {
	struct vcpu_regs regs;     /* first: the exit stub writes at the vcpu's address */
	struct vm *vm;
	unsigned id;
	uint32_t req;              /* VCPU_REQ_* */
	uint32_t insn_len;         /* this exit: the instruction's length where the
				    * handler found it (MMIO), else 0: the hardware's */
	unsigned cpu;              /* the physical CPU whose run queue has it */
	volatile uint32_t remote;  /* VCPU_REMOTE_* */
	/* In arch_vcpu_run on its CPU; and the VM's sync_gen it last took
	 * (vm_sync_vcpus). */
	volatile bool on_cpu;
	volatile uint32_t sync_ack;
	volatile uint8_t sipi_vector;
	bool wait_sipi;            /* an application processor before its start-up IPI */
	bool halt_no_irq;          /* asleep in HLT with interrupts off */
	bool s3;                   /* the first vCPU while its VM sleeps in S3 */
	bool paused;               /* its VM is paused (vm->paused, as its CPU last saw it) */
	bool misc_enable_set;      /* IA32_MISC_ENABLE written: misc_enable holds it */
	bool breakpoints_off;      /* the guest's DR7 is known to enable no breakpoint
				    * (arch_vcpu_watch_breakpoints; hv/breakpoint.h) */
	uint64_t misc_enable;
	struct mtrr_state mtrr;    /* its MTRRs (hv/mtrr.h) */
	struct vcpu_events ev;
	struct vcpu_features feat;
	uint64_t cr2;              /* the guest's CR2 while it does not run */
	struct vcpu_snapshot snap;
	bool debug_step;           /* the debugger steps it one instruction (VMX: MTF) */
	bool debug_tf;             /* ... by RFLAGS.TF, which the guest had clear */

	/* Its CPU's scheduler (hv/sched.h): when its slice ends (host TSC;
	 * 0: alone on the CPU, no slice), and when it halted with others
	 * waiting, the time before which it need not run (0: runnable). */
	uint64_t slice_end;
	uint64_t wake_tsc;
	/* cpu_limit=: the host TSC at which this vCPU has used its CPU time
	 * (0: no limit, or not run yet), and when it last left its CPU. */
	uint64_t cpu_deadline_tsc;
	uint64_t off_cpu_since;

	/* One-shot timer from HC_TIMER. */
	uint64_t timer_deadline;   /* host TSC; 0 = not armed */
	uint8_t timer_vector;

	struct vcpu_arch *arch;
};

/* How a vCPU starts: 32-bit protected mode, paging off, flat segments
 * (Multiboot), 64-bit mode on the loader's page tables (Linux), or real
 * mode at cs_sel:0000 (an application processor's start-up IPI). */
struct vcpu_start {
	bool long_mode;
	bool real_mode;
	bool power_on;             /* CR0 as at power-on: CD and NW set (a wake from S3) */
	uint64_t rip, rsp, cr3;
	uint64_t gdt_base;
	uint16_t gdt_limit;
	uint16_t cs_sel, ds_sel;
	uint64_t gpr[GPR_COUNT];
};

/* What a VM-exit handler says happens next: one return contract for every
 * handler (ACRN's dispatch table, bhyve's HANDLED); the dispatcher moves
 * RIP in one place. */
enum vmexit_ret {
	VMEXIT_NEXT,      /* done: the guest goes on after the instruction */
	VMEXIT_RETRY,     /* the guest goes on at the same RIP: the instruction runs
			   * again (a long REP string), or the exit was no instruction's */
	VMEXIT_INJECTED,  /* an exception was queued in place of the instruction */
	VMEXIT_STOP,      /* the VM stops: vm_end() said why */
};

/* Read a register from the hardware (arch): vcpu_get() calls it on a miss. */
uint64_t arch_vcpu_read(struct vcpu *v, enum vreg r);

/* For the rare emulation that switches segments (task switches): read and
 * write a segment register (the register cache follows), and the GDTR. */
void arch_vcpu_seg_read(struct vcpu *v, enum vseg_id s, struct vseg *out);
void arch_vcpu_seg_write(struct vcpu *v, enum vseg_id s, const struct vseg *in);
void arch_vcpu_gdtr(struct vcpu *v, uint64_t *base, uint32_t *limit);

/* The guest's XMM register n (0-15), 16 bytes: live in the CPU while an
 * exit is handled (the hypervisor uses no SSE), for the emulation of the
 * SSE moves on MMIO. */
void arch_vcpu_xmm_read(struct vcpu *v, unsigned n, uint8_t val[16]);
void arch_vcpu_xmm_write(struct vcpu *v, unsigned n, const uint8_t val[16]);

/* The guest's DR7 enables no breakpoint: watch for a change if the arch
 * can (VMX: MOV DR exits), and set v->breakpoints_off while it does. */
void arch_vcpu_watch_breakpoints(struct vcpu *v);

static inline uint64_t vcpu_get(struct vcpu *v, enum vreg r)
{
	if (!(v->regs.avail & BIT(r))) {
		v->regs.val[r] = arch_vcpu_read(v, r);
		v->regs.avail |= (uint32_t)BIT(r);
	}
	return v->regs.val[r];
}

static inline void vcpu_set(struct vcpu *v, enum vreg r, uint64_t val)
{
	if ((v->regs.avail & BIT(r)) && v->regs.val[r] == val)
		return;
	v->regs.val[r] = val;
	v->regs.avail |= (uint32_t)BIT(r);
	v->regs.dirty |= (uint32_t)BIT(r);
}

/* A general register by number; RSP lives with the other state. */
static inline uint64_t vcpu_gpr(struct vcpu *v, unsigned n)
{
	return n == GPR_RSP ? vcpu_get(v, VREG_RSP) : v->regs.gpr[n & 15];
}

static inline void vcpu_set_gpr(struct vcpu *v, unsigned n, uint64_t val)
{
	if (n == GPR_RSP)
		vcpu_set(v, VREG_RSP, val);
	else
		v->regs.gpr[n & 15] = val;
}

static inline void vcpu_request(struct vcpu *v, uint32_t req) { v->req |= req; }

/* The privilege level: SS.DPL (SDM Vol. 3A 5.5). */
static inline unsigned vcpu_cpl(struct vcpu *v) { return SEG_AR_DPL(vcpu_get(v, VREG_SS_AR)); }
/* IA-32e mode (EFER.LMA). */
static inline bool vcpu_long_mode(struct vcpu *v) { return vcpu_get(v, VREG_EFER) & EFER_LMA; }
/* 64-bit code: IA-32e mode and CS.L. */
static inline bool vcpu_64bit_code(struct vcpu *v)
{
	return vcpu_long_mode(v) && (vcpu_get(v, VREG_CS_AR) & SEG_AR_L);
}

/* vcpu.c */
int vcpu_init(struct vcpu *v, struct vm *vm, unsigned id, const struct vcpu_start *start);
/* An application processor: it waits for a start-up IPI (wait_sipi) with
 * no hardware state until then. */
void vcpu_init_waiting(struct vcpu *v, struct vm *vm, unsigned id);
/* Ask v for work from any CPU: the request is noted atomically and v's
 * CPU, if it is another, leaves the guest at once (a host IPI). */
void vcpu_kick(struct vcpu *v, uint32_t remote);
/* On v's own CPU: what others asked.  Returns false when v may not run:
 * it waits for a start-up IPI, or its VM ended. */
bool vcpu_take_remote(struct vcpu *v);
/* ACPI S3: the sleeping first vCPU, when it may run (button: console
 * input came, which presses the power button).  True once it woke and may
 * enter the guest; false while it sleeps on (v->wake_tsc says till when)
 * or when the VM ended. */
bool vcpu_sleep(struct vcpu *v, bool button);
void vcpu_free(struct vcpu *v);
/* Fill v->snap (the arch calls it as the vCPU leaves its CPU, with its
 * state at hand). */
void vcpu_snapshot(struct vcpu *v);
/* As the vCPU starts a slice with its state at hand: what the debugger
 * changed in v->snap, the debugger's debug registers, and its exits
 * (arch_vcpu_debug_update). */
void vcpu_debug_enter(struct vcpu *v);
/* The arch's intercepts for the VM's debugger: #BP exits while it has
 * software breakpoints, the monitor trap flag while v->debug_step.  With
 * v's state at hand.  False when the CPU has no monitor trap flag: the
 * step is then the guest's RFLAGS.TF and its #DB (vcpu_debug_enter). */
bool arch_vcpu_debug_update(struct vcpu *v);
/* The next timer event for this vCPU (HC_TIMER or the platform's) as a
 * host TSC value, or 0. */
uint64_t vcpu_next_event_tsc(struct vcpu *v);
/* When the preemption timer must fire: the next timer event, the VM's
 * CPU-time limit or the end of its slice, whichever is first (host TSC,
 * 0: never). */
uint64_t vcpu_next_deadline_tsc(struct vcpu *v);
/* An interrupt is waiting for this vCPU (its own or the platform's). */
bool vcpu_irq_pending(struct vcpu *v);
/* A host interrupt made the vCPU exit (console input, another CPU's kick):
 * whatever it brought for the VM is taken, and the entry looks again. */
void vcpu_host_interrupt(struct vcpu *v);
/* HLT: sleep until an interrupt, or end the VM when none can come. */
enum vmexit_ret vcpu_emulate_hlt(struct vcpu *v);
/* The preemption timer fired: run the timers that are due, or end the VM
 * at its CPU-time limit. */
enum vmexit_ret vcpu_timer_expired(struct vcpu *v);

#endif
