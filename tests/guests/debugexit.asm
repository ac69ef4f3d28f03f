; debugexit.asm: the debug-exit port (QEMU isa-debug-exit compatible):
; `out 0xf4, eax` with EAX = 0x10 ends the VM with status (0x10 << 1) | 1 =
; 0x21.  If the write returns, the guest says FAIL and exits with status 1.
%define GUEST_NAME "debugexit"
%include "common.inc"

main:
	LINE "writing 0x10 to port 0xf4: expect status 0x21"
	mov eax, 0x10
	out DEBUG_EXIT_PORT, eax
	FAIL "still running after the write to the debug-exit port"
	ret
