#!/usr/bin/env bash
# bochs_smp_console: the console's input goes to one VM at a time.  Two
# echo guests (tests/guests/echo.asm) run at once on their own CPUs; what
# is typed reaches the one with the focus (the first), Ctrl-A 2 gives it
# to VM 2, and when a VM ends the focus passes on (src/core/console_in.c).
# Usage: bash tests/integration/bochs_smp_console.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=150      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

gt_init bochs_smp_console "$@"
gt_add echo echoA
gt_add echo echoB
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect '\[echoB\] echo: ready' --send 'one\r' \
	--expect "\\[echoA\\] echo: got 'one'" --send '\x012' \
	--expect 'console: input goes to vm 2 \(echoB\)' --send 'two\r' \
	--expect "\\[echoB\\] echo: got 'two'" --send 'quit\r' \
	--expect 'console: input goes to vm 1 \(echoA\)' --send 'three\rquit\r' \
	-- --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
it_expect '^console: input goes to vm 1 \(echoA\); Ctrl-A then a VM number switches$'
it_expect '^vm 1 \(echoA\): starting on CPU 0'
it_expect '^vm 2 \(echoB\): starting on CPU 1'
it_expect "^\\[echoA\\] echo: got 'one'$"
it_expect "^\\[echoB\\] echo: got 'two'$"
it_expect "^\\[echoA\\] echo: got 'three'$"
it_expect_none "^\\[echoB\\] echo: got '(one|three)'$" "echoB got echoA's input"
it_expect_none "^\\[echoA\\] echo: got 'two'$" "echoA got echoB's input"
it_expect '^vm 2 \(echoB\): ended by hypercall, status 0$'
it_expect '^vm 1 \(echoA\): ended by hypercall, status 0$'
it_expect '^all guests ended$'
it_expect_ended_by_itself
it_pass
