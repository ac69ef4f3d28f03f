; realmode.asm: an attacker in real-address mode (unrestricted guest runs
; it as it is).  It leaves protected mode for real mode (code copied to
; 0x8000, segment 0x0800, its own IVT handlers for #UD and #GP) and there:
;   - RDMSR of an MSR tinyhv refuses, and MOV to CR4 of VMXE: #GP, taken
;     through the IVT with no error code pushed (SDM Vol. 3A 20.1.4: real
;     mode pushes FLAGS, CS and IP only; for VM entry an injected
;     exception must then say "no error code", Vol. 3C 26.2.1.3, or the
;     entry fails);
;   - every VMX instruction: #UD, as on a CPU in real mode;
;   - VMCALL HC_NOP at CPL 0: the hypercall, EAX = 0;
; then goes back to protected mode and reports each.
%define GUEST_NAME "realmode"
%include "common.inc"
%include "vectors.inc"

LOW             equ 0x8000          ; where the real-mode code runs
LOW_SEG         equ LOW >> 4
CODE16_SEL      equ 0x18            ; 16-bit protected-mode code, base LOW
DATA16_SEL      equ 0x20
RM_STACK        equ 0x0ff0          ; SP in segment LOW_SEG
BAD_MSR         equ 0x1234
CR4_VMXE        equ 1 << 13
NONE            equ VEC_NONE
NTESTS          equ 16

; Offsets in the real-mode segment, and their protected-mode addresses.
%define R(label) (label - rm_start)
%define PM(label) (LOW + label - rm_start)

main:
	mov esi, rm_start
	mov edi, LOW
	mov ecx, rm_end - rm_start
	rep movsb
	lgdt [gdtr16]
	jmp CODE_SEL:.reload            ; same selectors, the new GDT's
.reload:
	mov [saved_esp], esp
	cli
	jmp CODE16_SEL:0                ; rm_start, in 16-bit protected mode

; Back from real mode (rm_back's far jump).
pm_return:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, [saved_esp]
	lidt [idtr]
	LINE "back in protected mode"

	mov esi, PM(results)
	mov edi, expected
	mov ebx, names
	mov ecx, NTESTS
	call check_vectors
	cmp dword [PM(hc_result)], 0
	CHECK e, "VMCALL HC_NOP at CPL 0 in real mode returned 0"
	ret

; RM_TRY index, instruction: run it in real mode with the handlers armed;
; results[index] = the vector taken (NONE if none; VEC_BAD_FRAME when the
; handler's frame was not 6 bytes: FLAGS, CS, IP).
%macro RM_TRY 2+
	mov byte [R(results) + %1], NONE
	mov word [R(cont)], R(%%after)
	mov word [R(idx)], %1
	mov [R(sp_at)], sp
	%2
%%after:
%endmacro

bits 16
rm_start:
	mov ax, DATA16_SEL
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, cr0
	and eax, ~1                     ; PE off: real mode
	mov cr0, eax
	jmp LOW_SEG:R(.real)
.real:
	mov ax, LOW_SEG
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov sp, RM_STACK
	o32 lidt [R(ivt_desc)]
	xor ax, ax
	mov fs, ax
	mov word [fs:6 * 4], R(ud_handler)
	mov word [fs:6 * 4 + 2], LOW_SEG
	mov word [fs:13 * 4], R(gp_handler)
	mov word [fs:13 * 4 + 2], LOW_SEG

	mov ecx, BAD_MSR
	RM_TRY 0, rdmsr
	mov eax, cr4
	or eax, CR4_VMXE
	RM_TRY 1, mov cr4, eax
	RM_TRY 2, vmxon [R(vmx_region)]
	RM_TRY 3, vmclear [R(vmx_region)]
	RM_TRY 4, vmptrld [R(vmx_region)]
	RM_TRY 5, vmptrst [R(vmx_region)]
	RM_TRY 6, vmread eax, ebx
	RM_TRY 7, vmwrite eax, ebx
	RM_TRY 8, vmlaunch
	RM_TRY 9, vmresume
	RM_TRY 10, vmxoff
	RM_TRY 11, invept eax, [R(vmx_region)]
	RM_TRY 12, invvpid eax, [R(vmx_region)]
	RM_TRY 13, vmfunc
	RM_TRY 14, getsec
	RM_TRY 15, cpuid                ; no exception
	mov eax, HC_NOP
	vmcall
	mov [R(hc_result)], eax

	; Back: PE on, and a far jump to 32-bit code.
	mov eax, cr0
	or eax, 1
	mov cr0, eax
	jmp dword CODE_SEL:pm_return

ud_handler:
	push word 6
	jmp handler
gp_handler:
	push word 13
handler:
	pop ax
	mov bx, [R(idx)]
	mov cx, [R(sp_at)]
	sub cx, sp
	cmp cx, 6                       ; FLAGS, CS, IP: no error code
	je .frame_ok
	mov al, VEC_BAD_FRAME
.frame_ok:
	mov [R(results) + bx], al
	mov sp, [R(sp_at)]              ; the frame dropped: resume after it
	jmp word [R(cont)]

	align 4
ivt_desc:
	dw 0x3ff
	dd 0
cont:           dw 0
idx:            dw 0
sp_at:          dw 0
hc_result:      dd -1
results:        times NTESTS db 0
	align 16
vmx_region:     times 16 db 0
rm_end:
bits 32

section .data
	align 8
gdt16:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: code, flat, 32-bit
	dq 0x00CF92000000FFFF           ; 0x10: data, flat
	dq 0x00009A008000FFFF           ; 0x18: code, base LOW, 64 KiB, 16-bit
	dq 0x000092008000FFFF           ; 0x20: data, base LOW, 64 KiB, 16-bit
gdt16_end:
	align 4
	dw 0
gdtr16:
	dw gdt16_end - gdt16 - 1
	dd gdt16

expected:
	db 13, 13, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, NONE
names:
	dd n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15
n0:  db "RDMSR 0x1234 in real mode raised #GP, no error code pushed", 0
n1:  db "MOV CR4 with VMXE in real mode raised #GP, no error code pushed", 0
n2:  db "VMXON in real mode raised #UD", 0
n3:  db "VMCLEAR in real mode raised #UD", 0
n4:  db "VMPTRLD in real mode raised #UD", 0
n5:  db "VMPTRST in real mode raised #UD", 0
n6:  db "VMREAD in real mode raised #UD", 0
n7:  db "VMWRITE in real mode raised #UD", 0
n8:  db "VMLAUNCH in real mode raised #UD", 0
n9:  db "VMRESUME in real mode raised #UD", 0
n10: db "VMXOFF in real mode raised #UD", 0
n11: db "INVEPT in real mode raised #UD", 0
n12: db "INVVPID in real mode raised #UD", 0
n13: db "VMFUNC in real mode raised #UD", 0
n14: db "GETSEC in real mode raised #UD", 0
n15: db "CPUID in real mode raised nothing", 0

section .bss
saved_esp:      resd 1
