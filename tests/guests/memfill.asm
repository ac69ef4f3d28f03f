; memfill.asm: fills all of its RAM from 2 MiB up with its own pattern and
; checks it, pass after pass, while other VMs do the same on other CPUs.
; The pattern of the dword at address A in pass P is A ^ (KEY * 0x9e3779b9)
; ^ (P * 0x01010101), KEY being the first byte of the guest's command line,
; so no two VMs with different keys, and no two passes, write the same
; values: any dword that reads back otherwise (another VM's pattern, the
; previous pass's, a stray write) is a FAIL with its address and value.
; The number of passes is the number after "passes=" (default 3).
%define GUEST_NAME "memfill"
%include "common.inc"

FILL_START      equ 0x200000            ; above the image (linked at 1 MiB)
GOLDEN          equ 0x9e3779b9
DEFAULT_PASSES  equ 3

main:
	call mb_ram_end
	test eax, eax
	jnz .mem
	FAIL "the Multiboot information has mem_upper"
	ret
.mem:
	mov [fill_end], eax
	call parse_cmdline
	SAY "key '"
	mov al, [key]
	call uart_putc
	PUTS "', filling 0x200000.."
	HEX dword [fill_end]
	PUTS ", "
	DEC dword [passes]
	PUTS " passes", 10
	mov dword [pass], 1
.pass:
	call fill
	call check
	cmp dword [bad], 0
	jne .bad
	SAY "pass "
	DEC dword [pass]
	PUTS " of "
	DEC dword [passes]
	PUTS ": all "
	mov eax, [fill_end]
	sub eax, FILL_START
	shr eax, 20
	DEC eax
	PUTS " MiB read back as written", 10
	inc dword [pass]
	mov eax, [pass]
	cmp eax, [passes]
	jbe .pass
	PASS "every pass read back its own pattern"
	ret
.bad:
	SAY "pass "
	DEC dword [pass]
	PUTS ": "
	DEC dword [bad]
	PUTS " dwords differ; the first at "
	HEX dword [bad_addr]
	PUTS " reads "
	HEX dword [bad_value]
	PUTS ", not "
	HEX dword [bad_want]
	NL
	FAIL "every pass read back its own pattern"
	ret

; ebp = the pass's constant: KEY * GOLDEN ^ pass * 0x01010101
pass_constant:
	movzx eax, byte [key]
	imul eax, eax, GOLDEN
	mov ebp, eax
	mov eax, [pass]
	imul eax, eax, 0x01010101
	xor ebp, eax
	ret

fill:
	pushad
	call pass_constant
	mov edi, FILL_START
	mov ecx, [fill_end]
.loop:
	mov eax, edi
	xor eax, ebp
	mov [edi], eax
	add edi, 4
	cmp edi, ecx
	jb .loop
	popad
	ret

check:
	pushad
	call pass_constant
	mov dword [bad], 0
	mov esi, FILL_START
	mov ecx, [fill_end]
.loop:
	mov eax, esi
	xor eax, ebp
	cmp [esi], eax
	jne .differs
.next:
	add esi, 4
	cmp esi, ecx
	jb .loop
	popad
	ret
.differs:
	cmp dword [bad], 0
	jne .counted
	mov [bad_addr], esi
	mov [bad_want], eax
	mov edx, [esi]
	mov [bad_value], edx
.counted:
	inc dword [bad]
	jmp .next

; key = the command line's first byte ('?' without one); passes = the
; number after "passes=", else DEFAULT_PASSES.
parse_cmdline:
	pushad
	mov byte [key], '?'
	mov ebx, [boot_info]
	test dword [ebx], MB1_INFO_CMDLINE
	jz .passes
	mov esi, [ebx + 16]
	mov al, [esi]
	test al, al
	jz .passes
	mov [key], al
.passes:
	mov edi, key_passes
	call cmdline_number
	test eax, eax
	jnz .set
	mov eax, DEFAULT_PASSES
.set:
	mov [passes], eax
	popad
	ret

section .rodata
key_passes:     db "passes=", 0

section .bss
	alignb 4
fill_end:       resd 1
passes:         resd 1
pass:           resd 1
bad:            resd 1
bad_addr:       resd 1
bad_value:      resd 1
bad_want:       resd 1
key:            resb 1
