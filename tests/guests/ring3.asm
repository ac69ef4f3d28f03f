; ring3.asm: VMCALL from ring 3 is refused with #UD (as Jailhouse and ACRN
; do), the hypercall is not executed, and the VM goes on.
;
; Set-up for ring 3: a GDT with ring-0 code/data (the selectors common.inc
; uses), ring-3 code/data and a 32-bit TSS whose SS0:ESP0 is a ring-0 stack
; of its own; #UD and #GP gates to handlers that record the trap, and an
; `int 0x80` gate of DPL 3, by which ring-3 code comes back to ring 0.
; ring3_call IRETs to a piece of ring-3 code; whatever trap that code takes
; (an exception or its int 0x80) lands in trap_common, which records the
; frame (vector, EIP, CS, SS:ESP, EAX) and returns from ring3_call.
;
;  1. int 0x80 from ring 3 reaches ring 0 with CS 0x1b (the ring-3 set-up
;     works: what follows is VMCALL's doing).
;  2. VMCALL at ring 3 with EAX = HC_PRINT and a buffer whose text would be
;     a FAIL line: #UD at ring 0 with the saved EIP at the VMCALL and the
;     saved CS 0x1b; taken on the TSS's ring-0 stack, SS:ESP of ring 3
;     saved.
;  3. VMCALL at ring 3 with EAX = HC_NOP: the same, EAX still HC_NOP (a
;     hypercall would have put its result, 0, there).
;  4. VMCALL at ring 3 with EAX = HC_EXIT, EBX = 3333: the same, and the VM
;     did not end (a hypervisor that runs it ends the VM with status 3333).
;  5. The VM goes on: ring 3 runs again (int 0x80), and at ring 0 HC_NOP
;     returns 0 and HC_PRINT prints a line.
; A hypercall run from ring 3 returns to the int 0x80 after its VMCALL, so
; the guest reports it (vector 0x80 instead of 6) and goes on.
; Natively (no tinyhv) VMCALL raises #UD at any CPL (not in VMX operation):
; checks 1-4 hold the same; the ring-0 hypercalls of 5 are skipped.
%define GUEST_NAME "ring3"
%include "common.inc"
%include "ring3.inc"

RING3_EXIT_STATUS equ 3333              ; what a wrongly run HC_EXIT would end with

; RING3_VMCALL code, vmcall, "what": run `code` at ring 3, whose VMCALL (at
; `vmcall`) must raise #UD, not run the hypercall.
%macro RING3_VMCALL 3
	mov edi, %1
	call ring3_call
	call report_trap
	cmp dword [trap_vector], UD_VECTOR
	CHECK e, "VMCALL ", %3, " at ring 3 raised #UD"
	cmp dword [trap_eip], %2
	jne %%frame_bad
	cmp dword [trap_cs], USER_CODE_SEL
	jne %%frame_bad
	PASS "VMCALL ", %3, " at ring 3: the #UD's saved EIP is the VMCALL, saved CS 0x1b (ring 3)"
	jmp %%frame_done
%%frame_bad:
	FAIL "VMCALL ", %3, " at ring 3: the #UD's saved EIP is the VMCALL, saved CS 0x1b (ring 3)"
%%frame_done:
%endmacro

; TRAP_EAX fn, "what": EAX at the trap is still the function number fn (a
; hypercall would have put its result there).
%macro TRAP_EAX 2
	cmp dword [trap_eax], %1
	CHECK e, "VMCALL ", %2, " at ring 3: EAX still holds the function number (no hypercall result)"
%endmacro

main:
	call ring3_setup

	; 1.
	mov edi, r3_syscall
	call ring3_call
	call report_trap
	call check_syscall_trap

	; 2.
	RING3_VMCALL r3_print, r3_print_vmcall, "HC_PRINT"
	call check_trap_stack
	; 3.
	RING3_VMCALL r3_nop, r3_nop_vmcall, "HC_NOP"
	TRAP_EAX HC_NOP, "HC_NOP"
	; 4.
	RING3_VMCALL r3_exit, r3_exit_vmcall, "HC_EXIT (status 3333)"
	TRAP_EAX HC_EXIT, "HC_EXIT (status 3333)"
	PASS "the VM is still running after VMCALL HC_EXIT at ring 3"

	; 5.
	mov edi, r3_syscall
	call ring3_call
	call report_trap
	call check_syscall_trap
	cmp byte [hv_present], 0
	jne .hv
	LINE "SKIP ring-0 hypercall checks (native: no TinyHV)"
	ret
.hv:
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	HCALL HC_NOP
	test eax, eax
	CHECK z, "HC_NOP at ring 0 returned 0 after the refused ring-3 VMCALLs"
	mov ebx, ring0_message
	mov ecx, ring0_message_len
	xor edx, edx
	HCALL HC_PRINT
	test eax, eax
	CHECK z, "HC_PRINT at ring 0 returned 0 after the refused ring-3 VMCALLs"
	ret

; check_syscall_trap: the trap was r3_syscall's int 0x80, from ring 3.
check_syscall_trap:
	cmp dword [trap_vector], SYSCALL_VECTOR
	jne .bad
	cmp dword [trap_eip], r3_syscall_end
	jne .bad
	cmp dword [trap_cs], USER_CODE_SEL
	jne .bad
	cmp dword [trap_eax], 0x600d
	jne .bad
	PASS "int 0x80 from ring 3 reached ring 0 (saved CS 0x1b, EIP after the int)"
	ret
.bad:
	FAIL "int 0x80 from ring 3 reached ring 0 (saved CS 0x1b, EIP after the int)"
	ret

; check_trap_stack: the last trap was a #UD that switched to the TSS's
; ring-0 stack and saved ring 3's SS:ESP.
check_trap_stack:
	cmp dword [trap_vector], UD_VECTOR
	jne .bad
	cmp dword [trap_frame], ring0_stack_top - 60
	jne .bad
	cmp dword [trap_ss], USER_DATA_SEL
	jne .bad
	cmp dword [trap_esp], user_stack_top
	jne .bad
	PASS "the #UD was taken on the TSS's ring-0 stack (SS0:ESP0), ring 3's SS:ESP saved"
	ret
.bad:
	FAIL "the #UD was taken on the TSS's ring-0 stack (SS0:ESP0), ring 3's SS:ESP saved"
	ret

; --- ring-3 code: each piece ends with int 0x80 ------------------------------
r3_syscall:
	mov eax, 0x600d
	int SYSCALL_VECTOR
r3_syscall_end:

r3_print:
	mov ebx, ring3_message
	mov ecx, ring3_message_len
	xor edx, edx
	mov eax, HC_PRINT
r3_print_vmcall:
	vmcall
	int SYSCALL_VECTOR

r3_nop:
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	mov eax, HC_NOP
r3_nop_vmcall:
	vmcall
	int SYSCALL_VECTOR

r3_exit:
	mov ebx, RING3_EXIT_STATUS
	xor ecx, ecx
	xor edx, edx
	mov eax, HC_EXIT
r3_exit_vmcall:
	vmcall
	int SYSCALL_VECTOR

section .rodata
; Printed only by a hypervisor that runs a ring-3 HC_PRINT: a FAIL line.
ring3_message:  db "ring3: FAIL HC_PRINT from ring 3 was executed by the hypervisor"
ring3_message_len equ $ - ring3_message
ring0_message:  db "ring3: printed by HC_PRINT at ring 0, after the ring-3 VMCALLs"
ring0_message_len equ $ - ring0_message
