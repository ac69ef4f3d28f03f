#!/usr/bin/env bash
# bochs_linux: Debian's stock kernel, unmodified, boots under tinyhv on
# Bochs to the initramfs (scripts/mkinitramfs-guest); its /init reports the
# kernel version and CPU flags, prints the marker and powers off (ACPI S5);
# the hypervisor reports the VM's end and powers the machine off.
# Usage: bash tests/integration/bochs_linux.sh BUILD_DIR
set -euo pipefail

MARKER_RE='^\[linux\] TINYHV-GUEST-OK$'
KERNEL_RE='^\[linux\] guest: kernel [0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$'
FLAGS_RE='^\[linux\] guest: cpu flags: '
ENDED_RE='^vm [0-9]+ \(linux\): ended by ACPI S5 power-off$'
ALL_ENDED_RE='^all guests ended$'
GUEST_CMDLINE="console=ttyS0 panic=-1"
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_linux "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=linux $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
it_expect "$KERNEL_RE"
it_expect "$FLAGS_RE"
flags=$(grep -E -m1 "$FLAGS_RE" "$IT_CLEAN")
if grep -qw vmx <<<"$flags"; then
	it_fail "the guest sees VMX in its CPU flags: $flags"
fi
it_expect "$MARKER_RE"
it_expect_after "$IT_LINE" "$ENDED_RE"
it_expect_after "$IT_LINE" "$ALL_ENDED_RE"
it_expect_ended_by_itself
it_pass
