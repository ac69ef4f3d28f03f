; vmxon.asm: VMX instructions in a tinyhv guest raise #UD (CPUID says no
; VMX): VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
; VMRESUME, VMXOFF, INVEPT, INVVPID and VMFUNC.  (CR4.VMXE is clear, so the
; same holds natively.)
%define GUEST_NAME "vmxon"
%include "common.inc"

%macro UD_CHECK 2+              ; "name", instruction
	TRY 6, %2
	CHECK_FAULT 6, -1, %1, " raised #UD"
%endmacro

main:
	mov dword [vmx_region], 1       ; a plausible revision identifier
	mov dword [vmx_region_ptr], vmx_region
	mov dword [vmx_region_ptr + 4], 0
	UD_CHECK "VMXON [mem]", vmxon [vmx_region_ptr]
	UD_CHECK "VMCLEAR [mem]", vmclear [vmx_region_ptr]
	UD_CHECK "VMPTRLD [mem]", vmptrld [vmx_region_ptr]
	UD_CHECK "VMPTRST [mem]", vmptrst [vmx_region_ptr]
	mov ebx, 0x681e                 ; guest RIP
	UD_CHECK "VMREAD", vmread eax, ebx
	UD_CHECK "VMWRITE", vmwrite ebx, eax
	UD_CHECK "VMLAUNCH", vmlaunch
	UD_CHECK "VMRESUME", vmresume
	UD_CHECK "VMXOFF", vmxoff
	mov eax, 2                      ; all contexts
	UD_CHECK "INVEPT", invept eax, [invalidation_desc]
	UD_CHECK "INVVPID", invvpid eax, [invalidation_desc]
	xor eax, eax
	UD_CHECK "VMFUNC", vmfunc
	ret

section .bss
	alignb 4096
vmx_region:     resb 4096
vmx_region_ptr: resq 1
	alignb 16
invalidation_desc: resq 2
