#!/usr/bin/env bash
# bochs_shell_basic: the hypervisor shell (src/core/shell.c) at the console.
# An echo guest (VM 1) and a hog that would run for a long time (VM 2) run
# at once on their own CPUs.  console_session.py opens the shell with
# Ctrl-A s, lists the VMs, pauses the hog (the list says so), resumes it,
# kills it (it ends with the shell's reason and leaves the list), tries
# a command and a VM that do not exist (one-line errors), gives the console
# back to the echo guest with "console", whose next line reaches it, and
# ends it with "quit".
# Usage: bash tests/integration/bochs_shell_basic.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=200      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

gt_init bochs_shell_basic "$@"
gt_add echo echo
# sti=1: Bochs departs from the SDM (Vol. 3C 25.2: with external-interrupt
# exiting, an external interrupt causes a VM exit whatever the guest's IF)
# and takes none while IF is 0, so a kick from another CPU would wait for
# the hog's next exit; on hardware and KVM it leaves the guest at once.
gt_add hog hog ticks=4000000000 sti=1
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect '\[echo\] echo: ready' --send '\x01s' \
	--expect 'tinyhv> $' --send 'vms\r' \
	--expect '  2   hog +running +1 on 1 ' --send 'pause hog\r' \
	--expect 'vm 2 \(hog\): paused' --send 'vms\r' \
	--expect '  2   hog +paused ' --send 'resume 2\r' \
	--expect 'vm 2 \(hog\): resumed' --send 'kill hog\r' \
	--expect "vm 2 \\(hog\\): ended by the shell's kill" --send 'vms\r' \
	--expect '  1   echo +running .*\r?\n' --send 'frobnicate\r' \
	--expect "shell: no command 'frobnicate'" --send 'pause 9\r' \
	--expect 'shell: no vm 9' --send 'console echo\r' \
	--expect 'console: input goes to vm 1 \(echo\)' --send 'hello\r' \
	--expect "\\[echo\\] echo: got 'hello'" --send 'quit\r' \
	-- --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
it_expect '^vm 1 \(echo\): starting on CPU 0'
it_expect '^vm 2 \(hog\): starting on CPU 1'
it_expect_after "$IT_LINE" '^console: the tinyhv shell'
it_expect_after "$IT_LINE" '^  1   echo +running +1 on 0 '
it_expect_after "$IT_LINE" '^vm 2 \(hog\): paused$'
it_expect_after "$IT_LINE" '^  2   hog +paused '
it_expect_after "$IT_LINE" '^vm 2 \(hog\): resumed$'
it_expect_after "$IT_LINE" "^vm 2 \\(hog\\): ended by the shell's kill$"
it_expect_after "$IT_LINE" "^shell: no command 'frobnicate' \\('help' lists them\\)$"
it_expect_after "$IT_LINE" '^shell: no vm 9 '
it_expect_after "$IT_LINE" "^\\[echo\\] echo: got 'hello'$"
it_expect_none "^\\[hog\\] hog: count [0-9]" "the hog counted to its end (it was to be killed before)"
it_expect '^vm 1 \(echo\): ended by hypercall, status 0$'
it_expect '^all guests ended$'
it_expect_ended_by_itself
it_pass
