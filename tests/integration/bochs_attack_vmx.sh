#!/usr/bin/env bash
# bochs_attack_vmx: the attacker vmx_all_modes runs every VMX instruction
# (VMXON, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE, VMLAUNCH, VMRESUME,
# VMXOFF, INVEPT, INVVPID, VMFUNC) and GETSEC at ring 0 and at ring 3: each
# raises #UD in the guest at the instruction (most exit to tinyhv whatever
# the CPL), and CR4.VMXE/SMXE cannot be set.  The attacker realmode does
# the same in real-address mode (where the CPU itself raises #UD for most)
# and makes tinyhv inject #GP there (RDMSR, MOV to CR4): real mode pushes
# no error code, and an injected one would make the VM entry fail.  The
# attacker longmode does it in 64-bit mode, after trying the writes that
# would make EFER.LMA, CR0.PG and CR4.PAE disagree (each #GP(0), never a
# failed VM entry).  The attacker v86 runs VMCALL (which tinyhv must
# refuse from CPL 3 with #UD), VMXON, VMREAD, CPUID (emulated), RDMSR, OUT
# and INT in virtual-8086 mode.  A canary (cpuid) passes after them.
# Usage: bash tests/integration/bochs_attack_vmx.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_vmx "$@"
gt_add vmx_all_modes vmx_all_modes
gt_add realmode realmode
gt_add longmode longmode
gt_add v86 v86
gt_add cpuid cpuid-after
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=30000" \
	"${GT_MODULES[@]}"

gt_guest vmx_all_modes vmx_all_modes
gt_pass "CPUID.1:ECX.VMX[5] is clear" "CPUID.1:ECX.SMX[6] is clear"
for insn in "VMXON [mem]" "VMCLEAR [mem]" "VMPTRLD [mem]" "VMPTRST [mem]" \
	"VMREAD reg, reg" "VMREAD [mem], reg" "VMWRITE reg, reg" "VMWRITE reg, [mem]" \
	VMLAUNCH VMRESUME VMXOFF INVEPT INVVPID VMFUNC GETSEC; do
	gt_pass "$insn at ring 0 raised #UD" \
		"$insn at ring 3 raised #UD (saved EIP at the instruction, CS 0x1b)"
done
gt_pass "MOV to CR4 setting VMXE raised #GP(0)" "MOV to CR4 setting SMXE raised #GP(0)" \
	"CR4 unchanged by the refused writes"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'
# The #UD at ring 3 was the hypervisor's: those instructions exit in VMX
# non-root operation whatever the CPL, once at ring 0 and once at ring 3
# (VMREAD and VMWRITE twice each); VMFUNC and GETSEC #UD in the CPU.
report=$(sed -n "$((GT_AFTER + 1)),\$p" "$IT_CLEAN" | sed -n '/^vm [0-9]* (vmx_all_modes): [0-9]* VM exits$/,/^[^ ]/p')
for want in VMXON:2 VMCLEAR:2 VMPTRLD:2 VMPTRST:2 VMREAD:4 VMWRITE:4 VMLAUNCH:2 \
	VMRESUME:2 VMXOFF:2 INVEPT:2 INVVPID:2; do
	n=$(awk -v r="${want%:*}" '$1 == r {print $2}' <<<"$report")
	[[ $n == "${want#*:}" ]] || it_fail "vmx_all_modes: ${n:-no} ${want%:*} exits, not ${want#*:}"
done

gt_guest realmode realmode
gt_says "back in protected mode"
gt_pass "RDMSR 0x1234 in real mode raised #GP, no error code pushed" \
	"MOV CR4 with VMXE in real mode raised #GP, no error code pushed"
for insn in VMXON VMCLEAR VMPTRLD VMPTRST VMREAD VMWRITE VMLAUNCH VMRESUME VMXOFF \
	INVEPT INVVPID VMFUNC GETSEC; do
	gt_pass "$insn in real mode raised #UD"
done
gt_pass "CPUID in real mode raised nothing" "VMCALL HC_NOP at CPL 0 in real mode returned 0"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_guest longmode longmode
gt_pass "CR0.PG with EFER.LME set and CR4.PAE clear raised #GP(0)" "paging is still off" \
	"MOV to CR4 clearing PAE in 64-bit mode raised #GP" \
	"MOV to CR0 clearing PG in 64-bit code raised #GP" \
	"WRMSR EFER clearing LME with paging on raised #GP" \
	"RDMSR 0x1234 in 64-bit mode raised #GP" \
	"MOV to CR4 setting VMXE in 64-bit mode raised #GP" \
	"still in IA-32e mode after the refused writes (EFER.LMA)" \
	"VMCALL HC_NOP at CPL 0 in 64-bit mode returned 0" \
	"back in 32-bit protected mode: EFER.LMA clear" \
	"the #GP of RDMSR pushed RFLAGS with RF set" "the #UD of VMXON pushed RFLAGS with RF set"
for insn in VMXON VMCLEAR VMPTRLD VMPTRST VMREAD VMWRITE VMLAUNCH VMRESUME VMXOFF \
	INVEPT INVVPID VMFUNC GETSEC; do
	gt_pass "$insn in 64-bit mode raised #UD"
done
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_guest v86 v86
gt_pass "VMCALL in v86 mode raised #UD at the VMCALL" \
	"VMCALL in v86 mode: EAX still holds the function number (no hypercall ran)" \
	"VMXON in v86 mode raised #UD" "VMREAD in v86 mode raised #UD" \
	"CPUID in v86 mode ran (then HLT raised #GP)" "CPUID in v86 mode: EAX holds the highest leaf" \
	"RDMSR in v86 mode raised #GP" "OUT to 0x3ff in v86 mode (no I/O bitmap) raised #GP" \
	"INT 0x80 in v86 mode at IOPL 0 raised #GP" "its error code is 0"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_canary cpuid-after

gt_finish
