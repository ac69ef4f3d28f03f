#!/usr/bin/env bash
# bochs_gdb_guest: Debian's gdb debugs a Multiboot test guest through
# tinyhv's gdb stub (src/core/gdb.c, gdb_vm.c) on COM2.  The guest
# (tests/guests/gdbtarget.asm, with its symbols) has the VM option gdb=1
# and spins until released.  gdb attaches (the VM stops), reads and
# writes the guest's memory (released := 1), breaks at tick, reads
# counter, steps one instruction, watches counter with a hardware
# watchpoint and sees it change, breaks at report, changes EAX, lists
# the threads, and continues to the end: the guest prints the value gdb
# gave it and ends, and gdb hears that it exited.
# Usage: bash tests/integration/bochs_gdb_guest.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=240

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

gt_init bochs_gdb_guest "$@"
command -v gdb >/dev/null || it_fail "no gdb (package gdb: scripts/install-deps)"
gt_add gdbtarget "gdbtarget,gdb=1"
it_gdb_session '\[gdbtarget\] gdbtarget: waiting' \
	-ex "file $GT_DIR/gdbtarget.elf" \
	-ex 'info threads' \
	-ex 'x/wx &released' \
	-ex 'set var *(int *)&released = 1' \
	-ex 'x/wx &released' \
	-ex 'break tick' \
	-ex 'continue' \
	-ex 'print/x $pc' \
	-ex 'print *(int *)&counter' \
	-ex 'stepi' \
	-ex 'print/x $pc' \
	-ex 'print *(int *)&counter' \
	-ex 'delete' \
	-ex 'watch *(int *)&counter' \
	-ex 'continue' \
	-ex 'delete' \
	-ex 'break report' \
	-ex 'continue' \
	-ex 'print $eax' \
	-ex 'set $eax = 4242' \
	-ex 'info registers eax' \
	-ex 'monitor phys 100000 10' \
	-ex 'delete' \
	-ex 'continue' \
	-- --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline gdb=com2 "${GT_MODULES[@]}"
it_expect '^gdb: the stub listens on the serial port at 0x2f8'
it_expect "^gdb: 'target remote' attaches to vm 1 \\(gdbtarget\\)$"
it_expect '^gdb: a debugger attached to vm 1 \(gdbtarget\); it stops$'
it_expect_after "$IT_LINE" '^\[gdbtarget\] gdbtarget: released$'
it_expect_after "$IT_LINE" '^\[gdbtarget\] gdbtarget: result 4242$'
it_expect_after "$IT_LINE" '^gdb: vm 1 ended; the debugger is told$'
it_expect_after "$IT_LINE" '^vm 1 \(gdbtarget\): ended by hypercall, status 0$'
tick=$(nm "$GT_DIR/gdbtarget.elf" | awk '$3 == "tick" { print $1 }')
report=$(nm "$GT_DIR/gdbtarget.elf" | awk '$3 == "report" { print $1 }')
it_gdb_expect '^\* 1 +Thread 1 '
released=$(nm "$GT_DIR/gdbtarget.elf" | awk '$3 == "released" { print $1 }')
it_gdb_expect '^0x0*'"${released#00}"'( <released>)?:[[:space:]]+0x00000000$'
it_gdb_expect '^0x0*'"${released#00}"'( <released>)?:[[:space:]]+0x00000001$'
it_gdb_expect '^Breakpoint 1 at 0x0*'"${tick#00}"
it_gdb_expect '^Thread 1 hit Breakpoint 1, 0x0*'"${tick#00}"' in tick \(\)$|^Breakpoint 1, 0x0*'"${tick#00}"' in tick \(\)$'
it_gdb_expect '^\$1 = 0x0*'"${tick#00}"'$'
it_gdb_expect '^\$2 = 0$'
it_gdb_expect '^\$3 = 0x[0-9a-f]+$'
it_gdb_expect '^\$4 = 1$'
it_gdb_expect '^Hardware watchpoint 2: \*\(int \*\)&counter$'
it_gdb_expect '^Old value = 1$'
it_gdb_expect '^New value = 2$'
it_gdb_expect '^Breakpoint 3 at 0x0*'"${report#00}"
it_gdb_expect '^\$5 = 5$'
it_gdb_expect '^eax +0x1092 +4242$'
it_gdb_expect '^0000000000100000: '
it_gdb_expect 'exited normally|exited with code'
grep -q -E '^\$3 = 0x0*'"${tick#00}"'$' "$IT_GDB_OUT" && it_fail "stepi did not move the PC"
it_expect_ended_by_itself
it_pass
