#!/usr/bin/env bash
# qemu_console_options: options that change what the console shows and how
# the machine ends, on QEMU (TCG, legacy BIOS), which stops at the
# "VT-x unavailable" line:
#  - loglevel=warn: info lines (memory, TSC, "powering off") are not shown,
#    the banner and the VT-x line still are, and the machine powers off;
#  - poweroff=0: the hypervisor says it halts instead of powering off, and
#    the machine stays on until the run's timeout ends it.
# Usage: bash tests/integration/qemu_console_options.sh BUILD_DIR
set -euo pipefail

VTX_MISSING_RE='^VT-x unavailable: '
INFO_RE='^(memory: |TSC: |ACPI: |powering off$)'
HALT_RE='^halting \(poweroff=0\)$'
RUN_TIMEOUT=45       # seconds; below the ctest TIMEOUT (60)
HALT_TIMEOUT=8       # the poweroff=0 run is ended by this timeout

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init qemu_console_options "$@"

it_run --rig qemu --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "shutdown_after_boot loglevel=warn"
it_expect_banner "shutdown_after_boot loglevel=warn" 0
it_expect_after "$IT_LINE" "$VTX_MISSING_RE"
it_expect_none "$INFO_RE" "an info line was shown with loglevel=warn"
it_expect_ended_by_itself

it_run --rig qemu --firmware bios --timeout "$HALT_TIMEOUT" --cmdline "shutdown_after_boot poweroff=0"
it_expect "$VTX_MISSING_RE"
it_expect_after "$IT_LINE" "$HALT_RE"
it_expect_none '^powering off$' "the machine was powered off despite poweroff=0"
((IT_STATUS == 124)) || it_fail "the machine did not stay on with poweroff=0 (scripts/run status $IT_STATUS, not the timeout's 124)"
it_pass
