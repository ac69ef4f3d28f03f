#!/usr/bin/env bash
# bochs_shell_start: VMs made, watched and ended from the shell at run
# time (src/core/guests.c, shell.c).  An echo guest starts at boot (VM 1);
# the hog is an image that waits (start=wait).  The session lists the
# images, starts the hog (VM 2, its "beat" lines come), pauses it (they
# stop; its registers, exit counts, the CPUs and memory are shown),
# resumes it (they come again), resets it (it counts from the start
# again), starts a second hog with options of its own (VM 3: 8 MiB on CPU
# 0), finds the name 'hog' ambiguous, stops VM 3 (it ignores its power
# button and is stopped when its grace time ends), kills VM 2, is refused
# a poweroff while the echo guest lives, ends the echo guest, and with
# every VM gone (the machine stays up: an image waits) powers off from
# the shell.
# Usage: bash tests/integration/bochs_shell_start.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=240      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

gt_init bochs_shell_start "$@"
gt_add echo echo
# sti=1: see bochs_shell_basic (Bochs takes no external-interrupt exit
# while the guest's IF is 0).
gt_add hog "hog,start=wait" ticks=4000000000 sti=1 beat=3000
BEAT='\[hog\] hog: beat [0-9]+'
it_session --timeout "$((RUN_TIMEOUT + 30))" \
	--expect '\[echo\] echo: ready' --send '\x01s' \
	--expect 'tinyhv> $' --send 'images\r' \
	--expect '  hog +Multiboot .* wait ' --send 'start hog\r' \
	--expect "$BEAT" --send 'pause hog\r' \
	--expect 'vm 2 \(hog\): paused' --send 'regs hog\r' \
	--expect '  rip 0x' --send 'stats hog\r' \
	--expect 'vm 2 \(hog\): [0-9]+ VM exits' --send 'cpus\r' \
	--expect '  CPU 1 ' --send 'mem\r' \
	--expect '  free: ' --send 'resume 2\r' \
	--expect "vm 2 \\(hog\\): resumed(.|\\n)*$BEAT" --send 'reset hog\r' \
	--expect "\\[hog\\] hog: counting until(.|\\n)*$BEAT" \
	--send 'start hog,mem=8,cpus=0 ticks=4000000000 sti=1\r' \
	--expect 'vm 3 \(hog\): starting on CPU 0, 8 MiB' --send 'stop hog\r' \
	--expect "shell: 2 vms are named 'hog'" --send 'stop 3 1\r' \
	--expect 'vm 3 \(hog\): ended by the shell.s stop' --send 'kill 2\r' \
	--expect "vm 2 \\(hog\\): ended by the shell's kill" --send 'poweroff\r' \
	--expect 'shell: poweroff: 1 VM is still live' --send 'console echo\r' \
	--expect 'console: input goes to vm 1 \(echo\)' --send 'quit\r' \
	--expect 'all VMs ended; 1 image waits' --send '\x01s' \
	--expect 'tinyhv> $' --send 'vms\r' \
	--expect 'id  name' --send 'poweroff\r' \
	-- --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
it_expect '^vm 1 \(echo\): starting on CPU 0'
it_expect_after "$IT_LINE" '^console: the tinyhv shell'
it_expect_after "$IT_LINE" '^  hog +Multiboot +[0-9]+ KiB wait +1 +default +ticks=4000000000 sti=1 beat=3000$'
it_expect_after "$IT_LINE" '^vm 2 \(hog\): starting on CPU 1, 32 MiB'
it_expect_after "$IT_LINE" '^shell: started vm 2$'
it_expect_after "$IT_LINE" '^vm 2 \(hog\): paused$'
paused=$IT_LINE
it_expect_after "$IT_LINE" '^vm 2 \(hog\) vCPU 0:$'
it_expect_after "$IT_LINE" '^  rax 0x[0-9a-f]{16}  rcx 0x[0-9a-f]{16}  rdx 0x[0-9a-f]{16}  rbx 0x[0-9a-f]{16}$'
it_expect_after "$IT_LINE" '^  cs   0008 base 0x0000000000000000 limit 0xffffffff ar 0x0c09b$'
it_expect_after "$IT_LINE" '^  reason +exits +VMREAD VMWRITE'
it_expect_after "$IT_LINE" '^  CPU 0 +1 vCPUs; '
it_expect_after "$IT_LINE" '^  CPU 1 +1 vCPUs; none runs now; [0-9]+\.[0-9]% of its time in vCPUs$'
it_expect_after "$IT_LINE" '^  vm 2   hog +RAM +32 MiB; page tables, VMCSs and bitmaps [0-9]+ KiB'
it_expect_after "$IT_LINE" '^vm 2 \(hog\): resumed$'
resumed=$IT_LINE
# No beat between the pause and the resume: its vCPU did not run.
if sed -n "$((paused + 1)),$((resumed - 1))p" "$IT_CLEAN" | grep -qE "$BEAT"; then
	it_fail "the hog said 'beat' while it was paused (lines $paused-$resumed)"
fi
it_expect_after "$IT_LINE" "$BEAT"
it_expect_after "$IT_LINE" "^vm 2 \\(hog\\): ended by the shell's reset$"
it_expect_after "$IT_LINE" '^vm 2 \(hog\): reset by the shell: made again from its image$'
it_expect_after "$IT_LINE" '^vm 2 \(hog\): starting on CPU 1'
it_expect_after "$IT_LINE" '^\[hog\] hog: counting until TSC 4000000000$'
it_expect_after "$IT_LINE" '^\[hog\] hog: beat 1$'
it_expect_after "$IT_LINE" '^vm 3 \(hog\): starting on CPU 0, 8 MiB'
it_expect_after "$IT_LINE" '^shell: started vm 3$'
it_expect_after "$IT_LINE" "^shell: 2 vms are named 'hog': name one by its id$"
it_expect_after "$IT_LINE" '^vm 3 \(hog\): its power button pressed; stopped if still running in 1 s$'
it_expect_after "$IT_LINE" "^vm 3 \\(hog\\): ended by the shell's stop: still running at the end of its grace time"
it_expect_after "$IT_LINE" "^vm 2 \\(hog\\): ended by the shell's kill$"
it_expect_after "$IT_LINE" "^shell: poweroff: 1 VM is still live; 'poweroff force' ends it$"
it_expect_after "$IT_LINE" '^vm 1 \(echo\): ended by hypercall, status 0$'
it_expect_after "$IT_LINE" '^all VMs ended; 1 image waits for the shell'
it_expect_after "$IT_LINE" '^shell: poweroff$'
it_expect_none '^all guests ended$' "the machine meant to power off while an image waited"
it_expect_ended_by_itself
it_pass
