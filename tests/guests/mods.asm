; mods.asm: reads the boot modules of its Multiboot information (flags
; bit 3, mods_count, mods_addr: Multiboot 0.6.96, 3.3) and prints each:
; its string, its size, whether it starts on a page boundary and lies in
; RAM above the kernel, and its first line of text (up to 60 bytes).
%define GUEST_NAME "mods"
%include "common.inc"

MB1_INFO_MODS   equ 1 << 3
FIRST_LINE_MAX  equ 60

main:
	mov ebx, [boot_info]
	test dword [ebx], MB1_INFO_MODS
	jnz .have
	LINE "no boot modules (flags bit 3 clear)"
	ret
.have:
	mov ecx, [ebx + 20]             ; mods_count
	mov esi, [ebx + 24]             ; mods_addr
	SAY "boot modules: "
	DEC ecx
	NL
	xor edx, edx                    ; module index
.module:
	cmp edx, ecx
	jae .done
	SAY "module "
	DEC edx
	PUTS ": '"
	push esi
	mov esi, [esi + 8]
	call puts
	pop esi
	PUTS "', "
	mov eax, [esi + 4]
	sub eax, [esi]
	DEC eax
	PUTS " bytes at "
	HEX dword [esi]
	NL
	test dword [esi], 0xfff
	CHECK z, "the module starts on a page boundary"
	cmp dword [esi], __bss_end
	CHECK ae, "the module lies above the kernel"
	call mb_ram_end
	cmp [esi + 4], eax
	CHECK be, "the module ends inside RAM"
	call first_line
	add esi, 16
	inc edx
	jmp .module
.done:
	ret

; first_line: prints "first line: TEXT" of the module at [ESI].
first_line:
	pushad
	mov edi, [esi]
	mov ecx, [esi + 4]
	sub ecx, edi
	cmp ecx, FIRST_LINE_MAX
	jbe .len_ok
	mov ecx, FIRST_LINE_MAX
.len_ok:
	SAY "first line: "
.char:
	jecxz .end
	mov al, [edi]
	cmp al, 10
	je .end
	cmp al, 0x20
	jb .dot
	cmp al, 0x7e
	jbe .put
.dot:
	mov al, '.'
.put:
	call uart_putc
	inc edi
	dec ecx
	jmp .char
.end:
	NL
	popad
	ret
