; v86.asm: an attacker in virtual-8086 mode (CPL 3, entered by IRETD with
; EFLAGS.VM set, SDM Vol. 3A 20.2).  Each piece of v86 code runs one
; instruction and a HLT, which at IOPL 0 traps (#GP) back to ring 0:
;   - VMCALL: it exits to tinyhv whatever the mode, which must refuse it
;     from CPL 3 with #UD and run no hypercall;
;   - VMXON, VMREAD: #UD (the CPU's: no VMX instruction in v86 mode);
;   - CPUID: exits, is emulated, and the v86 code goes on to its HLT;
;   - RDMSR, OUT to the UART and INT 0x80: #GP(0), the CPU's, before any
;     exit (CPL 3, no I/O permission bitmap, IOPL 0).
; The ring-0 side is ring3.inc's (GDT, TSS, trap handlers).
%define GUEST_NAME "v86"
%include "common.inc"

LOW             equ 0x8000              ; where the v86 code runs
%define V86_SEG (LOW >> 4)
%define V86_SP 0x0ff0
%include "ring3.inc"

; V86_EXPECT piece, vector, at, "text": run the piece; PASS when it
; trapped with vector at the piece's label `at` (an offset in the blob)
; from V86_SEG.
%macro V86_EXPECT 4+
	mov edi, %1 - v86_start
	call v86_call
	cmp dword [trap_vector], %2
	jne %%bad
	cmp dword [trap_eip], %3 - v86_start
	jne %%bad
	cmp dword [trap_cs], V86_SEG
	jne %%bad
	PASS %4
	jmp %%done
%%bad:
	call report_trap
	FAIL %4
%%done:
%endmacro

main:
	call ring3_setup
	mov esi, v86_start
	mov edi, LOW
	mov ecx, v86_end - v86_start
	rep movsb
	V86_EXPECT p_vmcall, UD_VECTOR, p_vmcall.insn, "VMCALL in v86 mode raised #UD at the VMCALL"
	cmp dword [trap_eax], HC_NOP
	CHECK e, "VMCALL in v86 mode: EAX still holds the function number (no hypercall ran)"
	V86_EXPECT p_vmxon, UD_VECTOR, p_vmxon, "VMXON in v86 mode raised #UD"
	V86_EXPECT p_vmread, UD_VECTOR, p_vmread, "VMREAD in v86 mode raised #UD"
	V86_EXPECT p_cpuid, GP_VECTOR, p_cpuid.hlt, "CPUID in v86 mode ran (then HLT raised #GP)"
	cmp dword [trap_eax], 0
	CHECK ne, "CPUID in v86 mode: EAX holds the highest leaf"
	V86_EXPECT p_rdmsr, GP_VECTOR, p_rdmsr, "RDMSR in v86 mode raised #GP"
	V86_EXPECT p_out, GP_VECTOR, p_out.insn, "OUT to 0x3ff in v86 mode (no I/O bitmap) raised #GP"
	V86_EXPECT p_int, GP_VECTOR, p_int, "INT 0x80 in v86 mode at IOPL 0 raised #GP"
	cmp dword [trap_error], 0
	CHECK e, "its error code is 0"
	ret

bits 16
v86_start:
p_vmcall:
	mov eax, HC_NOP
.insn:
	vmcall
	hlt
p_vmxon:
	vmxon [vmx_region - v86_start]
	hlt
p_vmread:
	vmread eax, ebx
	hlt
p_cpuid:
	xor eax, eax
	cpuid
.hlt:
	hlt
p_rdmsr:
	rdmsr
	hlt
p_out:
	mov dx, UART_SCR
.insn:
	out dx, al
	hlt
p_int:
	int 0x80
	hlt
	align 16
vmx_region:     times 16 db 0
v86_end:
bits 32
