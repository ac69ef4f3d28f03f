; msr.asm: MSRs on tinyhv's allow-list round-trip (SYSENTER_CS/ESP/EIP, PAT,
; EFER.SCE, STAR, LSTAR, KERNEL_GS_BASE); others raise #GP(0) (rdmsr 0x1234,
; wrmsr 0x480 and rdmsr 0x480 (IA32_VMX_BASIC), wrmsr 0x3a
; (IA32_FEATURE_CONTROL)).  Each value written is restored afterwards.
%define GUEST_NAME "msr"
%include "common.inc"

IA32_FEATURE_CONTROL equ 0x3a
IA32_SYSENTER_CS     equ 0x174
IA32_SYSENTER_ESP    equ 0x175
IA32_SYSENTER_EIP    equ 0x176
IA32_PAT             equ 0x277
IA32_VMX_BASIC       equ 0x480
IA32_EFER            equ 0xc0000080
IA32_STAR            equ 0xc0000081
IA32_LSTAR           equ 0xc0000082
IA32_KERNEL_GS_BASE  equ 0xc0000102
EFER_SCE             equ 1 << 0

; ROUNDTRIP msr, low, high, "name": read (kept), write high:low, read back,
; compare, write the kept value back.  A #GP on the way is a FAIL.
%macro ROUNDTRIP 4
	mov ecx, %1
	TRY 13, rdmsr
	mov [saved_lo], eax
	mov [saved_hi], edx
	cmp dword [fault_vector], -1
	jne %%gp
	mov ecx, %1
	mov eax, %2
	mov edx, %3
	TRY 13, wrmsr
	cmp dword [fault_vector], -1
	jne %%gp
	mov ecx, %1
	xor eax, eax
	xor edx, edx
	TRY 13, rdmsr
	mov [read_lo], eax
	mov [read_hi], edx
	cmp dword [fault_vector], -1
	jne %%gp
	mov ecx, %1
	mov eax, [saved_lo]
	mov edx, [saved_hi]
	TRY 13, wrmsr
	SAY %4, ": wrote "
	HEX %3
	PUTS ":"
	HEX %2
	PUTS ", read back "
	HEX dword [read_hi]
	PUTS ":"
	HEX dword [read_lo]
	NL
	cmp dword [read_lo], %2
	jne %%bad
	cmp dword [read_hi], %3
	jne %%bad
	PASS %4, " round trip"
	jmp %%done
%%gp:
	FAIL %4, " round trip (#GP)"
	jmp %%done
%%bad:
	FAIL %4, " round trip"
%%done:
%endmacro

main:
	ROUNDTRIP IA32_SYSENTER_CS, 0x00000073, 0, "IA32_SYSENTER_CS (0x174)"
	ROUNDTRIP IA32_SYSENTER_ESP, 0x00123450, 0, "IA32_SYSENTER_ESP (0x175)"
	ROUNDTRIP IA32_SYSENTER_EIP, 0x00100abc, 0, "IA32_SYSENTER_EIP (0x176)"
	; PA0..PA7 = WB WT UC- UC WB WC UC- UC: valid memory types.
	ROUNDTRIP IA32_PAT, 0x00070406, 0x00070106, "IA32_PAT (0x277)"
	ROUNDTRIP IA32_STAR, 0x00101000, 0x00230008, "IA32_STAR (0xc0000081)"
	ROUNDTRIP IA32_LSTAR, 0x80001000, 0xffffffff, "IA32_LSTAR (0xc0000082)"
	ROUNDTRIP IA32_KERNEL_GS_BASE, 0x56789000, 0x00001234, "IA32_KERNEL_GS_BASE (0xc0000102)"
	call check_efer

	mov ecx, 0x1234
	TRY 13, rdmsr
	CHECK_FAULT 13, 0, "rdmsr 0x1234 (not allowed) raised #GP(0)"
	mov ecx, 0x1234
	xor eax, eax
	xor edx, edx
	TRY 13, wrmsr
	CHECK_FAULT 13, 0, "wrmsr 0x1234 (not allowed) raised #GP(0)"
	mov ecx, IA32_VMX_BASIC
	xor eax, eax
	xor edx, edx
	TRY 13, wrmsr
	CHECK_FAULT 13, 0, "wrmsr 0x480 (IA32_VMX_BASIC) raised #GP(0)"
	mov ecx, IA32_VMX_BASIC
	TRY 13, rdmsr
	CHECK_FAULT 13, 0, "rdmsr 0x480 (IA32_VMX_BASIC) raised #GP(0)"
	mov ecx, IA32_FEATURE_CONTROL
	xor eax, eax
	xor edx, edx
	TRY 13, wrmsr
	CHECK_FAULT 13, 0, "wrmsr 0x3a (IA32_FEATURE_CONTROL) raised #GP(0)"
	ret

; EFER.SCE: set it, read back, clear it, read back, restore.
check_efer:
	mov ecx, IA32_EFER
	TRY 13, rdmsr
	cmp dword [fault_vector], -1
	jne .gp
	mov [saved_lo], eax
	mov [saved_hi], edx
	SAY "IA32_EFER = "
	HEX edx
	PUTS ":"
	HEX eax
	NL
	or eax, EFER_SCE
	TRY 13, wrmsr
	cmp dword [fault_vector], -1
	jne .gp
	TRY 13, rdmsr
	mov ebx, eax                    ; with SCE set
	and eax, ~EFER_SCE
	TRY 13, wrmsr
	TRY 13, rdmsr
	mov esi, eax                    ; with SCE clear
	mov eax, [saved_lo]
	mov edx, [saved_hi]
	TRY 13, wrmsr
	SAY "IA32_EFER after setting SCE "
	HEX ebx
	PUTS ", after clearing it "
	HEX esi
	NL
	test ebx, EFER_SCE
	jz .bad
	test esi, EFER_SCE
	jnz .bad
	PASS "IA32_EFER.SCE (0xc0000080 bit 0) set and cleared, read back each time"
	ret
.gp:
	FAIL "IA32_EFER.SCE (0xc0000080 bit 0) set and cleared (#GP)"
	ret
.bad:
	FAIL "IA32_EFER.SCE (0xc0000080 bit 0) set and cleared, read back each time"
	ret

section .bss
saved_lo:       resd 1
saved_hi:       resd 1
read_lo:        resd 1
read_hi:        resd 1
