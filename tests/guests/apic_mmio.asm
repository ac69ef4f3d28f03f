; apic_mmio.asm: an attacker on its local APIC page (the PC platform's
; xAPIC at 0xfee00000).  The SDM (Vol. 3A 11.4.1) asks for aligned 32-bit
; accesses only; tinyhv reads a byte or word within a register's dword as
; that part of it, any other access as 0, and ignores every write but an
; aligned dword.  This guest tries them all and checks that each does what
; docs/SECURITY.md says, and that the registers are unharmed:
;   byte and word reads and writes, a dword at every misaligned offset
;   of a register, a read-only register written, a reserved register
;   (an illegal-register error in the ESR, 11.5.3), read-modify-write
;   (OR, XCHG, ADD), REP STOSD onto the page, and the page's last dword.
; Then, by "end=N" on its command line, an access that no device can
; take, which stops the VM with its reason (1 and 2 with the VM option
; holes=stop; by default the bus floats there, end=5):
;   end=1  a dword read across the page's end, 0xfee00ffe: "MMIO access
;          at guest-physical 0xfee00ffe ... goes beyond its device"
;   end=2  a dword read from just below the page into it, 0xfedffffe:
;          "no device there"
;   end=3  a 16-byte SSE load (MOVDQU xmm0) of the ID register: "cannot
;          be emulated"
;   end=4  MOVSD from the ID register to the TPR, from one device to
;          another: "MOVS between two devices is not emulated"
;   end=5  (holes=ones, the default) those two reads and one of 0xfed00400
;          (just past the HPET's registers: no device there) give all ones,
;          and the VM goes on
; Without end= it ends normally.
%define GUEST_NAME "apic_mmio"
%include "common.inc"

APIC            equ 0xfee00000
APIC_ID         equ APIC + 0x20
APIC_VERSION    equ APIC + 0x30
APIC_RESERVED   equ APIC + 0x40     ; no register there (11.4.1 table 11-1)
APIC_TPR        equ APIC + 0x80
APIC_ESR        equ APIC + 0x280
APIC_LVT_TIMER  equ APIC + 0x320
APIC_INIT_COUNT equ APIC + 0x380
APIC_LAST       equ APIC + 0xffc
ESR_ILLEGAL_REG equ 1 << 7
CR4_OSFXSR      equ 1 << 9

main:
	mov edi, key_end
	call cmdline_number
	mov [end_mode], eax
	mov eax, [APIC_VERSION]
	mov [version], eax
	SAY "APIC version "
	HEX eax
	NL

	; Byte and word reads within a register's dword read that part: the
	; ID register (APIC ID 0) reads 0, the version's byte 2 its highest
	; LVT entry.
	mov eax, 0xa5a5a5a5
	mov al, [APIC_ID + 3]
	cmp eax, 0xa5a5a500
	CHECK e, "a byte read of the ID register reads 0 (and keeps the rest of EAX)"
	mov eax, 0xa5a5a5a5
	mov ax, [APIC_ID + 2]
	cmp eax, 0xa5a50000
	CHECK e, "a word read of the ID register reads 0"
	movzx eax, byte [APIC_VERSION + 2]
	mov edx, [version]
	shr edx, 16
	movzx edx, dl
	cmp eax, edx
	CHECK e, "a byte read of the version register's byte 2 reads its byte 2"
	mov ecx, 1
.misaligned:
	mov eax, [APIC_ID + ecx]
	test eax, eax
	jnz .misaligned_bad
	inc ecx
	cmp ecx, 16
	jb .misaligned
.misaligned_bad:
	cmp ecx, 16
	CHECK e, "dword reads at offsets 0x21..0x2f (misaligned) read 0"

	; Writes that are not aligned dwords change nothing.
	mov byte [APIC_TPR], 0x50
	mov word [APIC_TPR], 0x60
	mov dword [APIC_TPR + 1], 0x70
	mov dword [APIC_TPR + 4], 0x70
	cmp dword [APIC_TPR], 0
	CHECK e, "byte, word and misaligned dword writes to the TPR are ignored"
	mov dword [APIC_VERSION], 0
	mov eax, [APIC_VERSION]
	cmp eax, [version]
	CHECK e, "a write to the read-only version register is ignored"

	; A reserved register: reads 0, and the ESR reports it (11.5.3).
	mov dword [APIC_ESR], 0
	mov eax, [APIC_RESERVED]
	mov dword [APIC_RESERVED], 0x12345678
	mov dword [APIC_ESR], 0            ; latch the errors into the ESR
	mov ecx, [APIC_ESR]
	test eax, eax
	CHECK z, "a reserved register reads 0"
	test ecx, ESR_ILLEGAL_REG
	CHECK nz, "the ESR reports the illegal register access"

	; Read-modify-write instructions on the TPR.
	or dword [APIC_TPR], 0x10
	add dword [APIC_TPR], 0x20
	cmp dword [APIC_TPR], 0x30
	CHECK e, "OR and ADD on the TPR: 0x30"
	mov eax, 0x40
	xchg [APIC_TPR], eax
	cmp eax, 0x30
	CHECK e, "XCHG with the TPR returns the old value 0x30"
	cmp dword [APIC_TPR], 0x40
	CHECK e, "XCHG wrote the new value 0x40"
	mov dword [APIC_TPR], 0

	; REP STOSD onto the page: one exit per element, aligned or not.
	cld
	mov dword [APIC_LVT_TIMER], 0x10000 | 0x40    ; masked: no interrupt
	mov eax, 123456
	mov edi, APIC_INIT_COUNT
	mov ecx, 4
	rep stosd                       ; 0x380, then 0x384..0x38c: ignored
	cmp ecx, 0
	CHECK e, "REP STOSD onto the page ran its 4 dwords"
	cmp dword [APIC_INIT_COUNT], 123456
	CHECK e, "the timer's initial count took the aligned dword"
	mov dword [APIC_INIT_COUNT], 0
	mov eax, [APIC_LAST]
	mov dword [APIC_LAST], 0xffffffff
	LINE "the page's last dword read and written"
	mov eax, [APIC_ID]
	test eax, eax
	CHECK z, "the APIC ID is still 0 after all of it"

	mov eax, [end_mode]
	cmp eax, 1
	je .straddle
	cmp eax, 2
	je .below
	cmp eax, 3
	je .wide
	cmp eax, 4
	je .movs
	cmp eax, 5
	je .open_bus
	ret
.open_bus:
	mov eax, [APIC + 0xffe]
	cmp eax, 0xffffffff
	CHECK e, "a dword read across the page's end gives all ones (holes=ones)"
	mov eax, [APIC - 2]
	cmp eax, 0xffffffff
	CHECK e, "a dword read into the page from below gives all ones"
	mov eax, [0xfed00400]
	cmp eax, 0xffffffff
	CHECK e, "0xfed00400, a hole (past the HPET), reads all ones"
	ret
.straddle:
	LINE "a dword read at 0xfee00ffe, across the page's end (tinyhv must stop this VM)"
	mov eax, [APIC + 0xffe]
	jmp .survived
.below:
	LINE "a dword read at 0xfedffffe, into the page from below (tinyhv must stop this VM)"
	mov eax, [APIC - 2]
	jmp .survived
.wide:
	mov eax, cr4
	or eax, CR4_OSFXSR
	mov cr4, eax
	LINE "a 16-byte MOVDQU from the ID register (tinyhv must stop this VM)"
	movdqu xmm0, [APIC_ID]
	jmp .survived
.movs:
	LINE "MOVSD from the ID register to the TPR, device to device (tinyhv must stop this VM)"
	mov esi, APIC_ID
	mov edi, APIC_TPR
	movsd
.survived:
	FAIL "the VM ran on after it"
	ret

section .rodata
key_end:        db "end=", 0

section .bss
end_mode:       resd 1
version:        resd 1
