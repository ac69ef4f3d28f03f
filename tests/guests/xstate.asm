; xstate.asm: register state that neither the VMCS nor the exit stub
; switches must not pass from one VM to the next.  The guest first checks
; that it starts from the reset values (SDM Vol. 3A 9.1): x87 control word
; 0x37f, MXCSR 0x1f80, XMM0 zero, YMM0's upper half zero (with AVX),
; DR0-DR3 zero, DR6 0xffff0ff0; then it leaves other values in all of them
; and exits.  Run twice in a row, the second run catches what the first
; left, should the hypervisor not reset them.  (CR8 is reached only from
; 64-bit code: not checked here.)
%define GUEST_NAME "xstate"
%include "common.inc"

CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10
CR4_OSXSAVE     equ 1 << 18
XCR0_X87_SSE_AVX equ 7

main:
	mov eax, cr0
	and eax, ~CR0_EM
	or eax, CR0_MP
	mov cr0, eax
	mov eax, cr4
	or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
	mov cr4, eax
	call check_avx
	call check_reset
	call leave_dirty
	ret

; has_avx = 1 when CPUID.1:ECX has XSAVE (26) and AVX (28); then turn on
; CR4.OSXSAVE and XCR0 = x87|SSE|AVX.
check_avx:
	mov eax, 1
	xor ecx, ecx
	cpuid
	and ecx, (1 << 26) | (1 << 28)
	cmp ecx, (1 << 26) | (1 << 28)
	jne .none
	mov eax, cr4
	or eax, CR4_OSXSAVE
	mov cr4, eax
	xor ecx, ecx
	mov eax, XCR0_X87_SSE_AVX
	xor edx, edx
	xsetbv
	mov byte [has_avx], 1
	ret
.none:
	LINE "no AVX (CPUID.1:ECX XSAVE and AVX): the YMM check is skipped"
	ret

; ZF = 1 when the 16 bytes at [buf] are zero.
buf_zero:
	mov eax, [buf]
	or eax, [buf + 4]
	or eax, [buf + 8]
	or eax, [buf + 12]
	ret

check_reset:
	fnstcw [fcw]
	cmp word [fcw], 0x037f
	CHECK e, "x87 control word is 0x37f"
	stmxcsr [mxcsr]
	cmp dword [mxcsr], 0x1f80
	CHECK e, "MXCSR is 0x1f80"
	movdqu [buf], xmm0
	call buf_zero
	CHECK z, "XMM0 is zero"
	cmp byte [has_avx], 0
	je .dr
	vextractf128 xmm1, ymm0, 1
	movdqu [buf], xmm1
	call buf_zero
	CHECK z, "YMM0's upper half is zero"
.dr:
	mov eax, dr0
	mov ebx, dr1
	or eax, ebx
	mov ebx, dr2
	or eax, ebx
	mov ebx, dr3
	or eax, ebx
	CHECK z, "DR0-DR3 are zero"
	mov eax, dr6
	cmp eax, 0xffff0ff0
	CHECK e, "DR6 is 0xffff0ff0"
	ret

leave_dirty:
	fldcw [dirty_fcw]
	ldmxcsr [dirty_mxcsr]
	movdqu xmm0, [pattern]
	cmp byte [has_avx], 0
	je .dr
	vinsertf128 ymm0, ymm0, [pattern], 1
.dr:
	mov eax, 0x11111111
	mov dr0, eax
	mov dr1, eax
	mov dr2, eax
	mov dr3, eax
	mov eax, 0xffff0ff1             ; B0 set
	mov dr6, eax
	LINE "left x87 CW, MXCSR, XMM0/YMM0, DR0-DR3 and DR6 changed"
	ret

section .rodata
align 16
pattern:        dd 0xdeadbeef, 0x01234567, 0x89abcdef, 0xfeedface
dirty_fcw:      dw 0x027f
align 4
dirty_mxcsr:    dd 0x9f80               ; flush-to-zero on

section .bss
alignb 16
buf:            resb 16
fcw:            resw 1
alignb 4
mxcsr:          resd 1
has_avx:        resb 1
