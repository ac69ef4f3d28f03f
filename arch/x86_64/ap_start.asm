; Application processors' way from the start-up IPI to C (SDM Vol. 3A
; 9.4.4, "MP Initialization Example", and 9.8.5 for long mode).
;
; A start-up IPI with vector VV starts a CPU in real mode at VV00:0000, so
; the first part, ap_trampoline..ap_trampoline_end, is copied by smp.c to a
; page below 1 MiB.  It only loads the boot GDT and enters protected mode;
; the far jump leaves the page for ap_start32 in the image, which enters
; long mode on the boot page tables exactly as boot.asm does and calls
; ap_main(ap_boot_cpu) on the stack ap_boot_stack.  The boot CPU starts one
; AP at a time and sets those two before each start-up IPI.

%include "long_mode.inc"

extern boot_gdt, boot_pml4
extern ap_main
global ap_trampoline, ap_trampoline_end, ap_boot_stack, ap_boot_cpu

section .text
bits 16
ap_trampoline:
	cli
	cld
	mov ax, cs
	mov ds, ax
	o32 lgdt [ap_gdtr - ap_trampoline]
	mov eax, cr0
	or eax, 1                       ; CR0.PE
	mov cr0, eax
	jmp dword 0x18:ap_start32       ; boot_gdt's 32-bit code segment
align 4
ap_gdtr:
	dw 4 * 8 - 1                    ; boot_gdt's four descriptors (boot.asm)
	dd boot_gdt
ap_trampoline_end:

bits 32
ap_start32:
	mov ax, 0x10
	mov ds, ax
	mov es, ax
	mov ss, ax
	ENABLE_LONG_MODE
	jmp 0x08:ap_long

bits 64
ap_long:
	LONG_MODE_SEGMENTS
	mov rsp, [rel ap_boot_stack]
	mov edi, [rel ap_boot_cpu]
	call ap_main
.halt:
	cli
	hlt
	jmp .halt

section .data
align 8
ap_boot_stack: dq 0
ap_boot_cpu:   dd 0

section .note.GNU-stack noalloc noexec nowrite progbits
