/* VM exits, vendor-neutral: the requests the arch decodes an exit into
 * and the portable code that emulates them (src/emul/, src/core/).  Each
 * emulation returns what happens next (enum vmexit_ret in hv/vcpu.h); the
 * arch's dispatcher moves RIP (arch/x86_64/vmx/exit.c).  Handlers whose
 * operands are only general registers (CPUID, RDMSR, WRMSR, XSETBV, HLT,
 * VMCALL) take none: there is nothing to decode. */
#ifndef HV_VMEXIT_H
#define HV_VMEXIT_H

#include <hv/types.h>
#include <hv/vcpu.h>

/* IN, OUT, INS, OUTS (src/emul/pio.c). */
struct pio_request {
	uint16_t port;
	uint8_t size;       /* 1, 2 or 4 */
	bool in;
	bool string;        /* INS/OUTS */
	bool rep;
	uint8_t addr_size;  /* string forms: 2, 4 or 8 */
	uint64_t gla;       /* string forms: linear address of the first element */
};
enum vmexit_ret pio_emulate(struct vcpu *v, const struct pio_request *r);

/* MOV to/from CR0, CR3, CR4, CR8, CLTS, LMSW (src/emul/cr.c). */
enum cr_access { CR_MOV_TO, CR_MOV_FROM, CR_CLTS, CR_LMSW };
struct cr_request {
	uint8_t access;     /* enum cr_access */
	uint8_t cr;
	uint8_t gpr;        /* MOV: the general register */
	uint16_t lmsw_src;  /* LMSW: the operand */
};
enum vmexit_ret cr_emulate(struct vcpu *v, const struct cr_request *r);
/* Load CR3 as MOV to CR3 does (PAE paging's PDPTEs with it): 0, or
 * HV_EINVAL where the MOV would raise #GP; nothing is queued. */
int cr_load_cr3(struct vcpu *v, uint64_t val);
enum vmexit_ret xsetbv_emulate(struct vcpu *v);
/* Whether XSETBV may load val into XCR0 on a CPU supporting the
 * components in supported. */
bool xcr0_valid(uint64_t val, uint64_t supported);

/* An access to guest-physical space that holds no RAM (src/emul/mmio.c):
 * a device's MMIO range, or nothing. */
struct mmio_request {
	uint64_t gpa;
	bool write;
	bool fetch;
	bool in_delivery;   /* the access delivered an event (its IDT entry or stack) */
	bool page_walk;     /* the access was the guest's own page-table walk */
	bool gla_valid;     /* gla is the linear address of the instruction's access */
	uint64_t gla;
};
enum vmexit_ret mmio_emulate(struct vcpu *v, const struct mmio_request *r);

/* An exception the guest raised that the hypervisor intercepts (the
 * arch's exception bitmap; src/emul/exception.c): #DB and #AC are
 * reflected into the guest, each delivery attempt being a VM exit, so
 * that an exception raised while delivering itself cannot hold the
 * physical CPU (CVE-2015-8104, CVE-2015-5307); a machine check stops the
 * VM. */
struct exception_request {
	struct event event;   /* as the CPU raised it: a hardware exception, or INT1
			       * (EVENT_PRIV_SW_EXCEPTION, with its instruction's length) */
	uint64_t dr6;         /* a hardware #DB: the DR6 bits its delivery would have set
			       * (DR6_B0_B3, DR6_BD, DR6_BS); the exit left DR6 unchanged */
	bool mc_status_valid; /* #MC: the machine-check status below was read */
	uint64_t mc_status;   /* #MC: IA32_MCG_STATUS */
};
enum vmexit_ret exception_reflect(struct vcpu *v, const struct exception_request *r);

enum vmexit_ret cpuid_emulate(struct vcpu *v);          /* src/emul/cpuid.c */
enum vmexit_ret msr_emulate_read(struct vcpu *v);       /* src/emul/msr.c */
enum vmexit_ret msr_emulate_write(struct vcpu *v);
enum vmexit_ret hypercall_emulate(struct vcpu *v);      /* src/core/hypercall.c */

#endif
