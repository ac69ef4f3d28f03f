; msr_probe.asm: an attacker that reads every MSR in the ranges the MSR
; bitmap covers (0..0x1fff and 0xc0000000..0xc0001fff) and a sample beyond
; them, looking for anything of the host's.
;  - The guest's TSC is its own: it starts near 0 with the VM (RDTSC and
;    RDMSR 0x10 at the start of main, under 2^26 ticks), and RDMSR 0x10
;    agrees with RDTSC.
;  - Every index that reads is one tinyhv emulates or passes through (a
;    list below); each is written back with the value read and read again
;    (the TSC aside, which moves); IA32_PLATFORM_ID, IA32_FEATURE_CONTROL,
;    IA32_MTRRCAP and IA32_MCG_CAP alone refuse the write-back (read-only).
;  - IA32_FEATURE_CONTROL reads locked with VMX off; IA32_VMX_* (0x480-0x491)
;    raise #GP; SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR, FMASK,
;    KERNEL_GS_BASE and TSC_AUX read 0 (their reset value, not the host's).
;  - Every RDMSR that faults raises #GP(0), and a WRMSR of 0 to each of
;    those indexes raises #GP(0) too.
; A summary line counts the readable and faulting indexes.  The #GP
; handler is a quiet one (no line per fault): it notes the fault and skips
; the two-byte RDMSR/WRMSR.
%define GUEST_NAME "msr_probe"
%include "common.inc"

GP_VECTOR       equ 13
TSC_START_MAX   equ 1 << 26         ; ticks from VM start to main, at most
TSC_AGREE_MAX   equ 1 << 24         ; RDMSR 0x10 - RDTSC just before, at most
MAX_READABLE    equ 64
IA32_TSC        equ 0x10
IA32_PLATFORM_ID equ 0x17
IA32_FEATURE_CONTROL equ 0x3a
IA32_MTRRCAP    equ 0xfe
IA32_MCG_CAP    equ 0x179

main:
	mov eax, GP_VECTOR
	mov edx, gp_quiet
	call set_gate

	call check_tsc

	; The two ranges of the MSR bitmap, then indexes beyond them.
	mov esi, 0
	mov edi, 0x2000
	call probe_range
	mov esi, 0xc0000000
	mov edi, 0xc0002000
	call probe_range
	mov ebx, beyond_ranges
.beyond:
	mov esi, [ebx]
	mov edi, [ebx + 4]
	test edi, edi
	jz .beyond_done
	call probe_range
	add ebx, 8
	jmp .beyond
.beyond_done:

	SAY "summary: "
	DEC dword [probed]
	PUTS " MSR indexes probed, "
	DEC dword [readable]
	PUTS " readable, "
	DEC dword [gp_on_read]
	PUTS " raised #GP on RDMSR; "
	DEC dword [gp_on_write]
	PUTS " WRMSRs of 0 to those raised #GP", 10
	call list_readable

	; Every RDMSR fault was #GP(0); WRMSR 0 to each of them too.
	cmp dword [bad_error], 0
	CHECK e, "every faulting RDMSR and WRMSR raised #GP with error code 0"
	mov eax, [gp_on_read]
	cmp eax, [gp_on_write]
	CHECK e, "WRMSR of 0 to every index whose RDMSR faulted raised #GP"
	mov eax, [readable]
	add eax, [gp_on_read]
	cmp eax, [probed]
	CHECK e, "every index either read or raised #GP"
	cmp dword [table_full], 0
	CHECK e, "no more than 64 indexes readable"

	call check_readable_known
	call check_write_back
	call check_feature_control
	call check_vmx_msrs
	call check_reset_zero

	; The default gate again for vector 13.
	mov eax, GP_VECTOR
	mov edx, isr_stubs + GP_VECTOR * 16
	call set_gate
	ret

; gp_quiet: #GP from try_rdmsr/try_wrmsr: note it, skip the instruction.
gp_quiet:
	cmp dword [esp], 0
	je .err_ok
	inc dword [bad_error]
.err_ok:
	add esp, 4                      ; the error code
	mov byte [gp_flag], 1
	add dword [esp], 2              ; RDMSR and WRMSR are 0f 32 / 0f 30
	iretd

; try_rdmsr: ECX = index -> EDX:EAX, ZF clear when it faulted.
try_rdmsr:
	mov byte [gp_flag], 0
	xor eax, eax
	xor edx, edx
	rdmsr
	cmp byte [gp_flag], 0
	ret

; try_wrmsr: ECX = index, EDX:EAX = value; ZF clear when it faulted.
try_wrmsr:
	mov byte [gp_flag], 0
	wrmsr
	cmp byte [gp_flag], 0
	ret

; check_tsc: RDTSC then RDMSR 0x10, both small and in agreement.
check_tsc:
	rdtsc
	mov [tsc_rdtsc], eax
	mov [tsc_rdtsc + 4], edx
	mov ecx, IA32_TSC
	call try_rdmsr
	mov [tsc_rdmsr], eax
	mov [tsc_rdmsr + 4], edx
	SAY "TSC at the start of main: RDTSC "
	HEX dword [tsc_rdtsc + 4]
	PUTS ":"
	HEX dword [tsc_rdtsc]
	PUTS ", then RDMSR 0x10 "
	HEX dword [tsc_rdmsr + 4]
	PUTS ":"
	HEX dword [tsc_rdmsr]
	NL
	cmp dword [tsc_rdtsc + 4], 0
	jne .big
	cmp dword [tsc_rdtsc], TSC_START_MAX
	jae .big
	PASS "the guest's TSC starts near 0 with the VM (under 2^26 ticks at main), not the host's"
	jmp .agree
.big:
	FAIL "the guest's TSC starts near 0 with the VM (under 2^26 ticks at main), not the host's"
.agree:
	mov eax, [tsc_rdmsr]
	mov edx, [tsc_rdmsr + 4]
	sub eax, [tsc_rdtsc]
	sbb edx, [tsc_rdtsc + 4]
	jb .disagree                    ; RDMSR went backwards
	test edx, edx
	jnz .disagree
	cmp eax, TSC_AGREE_MAX
	jae .disagree
	PASS "RDMSR 0x10 (IA32_TSC) agrees with RDTSC (same offset, later, under 2^24 ticks apart)"
	ret
.disagree:
	FAIL "RDMSR 0x10 (IA32_TSC) agrees with RDTSC (same offset, later, under 2^24 ticks apart)"
	ret

; probe_range: indexes ESI .. EDI - 1.  A readable index is recorded and
; written back; a faulting one gets a WRMSR of 0, which must fault too.
probe_range:
	pushad
.next:
	mov ecx, esi
	inc dword [probed]
	call try_rdmsr
	jnz .faulted
	inc dword [readable]
	mov ebx, [nr_table]
	cmp ebx, MAX_READABLE
	jb .room
	mov dword [table_full], 1
	jmp .step
.room:
	shl ebx, 4
	mov [table + ebx], esi          ; index
	mov [table + ebx + 4], eax      ; value read
	mov [table + ebx + 8], edx
	call try_wrmsr                  ; write the value back
	setnz al
	movzx eax, al
	mov [table + ebx + 12], eax     ; 1: write-back refused
	jnz .recorded
	; Read again: the same value (the TSC moves: not compared).
	mov ecx, esi
	call try_rdmsr
	jnz .reread_bad
	cmp esi, IA32_TSC
	je .recorded
	cmp eax, [table + ebx + 4]
	jne .reread_bad
	cmp edx, [table + ebx + 8]
	je .recorded
.reread_bad:
	or dword [table + ebx + 12], 2  ; 2: changed by its own write-back
.recorded:
	inc dword [nr_table]
	jmp .step
.faulted:
	inc dword [gp_on_read]
	mov ecx, esi
	xor eax, eax
	xor edx, edx
	call try_wrmsr
	jz .write_accepted
	inc dword [gp_on_write]
	jmp .step
.write_accepted:
	SAY "FAIL WRMSR 0 to "
	HEX esi
	PUTS " (its RDMSR raised #GP) was accepted", 10
	inc dword [fail_count]
.step:
	inc esi
	cmp esi, edi
	jne .next
	popad
	ret

; list_readable: one line per readable index.
list_readable:
	pushad
	xor ebx, ebx
.next:
	cmp ebx, [nr_table]
	jae .done
	mov esi, ebx
	shl esi, 4
	SAY "readable "
	HEX dword [table + esi]
	PUTS " = "
	HEX dword [table + esi + 8]
	PUTS ":"
	HEX dword [table + esi + 4]
	test dword [table + esi + 12], 1
	jnz .refused
	test dword [table + esi + 12], 2
	jnz .changed
	PUTS ", written back", 10
	jmp .step
.refused:
	PUTS ", write-back raised #GP", 10
	jmp .step
.changed:
	PUTS ", written back, then read a different value", 10
.step:
	inc ebx
	jmp .next
.done:
	popad
	ret

; check_readable_known: every readable index is on the known list.
check_readable_known:
	pushad
	xor ebx, ebx
	xor ebp, ebp                    ; unknown ones
.next:
	cmp ebx, [nr_table]
	jae .done
	mov esi, ebx
	shl esi, 4
	mov eax, [table + esi]
	mov edi, known_msrs
.search:
	mov ecx, [edi]
	cmp ecx, 0xffffffff
	je .unknown
	cmp ecx, eax
	je .step
	add edi, 4
	jmp .search
.unknown:
	inc ebp
	SAY "readable index "
	HEX eax
	PUTS " is not one tinyhv emulates or passes through", 10
.step:
	inc ebx
	jmp .next
.done:
	test ebp, ebp
	CHECK z, "every readable index is an MSR tinyhv emulates or passes through (no other reaches the guest)"
	popad
	ret

; check_write_back: only IA32_PLATFORM_ID, IA32_FEATURE_CONTROL, IA32_MTRRCAP
; and IA32_MCG_CAP refused
; their own value; none read back differently.
check_write_back:
	pushad
	xor ebx, ebx
	xor ebp, ebp
.next:
	cmp ebx, [nr_table]
	jae .done
	mov esi, ebx
	shl esi, 4
	mov eax, [table + esi + 12]
	cmp dword [table + esi], IA32_PLATFORM_ID
	je .read_only
	cmp dword [table + esi], IA32_FEATURE_CONTROL
	je .read_only
	cmp dword [table + esi], IA32_MTRRCAP
	je .read_only
	cmp dword [table + esi], IA32_MCG_CAP
	jne .other
.read_only:
	cmp eax, 1                      ; refused, as a read-only MSR
	je .step
	inc ebp
	jmp .step
.other:
	test eax, eax
	jz .step
	inc ebp
.step:
	inc ebx
	jmp .next
.done:
	test ebp, ebp
	CHECK z, "each readable MSR takes back the value read and reads it again (read-only: PLATFORM_ID, FEATURE_CONTROL, MTRRCAP, MCG_CAP: #GP)"
	popad
	ret

check_feature_control:
	mov ecx, IA32_FEATURE_CONTROL
	call try_rdmsr
	jnz .bad
	SAY "IA32_FEATURE_CONTROL (0x3a) = "
	HEX edx
	PUTS ":"
	HEX eax
	NL
	and eax, 7
	cmp eax, 1
	jne .bad
	PASS "IA32_FEATURE_CONTROL (0x3a) is locked with VMX off (bits 2:0 = 001)"
	ret
.bad:
	FAIL "IA32_FEATURE_CONTROL (0x3a) is locked with VMX off (bits 2:0 = 001)"
	ret

check_vmx_msrs:
	mov esi, 0x480
	xor ebp, ebp
.next:
	mov ecx, esi
	call try_rdmsr
	jnz .step
	inc ebp
.step:
	inc esi
	cmp esi, 0x492
	jne .next
	test ebp, ebp
	CHECK z, "RDMSR of each IA32_VMX_* capability MSR (0x480-0x491) raised #GP"
	ret

; check_reset_zero: MSRs that pass through or are switched per vCPU read
; their reset value 0, not the host's.
check_reset_zero:
	pushad
	mov ebx, zero_msrs
	xor ebp, ebp
.next:
	mov esi, [ebx]
	cmp esi, 0xffffffff
	je .done
	mov ecx, esi
	call try_rdmsr
	jnz .step                       ; absent (TSC_AUX without RDTSCP)
	or eax, edx
	jz .step
	inc ebp
	SAY "MSR "
	HEX esi
	PUTS " is not 0 at start", 10
.step:
	add ebx, 4
	jmp .next
.done:
	test ebp, ebp
	CHECK z, "SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE, TSC_AUX read 0 (reset), not the host's"
	popad
	ret

section .rodata
	align 4
; [start, end) pairs beyond the MSR bitmap's ranges; 0, 0 ends.
beyond_ranges:
	dd 0x00002000, 0x00002010
	dd 0x40000000, 0x40000110       ; hypervisor ranges (Hyper-V, KVM's CPUID base)
	dd 0x4b564d00, 0x4b564d10       ; KVM's paravirtual MSRs
	dd 0x80000000, 0x80000004
	dd 0xc0002000, 0xc0002010
	dd 0xc0010000, 0xc0010140       ; AMD's ranges
	dd 0xc0011000, 0xc0011040
	dd 0xfffffff0, 0xffffffff
	dd 0, 0
known_msrs:
	dd 0x10, 0x17, 0x3a, 0x3b, 0x8b, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x1a0, 0x1d9, 0x277
	dd 0xfe, 0x2ff                  ; MTRRCAP, MTRR_DEF_TYPE (virtual MTRRs)
	dd 0x200, 0x201, 0x202, 0x203, 0x204, 0x205, 0x206, 0x207   ; variable ranges
	dd 0x208, 0x209, 0x20a, 0x20b, 0x20c, 0x20d, 0x20e, 0x20f
	dd 0x250, 0x258, 0x259          ; fixed ranges
	dd 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f
	dd 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084
	dd 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103
	dd 0xffffffff
zero_msrs:
	dd 0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084
	dd 0xc0000102, 0xc0000103
	dd 0xffffffff

section .bss
	alignb 8
tsc_rdtsc:      resq 1
tsc_rdmsr:      resq 1
probed:         resd 1
readable:       resd 1
gp_on_read:     resd 1
gp_on_write:    resd 1
bad_error:      resd 1
nr_table:       resd 1
table_full:     resd 1
table:          resb MAX_READABLE * 16   ; index, value low, high, flags
gp_flag:        resb 1
