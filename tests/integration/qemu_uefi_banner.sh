#!/usr/bin/env bash
# qemu_uefi_banner: QEMU (TCG, no VMX) with OVMF (UEFI).  The hypervisor
# prints its banner, exactly one "VT-x unavailable: ..." line, and powers
# the machine off by itself (ACPI).
# Usage: bash tests/integration/qemu_uefi_banner.sh BUILD_DIR
set -euo pipefail

# What is checked (grep -E regular expressions).
BANNER_RE='tinyhv 0\.1\.0'
VTX_MISSING_RE='VT-x unavailable: '
CMDLINE="shutdown_after_boot"
RUN_TIMEOUT=45       # seconds; below the ctest TIMEOUT (60)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init qemu_uefi_banner "$@"
it_run --rig qemu --firmware uefi --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
it_expect "$BANNER_RE"
banner=$IT_LINE
it_expect_after "$banner" "$VTX_MISSING_RE"
count=$(grep -c -E -e "$VTX_MISSING_RE" "$IT_CLEAN" || true)
((count == 1)) || it_fail "expected exactly one '$VTX_MISSING_RE' line, found $count"
it_expect_ended_by_itself
it_pass
