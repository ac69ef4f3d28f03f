; ipibench.asm: the round trip of an IPI between two CPUs, in TSC ticks.
; The bootstrap processor starts the second CPU (INIT and start-up IPIs
; to all but itself, a real-mode trampoline at 0x8000 that enters
; protected mode on the guest's own GDT and IDT), then N times sends it a
; fixed IPI (physical destination: its APIC ID) and waits, spinning with
; interrupts on, until the handler of the IPI the AP sends back has run.
; First through the xAPIC page (SDM Vol. 3A 11.6), then, where CPUID
; offers it, with both CPUs in x2APIC mode (the ICR and EOI as MSRs,
; 11.12), as Linux runs.  Two receivers each: one spinning with
; interrupts on, one halted (HLT, woken by the IPI).  Prints
;   ipibench: ipi N iterations, mean M cycles          (xAPIC, spinning AP)
;   ipibench: ipi-hlt N iterations, mean M cycles      (xAPIC, halted AP)
;   ipibench: x2apic-ipi ..., x2apic-ipi-hlt ...       (x2APIC)
; and checks that the handlers ran once per IPI.  N from "n=NUMBER"
; (default 1000).  Natively: GRUB `multiboot` on Bochs with 2 CPUs; under
; tinyhv: a VM with vcpus=2 (scripts/bench-exits --ipi).  With one CPU
; only it fails: the AP does not start.  (Not an integration test.)
%define GUEST_NAME "ipibench"
%include "common.inc"

DEFAULT_N       equ 1000
%include "bench.inc"

APIC            equ 0xfee00000
APIC_ID         equ APIC + 0x20
APIC_EOI        equ APIC + 0xb0
APIC_SVR        equ APIC + 0xf0
APIC_ICR_LO     equ APIC + 0x300
APIC_ICR_HI     equ APIC + 0x310
MSR_APIC_BASE   equ 0x1b
APIC_BASE_EXTD  equ 1 << 10                  ; x2APIC mode (11.12.1)
MSR_X2_EOI      equ 0x80b
MSR_X2_ICR      equ 0x830
ICR_INIT        equ (5 << 8) | (1 << 14)     ; INIT, level assert
ICR_STARTUP     equ (6 << 8)
SH_OTHERS       equ 3 << 18
PING_VECTOR     equ 0x50                     ; to the AP
PONG_VECTOR     equ 0x51                     ; back to the BSP
TRAMPOLINE      equ 0x8000                   ; start-up vector 0x08 (9.4.3)
AP_WAIT_LOOPS   equ 50000000
ANSWER_LOOPS    equ 50000000                 ; the most spins for an answer
DELAY_LOOPS     equ 10000

; ROUND_TRIP xapic|x2apic: one IPI to the AP and its answer; ECX, EAX and
; EDX are clobbered.
%macro ROUND_TRIP 1
	mov dword [pong], 0
%ifidn %1, xapic
	mov dword [APIC_ICR_LO], PING_VECTOR
%else
	mov ecx, MSR_X2_ICR
	mov eax, PING_VECTOR
	mov edx, [ap_id]
	wrmsr
%endif
	mov ecx, ANSWER_LOOPS
%%wait:
	cmp dword [pong], 0
	jne %%done
	pause
	dec ecx
	jnz %%wait
	jmp no_answer
%%done:
%endmacro

; MEASURE xapic|x2apic, "name": the two rows, the AP spinning then halted.
%macro MEASURE 2
	mov dword [ap_halts], 0
	ROUND_TRIP %1                           ; once before timing
	BENCH_START
%%spin:
	ROUND_TRIP %1
	dec esi
	jnz %%spin
	BENCH_END %2
	mov dword [ap_halts], 1
	ROUND_TRIP %1                           ; the AP halts from now on
	BENCH_START
%%hlt:
	ROUND_TRIP %1
	dec esi
	jnz %%hlt
	BENCH_END %2, "-hlt"
%endmacro

main:
	call parse_cmdline
	mov eax, 1
	cpuid
	test edx, 1 << 9
	jnz .have_apic
	FAIL "no local APIC (CPUID.1:EDX.APIC clear)"
	ret
.have_apic:
	mov eax, PING_VECTOR
	mov edx, ping_handler
	call set_gate
	mov eax, PONG_VECTOR
	mov edx, pong_handler
	call set_gate
	mov dword [APIC_SVR], 0x1ff             ; software enable
	mov eax, [APIC_ID]
	shr eax, 24
	mov [bsp_id], eax
	call start_ap
	cmp dword [ap_up], 0
	jne .up
	FAIL "the second CPU did not start (one CPU only?)"
	ret
.up:
	SAY "iterations "
	DEC dword [iterations]
	PUTS ", the second CPU's APIC ID "
	DEC dword [ap_id]
	NL
	mov eax, [ap_id]
	shl eax, 24
	mov [APIC_ICR_HI], eax                  ; every ping goes to it
	sti
	MEASURE xapic, "ipi"
	mov eax, 1
	cpuid
	test ecx, 1 << 21
	jnz .x2apic
	LINE "no x2APIC (CPUID.1:ECX.x2APIC clear)"
	jmp .count
.x2apic:
	call x2apic_both
	MEASURE x2apic, "x2apic-ipi"
	add dword [rounds], 2
.count:
	cli
	SAY "handlers run: "
	DEC dword [pings]
	NL
	mov eax, [iterations]
	add eax, 1
	imul eax, [rounds]                      ; 2N + 2 round trips a mode,
	shl eax, 1                              ; 2 handlers each
	cmp [pings], eax
	CHECK e, "the second CPU took every IPI, and answered each"
	ret

; x2apic_both: the AP into x2APIC mode (woken by one more round trip, it
; sees go_x2 in its idle loop), then this CPU; the handlers follow x2.
x2apic_both:
	mov dword [ap_halts], 0
	mov dword [go_x2], 1
	ROUND_TRIP xapic
	add dword [pings], -2                   ; (not one of the counted)
	mov ecx, AP_WAIT_LOOPS
.wait:
	cmp dword [ap_x2], 0
	jne .done
	pause
	loop .wait
	jmp no_answer
.done:
	mov ecx, MSR_APIC_BASE
	rdmsr
	or eax, APIC_BASE_EXTD
	wrmsr
	mov byte [x2], 1
	ret

no_answer:
	FAIL "no answer from the second CPU"
	jmp finish

; start_ap: the trampoline to 0x8000, then INIT, start-up, start-up to all
; but this CPU (SDM Vol. 3A 9.4.4's sequence), and wait for ap_up.
start_ap:
	mov esi, trampoline
	mov edi, TRAMPOLINE
	mov ecx, trampoline_end - trampoline
	rep movsb
	mov dword [APIC_ICR_LO], ICR_INIT | SH_OTHERS
	call delay
	mov dword [APIC_ICR_LO], ICR_STARTUP | (TRAMPOLINE >> 12) | SH_OTHERS
	call delay
	mov dword [APIC_ICR_LO], ICR_STARTUP | (TRAMPOLINE >> 12) | SH_OTHERS
	mov ecx, AP_WAIT_LOOPS
.wait:
	cmp dword [ap_up], 0
	jne .done
	pause
	loop .wait
.done:
	ret

delay:
	mov ecx, DELAY_LOOPS
.loop:
	pause
	loop .loop
	ret

; The AP's handler of a ping: a pong to the BSP (in xAPIC mode its ICR's
; destination was set at start).
ping_handler:
	inc dword [pings]
	cmp byte [x2], 0
	jne .x2
	mov dword [APIC_ICR_LO], PONG_VECTOR
	mov dword [APIC_EOI], 0
	iretd
.x2:
	pushad
	mov ecx, MSR_X2_ICR
	mov eax, PONG_VECTOR
	mov edx, [bsp_id]
	wrmsr
	call x2apic_eoi
	popad
	iretd

pong_handler:
	inc dword [pings]
	mov dword [pong], 1
	cmp byte [x2], 0
	jne .x2
	mov dword [APIC_EOI], 0
	iretd
.x2:
	pushad
	call x2apic_eoi
	popad
	iretd

x2apic_eoi:
	mov ecx, MSR_X2_EOI
	xor eax, eax
	xor edx, edx
	wrmsr
	ret

; The AP: copied to TRAMPOLINE and started there in real mode, CS =
; TRAMPOLINE >> 4, IP = 0.
bits 16
trampoline:
	cli
	o32 lgdt [cs:tr_gdtr - trampoline]
	mov eax, cr0
	or al, 1                                ; PE
	mov cr0, eax
	jmp dword CODE_SEL:ap_entry
	align 4
tr_gdtr:
	dw gdt_end - gdt - 1
	dd gdt
trampoline_end:
bits 32

ap_entry:
	mov ax, DATA_SEL
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	mov ss, ax
	mov esp, ap_stack_top
	lidt [idtr]
	mov dword [APIC_SVR], 0x1ff
	mov eax, [APIC_ID]
	shr eax, 24
	mov [ap_id], eax
	mov eax, [bsp_id]
	shl eax, 24
	mov [APIC_ICR_HI], eax                  ; every pong goes to the BSP
	mov dword [ap_up], 1
.idle:
	sti
	cmp dword [go_x2], 0
	jne .to_x2
.halt_or_spin:
	cmp dword [ap_halts], 0
	je .spin
	hlt
	jmp .idle
.spin:
	pause
	jmp .idle
.to_x2:
	cmp dword [ap_x2], 0
	jne .halt_or_spin
	mov ecx, MSR_APIC_BASE
	rdmsr
	or eax, APIC_BASE_EXTD
	wrmsr
	mov dword [ap_x2], 1
	jmp .idle

section .data
rounds:         dd 2                    ; modes measured, 2 rows each

section .bss
bsp_id:         resd 1
ap_id:          resd 1
ap_up:          resd 1
ap_halts:       resd 1
pong:           resd 1
pings:          resd 1
go_x2:          resd 1
ap_x2:          resd 1
x2:             resb 1
	alignb 16
ap_stack:       resb 4096
ap_stack_top:
