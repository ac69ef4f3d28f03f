; string_io.asm: an attacker whose INS/OUTS buffers run off guest RAM.
; tinyhv emulates string I/O itself, element by element, through the
; guest's address translation into its RAM; an element outside RAM must
; stop the VM with a report naming the port and the linear address (it
; cannot be given to the guest as a fault: a real machine would have
; written to whatever is there).  The guest's command line picks the
; attack (first four characters):
;   iend   rep insb from port 0x2000 upwards with ECX = 0xffffffff, from
;          8 KiB + 16 bytes below RAM's end: chunks of 4096 elements, then
;          the end of RAM (linear = RAM's end)
;   oend   rep outsb to port 0x2000, 64 bytes from 16 below RAM's end
;   idow   DF = 1, rep insw from EDI = 6, 64 words: 6, 4, 2, 0, then
;          0xfffffffe (32-bit address size: below 0 wraps to 4 GiB - 2)
;   odow   DF = 1, rep outsd from ESI = 8, 64 dwords: ..., 0xfffffffc
;   istr   insd (no REP) at 2 bytes below RAM's end: straddles the end
; For each, the guest prints what it does and must not come back; if it
; does, it says FAIL and exits 1.  Anything else (no command line): the
; in-RAM wrap-arounds, which must complete:
;   - 16-bit address size, DF = 1: rep insb from DI = 3 runs 3, 2, 1, 0,
;     0xffff, 0xfffe, ... inside the segment (RAM), only CX counts, the
;     high halves of EDI and ECX are kept;
;   - the same for rep outsb from SI = 2;
;   - 32-bit, DF = 1, rep insb down across a page boundary.
%define GUEST_NAME "string_io"
%include "common.inc"

PORT            equ 0x2000          ; unclaimed: reads all ones

%macro ATTACK 1+                    ; the line before an attack
	SAY %1, " at EIP "
	HEX %%at
	PUTS " (tinyhv must stop this VM)", 10
%%at:
%endmacro

main:
	call mb_ram_end
	mov [ram_end], eax
	mov ebx, [boot_info]
	SAY "guest RAM ends at "
	HEX eax
	NL
	test dword [ebx], MB1_INFO_CMDLINE
	jz wrap_checks
	mov esi, [ebx + 16]
	mov eax, [esi]
	cmp eax, 'iend'
	je ins_end
	cmp eax, 'oend'
	je outs_end
	cmp eax, 'idow'
	je ins_down
	cmp eax, 'odow'
	je outs_down
	cmp eax, 'istr'
	je ins_straddle
	jmp wrap_checks

still_running:
	cld
	FAIL "still running after string I/O outside guest RAM"
	ret

ins_end:
	mov edi, [ram_end]
	sub edi, 0x2010
	mov ecx, 0xffffffff
	mov dx, PORT
	cld
	ATTACK "rep insb, ECX 0xffffffff, from RAM's end - 0x2010 upwards"
	rep insb
	jmp still_running

outs_end:
	mov esi, [ram_end]
	sub esi, 16
	mov ecx, 64
	mov dx, PORT
	cld
	ATTACK "rep outsb, 64 bytes from RAM's end - 16"
	rep outsb
	jmp still_running

ins_down:
	mov edi, 6
	mov ecx, 64
	mov dx, PORT
	std
	ATTACK "DF = 1, rep insw, 64 words from EDI 6 down"
	rep insw
	jmp still_running

outs_down:
	mov esi, 8
	mov ecx, 64
	mov dx, PORT
	std
	ATTACK "DF = 1, rep outsd, 64 dwords from ESI 8 down"
	rep outsd
	jmp still_running

ins_straddle:
	mov edi, [ram_end]
	sub edi, 2
	mov dx, PORT
	cld
	ATTACK "insd at RAM's end - 2 (straddling the end)"
	insd
	jmp still_running

wrap_checks:
	mov dx, PORT
	; 16-bit address size, DF = 1: DI 3, 2, 1, 0, 0xffff ... 0xfffc.
	mov dword [0], 0
	mov dword [0xfffc], 0
	mov dword [0xfff8], 0
	mov edi, 0xabcd0003
	mov ecx, 0x12340008
	std
	a16 rep insb
	cld
	SAY "a16 rep insb, DF = 1, DI 3, CX 8: EDI "
	HEX edi
	PUTS ", ECX "
	HEX ecx
	PUTS ", [0] "
	HEX dword [0]
	PUTS ", [0xfffc] "
	HEX dword [0xfffc]
	PUTS ", [0xfff8] "
	HEX dword [0xfff8]
	NL
	cmp edi, 0xabcdfffb
	jne .ins16_bad
	cmp ecx, 0x12340000
	jne .ins16_bad
	cmp dword [0], 0xffffffff
	jne .ins16_bad
	cmp dword [0xfffc], 0xffffffff
	jne .ins16_bad
	cmp dword [0xfff8], 0
	jne .ins16_bad
	PASS "16-bit address size, DF = 1: rep insb wrapped below 0 to 0xffff inside the segment, CX counted, high halves kept"
	jmp .outs16
.ins16_bad:
	FAIL "16-bit address size, DF = 1: rep insb wrapped below 0 to 0xffff inside the segment, CX counted, high halves kept"

.outs16:
	mov esi, 0x55550002
	mov ecx, 0x77770005
	std
	a16 rep outsb
	cld
	SAY "a16 rep outsb, DF = 1, SI 2, CX 5: ESI "
	HEX esi
	PUTS ", ECX "
	HEX ecx
	NL
	cmp esi, 0x5555fffd
	jne .outs16_bad
	cmp ecx, 0x77770000
	jne .outs16_bad
	PASS "16-bit address size, DF = 1: rep outsb wrapped below 0 inside the segment, CX counted, high halves kept"
	jmp .down32
.outs16_bad:
	FAIL "16-bit address size, DF = 1: rep outsb wrapped below 0 inside the segment, CX counted, high halves kept"

.down32:
	mov dword [page_buf + 4096 - 4], 0
	mov dword [page_buf + 4096], 0
	mov edi, page_buf + 4096 + 1
	mov ecx, 4
	std
	rep insb
	cld
	cmp edi, page_buf + 4096 - 3
	jne .down32_bad
	test ecx, ecx
	jnz .down32_bad
	cmp dword [page_buf + 4096 - 4], 0xffff0000
	jne .down32_bad
	cmp dword [page_buf + 4096], 0x0000ffff
	jne .down32_bad
	PASS "DF = 1: rep insb down across a page boundary stored 4 bytes, EDI moved down by 4"
	ret
.down32_bad:
	FAIL "DF = 1: rep insb down across a page boundary stored 4 bytes, EDI moved down by 4"
	ret

section .bss
ram_end:        resd 1
	alignb 4096
page_buf:       resb 8192
