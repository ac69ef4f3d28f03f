; debug.asm: debug and alignment-check exceptions reach the guest's own
; handlers, exactly as without a hypervisor, although tinyhv intercepts #DB
; and #AC (every delivery is a VM exit, reflected into the guest).  No
; attack: each exception is taken once.
;  1. Single step: TF set by POPFD traps after the next instruction: the
;     #DB handler runs once, DR6.BS set, no B0-B3, saved EIP after that
;     instruction.
;     The same over CPUID, an instruction tinyhv emulates (the trap after
;     it is then the hypervisor's to raise), and over HLT with interrupts
;     off: the trap ends the halt (the guest would otherwise never wake):
;     "a debug exception ... will resume execution" (SDM Vol. 2A HLT).
;     Bare Bochs 2.7 departs from that and halts for ever there, so this
;     guest runs under tinyhv only.
;  2. INT1 (ICEBP, 0xF1): the #DB handler runs once, saved EIP after the
;     one-byte instruction, DR6 unchanged (no BS, no B0-B3).
;  3. An instruction breakpoint (DR0 = an instruction's address, DR7.L0,
;     R/W0 = 00, LEN0 = 00): a fault before the instruction; the handler
;     sees DR6.B0 and the saved EIP at the instruction, sets RF in the
;     saved EFLAGS, and the instruction then runs once.
;  4. General detect (DR7.GD, then MOV from DR0): a fault at the MOV with
;     DR6.BD, and the handler finds DR7.GD cleared.
;  5. An alignment check: CR0.AM, EFLAGS.AC and a misaligned load at
;     ring 3: the #AC handler (ring 0, through the TSS's stack) runs once,
;     error code 0, saved EIP at the load, saved CS the ring-3 one.
; Every check prints PASS or FAIL; "debug: PASS all debug and alignment
; exceptions reached the guest's handlers" ends it.
%define GUEST_NAME "debug"
%include "common.inc"

DB_VECTOR       equ 1
AC_VECTOR       equ 17
USER_CODE_SEL   equ 0x18 | 3
USER_DATA_SEL   equ 0x20 | 3
TSS_SEL         equ 0x28
TSS_ESP0        equ 4
TSS_SS0         equ 8
TSS_IOMAP       equ 102
TSS_SIZE        equ 104
EFLAGS_TF       equ 1 << 8
EFLAGS_RF       equ 1 << 16
EFLAGS_AC       equ 1 << 18
CR0_AM          equ 1 << 18
DR6_B0          equ 1 << 0
DR6_BD          equ 1 << 13
DR6_BS          equ 1 << 14
DR6_CAUSES      equ DR6_B0 | 0xe | DR6_BD | DR6_BS
DR7_L0          equ 1 << 0
DR7_GD          equ 1 << 13

; The #DB handler: records DR6, DR7, the saved EIP and the count; clears
; TF in the saved EFLAGS (a single step is over) and sets RF (an
; instruction breakpoint's instruction then runs); clears DR7 and DR6.
db_handler:
	push eax
	inc dword [db_count]
	mov eax, dr6
	mov [db_dr6], eax
	mov eax, dr7
	mov [db_dr7], eax
	mov eax, [esp + 4]              ; saved EIP
	mov [db_eip], eax
	and dword [esp + 12], ~EFLAGS_TF
	or dword [esp + 12], EFLAGS_RF
	xor eax, eax
	mov dr7, eax
	mov dr6, eax
	pop eax
	iretd

; The #AC handler: from ring 3 (frame: error, EIP, CS, EFLAGS, ESP, SS);
; records and returns to ring 0 after ring3_call.
ac_handler:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	inc dword [ac_count]
	mov eax, [esp]
	mov [ac_error], eax
	mov eax, [esp + 4]
	mov [ac_eip], eax
	mov eax, [esp + 8]
	mov [ac_cs], eax
	mov esp, [ring0_esp]
	popad
	ret

; reset_db: no #DB seen, DR6 clear.
reset_db:
	mov dword [db_count], 0
	mov dword [db_dr6], -1
	mov dword [db_eip], -1
	xor eax, eax
	mov dr6, eax
	ret

main:
	call setup
	mov eax, DB_VECTOR
	mov edx, db_handler
	call set_gate
	mov eax, AC_VECTOR
	mov edx, ac_handler
	call set_gate

	; 1. single step
	call reset_db
	pushfd
	or dword [esp], EFLAGS_TF
	popfd
	nop                             ; the step traps after this one
ss_after:
	nop
	cmp dword [db_count], 1
	CHECK e, "single step: the #DB handler ran once"
	mov eax, [db_dr6]
	and eax, DR6_CAUSES
	cmp eax, DR6_BS
	CHECK e, "single step: DR6.BS set, B0-B3 and BD clear"
	cmp dword [db_eip], ss_after
	CHECK e, "single step: saved EIP after the stepped instruction"

	; 1b. single step over an instruction that exits: CPUID
	call reset_db
	pushfd
	or dword [esp], EFLAGS_TF
	xor eax, eax
	popfd
	cpuid                           ; the step traps after this one
ss_cpuid_after:
	nop
	cmp dword [db_count], 1
	CHECK e, "single step over CPUID: the #DB handler ran once"
	cmp dword [db_eip], ss_cpuid_after
	CHECK e, "single step over CPUID: saved EIP after the CPUID"
	mov eax, [db_dr6]
	and eax, DR6_CAUSES
	cmp eax, DR6_BS
	CHECK e, "single step over CPUID: DR6.BS set"

	; 1c. single step over HLT with interrupts off: the trap wakes it
	call reset_db
	cli
	pushfd
	or dword [esp], EFLAGS_TF
	popfd
	hlt                             ; the step traps after this one
ss_hlt_after:
	nop
	cmp dword [db_count], 1
	CHECK e, "single step over HLT (interrupts off): the #DB handler ran once"
	cmp dword [db_eip], ss_hlt_after
	CHECK e, "single step over HLT: saved EIP after the HLT"

	; 2. INT1
	call reset_db
	db 0xf1                         ; INT1 (ICEBP)
int1_after:
	cmp dword [db_count], 1
	CHECK e, "INT1: the #DB handler ran once"
	cmp dword [db_eip], int1_after
	CHECK e, "INT1: saved EIP after the one-byte instruction"
	mov eax, [db_dr6]
	and eax, DR6_CAUSES
	CHECK z, "INT1: DR6 has no B0-B3, BD or BS"

	; 3. instruction breakpoint on bp_target
	call reset_db
	mov dword [bp_runs], 0
	mov eax, bp_target
	mov dr0, eax
	mov eax, DR7_L0                 ; R/W0 = 00 (execute), LEN0 = 00
	mov dr7, eax
	call bp_target
	cmp dword [db_count], 1
	CHECK e, "instruction breakpoint: the #DB handler ran once"
	mov eax, [db_dr6]
	and eax, DR6_CAUSES
	cmp eax, DR6_B0
	CHECK e, "instruction breakpoint: DR6.B0 set, BD and BS clear"
	cmp dword [db_eip], bp_target
	CHECK e, "instruction breakpoint: saved EIP at the instruction (a fault)"
	cmp dword [bp_runs], 1
	CHECK e, "instruction breakpoint: the instruction ran once after the handler (RF)"

	; 4. general detect
	call reset_db
	mov eax, DR7_GD
	mov dr7, eax
gd_mov:
	mov eax, dr0                    ; #DB (BD) before it runs
	cmp dword [db_count], 1
	CHECK e, "general detect: the #DB handler ran once"
	mov eax, [db_dr6]
	and eax, DR6_CAUSES
	cmp eax, DR6_BD
	CHECK e, "general detect: DR6.BD set, B0-B3 and BS clear"
	cmp dword [db_eip], gd_mov
	CHECK e, "general detect: saved EIP at the MOV from DR0 (a fault)"
	test dword [db_dr7], DR7_GD
	CHECK z, "general detect: DR7.GD cleared on entering the handler"

	; 5. alignment check at ring 3
	mov dword [ac_count], 0
	mov dword [ac_error], -1
	mov eax, cr0
	or eax, CR0_AM
	mov cr0, eax
	call ring3_call
	mov eax, cr0
	and eax, ~CR0_AM
	mov cr0, eax
	cmp dword [ac_count], 1
	CHECK e, "alignment check: the #AC handler ran once"
	cmp dword [ac_error], 0
	CHECK e, "alignment check: error code 0"
	cmp dword [ac_eip], r3_misaligned
	CHECK e, "alignment check: saved EIP at the misaligned load"
	cmp dword [ac_cs], USER_CODE_SEL
	CHECK e, "alignment check: saved CS is ring 3's"

	cmp dword [fail_count], 0
	jne .done
	PASS "all debug and alignment exceptions reached the guest's handlers"
.done:
	ret

bp_target:
	inc dword [bp_runs]
	ret

; setup: the GDT with ring-3 segments and a TSS (SS0:ESP0 for #AC).
setup:
	pushad
	mov eax, tss
	mov ecx, TSS_SIZE - 1
	mov edi, gdt3 + TSS_SEL
	call tss_descriptor
	mov dword [tss + TSS_ESP0], ring0_stack_top
	mov dword [tss + TSS_SS0], DATA_SEL
	mov word [tss + TSS_IOMAP], TSS_SIZE
	lgdt [gdtr3]
	jmp CODE_SEL:.reload_cs
.reload_cs:
	mov ax, TSS_SEL
	ltr ax
	popad
	ret

; ring3_call: run r3_code at ring 3 with EFLAGS.AC set, until its #AC.
ring3_call:
	pushad
	mov [ring0_esp], esp
	mov ax, USER_DATA_SEL
	mov ds, ax
	mov es, ax
	push dword USER_DATA_SEL
	push dword user_stack_top
	push dword EFLAGS_AC | 2
	push dword USER_CODE_SEL
	push dword r3_code
	iretd

r3_code:
	mov eax, misaligned + 1
r3_misaligned:
	mov eax, [eax]                  ; #AC: a 4-byte load at an odd address
	; never here: loop so that a missing #AC shows as a timeout, not a
	; wild jump (ring 3 cannot print)
.spin:
	jmp .spin

section .data
	align 8
gdt3:
	dq 0
	dq 0x00CF9A000000FFFF           ; 0x08: ring-0 code
	dq 0x00CF92000000FFFF           ; 0x10: ring-0 data
	dq 0x00CFFA000000FFFF           ; 0x18: ring-3 code
	dq 0x00CFF2000000FFFF           ; 0x20: ring-3 data
	dq 0                            ; 0x28: TSS
gdt3_end:
	align 4
	dw 0
gdtr3:
	dw gdt3_end - gdt3 - 1
	dd gdt3
	align 4
misaligned:     dd 0, 0

section .bss
	alignb 16
ring0_stack:    resb 4096
ring0_stack_top:
user_stack:     resb 4096
user_stack_top:
	alignb 4
tss:            resb TSS_SIZE
ring0_esp:      resd 1
db_count:       resd 1
db_dr6:         resd 1
db_dr7:         resd 1
db_eip:         resd 1
bp_runs:        resd 1
ac_count:       resd 1
ac_error:       resd 1
ac_eip:         resd 1
ac_cs:          resd 1
