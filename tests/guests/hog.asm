; hog.asm: CPU-bound and nothing else: it counts blocks of 1024 loop
; iterations until its TSC passes the number after "ticks=" on its
; command line (default 200000000), then prints the count.  The count
; measures the CPU time it got: two hogs that share one CPU for the same
; time each get about half of what one alone gets.  With "sti=1" it counts
; with interrupts enabled (none comes: it arms nothing): Bochs takes no
; external-interrupt VM exit while the guest's IF is 0, so only then does
; another CPU's kick (the shell's pause or kill) reach it at once there.
; With "beat=N" it says "beat K" after every N blocks (the shell tests
; watch its output stop and go on).
%define GUEST_NAME "hog"
%include "common.inc"

DEFAULT_TICKS   equ 200000000

main:
	mov edi, key_sti
	call cmdline_number
	test eax, eax
	jz .counting
	sti
.counting:
	call parse_cmdline
	mov edi, key_beat
	call cmdline_number
	mov [beat], eax
	SAY "counting until TSC "
	DEC dword [ticks]
	NL
.block:
	mov ecx, 1024
.spin:
	dec ecx
	jnz .spin
	inc dword [count]
	call heartbeat
	rdtsc
	test edx, edx
	jnz .done
	cmp eax, [ticks]
	jb .block
.done:
	SAY "count "
	DEC dword [count]
	NL
	ret

; "beat K" when the count is a multiple of beat (K: how many so far).
heartbeat:
	mov ecx, [beat]
	test ecx, ecx
	jz .quiet
	mov eax, [count]
	xor edx, edx
	div ecx
	test edx, edx
	jnz .quiet
	mov [beats], eax
	SAY "beat "
	DEC dword [beats]
	NL
.quiet:
	ret

; ticks = the number after "ticks=" on the command line, else DEFAULT_TICKS.
parse_cmdline:
	push edi
	mov edi, key_ticks
	call cmdline_number
	test eax, eax
	jnz .set
	mov eax, DEFAULT_TICKS
.set:
	mov [ticks], eax
	pop edi
	ret

section .rodata
key_ticks:      db "ticks=", 0
key_sti:        db "sti=", 0
key_beat:       db "beat=", 0

section .bss
	alignb 4
ticks:          resd 1
count:          resd 1
beat:           resd 1
beats:          resd 1
