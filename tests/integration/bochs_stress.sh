#!/usr/bin/env bash
# bochs_stress: the random-exit stress guest (tests/guests/stress.asm) over
# many seeds in one Bochs run, then a canary guest (cpuid) that must pass:
#  - each seed's line "stress: seed S: K ops, F faults", in order (a hang
#    or a hypervisor crash shows as the first missing one);
#  - no FAIL line, the guest's "done, all checks passed" and its end by
#    HC_EXIT with status 0;
#  - the canary's end, "all guests ended", and the machine powered off by
#    itself.
# scripts/stress runs more seeds the same way.
# Usage: bash tests/integration/bochs_stress.sh BUILD_DIR
# The stress guest runs on a bare machine (platform=none): its port and
# MSR operations expect no PC platform behind them.
set -euo pipefail

FIRST=1
SEEDS=500
OPS=100
RUN_TIMEOUT=240      # seconds; below the ctest TIMEOUT (300)
HYPERCALL_OK='ended by hypercall, status 0$'

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_stress "$@"
gt_add stress "stress,platform=none" first=$FIRST seeds=$SEEDS ops=$OPS
gt_add cpuid cpuid
# console_rate=0: the seed lines come faster than the default rate's burst.
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn console_rate=0" "${GT_MODULES[@]}"

gt_guest stress stress
gt_says_re "first $FIRST, seeds $SEEDS, ops $OPS, XSAVE [01]\$"
fail=$(grep -m1 -E '^\[stress\] stress: FAIL seed ' "$IT_CLEAN" || true)
[[ -z $fail ]] || it_fail "a seed failed (the first FAIL line): $fail"
# Every seed's line, in order.
last=$((FIRST + SEEDS - 1))
got=$(sed -n "${GT_START},\$p" "$IT_CLEAN" |
	sed -nE "s/^\\[stress\\] stress: seed ([0-9]+): $OPS ops, [0-9]+ faults\$/\\1/p")
want=$(seq "$FIRST" "$last")
if [[ $got != "$want" ]]; then
	missing=$(comm -13 <(sort <<<"$got") <(sort <<<"$want") | sort -n | head -n 1)
	it_fail "the seed lines are not seeds $FIRST to $last in order (first missing: ${missing:-none}; $(wc -l <<<"$got") lines)"
fi
echo "$IT_NAME: all $SEEDS seed lines ($FIRST to $last) found" >&2
gt_says_re "seed $last: $OPS ops, [0-9]+ faults\$"
gt_says_re "faults [0-9]+, by vector: .*interrupts 0x20-0xff: [0-9]+\$"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest cpuid cpuid
gt_pass "VMX bit (CPUID.1:ECX[5]) is clear" \
	"signature (CPUID.0x40000000 EBX,ECX,EDX) is TinyHVTinyHV" \
	"HC_PRINT returned 0"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_finish
