; taskswitch.asm: hardware task switches, which VMX does not run in a
; guest: each attempt exits (SDM Vol. 3C 26.4.2) and tinyhv performs it
; (src/emul/task.c).  A far JMP from task A to task B's 32-bit TSS: in B,
; TR is B's, CR0.TS is set, A's TSS holds where A left off; B's far JMP
; back to A: TR is A's again and B's TSS holds where B left off.  Then a
; far JMP to a TSS whose base lies outside guest RAM (0xf0000000, a hole
; of the guest's physical memory): tinyhv stops this VM with the reason
; ("task switch to TSS selector 0x28 at RIP ...: a descriptor table or TSS
; outside guest RAM"), and the next guest runs.  (16-bit TSSs are
; switched to and from too: the equivalence area legacy checks them.)
%define GUEST_NAME "taskswitch"
%include "common.inc"

TSS_SIZE        equ 104
TSS_A_SEL       equ 0x18                ; this task's
TSS_B_SEL       equ 0x20                ; the one it switches to
TSS_C_SEL       equ 0x28                ; a TSS outside guest RAM
TSS_C_BASE      equ 0xf0000000
TSS_EIP         equ 32
CR0_TS          equ 1 << 3

main:
	mov eax, tss_a
	mov ecx, TSS_SIZE - 1
	mov edi, gdt_ts + TSS_A_SEL
	call tss_descriptor
	mov eax, tss_b
	mov edi, gdt_ts + TSS_B_SEL
	call tss_descriptor
	mov eax, TSS_C_BASE
	mov edi, gdt_ts + TSS_C_SEL
	call tss_descriptor
	mov dword [tss_b + TSS_EIP], in_task_b
	mov dword [tss_b + 36], 2               ; EFLAGS
	mov dword [tss_b + 56], task_b_stack_top ; ESP: a stack of its own
	mov word [tss_b + 76], CODE_SEL         ; CS
	mov word [tss_b + 80], DATA_SEL         ; SS
	mov word [tss_b + 84], DATA_SEL         ; DS
	mov word [tss_b + 72], DATA_SEL         ; ES
	lgdt [gdtr_ts]
	jmp CODE_SEL:.reload
.reload:
	mov ax, TSS_A_SEL
	ltr ax
	LINE "far JMP to task B's 32-bit TSS: a task switch"
	jmp TSS_B_SEL:0
back_in_a:
	str ax
	cmp ax, TSS_A_SEL
	CHECK e, "back in task A by task B's far JMP: TR is task A's"
	cmp dword [tss_b + TSS_EIP], after_b_jmp
	CHECK e, "task B's TSS holds the EIP after its far JMP"
	clts
	LINE "far JMP to a TSS outside guest RAM (tinyhv must stop this VM)"
	jmp TSS_C_SEL:0
	FAIL "the switch to a TSS outside guest RAM happened and the VM ran on"
	ret

; Task B, on its own stack.
in_task_b:
	str ax
	cmp ax, TSS_B_SEL
	CHECK e, "in task B after the far JMP: TR is task B's"
	mov eax, cr0
	test eax, CR0_TS
	CHECK nz, "the task switch set CR0.TS"
	cmp dword [tss_a + TSS_EIP], back_in_a
	CHECK e, "task A's TSS holds the EIP after its far JMP"
	clts
	jmp TSS_A_SEL:0
after_b_jmp:
	FAIL "task B ran on after its far JMP to task A"
	jmp after_b_jmp

section .data
	align 8
gdt_ts:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: code, flat, 32-bit
	dq 0x00CF92000000FFFF           ; 0x10: data, flat
	dq 0                            ; 0x18: TSS A (filled in)
	dq 0                            ; 0x20: TSS B (filled in)
	dq 0                            ; 0x28: TSS C, outside RAM (filled in)
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
	alignb 16
task_b_stack:   resb 4096
task_b_stack_top:
