; cpuid.asm: what CPUID tells a tinyhv guest (no VMX, hypervisor present,
; the "TinyHVTinyHV" leaf), the Multiboot information tinyhv hands over
; (memory sizes, memory map, command line) and the hypercalls HC_PRINT and
; HC_NOP.  Exit status 0 when every check passes.
%define GUEST_NAME "cpuid"
%include "common.inc"

GUEST_RAM_END   equ 0x02000000          ; tinyhv's default guest RAM: 32 MiB

main:
	call check_cpuid
	call check_multiboot_info
	call check_hypercalls
	ret

check_cpuid:
	mov eax, 1
	xor ecx, ecx
	cpuid
	mov [leaf1_ecx], ecx
	SAY "CPUID.1:ECX = "
	HEX ecx
	NL
	bt dword [leaf1_ecx], 5
	CHECK nc, "VMX bit (CPUID.1:ECX[5]) is clear"
	bt dword [leaf1_ecx], 31
	CHECK c, "hypervisor bit (CPUID.1:ECX[31]) is set"

	mov eax, 0x40000000
	xor ecx, ecx
	cpuid
	mov [hv_max_leaf], eax
	mov [signature], ebx
	mov [signature + 4], ecx
	mov [signature + 8], edx
	SAY "CPUID.0x40000000: max leaf "
	HEX eax
	PUTS ", signature '"
	mov esi, signature
	mov ecx, 12
.sig_char:
	lodsb
	cmp al, 0x20                    ; unprintable bytes as '.'
	jb .dot
	cmp al, 0x7e
	jbe .print
.dot:
	mov al, '.'
.print:
	call uart_putc
	dec ecx
	jnz .sig_char
	PUTS "'", 10
	mov esi, signature
	mov edi, expected_signature
	mov ecx, 12
	repe cmpsb
	CHECK e, "signature (CPUID.0x40000000 EBX,ECX,EDX) is TinyHVTinyHV"
	cmp dword [hv_max_leaf], 0x40000001
	CHECK ae, "highest hypervisor leaf (CPUID.0x40000000 EAX) >= 0x40000001"
	ret

; The Multiboot information: flags, mem_lower/mem_upper, the memory map, the
; command line.
check_multiboot_info:
	mov ebx, [boot_info]
	mov eax, [ebx]
	mov [mbi_flags], eax
	SAY "multiboot info at "
	HEX ebx
	PUTS ", flags "
	HEX eax
	NL

	test dword [mbi_flags], MB1_INFO_MEM
	CHECK nz, "multiboot info has mem_lower/mem_upper (flags bit 0)"
	test dword [mbi_flags], MB1_INFO_MEM
	jz .mmap
	SAY "mem_lower "
	DEC dword [ebx + 4]
	PUTS " KiB, mem_upper "
	DEC dword [ebx + 8]
	PUTS " KiB", 10
	cmp dword [ebx + 8], 1024
	CHECK ae, "mem_upper is at least 1024 KiB"

.mmap:
	test dword [mbi_flags], MB1_INFO_MMAP
	CHECK nz, "multiboot info has a memory map (flags bit 6)"
	test dword [mbi_flags], MB1_INFO_MMAP
	jz .cmdline
	call walk_mmap

.cmdline:
	test dword [mbi_flags], MB1_INFO_CMDLINE
	jz .no_cmdline
	SAY "command line '"
	push esi
	mov esi, [ebx + 16]
	call puts
	pop esi
	PUTS "'", 10
	ret
.no_cmdline:
	LINE "no command line (flags bit 2 clear)"
	ret

; walk_mmap: EBX = the information.  Prints each entry, the highest end of
; the RAM (type 1) entries, and checks that a RAM entry holds the guest's
; image [1 MiB, __bss_end).
walk_mmap:
	pushad
	mov esi, [ebx + 48]             ; mmap_addr
	mov edi, esi
	add edi, [ebx + 44]             ; mmap_length: the end
	xor ebp, ebp                    ; entries
	mov dword [ram_end], 0
	mov dword [ram_end + 4], 0
	mov byte [image_covered], 0
