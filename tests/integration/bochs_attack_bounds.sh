#!/usr/bin/env bash
# bochs_attack_bounds: guests that try to keep the CPU or drown the console
# are bounded, and the guests after them run (cpu_limit=, console_rate=):
#  - spin (cli; jmp $, no VM exit ever) is stopped by its CPU-time limit;
#  - flood (console lines without end) shows console_rate's burst of lines,
#    then a count of those not shown, and is stopped by its limit;
#  - after each, a canary guest (cpuid) passes.
# Usage: bash tests/integration/bochs_attack_bounds.sh BUILD_DIR
set -euo pipefail

LIMIT_MS=300
RATE=5           # lines a second: a burst of 50 lines
SPIN_END_RE="^vm 1 \(spin\): stopped: CPU time limit of $LIMIT_MS ms used up, at RIP 0x[0-9a-f]+$"
FLOOD_LINE_RE='^\[flood\] flood: a line of the flood$'
FLOOD_DROPPED_RE='^\[flood\] \([0-9]+ lines over console_rate not shown\)$'
FLOOD_END_RE="^vm 3 \(flood\): stopped: CPU time limit of $LIMIT_MS ms used up, at RIP 0x[0-9a-f]+$"
CANARY_RE() { echo "^vm $1 \(cpuid\): ended by hypercall, status 0$"; }
RUN_TIMEOUT=240

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_attack_bounds "$@"
guests=$IT_BUILD/guests
for g in spin flood cpuid; do
	[[ -f $guests/$g.elf ]] || it_fail "no test guest $guests/$g.elf (build target test_guests)"
done
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--cmdline "guests_in_turn cpu_limit=$LIMIT_MS console_rate=$RATE" \
	--module "$guests/spin.elf=spin" \
	--module "$guests/cpuid.elf=cpuid" \
	--module "$guests/flood.elf=flood" \
	--module "$guests/cpuid.elf=cpuid"
it_expect "$SPIN_END_RE"
it_expect_after "$IT_LINE" "$(CANARY_RE 2)"
it_expect_after "$IT_LINE" "$FLOOD_DROPPED_RE"
it_expect_after "$IT_LINE" "$FLOOD_END_RE"
it_expect_after "$IT_LINE" "$(CANARY_RE 4)"
it_expect_after "$IT_LINE" "^all guests ended$"
it_expect_ended_by_itself
# The burst (10 seconds' worth: 50 lines, of which the guest's first two
# are its start line and "printing for ever") and the 1.5 lines of credit
# earned in the limit's time are shown, no more.
shown=$(grep -cE "$FLOOD_LINE_RE" "$IT_CLEAN" || true)
((shown >= 47 && shown <= 51)) || it_fail "flood showed $shown lines of the flood, not 47 to 51 (console_rate=$RATE)"
it_pass
