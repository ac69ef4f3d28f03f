#!/usr/bin/env bash
# bochs_shell_linux: a Linux guest started and stopped gracefully from the
# hypervisor shell.  The default guest is an image that waits
# (start=wait, with tinyhv.shell=1): the machine boots with no VM and
# stays up.  The session opens the shell, starts the image, gives it the
# console and waits for the guest's shell; back in the hypervisor shell,
# 'stop' presses the VM's ACPI power button: the guest's acpid (busybox,
# with the kernel's button and evdev modules: scripts/mkinitramfs-guest)
# powers it off within the grace time, the VM ends by ACPI S5 (not by the
# grace time running out), and with no VM left the image waits again;
# 'poweroff' switches the machine off.
# Usage: bash tests/integration/bochs_shell_linux.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.shell=1"
PROMPT_RE='guest:/# (\.\[6n)?$'    # as in bochs_linux_shell
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_shell_linux "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect 'no VM starts at boot; 1 image waits' --send '\x01s' \
	--expect 'tinyhv> $' --send 'start linux\r' \
	--expect 'shell: started vm 1' --send 'console linux\r' \
	--expect "$PROMPT_RE" --send '\x01s' \
	--expect 'tinyhv> $' --send 'stop linux 120\r' \
	--expect 'all VMs ended; 1 image waits' --send '\x01s' \
	--expect 'tinyhv> $' --send 'poweroff\r' \
	-- --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=linux,start=wait $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
it_expect '^no VM starts at boot; 1 image waits for the shell'
it_expect_after "$IT_LINE" '^vm 1 \(linux\): starting on CPU 0, 256 MiB'
it_expect_after "$IT_LINE" '^\[linux\] TINYHV-GUEST-OK$'
it_expect_after "$IT_LINE" '^\[linux\] guest: acpid: the power button powers off$'
it_expect_after "$IT_LINE" '^vm 1 \(linux\): its power button pressed; stopped if still running in 120 s$'
it_expect_after "$IT_LINE" '^\[linux\] guest: the power button: powering off$'
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9]+\.[0-9]+\] reboot: Power down$'
it_expect_after "$IT_LINE" '^vm 1 \(linux\): ended by ACPI S5 power-off$'
it_expect_after "$IT_LINE" '^all VMs ended; 1 image waits for the shell'
it_expect_after "$IT_LINE" '^shell: poweroff$'
it_expect_none "grace time" "the guest did not power off on its power button"
it_expect_ended_by_itself
it_pass
