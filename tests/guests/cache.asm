; cache.asm: WBINVD and INVD, privileged cache instructions that exit to
; tinyhv (INVD always, WBINVD with "WBINVD exiting"), which does both as
; WBINVD: INVD would throw away the hypervisor's dirty lines too.  The
; guest goes on, and what it wrote before each still reads back.
%define GUEST_NAME "cache"
%include "common.inc"

PATTERN_1       equ 0x5a5aa5a5
PATTERN_2       equ 0x12345678

main:
	mov dword [probe], PATTERN_1
	wbinvd
	cmp dword [probe], PATTERN_1
	CHECK e, "WBINVD returned; memory written before it reads back"
	mov dword [probe], PATTERN_2
	invd
	cmp dword [probe], PATTERN_2
	CHECK e, "INVD returned; memory written before it reads back"
	ret

section .data
probe:          dd 0
