#!/usr/bin/env bash
# bochs_linux_shell: a person at the console types into the Linux guest's
# shell.  The default guest boots under tinyhv on Bochs with tinyhv.shell=1;
# console_session.py, on the other end of COM1 (a TCP socket), waits for the
# shell's prompt, types a command whose output only the shell can make,
# waits for that output and types "reboot -f": the guest resets its machine
# (through the FADT's reset register, 0xCF9, or the keyboard controller),
# which ends its VM with a report, and the hypervisor powers off.  Console
# input thus goes from the host UART through tinyhv's polling and virtual
# UART (IRQ 4) to the guest's tty.
# Usage: bash tests/integration/bochs_linux_shell.sh BUILD_DIR
set -euo pipefail

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.shell=1"
# The prompt, at the end of what the console has said so far.  BusyBox's
# line editor asks the terminal where its cursor is (ESC [ 6 n, shown as
# ".[6n") right after the prompt; whether the console shows the two
# apart depends on timing, so either form is the prompt.
PROMPT_RE='guest:/# (\.\[6n)?$'
# Longer than the host's and the guest's 16-byte UART FIFOs together, and
# typed at once, as pasted: nothing may be lost.
TYPED='echo typed-$((6 * 7)), a line longer than both FIFOs of the way in'
# The shell's output, not the echo of what was typed.
OUTPUT_RE='^\[linux\] typed-42, a line longer than both FIFOs of the way in$'
ENDED_RE='^vm [0-9]+ \(linux\): ended by reset \((0xCF9|keyboard controller)\)$'
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_linux_shell "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect "$PROMPT_RE" --send "$TYPED\\n" \
	--expect "\\[linux\\] typed-42, a line longer than both FIFOs of the way in\\r?\\n" --send 'reboot -f\n' \
	-- --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$cache/linux/vmlinuz=linux $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
it_expect '^\[linux\] TINYHV-GUEST-OK$'
it_expect_after "$IT_LINE" "guest:/# .*echo typed-\\\$\\(\\(6 \\* 7\\)\\), a line longer than both FIFOs of the way in$"
it_expect_after "$IT_LINE" "$OUTPUT_RE"
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9]+\.[0-9]+\] reboot: Restarting system$'
it_expect_after "$IT_LINE" "$ENDED_RE"
it_expect_after "$IT_LINE" '^all guests ended$'
it_expect_ended_by_itself
it_pass
