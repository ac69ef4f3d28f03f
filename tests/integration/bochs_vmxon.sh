#!/usr/bin/env bash
# bochs_vmxon: Bochs with an emulated VT-x + EPT CPU and the legacy BIOS.
# The hypervisor reports the VMX capabilities, enters VMX root operation and
# powers the machine off by itself (shutdown_after_boot).
# Usage: bash tests/integration/bochs_vmxon.sh BUILD_DIR
set -euo pipefail

# What is checked (grep -E regular expressions).
# Every capability of the summary; those tinyhv needs must say yes.
CAPS_RE='^VMX capabilities: VMCS revision 0x[0-9a-f]+, [0-9]+ bytes; EPT yes, 2M pages (yes|no), 1G pages (yes|no), EPT A/D (yes|no); VPID (yes|no); unrestricted guest yes; PML (yes|no); preemption timer yes \(TSC/[0-9]+\); posted interrupts (yes|no); monitor trap flag (yes|no)$'
VMXON_RE='^VMXON succeeded on CPU 0, APIC ID 0 \(VMXON region at 0x[0-9a-f]+\)$'
CMDLINE="shutdown_after_boot"
RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_vmxon "$@"
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
it_expect_banner "$CMDLINE" 0
it_expect_after "$IT_LINE" "$CAPS_RE"
it_expect_after "$IT_LINE" "$VMXON_RE"
it_expect_ended_by_itself
it_pass
