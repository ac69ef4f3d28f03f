/* Turning what a VM exit reports into the vendor-neutral requests and
 * events of hv/vmexit.h and hv/event.h, and back: pure functions of the
 * VMCS fields' values (arch/x86_64/vmx/decode.c), unit tested on the
 * host. */
#ifndef ARCH_VMX_DECODE_H
#define ARCH_VMX_DECODE_H

#include <hv/event.h>
#include <hv/types.h>
#include <hv/vmexit.h>

/* I/O instruction: the exit qualification (SDM Vol. 3C table 28-5) and,
 * for INS/OUTS, the VM-exit instruction information (table 28-8) and the
 * guest-linear address. */
void vmx_decode_io(uint64_t qual, uint32_t insn_info, uint64_t gla, struct pio_request *r);
/* Control-register access: the exit qualification (table 28-3). */
void vmx_decode_cr(uint64_t qual, struct cr_request *r);
/* EPT violation: the exit qualification (table 28-7), the guest-physical
 * address, the guest-linear address (read only where the qualification
 * says it is valid: vmx_ept_violation_has_gla), and whether the exit
 * interrupted an event's delivery. */
void vmx_decode_ept_violation(uint64_t qual, uint64_t gpa, uint64_t gla, bool in_delivery,
			      struct mmio_request *r);
bool vmx_ept_violation_has_gla(uint64_t qual);
/* EPT violation qualification bit 12: the access was an IRET's, which had
 * unblocked NMIs (SDM 28.2.3). */
bool vmx_ept_violation_unblocked_nmi(uint64_t qual);

/* The IDT-vectoring information (SDM 28.2.4, table 25-19) as an event;
 * false when it holds none.  Software interrupts and exceptions keep the
 * length of their instruction (27.6.1.3). */
bool vmx_decode_vectoring(uint32_t info, uint32_t error, uint32_t insn_len, struct event *e);
/* An exception exit (basic reason 0, not an NMI): the VM-exit
 * interruption information and error code (25.9.2, table 25-19), the
 * instruction length (INT1, INT3, INTO: 28.2.5) and the exit
 * qualification, which for #DB holds the DR6 bits the delivery would have
 * set (28.2.1, table 28-1).  *nmi_unblocked: bit 12, a fault in an IRET
 * that had unblocked NMIs (28.2.3).  The #MC status is the caller's. */
void vmx_decode_exception(uint32_t intr_info, uint32_t error, uint32_t insn_len, uint64_t qual,
			  struct exception_request *r, bool *nmi_unblocked);

/* An event in the VM-entry interruption-information format (table 25-17). */
uint32_t vmx_entry_intr_info(const struct event *e);

/* Interruptibility-state bits (table 25-3) as hv/event.h blocking. */
unsigned vmx_blocking(uint32_t interruptibility);

#endif
