#!/usr/bin/env bash
# bochs_dirty_log: dirty-page logging (hv/dirty.h) through the shell's
# `dirty`.  Two dirtier guests (tests/guests/dirtier.asm) run on their own
# CPUs: d1 on the shell's CPU 0, logged by scanning the EPT dirty flags;
# d2 on CPU 1, logged by its page-modification log, so that each look
# makes CPU 1 drain its log and drop its translations while d2 runs
# (vm_sync_vcpus).  Each is told to write 64 distinct pages, d2 also 1024
# (two PML-full exits at least); each look must count those pages, and
# only a few more (the guest's stack), and a look right after another
# only a few.  Then logging is stopped and both guests end.
# Usage: bash tests/integration/bochs_dirty_log.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=240      # seconds; below the ctest TIMEOUT (300)
SLACK=4              # pages a look may count beyond those written (its stack, its counter)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

gt_init bochs_dirty_log "$@"
gt_add dirtier d1
gt_add dirtier d2
looked() {  # the regex of a look's line for VM $1 ($2: its name)
	echo "vm $1 \\($2\\): [0-9]+ pages written since the last look \\($3\\)"
}
PML='page-modification log'
SCAN='EPT dirty flags'
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect '\[d2\] dirtier: ready' --send '\x01s' \
	--expect 'tinyhv> $' --send 'dirty 2\r' \
	--expect "vm 2 \\(d2\\): dirty-page logging on \\($PML\\)" --send 'dirty 1 scan\r' \
	--expect "vm 1 \\(d1\\): dirty-page logging on \\($SCAN\\)" --send 'dirty 1 pml\r' \
	--expect 'logs already' --send 'dirty 1 sideways\r' \
	--expect "'sideways': on, pml, scan or off" --send 'console 2\r' \
	--expect 'input goes to vm 2' --send 'w' \
	--expect '\[d2\] dirtier: wrote 64 pages' --send '\x01s' \
	--expect 'tinyhv> $' --send 'dirty 2\r' \
	--expect "$(looked 2 d2 "$PML")" --send 'dirty 2\r' \
	--expect "$(looked 2 d2 "$PML")" --send 'console 2\r' \
	--expect 'input goes to vm 2' --send 'W' \
	--expect '\[d2\] dirtier: wrote 1024 pages' --send '\x01s' \
	--expect 'tinyhv> $' --send 'dirty 2\r' \
	--expect "$(looked 2 d2 "$PML")" --send 'dirty 1\r' \
	--expect "$(looked 1 d1 "$SCAN")" --send 'console 1\r' \
	--expect 'input goes to vm 1' --send 'w' \
	--expect '\[d1\] dirtier: wrote 64 pages' --send '\x01s' \
	--expect 'tinyhv> $' --send 'dirty 1\r' \
	--expect "$(looked 1 d1 "$SCAN")" --send 'dirty 1 off\r' \
	--expect 'vm 1 \(d1\): dirty-page logging off' --send 'dirty 2 off\r' \
	--expect 'vm 2 \(d2\): dirty-page logging off' --send 'dirty 2 off\r' \
	--expect 'does not log' --send 'console 1\r' \
	--expect 'input goes to vm 1' --send 'q' \
	--expect 'vm 1 \(d1\): ended' --send '\x01s' \
	--expect 'tinyhv> $' --send 'console 2\r' \
	--expect 'input goes to vm 2' --send 'q' \
	-- --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
it_expect '^vm 1 \(d1\): starting on CPU 0'
it_expect '^vm 2 \(d2\): starting on CPU 1'

# expect_look VM NAME LOW HIGH WHAT: the first look at VM after IT_LINE
# counted LOW..HIGH pages.
expect_look() {
	local n
	it_expect_after "$IT_LINE" "^$(looked "$1" "$2" '.*')\$"
	n=$(sed -n "${IT_LINE}p" "$IT_CLEAN" | sed -E 's/.*: ([0-9]+) pages written.*/\1/')
	((n >= $3 && n <= $4)) || it_fail "$5: $n pages, not $3..$4"
	echo "$IT_NAME: $5: $n pages" >&2
}
it_expect '^\[d2\] dirtier: wrote 64 pages$'
expect_look 2 d2 64 $((64 + SLACK)) "d2 after 64 (PML)"
expect_look 2 d2 0 "$SLACK" "d2 idle (PML)"
it_expect '^\[d2\] dirtier: wrote 1024 pages$'
expect_look 2 d2 1024 $((1024 + SLACK)) "d2 after 1024 (PML)"
expect_look 1 d1 0 "$SLACK" "d1 idle (scan)"
it_expect '^\[d1\] dirtier: wrote 64 pages$'
expect_look 1 d1 64 $((64 + SLACK)) "d1 after 64 (scan)"
it_expect '^vm 1 \(d1\): ended by hypercall, status 0$'
it_expect '^vm 2 \(d2\): ended by hypercall, status 0$'
it_expect_after "$IT_LINE" '^  page-modification log full +[1-9][0-9]* '
it_expect '^all guests ended$'
it_expect_ended_by_itself
it_pass
