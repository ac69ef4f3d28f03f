#!/usr/bin/env bash
# bochs_bad_guests: guests that cannot run stop alone, with a clear report,
# and the hypervisor goes on to the next one:
#  - a module that is no kernel at all: the loader names the failed check;
#  - an ELF kernel cut short (its segment runs past the module's end): the
#    loader names the segment and the sizes;
#  - a Linux image of a boot protocol too old for the 64-bit entry (2.00):
#    the Linux loader says so;
#  - a VM whose first VM entry fails (entry_fail_test gives the first VM an
#    invalid activity state): the report names the exit reason and shows
#    the exit qualification and guest state;
#  - then a good guest runs to the end.
# A second run gives the first VM an invalid control field instead
# (entry_fail_test=control): VMLAUNCH itself fails, and the report names the
# VM-instruction error; the next guest runs.
# A third run asks for more guest RAM than the machine has (guest_mem=3072
# on a 1 GiB machine): the VM is not created, and the hypervisor says so
# and powers off.
# Usage: bash tests/integration/bochs_bad_guests.sh BUILD_DIR
set -euo pipefail

JUNK_LOAD_RE="^error: vm [0-9]+ \(junk\): cannot load the kernel: no Multiboot header in the first 8192 bytes"
JUNK_END_RE="^vm [0-9]+ \(junk\): stopped: not started: the image could not be loaded"
TRUNC_LOAD_RE="^error: vm [0-9]+ \(truncated\): cannot load the kernel: ELF segment 0: file bytes at offset 0x1000 of size 0x[0-9a-f]+ run past the end of the image \(8192 bytes\)"
TRUNC_END_RE="^vm [0-9]+ \(truncated\): stopped: not started: the image could not be loaded"
CTL_RE="^error: vm 1 \(ctlfail\): VM entry failed: VM-instruction error 7 \(VM entry with invalid control field\(s\)\)$"
CTL_END_RE="^vm 1 \(ctlfail\): stopped: VM entry failed: VM-instruction error 7 "
OLD_LINUX_RE="^error: vm [0-9]+ \(oldlinux\): .*boot protocol 2\.00 is too old \(need 2\.12\+ for the 64-bit entry point\)"
OLD_LINUX_END_RE="^vm [0-9]+ \(oldlinux\): stopped: not started: the image could not be loaded"
NOMEM_RE="^error: guest big: cannot create a VM with 3072 MiB: "
ENTRY_RE="^error: vm 1 \(entryfail\): VM entry failed: exit reason 33 \(VM entry: invalid guest state\), exit qualification 0x0"
STATE_RE="^error:   guest SS 0x10 AR 0xc093 TR AR 0x8b activity 7 "
STATE_RE_ANY="^error:   guest SS 0x[0-9a-f]+ AR 0x[0-9a-f]+ TR AR 0x[0-9a-f]+ activity [0-9]+ "
ENTRY_END_RE="^vm 1 \(entryfail\): stopped: VM entry failed"
GOOD_END_RE="^vm [0-9]+ \(cpuid\): ended by hypercall, status 0"
RUN_TIMEOUT=240

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_bad_guests "$@"
guests=$IT_BUILD/guests
[[ -f $guests/cpuid.elf ]] || it_fail "no test guest $guests/cpuid.elf (build target test_guests)"
truncated=$IT_BUILD/integration/truncated-cpuid.elf
head -c 8192 "$guests/cpuid.elf" >"$truncated"
# A bzImage header (boot flag 0xaa55, "HdrS") of boot protocol 2.00.
old_linux=$IT_BUILD/integration/old-protocol-bzimage
head -c 4096 /dev/zero >"$old_linux"
printf '\x55\xaa' | dd of="$old_linux" bs=1 seek=$((0x1fe)) conv=notrunc status=none
printf 'HdrS\x00\x02' | dd of="$old_linux" bs=1 seek=$((0x202)) conv=notrunc status=none
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn entry_fail_test" \
	--module "$guests/cpuid.elf=entryfail" \
	--module "$IT_REPO_ROOT/tests/guests/guest.ld=junk" \
	--module "$truncated=truncated" \
	--module "$old_linux=oldlinux" \
	--module "$guests/cpuid.elf=cpuid"
it_expect "$ENTRY_RE"
it_expect_after "$IT_LINE" "$STATE_RE"
it_expect_after "$IT_LINE" "$ENTRY_END_RE"
it_expect_after "$IT_LINE" "$JUNK_LOAD_RE"
it_expect_after "$IT_LINE" "$JUNK_END_RE"
it_expect_after "$IT_LINE" "$TRUNC_LOAD_RE"
it_expect_after "$IT_LINE" "$TRUNC_END_RE"
it_expect_after "$IT_LINE" "$OLD_LINUX_RE"
it_expect_after "$IT_LINE" "$OLD_LINUX_END_RE"
it_expect_after "$IT_LINE" "$GOOD_END_RE"
it_expect_after "$IT_LINE" "^all guests ended$"
it_expect_ended_by_itself

it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn entry_fail_test=control" \
	--module "$guests/cpuid.elf=ctlfail" \
	--module "$guests/cpuid.elf=cpuid"
it_expect "$CTL_RE"
it_expect_after "$IT_LINE" "$STATE_RE_ANY"
it_expect_after "$IT_LINE" "$CTL_END_RE"
it_expect_after "$IT_LINE" "$GOOD_END_RE"
it_expect_ended_by_itself

it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn guest_mem=3072" \
	--module "$guests/cpuid.elf=big"
it_expect "$NOMEM_RE"
it_expect_after "$IT_LINE" "^all guests ended$"
it_expect_ended_by_itself
it_pass
