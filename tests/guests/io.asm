; io.asm: port I/O as tinyhv emulates it: the UART's LSR and scratch
; register (byte OUT/IN, the rest of EAX kept), string I/O (rep outsb to the
; console across a page boundary, insb, rep insb, insb with DF = 1, rep
; outsd and rep insw on an unclaimed port) and an unclaimed port (0x2000):
; reads give all ones in the operand size, writes are ignored.
%define GUEST_NAME "io"
%include "common.inc"

UNCLAIMED_PORT  equ 0x2000

main:
	; (tinyhv's LSR always says THR empty; a real or emulated UART says it
	; once it has sent the last line)
	mov ecx, 1000000
	mov dx, UART_LSR
.lsr:
	in al, dx
	test al, LSR_THRE
	jnz .lsr_done
	dec ecx
	jnz .lsr
.lsr_done:
	test al, LSR_THRE
	CHECK nz, "LSR (0x3fd) says THR empty (bit 5)"

	; The scratch register, one byte at a time.
	mov dx, UART_SCR
	mov al, 0xa5
	out dx, al
	mov eax, 0x12345600
	in al, dx
	mov ebx, eax
	mov al, 0x5a
	out dx, al
	mov eax, 0x12345600
	in al, dx
	SAY "scratch 0x3ff: wrote 0xa5, read "
	HEX ebx
	PUTS "; wrote 0x5a, read "
	HEX eax
	NL
	cmp ebx, 0x123456a5
	jne .scr_bad
	cmp eax, 0x1234565a
	jne .scr_bad
	PASS "scratch register 0x3ff: OUT then IN of 0xa5 and 0x5a (rest of EAX kept)"
	jmp .outs
.scr_bad:
	FAIL "scratch register 0x3ff: OUT then IN of 0xa5 and 0x5a (rest of EAX kept)"

.outs:
	; A whole line with one rep outsb; it crosses a page boundary.
	cld
	mov esi, outs_line
	mov ecx, outs_line_len
	mov dx, UART_THR
	rep outsb
	test ecx, ecx
	jnz .outs_bad
	cmp esi, outs_line + outs_line_len
	jne .outs_bad
	PASS "rep outsb: ECX = 0 and ESI advanced by the length"
	jmp .ins
.outs_bad:
	FAIL "rep outsb: ECX = 0 and ESI advanced by the length"

.ins:
	mov dword [ins_buf], 0
	mov dword [ins_buf + 4], 0
	mov dword [ins_buf + 8], 0
	mov dword [ins_buf + 12], 0
	mov dx, UART_SCR
	mov al, 0x3c
	out dx, al
	mov edi, ins_buf
	insb
	cmp byte [ins_buf], 0x3c
	jne .insb_bad
	cmp edi, ins_buf + 1
	jne .insb_bad
	PASS "insb from 0x3ff stored 0x3c and advanced EDI by 1"
	jmp .rep_ins
.insb_bad:
	FAIL "insb from 0x3ff stored 0x3c and advanced EDI by 1"

.rep_ins:
	mov al, 0x7e
	out dx, al
	mov edi, ins_buf + 4
	mov ecx, 4
	rep insb
	cmp dword [ins_buf + 4], 0x7e7e7e7e
	jne .rep_ins_bad
	test ecx, ecx
	jnz .rep_ins_bad
	cmp edi, ins_buf + 8
	jne .rep_ins_bad
	PASS "rep insb of 4 bytes from 0x3ff"
	jmp .std_ins
.rep_ins_bad:
	FAIL "rep insb of 4 bytes from 0x3ff"

.std_ins:
	mov al, 0x42
	out dx, al
	mov edi, ins_buf + 12
	std
	insb
	cld
	cmp byte [ins_buf + 12], 0x42
	jne .std_bad
	cmp edi, ins_buf + 11
	jne .std_bad
	cmp byte [ins_buf + 11], 0
	jne .std_bad
	PASS "insb with DF = 1 stored the byte and decremented EDI"
	jmp .unclaimed
.std_bad:
	FAIL "insb with DF = 1 stored the byte and decremented EDI"

.unclaimed:
	mov dx, UNCLAIMED_PORT
	mov eax, 0x12345678
	in al, dx
	mov ebx, eax
	mov eax, 0x12345678
	in ax, dx
	mov ecx, eax
	mov eax, 0x12345678
	in eax, dx
	SAY "IN from unclaimed port 0x2000 (EAX was 0x12345678): 8-bit "
	HEX ebx
	PUTS ", 16-bit "
	HEX ecx
	PUTS ", 32-bit "
	HEX eax
	NL
	cmp ebx, 0x123456ff
	CHECK e, "8-bit IN from unclaimed port 0x2000 reads 0xff (rest of EAX kept)"
	cmp ecx, 0x1234ffff
	CHECK e, "16-bit IN from unclaimed port 0x2000 reads 0xffff (rest of EAX kept)"
	cmp eax, 0xffffffff
	CHECK e, "32-bit IN from unclaimed port 0x2000 reads 0xffffffff"

	mov eax, 0xdeadbeef
	out dx, al
	out dx, ax
	out dx, eax
	PASS "8-, 16- and 32-bit OUT to unclaimed port 0x2000 ignored"

	mov esi, outs_line
	mov ecx, 2
	rep outsd
	test ecx, ecx
	jnz .outsd_bad
	cmp esi, outs_line + 8
	jne .outsd_bad
	PASS "rep outsd of 2 dwords to port 0x2000: ECX = 0, ESI advanced by 8"
	jmp .insw
.outsd_bad:
	FAIL "rep outsd of 2 dwords to port 0x2000: ECX = 0, ESI advanced by 8"

.insw:
	mov dword [ins_buf], 0
	mov dword [ins_buf + 4], 0
	mov edi, ins_buf
	mov ecx, 2
	rep insw
	cmp dword [ins_buf], 0xffffffff
	jne .insw_bad
	cmp dword [ins_buf + 4], 0
	jne .insw_bad
	test ecx, ecx
	jnz .insw_bad
	cmp edi, ins_buf + 4
	jne .insw_bad
	PASS "rep insw of 2 words from port 0x2000 stored 0xffff twice"
	ret
.insw_bad:
	FAIL "rep insw of 2 words from port 0x2000 stored 0xffff twice"
	ret

; The rep outsb line starts 24 bytes before a page boundary.
section .data.pagecross progbits alloc noexec write align=4096
	times 4096 - 24 db 0
outs_line:      db "io: written by rep outsb, across a page boundary", 10
outs_line_len   equ $ - outs_line

section .bss
ins_buf:        resb 16
