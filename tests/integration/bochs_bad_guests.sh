#!/usr/bin/env bash
# bochs_bad_guests: guests that cannot run stop alone, with a clear report,
# and the hypervisor goes on to the next one:
#  - a module that is no kernel at all: the loader names the failed check;
#  - a VM whose first VM entry fails (entry_fail_test gives the first VM an
#    invalid activity state): the report names the exit reason and shows
#    the exit qualification and guest state;
#  - then a good guest runs to the end.
# Usage: bash tests/integration/bochs_bad_guests.sh BUILD_DIR
set -euo pipefail

JUNK_LOAD_RE="^error: vm [0-9]+ \(junk\): cannot load the kernel: no Multiboot header in the first 8192 bytes"
JUNK_END_RE="^vm [0-9]+ \(junk\): stopped: not started: the image could not be loaded"
ENTRY_RE="^error: vm 1 \(entryfail\): VM entry failed: exit reason 33 \(VM entry: invalid guest state\), exit qualification 0x0"
STATE_RE="^error:   guest SS 0x10 AR 0xc093 TR AR 0x8b activity 7 "
ENTRY_END_RE="^vm 1 \(entryfail\): stopped: VM entry failed"
GOOD_END_RE="^vm [0-9]+ \(cpuid\): ended by hypercall, status 0"
RUN_TIMEOUT=240

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_bad_guests "$@"
guests=$IT_BUILD/guests
[[ -f $guests/cpuid.elf ]] || it_fail "no test guest $guests/cpuid.elf (build target test_guests)"
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "entry_fail_test" \
	--module "$guests/cpuid.elf=entryfail" \
	--module "$IT_REPO_ROOT/tests/guests/guest.ld=junk" \
	--module "$guests/cpuid.elf=cpuid"
it_expect "$ENTRY_RE"
it_expect_after "$IT_LINE" "$STATE_RE"
it_expect_after "$IT_LINE" "$ENTRY_END_RE"
it_expect_after "$IT_LINE" "$JUNK_LOAD_RE"
it_expect_after "$IT_LINE" "$JUNK_END_RE"
it_expect_after "$IT_LINE" "$GOOD_END_RE"
it_expect_after "$IT_LINE" "^all guests ended$"
it_expect_ended_by_itself
it_pass
