#!/usr/bin/env bash
# qemu_uefi_banner: QEMU (TCG, no VMX) with OVMF (UEFI).  The hypervisor
# prints its banner, exactly one "VT-x unavailable: ..." line, and powers
# the machine off by itself (ACPI).
# Usage: bash tests/integration/qemu_uefi_banner.sh BUILD_DIR
set -euo pipefail

# What is checked (grep -E regular expressions).
# QEMU's TCG CPU has no VMX: the line names the CPUID bit.
VTX_MISSING_RE='^VT-x unavailable: VMX: the CPU does not report VT-x \(CPUID\.1:ECX\.VMX\[bit 5\] = 0\)$'
CMDLINE="shutdown_after_boot"
RUN_TIMEOUT=45       # seconds; below the ctest TIMEOUT (60)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init qemu_uefi_banner "$@"
it_run --rig qemu --firmware uefi --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
it_expect_banner "$CMDLINE" 0
it_expect_after "$IT_LINE" "$VTX_MISSING_RE"
count=$(grep -c -E -e '^VT-x unavailable: ' "$IT_CLEAN" || true)
((count == 1)) || it_fail "expected exactly one 'VT-x unavailable: ' line, found $count"
it_expect_ended_by_itself
it_pass
