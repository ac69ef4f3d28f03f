; Exception entry stubs: give every vector the same frame (struct
; exception_frame in include/arch/idt.h) and call exception_handler.
; The CPU pushes an error code only for some vectors (SDM Vol. 3A 6.13).
; exception_handler returns only for an NMI, which is no error: then the
; registers come back and IRETQ resumes what the NMI interrupted.

bits 64
section .text
extern exception_handler

%macro ISR_NOERR 1
isr_%1:
	push 0
	push %1
	jmp isr_common
%endmacro

%macro ISR_ERR 1
isr_%1:
	push %1
	jmp isr_common
%endmacro

%assign v 0
%rep 32
%if v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30
	ISR_ERR %[v]
%else
	ISR_NOERR %[v]
%endif
%assign v v + 1
%endrep

; The hypervisor's own interrupt vectors (include/arch/irq.h), taken
; through the IDT only while a CPU idles with interrupts on.
	ISR_NOERR 0x40
	ISR_NOERR 0xe0
	ISR_NOERR 0xf0
	ISR_NOERR 0xff

isr_common:
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
	cld
	mov rdi, rsp
	mov rbx, rsp                    ; callee-saved: the frame, past the call
	and rsp, -16
	call exception_handler
	mov rsp, rbx
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
	add rsp, 16                     ; vector, error code
	iretq

section .rodata
global isr_table
isr_table:
%assign v 0
%rep 32
	dq isr_%[v]
%assign v v + 1
%endrep

; vector, stub pairs for idt.c
global isr_irq_table
isr_irq_table:
	dq 0x40, isr_0x40
	dq 0xe0, isr_0xe0
	dq 0xf0, isr_0xf0
	dq 0xff, isr_0xff
	dq 0, 0

section .note.GNU-stack noalloc noexec nowrite progbits
