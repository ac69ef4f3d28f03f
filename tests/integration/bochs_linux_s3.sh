#!/usr/bin/env bash
# bochs_linux_s3: the Linux guest suspends to RAM (ACPI S3) and wakes.  The
# default guest boots under tinyhv on Bochs with tinyhv.shell=1; at its
# shell, console_session.py types "echo mem > /sys/power/state": Linux finds
# \_S3 in the DSDT, sets the FACS's waking vector and writes SLP_TYP and
# SLP_EN, and tinyhv says the VM sleeps.  A key typed then presses the
# VM's power button: it wakes at the waking vector in real mode with its
# devices reset, Linux resumes ("Waking up from system sleep state S3"),
# its shell answers a command typed after the wake, and "reboot -f" ends
# the VM.  LINUX_VCPUS=2 (bochs_smp_linux_s3.sh): 2 vCPUs on 2 CPUs; Linux
# takes its second CPU offline before the sleep, tinyhv's AP waits for a
# start-up IPI, and Linux brings it up again after the wake.
# Usage: bash tests/integration/bochs_linux_s3.sh BUILD_DIR
set -euo pipefail

VCPUS=${LINUX_VCPUS:-1}
NAME=bochs_linux_s3 EXTRA=() LINUX_OPTS="" ONLINE=0
if ((VCPUS > 1)); then
	NAME=bochs_smp_linux_s3
	EXTRA=(--cpus "$VCPUS")
	LINUX_OPTS=",vcpus=$VCPUS"
	ONLINE="0-$((VCPUS - 1))"
fi

GUEST_CMDLINE="console=ttyS0,115200 panic=-1 tinyhv.shell=1 no_console_suspend"
PROMPT_RE='guest:/# (\.\[6n)?$'
ASLEEP_RE='vm [0-9]+ \(linux\): asleep in ACPI S3'
WOKE_RE='^vm [0-9]+ \(linux\): woke from S3 \(console input: the power button\), resuming at the real-mode waking vector 0x[0-9a-f]+$'
ENDED_RE='^vm [0-9]+ \(linux\): ended by reset \((0xCF9|keyboard controller)\)$'
RUN_TIMEOUT=1000

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "$NAME" "$@"
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect "$PROMPT_RE" --send 'cat /sys/power/state /sys/power/mem_sleep; echo mem > /sys/power/state\n' \
	--expect "$ASLEEP_RE" --send '\n' \
	--expect 'PM: suspend exit' --send '\n' \
	--expect "$PROMPT_RE" --send 'echo resumed-$((6 * 7)) on CPUs $(cat /sys/devices/system/cpu/online)\n' \
	--expect '\[linux\] resumed-42 on CPUs [0-9-]+\r?\n' --send 'reboot -f\n' \
	-- --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" "${EXTRA[@]}" \
	--module "$cache/linux/vmlinuz=linux$LINUX_OPTS $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
it_expect '^\[linux\] TINYHV-GUEST-OK$'
it_expect_after "$IT_LINE" '^\[linux\] .*mem.*$'
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9]+\.[0-9]+\] ACPI: PM: Preparing to enter system sleep state S3$'
it_expect_after "$IT_LINE" "$ASLEEP_RE"
it_expect_after "$IT_LINE" "$WOKE_RE"
if ((VCPUS > 1)); then
	it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9]+\.[0-9]+\] CPU1 is up$'
fi
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9]+\.[0-9]+\] ACPI: PM: Waking up from system sleep state S3$'
it_expect_after "$IT_LINE" '^\[linux\] \[ *[0-9]+\.[0-9]+\] PM: suspend exit$'
it_expect_after "$IT_LINE" "^\\[linux\\] resumed-42 on CPUs $ONLINE\$"
it_expect_after "$IT_LINE" "$ENDED_RE"
it_expect_after "$IT_LINE" '^all guests ended$'
it_expect_ended_by_itself
it_pass