.entry:
	lea eax, [esi + 24]
	cmp eax, edi
	ja .done
	cmp ebp, 64
	jae .done
	inc ebp
	SAY "mmap: base "
	mov eax, [esi + 4]
	mov edx, [esi + 8]
	call print_hex64
	PUTS " length "
	mov eax, [esi + 12]
	mov edx, [esi + 16]
	call print_hex64
	PUTS " type "
	DEC dword [esi + 20]
	NL
	cmp dword [esi + 20], 1
	jne .next
	; end = base + length (64-bit) in EDX:EAX
	mov eax, [esi + 4]
	mov edx, [esi + 8]
	add eax, [esi + 12]
	adc edx, [esi + 16]
	cmp edx, [ram_end + 4]
	ja .new_end
	jb .covers
	cmp eax, [ram_end]
	jbe .covers
.new_end:
	mov [ram_end], eax
	mov [ram_end + 4], edx
.covers:
	; base <= 1 MiB (high dword 0) and end >= __bss_end
	cmp dword [esi + 8], 0
	jne .next
	cmp dword [esi + 4], 0x100000
	ja .next
	test edx, edx
	jnz .covered
	cmp eax, __bss_end
	jb .next
.covered:
	mov byte [image_covered], 1
.next:
	mov eax, [esi]                  ; size, not counting itself
	lea esi, [esi + eax + 4]
	jmp .entry
.done:
	SAY "mmap: "
	DEC ebp
	PUTS " entries, highest RAM end "
	mov eax, [ram_end]
	mov edx, [ram_end + 4]
	call print_hex64
	NL
	cmp byte [image_covered], 1
	CHECK e, "the memory map has RAM (type 1) holding the guest image at 1 MiB"
	popad
	ret

; print_hex64: EDX:EAX as "0x" and 16 hex digits.
print_hex64:
	push eax
	mov eax, edx
	call print_hex32
	pop eax
	pushad
	mov edx, eax
	mov ecx, 8
.digit:
	rol edx, 4
	mov eax, edx
	and eax, 0xf
	mov al, [hex_digits + eax]
	call uart_putc
	dec ecx
	jnz .digit
	popad
	ret

check_hypercalls:
	cmp byte [hv_present], 0
	jne .hv
	LINE "SKIP hypercall checks (native: no TinyHV)"
	TRY 6, vmcall
	CHECK_FAULT 6, -1, "VMCALL raised #UD (native, no hypervisor)"
	ret
.hv:
	mov ebx, hc_message
	mov ecx, hc_message_len
	xor edx, edx
	HCALL HC_PRINT
	SAY "HC_PRINT returned "
	SDEC eax
	NL
	test eax, eax
	CHECK z, "HC_PRINT returned 0"

	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	HCALL HC_NOP
	test eax, eax
	CHECK z, "HC_NOP returned 0"

	mov ebx, hc_message
	mov ecx, 5000
	xor edx, edx
	HCALL HC_PRINT
	SAY "HC_PRINT of 5000 bytes returned "
	SDEC eax
	NL
	test eax, eax
	CHECK s, "HC_PRINT of 5000 bytes (over 4096) returned an error"

	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	HCALL 0x7fff
	SAY "hypercall 0x7fff returned "
	SDEC eax
	NL
	test eax, eax
	CHECK s, "unknown hypercall 0x7fff returned an error"
	ret

section .rodata
expected_signature: db "TinyHVTinyHV"
hc_message:     db "cpuid: printed by HC_PRINT"
hc_message_len  equ $ - hc_message

section .bss
leaf1_ecx:      resd 1
hv_max_leaf:    resd 1
signature:      resb 12
mbi_flags:      resd 1
ram_end:        resd 2
image_covered:  resb 1
