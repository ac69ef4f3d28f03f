; cr.asm: control registers as a tinyhv guest sees them: CR0/CR4 at entry
; (PE set, PG clear, VMXE clear), bits written and read back (the values the
; guest wrote, whatever tinyhv keeps in the real registers), CR4.VMXE and a
; reserved CR4 bit refused with #GP(0), CR3 round trip, and paging turned on
; (4 MiB pages, CR4.PSE) and off again, with a #PF and its CR2.
%define GUEST_NAME "cr"
%include "common.inc"

CR0_PE          equ 1 << 0
CR0_MP          equ 1 << 1
CR0_TS          equ 1 << 3
CR0_ET          equ 1 << 4
CR0_NE          equ 1 << 5
CR0_WP          equ 1 << 16
CR0_PG          equ 1 << 31
CR4_PSE         equ 1 << 4
CR4_PGE         equ 1 << 7
CR4_OSFXSR      equ 1 << 9
CR4_VMXE        equ 1 << 13

PDE_4M          equ 0x83                ; present, writable, 4 MiB page
ALIAS_BASE      equ 0x40000000          ; PDE 256: an alias of [0, 4 MiB)
UNMAPPED_LINEAR equ 0x40400000          ; PDE 257: not present
CR3_PROBE       equ 0x00123018          ; page-aligned, with PWT and PCD

; CR_BIT n, mask, "name": set the bit in CRn and read back, clear it and
; read back, restore; the value read must be the one written (CR0.ET
; aside, which is hardwired).
%macro CR_BIT 3
	mov eax, cr%1
	mov [cr_saved], eax
	or eax, %2
	mov [cr_wrote_set], eax
	mov cr%1, eax
	mov ebx, cr%1
	and eax, ~(%2)
	mov [cr_wrote_clear], eax
	mov cr%1, eax
	mov ecx, cr%1
	mov eax, [cr_saved]
	mov cr%1, eax
	SAY %3, ": wrote "
	HEX dword [cr_wrote_set]
	PUTS " read "
	HEX ebx
	PUTS ", wrote "
	HEX dword [cr_wrote_clear]
	PUTS " read "
	HEX ecx
	NL
	xor ebx, [cr_wrote_set]
	xor ecx, [cr_wrote_clear]
	or ebx, ecx
%if %1 == 0
	and ebx, ~CR0_ET
%endif
	test ebx, ebx
	CHECK z, %3, " set and cleared, read back as written each time"
%endmacro

main:
	mov eax, cr0
	mov [cr0_entry], eax
	SAY "CR0 at entry "
	HEX eax
	NL
	test dword [cr0_entry], CR0_PE
	CHECK nz, "CR0.PE is set at entry"
	test dword [cr0_entry], CR0_PG
	CHECK z, "CR0.PG is clear at entry"
	mov eax, cr4
	mov [cr4_entry], eax
	SAY "CR4 at entry "
	HEX eax
	NL
	test dword [cr4_entry], CR4_VMXE
	CHECK z, "CR4.VMXE reads as clear"

	CR_BIT 0, CR0_NE, "CR0.NE"
	CR_BIT 0, CR0_WP, "CR0.WP"
	CR_BIT 0, CR0_MP, "CR0.MP"
	CR_BIT 0, CR0_TS, "CR0.TS"
	CR_BIT 4, CR4_PSE, "CR4.PSE"
	CR_BIT 4, CR4_PGE, "CR4.PGE"
	CR_BIT 4, CR4_OSFXSR, "CR4.OSFXSR"

	; PSE and PGE together, left set.
	mov eax, cr4
	or eax, CR4_PSE | CR4_PGE
	mov cr4, eax
	mov ebx, cr4
	cmp ebx, eax
	CHECK e, "CR4.PSE|PGE set together, CR4 read back as written"

	; CR4.VMXE: this CPU has no VMX (CPUID), so #GP(0).
	mov eax, cr4
	or eax, CR4_VMXE
	TRY 13, mov cr4, eax
	CHECK_FAULT 13, 0, "setting CR4.VMXE raised #GP(0)"
	mov eax, cr4
	test eax, CR4_VMXE
	jz .vmxe_clear
	and eax, ~CR4_VMXE              ; (natively it did get set)
	mov cr4, eax
	FAIL "CR4.VMXE still reads as clear"
	jmp .reserved
