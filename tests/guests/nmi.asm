; nmi.asm: NMI injection, through the hypercall HC_NMI (the hypervisor's
; stand-in for a platform NMI line).
;  1. HC_NMI with IF = 0: the NMI is taken at once through vector 2 (NMIs
;     ignore IF), once.
;  2. HC_NMI twice from inside the NMI handler: NMIs are blocked until the
;     handler's IRET (SDM Vol. 3A 6.7.1), so none nests in it; the two
;     latch as one NMI, taken after the IRET.
; Natively (no tinyhv) only the IDT gate is checked, with a software int.
%define GUEST_NAME "nmi"
%include "common.inc"

HC_NMI          equ 4
NMI_VECTOR      equ 2

nmi_isr:
	pushad
	inc dword [nmi_count]
	cmp dword [in_handler], 0
	je .outermost
	mov dword [nested], 1           ; never: NMIs are blocked in here
	popad
	iretd
.outermost:
	mov dword [in_handler], 1
	cmp dword [raise_inside], 0
	je .done
	mov dword [raise_inside], 0
	HCALL HC_NMI
	HCALL HC_NMI
	mov eax, [nmi_count]
	mov [count_inside], eax
.done:
	mov dword [in_handler], 0
	popad
	iretd

main:
	mov eax, NMI_VECTOR
	mov edx, nmi_isr
	call set_gate
	cmp byte [hv_present], 0
	jne .hv
	int NMI_VECTOR
	cmp dword [nmi_count], 1
	CHECK e, "software int 2 reached the NMI handler (native)"
	LINE "SKIP HC_NMI checks (native: no TinyHV)"
	ret
.hv:
	call nmi_at_once
	call nmi_blocked_in_handler
	ret

; 1.
nmi_at_once:
	cli
	mov dword [nmi_count], 0
	HCALL HC_NMI
	mov [hc_rc], eax
	mov eax, [nmi_count]
	mov [count_after], eax
	SAY "HC_NMI returned "
	SDEC dword [hc_rc]
	PUTS ", NMIs taken "
	DEC dword [count_after]
	NL
	cmp dword [hc_rc], 0
	CHECK e, "HC_NMI returned 0"
	cmp dword [count_after], 1
	CHECK e, "HC_NMI with IF = 0: one NMI taken at once through vector 2"
	ret

; 2.
nmi_blocked_in_handler:
	mov dword [nmi_count], 0
	mov dword [raise_inside], 1
	HCALL HC_NMI
	mov eax, [nmi_count]
	mov [count_after], eax
	SAY "NMIs taken inside the handler "
	DEC dword [count_inside]
	PUTS ", in all "
	DEC dword [count_after]
	NL
	cmp dword [nested], 0
	CHECK e, "no NMI nested in the NMI handler"
	cmp dword [count_inside], 1
	CHECK e, "NMIs raised in the NMI handler wait for its IRET"
	cmp dword [count_after], 2
	CHECK e, "the two NMIs raised in the handler came as one, after its IRET"
	ret

section .bss
nmi_count:      resd 1
in_handler:     resd 1
raise_inside:   resd 1
count_inside:   resd 1
count_after:    resd 1
nested:         resd 1
hc_rc:          resd 1
