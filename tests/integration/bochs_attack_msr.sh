#!/usr/bin/env bash
# bochs_attack_msr: the attacker msr_probe reads every MSR index of the MSR
# bitmap's ranges (0..0x1fff, 0xc0000000..0xc0001fff) and a sample beyond
# them, writes each readable one back and WRMSRs 0 to every other, looking
# for a host value (the TSC among them: the guest's starts near 0 with its
# VM); a canary (cpuid) runs before it (so that the host's TSC is well past
# 0 when msr_probe starts) and one after it.  msr_probe runs on a bare
# machine (platform=none): its table of the MSRs tinyhv emulates has no
# local APIC's.
# Usage: bash tests/integration/bochs_attack_msr.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_msr "$@"
gt_add cpuid cpuid-before
gt_add msr_probe "msr_probe,platform=none"
gt_add cpuid cpuid-after
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=60000" \
	"${GT_MODULES[@]}"

gt_canary cpuid-before

gt_guest msr_probe msr_probe
gt_pass "the guest's TSC starts near 0 with the VM (under 2^26 ticks at main), not the host's" \
	"RDMSR 0x10 (IA32_TSC) agrees with RDTSC (same offset, later, under 2^24 ticks apart)" \
	"every faulting RDMSR and WRMSR raised #GP with error code 0" \
	"WRMSR of 0 to every index whose RDMSR faulted raised #GP" \
	"every index either read or raised #GP" \
	"no more than 64 indexes readable" \
	"every readable index is an MSR tinyhv emulates or passes through (no other reaches the guest)" \
	"each readable MSR takes back the value read and reads it again (read-only: PLATFORM_ID, FEATURE_CONTROL, MTRRCAP, MCG_CAP: #GP)" \
	"IA32_FEATURE_CONTROL (0x3a) is locked with VMX off (bits 2:0 = 001)" \
	"RDMSR of each IA32_VMX_* capability MSR (0x480-0x491) raised #GP" \
	"SYSENTER_CS/ESP/EIP, STAR, LSTAR, CSTAR, FMASK, KERNEL_GS_BASE, TSC_AUX read 0 (reset), not the host's"
gt_says_re "summary: 17107 MSR indexes probed, [0-9]+ readable, [0-9]+ raised #GP on RDMSR; [0-9]+ WRMSRs of 0 to those raised #GP\$"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_canary cpuid-after

gt_finish
