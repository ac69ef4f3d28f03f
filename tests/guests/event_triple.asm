; event_triple.asm: a #PF during #PF delivery, and a fault during the #DF
; that makes, is a triple fault (SDM Vol. 3A 6.15, table 6-5, interrupt 8):
; paging on (4 KiB pages, identity for the low 4 MiB), the IDT moved to a
; page of its own which is then not present, and a read of an unmapped
; address.  The #PF's delivery reads the IDT: #PF; #PF on #PF is #DF,
; whose delivery reads the IDT again: triple fault, which ends the VM;
; tinyhv goes on with the next guest.
%define GUEST_NAME "event_triple"
%include "common.inc"

CR0_PG          equ 1 << 31
PTE_PW          equ 3                   ; present, writable
UNMAPPED_LINEAR equ 0x800000            ; beyond the one page table

main:
	mov esi, idt
	mov edi, idt_page
	mov ecx, 256 * 8 / 4
	rep movsd
	lidt [idt_page_idtr]
	mov edi, page_table
	mov eax, PTE_PW
	mov ecx, 1024
.pte:
	mov [edi], eax
	add eax, 4096
	add edi, 4
	dec ecx
	jnz .pte
	mov eax, idt_page
	shr eax, 12
	mov dword [page_table + eax * 4], 0     ; the IDT's page: not present
	mov eax, page_table
	or eax, PTE_PW
	mov [page_dir], eax
	mov eax, page_dir
	mov cr3, eax
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	LINE "paging on, the IDT's page not present, reading unmapped 0x800000: expect #PF, #DF, triple fault"
	mov eax, [UNMAPPED_LINEAR]
	FAIL "still running after the triple fault"
	ret

section .data
	align 4
	dw 0
idt_page_idtr:
	dw 256 * 8 - 1
	dd idt_page

section .bss
	alignb 4096
page_dir:       resd 1024
page_table:     resd 1024
idt_page:       resb 4096
