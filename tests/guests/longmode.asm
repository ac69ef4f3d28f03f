; longmode.asm: an attacker on IA-32e mode's rules and on VMX in 64-bit
; mode.  Every write that would give an inconsistent EFER.LMA, CR0.PG and
; CR4.PAE must raise #GP(0) (SDM Vol. 3A 2.5, MOV CR0/CR4, WRMSR EFER),
; never reach the VMCS, whose VM-entry checks would then fail (Vol. 3C
; 26.3.1.1).  In 32-bit protected mode (common.inc's TRY):
;   - CR0.PG with EFER.LME set and CR4.PAE clear: #GP(0);
; then in 64-bit mode (identity-mapped first GiB, a 64-bit IDT with #UD
; and #GP handlers):
;   - CR4.PAE cleared, CR0.PG cleared in 64-bit code, EFER.LME cleared with
;     paging on: #GP(0) each, and still in 64-bit mode after;
;   - RDMSR of an MSR tinyhv refuses: #GP(0);
;   - every VMX instruction and GETSEC: #UD;
;   - VMCALL HC_NOP at CPL 0: EAX = 0;
;   - the injected faults' frames have RF set (RDMSR's #GP, VMXON's #UD);
; then back through compatibility mode to 32-bit protected mode (paging
; off, LME clear), where it reports.
%define GUEST_NAME "longmode"
%include "common.inc"
%include "vectors.inc"

CODE64_SEL      equ 0x18
CR4_PAE         equ 1 << 5
CR4_VMXE        equ 1 << 13
CR0_PG          equ 1 << 31
MSR_EFER        equ 0xc0000080
EFER_LME        equ 1 << 8
EFER_LMA        equ 1 << 10
PTE_P_RW        equ 0x3
PDE_2M          equ 0x83
BAD_MSR         equ 0x1234
NTESTS          equ 19

; LM_TRY index, instruction: in 64-bit mode, with the #UD and #GP
; handlers armed; lm_results[index] = the vector taken (VEC_NONE: none).
%macro LM_TRY 2+
	mov byte [lm_results + %1], VEC_NONE
	mov qword [lm_cont], %%after
	mov dword [lm_idx], %1
	mov [lm_rsp], rsp
	%2
%%after:
%endmacro

main:
	; Page tables: PML4[0] -> PDPT, PDPT[0] -> PD, PD: 512 x 2 MiB.
	mov dword [pml4], pdpt + PTE_P_RW
	mov dword [pdpt], pd + PTE_P_RW
	xor ecx, ecx
.pde:
	mov eax, ecx
	shl eax, 21
	or eax, PDE_2M
	mov [pd + ecx * 8], eax
	inc ecx
	cmp ecx, 512
	jne .pde
	mov eax, 6
	mov edx, ud64
	call gate64
	mov eax, 13
	mov edx, gp64
	call gate64
	lgdt [gdtr64]
	jmp CODE_SEL:.reload
.reload:
	mov eax, pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr

	; PG with LME but without PAE: #GP(0), and nothing changed.
	mov eax, cr0
	or eax, CR0_PG
	TRY 13, mov cr0, eax
	CHECK_FAULT 13, 0, "CR0.PG with EFER.LME set and CR4.PAE clear raised #GP(0)"
	mov eax, cr0
	test eax, CR0_PG
	CHECK z, "paging is still off"

	; IA-32e mode, properly.
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	jmp CODE64_SEL:long_mode

; Back in 32-bit protected mode (from leave_long_mode).
pm_again:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov esp, [lm_rsp32]
	lgdt [gdtr]
	jmp CODE_SEL:.reload
.reload:
	lidt [idtr]
	mov ecx, MSR_EFER
	rdmsr
	test eax, EFER_LMA
	CHECK z, "back in 32-bit protected mode: EFER.LMA clear"
	mov esi, lm_results
	mov edi, expected
	mov ebx, names
	mov ecx, NTESTS
	call check_vectors
	cmp dword [hc_result], 0
	CHECK e, "VMCALL HC_NOP at CPL 0 in 64-bit mode returned 0"
	; Faults the hypervisor injects push RFLAGS with RF set, as the
	; CPU's own do (SDM Vol. 3A 18.3.1.1): RDMSR's #GP, VMXON's #UD.
	cmp byte [lm_rf + 3], 1
	CHECK e, "the #GP of RDMSR pushed RFLAGS with RF set"
	cmp byte [lm_rf + 5], 1
	CHECK e, "the #UD of VMXON pushed RFLAGS with RF set"
	ret

; gate64: the 64-bit interrupt gate for vector EAX to handler EDX.
gate64:
	shl eax, 4
	add eax, idt64
	mov [eax], dx
	mov word [eax + 2], CODE64_SEL
	mov word [eax + 4], 0x8e00      ; present, DPL 0, 64-bit interrupt gate
	shr edx, 16
	mov [eax + 6], dx
	mov dword [eax + 8], 0
	ret

bits 64
long_mode:
	mov [lm_rsp32], esp
	lidt [idtr64]
	mov rax, cr4
	and rax, ~CR4_PAE
	LM_TRY 0, mov cr4, rax
	mov rax, cr0
	btr rax, 31
	LM_TRY 1, mov cr0, rax
	mov ecx, MSR_EFER
	rdmsr
	and eax, ~EFER_LME
	LM_TRY 2, wrmsr
	mov ecx, BAD_MSR
	LM_TRY 3, rdmsr
	mov rax, cr4
	or rax, CR4_VMXE
	LM_TRY 4, mov cr4, rax
	LM_TRY 5, vmxon [vmx_region]
	LM_TRY 6, vmclear [vmx_region]
	LM_TRY 7, vmptrld [vmx_region]
	LM_TRY 8, vmptrst [vmx_region]
	LM_TRY 9, vmread rax, rbx
	LM_TRY 10, vmwrite rax, rbx
	LM_TRY 11, vmlaunch
	LM_TRY 12, vmresume
	LM_TRY 13, vmxoff
	LM_TRY 14, invept rax, [vmx_region]
	LM_TRY 15, invvpid rax, [vmx_region]
	LM_TRY 16, vmfunc
	LM_TRY 17, getsec
	mov ecx, MSR_EFER
	rdmsr
	and eax, EFER_LMA
	mov ecx, VEC_NONE
	mov edx, 0x77                   ; "not in IA-32e mode any more"
	cmp eax, 0
	cmove ecx, edx
	mov [lm_results + 18], cl
	mov eax, HC_NOP
	vmcall
	mov [hc_result], eax

	; Compatibility mode, then paging and LME off (Vol. 3A 10.8.5.4).
	push CODE_SEL
	push compat
	retfq
bits 32
compat:
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	mov ecx, MSR_EFER
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	jmp pm_again

bits 64
ud64:
	mov rdx, [rsp + 16]             ; RFLAGS in the frame
	push 6
	jmp handler64
gp64:
	mov rdx, [rsp + 24]             ; (above the CPU's error code)
	push 13
handler64:
	pop rax
	mov ecx, [lm_idx]
	mov [lm_results + rcx], al
	shr edx, 16                     ; RF
	and dl, 1
	mov [lm_rf + rcx], dl
	mov rsp, [lm_rsp]
	jmp [lm_cont]
bits 32

section .data
	align 8
gdt64:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
	dq 0x00CF92000000FFFF           ; 0x10: data
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
gdt64_end:
	align 4
	dw 0
gdtr64:
	dw gdt64_end - gdt64 - 1
	dd gdt64
	align 4
	dw 0
idtr64:
	dw 256 * 16 - 1
	dd idt64, 0
hc_result:      dd -1

expected:
	db 13, 13, 13, 13, 13, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, VEC_NONE
names:
	dd n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15, n16, n17, n18
n0:  db "MOV to CR4 clearing PAE in 64-bit mode raised #GP", 0
n1:  db "MOV to CR0 clearing PG in 64-bit code raised #GP", 0
n2:  db "WRMSR EFER clearing LME with paging on raised #GP", 0
n3:  db "RDMSR 0x1234 in 64-bit mode raised #GP", 0
n4:  db "MOV to CR4 setting VMXE in 64-bit mode raised #GP", 0
n5:  db "VMXON in 64-bit mode raised #UD", 0
n6:  db "VMCLEAR in 64-bit mode raised #UD", 0
n7:  db "VMPTRLD in 64-bit mode raised #UD", 0
n8:  db "VMPTRST in 64-bit mode raised #UD", 0
n9:  db "VMREAD in 64-bit mode raised #UD", 0
n10: db "VMWRITE in 64-bit mode raised #UD", 0
n11: db "VMLAUNCH in 64-bit mode raised #UD", 0
n12: db "VMRESUME in 64-bit mode raised #UD", 0
n13: db "VMXOFF in 64-bit mode raised #UD", 0
n14: db "INVEPT in 64-bit mode raised #UD", 0
n15: db "INVVPID in 64-bit mode raised #UD", 0
n16: db "VMFUNC in 64-bit mode raised #UD", 0
n17: db "GETSEC in 64-bit mode raised #UD", 0
n18: db "still in IA-32e mode after the refused writes (EFER.LMA)", 0

section .bss
	alignb 4096
pml4:           resb 4096
pdpt:           resb 4096
pd:             resb 4096
idt64:          resb 256 * 16
	alignb 16
vmx_region:     resb 16
lm_cont:        resq 1
lm_rsp:         resq 1
lm_idx:         resd 1
lm_rsp32:       resd 1
lm_results:     resb NTESTS
lm_rf:          resb NTESTS            ; RF in the exception's frame
