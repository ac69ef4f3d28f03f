#!/usr/bin/env bash
# bochs_attack_hcall: the attacker hcall_abuse calls every hypercall with
# bad arguments (HC_PRINT buffers at, across and beyond the end of RAM and
# wrapping past 4 GiB, lengths 0, 4097 and huge; HC_TIMER's bad vectors and
# a saturated delay; unknown function numbers 5..0xffffffff): each returns
# the documented error (docs/HYPERCALLS.md) with the other registers
# preserved, and the VM goes on; a canary (cpuid) passes after it.
# Usage: bash tests/integration/bochs_attack_hcall.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_hcall "$@"
gt_add hcall_abuse hcall_abuse
gt_add cpuid cpuid-after
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=60000" \
	"${GT_MODULES[@]}"

gt_guest hcall_abuse hcall_abuse
gt_pass "HC_PRINT of 16 bytes at the end of RAM returned -3" \
	"HC_PRINT of 16 bytes straddling the end of RAM returned -3" \
	"HC_PRINT of 2 bytes from the last byte of RAM returned -3" \
	"HC_PRINT of 4096 bytes, one past the end of RAM, returned -3" \
	"HC_PRINT at 0xc0000000 (beyond RAM) returned -3" \
	"HC_PRINT at 0xfffffff0 of 32 bytes (wrapping past 4 GiB) returned -3" \
	"HC_PRINT of 1 byte at 0xffffffff returned -3" \
	"HC_PRINT of length 0xffffffff returned -1" \
	"HC_PRINT of length 4097 returned -1" \
	"HC_PRINT of length 0x80000000 returned -1" \
	"HC_PRINT of length 0 returned 0" \
	"HC_PRINT of the last 4096 bytes of RAM (the maximum) returned 0" \
	"HC_TIMER with vector 0 returned -1" \
	"HC_TIMER with vector 31 returned -1" \
	"HC_TIMER with vector 256 returned -1" \
	"HC_TIMER with vector 0x80000020 returned -1" \
	"HC_TIMER with vector 0xffffffff returned -1" \
	"HC_TIMER with vector 0x20 and delay 2^64-1 returned 0" \
	"the timer with delay 2^64-1 did not fire (saturated, not wrapped to the past)" \
	"HC_TIMER with vector 0x41 and delay 0 returned 0" \
	"delay 0 fired once at the HLT, in place of the saturated one (one HC_TIMER per vCPU)" \
	"every unknown function number (edge values and 256 sampled in 5..0xffffffff) returned -2, registers preserved" \
	"HC_NOP with all-ones arguments returned 0: the VM goes on"
gt_says "this line is the last 64 bytes of the guest's RAM." "unknown function numbers called: 274"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'
# The maximum-length print: 63 lines of 63 'x' before the guest's line.
xs=$(sed -n "${GT_START},${GT_AFTER}p" "$IT_CLEAN" | grep -cE '^\[hcall_abuse\] x{63}$' || true)
((xs == 63)) || it_fail "the 4096-byte HC_PRINT showed $xs lines of 63 'x', not 63"
it_expect_none '^\[hcall_abuse\] hcall_abuse: FAIL this must not be printed' "a refused HC_PRINT printed"

gt_canary cpuid-after

gt_finish
