; Multiboot2 entry: GRUB leaves us in 32-bit protected mode with paging off,
; EAX = 0x36d76289 and EBX = the Multiboot2 information (Multiboot2 spec 3.3,
; the same on BIOS and on UEFI without the EFI boot-services tag).  We build
; identity page tables for the first 4 GiB with 2 MiB pages, enter long mode
; (Intel SDM Vol. 3A 9.8.5) and call hv_main(magic, mbi).

%include "long_mode.inc"

MB2_MAGIC       equ 0xE85250D6
MB2_ARCH_I386   equ 0
COM1            equ 0x3f8

section .multiboot2 align=8
mb2_header:
	dd MB2_MAGIC
	dd MB2_ARCH_I386
	dd mb2_header_end - mb2_header
	dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header)) & 0xffffffff
	; module alignment tag (spec 3.1.11): modules start on page boundaries,
	; so guest images can be mapped into a guest without copying.
	align 8
	dw 6, 0
	dd 8
	; end tag
	align 8
	dw 0, 0
	dd 8
mb2_header_end:

section .boot.text
bits 32
global _start
extern hv_main
extern __bss_start, __bss_end

_start:
	cli
	cld
	mov ebp, eax                    ; keep the loader's magic and info
	mov esi, ebx

	; GRUB's ELF loader clears .bss, but nothing in the spec promises it.
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb

	mov esp, boot_stack_top

	; Long mode needs CPUID leaf 0x80000001 EDX.LM (bit 29).
	mov eax, 0x80000000
	cpuid
	cmp eax, 0x80000001
	jb .no_long_mode
	mov eax, 0x80000001
	cpuid
	test edx, 1 << 29
	jz .no_long_mode

	call build_page_tables

	ENABLE_LONG_MODE

	lgdt [boot_gdt_ptr]
	jmp 0x08:long_mode_entry

.no_long_mode:
	mov ebx, msg_no_lm
.print:
	mov al, [ebx]
	test al, al
	jz .stop
	mov dx, COM1
	out dx, al
	inc ebx
	jmp .print
.stop:
	hlt
	jmp .stop

; PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages.
build_page_tables:
	mov eax, boot_pdpt
	or eax, 0x3                     ; present | writable
	mov [boot_pml4], eax
	mov edi, boot_pdpt
	mov eax, boot_pd
	or eax, 0x3
	mov ecx, 4
.pdpt:
	mov [edi], eax
	add eax, 4096
	add edi, 8
	loop .pdpt
	mov edi, boot_pd
	mov eax, 0x83                   ; present | writable | 2 MiB page
	xor edx, edx                    ; upper dword (bits 32..): 4 GiB wraps it
	mov ecx, 4 * 512
.pd:
	mov [edi], eax
	mov [edi + 4], edx
	add eax, 0x200000
	adc edx, 0
	add edi, 8
	loop .pd
	ret

bits 64
long_mode_entry:
	LONG_MODE_SEGMENTS
	mov rsp, boot_stack_top
	mov edi, ebp                    ; hv_main(magic, mbi): zero-extended
	mov esi, esi
	call hv_main
.halt:
	cli
	hlt
	jmp .halt

section .rodata
msg_no_lm: db "tinyhv: this CPU has no long mode (x86-64); cannot start", 13, 10, 0

align 8
global boot_gdt
boot_gdt:
	dq 0
	dq 0x00AF9A000000FFFF           ; 0x08: 64-bit code, DPL 0
	dq 0x00CF92000000FFFF           ; 0x10: data, DPL 0
	dq 0x00CF9A000000FFFF           ; 0x18: 32-bit code (ap_start.asm, which
					; counts these four descriptors)
boot_gdt_end:
boot_gdt_ptr:
	dw boot_gdt_end - boot_gdt - 1
	dq boot_gdt

section .bss
align 4096
global boot_pml4
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4 * 4096
global boot_stack_top
boot_stack: resb 16384
boot_stack_top:

section .note.GNU-stack noalloc noexec nowrite progbits
