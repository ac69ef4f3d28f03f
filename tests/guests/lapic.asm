; lapic.asm: a Multiboot guest on the PC platform uses its local APIC as
; a PC kernel would (SDM Vol. 3A chapter 11): IA32_APIC_BASE (enabled,
; BSP, at 0xFEE00000), its APIC ID and version, a one-shot timer
; interrupt, and an IPI to itself.  With platform=none the machine has no
; local APIC: CPUID.1:EDX.APIC is clear and IA32_APIC_BASE raises #GP.
%define GUEST_NAME "lapic"
%include "common.inc"

APIC_BASE_MSR   equ 0x1b
APIC            equ 0xfee00000
APIC_ID         equ APIC + 0x20
APIC_VERSION    equ APIC + 0x30
APIC_EOI        equ APIC + 0xb0
APIC_SVR        equ APIC + 0xf0
APIC_ICR_LO     equ APIC + 0x300
APIC_LVT_TIMER  equ APIC + 0x320
APIC_INIT_COUNT equ APIC + 0x380
APIC_DIVIDE     equ APIC + 0x3e0
TIMER_VECTOR    equ 0x40
IPI_VECTOR      equ 0x41
ICR_SELF        equ 1 << 18         ; destination shorthand: self
WAIT_LOOPS      equ 1000

main:
	mov eax, 1
	cpuid
	test edx, 1 << 9
	jnz .have_apic
	LINE "no local APIC (CPUID.1:EDX.APIC clear)"
	mov ecx, APIC_BASE_MSR
	TRY 13, rdmsr
	CHECK_FAULT 13, 0, "rdmsr IA32_APIC_BASE raised #GP(0) on a bare machine"
	ret
.have_apic:
	mov ecx, APIC_BASE_MSR
	rdmsr
	SAY "IA32_APIC_BASE "
	HEX eax
	NL
	and eax, 0xfffff900
	cmp eax, APIC | (1 << 11) | (1 << 8)
	CHECK e, "IA32_APIC_BASE: enabled, BSP, at 0xfee00000"
	mov eax, [APIC_ID]
	shr eax, 24
	SAY "APIC ID "
	DEC eax
	PUTS ", version "
	HEX dword [APIC_VERSION]
	NL
	test eax, eax
	CHECK z, "the APIC ID of the only CPU is 0"

	mov eax, TIMER_VECTOR
	mov edx, timer_handler
	call set_gate
	mov eax, IPI_VECTOR
	mov edx, ipi_handler
	call set_gate
	mov dword [APIC_SVR], 0x1ff     ; software enable, spurious vector 0xff

	mov dword [APIC_DIVIDE], 0xb    ; divide by 1
	mov dword [APIC_LVT_TIMER], TIMER_VECTOR      ; one-shot, not masked
	mov dword [APIC_INIT_COUNT], 200000
	mov ecx, WAIT_LOOPS
.wait_timer:
	sti
	hlt
	cli
	cmp dword [timer_count], 0
	jne .timer_done
	loop .wait_timer
.timer_done:
	cmp dword [timer_count], 1
	CHECK e, "one local APIC timer interrupt (vector 0x40, one-shot)"

	mov dword [APIC_ICR_LO], ICR_SELF | IPI_VECTOR
	sti
	nop
	nop
	cli
	cmp dword [ipi_count], 1
	CHECK e, "an IPI to itself (vector 0x41) arrived"
	ret

timer_handler:
	inc dword [timer_count]
	mov dword [APIC_EOI], 0
	iretd

ipi_handler:
	inc dword [ipi_count]
	mov dword [APIC_EOI], 0
	iretd

section .bss
timer_count:    resd 1
ipi_count:      resd 1
