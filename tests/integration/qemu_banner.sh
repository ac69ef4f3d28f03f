#!/usr/bin/env bash
# qemu_banner: QEMU (TCG, no VMX) with the legacy BIOS or with OVMF (UEFI).
# The hypervisor prints its banner, exactly one "VT-x unavailable: ..."
# line, and powers the machine off by itself (ACPI).  ctest runs it once
# per firmware, as qemu_bios_banner and qemu_uefi_banner.
# Usage: bash tests/integration/qemu_banner.sh bios|uefi BUILD_DIR
set -euo pipefail

case ${1:-} in
bios | uefi) FIRMWARE=$1; shift ;;
*) echo "usage: bash tests/integration/qemu_banner.sh bios|uefi BUILD_DIR" >&2; exit 2 ;;
esac

# What is checked (grep -E regular expressions).
# QEMU's TCG CPU has no VMX: the line names the CPUID bit.
VTX_MISSING_RE='^VT-x unavailable: VMX: the CPU does not report VT-x \(CPUID\.1:ECX\.VMX\[bit 5\] = 0\)$'
CMDLINE="shutdown_after_boot"
RUN_TIMEOUT=45       # seconds; below the ctest TIMEOUT (60)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "qemu_${FIRMWARE}_banner" "$@"
it_run --rig qemu --firmware "$FIRMWARE" --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
it_expect_banner "$CMDLINE" 0
it_expect_after "$IT_LINE" "$VTX_MISSING_RE"
count=$(grep -c -E -e '^VT-x unavailable: ' "$IT_CLEAN" || true)
((count == 1)) || it_fail "expected exactly one 'VT-x unavailable: ' line, found $count"
it_expect_ended_by_itself
it_pass
