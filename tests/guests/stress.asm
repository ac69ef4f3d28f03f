; stress.asm: a seeded pseudo-random sequence of instructions that exit to
; tinyhv or raise exceptions, to shake the exit paths (issue 9).
;
; Command line (the module string after the name): "first=S seeds=N ops=K"
; (defaults 1, 10, 50; decimal, at most 9 digits).  For each seed S, S+1, ...
; S+N-1 the guest puts its state back (CR0, CR3, CR4, XCR0, DR0-DR3 as they
; were at start), seeds a xorshift32 generator from the seed and runs K
; operations drawn from it, then prints
;     stress: seed S: K ops, F faults
; (F: the exceptions and interrupts caught in that seed).  A seed depends
; only on its number, so "first=S seeds=1" runs one seed again.  At the end
; it prints the events caught by vector and "stress: done, all checks
; passed" (or the count of failed checks), and ends with HC_EXIT.  A hang or
; a hypervisor crash shows as a missing seed line.
;
; The operations (every exception and interrupt is caught through TRY_ANY
; and checked against what the architecture and tinyhv's documented
; behaviour allow; a mismatch prints "FAIL seed S op I (NAME): ..."):
;   cpuid   random leaf (basic, 0x400000xx, 0x800000xx, any) and subleaf;
;           never faults; leaf 1 hides VMX and shows the hypervisor bit
;   rdmsr   random index (0..0x1fff, 0xc0000000..0xc0001fff, any, known
;           ones): #GP(0) or a value; half the time that value is written
;           back (accepted or #GP(0)); an MSR whose read raised #GP must
;           raise #GP(0) on a write of a random value too (write-only
;           PRED_CMD, FLUSH_CMD and the x2APIC range are not written)
;   io      IN/OUT/INS/OUTS (REP, DF either way) of 1, 2 or 4 bytes at a
;           random port (low, any, the top of the space, around the
;           UART and the debug-exit port), never touching the UART
;           (0x3f8-0x3ff) or the debug-exit port (0xf4-0xf7), the only
;           devices of a Multiboot guest: a read gives all ones (rest of
;           EAX kept), nothing faults
;   crw     MOV to CR0 (toggling MP, EM, TS, NE, WP, AM, NW, CD) or CR4
;           (toggling one or two of bits 0-14 and 16-24, VMXE among them):
;           #GP(0) and the register unchanged, or it reads back the value
;           written
;   crr     MOV from CR0 (PE set, PG clear), CR4 (VMXE clear), CR3; a
;           random CR3 (paging is off) reads back
;   dr      MOV DR0-DR3 of a random value, CPUID (an exit), the value reads
;           back; DR7 reads 0x400
;   xsetbv  with CR4.OSXSAVE set, a random XCR0 (ECX random at times):
;           #GP(0) and XCR0 unchanged, or XGETBV reads it back; #UD
;           without XSAVE
;   cache   INVD or WBINVD
;   vmx     VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH,
;           VMRESUME, VMXOFF, INVEPT, INVVPID, VMFUNC, MONITOR, MWAIT,
;           GETSEC: #UD
;   vmcall  HC_NOP (0), HC_NMI (0 and an NMI through vector 2) or an
;           unknown function (HC_ENOSYS) with random EBX, ECX, EDX, which
;           are kept; never HC_PRINT, HC_EXIT or HC_TIMER
;   int     INT3, INT1, INT n (0x20-0xff), a single step (TF), #DE, INTO,
;           BOUND: the vector, at the right EIP
;   ud      UD2, UD1, UD0, LOCK on what cannot be locked, register forms
;           that need memory, MOV CS, RSM, SWAPGS, SYSCALL, SYSRET, ...: #UD
;           at the instruction
;   hlt     HC_TIMER with a random vector and a short delay, STI; HLT: woken
;           by that vector
;   step    an exiting instruction after TF set (a #DB right after it), TF
;           and MOV SS (one #DB, right after it), MOV SS alone (nothing),
;           or STI with HC_TIMER armed (the timer's vector); see op_step
; Around every operation ESI, EDI and EBP hold random values that must
; survive it, and EFLAGS.IF and TF must be clear after it.
%define GUEST_NAME "stress"
%include "common.inc"

DEFAULT_FIRST   equ 1
DEFAULT_SEEDS   equ 10
DEFAULT_OPS     equ 50
MAX_FAIL_LINES  equ 30                  ; FAIL lines shown; all are counted

CR4_OSXSAVE     equ 1 << 18
EFLAGS_TF       equ 1 << 8
EFLAGS_IF       equ 1 << 9
EFLAGS_OF       equ 1 << 11
HC_ENOSYS       equ -2
HC_NMI          equ 4

; OPFAIL "text": "FAIL seed S op I (NAME): text (vector V error E EIP X,
; args A B)", counted; registers and flags kept.
%macro OPFAIL 1+
[section .rodata]
%%msg:	db %1, 0
__SECT__
	push esi
	mov esi, %%msg
	call op_fail
	pop esi
%endmacro

; EXPECT_NO_FAULT "what": OPFAIL unless the last TRY_ANY caught nothing.
%macro EXPECT_NO_FAULT 1+
	cmp dword [fault_vector], -1
	je %%ok
	OPFAIL %1
%%ok:
%endmacro

; EXPECT_GP_OR_NONE "what": nothing, or #GP(0).
%macro EXPECT_GP_OR_NONE 1+
	cmp dword [fault_vector], -1
	je %%ok
	cmp dword [fault_vector], 13
	jne %%bad
	cmp dword [fault_error], 0
	je %%ok
%%bad:
	OPFAIL %1
%%ok:
%endmacro

main:
	cmp byte [hv_present], 0
	jne .hv
	LINE "SKIP: the stress guest checks tinyhv's behaviour (native: no TinyHV)"
	ret
.hv:
	call parse_cmdline
	call capture_state
	SAY "first "
	DEC dword [arg_first]
	PUTS ", seeds "
	DEC dword [arg_seeds]
	PUTS ", ops "
	DEC dword [arg_ops]
	PUTS ", XSAVE "
	movzx eax, byte [have_xsave]
	DEC eax
	NL
	mov eax, [arg_first]
	mov [cur_seed], eax
	mov eax, [arg_seeds]
	mov [seeds_left], eax
.seed:
	cmp dword [seeds_left], 0
	je .done
	call run_seed
	inc dword [cur_seed]
	dec dword [seeds_left]
	jmp .seed
.done:
	mov dword [cur_kind], KIND_RESET
	call reset_state
	call print_totals
	ret

; --- the generator ------------------------------------------------------------
; rand: EAX = the next xorshift32 (13, 17, 5) value; other registers kept.
rand:
	push edx
	mov eax, [rng]
	mov edx, eax
	shl edx, 13
	xor eax, edx
	mov edx, eax
	shr edx, 17
	xor eax, edx
	mov edx, eax
	shl edx, 5
	xor eax, edx
	mov [rng], eax
	pop edx
	ret

; rand_below: EAX = a random number below ECX (> 0); other registers kept.
rand_below:
	push edx
	call rand
	xor edx, edx
	div ecx
	mov eax, edx
	pop edx
	ret

; seed_rng: the generator from [cur_seed] (never 0), stirred.
seed_rng:
	push ecx
	mov eax, [cur_seed]
	imul eax, eax, 0x9e3779b9
	add eax, 0x6a09e667
	jnz .nonzero
	inc eax
.nonzero:
	mov [rng], eax
	mov ecx, 8
.stir:
	call rand
	dec ecx
	jnz .stir
	pop ecx
	ret

; --- seeds and operations -----------------------------------------------------
run_seed:
	pushad
	mov dword [cur_kind], KIND_RESET
	mov dword [cur_op], 0
	call reset_state
	call seed_rng
	mov eax, [fault_total]
	mov [seed_faults], eax
.op:
	mov eax, [cur_op]
	cmp eax, [arg_ops]
	jae .end
	mov dword [op_arg], 0
	mov dword [op_arg2], 0
	mov ecx, OP_SLOTS
	call rand_below
	movzx eax, byte [op_slots + eax]
	mov [cur_kind], eax
	call rand
	mov esi, eax
	call rand
	mov edi, eax
	call rand
	mov ebp, eax
	mov [canary], esi
	mov [canary + 4], edi
	mov [canary + 8], ebp
	mov eax, [cur_kind]
	inc dword [kind_counts + eax * 4]
	call [op_funcs + eax * 4]
	cmp esi, [canary]
	jne .clobbered
	cmp edi, [canary + 4]
	jne .clobbered
	cmp ebp, [canary + 8]
	je .flags
.clobbered:
	OPFAIL "ESI, EDI or EBP changed"
.flags:
	pushfd
	pop eax
	test eax, EFLAGS_IF | EFLAGS_TF
	jz .next
	cli
	OPFAIL "EFLAGS.IF or TF set after the operation"
.next:
	inc dword [cur_op]
	jmp .op
.end:
	mov eax, [fault_total]
	sub eax, [seed_faults]
	SAY "seed "
	DEC dword [cur_seed]
	PUTS ": "
	DEC dword [arg_ops]
	PUTS " ops, "
	DEC eax
	PUTS " faults", 10
	mov eax, [arg_ops]
	add [total_ops], eax
	popad
	ret

; op_fail: ESI = the message.  See OPFAIL.
op_fail:
	pushfd
	pushad
	inc dword [fail_count]
	cmp dword [fail_count], MAX_FAIL_LINES
	ja .quiet
	push esi
	SAY "FAIL seed "
	DEC dword [cur_seed]
	PUTS " op "
	DEC dword [cur_op]
	PUTS " ("
	mov eax, [cur_kind]
	mov esi, [op_names + eax * 4]
	call puts
	PUTS "): "
	pop esi
	call puts
	PUTS " (vector "
	SDEC dword [fault_vector]
	PUTS " error "
	HEX dword [fault_error]
	PUTS " EIP "
	HEX dword [fault_eip]
	PUTS ", args "
	HEX dword [op_arg]
	PUTS " "
	HEX dword [op_arg2]
	PUTS ")", 10
.quiet:
	popad
	popfd
	ret

; capture_state: the control registers and XCR0 the seeds start from.
capture_state:
	pushad
	mov eax, cr0
	mov [cr0_init], eax
	mov eax, cr3
	mov [cr3_init], eax
	mov eax, cr4
	mov [cr4_init], eax
	mov eax, 1
	xor ecx, ecx
	cpuid
	bt ecx, 26
	setc byte [have_xsave]
	jnc .done
	mov eax, [cr4_init]
	or eax, CR4_OSXSAVE
	mov cr4, eax
	xor ecx, ecx
	xgetbv
	mov [xcr0_init], eax
	mov [xcr0_init + 4], edx
	mov eax, [cr4_init]
	mov cr4, eax
.done:
	popad
	ret

; reset_state: back to the captured state.  CR4 first (CR4.CET would
; refuse CR0.WP clear), with OSXSAVE for XSETBV, then XCR0, CR0, CR4, CR3,
; DR0-DR3.
reset_state:
	pushad
	cli
	cld
	mov eax, [cr4_init]
	or eax, CR4_OSXSAVE
	cmp byte [have_xsave], 0
	jne .cr4_xsave
	mov eax, [cr4_init]
.cr4_xsave:
	TRY_ANY mov cr4, eax
	EXPECT_NO_FAULT "restoring CR4"
	cmp byte [have_xsave], 0
	je .cr0
	xor ecx, ecx
	mov eax, [xcr0_init]
	mov edx, [xcr0_init + 4]
	TRY_ANY xsetbv
	EXPECT_NO_FAULT "restoring XCR0"
.cr0:
	mov eax, [cr0_init]
	TRY_ANY mov cr0, eax
	EXPECT_NO_FAULT "restoring CR0"
	mov eax, [cr4_init]
	TRY_ANY mov cr4, eax
	EXPECT_NO_FAULT "restoring CR4"
	mov eax, [cr3_init]
	TRY_ANY mov cr3, eax
	EXPECT_NO_FAULT "restoring CR3"
	xor eax, eax
	mov dr0, eax
	mov dr1, eax
	mov dr2, eax
	mov dr3, eax
	popad
	ret

; --- cpuid --------------------------------------------------------------------
op_cpuid:
	call rand
	mov ebx, eax
	call rand
	test bl, 1
	jz .not_basic
	test bl, 2
	jnz .any_leaf
	and eax, 0x1f                   ; 0..0x1f
	jmp .leaf
.not_basic:
	test bl, 2
	jnz .ext
	and eax, 0xff
	or eax, 0x40000000
	jmp .leaf
.ext:
	and eax, 0x1f
	or eax, 0x80000000
	jmp .leaf
.any_leaf:
.leaf:
	mov [op_arg], eax
	mov edx, eax
	call rand
	mov ecx, eax
	test bl, 4
	jz .subleaf
	and ecx, 7
.subleaf:
	mov [op_arg2], ecx
	mov eax, edx
	TRY_ANY cpuid
	EXPECT_NO_FAULT "CPUID raised an exception"
	cmp dword [op_arg], 1
	jne .done
	bt ecx, 5
	jnc .vmx_hidden
	OPFAIL "CPUID.1:ECX shows VMX"
.vmx_hidden:
	bt ecx, 31
	jc .done
	OPFAIL "CPUID.1:ECX lacks the hypervisor bit"
.done:
	ret

; --- rdmsr / wrmsr ------------------------------------------------------------
op_rdmsr:
	call rand
	mov ebx, eax
	call rand
	and ebx, 3
	jz .low
	dec ebx
	jz .high
	dec ebx
	jz .msr                         ; any 32-bit index
	mov ecx, KNOWN_MSRS
	call rand_below
	mov eax, [known_msrs + eax * 4]
	jmp .msr
.low:
	and eax, 0x1fff
	jmp .msr
.high:
	and eax, 0x1fff
	or eax, 0xc0000000
.msr:
	mov [op_arg], eax
	mov ecx, eax
	TRY_ANY rdmsr
	cmp dword [fault_vector], -1
	je .read_ok
	cmp dword [fault_vector], 13
	jne .bad_read
	cmp dword [fault_error], 0
	jne .bad_read
	; The read raised #GP: so must a write, unless the MSR is write-only.
	mov ecx, [op_arg]
	cmp ecx, 0x49                   ; IA32_PRED_CMD
	je .done
	cmp ecx, 0x10b                  ; IA32_FLUSH_CMD
	je .done
	mov eax, ecx
	and eax, ~0xff
	cmp eax, 0x800                  ; x2APIC (EOI, SELF_IPI are write-only)
	je .done
	call rand
	mov edx, eax
	call rand
	mov [op_arg2], eax
	TRY_ANY wrmsr
	cmp dword [fault_vector], 13
	jne .bad_write
	cmp dword [fault_error], 0
	je .done
.bad_write:
	OPFAIL "WRMSR to an MSR whose RDMSR raised #GP did not raise #GP(0)"
	ret
.bad_read:
	OPFAIL "RDMSR raised something other than #GP(0)"
	ret
.read_ok:
	mov [op_arg2], eax
	mov ebx, eax
	call rand
	test al, 1
	jz .done
	mov eax, ebx                    ; EDX:EAX as read
	mov ecx, [op_arg]
	TRY_ANY wrmsr
	EXPECT_GP_OR_NONE "WRMSR of the value RDMSR returned raised something other than #GP(0)"
.done:
	ret

; --- port I/O -----------------------------------------------------------------
op_io:
	call rand
	mov ebx, eax                    ; random bits for the choices
	call rand
	test bl, 1
	jz .port_low_or_any
	test bl, 2
	jz .port_top
	test eax, 0x100
	jz .near_uart
	and eax, 0xf
	add eax, 0xf0                   ; 0xf0-0xff, around the debug-exit port
	jmp .port
.near_uart:
	and eax, 0x1f
	add eax, 0x3f0                  ; 0x3f0-0x40f, around the UART
	jmp .port
.port_top:
	and eax, 0xf
	add eax, 0xfff0                 ; the top of the port space
	jmp .port
.port_low_or_any:
	test bl, 2
	jz .port_any
	and eax, 0x3ff
	jmp .port
.port_any:
	and eax, 0xffff
.port:
	mov edx, eax                    ; the port
	mov ecx, ebx
	shr ecx, 2
	and ecx, 3
	cmp ecx, 3
	jne .size
	xor ecx, ecx
.size:
	mov eax, 1
	shl eax, cl
	mov ecx, eax                    ; the size: 1, 2 or 4
	mov [op_arg], edx
	shl ecx, 16
	or [op_arg], ecx                ; op_arg: size << 16 | port
	shr ecx, 16
	; [port, port + size) must miss 0x3f8-0x3ff and 0xf4-0xf7.
	push edx
	push ecx
.overlap:
	cmp edx, 0x3f8
	jb .not_uart
	cmp edx, 0x3ff
	jbe .forbidden
.not_uart:
	cmp edx, 0xf4
	jb .next_byte
	cmp edx, 0xf7
	jbe .forbidden
.next_byte:
	inc edx
	dec ecx
	jnz .overlap
	pop ecx
	pop edx
	jmp .allowed
.forbidden:
	pop ecx
	pop edx
	ret                             ; counted as an op, nothing done
.allowed:
	mov eax, ebx
	shr eax, 4
	and eax, 3
	jmp [.forms + eax * 4]
.forms:
	dd .in, .out, .ins, .outs

.in:
	call rand
	mov [op_arg2], eax
	cmp ecx, 2
	je .in16
	ja .in32
	TRY_ANY in al, dx
	mov ebx, [op_arg2]
	or ebx, 0xff
	jmp .in_check
.in16:
	TRY_ANY in ax, dx
	mov ebx, [op_arg2]
	or ebx, 0xffff
	jmp .in_check
.in32:
	TRY_ANY in eax, dx
	mov ebx, 0xffffffff
.in_check:
	EXPECT_NO_FAULT "IN raised an exception"
	cmp eax, ebx
	je .done
	OPFAIL "IN from an unclaimed port did not read all ones (rest of EAX kept)"
	ret

.out:
	call rand
	mov [op_arg2], eax
	cmp ecx, 2
	je .out16
	ja .out32
	TRY_ANY out dx, al
	jmp .out_check
.out16:
	TRY_ANY out dx, ax
	jmp .out_check
.out32:
	TRY_ANY out dx, eax
.out_check:
	EXPECT_NO_FAULT "OUT raised an exception"
.done:
	ret

; INS/OUTS: REP with a count of 0-4 on io_buf, DF = 1 at times.
.ins:
	push edi
	call io_buf_fill
	call io_string_setup            ; EDI/ESI, ECX, DF; EBX = size
	mov edi, eax
	cmp ebx, 2
	je .insw
	ja .insd
	TRY_ANY rep insb
	jmp .ins_check
.insw:
	TRY_ANY rep insw
	jmp .ins_check
.insd:
	TRY_ANY rep insd
.ins_check:
	cld
	EXPECT_NO_FAULT "INS raised an exception"
	mov eax, edi
	call io_string_check
	pop edi
	ret

.outs:
	push esi
	call io_buf_fill
	call io_string_setup
	mov esi, eax
	cmp ebx, 2
	je .outsw
	ja .outsd
	TRY_ANY rep outsb
	jmp .outs_check
.outsw:
	TRY_ANY rep outsw
	jmp .outs_check
.outsd:
	TRY_ANY rep outsd
.outs_check:
	cld
	EXPECT_NO_FAULT "OUTS raised an exception"
	mov eax, esi
	call io_string_check
	pop esi
	ret

io_buf_fill:
	push eax
	push ecx
	push edi
	mov edi, io_buf
	mov ecx, IO_BUF_SIZE / 4
	mov eax, 0x5a5a5a5a
	rep stosd
	pop edi
	pop ecx
	pop eax
	ret

; io_string_setup: ECX = size in, DX = port kept.  Out: EAX = start
; address, ECX = count (0-4), EBX = size, DF set at random; io_count,
; io_size, io_start, io_down noted.
io_string_setup:
	mov ebx, ecx
	mov [io_size], ebx
	call rand
	mov ecx, eax
	and ecx, 7
	cmp ecx, 4
	jbe .count
	sub ecx, 4
.count:
	mov [io_count], ecx
	mov eax, io_buf + IO_BUF_SIZE / 2
	mov [io_start], eax
	push eax
	call rand
	test al, 8
	pop eax
	setnz byte [io_down]
	jz .up
	std
.up:
	ret

; io_string_check: EAX = ESI/EDI after the string instruction, ECX its
; count left.  It must be 0, the pointer moved by count * size.
io_string_check:
	test ecx, ecx
	jz .count_ok
	OPFAIL "REP INS/OUTS left ECX non-zero"
.count_ok:
	mov ecx, [io_count]
	imul ecx, [io_size]
	cmp byte [io_down], 0
	je .up
	neg ecx
.up:
	add ecx, [io_start]
	cmp eax, ecx
	je .done
	OPFAIL "REP INS/OUTS moved ESI/EDI by the wrong amount"
.done:
	ret

; --- control registers ----------------------------------------------------------
op_crw:
	call rand
	mov ebx, eax
	mov ecx, 1
	shr eax, 8
	and eax, 1
	add ecx, eax                    ; 1 or 2 bits
	xor edx, edx                    ; the toggle mask
	test bl, 1
	jnz .cr4_mask
.cr0_bit:
	push ecx
	mov ecx, CR0_BITS
	call rand_below
	movzx ecx, byte [cr0_bits + eax]
	bts edx, ecx
	pop ecx
	dec ecx
	jnz .cr0_bit
	mov eax, cr0
	mov [op_arg], eax
	xor eax, edx
	mov [op_arg2], eax
	TRY_ANY mov cr0, eax
	mov eax, cr0
	jmp .check
.cr4_mask:
	push ecx
	mov ecx, CR4_BITS
	call rand_below
	movzx ecx, byte [cr4_bits + eax]
	bts edx, ecx
	pop ecx
	dec ecx
	jnz .cr4_mask
	mov eax, cr4
	mov [op_arg], eax
	xor eax, edx
	mov [op_arg2], eax
	TRY_ANY mov cr4, eax
	mov eax, cr4
.check:
	cmp dword [fault_vector], -1
	je .accepted
	EXPECT_GP_OR_NONE "MOV to CR raised something other than #GP(0)"
	cmp eax, [op_arg]
	je .done
	OPFAIL "MOV to CR raised #GP but the register changed"
	ret
.accepted:
	cmp eax, [op_arg2]
	je .done
	OPFAIL "MOV to CR accepted, but the register reads back otherwise"
.done:
	ret

op_crr:
	call rand
	and eax, 3
	jmp [.which + eax * 4]
.which:
	dd .cr0, .cr3, .cr4, .cr3_write
.cr0:
	TRY_ANY mov eax, cr0
	EXPECT_NO_FAULT "MOV from CR0 raised an exception"
	mov [op_arg], eax
	and eax, 0x80000001
	cmp eax, 1
	je .done
	OPFAIL "CR0 reads with PE clear or PG set"
	ret
.cr3:
	TRY_ANY mov eax, cr3
	EXPECT_NO_FAULT "MOV from CR3 raised an exception"
	ret
.cr4:
	TRY_ANY mov eax, cr4
	EXPECT_NO_FAULT "MOV from CR4 raised an exception"
	mov [op_arg], eax
	test eax, 1 << 13
	jz .done
	OPFAIL "CR4 reads with VMXE set"
	ret
.cr3_write:                             ; paging is off: CR3 is not used
	call rand
	mov [op_arg], eax
	TRY_ANY mov cr3, eax
	EXPECT_NO_FAULT "MOV to CR3 (paging off) raised an exception"
	mov eax, cr3
	mov [op_arg2], eax
	cmp eax, [op_arg]
	je .done
	OPFAIL "CR3 does not read back the value written"
.done:
	ret

; --- debug registers ------------------------------------------------------------
op_dr:
	call rand
	mov ebx, eax
	call rand
	mov [op_arg], eax
	and ebx, 3
	mov [op_arg2], ebx
	jmp [.which + ebx * 4]
.which:
	dd .dr0, .dr1, .dr2, .dr3
%macro DR_CASE 1
.dr%1:
	TRY_ANY mov dr%1, eax
	EXPECT_NO_FAULT "MOV to a debug register raised an exception"
	xor eax, eax
	xor ecx, ecx
	cpuid                           ; an exit between the write and the read
	mov eax, dr%1
	jmp .check
%endmacro
	DR_CASE 0
	DR_CASE 1
	DR_CASE 2
	DR_CASE 3
.check:
	cmp eax, [op_arg]
	je .dr7
	OPFAIL "a debug register lost its value across an exit"
.dr7:
	mov eax, dr7
	cmp eax, 0x400
	je .done
	mov [op_arg2], eax
	OPFAIL "DR7 is not 0x400"
.done:
	ret

; --- xsetbv ---------------------------------------------------------------------
op_xsetbv:
	cmp byte [have_xsave], 0
	jne .xsave
	xor ecx, ecx
	mov eax, 3
	xor edx, edx
	TRY_ANY xsetbv
	cmp dword [fault_vector], 6
	je .done
	OPFAIL "XSETBV without XSAVE did not raise #UD"
	ret
.xsave:
	mov eax, cr4
	or eax, CR4_OSXSAVE
	TRY_ANY mov cr4, eax
	EXPECT_NO_FAULT "setting CR4.OSXSAVE raised an exception"
	xor ecx, ecx
	xgetbv
	mov [xcr0_old], eax
	mov [xcr0_old + 4], edx
	call rand
	mov ebx, eax
	call rand
	xor ecx, ecx
	xor edx, edx
	test bl, 3
	jz .any_value
	and eax, 0x2ff                  ; x87 .. PKRU
	test bl, 4
	jz .value
	or eax, 1
	jmp .value
.any_value:
	call rand
	mov edx, eax
	and edx, 1                      ; bit 32 at times
	call rand
	test bl, 0x10
	jz .value
	mov ecx, ebx
	shr ecx, 8
	and ecx, 3                      ; XCR 0-3: only 0 may be written
.value:
	mov [op_arg], eax
	mov [op_arg2], ecx
	mov [xcr0_new], eax
	mov [xcr0_new + 4], edx
	TRY_ANY xsetbv
	xor ecx, ecx
	push eax
	push edx
	xgetbv
	mov ebx, eax
	mov ecx, edx
	pop edx
	pop eax
	cmp dword [fault_vector], -1
	je .accepted
	EXPECT_GP_OR_NONE "XSETBV raised something other than #GP(0)"
	cmp ebx, [xcr0_old]
	jne .changed
	cmp ecx, [xcr0_old + 4]
	je .done
.changed:
	OPFAIL "XSETBV raised #GP but XCR0 changed"
	ret
.accepted:
	cmp dword [op_arg2], 0
	je .xcr0
	OPFAIL "XSETBV to an XCR other than 0 was accepted"
	ret
.xcr0:
	cmp ebx, [xcr0_new]
	jne .differs
	cmp ecx, [xcr0_new + 4]
	je .done
.differs:
	OPFAIL "XSETBV accepted, but XGETBV reads XCR0 back otherwise"
.done:
	ret

; --- caches ---------------------------------------------------------------------
op_cache:
	call rand
	test al, 1
	jz .wbinvd
	TRY_ANY invd
	EXPECT_NO_FAULT "INVD raised an exception"
	ret
.wbinvd:
	TRY_ANY wbinvd
	EXPECT_NO_FAULT "WBINVD raised an exception"
	ret

; --- VMX and other instructions a guest does not have --------------------------
op_vmx:
	mov ecx, VMX_CASES
	call rand_below
	mov [op_arg], eax
	mov eax, [vmx_case_funcs + eax * 4]
	mov [vmx_target], eax
	call rand
	mov ebx, eax                    ; VMREAD/VMWRITE field
	mov [op_arg2], ebx
	call rand
	and eax, 0xf                    ; VMFUNC leaf, INVEPT type, MONITOR address
	xor ecx, ecx
	xor edx, edx
	call [vmx_target]
	cmp dword [fault_vector], 6
	je .done
	OPFAIL "a VMX (or MONITOR/MWAIT/GETSEC) instruction did not raise #UD"
.done:
	ret

%macro VMX_CASE 1+
	align 4
	TRY_ANY %1
	ret
%endmacro
vmx_case_vmxon:     VMX_CASE vmxon [vmx_region_ptr]
vmx_case_vmclear:   VMX_CASE vmclear [vmx_region_ptr]
vmx_case_vmptrld:   VMX_CASE vmptrld [vmx_region_ptr]
vmx_case_vmptrst:   VMX_CASE vmptrst [vmx_region_ptr]
vmx_case_vmread:    VMX_CASE vmread eax, ebx
vmx_case_vmwrite:   VMX_CASE vmwrite ebx, eax
vmx_case_vmlaunch:  VMX_CASE vmlaunch
vmx_case_vmresume:  VMX_CASE vmresume
vmx_case_vmxoff:    VMX_CASE vmxoff
vmx_case_invept:    VMX_CASE invept eax, [invalidation_desc]
vmx_case_invvpid:   VMX_CASE invvpid eax, [invalidation_desc]
vmx_case_vmfunc:    VMX_CASE vmfunc
vmx_case_monitor:   VMX_CASE monitor
vmx_case_mwait:     VMX_CASE mwait
vmx_case_getsec:    VMX_CASE getsec

; --- hypercalls -----------------------------------------------------------------
op_vmcall:
	call rand
	mov ebx, eax
	and ebx, 3
	jz .nop
	dec ebx
	jz .nmi
	dec ebx
	jz .small
	call rand                       ; any number
	jmp .fn
.small:
	call rand
	and eax, 0xff
	add eax, 5
	jmp .fn
.nop:
	mov eax, HC_NOP
	jmp .args
.nmi:
	mov eax, HC_NMI
	jmp .args
.fn:
	cmp eax, HC_EXIT
	jbe .avoid
	cmp eax, HC_TIMER
	jne .args
.avoid:
	or eax, 0x80000000              ; never HC_PRINT, HC_EXIT, HC_TIMER
.args:
	mov [op_arg], eax
	push eax
	call rand
	mov ebx, eax
	call rand
	mov ecx, eax
	call rand
	mov edx, eax
	mov [op_arg2], ebx
	mov [vmcall_args], ebx
	mov [vmcall_args + 4], ecx
	mov [vmcall_args + 8], edx
	pop eax
	TRY_ANY vmcall
	cmp ebx, [vmcall_args]
	jne .clobbered
	cmp ecx, [vmcall_args + 4]
	jne .clobbered
	cmp edx, [vmcall_args + 8]
	je .result
.clobbered:
	OPFAIL "a hypercall changed EBX, ECX or EDX"
.result:
	mov ebx, [op_arg]
	cmp ebx, HC_NMI
	je .check_nmi
	EXPECT_NO_FAULT "a hypercall raised an exception"
	cmp ebx, HC_NOP
	je .check_zero
	cmp eax, HC_ENOSYS
	je .done
	OPFAIL "an unknown hypercall did not return HC_ENOSYS (-2)"
	ret
.check_nmi:
	cmp dword [fault_vector], 2
	je .check_zero
	OPFAIL "HC_NMI: no NMI through vector 2 right after the VMCALL"
.check_zero:
	test eax, eax
	jz .done
	OPFAIL "HC_NOP or HC_NMI did not return 0"
.done:
	ret

; --- software interrupts and exceptions -----------------------------------------
; Each case: the expected vector in EBX and EIP in ECX, then .check.
op_int:
	mov ecx, 7
	call rand_below
	mov [op_arg], eax
	jmp [.which + eax * 4]
.which:
	dd .int3, .int1, .intn, .single_step, .div0, .into, .bound

.int3:
	TRY_ANY_BEGIN .int3_resume
	int3
.int3_after:
.int3_resume:
	TRY_ANY_END
	mov ebx, 3
	mov ecx, .int3_after
	jmp .check

.int1:
	TRY_ANY_BEGIN .int1_resume
	db 0xf1                         ; INT1 (ICEBP)
.int1_after:
.int1_resume:
	TRY_ANY_END
	mov ebx, 1
	mov ecx, .int1_after
	jmp .check

.intn:
	mov ecx, 0xe0
	call rand_below
	add eax, 0x20
	mov [op_arg2], eax
	mov [.intn_site + 1], al        ; the vector of the INT below
	TRY_ANY_BEGIN .intn_resume
.intn_site:
	int 0x20
.intn_after:
.intn_resume:
	TRY_ANY_END
	mov ebx, [op_arg2]
	mov ecx, .intn_after
	jmp .check

.single_step:                           ; TF: a #DB trap after the NOP
	TRY_ANY_BEGIN .ss_resume
	pushfd
	or dword [esp], EFLAGS_TF
	popfd
	nop
.ss_after:
	nop
.ss_resume:
	TRY_ANY_END
	mov ebx, 1
	mov ecx, .ss_after
	jmp .check

.div0:
	mov eax, 1
	xor edx, edx
	xor ecx, ecx
	TRY_ANY_BEGIN .div0_resume
.div0_at:
	div ecx
.div0_resume:
	TRY_ANY_END
	mov ebx, 0
	mov ecx, .div0_at
	jmp .check

.into:
	TRY_ANY_BEGIN .into_resume
	pushfd
	or dword [esp], EFLAGS_OF
	popfd
	into
.into_after:
.into_resume:
	TRY_ANY_END
	mov ebx, 4
	mov ecx, .into_after
	jmp .check

.bound:
	mov eax, 5
	TRY_ANY_BEGIN .bound_resume
.bound_at:
	bound eax, [bound_range]        ; 5 is outside [0, 1]
.bound_resume:
	TRY_ANY_END
	mov ebx, 5
	mov ecx, .bound_at

.check:
	cmp [fault_vector], ebx
	jne .wrong
	cmp [fault_eip], ecx
	je .done
.wrong:
	OPFAIL "not the expected vector at the expected EIP"
.done:
	ret

; --- invalid opcodes ------------------------------------------------------------
; ud_snippets: 16-byte slots, each an instruction that must raise #UD at
; its first byte, then a jump back should it not.
op_ud:
	mov ecx, UD_SNIPPETS
	call rand_below
	mov [op_arg], eax
	shl eax, 4
	add eax, ud_snippets
	mov [op_arg2], eax
	TRY_ANY_BEGIN ud_resume
	jmp eax
ud_resume:
	TRY_ANY_END
	cmp dword [fault_vector], 6
	jne .wrong
	mov eax, [op_arg2]
	cmp [fault_eip], eax
	je .done
.wrong:
	OPFAIL "an invalid opcode did not raise #UD at itself"
.done:
	ret

%macro UD_SNIPPET 1+
	align 16
	db %1
	jmp ud_resume
%endmacro
	align 16
ud_snippets:
	UD_SNIPPET 0x0f, 0x0b                   ; UD2
	UD_SNIPPET 0x0f, 0xb9, 0xc0             ; UD1 eax, eax
	UD_SNIPPET 0x0f, 0xff, 0xc0             ; UD0 eax, eax
	UD_SNIPPET 0xf0, 0x90                   ; LOCK NOP
	UD_SNIPPET 0xf0, 0x01, 0xc0             ; LOCK ADD eax, eax (register)
	UD_SNIPPET 0x8d, 0xc0                   ; LEA eax, eax (register)
	UD_SNIPPET 0xff, 0xf8                   ; FF /7
	UD_SNIPPET 0xfe, 0xf8                   ; FE /7
	UD_SNIPPET 0x0f, 0xc7, 0xc8             ; CMPXCHG8B eax (register)
	UD_SNIPPET 0x8e, 0xc8                   ; MOV cs, eax
	UD_SNIPPET 0x0f, 0xaa                   ; RSM outside SMM
	UD_SNIPPET 0x66, 0x0f, 0x0b             ; UD2 with an operand-size prefix
	UD_SNIPPET 0xf0, 0x0f, 0x0b             ; LOCK UD2
	UD_SNIPPET 0x0f, 0x01, 0xf8             ; SWAPGS outside 64-bit mode
	UD_SNIPPET 0x0f, 0x05                   ; SYSCALL outside 64-bit mode
	UD_SNIPPET 0x0f, 0x07                   ; SYSRET outside 64-bit mode
	UD_SNIPPET 0x0f, 0x00, 0xf8             ; 0F 00 /7
ud_snippets_end:
UD_SNIPPETS equ (ud_snippets_end - ud_snippets + 15) / 16

; --- HLT ------------------------------------------------------------------------
op_hlt:
	mov ecx, 0xe0
	call rand_below
	add eax, 0x20
	mov [op_arg], eax
	mov ebx, eax
	mov ecx, 20000
	call rand_below
	mov ecx, eax
	mov [op_arg2], ecx
	xor edx, edx
	HCALL HC_TIMER
	test eax, eax
	jz .armed
	OPFAIL "HC_TIMER refused a vector from 0x20-0xff"
	ret
.armed:
	TRY_ANY_BEGIN .woken
	sti
	hlt
.woken:
	cli
	TRY_ANY_END
	mov eax, [op_arg]
	cmp [fault_vector], eax
	je .done
	OPFAIL "HLT was not woken by the HC_TIMER vector"
.done:
	ret

; --- single steps and shadows over exiting instructions -------------------------
; An exiting instruction X (CPUID, VMCALL HC_NOP, WBINVD, IN and OUT at the
; unclaimed port 0x2000, RDMSR of the TSC, MOV to CR0 of its value, INVD)
; after one of:
;   mode 0  RFLAGS.TF set by POPFD: a #DB (single step) right after X
;   mode 1  TF set, then MOV SS (which holds the step back one
;           instruction): one #DB, right after X
;   mode 2  MOV SS: nothing raised
;   mode 3  STI, with HC_TIMER armed (delay 0) while IF was 0: the timer's
;           vector comes, after X (a HLT waits for it if need be)
; Each case returns the expected vector in EBX (-1: none, TIMER_EXPECTED:
; the armed one) and EIP in ECX (0: any).
STEP_MODES      equ 4
STEP_INSNS      equ 8
TIMER_EXPECTED  equ -3

%macro STEP_X 1
%if %1 == 0
	cpuid
%elif %1 == 1
	vmcall                          ; EAX = HC_NOP
%elif %1 == 2
	wbinvd
%elif %1 == 3
	in al, dx                       ; DX = 0x2000
%elif %1 == 4
	out dx, al
%elif %1 == 5
	rdmsr                           ; ECX = 0x10, the TSC
%elif %1 == 6
	mov cr0, ebx                    ; EBX = CR0
%else
	invd
%endif
%endmacro

%macro STEP_CASE 2
	align 4
step_case_%1_%2:
	TRY_ANY_BEGIN %%resume
%if %1 == 0 || %1 == 1
	pushfd
	or dword [esp], EFLAGS_TF
	popfd
%endif
%if %1 == 1 || %1 == 2
	mov ss, [ss_selector]
%endif
%if %1 == 3
	sti
%endif
	STEP_X %2
%%after:
	nop
%if %1 == 3
	hlt
%endif
%%resume:
	cli
	TRY_ANY_END
%if %1 == 0 || %1 == 1
	mov ebx, 1
	mov ecx, %%after
%elif %1 == 2
	mov ebx, -1
	xor ecx, ecx
%else
	mov ebx, TIMER_EXPECTED
	xor ecx, ecx
%endif
	ret
%endmacro

%assign m 0
%rep STEP_MODES
%assign x 0
%rep STEP_INSNS
	STEP_CASE m, x
%assign x x + 1
%endrep
%assign m m + 1
%endrep

op_step:
	mov ecx, STEP_MODES * STEP_INSNS
	call rand_below
	mov [op_arg], eax
	mov ebx, [step_cases + eax * 4]
	mov [step_target], ebx
	cmp eax, 3 * STEP_INSNS
	jb .setup
	mov ecx, 0xe0
	call rand_below
	add eax, 0x20
	mov [op_arg2], eax
	mov ebx, eax
	xor ecx, ecx
	xor edx, edx
	HCALL HC_TIMER
	test eax, eax
	jz .setup
	OPFAIL "HC_TIMER refused a vector from 0x20-0xff"
	ret
.setup:
	mov ebx, cr0
	mov eax, HC_NOP
	mov ecx, 0x10
	mov edx, 0x2000
	call [step_target]
	cmp ebx, TIMER_EXPECTED
	jne .vector
	mov ebx, [op_arg2]
.vector:
	cmp [fault_vector], ebx
	jne .wrong
	test ecx, ecx
	jz .done
	cmp [fault_eip], ecx
	je .done
.wrong:
	mov [op_arg2], ecx
	OPFAIL "not the expected event (args: case, expected EIP)"
.done:
	ret

; --- the end --------------------------------------------------------------------
print_totals:
	pushad
	SAY "ops "
	DEC dword [total_ops]
	PUTS ", by kind:"
	xor ebx, ebx
.kind:
	PUTS " "
	mov esi, [op_names + ebx * 4]
	call puts
	PUTS " "
	DEC dword [kind_counts + ebx * 4]
	inc ebx
	cmp ebx, 7
	jne .same_line
	NL
	SAY "ops, by kind (continued):"
.same_line:
	cmp ebx, OP_KINDS
	jb .kind
	NL
	SAY "faults "
	DEC dword [fault_total]
	PUTS ", by vector:"
	xor ebx, ebx
.vector:
	cmp dword [fault_counts + ebx * 4], 0
	je .next
	PUTS " "
	DEC ebx
	PUTS ":"
	DEC dword [fault_counts + ebx * 4]
.next:
	inc ebx
	cmp ebx, 32
	jb .vector
	xor eax, eax
.irq:
	add eax, [fault_counts + ebx * 4]
	inc ebx
	cmp ebx, 256
	jb .irq
	PUTS ", interrupts 0x20-0xff: "
	DEC eax
	NL
	popad
	ret

; --- the command line -----------------------------------------------------------
parse_cmdline:
	pushad
	mov dword [arg_first], DEFAULT_FIRST
	mov dword [arg_seeds], DEFAULT_SEEDS
	mov dword [arg_ops], DEFAULT_OPS
	mov ebx, [boot_info]
	test dword [ebx], MB1_INFO_CMDLINE
	jz .done
	mov esi, [ebx + 16]
	mov edi, key_first
	mov ebx, arg_first
	call parse_key
	mov edi, key_seeds
	mov ebx, arg_seeds
	call parse_key
	mov edi, key_ops
	mov ebx, arg_ops
	call parse_key
.done:
	popad
	ret

; parse_key: ESI = the command line, EDI = "key=" (NUL-terminated), EBX =
; where the value goes: the decimal number (1 to 9 digits) after the key at
; the start of a word; the last one wins.  Keeps ESI, EDI, EBX.
parse_key:
	pushad
	mov ebp, esi
	mov dl, ' '                     ; the previous character
.scan:
	mov al, [ebp]
	test al, al
	jz .done
	cmp dl, ' '
	jne .next
	; the key?
	xor ecx, ecx
.key:
	mov ah, [edi + ecx]
	test ah, ah
	jz .matched
	cmp ah, [ebp + ecx]
	jne .next
	inc ecx
	jmp .key
.matched:
	push edx
	lea esi, [ebp + ecx]
	xor eax, eax
	xor ecx, ecx
.digit:
	movzx edx, byte [esi]
	sub edx, '0'
	cmp edx, 9
	ja .number_end
	imul eax, eax, 10
	add eax, edx
	inc esi
	inc ecx
	cmp ecx, 9
	jb .digit
.number_end:
	pop edx
	test ecx, ecx
	jz .not_number
	mov [ebx], eax
.not_number:
	mov al, [ebp]
.next:
	mov dl, al
	inc ebp
	jmp .scan
.done:
	popad
	ret

; --- tables ---------------------------------------------------------------------
section .rodata
key_first:      db "first=", 0
key_seeds:      db "seeds=", 0
key_ops:        db "ops=", 0

name_cpuid:     db "cpuid", 0
name_rdmsr:     db "msr", 0
name_io:        db "io", 0
name_crw:       db "cr-write", 0
name_crr:       db "cr-read", 0
name_dr:        db "dr", 0
name_xsetbv:    db "xsetbv", 0
name_cache:     db "cache", 0
name_vmx:       db "vmx", 0
name_vmcall:    db "vmcall", 0
name_int:       db "int", 0
name_ud:        db "ud", 0
name_hlt:       db "hlt", 0
name_step:      db "step", 0
name_reset:     db "reset", 0

	align 4
op_funcs:
	dd op_cpuid, op_rdmsr, op_io, op_crw, op_crr, op_dr, op_xsetbv
	dd op_cache, op_vmx, op_vmcall, op_int, op_ud, op_hlt, op_step
OP_KINDS        equ ($ - op_funcs) / 4
KIND_RESET      equ OP_KINDS
op_names:
	dd name_cpuid, name_rdmsr, name_io, name_crw, name_crr, name_dr, name_xsetbv
	dd name_cache, name_vmx, name_vmcall, name_int, name_ud, name_hlt, name_step
	dd name_reset

; The draw: each byte a kind (index into op_funcs); CPUID, MSRs and I/O,
; the commonest exits, twice.
op_slots:
	db 0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13
OP_SLOTS        equ $ - op_slots

cr0_bits:       db 1, 2, 3, 5, 16, 18, 29, 30   ; MP EM TS NE WP AM NW CD
CR0_BITS        equ $ - cr0_bits
cr4_bits:       db 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
	db 16, 17, 18, 19, 20, 21, 22, 23, 24
CR4_BITS        equ $ - cr4_bits

	align 4
known_msrs:
	dd 0x10, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x8b, 0x10a, 0x10b, 0x174, 0x175
	dd 0x176, 0x179, 0x1a0, 0x1d9, 0x277, 0x2ff, 0x480, 0x481, 0x48d, 0x491
	dd 0x6e0, 0x802, 0x808, 0x830, 0xc0000080, 0xc0000081, 0xc0000082
	dd 0xc0000084, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103
KNOWN_MSRS      equ ($ - known_msrs) / 4

step_cases:
%assign m 0
%rep STEP_MODES
%assign x 0
%rep STEP_INSNS
	dd step_case_%[m]_%[x]
%assign x x + 1
%endrep
%assign m m + 1
%endrep

vmx_case_funcs:
	dd vmx_case_vmxon, vmx_case_vmclear, vmx_case_vmptrld, vmx_case_vmptrst
	dd vmx_case_vmread, vmx_case_vmwrite, vmx_case_vmlaunch, vmx_case_vmresume
	dd vmx_case_vmxoff, vmx_case_invept, vmx_case_invvpid, vmx_case_vmfunc
	dd vmx_case_monitor, vmx_case_mwait, vmx_case_getsec
VMX_CASES       equ ($ - vmx_case_funcs) / 4

section .data
	align 8
bound_range:    dd 0, 1
ss_selector:    dw DATA_SEL
vmx_region_ptr: dd vmx_region, 0

section .bss
	alignb 4096
vmx_region:     resb 4096
	alignb 16
invalidation_desc: resq 2
IO_BUF_SIZE     equ 64
io_buf:         resb IO_BUF_SIZE
	alignb 8
xcr0_init:      resd 2
xcr0_old:       resd 2
xcr0_new:       resd 2
rng:            resd 1
arg_first:      resd 1
arg_seeds:      resd 1
arg_ops:        resd 1
cur_seed:       resd 1
seeds_left:     resd 1
cur_op:         resd 1
cur_kind:       resd 1
op_arg:         resd 1
op_arg2:        resd 1
canary:         resd 3
vmx_target:     resd 1
step_target:    resd 1
vmcall_args:    resd 3
seed_faults:    resd 1
total_ops:      resd 1
kind_counts:    resd OP_KINDS + 1
cr0_init:       resd 1
cr3_init:       resd 1
cr4_init:       resd 1
io_count:       resd 1
io_size:        resd 1
io_start:       resd 1
io_down:        resb 1
have_xsave:     resb 1