.vmxe_clear:
	PASS "CR4.VMXE still reads as clear"

.reserved:
	mov eax, cr4
	mov ebx, eax
	or eax, 1 << 31
	TRY 13, mov cr4, eax
	CHECK_FAULT 13, 0, "setting reserved CR4 bit 31 raised #GP(0)"
	mov cr4, ebx

	; CR3, paging off: any page-aligned value with PWT/PCD round-trips.
	mov eax, CR3_PROBE
	mov cr3, eax
	mov ebx, cr3
	SAY "CR3: wrote "
	HEX eax
	PUTS " read "
	HEX ebx
	NL
	cmp ebx, CR3_PROBE
	CHECK e, "CR3 round trip (paging off)"

	call check_paging
	ret

; check_paging: a page directory of 4 MiB pages mapping [0, 1 GiB) onto
; itself and ALIAS_BASE onto [0, 4 MiB); paging on, a value read and written
; through the alias, a #PF on an unmapped page, paging off.
check_paging:
	mov edi, page_dir
	mov eax, PDE_4M
	mov ecx, 256
.pde:
	mov [edi], eax
	add eax, 0x400000
	add edi, 4
	dec ecx
	jnz .pde
	mov dword [page_dir + (ALIAS_BASE >> 22) * 4], PDE_4M
	mov eax, page_dir
	mov cr3, eax
	mov eax, cr4
	or eax, CR4_PSE
	mov cr4, eax
	mov dword [probe], 0x600df00d

	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	jmp .paged
.paged:
	mov eax, cr0
	mov [cr0_paged], eax
	mov eax, cr3
	mov [cr3_paged], eax
	mov eax, [probe + ALIAS_BASE]
	mov [alias_read], eax
	mov dword [probe + ALIAS_BASE], 0x12345678
	mov eax, [probe]
	mov [direct_read], eax
	TRY 14, mov eax, [UNMAPPED_LINEAR]
	mov eax, cr2
	mov [cr2_seen], eax

	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	jmp .unpaged
.unpaged:
	mov eax, cr0
	mov [cr0_unpaged], eax

	SAY "paging on: CR0 "
	HEX dword [cr0_paged]
	PUTS ", CR3 "
	HEX dword [cr3_paged]
	PUTS ", alias read "
	HEX dword [alias_read]
	PUTS ", direct read after alias write "
	HEX dword [direct_read]
	NL
	test dword [cr0_paged], CR0_PG
	CHECK nz, "CR0.PG reads as set after enabling paging"
	mov eax, page_dir
	cmp [cr3_paged], eax
	CHECK e, "CR3 holds the page directory while paging is on"
	cmp dword [alias_read], 0x600df00d
	jne .alias_bad
	cmp dword [direct_read], 0x12345678
	jne .alias_bad
	PASS "paging on with 4 MiB pages: memory read and written through the alias at 0x40000000"
	jmp .pf
.alias_bad:
	FAIL "paging on with 4 MiB pages: memory read and written through the alias at 0x40000000"
.pf:
	SAY "CR2 after the #PF: "
	HEX dword [cr2_seen]
	NL
	CHECK_FAULT 14, 0, "read of unmapped linear 0x40400000 raised #PF with error code 0"
	cmp dword [cr2_seen], UNMAPPED_LINEAR
	CHECK e, "CR2 holds the faulting linear address 0x40400000"
	test dword [cr0_unpaged], CR0_PG
	CHECK z, "CR0.PG reads as clear after disabling paging"
	ret

section .bss
cr0_entry:      resd 1
cr4_entry:      resd 1
cr_saved:       resd 1
cr_wrote_set:   resd 1
cr_wrote_clear: resd 1
cr0_paged:      resd 1
cr3_paged:      resd 1
cr0_unpaged:    resd 1
cr2_seen:       resd 1
alias_read:     resd 1
direct_read:    resd 1
	alignb 4096
page_dir:       resd 1024

section .data
probe:          dd 0
