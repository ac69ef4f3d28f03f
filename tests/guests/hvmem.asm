; hvmem.asm: the guest cannot see tinyhv's memory.  tinyhv's image sits at
; host-physical 2 MiB with a Multiboot2 header (magic 0xE85250D6) in its
; first 32 KiB; guest-physical 0x200000..0x210000 must be the guest's own RAM,
; without that magic, and writable.  Then a read of guest-physical
; 0xFFFFF000 (above the guest's RAM, where a PC has its firmware) must stop
; the VM; if the read returns, the guest says FAIL and exits with status 1.
%define GUEST_NAME "hvmem"
%include "common.inc"

MB2_HEADER_MAGIC equ 0xE85250D6
SCAN_START      equ 0x200000
SCAN_END        equ 0x210000
FIRMWARE_ADDR   equ 0xFFFFF000

main:
	mov esi, SCAN_START
.scan:
	cmp dword [esi], MB2_HEADER_MAGIC
	je .found
	add esi, 4
	cmp esi, SCAN_END
	jb .scan
	PASS "no Multiboot2 magic 0xe85250d6 in guest-physical 0x200000..0x210000"
	jmp .write
.found:
	SAY "Multiboot2 magic 0xe85250d6 found at guest-physical "
	HEX esi
	NL
	FAIL "no Multiboot2 magic 0xe85250d6 in guest-physical 0x200000..0x210000"

.write:
	mov dword [SCAN_START], 0x5a5aa5a5
	mov dword [SCAN_START + 4], 0xa5a55a5a
	mov eax, [SCAN_START]
	mov ebx, [SCAN_START + 4]
	SAY "guest-physical 0x200000 read back "
	HEX eax
	PUTS " "
	HEX ebx
	NL
	cmp eax, 0x5a5aa5a5
	jne .write_bad
	cmp ebx, 0xa5a55a5a
	jne .write_bad
	PASS "write and read back of guest-physical 0x200000 (own RAM)"
	jmp .firmware
.write_bad:
	FAIL "write and read back of guest-physical 0x200000 (own RAM)"

.firmware:
	SAY "reading guest-physical 0xfffff000 at EIP "
	HEX .probe
	PUTS " (tinyhv must stop this VM)", 10
.probe:
	mov eax, [FIRMWARE_ADDR]
	SAY "FAIL still running: the read of 0xfffff000 returned "
	HEX eax
	NL
	inc dword [fail_count]
	ret
