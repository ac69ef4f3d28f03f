; io_probe.asm: an attacker that reads every I/O port, 0..0xffff, in each
; size (IN AL, AX, EAX: 196608 port exits), and writes what it read back
; with OUT of the same size to every port it found unclaimed.
;  - A Multiboot VM has two devices: the UART at 0x3f8-0x3ff and QEMU's
;    debug-exit port at 0xf4-0xf7 (write-only: it reads as all ones, and a
;    write ends the VM).  Every other access reads all ones (an empty ISA
;    bus), the 8- and 16-bit ones keeping the rest of EAX.
;  - The OUTs skip any access that touches 0xf4-0xf7 (it would end the VM)
;    or the UART (it would change its state), and any that read other than
;    all ones; the VM must go on after all of them.
; The accesses that read other than all ones are listed (only the UART's
; registers may), and a summary counts them.
%define GUEST_NAME "io_probe"
%include "common.inc"

SENTINEL        equ 0x12345678
UART_BASE       equ 0x3f8
UART_END        equ 0x400
DEBUG_EXIT_END  equ 0xf8
MAX_LISTED      equ 32

main:
	mov ebx, 1
	call probe_size
	mov ebx, 2
	call probe_size
	mov ebx, 4
	call probe_size

	SAY "summary: "
	DEC dword [ins]
	PUTS " INs, "
	DEC dword [not_ones]
	PUTS " read other than all ones, "
	DEC dword [outside_uart]
	PUTS " of them outside the UART; "
	DEC dword [outs]
	PUTS " OUTs of the value read to unclaimed ports", 10

	cmp dword [ins], 3 * 65536
	CHECK e, "IN of every port 0..0xffff in sizes 1, 2 and 4 (196608 INs)"
	cmp dword [outside_uart], 0
	CHECK e, "every IN outside the UART (0x3f8-0x3ff) read all ones"
	cmp dword [rest_changed], 0
	CHECK e, "every 8- and 16-bit IN kept the rest of EAX"
	cmp dword [outs], 3 * 65536 - 44   ; per size s, 2s + 10 ranges touch them
	CHECK e, "OUT of the value read to every unclaimed port but those touching 0xf4-0xf7 and 0x3f8-0x3ff (196564 OUTs)"
	; Still running, and the UART still answers.
	mov dx, UART_LSR
	in al, dx
	test al, LSR_THRE
	CHECK nz, "the VM runs on after all of them, its UART's LSR says THR empty"
	ret

; probe_size: EBX = size.  Every port, IN of that size; then OUT of the
; value read where the port is unclaimed.
probe_size:
	pushad
	xor esi, esi                    ; the port
.next:
	mov edx, esi
	mov eax, SENTINEL
	cmp ebx, 1
	jne .not1
	in al, dx
	mov ecx, 0x123456ff
	jmp .read
.not1:
	cmp ebx, 2
	jne .not2
	in ax, dx
	mov ecx, 0x1234ffff
	jmp .read
.not2:
	in eax, dx
	mov ecx, 0xffffffff
.read:
	inc dword [ins]
	mov edi, eax                    ; the value read
	cmp eax, ecx
	je .all_ones
	call note_other
	jmp .step
.all_ones:
	; Not for a port range that touches the debug-exit port or the UART.
	lea eax, [esi + ebx]            ; the end of the access
	cmp esi, DEBUG_EXIT_END
	jae .not_debug_exit
	cmp eax, DEBUG_EXIT_PORT
	ja .step
.not_debug_exit:
	cmp esi, UART_END
	jae .not_uart
	cmp eax, UART_BASE
	ja .step
.not_uart:
	mov eax, edi
	cmp ebx, 1
	jne .out_not1
	out dx, al
	jmp .wrote
.out_not1:
	cmp ebx, 2
	jne .out_not2
	out dx, ax
	jmp .wrote
.out_not2:
	out dx, eax
.wrote:
	inc dword [outs]
.step:
	inc esi
	cmp esi, 0x10000
	jne .next
	SAY "size "
	DEC ebx
	PUTS ": all 65536 ports read", 10
	popad
	ret

; note_other: an IN (EBX = size, ESI = port, EDI = value) that did not read
; all ones: counted, listed, and checked to be within the UART and to keep
; the rest of EAX.
note_other:
	inc dword [not_ones]
	cmp ebx, 4
	je .rest_ok
	mov eax, edi
	xor eax, SENTINEL
	cmp ebx, 1
	jne .rest2
	and eax, 0xffffff00
	jmp .rest_check
.rest2:
	and eax, 0xffff0000
.rest_check:
	jz .rest_ok
	inc dword [rest_changed]
.rest_ok:
	cmp esi, UART_BASE
	jb .outside
	lea eax, [esi + ebx]
	cmp eax, UART_END
	jbe .listed
.outside:
	inc dword [outside_uart]
.listed:
	cmp dword [not_ones], MAX_LISTED
	ja .done
	SAY "IN size "
	DEC ebx
	PUTS " port "
	HEX esi
	PUTS " read "
	HEX edi
	NL
.done:
	ret

section .bss
ins:            resd 1
outs:           resd 1
not_ones:       resd 1
outside_uart:   resd 1
rest_changed:   resd 1
