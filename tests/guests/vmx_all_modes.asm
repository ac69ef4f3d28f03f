; vmx_all_modes.asm: an attacker that runs each VMX instruction (VMXON,
; VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME, VMXOFF,
; INVEPT, INVVPID, VMFUNC) and GETSEC at ring 0 and at ring 3: each must
; raise #UD in the guest, at the instruction, as on a CPU without VMX or
; SMX (CPUID says neither), whatever the CPL.  In VMX non-root operation
; most of them exit whatever the CPL (SDM Vol. 3C 26.1.2; the CPL check
; comes after the non-root check in their pseudo-code, Vol. 3C 31), so the
; hypervisor, not the CPU, must raise the #UD for ring 3 as for ring 0.
; CR4.VMXE and CR4.SMXE cannot be set (#GP), so neither instruction set
; can be turned on.  The ring-3 set-up is ring3.asm's: a GDT with ring-3
; segments, a TSS, and an int 0x80 gate back to ring 0.
%define GUEST_NAME "vmx_all_modes"
%include "common.inc"
%include "ring3.inc"

CR4_VMXE        equ 1 << 13
CR4_SMXE        equ 1 << 14

; R0_UD "name", instruction: #UD at ring 0.
%macro R0_UD 2+
	TRY UD_VECTOR, %2
	CHECK_FAULT UD_VECTOR, -1, %1, " at ring 0 raised #UD"
%endmacro

; R3_UD "name", instruction: at ring 3, #UD taken at the instruction
; (saved EIP there, saved CS ring 3's).
%macro R3_UD 2+
	mov edi, %%code
	call ring3_call
	cmp dword [trap_vector], UD_VECTOR
	jne %%bad
	cmp dword [trap_eip], %%code
	jne %%bad
	cmp dword [trap_cs], USER_CODE_SEL
	jne %%bad
	PASS %1, " at ring 3 raised #UD (saved EIP at the instruction, CS 0x1b)"
	jmp %%after
%%bad:
	call report_trap
	FAIL %1, " at ring 3 raised #UD (saved EIP at the instruction, CS 0x1b)"
	jmp %%after
%%code:
	%2
	int SYSCALL_VECTOR
%%after:
%endmacro

; BOTH "name", instruction: ring 0, then ring 3 (registers as set).
%macro BOTH 2+
	call operands
	R0_UD %1, %2
	call operands
	R3_UD %1, %2
%endmacro

main:
	mov eax, 1
	cpuid
	SAY "CPUID.1:ECX = "
	HEX ecx
	NL
	test ecx, 1 << 5
	CHECK z, "CPUID.1:ECX.VMX[5] is clear"
	test ecx, 1 << 6
	CHECK z, "CPUID.1:ECX.SMX[6] is clear"

	call ring3_setup
	mov dword [vmx_region], 1       ; a plausible revision identifier
	mov dword [region_ptr], vmx_region

	BOTH "VMXON [mem]", vmxon [region_ptr]
	BOTH "VMCLEAR [mem]", vmclear [region_ptr]
	BOTH "VMPTRLD [mem]", vmptrld [region_ptr]
	BOTH "VMPTRST [mem]", vmptrst [region_ptr]
	BOTH "VMREAD reg, reg", vmread eax, ebx
	BOTH "VMREAD [mem], reg", vmread [scratch], ebx
	BOTH "VMWRITE reg, reg", vmwrite ebx, eax
	BOTH "VMWRITE reg, [mem]", vmwrite ebx, [scratch]
	BOTH "VMLAUNCH", vmlaunch
	BOTH "VMRESUME", vmresume
	BOTH "VMXOFF", vmxoff
	BOTH "INVEPT", invept eax, [descriptor]
	BOTH "INVVPID", invvpid eax, [descriptor]
	BOTH "VMFUNC", vmfunc
	BOTH "GETSEC", getsec

	; Neither can be turned on.
	mov eax, cr4
	mov [cr4_saved], eax
	or eax, CR4_VMXE
	TRY GP_VECTOR, mov cr4, eax
	CHECK_FAULT GP_VECTOR, 0, "MOV to CR4 setting VMXE raised #GP(0)"
	mov eax, [cr4_saved]
	or eax, CR4_SMXE
	TRY GP_VECTOR, mov cr4, eax
	CHECK_FAULT GP_VECTOR, 0, "MOV to CR4 setting SMXE raised #GP(0)"
	mov eax, cr4
	cmp eax, [cr4_saved]
	CHECK e, "CR4 unchanged by the refused writes"
	ret

; operands: the registers the instructions take (EAX: VMFUNC leaf 0,
; GETSEC leaf 0 (CAPABILITIES), INVEPT/INVVPID type 2 would need EAX = 2:
; any value does, the instruction must not run at all).
operands:
	mov eax, 0
	mov ebx, 0x681e                 ; guest RIP's encoding
	ret

section .data
	align 8
descriptor:     dq 0, 0
scratch:        dq 0
region_ptr:     dq 0
cr4_saved:      dd 0

section .bss
	alignb 4096
vmx_region:     resb 4096
