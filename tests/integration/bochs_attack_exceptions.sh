#!/usr/bin/env bash
# bochs_attack_exceptions: exceptions that a guest can make recur during
# their own delivery cannot hold the CPU (tinyhv intercepts #AC and #DB and
# reflects each delivery attempt; cpu_limit= stops the VM), and the same
# interception leaves a guest's own debugging exact.  One Bochs run:
#  - debug: single step (also over CPUID and HLT, which exit), INT1, a DR0
#    instruction breakpoint and general detect reach the guest's #DB handler once each with the right DR6 bits
#    (DR7.GD cleared), and a ring-3 alignment check its #AC handler once;
#  - ac_loop: #AC in #AC delivery (CVE-2015-5307): stopped by its CPU-time
#    limit, its exit report counting the #AC exits;
#  - a canary (cpuid) passes;
#  - db_loop: #DB in #DB delivery through a data breakpoint on the 64-bit
#    IST stack (CVE-2015-8104): stopped by its limit, #DB exits counted;
#  - a canary (cpuid) passes.
# Usage: bash tests/integration/bochs_attack_exceptions.sh BUILD_DIR
set -euo pipefail

LIMIT_MS=500
MIN_LOOP_EXITS=1000  # a loop makes thousands of exception exits in its limit
RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_exceptions "$@"
gt_add debug debug
gt_add ac_loop ac_loop
gt_add cpuid cpuid-after-ac
gt_add db_loop db_loop
gt_add cpuid cpuid-after-db
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=$LIMIT_MS" \
	"${GT_MODULES[@]}"

LIMIT_END="stopped: CPU time limit of $LIMIT_MS ms used up, at RIP 0x[0-9a-f]+\$"

# exception_exits TAG VECTOR: the count on the "exception N (#XX)" line of
# TAG's exit report (after its end line, IT_LINE).
exception_exits() {
	sed -n "$((IT_LINE + 1)),\$p" "$IT_CLEAN" |
		sed -n "/^vm [0-9]* ($1): [0-9]* VM exits\$/,/^[^ ]/p" |
		grep -E "^    exception +$2 \\(" | awk '{print $NF}' | head -1
}

check_loop_exits() {
	local tag=$1 vector=$2 n
	n=$(exception_exits "$tag" "$vector")
	[[ -n $n ]] || it_fail "vm $tag: no exception $vector line in its exit report"
	((n >= MIN_LOOP_EXITS)) || it_fail "vm $tag: only $n exits for exception $vector"
	echo "$IT_NAME: $tag: $n exception $vector exits before its CPU-time limit" >&2
}

gt_guest debug debug
gt_pass "single step: the #DB handler ran once" \
	"single step: DR6.BS set, B0-B3 and BD clear" \
	"single step: saved EIP after the stepped instruction" \
	"single step over CPUID: the #DB handler ran once" \
	"single step over CPUID: saved EIP after the CPUID" "single step over CPUID: DR6.BS set" \
	"single step over HLT (interrupts off): the #DB handler ran once" \
	"single step over HLT: saved EIP after the HLT" \
	"INT1: the #DB handler ran once" \
	"INT1: saved EIP after the one-byte instruction" \
	"INT1: DR6 has no B0-B3, BD or BS" \
	"instruction breakpoint: the #DB handler ran once" \
	"instruction breakpoint: DR6.B0 set, BD and BS clear" \
	"instruction breakpoint: saved EIP at the instruction (a fault)" \
	"instruction breakpoint: the instruction ran once after the handler (RF)" \
	"general detect: the #DB handler ran once" \
	"general detect: DR6.BD set, B0-B3 and BS clear" \
	"general detect: saved EIP at the MOV from DR0 (a fault)" \
	"general detect: DR7.GD cleared on entering the handler" \
	"alignment check: the #AC handler ran once" \
	"alignment check: error code 0" \
	"alignment check: saved EIP at the misaligned load" \
	"alignment check: saved CS is ring 3's" \
	"all debug and alignment exceptions reached the guest's handlers"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_guest ac_loop ac_loop
gt_says_re "ring 3, CR0\\.AM, EFLAGS\\.AC, ESP misaligned"
gt_end "$LIMIT_END"
check_loop_exits ac_loop 17

gt_canary cpuid-after-ac

gt_guest db_loop db_loop
gt_says_re "64-bit mode, #DB on IST 1"
gt_end "$LIMIT_END"
if grep -qE '^\[db_loop\] db_loop: the #DB handler ran' "$IT_CLEAN"; then
	it_fail "db_loop: the #DB handler ran: the emulator did not raise #DB during the #DB delivery"
fi
check_loop_exits db_loop 1

gt_canary cpuid-after-db

gt_finish
