; event_edges.asm: event delivery edge cases (the hardening issue's "event
; injection edge cases"), all delivered by the CPU through the guest's IDT:
;  1. An NMI injected by tinyhv (HC_NMI) whose IDT gate (vector 2) is not
;     present: the delivery raises #NP with the error code of the gate,
;     (2 << 3) | IDT (bit 1) | EXT (bit 0: the NMI is an event external to
;     the program; SDM Vol. 3A 6.13), at the EIP the NMI interrupted (after
;     the VMCALL), through the guest's #NP handler.  The NMI is not
;     delivered again; with the gate restored the next HC_NMI reaches the
;     NMI handler once (the #NP handler's IRET left NMIs unblocked, and
;     NMIs stay blocked in the NMI handler until its IRET, SDM 6.7.1).
;  2. A #GP whose gate (vector 13) is not present: the #NP raised during
;     its delivery is contributory on contributory, so a #DF (vector 8,
;     error code 0) reaches the guest's #DF handler (SDM Vol. 3A 6.15,
;     table 6-5); once for a #GP the guest raises itself (MOV ES of a
;     selector beyond the GDT), once for a #GP that tinyhv injects (RDMSR
;     of an MSR that does not exist).  With the gate restored both are a
;     plain #GP again.
; Natively (no tinyhv) only case 2's own #GP runs.
%define GUEST_NAME "event_edges"
%include "common.inc"

HC_NMI          equ 4
NMI_VECTOR      equ 2
GP_VECTOR       equ 13
GATE_PRESENT    equ 0x8000              ; in the gate's word at offset 4
BAD_SELECTOR    equ 0xfff8              ; beyond the GDT's limit
NO_SUCH_MSR     equ 0x1234
NMI_NP_ERROR    equ (NMI_VECTOR << 3) | 2 | 1
GP_NP_ERROR     equ (GP_VECTOR << 3) | 2

nmi_isr:
	inc dword [nmi_count]
	iretd

main:
	cmp byte [hv_present], 0
	je .native
	call nmi_gate_absent
	call df_chain_injected
.native:
	call df_chain_own
	ret

; 1.
nmi_gate_absent:
	cli
	mov dword [nmi_count], 0
	and word [idt + NMI_VECTOR * 8 + 4], ~GATE_PRESENT
	LINE "HC_NMI with the NMI gate not present: expect #NP"
	mov dword [fault_vector], -1
	mov dword [fault_error], -1
	mov dword [fault_eip], -1
	mov dword [fault_resume], .resume
	mov dword [fault_expect], 11
	mov eax, HC_NMI
	vmcall
.resume:
	mov dword [fault_expect], -1
	CHECK_FAULT 11, NMI_NP_ERROR, "the NMI's delivery through a not-present gate raised #NP((2 << 3) | IDT | EXT) = 0x13"
	cmp dword [fault_eip], .resume
	CHECK e, "the #NP's EIP is where the NMI came in (after the VMCALL)"
	mov ebx, 0
	HCALL HC_NOP
	cmp dword [nmi_count], 0
	CHECK e, "the NMI lost to the #NP is not delivered again"
	mov eax, NMI_VECTOR
	mov edx, nmi_isr
	call set_gate
	HCALL HC_NMI
	HCALL HC_NOP
	SAY "NMIs taken with the gate restored: "
	DEC dword [nmi_count]
	NL
	cmp dword [nmi_count], 1
	CHECK e, "with the gate restored HC_NMI reaches the NMI handler once"
	ret

; 2., the #GP tinyhv injects.
df_chain_injected:
	and word [idt + GP_VECTOR * 8 + 4], ~GATE_PRESENT
	mov ecx, NO_SUCH_MSR
	TRY 8, rdmsr
	CHECK_FAULT 8, 0, "injected #GP (RDMSR) with the #GP gate not present: #NP in its delivery became #DF(0)"
	or word [idt + GP_VECTOR * 8 + 4], GATE_PRESENT
	mov ecx, NO_SUCH_MSR
	TRY 13, rdmsr
	CHECK_FAULT 13, 0, "with the #GP gate restored, RDMSR of a missing MSR is #GP(0) again"
	ret

; 2., the guest's own #GP.
df_chain_own:
	and word [idt + GP_VECTOR * 8 + 4], ~GATE_PRESENT
	mov ax, BAD_SELECTOR
	TRY 8, mov es, ax
	CHECK_FAULT 8, 0, "own #GP (MOV ES) with the #GP gate not present: #NP in its delivery became #DF(0)"
	or word [idt + GP_VECTOR * 8 + 4], GATE_PRESENT
	mov ax, BAD_SELECTOR
	TRY 13, mov es, ax
	CHECK_FAULT 13, BAD_SELECTOR, "with the #GP gate restored, MOV ES of a selector beyond the GDT is #GP(selector) again"
	mov ax, DATA_SEL
	mov es, ax
	ret

section .bss
nmi_count:      resd 1
