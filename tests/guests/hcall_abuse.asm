; hcall_abuse.asm: an attacker that calls every hypercall with bad
; arguments (docs/HYPERCALLS.md): each must return its documented error
; (-1 bad argument, -2 unknown function, -3 buffer outside guest RAM) with
; every other register preserved, and the VM must go on.
;  - HC_PRINT: buffers at the end of RAM, straddling it, far beyond it,
;    wrapping past 4 GiB (-3); lengths over 4096 and 0xffffffff (-1);
;    length 0 (0); the last 4096 bytes of RAM at the maximum length (0:
;    printed: 63 lines of 'x' and a last line of this guest's).
;  - HC_TIMER: vectors 0, 31, 256, 0x80000020, 0xffffffff (-1); vector 0x20
;    with the largest delay (0: armed, saturated, never fires), then vector
;    0x41 with delay 0 replaces it and fires at the next HLT, once.
;  - Unknown functions 5..0xffffffff (4 is HC_NMI): a list of edge values
;    and 256 more sampled across the range, each -2.
; RAM's end comes from the Multiboot information (mem_upper).
%define GUEST_NAME "hcall_abuse"
%include "common.inc"

HC_EINVAL       equ -1
HC_ENOSYS       equ -2
HC_EFAULT       equ -3
HC_PRINT_MAX    equ 4096
SENTINEL_ESI    equ 0x51515151
SENTINEL_EDI    equ 0xd1d1d1d1
SENTINEL_EBP    equ 0xb0b0b0b0

; HC_EXPECT fn, ebx, ecx, edx, expected, "what": the call returns expected
; and preserves every other register.
%macro HC_EXPECT 6
	mov ebx, %2
	mov ecx, %3
	mov edx, %4
	mov eax, %1
	call hc_try
	jne %%regs
	cmp eax, %5
	jne %%bad
	PASS %6
	jmp %%done
%%regs:
	FAIL %6, " (a register other than EAX changed)"
	jmp %%done
%%bad:
	SAY "returned "
	SDEC eax
	NL
	FAIL %6
%%done:
%endmacro

main:
	call mb_ram_end
	test eax, eax
	jnz .mem
	FAIL "the Multiboot information has mem_upper"
	ret
.mem:
	mov [guest_ram_end], eax
	SAY "guest RAM ends at "
	HEX eax
	NL

	mov ebp, [guest_ram_end]
	HC_EXPECT HC_PRINT, ebp, 16, 0, HC_EFAULT, "HC_PRINT of 16 bytes at the end of RAM returned -3"
	lea esi, [ebp - 8]
	HC_EXPECT HC_PRINT, esi, 16, 0, HC_EFAULT, "HC_PRINT of 16 bytes straddling the end of RAM returned -3"
	lea esi, [ebp - 1]
	HC_EXPECT HC_PRINT, esi, 2, 0, HC_EFAULT, "HC_PRINT of 2 bytes from the last byte of RAM returned -3"
	lea esi, [ebp - HC_PRINT_MAX + 1]
	HC_EXPECT HC_PRINT, esi, HC_PRINT_MAX, 0, HC_EFAULT, "HC_PRINT of 4096 bytes, one past the end of RAM, returned -3"
	HC_EXPECT HC_PRINT, 0xc0000000, 16, 0, HC_EFAULT, "HC_PRINT at 0xc0000000 (beyond RAM) returned -3"
	HC_EXPECT HC_PRINT, 0xfffffff0, 0x20, 0, HC_EFAULT, "HC_PRINT at 0xfffffff0 of 32 bytes (wrapping past 4 GiB) returned -3"
	HC_EXPECT HC_PRINT, 0xffffffff, 1, 0, HC_EFAULT, "HC_PRINT of 1 byte at 0xffffffff returned -3"
	HC_EXPECT HC_PRINT, message, 0xffffffff, 0, HC_EINVAL, "HC_PRINT of length 0xffffffff returned -1"
	HC_EXPECT HC_PRINT, message, HC_PRINT_MAX + 1, 0, HC_EINVAL, "HC_PRINT of length 4097 returned -1"
	HC_EXPECT HC_PRINT, message, 0x80000000, 0, HC_EINVAL, "HC_PRINT of length 0x80000000 returned -1"
	HC_EXPECT HC_PRINT, message, 0, 0, 0, "HC_PRINT of length 0 returned 0"

	; The last 4096 bytes of RAM: lines of 'x', the last one a message.
	mov edi, [guest_ram_end]
	sub edi, HC_PRINT_MAX
	mov ebx, edi
	mov ecx, HC_PRINT_MAX / 64
.fill:
	push ecx
	mov ecx, 63
	mov al, 'x'
	rep stosb
	mov al, 10
	stosb
	pop ecx
	loop .fill
	mov edi, [guest_ram_end]
	sub edi, end_message_len
	mov esi, end_message
	mov ecx, end_message_len
	rep movsb
	HC_EXPECT HC_PRINT, ebx, HC_PRINT_MAX, 0, 0, "HC_PRINT of the last 4096 bytes of RAM (the maximum) returned 0"

	call timer_abuse
	call unknown_functions

	HC_EXPECT HC_NOP, 0xffffffff, 0xffffffff, 0xffffffff, 0, "HC_NOP with all-ones arguments returned 0: the VM goes on"
	ret

; hc_try: VMCALL with EAX, EBX, ECX, EDX as given and sentinels in ESI,
; EDI, EBP; EAX = the result, ZF set when EBX, ECX, EDX, ESI, EDI, EBP and
; ESP came back unchanged.
hc_try:
	push esi
	push edi
	push ebp
	mov [in_ebx], ebx
	mov [in_ecx], ecx
	mov [in_edx], edx
	mov [in_esp], esp
	mov esi, SENTINEL_ESI
	mov edi, SENTINEL_EDI
	mov ebp, SENTINEL_EBP
	vmcall
	cmp ebx, [in_ebx]
	jne .out
	cmp ecx, [in_ecx]
	jne .out
	cmp edx, [in_edx]
	jne .out
	cmp esi, SENTINEL_ESI
	jne .out
	cmp edi, SENTINEL_EDI
	jne .out
	cmp ebp, SENTINEL_EBP
	jne .out
	cmp esp, [in_esp]
.out:
	pop ebp
	pop edi
	pop esi
	ret

timer_abuse:
	HC_EXPECT HC_TIMER, 0, 1000, 0, HC_EINVAL, "HC_TIMER with vector 0 returned -1"
	HC_EXPECT HC_TIMER, 31, 1000, 0, HC_EINVAL, "HC_TIMER with vector 31 returned -1"
	HC_EXPECT HC_TIMER, 256, 1000, 0, HC_EINVAL, "HC_TIMER with vector 256 returned -1"
	HC_EXPECT HC_TIMER, 0x80000020, 1000, 0, HC_EINVAL, "HC_TIMER with vector 0x80000020 returned -1"
	HC_EXPECT HC_TIMER, 0xffffffff, 0, 0, HC_EINVAL, "HC_TIMER with vector 0xffffffff returned -1"

	mov eax, 0x20
	mov edx, timer_0x20
	call set_gate
	mov eax, 0x41
	mov edx, timer_0x41
	call set_gate
	HC_EXPECT HC_TIMER, 0x20, 0xffffffff, 0xffffffff, 0, "HC_TIMER with vector 0x20 and delay 2^64-1 returned 0"
	; Interrupts on for a while: the saturated deadline never comes.
	sti
	mov ecx, 200
.wait:
	push ecx
	HCALL HC_NOP
	pop ecx
	loop .wait
	cli
	cmp dword [count_0x20], 0
	CHECK e, "the timer with delay 2^64-1 did not fire (saturated, not wrapped to the past)"
	HC_EXPECT HC_TIMER, 0x41, 0, 0, 0, "HC_TIMER with vector 0x41 and delay 0 returned 0"
	sti
	hlt
	cli
	SAY "timer interrupts: vector 0x20 "
	DEC dword [count_0x20]
	PUTS ", vector 0x41 "
	DEC dword [count_0x41]
	NL
	cmp dword [count_0x41], 1
	jne .bad
	cmp dword [count_0x20], 0
	jne .bad
	PASS "delay 0 fired once at the HLT, in place of the saturated one (one HC_TIMER per vCPU)"
	ret
.bad:
	FAIL "delay 0 fired once at the HLT, in place of the saturated one (one HC_TIMER per vCPU)"
	ret

timer_0x20:
	inc dword [count_0x20]
	iretd
timer_0x41:
	inc dword [count_0x41]
	iretd

; unknown_functions: a list of edge numbers, then 256 numbers spread over
; 5..0xffffffff; each returns -2 and preserves the other registers.
unknown_functions:
	xor ebp, ebp                    ; failures
	mov esi, unknown_list
.list:
	mov eax, [esi]
	test eax, eax
	jz .sampled
	call unknown_one
	add esi, 4
	jmp .list
.sampled:
	mov esi, 256
	mov edi, 5
.sample:
	mov eax, edi
	call unknown_one
	add edi, 0x00fffff3             ; 256 steps end below 0xffffffff
	dec esi
	jnz .sample
	SAY "unknown function numbers called: "
	DEC dword [unknown_calls]
	NL
	test ebp, ebp
	CHECK z, "every unknown function number (edge values and 256 sampled in 5..0xffffffff) returned -2, registers preserved"
	ret

; unknown_one: EAX = function number, with arbitrary arguments.
unknown_one:
	pushad
	inc dword [unknown_calls]
	mov [number], eax
	mov ebx, message
	mov ecx, 16
	mov edx, 0x5a5a5a5a
	call hc_try
	jne .bad
	cmp eax, HC_ENOSYS
	jne .bad
	popad
	ret
.bad:
	mov [result], eax
	popad
	inc ebp
	SAY "function "
	HEX dword [number]
	PUTS " returned "
	SDEC dword [result]
	PUTS " or changed a register", 10
	ret

section .rodata
message:        db "hcall_abuse: FAIL this must not be printed", 10
end_message:    db "hcall_abuse: this line is the last 64 bytes of the guest's RAM.", 10
end_message_len equ $ - end_message
%if end_message_len != 64
%error "end_message must be one whole 64-byte line of the buffer"
%endif
	align 4
unknown_list:
	dd 5, 6, 7, 8, 0x10, 0x20, 0xff, 0x100, 0x1000, 0x10000, 0x7fffffff
	dd 0x80000000, 0x80000001, 0xdeadbeef, 0xfffffff0, 0xffffff80
	dd 0xfffffffe, 0xffffffff
	dd 0

section .bss
guest_ram_end:  resd 1
in_ebx:         resd 1
in_ecx:         resd 1
in_edx:         resd 1
in_esp:         resd 1
count_0x20:     resd 1
count_0x41:     resd 1
unknown_calls:  resd 1
number:         resd 1
result:         resd 1
