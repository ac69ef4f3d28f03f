#!/usr/bin/env bash
# bochs_smp_sched: guests that share a CPU are time-sliced (hv/sched.h).
#   run 1, fairness: hog guests (tests/guests/hog.asm) count loop blocks
#     until their TSC reaches 2e8.  "solo" has CPU 0 to itself; hogA and
#     hogB are pinned to CPU 1: each must get half of a CPU, within 10
#     percent, measured by its count against solo's.
#   run 2, a spinning guest on a shared CPU: spin (cli; jmp $, no exit
#     ever) shares CPU 1 with memB; the preemption timer still takes the
#     CPU back every slice, memB and memA (CPU 0) finish their work, and
#     spin is stopped by its own CPU-time limit (cpu_limit=, which counts
#     only the time it had the CPU).
# Usage: bash tests/integration/bochs_smp_sched.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=140      # seconds per run; two runs below the ctest TIMEOUT (300)
LIMIT_MS=3000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

# count_of TAG: the hog's count.
count_of() {
	it_expect "^\\[$1\\] hog: count [0-9]+$"
	sed -n "${IT_LINE}p" "$IT_CLEAN" | grep -oE '[0-9]+$'
}

gt_init bochs_smp_sched "$@"
gt_add hog "solo,cpus=0"
gt_add hog "hogA,cpus=1"
gt_add hog "hogB,cpus=1"
it_run --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
it_expect '^vm [0-9]+ \(solo\): starting on CPU 0'
it_expect '^vm [0-9]+ \(hogA\): starting on CPU 1'
it_expect '^vm [0-9]+ \(hogB\): starting on CPU 1'
solo=$(count_of solo)
for tag in hogA hogB; do
	n=$(count_of $tag)
	# n / solo within 0.45..0.55: 20 n >= 9 solo and 20 n <= 11 solo.
	if ((20 * n < 9 * solo || 20 * n > 11 * solo)); then
		it_fail "$tag got $n blocks against solo's $solo: not half a CPU within 10 percent"
	fi
	echo "$IT_NAME: $tag got $n blocks, solo $solo: $((1000 * n / solo)) per mille" >&2
	it_expect "^vm [0-9]+ \\($tag\\): ended by hypercall, status 0$"
done
it_expect '^all guests ended$'
it_expect_ended_by_itself

GT_MODULES=()
gt_add memfill "memA,mem=16" A
gt_add memfill "memB,mem=16,cpus=1" B
gt_add spin "spin,cpus=1"
it_run --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" --cmdline "cpu_limit=$LIMIT_MS" \
	"${GT_MODULES[@]}"
it_expect '^vm [0-9]+ \(spin\): starting on CPU 1'
it_expect '^\[spin\] spin: cli; jmp \$: only a CPU-time limit stops this$'
spin_start=$IT_LINE
for tag in memA memB; do
	it_expect "^\\[$tag\\] memfill: PASS every pass read back its own pattern$"
	it_expect "^vm [0-9]+ \\($tag\\): ended by hypercall, status 0$"
done
it_expect "^\\[memB\\] memfill: pass 1 of 3"
((IT_LINE > spin_start)) || it_fail "memB did not go on once spin was spinning"
it_expect "^vm [0-9]+ \\(spin\\): stopped: CPU time limit of $LIMIT_MS ms used up, at RIP 0x[0-9a-f]+$"
it_expect_none 'FAIL' "a guest failed"
it_expect '^all guests ended$'
it_expect_ended_by_itself
it_pass
