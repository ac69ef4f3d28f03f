; virtio_bad.asm: a hostile virtio driver.  It drives the entropy device
; at PCI 00:02.0 (the VM option rng=1) by hand, through configuration
; space and BAR 0 at 0xfe000000 (paging is off: physical addresses), and
; breaks the rules of VIRTIO 1.2 2.7 on purpose:
;  1. a descriptor whose NEXT names itself (a loop): the device must set
;     DEVICE_NEEDS_RESET (status bit 64) and serve nothing;
;  2. after a reset, a correct request: served (the used index moves, the
;     buffer's 16 bytes are written);
;  3. a buffer outside the VM's RAM: DEVICE_NEEDS_RESET again.
; The hypervisor prints one line each time; the VM and the others go on.
; Natively (no such device) it says SKIP.
%define GUEST_NAME "virtio_bad"
%include "common.inc"

PCI_ADDR     equ 0xcf8
PCI_DATA     equ 0xcfc
DEV_ADDR     equ 0x80000000 | (2 << 11)   ; bus 0, slot 2, function 0
BAR0         equ 0xfe000000
BAR1         equ 0xfe004000
CCFG       equ BAR0                     ; the common configuration (4.1.4.3)
NOTIFY       equ BAR0 + 0x3000
DESC         equ 0x300000                 ; the rings, in RAM above the guest
AVAIL        equ 0x301000
USED         equ 0x302000
BUF          equ 0x303000

ST_ACK       equ 1
ST_DRIVER    equ 2
ST_DRIVER_OK equ 4
ST_FEAT_OK   equ 8
ST_NEEDS_RESET equ 64

; pci_write reg, value (32 bits)
%macro PCI_WRITE 2
	mov dx, PCI_ADDR
	mov eax, DEV_ADDR | %1
	out dx, eax
	mov dx, PCI_DATA
	mov eax, %2
	out dx, eax
%endmacro

main:
	mov dx, PCI_ADDR
	mov eax, DEV_ADDR
	out dx, eax
	mov dx, PCI_DATA
	in eax, dx
	cmp eax, 0x10441af4
	je .found
	LINE "SKIP no virtio entropy device at 00:02.0 (rng=1 gives one)"
	ret
.found:
	PASS "found the virtio entropy device 1af4:1044 at 00:02.0"
	PCI_WRITE 0x10, BAR0
	PCI_WRITE 0x14, BAR1
	PCI_WRITE 0x04, 6                       ; memory decoding, bus master

	; 1. A descriptor chain that loops.
	call setup_queue
	mov dword [DESC], BUF                  ; desc 0: BUF, 16 bytes, WRITE|NEXT, next 0
	mov dword [DESC + 4], 0
	mov dword [DESC + 8], 16
	mov word [DESC + 12], 3
	mov word [DESC + 14], 0
	call offer
	mov al, [CCFG + 0x14]
	test al, ST_NEEDS_RESET
	CHECK nz, "a looping chain: the device needs a reset"
	cmp word [USED + 2], 0
	CHECK e, "a looping chain: nothing served"

	; 2. Reset, then a correct request.
	mov byte [CCFG + 0x14], 0
	cmp byte [CCFG + 0x14], 0
	CHECK e, "a reset clears the status"
	call setup_queue
	mov dword [DESC], BUF
	mov dword [DESC + 4], 0
	mov dword [DESC + 8], 16
	mov word [DESC + 12], 2                 ; WRITE
	mov word [DESC + 14], 0
	call offer
	mov al, [CCFG + 0x14]
	test al, ST_NEEDS_RESET
	CHECK z, "after the reset a correct request is accepted"
	cmp word [USED + 2], 1
	CHECK e, "after the reset the request is served (used index 1)"
	cmp dword [USED + 8], 16
	CHECK e, "16 random bytes written"

	; 3. A buffer outside RAM.
	mov byte [CCFG + 0x14], 0
	call setup_queue
	mov dword [DESC], 0xfff00000
	mov dword [DESC + 4], 0
	mov dword [DESC + 8], 16
	mov word [DESC + 12], 2
	mov word [DESC + 14], 0
	call offer
	mov al, [CCFG + 0x14]
	test al, ST_NEEDS_RESET
	CHECK nz, "a buffer outside RAM: the device needs a reset"
	ret

; The driver's steps (3.1.1) for queue 0 of 8 entries at DESC/AVAIL/USED,
; the rings cleared; VERSION_1 the only feature.
setup_queue:
	mov edi, DESC
	mov ecx, 0x3000 / 4
	xor eax, eax
	rep stosd
	mov byte [CCFG + 0x14], ST_ACK | ST_DRIVER
	mov dword [CCFG + 0x08], 1            ; driver_feature_select
	mov dword [CCFG + 0x0c], 1            ; VIRTIO_F_VERSION_1 (bit 32)
	mov dword [CCFG + 0x08], 0
	mov dword [CCFG + 0x0c], 0
	mov byte [CCFG + 0x14], ST_ACK | ST_DRIVER | ST_FEAT_OK
	mov word [CCFG + 0x16], 0             ; queue_select
	mov word [CCFG + 0x18], 8             ; queue_size
	mov dword [CCFG + 0x20], DESC
	mov dword [CCFG + 0x24], 0
	mov dword [CCFG + 0x28], AVAIL
	mov dword [CCFG + 0x2c], 0
	mov dword [CCFG + 0x30], USED
	mov dword [CCFG + 0x34], 0
	mov word [CCFG + 0x1c], 1             ; queue_enable
	mov byte [CCFG + 0x14], ST_ACK | ST_DRIVER | ST_FEAT_OK | ST_DRIVER_OK
	ret

; Descriptor 0 on the available ring, and the notify.
offer:
	mov word [AVAIL + 4], 0
	mov word [AVAIL + 2], 1
	mov word [NOTIFY], 0
	ret
