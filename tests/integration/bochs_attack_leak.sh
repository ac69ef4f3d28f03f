#!/usr/bin/env bash
# bochs_attack_leak: register state does not pass from one VM to the next.
# The guest xstate checks that x87, MXCSR, XMM/YMM and the debug registers
# start at their reset values, then leaves other values in all of them;
# it runs twice, so the second run sees what the first left if the
# hypervisor did not switch that state; a canary guest runs last.
# The run has spec_test: every VM entry goes through the exit stub with
# the speculation mitigations (VERW), which a CPU that needs none (such
# as Bochs's) would not otherwise use.
# Usage: bash tests/integration/bochs_attack_leak.sh BUILD_DIR
set -euo pipefail

END_RE() { echo "^vm $1 \(xstate\): ended by hypercall, status 0$"; }
RUN_TIMEOUT=240

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_attack_leak "$@"
guests=$IT_BUILD/guests
for g in xstate cpuid; do
	[[ -f $guests/$g.elf ]] || it_fail "no test guest $guests/$g.elf (build target test_guests)"
done
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn spec_test" \
	--module "$guests/xstate.elf=xstate" \
	--module "$guests/xstate.elf=xstate" \
	--module "$guests/cpuid.elf=cpuid"
it_expect '^speculation: L1D flush on VM entry (yes|no), VERW on VM entry (yes|no), IBPB between VMs (yes|no \(not offered\))$'
it_expect_after "$IT_LINE" '^spec_test: VERW before every VM entry \(the mitigating exit stub\)$'
it_expect_after "$IT_LINE" '^\[xstate\] xstate: left x87 CW, MXCSR, XMM0/YMM0, DR0-DR3 and DR6 changed$'
it_expect_after "$IT_LINE" "$(END_RE 1)"
for what in "x87 control word is 0x37f" "MXCSR is 0x1f80" "XMM0 is zero" \
	"YMM0's upper half is zero" "DR0-DR3 are zero" "DR6 is 0xffff0ff0"; do
	it_expect_after "$IT_LINE" "^\[xstate\] xstate: PASS $what$"
done
it_expect_after "$IT_LINE" "$(END_RE 2)"
it_expect_after "$IT_LINE" '^vm 3 \(cpuid\): ended by hypercall, status 0$'
it_expect_ended_by_itself
it_pass
