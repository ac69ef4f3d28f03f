; unmapped.asm: a read of guest-physical 0xC0000000, outside the guest's RAM
; and outside any device: tinyhv must stop the VM (EPT violation, "no device
; there") and go on with the next guest.  If the read returns, the guest
; says FAIL and exits with status 1.
%define GUEST_NAME "unmapped"
%include "common.inc"

PROBE_ADDR      equ 0xC0000000

main:
	SAY "reading guest-physical 0xc0000000 at EIP "
	HEX .probe
	PUTS " (tinyhv must stop this VM)", 10
.probe:
	mov eax, [PROBE_ADDR]
	SAY "FAIL still running: the read of 0xc0000000 returned "
	HEX eax
	NL
	inc dword [fail_count]
	ret
