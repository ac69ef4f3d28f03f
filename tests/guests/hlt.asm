; hlt.asm: the one-shot timer hypercall HC_TIMER and HLT.
;  1. HC_TIMER(0x40, 1000000 ticks), STI, HLT: the interrupt wakes the guest,
;     its handler runs once, and no sooner than the delay.
;  2. HC_TIMER(0x40, 10000 ticks) with IF = 0, spinning well past the delay:
;     nothing is delivered until STI, then the interrupt comes, once.
;  3. HC_TIMER with vector 0x10 (below 32) is refused.
; Natively (no tinyhv) only the IDT gate is checked, with a software int.
%define GUEST_NAME "hlt"
%include "common.inc"

TIMER_VECTOR    equ 0x40
DELAY           equ 1000000             ; TSC ticks, for HLT
DELAY_TOLERANCE equ DELAY / 16          ; timer granularity allowed early
MASKED_DELAY    equ 10000
MASKED_SPIN     equ 20 * MASKED_DELAY

timer_isr:
	inc dword [irq_count]
	mov dword [irq_vector], TIMER_VECTOR
	iretd

main:
	mov eax, TIMER_VECTOR
	mov edx, timer_isr
	call set_gate
	cmp byte [hv_present], 0
	jne .hv
	int TIMER_VECTOR
	cmp dword [irq_count], 1
	CHECK e, "software int 0x40 reached the handler (native)"
	LINE "SKIP HC_TIMER checks (native: no TinyHV)"
	ret
.hv:
	call hlt_wakeup
	call masked_delivery
	call bad_vector
	ret

; 1. STI; HLT, woken by the timer.
hlt_wakeup:
	mov dword [irq_count], 0
	rdtsc
	mov [t0], eax
	mov [t0 + 4], edx
	mov ebx, TIMER_VECTOR
	mov ecx, DELAY
	xor edx, edx
	HCALL HC_TIMER
	mov [timer_rc], eax
	sti
	hlt
	cli
	rdtsc
	sub eax, [t0]
	sbb edx, [t0 + 4]
	mov [elapsed], eax
	mov [elapsed + 4], edx

	SAY "HC_TIMER(0x40, 1000000 ticks) returned "
	SDEC dword [timer_rc]
	NL
	cmp dword [timer_rc], 0
	CHECK e, "HC_TIMER(0x40, 1000000 ticks) returned 0"
	SAY "HLT returned after "
	push eax
	push edx
	mov eax, [elapsed]
	mov edx, [elapsed + 4]
	call print_dec64
	pop edx
	pop eax
	PUTS " TSC ticks, interrupt count "
	DEC dword [irq_count]
	NL
	cmp dword [irq_count], 1
	jne .not_woken
	SAY "woken by interrupt "
	HEX2 dword [irq_vector]
	NL
.not_woken:
	cmp dword [irq_count], 1
	CHECK e, "counter is 1 after HLT returned"
	cmp dword [elapsed + 4], 0
	jne .late_enough
	cmp dword [elapsed], DELAY - DELAY_TOLERANCE
	jae .late_enough
	FAIL "the interrupt came after the delay (>= 937500 ticks)"
	ret
.late_enough:
	PASS "the interrupt came after the delay (>= 937500 ticks)"
	ret

; 2. The timer expires while IF = 0: held until STI.
masked_delivery:
	mov dword [irq_count], 0
	mov ebx, TIMER_VECTOR
	mov ecx, MASKED_DELAY
	xor edx, edx
	HCALL HC_TIMER
	mov [timer_rc], eax
	rdtsc
	mov [t0], eax
	mov [t0 + 4], edx
.spin:
	rdtsc
	sub eax, [t0]
	sbb edx, [t0 + 4]
	jnz .spun
	cmp eax, MASKED_SPIN
	jb .spin
.spun:
	mov eax, [irq_count]
	mov [count_masked], eax
	sti
	mov ecx, 100000                 ; a window for the delivery
.wait:
	cmp dword [irq_count], 0
	jne .got
	pause
	dec ecx
	jnz .wait
.got:
	cli
	cmp dword [timer_rc], 0
	CHECK e, "HC_TIMER(0x40, 10000 ticks) returned 0"
	SAY "interrupts with IF = 0 for 200000 ticks: "
	DEC dword [count_masked]
	PUTS ", after STI: "
	DEC dword [irq_count]
	NL
	cmp dword [count_masked], 0
	CHECK e, "no interrupt delivered while IF = 0"
	cmp dword [irq_count], 1
	CHECK e, "the pending interrupt was delivered once after STI"
	ret

; 3. Vectors below 32 are refused.
bad_vector:
	mov ebx, 0x10
	mov ecx, 1000
	xor edx, edx
	HCALL HC_TIMER
	SAY "HC_TIMER(0x10, 1000 ticks) returned "
	SDEC eax
	NL
	test eax, eax
	CHECK s, "HC_TIMER with vector 0x10 (below 32) returned an error"
	ret

section .bss
	alignb 8
t0:             resd 2
elapsed:        resd 2
irq_count:      resd 1
irq_vector:     resd 1
timer_rc:       resd 1
count_masked:   resd 1
