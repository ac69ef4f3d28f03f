; VM entry and the VM-exit landing point (SDM Vol. 3C 28.5: on a VM exit the
; CPU loads RSP and RIP from the host-state area and nothing else of the
; general registers, so the guest's must be saved before anything else runs).
;
;   int vmx_enter(struct guest_regs *regs, int launched)
;
; loads the guest's registers from regs and executes VMLAUNCH (launched == 0)
; or VMRESUME.  It "returns" 0 from vmx_exit_stub after the next VM exit with
; the guest's registers saved back into regs, or 1 at once if the entry
; instruction itself failed (the caller reads the VM-instruction error).
; Layout of struct guest_regs (include/hv/vm.h): gpr[16] in x86 register
; order, then cr2, then host_rsp.

bits 64
section .text

%define REG(n)          (8 * (n))
%define REGS_CR2        (8 * 16)
%define REGS_HOST_RSP   (8 * 17)
VMCS_HOST_RSP           equ 0x6c14

global vmx_enter
global vmx_exit_stub

vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	push rdi                        ; regs, found again by vmx_exit_stub

	; The host RSP is the same on every entry from the same call site:
	; write it only when it changed.
	cmp rsp, [rdi + REGS_HOST_RSP]
	je .rsp_ok
	mov [rdi + REGS_HOST_RSP], rsp
	mov rax, VMCS_HOST_RSP
	vmwrite rax, rsp
.rsp_ok:
	mov rax, [rdi + REGS_CR2]       ; CR2 is not part of the VMCS
	mov cr2, rax

	test esi, esi                   ; flags survive the loads below
	mov rax, [rdi + REG(0)]
	mov rcx, [rdi + REG(1)]
	mov rdx, [rdi + REG(2)]
	mov rbx, [rdi + REG(3)]
	mov rbp, [rdi + REG(5)]
	mov rsi, [rdi + REG(6)]
	mov r8,  [rdi + REG(8)]
	mov r9,  [rdi + REG(9)]
	mov r10, [rdi + REG(10)]
	mov r11, [rdi + REG(11)]
	mov r12, [rdi + REG(12)]
	mov r13, [rdi + REG(13)]
	mov r14, [rdi + REG(14)]
	mov r15, [rdi + REG(15)]
	mov rdi, [rdi + REG(7)]
	jnz .resume
	vmlaunch
	jmp .failed
.resume:
	vmresume
.failed:
	; VMfailInvalid or VMfailValid: we are still in the host context.
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	mov eax, 1
	ret

vmx_exit_stub:
	push rdi                        ; the guest's RDI
	mov rdi, [rsp + 8]              ; regs
	mov [rdi + REG(0)], rax
	mov [rdi + REG(1)], rcx
	mov [rdi + REG(2)], rdx
	mov [rdi + REG(3)], rbx
	mov [rdi + REG(5)], rbp
	mov [rdi + REG(6)], rsi
	mov [rdi + REG(8)], r8
	mov [rdi + REG(9)], r9
	mov [rdi + REG(10)], r10
	mov [rdi + REG(11)], r11
	mov [rdi + REG(12)], r12
	mov [rdi + REG(13)], r13
	mov [rdi + REG(14)], r14
	mov [rdi + REG(15)], r15
	pop rax
	mov [rdi + REG(7)], rax
	mov rax, cr2
	mov [rdi + REGS_CR2], rax
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	xor eax, eax
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
