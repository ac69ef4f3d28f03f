; dirtier.asm: writes a known number of distinct pages when told to, for
; the dirty-page log (bochs_dirty_log).  It polls its console (as
; echo.asm) and for each byte received: 'w' writes one byte into each of
; 64 pages, 'W' into each of 1024 (more than a page-modification log's
; 512 entries), each time a new value, then says "wrote N pages"; 'q'
; ends it.  Waiting, it writes nothing but its stack.
%define GUEST_NAME "dirtier"
%include "common.inc"

FEW             equ 64
MANY            equ 1024
PAGE            equ 4096

main:
	LINE "ready: w writes 64 pages, W 1024, q ends"
.next:
	call uart_getc
	mov ecx, FEW
	cmp al, 'w'
	je .write
	mov ecx, MANY
	cmp al, 'W'
	je .write
	cmp al, 'q'
	jne .next
	ret
.write:
	mov ebx, ecx
	inc byte [round]
	mov dl, [round]
	mov edi, pages
.page:
	mov [edi], dl
	add edi, PAGE
	dec ecx
	jnz .page
	SAY "wrote "
	DEC ebx
	PUTS " pages", 10
	jmp .next

section .bss
round:          resb 1
alignb PAGE
pages:          resb MANY * PAGE
