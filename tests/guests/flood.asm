; flood.asm: an attacker that prints lines without end, to drown the
; console.  The hypervisor shows a VM's lines up to its console_rate and
; counts the rest; the CPU-time limit (cpu_limit=) ends the VM.
%define GUEST_NAME "flood"
%include "common.inc"

main:
	LINE "printing for ever"
.forever:
	LINE "a line of the flood"
	jmp .forever
