#!/usr/bin/env bash
# bochs_virtio_devices: the Linux guest with a virtio entropy device and
# a virtio console (the VM options rng=1 and hvc=1: src/dev/virtio_rng.c,
# virtio_console.c over the virtio PCI transport, virtio_pci.c, with
# MSI-X).  Its initramfs loads the kernel's own virtio modules
# (tinyhv.virtio=1): Linux finds both on PCI bus 0, assigns their BARs,
# negotiates, makes the first its hwrng and reads 16 bytes from
# /dev/hwrng, which must not be all zeros, and writes a line to
# /dev/hvc0, which the hypervisor console shows as the VM's; then it
# powers off as usual.
# Usage: bash tests/integration/bochs_virtio_devices.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.virtio=1"
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_virtio_devices "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=linux,rng=1,hvc=1 $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
it_expect '^\[linux\] \[ *[0-9.]+\] pci 0000:00:02\.0: \[1af4:1044\] type 00 class 0x00ff00$'
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9.]+\] pci 0000:00:03\.0: \[1af4:1043\] type 00 class 0x00ff00$'
it_expect_after "$IT_LINE" '^\[linux\] guest: virtio: devices: 2$'
it_expect_after "$IT_LINE" '^\[linux\] guest: hwrng: virtio_rng\.0$'
it_expect_after "$IT_LINE" '^\[linux\] guest: hwrng: [0-9a-f]{32}$'
it_expect_after "$IT_LINE" '^\[linux\] hvc0: a line written to /dev/hvc0$'
it_expect_after "$IT_LINE" '^\[linux\] guest: hvc0: written$'
it_expect_none '^\[linux\] guest: hwrng: 0{32}$' "the entropy device gave zeros"
it_expect_none 'the driver broke a rule' "the device needed a reset"
it_expect_none '^\[linux\] guest: virtio: insmod' "a virtio module did not load"
it_expect '^\[linux\] TINYHV-GUEST-OK$'
it_expect '^vm 1 \(linux\): ended by ACPI S5 power-off$'
it_expect_ended_by_itself
it_pass
