#!/usr/bin/env bash
# bochs_attack_io: the attacker io_probe, on a bare machine (platform=none:
# no PC platform, so that every port but the UART's and the debug-exit
# port is unclaimed), reads every I/O port 0..0xffff in
# sizes 1, 2 and 4 (196608 port exits) and writes back what it read to
# every unclaimed one (not the debug-exit port 0xf4-0xf7, which ends the
# VM, nor the UART); only the UART's registers may read other than all
# ones, the VM goes on, and a canary (cpuid) passes after it.
# Usage: bash tests/integration/bochs_attack_io.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_io "$@"
gt_add io_probe "io_probe,platform=none"
gt_add cpuid cpuid-after
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=120000" \
	"${GT_MODULES[@]}"

gt_guest io_probe io_probe
gt_says "size 1: all 65536 ports read" "size 2: all 65536 ports read" "size 4: all 65536 ports read"
gt_says_re "summary: 196608 INs, [0-9]+ read other than all ones, 0 of them outside the UART; 196564 OUTs of the value read to unclaimed ports\$"
gt_pass "IN of every port 0..0xffff in sizes 1, 2 and 4 (196608 INs)" \
	"every IN outside the UART (0x3f8-0x3ff) read all ones" \
	"every 8- and 16-bit IN kept the rest of EAX" \
	"OUT of the value read to every unclaimed port but those touching 0xf4-0xf7 and 0x3f8-0x3ff (196564 OUTs)" \
	"the VM runs on after all of them, its UART's LSR says THR empty"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_canary cpuid-after

gt_finish
