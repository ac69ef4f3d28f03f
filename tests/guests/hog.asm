; hog.asm: CPU-bound and nothing else: it counts blocks of 1024 loop
; iterations until its TSC passes the number after "ticks=" on its
; command line (default 200000000), then prints the count.  The count
; measures the CPU time it got: two hogs that share one CPU for the same
; time each get about half of what one alone gets.
%define GUEST_NAME "hog"
%include "common.inc"

DEFAULT_TICKS   equ 200000000

main:
	call parse_cmdline
	SAY "counting until TSC "
	DEC dword [ticks]
	NL
.block:
	mov ecx, 1024
.spin:
	dec ecx
	jnz .spin
	inc dword [count]
	rdtsc
	test edx, edx
	jnz .done
	cmp eax, [ticks]
	jb .block
.done:
	SAY "count "
	DEC dword [count]
	NL
	ret

; ticks = the number after "ticks=" anywhere in the command line.
parse_cmdline:
	pushad
	mov dword [ticks], DEFAULT_TICKS
	mov ebx, [boot_info]
	test dword [ebx], MB1_INFO_CMDLINE
	jz .done
	mov esi, [ebx + 16]
.scan:
	cmp byte [esi], 0
	je .done
	cmp dword [esi], 'tick'
	jne .next
	cmp word [esi + 4], 's='
	jne .next
	lea edi, [esi + 6]
	xor eax, eax
.digit:
	movzx edx, byte [edi]
	sub edx, '0'
	cmp edx, 9
	ja .number_end
	imul eax, eax, 10
	add eax, edx
	inc edi
	jmp .digit
.number_end:
	test eax, eax
	jz .next
	mov [ticks], eax
.next:
	inc esi
	jmp .scan
.done:
	popad
	ret

section .bss
	alignb 4
ticks:          resd 1
count:          resd 1
