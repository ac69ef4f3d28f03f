#!/usr/bin/env bash
# bochs_virtio_net: two Linux VMs at once, one CPU each, each with a
# virtio-net port on the virtual switch "lan" (the VM option net=lan:
# src/dev/virtio_net.c, src/dev/vswitch.c).  The guests' /init
# (tinyhv.net=ADDR[:PEER]) gives eth0 its address; "server" (10.0.2.1)
# serves 1 MiB of random bytes over TCP with busybox nc, "client"
# (10.0.2.2) pings it, fetches the bytes and tells it so; both print the
# bytes' SHA-256, which must match.  Each VM's MAC is derived from its id.
# The console's last lines say what each port sent and received.
# Usage: bash tests/integration/bochs_virtio_net.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.virtio=1"
RUN_TIMEOUT=1100

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_virtio_net "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_run --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=server,net=lan,mem=128 $GUEST_CMDLINE tinyhv.net=10.0.2.1" \
	--module "$cache/initramfs.cpio.gz=initrd" \
	--module "$cache/linux/vmlinuz=client,net=lan,mem=128 $GUEST_CMDLINE tinyhv.net=10.0.2.2:10.0.2.1" \
	--module "$cache/initramfs.cpio.gz=initrd"
for vm in server client; do
	it_expect "^\\[$vm\\] \\[ *[0-9.]+\\] pci 0000:00:05\\.0: \\[1af4:1041\\] type 00 class 0x00ff00\$"
done
it_expect '^\[server\] guest: net: eth0 02:74:68:76:00:01 10\.0\.2\.1$'
it_expect '^\[client\] guest: net: eth0 02:74:68:76:00:02 10\.0\.2\.2$'
it_expect '^\[server\] guest: net: serving [0-9a-f]{64}$'
sum=$(sed -n "${IT_LINE}s/.* //p" "$IT_CLEAN")
it_expect '^\[client\] guest: net: ping: 3 packets transmitted, 3 packets received, 0% packet loss$'
it_expect '^\[client\] guest: net: fetched 1048576 bytes in [0-9]+ cs$'
it_expect "^\\[client\\] guest: net: fetched $sum\$"
it_expect '^\[server\] guest: net: served$'
for vm in server client; do
	it_expect "^\\[$vm\\] TINYHV-GUEST-OK\$"
	it_expect "^vm [12] \\($vm\\): ended by ACPI S5 power-off\$"
	it_expect "^vm [12] \\($vm\\): virtio-net: sent [1-9][0-9]* frames \\([0-9]+ KiB\\), received [1-9][0-9]* \\([0-9]+ KiB\\), dropped 0 sent and [0-9]+ received\$"
done
it_expect_none 'the driver broke a rule' "a device needed a reset"
it_expect_none 'guest: virtio: insmod' "a virtio module did not load"
it_expect_ended_by_itself
it_pass
