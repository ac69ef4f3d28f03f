#!/usr/bin/env bash
# bochs_virtio_blk: the Linux guest with a virtio disk (the VM option
# disk=data over the boot module "disk data": src/core/disk.c,
# src/dev/virtio_blk.c).  The disk is an ext2 image made here with
# mke2fs -d, holding a 1 MiB file of random bytes whose SHA-256 the test
# knows.  The guest's /init (tinyhv.disk=1) mounts /dev/vda, prints the
# file's SHA-256, writes a new file, syncs, unmounts, drops its caches,
# mounts again and reads it back, and unmounts.  The guest runs with
# pci=nomsi, so the disk interrupts through INTA and the I/O APIC (the
# DSDT's _PRT) instead of MSI-X, which bochs_virtio_devices covers.  The
# hypervisor's console then says how much the disk read and wrote.
# Usage: bash tests/integration/bochs_virtio_blk.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.virtio=1 tinyhv.disk=1 pci=nomsi"
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_virtio_blk "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache

work=$IT_BUILD/integration/bochs_virtio_blk.d
rm -rf "$work"
mkdir -p "$work/root"
head -c 1048576 /dev/urandom >"$work/root/data.bin"
sum=$(sha256sum "$work/root/data.bin" | cut -d ' ' -f 1)
command -v mke2fs >/dev/null || PATH=$PATH:/usr/sbin:/sbin
mke2fs -q -F -t ext2 -b 1024 -d "$work/root" "$work/disk.img" 8M

it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=linux,disk=data $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd" \
	--module "$work/disk.img=disk data"
it_expect '^\[linux\] \[ *[0-9.]+\] pci 0000:00:04\.0: \[1af4:1042\] type 00 class 0x00ff00$'
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9.]+\] virtio_blk virtio0: \[vda\] 16384 512-byte logical blocks'
it_expect_after "$IT_LINE" '^\[linux\] guest: disk: vda: 16384 sectors, read-only 0$'
it_expect_after "$IT_LINE" "^\\[linux\\] guest: disk: read $sum data\\.bin$"
it_expect_after "$IT_LINE" '^\[linux\] guest: disk: wrote new\.bin [0-9a-f]{64}$'
written=$(sed -n "${IT_LINE}s/.* //p" "$IT_CLEAN")
it_expect_after "$IT_LINE" "^\\[linux\\] guest: disk: read back $written\$"
it_expect_after "$IT_LINE" '^\[linux\] guest: disk: unmounted$'
it_expect '^\[linux\] TINYHV-GUEST-OK$'
it_expect '^\[linux\] guest: disk: irq +[0-9]+: +[1-9][0-9]* +IO-APIC +20-fasteoi +virtio0$'
it_expect_none 'the driver broke a rule' "the device needed a reset"
it_expect_none '^\[linux\] guest: virtio: insmod' "a virtio module did not load"
it_expect_none 'I/O error' "the guest saw an I/O error"
it_expect '^vm 1 \(linux\): ended by ACPI S5 power-off$'
it_expect '^vm 1 \(linux\): virtio-blk: [0-9]+ reads \([0-9]+ KiB\), [1-9][0-9]* writes \([1-9][0-9]* KiB\), 0 errors; [1-9][0-9]* KiB of writes given back$'
it_expect_ended_by_itself
it_pass
