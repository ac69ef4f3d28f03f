; taskswitch.asm: an attacker that asks for a hardware task switch (a far
; JMP to an available 32-bit TSS).  Task switches cannot happen in VMX
; non-root operation: each attempt exits (SDM Vol. 3C 26.4.2), and tinyhv
; does not emulate them, so it stops this VM with the reason ("task switch
; by JMP to TSS selector 0x20 at RIP ...: not emulated"); the next guest
; runs.
%define GUEST_NAME "taskswitch"
%include "common.inc"

TSS_SIZE        equ 104
TSS_A_SEL       equ 0x18                ; this task's
TSS_B_SEL       equ 0x20                ; the one it switches to

main:
	mov eax, tss_a
	mov ecx, TSS_SIZE - 1
	mov edi, gdt_ts + TSS_A_SEL
	call tss_descriptor
	mov eax, tss_b
	mov edi, gdt_ts + TSS_B_SEL
	call tss_descriptor
	mov dword [tss_b + 32], after_switch    ; EIP
	mov dword [tss_b + 36], 2               ; EFLAGS
	mov dword [tss_b + 56], stack_top       ; ESP
	mov word [tss_b + 76], CODE_SEL         ; CS
	mov word [tss_b + 80], DATA_SEL         ; SS
	mov word [tss_b + 84], DATA_SEL         ; DS
	mov word [tss_b + 72], DATA_SEL         ; ES
	lgdt [gdtr_ts]
	jmp CODE_SEL:.reload
.reload:
	mov ax, TSS_A_SEL
	ltr ax
	LINE "far JMP to an available TSS: a task switch (tinyhv must stop this VM)"
	jmp TSS_B_SEL:0
after_switch:
	FAIL "the task switch happened and the VM ran on"
	ret

section .data
	align 8
gdt_ts:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: code, flat, 32-bit
	dq 0x00CF92000000FFFF           ; 0x10: data, flat
	dq 0                            ; 0x18: TSS A (filled in)
	dq 0                            ; 0x20: TSS B (filled in)
gdt_ts_end:
	align 4
	dw 0
gdtr_ts:
	dw gdt_ts_end - gdt_ts - 1
	dd gdt_ts

section .bss
	alignb 16
tss_a:          resb TSS_SIZE
	alignb 16
tss_b:          resb TSS_SIZE
