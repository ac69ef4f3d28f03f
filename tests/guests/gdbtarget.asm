; gdbtarget.asm: a guest for gdb to debug (tests/integration/bochs_gdb_*).
; It says "waiting" and spins until the debugger sets released to 1
; (with interrupts enabled: a kick reaches it at once on Bochs too, see
; hog.asm), then calls tick ROUNDS times (each adds 1 to counter) and
; report with EAX = counter, which says "result N" and returns: the
; debugger can stop at tick and report (symbols of this ELF), read and
; write counter and released, watch counter, step, and change EAX on
; the way into report.
%define GUEST_NAME "gdbtarget"
%include "common.inc"

ROUNDS          equ 5

main:
	sti
	SAY "waiting"
	NL
.wait:
	pause
	cmp dword [released], 0
	je .wait
	SAY "released"
	NL
	mov ecx, ROUNDS
.round:
	call tick
	loop .round
	mov eax, [counter]
	call report
	ret

tick:
	inc dword [counter]
	ret

; report: "result EAX".
report:
	mov [value], eax
	SAY "result "
	DEC dword [value]
	NL
	ret

section .data
	align 4
released:       dd 0
counter:        dd 0
value:          dd 0
