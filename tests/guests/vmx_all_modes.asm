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

USER_CODE_SEL   equ 0x18 | 3
USER_DATA_SEL   equ 0x20 | 3
TSS_SEL         equ 0x28
SYSCALL_VECTOR  equ 0x80
UD_VECTOR       equ 6
GP_VECTOR       equ 13
RING3_EFLAGS    equ 0x00000002
TSS_ESP0        equ 4
TSS_SS0         equ 8
TSS_IOMAP       equ 102
TSS_SIZE        equ 104
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

; ring3_setup: the GDT with ring-3 segments and the TSS, TR, the gates.
ring3_setup:
	pushad
	; The TSS descriptor: base tss, limit TSS_SIZE - 1, present, DPL 0,
	; type 9 (32-bit TSS, available), byte granularity.
	mov eax, tss
	mov edx, eax
	shl eax, 16
	or eax, TSS_SIZE - 1
	mov [gdt3 + TSS_SEL], eax
	mov eax, edx
	and eax, 0xff000000
	shr edx, 16
	and edx, 0xff
	or eax, edx
	or eax, 0x00008900
	mov [gdt3 + TSS_SEL + 4], eax
	mov dword [tss + TSS_ESP0], ring0_stack_top
	mov dword [tss + TSS_SS0], DATA_SEL
	mov word [tss + TSS_IOMAP], TSS_SIZE    ; no I/O permission bitmap

	lgdt [gdtr3]
	jmp CODE_SEL:.reload_cs
.reload_cs:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov ax, TSS_SEL
	ltr ax

	mov eax, UD_VECTOR
	mov edx, ud_handler
	call set_gate
	mov eax, GP_VECTOR
	mov edx, gp_handler
	call set_gate
	mov eax, SYSCALL_VECTOR
	mov edx, syscall_handler
	call set_gate
	mov byte [idt + SYSCALL_VECTOR * 8 + 5], 0xEE   ; present, DPL 3, interrupt gate
	popad
	ret

; ring3_call: run the ring-3 code at EDI (on its own stack, IF = 0, IOPL 0;
; it sets its own registers) until it traps to ring 0; returns at ring 0
; with trap_* set.  All registers are preserved (not EFLAGS).
ring3_call:
	pushad
	mov [ring0_esp], esp
	mov edi, trap_vector            ; trap_* all -1 until the trap
	mov ecx, TRAP_DWORDS
	mov eax, -1
	rep stosd
	mov edi, [esp]                  ; pushad's EDI: the code to run
	mov byte [in_ring3], 1
	mov ax, USER_DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	push dword USER_DATA_SEL        ; SS
	push dword user_stack_top       ; ESP
	push dword RING3_EFLAGS
	push dword USER_CODE_SEL        ; CS
	push edi                        ; EIP
	iretd

; The trap handlers: the frame as common.inc's stubs build it (vector and
; error code pushed), then trap_common.
; At ring 0 (TRY) they are common.inc's.
ud_handler:
	cmp byte [in_ring3], 0
	je isr_stubs + UD_VECTOR * 16
	push dword 0
	push dword UD_VECTOR
	jmp trap_common
gp_handler:                             ; the CPU pushed the error code
	cmp byte [in_ring3], 0
	je isr_stubs + GP_VECTOR * 16
	push dword GP_VECTOR
	jmp trap_common
syscall_handler:
	push dword 0
	push dword SYSCALL_VECTOR
	; fall through

; trap_common: the frame: pushad (32 bytes), vector, error code, EIP, CS,
; EFLAGS and, coming from ring 3, ESP and SS.  Records it and returns from
; ring3_call on its stack.  A trap outside ring3_call is a failure.
trap_common:
	pushad
	cld
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ebp, esp
	cmp byte [in_ring3], 0
	je .stray
	mov byte [in_ring3], 0
	mov [trap_frame], ebp
	mov eax, [ebp + 28]             ; EAX at the trap
	mov [trap_eax], eax
	mov eax, [ebp + 32]
	mov [trap_vector], eax
	mov eax, [ebp + 36]
	mov [trap_error], eax
	mov eax, [ebp + 40]
	mov [trap_eip], eax
	mov eax, [ebp + 44]
	mov [trap_cs], eax
	mov eax, [ebp + 52]
	mov [trap_esp], eax
	mov eax, [ebp + 56]
	mov [trap_ss], eax
	mov esp, [ring0_esp]
	popad
	ret
.stray:
	inc dword [fail_count]
	mov ebx, [ebp + 32]
	mov ecx, [ebp + 36]
	mov edx, [ebp + 40]
	SAY "FAIL "
	call report_event
	PUTS ", unexpected, not from ring3_call): stopping", 10
	lea eax, [ebx + 0x100]
	jmp guest_exit

; report_trap: "trap from ring 3: vector V error E at EIP X, CS C, SS:ESP
; S:P, EAX A".
report_trap:
	SAY "trap from ring 3: vector "
	HEX2 dword [trap_vector]
	PUTS " error "
	HEX dword [trap_error]
	PUTS " at EIP "
	HEX dword [trap_eip]
	PUTS ", CS "
	HEX2 dword [trap_cs]
	PUTS ", SS:ESP "
	HEX2 dword [trap_ss]
	PUTS ":"
	HEX dword [trap_esp]
	PUTS ", EAX "
	HEX dword [trap_eax]
	NL
	ret

section .data
	align 8
gdt3:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: ring-0 code, flat, 32-bit
	dq 0x00CF92000000FFFF           ; 0x10: ring-0 data, flat
	dq 0x00CFFA000000FFFF           ; 0x18: ring-3 code, flat, 32-bit
	dq 0x00CFF2000000FFFF           ; 0x20: ring-3 data, flat
	dq 0                            ; 0x28: the TSS (ring3_setup)
gdt3_end:
	align 4
	dw 0
gdtr3:
	dw gdt3_end - gdt3 - 1
	dd gdt3

	align 8
descriptor:     dq 0, 0
scratch:        dq 0
region_ptr:     dq 0
cr4_saved:      dd 0

section .bss
	alignb 4096
vmx_region:     resb 4096
	alignb 16
ring0_stack:    resb 4096               ; TSS.ESP0: traps from ring 3
ring0_stack_top:
user_stack:     resb 4096
user_stack_top:
	alignb 4
tss:            resb TSS_SIZE
ring0_esp:      resd 1                  ; ring3_call's stack, for the way back
trap_frame:     resd 1                  ; EBP in trap_common
trap_vector:    resd 1
trap_error:     resd 1
trap_eip:       resd 1
trap_cs:        resd 1
trap_esp:       resd 1
trap_ss:        resd 1
trap_eax:       resd 1
TRAP_DWORDS     equ ($ - trap_vector) / 4
in_ring3:       resb 1
