; xsetbv.asm: XSETBV/XGETBV in a tinyhv guest.  With CR4.OSXSAVE clear
; XSETBV raises #UD; once it is set, CPUID.1:ECX.OSXSAVE follows it, invalid
; XCR0 values (x87 clear, AVX without SSE, a reserved bit) raise #GP(0) and
; leave XCR0 as it was, and x87|SSE is accepted.  Without XSAVE
; (CPUID.1:ECX[26] clear) it says SKIP and exits with status 77.
%define GUEST_NAME "xsetbv"
%include "common.inc"

CR4_OSXSAVE     equ 1 << 18
SKIP_STATUS     equ 77

main:
	mov eax, 1
	xor ecx, ecx
	cpuid
	mov [leaf1_ecx], ecx
	bt ecx, 26
	jc .have_xsave
	LINE "SKIP CPUID.1:ECX.XSAVE (bit 26) is clear: nothing to test; exit status 77"
	mov eax, SKIP_STATUS
	jmp guest_exit
.have_xsave:
	LINE "CPUID.1:ECX.XSAVE (bit 26) is set"
	bt dword [leaf1_ecx], 27
	CHECK nc, "CPUID.1:ECX.OSXSAVE (bit 27) is clear while CR4.OSXSAVE is clear"
	xor ecx, ecx
	mov eax, 1
	xor edx, edx
	TRY 6, xsetbv
	CHECK_FAULT 6, -1, "XSETBV with CR4.OSXSAVE clear raised #UD"

	mov eax, cr4
	or eax, CR4_OSXSAVE
	mov cr4, eax
	mov eax, cr4
	test eax, CR4_OSXSAVE
	CHECK nz, "CR4.OSXSAVE set and read back"
	mov eax, 1
	xor ecx, ecx
	cpuid
	bt ecx, 27
	CHECK c, "CPUID.1:ECX.OSXSAVE (bit 27) is set once CR4.OSXSAVE is set"

	xor ecx, ecx
	xgetbv
	mov [xcr0_initial], eax
	SAY "XCR0 = "
	HEX edx
	PUTS ":"
	HEX eax
	NL
	test dword [xcr0_initial], 1
	CHECK nz, "XCR0 has x87 (bit 0) set"

	xor ecx, ecx
	xor eax, eax
	xor edx, edx
	TRY 13, xsetbv
	CHECK_FAULT 13, 0, "XSETBV XCR0 = 0 (x87 clear) raised #GP(0)"
	xor ecx, ecx
	mov eax, 0x5
	xor edx, edx
	TRY 13, xsetbv
	CHECK_FAULT 13, 0, "XSETBV XCR0 = 0x5 (AVX without SSE) raised #GP(0)"
	xor ecx, ecx
	mov eax, 0x1
	mov edx, 0x80000000
	TRY 13, xsetbv
	CHECK_FAULT 13, 0, "XSETBV XCR0 with reserved bit 63 raised #GP(0)"
	xor ecx, ecx
	xgetbv
	cmp eax, [xcr0_initial]
	CHECK e, "XCR0 unchanged after the refused values"

	xor ecx, ecx
	mov eax, 0x3
	xor edx, edx
	TRY 13, xsetbv
	cmp dword [fault_vector], -1
	CHECK e, "XSETBV XCR0 = 0x3 (x87 | SSE) accepted"
	xor ecx, ecx
	xgetbv
	cmp eax, 0x3
	CHECK e, "XGETBV reads XCR0 = 0x3 back"
	xor ecx, ecx
	mov eax, [xcr0_initial]
	xor edx, edx
	xsetbv
	ret

section .bss
leaf1_ecx:      resd 1
xcr0_initial:   resd 1
