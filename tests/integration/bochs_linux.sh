#!/usr/bin/env bash
# bochs_linux: Debian's stock kernel, unmodified, boots under tinyhv on
# Bochs to the initramfs (scripts/mkinitramfs-guest); its /init reports the
# kernel version and CPU flags, prints the marker and powers off (ACPI S5);
# the hypervisor reports the VM's end and its exits, and powers the machine
# off.  The kernel must boot cleanly: a warning, an oops, a soft lockup or a
# complaint about the virtual platform fails the test.
# Usage: bash tests/integration/bochs_linux.sh BUILD_DIR
# LINUX_FIRMWARE=uefi (bochs_linux_uefi.sh) boots through OVMF instead.
set -euo pipefail

MARKER_RE='^\[linux\] TINYHV-GUEST-OK$'
KERNEL_RE='^\[linux\] guest: kernel [0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$'
FLAGS_RE='^\[linux\] guest: cpu flags: '
ENDED_RE='^vm [0-9]+ \(linux\): ended by ACPI S5 power-off$'
ALL_ENDED_RE='^all guests ended$'
EXITS_RE='^vm [0-9]+ \(linux\): [0-9]+ VM exits$'
# printk lines of trouble: WARN()/BUG() reports, lockups and stalls, and
# what Linux says of an inconsistent CPU or platform.
KERNEL_TROUBLE_RE='^\[linux\] \[ *[0-9]+\.[0-9]+\] (.*(WARNING: CPU|cut here|BUG:|Oops|Call Trace:|soft lockup|rcu_sched self-detected|rcu: INFO)|.*XSAVE consistency problem|.*Keylock active|\[Firmware Bug\])'
FIRMWARE=${LINUX_FIRMWARE:-bios}
# OVMF on Bochs hands over no ACPI tables (Bochs has no fw_cfg): the
# hypervisor then powers off through Bochs's legacy port.
[[ $FIRMWARE == bios ]] || IT_LEGACY_POWEROFF_OK=1
GUEST_CMDLINE="console=ttyS0,115200 panic=-1"
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "bochs_linux$([[ $FIRMWARE == bios ]] || echo "_$FIRMWARE")" "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_run --rig bochs --firmware "$FIRMWARE" --timeout "$RUN_TIMEOUT" \
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
it_expect_after "$IT_LINE" "$EXITS_RE"
it_expect_after "$IT_LINE" "$ALL_ENDED_RE"
it_expect_none "$KERNEL_TROUBLE_RE" "the guest kernel reported trouble"
it_expect_ended_by_itself
it_pass
