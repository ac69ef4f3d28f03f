; unmapped.asm: an access to guest-physical 0xC0000000, outside the guest's
; RAM and outside any device.  With the VM option holes=stop tinyhv must
; stop the VM (EPT violation, "no device there") at that access and go on
; with the next guest; a fetch from there stops it whatever the option.
; The guest's command line picks the access: "write", "fetch" (a jump
; there), "ones" (the default holes=ones: the bus floats as on a PC, reads
; give all ones and writes go nowhere, and the guest goes on), anything
; else a read.  If a stopping access returns, the guest says FAIL and
; exits with status 1.
%define GUEST_NAME "unmapped"
%include "common.inc"

PROBE_ADDR      equ 0xC0000000

main:
	mov ebx, [boot_info]
	test dword [ebx], MB1_INFO_CMDLINE
	jz read_probe
	mov esi, [ebx + 16]
	cmp dword [esi], 'writ'
	je write_probe
	cmp dword [esi], 'fetc'
	je fetch_probe
	cmp dword [esi], 'ones'
	je open_bus
	jmp read_probe

open_bus:
	mov eax, [PROBE_ADDR]
	cmp eax, 0xffffffff
	CHECK e, "a dword read of 0xc0000000 (a hole) gives all ones"
	mov word [PROBE_ADDR], 0x1234
	mov byte [PROBE_ADDR + 7], 0x56
	movzx eax, word [PROBE_ADDR]
	cmp eax, 0xffff
	CHECK e, "writes there go nowhere: a word read gives all ones again"
	mov al, 0
	or al, [PROBE_ADDR + 0xfff]
	cmp al, 0xff
	CHECK e, "OR with a byte of the hole gives all ones"
	ret

read_probe:
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

write_probe:
	SAY "writing guest-physical 0xc0000000 at EIP "
	HEX .probe
	PUTS " (tinyhv must stop this VM)", 10
.probe:
	mov dword [PROBE_ADDR], 0x5a5a5a5a
	LINE "FAIL still running: the write of 0xc0000000 returned"
	inc dword [fail_count]
	ret

; The fetch that faults is the first instruction at the probe address.
fetch_probe:
	SAY "fetching guest-physical 0xc0000000 at EIP "
	HEX PROBE_ADDR
	PUTS " (tinyhv must stop this VM)", 10
	mov eax, PROBE_ADDR
	call eax
	LINE "FAIL still running: the jump to 0xc0000000 returned"
	inc dword [fail_count]
	ret
