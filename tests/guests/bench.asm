; bench.asm: the cost of what exits to tinyhv, in TSC ticks: N iterations
; each of CPUID (leaf 0), VMCALL HC_NOP, OUT to the UART scratch register
; 0x3ff, and an empty loop for the loop's own cost.  N comes from the
; command line ("n=NUMBER", default 10000).  Prints, for each loop,
;   bench: NAME N iterations, mean M cycles
; (M = integer mean of the RDTSC difference around the loop).
;
; Natively (booted by GRUB's `multiboot` command, no tinyhv) the VMCALL
; loop is skipped ("bench: vmcall n/a (native)") and the guest ends by
; writing "Shutdown" to Bochs's port 0x8900; under tinyhv it ends with
; HC_EXIT 0.  (Not an integration test: for the benchmark script.)
%define GUEST_NAME "bench"
%include "common.inc"

DEFAULT_N       equ 10000
%include "bench.inc"

main:
	call parse_cmdline
	SAY "iterations "
	DEC dword [iterations]
	NL

	BENCH_START
.cpuid:
	xor eax, eax
	cpuid
	dec esi
	jnz .cpuid
	BENCH_END "cpuid"

	cmp byte [hv_present], 0
	jne .vmcall
	LINE "vmcall n/a (native)"
	jmp .out
.vmcall:
	BENCH_START
.vmcall_loop:
	mov eax, HC_NOP
	vmcall
	dec esi
	jnz .vmcall_loop
	BENCH_END "vmcall"

.out:
	BENCH_START
	mov dx, UART_SCR                ; (rdtsc took EDX)
.out_loop:
	out dx, al
	dec esi
	jnz .out_loop
	BENCH_END "out"

	BENCH_START
.loop:
	dec esi
	jnz .loop
	BENCH_END "loop"
	ret
