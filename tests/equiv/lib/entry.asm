; tests/equiv/lib/entry.asm: how an equivalence guest starts.
;
; A Multiboot (version 1) kernel: GRUB's `multiboot` command (natively) and
; tinyhv (as a Multiboot2 module) enter _start in 32-bit protected mode,
; paging off, EAX = 0x2BADB002, EBX = the Multiboot information (Multiboot
; 0.6.96, 3.2).  _start zeroes .bss, identity-maps the first 4 GiB with
; 2 MiB pages (the top GiB, where the local and I/O APIC are, uncached),
; enters IA-32e mode (SDM Vol. 3A 10.8.5), loads the GDT, TSS and IDT below
; and calls eq_start(magic, info) in 64-bit mode, which never returns.
;
; Every vector's stub pushes the vector (and a 0 where the CPU pushes no
; error code) and the general registers, and calls eq_trap(frame) (lib.c);
; on return the registers are popped and IRETQ resumes where the frame says.

bits 32

MB1_MAGIC     equ 0x1BADB002
MB1_FLAGS     equ 0x00000003          ; page-aligned modules, memory info

EFER          equ 0xC0000080
EFER_LME      equ 1 << 8
CR0_PG        equ 1 << 31
CR0_CD        equ 1 << 30
CR0_NW        equ 1 << 29
CR4_PAE       equ 1 << 5

; GDT selectors (lib/equiv.h has the same).  The order from KCODE64 on
; is the one SYSCALL/SYSRET and SYSENTER/SYSEXIT imply with STAR[47:32] =
; SYSENTER_CS = KCODE64 and STAR[63:48] = UCODE32 (SDM Vol. 2B: SYSRET
; CS = STAR[63:48] (+16 for 64-bit), SS = STAR[63:48] + 8; SYSEXIT CS =
; SYSENTER_CS + 16 (+32 for 64-bit), SS = SYSENTER_CS + 24 (+40)).
KCODE64       equ 0x08
KDATA         equ 0x10
UCODE32       equ 0x18
UDATA         equ 0x20
UCODE64       equ 0x28
UDATA64       equ 0x30
KCODE32       equ 0x38
TSS_SEL       equ 0x40
USER_RETURN   equ 0x81                ; EQ_USER_RETURN in equiv.h

PTE_P         equ 1 << 0
PTE_RW        equ 1 << 1
PTE_US        equ 1 << 2
PTE_PWT       equ 1 << 3
PTE_PCD       equ 1 << 4
PTE_PS        equ 1 << 7

section .multiboot progbits alloc noexec nowrite align=4
	dd MB1_MAGIC
	dd MB1_FLAGS
	dd -(MB1_MAGIC + MB1_FLAGS)

section .text
global _start
extern eq_start, eq_trap, __bss_start, __bss_end

_start:
	cli
	cld
	mov esi, eax
	mov ebp, ebx
	mov edi, __bss_start
	mov ecx, __bss_end
	sub ecx, edi
	xor eax, eax
	rep stosb
	mov esp, eq_stack_top
	lgdt [gdtr32]
	jmp KCODE32:.flat
.flat:
	mov ax, KDATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax

	; PML4[0] -> PDPT, PDPT[0..3] -> the four page directories.
	mov dword [eq_pml4], eq_pdpt + (PTE_P | PTE_RW | PTE_US)
	xor ecx, ecx
.pdpt:
	mov eax, ecx
	shl eax, 12
	add eax, eq_pd + (PTE_P | PTE_RW | PTE_US)
	mov [eq_pdpt + ecx * 8], eax
	inc ecx
	cmp ecx, 4
	jb .pdpt
	; 2048 2 MiB pages: the identity map of 4 GiB.
	xor ecx, ecx
.pd:
	mov eax, ecx
	shl eax, 21
	or eax, PTE_P | PTE_RW | PTE_US | PTE_PS
	cmp ecx, 1536                   ; 3 GiB and up: device memory
	jb .cached
	or eax, PTE_PCD | PTE_PWT
