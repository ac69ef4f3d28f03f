; echo.asm: reads what is typed at its console (its UART, polled: LSR
; bit 0, data ready) and prints each line back as "got 'LINE'"; the line
; "quit" ends it.  With several VMs only the one with the console's focus
; gets what is typed (src/core/console_in.c).  Natively it reads the
; machine's UART the same way.
%define GUEST_NAME "echo"
%include "common.inc"

LINE_MAX        equ 60

main:
	LINE "ready: type a line, or quit"
.line:
	xor edi, edi                    ; bytes in line_buf
.byte:
	call uart_getc
	cmp al, 13
	je .end_of_line
	cmp al, 10
	je .end_of_line
	cmp edi, LINE_MAX
	jae .byte                       ; too long: the rest is not kept
	mov [line_buf + edi], al
	inc edi
	jmp .byte
.end_of_line:
	test edi, edi
	jz .line                        ; CR LF, or an empty line
	mov byte [line_buf + edi], 0
	SAY "got '"
	mov esi, line_buf
	call puts
	PUTS "'", 10
	cmp edi, 4
	jne .line
	cmp dword [line_buf], 'quit'
	jne .line
	ret

section .bss
line_buf:       resb LINE_MAX + 1
