#!/usr/bin/env bash
# bochs_virtio_balloon: the Linux guest with a virtio balloon that asks
# for 64 MiB at start (the VM option balloon=64: src/dev/virtio_balloon.c,
# src/core/balloon.c).  The guest's driver (virtio_balloon, loaded with
# tinyhv.virtio=1) gives 64 MiB of pages: the hypervisor unmaps and frees
# them and says so with its free memory, which must have grown by 64 MiB;
# the guest's MemTotal is 64 MiB less than without the balloon.  Then the
# hypervisor shell's 'balloon linux 0' gives them all back (fresh zeroed
# pages): the free memory falls by 64 MiB again, the guest's MemTotal
# grows by 64 MiB, and the guest goes on working (a shell command and
# its SHA-256 of 32 MiB of zeros); 'balloon linux' shows the guest's own
# memory statistics from the stats queue.
# Usage: bash tests/integration/bochs_virtio_balloon.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.virtio=1 tinyhv.shell=1"
PROMPT_RE='guest:/# (\.\[6n)?$'    # as in bochs_linux_shell
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_virtio_balloon "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect "$PROMPT_RE" --send '\x01s' \
	--expect 'tinyhv> $' --send 'balloon linux 0\r' \
	--expect 'virtio-balloon: at its target: 0 MiB given' --send 'console linux\r' \
	--expect 'console: input goes to vm 1' --send 'sed -n "s/^MemTotal: */after: /p" /proc/meminfo; dd if=/dev/zero bs=64k count=512 2>/dev/null | sha256sum\r' \
	--expect "$PROMPT_RE" --send '\x01s' \
	--expect 'tinyhv> $' --send 'balloon linux\r' \
	--expect "the guest's memory: total" --send 'console linux\r' \
	--expect 'console: input goes to vm 1' --send 'exit\r' \
	-- --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=linux,balloon=64 $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"

# The hypervisor's free memory (KiB) on a balloon line, and the guest's
# MemTotal (kB) on its own.
kib() { sed -n "$1s/.*hypervisor free memory \([0-9]*\) KiB$/\1/p" "$IT_CLEAN"; }
total() { sed -n "$1s/.*[^0-9]\([0-9][0-9]*\) kB$/\1/p" "$IT_CLEAN"; }
BALLOON='^vm 1 \(linux\): virtio-balloon: '
it_expect "${BALLOON}new target: 0 MiB given by the guest \\(target 64 MiB\\); hypervisor free memory [0-9]+ KiB\$"
at_start=$(kib "$IT_LINE")
it_expect_after "$IT_LINE" "${BALLOON}at its target: 64 MiB given by the guest \\(target 64 MiB\\); hypervisor free memory [0-9]+ KiB\$"
inflated=$(kib "$IT_LINE")
it_expect_after "$IT_LINE" '^\[linux\] guest: balloon: MemTotal [0-9]+ kB$'
small=$(total "$IT_LINE")
it_expect_after "$IT_LINE" "${BALLOON}new target: 64 MiB given by the guest \\(target 0 MiB\\); hypervisor free memory [0-9]+ KiB\$"
before=$(kib "$IT_LINE")
it_expect_after "$IT_LINE" "${BALLOON}at its target: 0 MiB given by the guest \\(target 0 MiB\\); hypervisor free memory [0-9]+ KiB\$"
deflated=$(kib "$IT_LINE")
it_expect_after "$IT_LINE" '^\[linux\] after: [0-9]+ kB$'
big=$(total "$IT_LINE")
it_expect_after "$IT_LINE" '^\[linux\] 83ee47245398adee79bd9c0a8bc57b821e92aba10f5f9ade8a5d1fae4d8c4302  -$'
it_expect_after "$IT_LINE" "${BALLOON}the guest's memory: total [0-9]+ MiB, free [0-9]+ MiB, available [0-9]+ MiB\$"
it_expect '^vm 1 \(linux\): ended by ACPI S5 power-off$'
echo "free memory: $at_start KiB at start, $inflated inflated, $before before deflating, $deflated after; guest MemTotal $small -> $big kB" >&2
# Inflating gave 64 MiB back, deflating took 64 MiB, each give or take
# the second-level tables that split the guest's large pages for it, or
# that went with them (a 4 KiB page each 2 MiB at most, and a few).
gained=$((inflated - at_start)) taken=$((before - deflated))
(( gained <= 65536 + 256 && gained >= 65536 - 256 )) ||
	it_fail "inflating 64 MiB raised the free memory by $gained KiB"
(( before == inflated )) || it_fail "the free memory moved while the balloon stood still: $inflated, then $before KiB"
(( taken <= 65536 + 256 && taken >= 65536 - 256 )) ||
	it_fail "deflating 64 MiB took $taken KiB of free memory"
(( big - small == 65536 )) || it_fail "the guest's MemTotal grew by $((big - small)) kB, not 65536 ($small -> $big)"
it_expect_none 'the driver broke a rule' "a device needed a reset"
it_expect_none 'page numbers refused' "the balloon refused page numbers"
it_expect_ended_by_itself
it_pass