.cached:
	mov [eq_pd + ecx * 8], eax
	mov edx, ecx
	shr edx, 11                     ; bits 32 and up of the address: 0
	mov [eq_pd + ecx * 8 + 4], edx
	inc ecx
	cmp ecx, 2048
	jb .pd

	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, eq_pml4
	mov cr3, eax
	mov ecx, EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	; Caching on (the loader may leave CD and NW set, as bare Bochs's
	; BIOS and GRUB do; Multiboot leaves CR0 but PE and PG undefined):
	; both runs start from the same CR0.
	mov eax, cr0
	and eax, ~(CR0_CD | CR0_NW)
	or eax, CR0_PG
	mov cr0, eax
	jmp KCODE64:long_mode

bits 64
long_mode:
	mov ax, KDATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	xor eax, eax
	mov fs, ax
	mov gs, ax
	mov rsp, eq_stack_top
	mov r12d, esi                   ; magic
	mov r13d, ebp                   ; Multiboot information
	call tss_init
	mov ax, TSS_SEL
	ltr ax
	call idt_init
	lidt [idtr]
	mov edi, r12d
	mov esi, r13d
	call eq_start
.hang:
	hlt
	jmp .hang

; The TSS descriptor's base: the TSS's address in its scattered fields.
tss_init:
	mov rax, eq_tss
	mov rdi, gdt + TSS_SEL
	mov [rdi + 2], ax               ; base 15:0
	shr rax, 16
	mov [rdi + 4], al               ; base 23:16
	mov [rdi + 7], ah               ; base 31:24
	shr rax, 16
	mov [rdi + 8], eax              ; base 63:32
	mov rax, eq_ring0_stack_top
	mov [eq_tss + 4], rax           ; RSP0: CPL 3 code traps onto this stack
	ret

; eq_legacy_call(fn): calls fn, 32-bit code, in 32-bit protected mode with
; paging off (out of IA-32e mode: CS KCODE32, DS, ES and SS KDATA,
; interrupts off, the IDT as it was: fn loads its own before anything can
; fault), and comes back to 64-bit mode when fn returns, on the stack it
; was called with.  fn may leave any segment, IDTR and TR (the caller
; restores those it changed) but not the GDT's first entries or paging.
global eq_legacy_call
eq_legacy_call:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov [legacy_rsp], rsp
	push KCODE32
	lea rax, [rel .compat]
	push rax
	o64 retf
bits 32
.compat:
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	mov ecx, EFER
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	call edi                        ; fn: the low half of its 64-bit pointer
	mov ax, KDATA
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov eax, eq_pml4
	mov cr3, eax
	mov ecx, EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	jmp KCODE64:.long
bits 64
.long:
	mov rsp, [legacy_rsp]
	xor eax, eax
	mov fs, ax
	mov gs, ax
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; 256 interrupt gates (type 0xE, DPL 3 so that INT n works from CPL 3),
; each to its stub.
idt_init:
	xor ecx, ecx
	mov rsi, stub_table
	mov rdi, idt
.gate:
	mov rax, [rsi + rcx * 8]
	mov [rdi], ax                   ; offset 15:0
	mov word [rdi + 2], KCODE64
	mov word [rdi + 4], 0xEE00      ; present, DPL 3, 64-bit interrupt gate
	shr rax, 16
	mov [rdi + 6], ax               ; offset 31:16
	shr rax, 16
	mov [rdi + 8], eax              ; offset 63:32
	mov dword [rdi + 12], 0
	add rdi, 16
	inc ecx
	cmp ecx, 256
	jb .gate
	mov rax, user_return            ; USER_RETURN's gate: eq_user's way back
	mov rdi, idt + USER_RETURN * 16
	mov [rdi], ax
	shr rax, 16
	mov [rdi + 6], ax
	shr rax, 16
	mov [rdi + 8], eax
	ret

