; ipistorm.asm: an attacker with a local APIC (the PC platform) sends
; INIT, start-up and NMI IPIs to every APIC ID, physical 0..255, and with
; the shorthands "all" and "all but self": none may reach another VM or
; the hypervisor, its own start-up IPIs are ignored (it is the bootstrap
; processor, not waiting for one), and the NMIs it sends itself arrive.
; Last, an INIT to itself: for the bootstrap processor a reset (SDM Vol.
; 3A 9.1), which ends the VM ("reset (INIT IPI to vCPU 0)").
%define GUEST_NAME "ipistorm"
%include "common.inc"

APIC            equ 0xfee00000
APIC_ID         equ APIC + 0x20
APIC_SVR        equ APIC + 0xf0
APIC_ICR_LO     equ APIC + 0x300
APIC_ICR_HI     equ APIC + 0x310
ICR_INIT        equ (5 << 8) | (1 << 14)
ICR_SIPI        equ (6 << 8) | 0x10
ICR_NMI         equ (4 << 8)
SH_ALL          equ 2 << 18
SH_OTHERS       equ 3 << 18

main:
	mov eax, 2
	mov edx, nmi_handler
	call set_gate
	mov dword [APIC_SVR], 0x1ff
	mov ebx, [APIC_ID]
	shr ebx, 24
	LINE "sending INIT (not to itself nor 0xff), start-up and NMI IPIs to APIC IDs 0..255 and to all"
	xor ecx, ecx
.dest:
	mov eax, ecx
	shl eax, 24
	mov [APIC_ICR_HI], eax
	cmp ecx, ebx
	je .no_init
	cmp ecx, 0xff                   ; the xAPIC broadcast: itself too
	je .no_init
	mov dword [APIC_ICR_LO], ICR_INIT
.no_init:
	mov dword [APIC_ICR_LO], ICR_SIPI
	mov dword [APIC_ICR_LO], ICR_NMI
	inc ecx
	cmp ecx, 256
	jb .dest
	mov dword [APIC_ICR_LO], ICR_INIT | SH_OTHERS
	mov dword [APIC_ICR_LO], ICR_SIPI | SH_OTHERS
	mov dword [APIC_ICR_LO], ICR_NMI | SH_OTHERS
	mov dword [APIC_ICR_LO], ICR_SIPI | SH_ALL
	mov dword [APIC_ICR_LO], ICR_NMI | SH_ALL
	nop
	SAY "NMIs taken: "
	DEC dword [nmis]
	NL
	cmp dword [nmis], 0
	CHECK a, "the NMIs it sent itself arrived; it runs on after 771 IPIs"
	LINE "INIT to all, itself included: a reset"
	mov dword [APIC_ICR_LO], ICR_INIT | SH_ALL
	mov ecx, 100000
.wait:
	loop .wait
	FAIL "an INIT to itself did not reset it"
	ret

nmi_handler:
	inc dword [nmis]
	iretd

section .bss
nmis:           resd 1
