; spin.asm: an attacker that keeps the CPU without a single VM exit:
; interrupts off, a jump to itself.  Only the VM's CPU-time limit
; (cpu_limit=) takes the CPU back; the hypervisor stops the VM and goes on
; to the next guest.  Natively it spins for ever: run it under tinyhv.
%define GUEST_NAME "spin"
%include "common.inc"

main:
	LINE "cli; jmp $: only a CPU-time limit stops this"
	cli
.forever:
	jmp .forever
