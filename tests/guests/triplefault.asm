; triplefault.asm: an IDT with limit 0 and int3: #GP, #DF, then a triple
; fault, which ends the VM; tinyhv goes on with the next guest.
%define GUEST_NAME "triplefault"
%include "common.inc"

main:
	LINE "loading an IDT with limit 0 and executing int3: expect a triple fault"
	lidt [null_idtr]
	int3
	FAIL "still running after the triple fault"
	ret
