#!/usr/bin/env bash
# bochs_vmxon: Bochs with an emulated VT-x + EPT CPU and the legacy BIOS.
# The hypervisor reports the VMX capabilities, enters VMX root operation and
# powers the machine off by itself (shutdown_after_boot).
# Usage: bash tests/integration/bochs_vmxon.sh BUILD_DIR
set -euo pipefail

# What is checked (grep -E regular expressions).
BANNER_RE='tinyhv 0\.1\.0'
CAPS_RE='^VMX capabilities:'
VMXON_RE='VMXON succeeded'
CMDLINE="shutdown_after_boot"
RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_vmxon "$@"
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
it_expect "$BANNER_RE"
it_expect_after "$IT_LINE" "$CAPS_RE"
it_expect "$VMXON_RE"
it_expect_ended_by_itself
it_pass
