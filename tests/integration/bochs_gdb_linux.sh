#!/usr/bin/env bash
# bochs_gdb_linux: Debian's gdb attaches to the Linux guest through
# tinyhv's gdb stub while it boots (the VM option gdb=1; nokaslr, so that
# the kernel's symbols are where its System.map says: scripts/
# fetch-guest-kernel), reads its registers (amd64, from the target
# description), continues it, interrupts it with Ctrl-C (SIGINT to gdb),
# reads the memory of linux_banner and init_uts_ns (its sysname; through the guest's
# own page tables, at the addresses System.map gives) and the threads,
# and detaches: the guest boots on to its end and powers off.
# Usage: bash tests/integration/bochs_gdb_linux.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 nokaslr"
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_gdb_linux "$@"
command -v gdb >/dev/null || it_fail "no gdb (package gdb: scripts/install-deps)"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
symbol() { awk -v s="$1" '$3 == s { print "0x" $1 }' "$cache/linux/System.map"; }
banner=$(symbol linux_banner)
uts=$(symbol init_uts_ns)
[[ -n $banner && -n $uts ]] || it_fail "no linux_banner or init_uts_ns in $cache/linux/System.map"
IT_GDB_INTERRUPT=20 IT_GDB_TIMEOUT=600 it_gdb_session '^\[linux\] \[ *[0-9]+\.[0-9]+\] Linux version' \
	-ex 'info registers rip cs' \
	-ex 'continue' \
	-ex 'info registers rip cs cr3' \
	-ex "x/s $banner" \
	-ex "x/s $uts" \
	-ex 'info threads' \
	-ex 'detach' \
	-- --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline gdb=com2 \
	--module "$cache/linux/vmlinuz=linux,gdb=1 $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
it_expect '^gdb: a debugger attached to vm 1 \(linux\); it stops$'
it_expect_after "$IT_LINE" '^gdb: detached from vm 1 \(linux\); it runs on$'
it_expect_after "$IT_LINE" '^\[linux\] TINYHV-GUEST-OK$'
it_expect_after "$IT_LINE" '^vm 1 \(linux\): ended by ACPI S5 power-off$'
it_gdb_expect '^rip +0xffffffff[0-9a-f]{8} '
it_gdb_expect '^cs +0x10 +16$'
it_gdb_expect 'received signal SIGINT'
it_gdb_expect '^cr3 +0x[0-9a-f]+ '
it_gdb_expect "^${banner}:"'[[:space:]]+"Linux version [0-9]'
it_gdb_expect "^${uts}:"'[[:space:]]+"Linux"$'     # its utsname's sysname
it_gdb_expect '^\* 1 +Thread 1 '
it_gdb_expect '^\[Inferior 1 \(Remote target\) detached\]$'
it_expect_ended_by_itself
it_pass
