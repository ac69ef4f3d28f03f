; vecstate: do a Linux process's vector registers survive task switches?
; For the default Linux guest's initramfs (scripts/mkinitramfs-guest puts
; it at /bin/vecstate).  The process forks; each of the two fills the
; vector registers with a pattern of its own (YMM0-15 with AVX, else
; XMM0-15; ZMM16-31 and k1-k7 with AVX-512 enabled in XCR0), then yields
; the CPU ROUNDS times and checks them after each yield.  With two
; processes taking turns the kernel saves each one's registers (XSAVE,
; XSAVEOPT or XSAVEC, whichever CPUID offers) and restores them (XRSTOR):
; a CPU whose save and restore disagree on where a component lies (Bochs
; 2.7's XSAVEC), or a hypervisor that loses guest state, shows here.
; Prints one line, "vecstate: kept ... over N task switches in 2
; processes", and exits 0; or names the first register that changed and
; exits 1.  x86-64 Linux system calls only, no libc.
bits 64
default rel

SYS_WRITE       equ 1
SYS_SCHED_YIELD equ 24
SYS_FORK        equ 57
SYS_EXIT        equ 60
SYS_WAIT4       equ 61
ROUNDS          equ 200

section .bss
alignb 64
pat_y:  resb 16 * 32            ; YMM0-15 (or XMM0-15: the first 16 bytes of each)
pat_z:  resb 16 * 64            ; ZMM16-31
pat_k:  resw 8                  ; k0-k7 (k0 is not written)
tmp:    resb 64
status: resd 1
avx:    resb 1
avx512: resb 1

section .rodata
msg_ok:     db "vecstate: kept "
msg_ok_len  equ $ - msg_ok
regs_sse:   db "xmm0-15"
regs_sse_len equ $ - regs_sse
regs_avx:   db "ymm0-15"
regs_avx_len equ $ - regs_avx
regs_512:   db ", zmm16-31, k1-7"
regs_512_len equ $ - regs_512
msg_tail:   db " over 200 task switches in 2 processes", 10
msg_tail_len equ $ - msg_tail
msg_bad:    db "vecstate: FAIL "
msg_bad_len equ $ - msg_bad
msg_bad2:   db " changed across a task switch", 10
msg_bad2_len equ $ - msg_bad2
msg_fork:   db "vecstate: FAIL fork", 10
msg_fork_len equ $ - msg_fork

section .text
global _start

; write(1, rsi, rdx)
%macro WRITE 2
	lea rsi, [%1]
	mov edx, %2
	call write_out
%endmacro

; CHECK_REG STORE, REG, BYTES, PATTERN: store REG to tmp, compare with
; PATTERN; on a difference name REG and fail.
%macro CHECK_REG 4
	%1 [tmp], %2
	lea rsi, [tmp]
	lea rdi, [%4]
	mov ecx, %3
	repe cmpsb
	je %%same
	%defstr %%name %2
	[section .rodata]
%%str:	db %%name
%%len	equ $ - %%str
	__SECT__
	lea r12, [%%str]
	mov r13d, %%len
	jmp fail
%%same:
%endmacro

_start:
	call probe
	mov eax, SYS_FORK
	syscall
	test rax, rax
	js .fork_failed
	mov r15, rax                    ; 0 in the child
	mov eax, 0x10
	mov edx, 0x90
	test r15, r15
	cmovz eax, edx                  ; the child's pattern differs
	call fill
	call load
	mov ebx, ROUNDS
.round:
	mov eax, SYS_SCHED_YIELD
	syscall
	call check
	dec ebx
	jnz .round
	test r15, r15
	jz .exit_ok                     ; the child: done
	; The parent: the child's status, then the line.
	mov eax, SYS_WAIT4
	mov rdi, -1
	lea rsi, [status]
	xor edx, edx
	xor r10d, r10d
	syscall
	cmp dword [status], 0
	jne .exit_bad
	WRITE msg_ok, msg_ok_len
	cmp byte [avx], 0
	je .sse
	WRITE regs_avx, regs_avx_len
	jmp .more
.sse:
	WRITE regs_sse, regs_sse_len
.more:
	cmp byte [avx512], 0
	je .tail
	WRITE regs_512, regs_512_len
.tail:
	WRITE msg_tail, msg_tail_len
.exit_ok:
	xor edi, edi
	mov eax, SYS_EXIT
	syscall
.fork_failed:
	WRITE msg_fork, msg_fork_len
.exit_bad:
	mov edi, 1
	mov eax, SYS_EXIT
	syscall

; avx = CPUID.1:ECX.OSXSAVE and AVX, and XCR0 has SSE and AVX;
; avx512 = that, CPUID.(7,0):EBX.AVX512F, and XCR0 has opmask, ZMM_Hi256
; and Hi16_ZMM.
probe:
	mov eax, 1
	xor ecx, ecx
	cpuid
	and ecx, (1 << 27) | (1 << 28)
	cmp ecx, (1 << 27) | (1 << 28)
	jne .done
	xor ecx, ecx
	xgetbv
	mov r8d, eax
	and eax, 6
	cmp eax, 6
	jne .done
	mov byte [avx], 1
	mov eax, 7
	xor ecx, ecx
	cpuid
	bt ebx, 16
	jnc .done
	and r8d, 0xe0
	cmp r8d, 0xe0
	jne .done
	mov byte [avx512], 1
.done:
	ret

; Fill the patterns with bytes counting up from al.
fill:
	lea rdi, [pat_y]
	mov ecx, 16 * 32 + 16 * 64 + 16
.next:
	mov [rdi], al
	inc rdi
	add al, 7
	dec ecx
	jnz .next
	ret

; EACH M, FIRST, COUNT: M FIRST, M FIRST+1, ... (COUNT of them).
%macro EACH 3
%assign %%i %2
%rep %3
	%1 %%i
%assign %%i %%i + 1
%endrep
%endmacro

%macro LOAD_X 1
	movdqu xmm%1, [pat_y + %1 * 32]
%endmacro
%macro LOAD_Y 1
	vmovdqu ymm%1, [pat_y + %1 * 32]
%endmacro
%macro LOAD_Z 1
	vmovdqu64 zmm%1, [pat_z + (%1 - 16) * 64]
%endmacro
%macro LOAD_K 1
	kmovw k%1, [pat_k + %1 * 2]
%endmacro
%macro CHECK_X 1
	CHECK_REG movdqu, xmm%1, 16, pat_y + %1 * 32
%endmacro
%macro CHECK_Y 1
	CHECK_REG vmovdqu, ymm%1, 32, pat_y + %1 * 32
%endmacro
%macro CHECK_Z 1
	CHECK_REG vmovdqu64, zmm%1, 64, pat_z + (%1 - 16) * 64
%endmacro
%macro CHECK_K 1
	CHECK_REG kmovw, k%1, 2, pat_k + %1 * 2
%endmacro

; ACROSS WHAT: WHAT_X or WHAT_Y on the 16 legacy registers (AVX or not),
; then, with AVX-512, WHAT_Z on ZMM16-31 and WHAT_K on k1-k7.
%macro ACROSS 1
	cmp byte [avx], 0
	je %%sse
	EACH %1_Y, 0, 16
	cmp byte [avx512], 0
	je %%done
	EACH %1_Z, 16, 16
	EACH %1_K, 1, 7
	jmp %%done
%%sse:
	EACH %1_X, 0, 16
%%done:
%endmacro

load:
	ACROSS LOAD
	ret

check:
	ACROSS CHECK
	ret

; r12/r13: the register's name; says so and exits 1.
fail:
	WRITE msg_bad, msg_bad_len
	mov rsi, r12
	mov edx, r13d
	call write_out
	WRITE msg_bad2, msg_bad2_len
	mov edi, 1
	mov eax, SYS_EXIT
	syscall

write_out:
	mov eax, SYS_WRITE
	mov edi, 1
	syscall
	ret