; eq_user(fn): calls fn at CPL 3 in 64-bit mode (UCODE64 and UDATA64, a
; stack of its own, RFLAGS with IF clear) and returns when fn does, by
; INT USER_RETURN, whose gate comes here on the TSS's RSP0 stack.
global eq_user
eq_user:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	mov [user_krsp], rsp
	push UDATA64 | 3                ; SS
	push qword user_stack_top       ; RSP
	push 0x2                        ; RFLAGS
	push UCODE64 | 3                ; CS
	push qword .user                ; RIP
	iretq
.user:
	call rdi
	int USER_RETURN
user_return:
	mov ax, KDATA                   ; SS is null after an interrupt from
	mov ss, ax                      ; CPL 3 (SDM Vol. 3A 7.14.2); DS and
	mov ds, ax                      ; ES after the IRET to CPL 3
	mov es, ax
	mov rsp, [user_krsp]
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; The vectors for which the CPU pushes an error code (SDM Vol. 3A 7.13).
%macro STUB 1
stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
	push 0
%endif
	push %1
	jmp trap_common
%endmacro

%assign v 0
%rep 256
	STUB v
%assign v v + 1
%endrep

; The frame eq_trap sees (struct eq_frame in equiv.h): R15 ... RAX, the
; vector, the error code, then the CPU's RIP, CS, RFLAGS, RSP, SS.  176
; bytes on a 16-byte aligned stack (the CPU aligns it, SDM Vol. 3A 7.14.2):
; RSP is aligned at the call as the ABI requires.
trap_common:
	push rax
	push rbx
	push rcx
	push rdx
	push rsi
	push rdi
	push rbp
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	call eq_trap
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rbp
	pop rdi
	pop rsi
	pop rdx
	pop rcx
	pop rbx
	pop rax
	add rsp, 16
	iretq

section .rodata
align 8
stub_table:
%assign v 0
%rep 256
	dq stub_ %+ v
%assign v v + 1
%endrep

section .data
align 16
global eq_gdt
eq_gdt:
gdt:
	dq 0
	dq 0x00AF9A000000FFFF           ; KCODE64: 64-bit code, DPL 0
	dq 0x00CF92000000FFFF           ; KDATA: flat data, DPL 0
	dq 0x00CFFA000000FFFF           ; UCODE32: flat 32-bit code, DPL 3
	dq 0x00CFF2000000FFFF           ; UDATA: flat data, DPL 3
	dq 0x00AFFA000000FFFF           ; UCODE64: 64-bit code, DPL 3
	dq 0x00CFF2000000FFFF           ; UDATA64: flat data, DPL 3 (SYSEXIT's SS)
	dq 0x00CF9A000000FFFF           ; KCODE32: flat 32-bit code, DPL 0
	dq 0x0000890000000067           ; TSS_SEL: available 64-bit TSS, limit 0x67
	dq 0                            ;   (base filled in by tss_init)
	dq 0, 0, 0, 0                   ; SPARE0-SPARE3: an area's own descriptors
gdt_end:

gdtr32:
	dw gdt_end - gdt - 1
	dd gdt
align 16
global eq_idtr
eq_idtr:
idtr:
	dw 256 * 16 - 1
	dq idt

section .bss
alignb 4096
global eq_pml4, eq_pdpt, eq_pd
eq_pml4: resb 4096
eq_pdpt: resb 4096
eq_pd:   resb 4 * 4096
global eq_idt
eq_idt:
idt:     resb 256 * 16
alignb 16
global eq_tss
eq_tss:  resb 0x68
alignb 16
eq_stack: resb 32768
global eq_stack_top
eq_stack_top:
; Where an interrupt or exception from CPL 3 starts (TSS.RSP0): not the
; stack the C code runs on, which it would overwrite.
alignb 16
eq_ring0_stack: resb 8192
eq_ring0_stack_top:
alignb 16
user_stack: resb 8192
user_stack_top:
user_krsp: resq 1
legacy_rsp: resq 1
