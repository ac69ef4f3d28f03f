; VM entry and the VM-exit path (SDM Vol. 3C 28.5: on a VM exit the CPU
; loads RSP and RIP from the host-state area and nothing else of the
; general registers, so the guest's must be saved before anything runs).
;
; The VMCS's host RSP points just past the guest's general registers in
; the vCPU (struct vcpu starts with regs.gpr[16], then regs.host_rsp): the
; exit stub pushes the guest's registers straight into place, switches to
; the host stack saved in regs.host_rsp, and calls vmx_exit(vcpu).  That
; returns the vCPU to resume, whose registers are popped before VMRESUME,
; or NULL: then vmx_enter returns to its caller.  An exit that needs
; nothing of the C run loop thus costs one call, and no return through
; vmx_enter.
;
;   int vmx_enter(struct vcpu *v, int launched)
;
; VMLAUNCH (launched == 0) or VMRESUME.  Returns 0 when vmx_exit() has
; returned NULL (the VM ended), or 1 at once if VMLAUNCH/VMRESUME failed
; (the caller reads the VM-instruction error).

bits 64
section .text

%define REGS_HOST_RSP   (8 * 16)        ; offsetof(struct vcpu, regs.host_rsp)

%define GDT_SEL_DATA    0x10            ; arch/gdt.h
%define MSR_IA32_FLUSH_CMD 0x10b

global vmx_enter
global vmx_exit_stub
global vmx_exit_stub_mitigated
extern vmx_exit
extern spec_flush_l1d
extern spec_verw

; The guest's registers from [rsp] upwards (struct vcpu's gpr[]), then
; VMLAUNCH or VMRESUME as the flags of a TEST made before say (POP and
; LEA leave the flags alone).  Falls through if the instruction failed,
; with RSP at regs.host_rsp.
%macro LOAD_GUEST_AND_ENTER 0
	pop rax
	pop rcx
	pop rdx
	pop rbx
	lea rsp, [rsp + 8]              ; gpr[4]: the guest's RSP is in the VMCS
	pop rbp
	pop rsi
	pop rdi
	pop r8
	pop r9
	pop r10
	pop r11
	pop r12
	pop r13
	pop r14
	pop r15
%endmacro

; Speculation mitigations before an entry (arch/spec.h): L1D flushed
; through IA32_FLUSH_CMD before the guest's registers are loaded (WRMSR
; takes EAX, ECX, EDX); VERW, which clears the CPU's buffers, last of all
; (any usable data selector will do as its operand).  Both change flags.
%macro FLUSH_L1D_IF_NEEDED 0
	cmp byte [rel spec_flush_l1d], 0
	je %%done
	mov ecx, MSR_IA32_FLUSH_CMD
	mov eax, 1
	xor edx, edx
	wrmsr
%%done:
%endmacro

%macro VERW_IF_NEEDED 0
	cmp byte [rel spec_verw], 0
	je %%done
	verw [rel verw_selector]
%%done:
%endmacro

vmx_enter:
	push rbp
	push rbx
	push r12
	push r13
	push r14
	push r15
	sub rsp, 8                      ; 16-byte alignment for calls from the stub
	mov [rdi + REGS_HOST_RSP], rsp
	FLUSH_L1D_IF_NEEDED
	test esi, esi
	mov rsp, rdi
	LOAD_GUEST_AND_ENTER
	jnz .resume
	VERW_IF_NEEDED
	vmlaunch
	jmp entry_failed
.resume:
	VERW_IF_NEEDED
	vmresume
	jmp entry_failed

; The exit stub, as the host RIP of every VMCS: the guest's registers into
; the vCPU, vmx_exit(), and VMRESUME; with %1 the entry mitigations too (a
; second stub, so that a CPU that needs none pays nothing for them).
%macro EXIT_STUB 1
	push r15
	push r14
	push r13
	push r12
	push r11
	push r10
	push r9
	push r8
	push rdi
	push rsi
	push rbp
	push rbp                        ; gpr[4], RSP's place: unused
	push rbx
	push rdx
	push rcx
	push rax
	mov rdi, rsp                    ; the vcpu
	mov rsp, [rdi + REGS_HOST_RSP]
	call vmx_exit
	test rax, rax
	jz host_leave
	mov rsp, rax
%if %1
	FLUSH_L1D_IF_NEEDED
%endif
	LOAD_GUEST_AND_ENTER
%if %1
	VERW_IF_NEEDED
%endif
	vmresume
	jmp entry_failed
%endmacro

vmx_exit_stub:
	EXIT_STUB 0

vmx_exit_stub_mitigated:
	EXIT_STUB 1

host_leave:
	xor eax, eax
	jmp host_return

entry_failed:
	; VMfailInvalid or VMfailValid: still in the host, RSP at host_rsp.
	mov rsp, [rsp]
	mov eax, 1
host_return:
	add rsp, 8
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbx
	pop rbp
	ret

section .rodata
verw_selector: dw GDT_SEL_DATA

section .note.GNU-stack noalloc noexec nowrite progbits
