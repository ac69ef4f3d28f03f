#!/usr/bin/env bash
# bochs_smp_guests: several VMs at once, each on its own CPU.  memfill
# guests (tests/guests/memfill.asm) fill all of their RAM with their own
# pattern and check it, pass after pass, while the others do the same: no
# guest ever reads anything but its own pattern, their lines interleave on
# the console but each line is whole, and each VM's end report is one
# block.
#   run 1, 2 CPUs: memA on CPU 0, memB on CPU 1 at once; memC pinned to
#     CPU 1 (cpus=1) shares it with memB, time-sliced.
#   run 2, 4 CPUs: memA, memB, memC at once on CPUs 0-2; on CPU 3 a
#     triple-faulting guest, a guest whose RAM does not fit, and one that
#     sends INIT, start-up and NMI IPIs to every APIC ID, and last an
#     INIT to itself, a reset (ipistorm), end
#     while they run; modules with impossible options are refused, one
#     line each.
# Usage: bash tests/integration/bochs_smp_guests.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=140      # seconds per run; two runs below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"

# line_of RE: the number of the first line matching RE (it_expect's IT_LINE).
line_of() {
	it_expect "$1"
	echo "$IT_LINE"
}

# memfill_passed TAG KEY CPU: the guest started on CPU, used key KEY,
# passed every pass and ended with status 0.
memfill_passed() {
	local tag=$1 key=$2 cpu=$3
	it_expect "^vm [0-9]+ \\($tag\\): starting on CPU $cpu, 16 MiB RAM at host 0x[0-9a-f]+$"
	it_expect "^\\[$tag\\] memfill: key '$key', filling 0x200000..0x01000000, 3 passes$"
	it_expect "^\\[$tag\\] memfill: pass 3 of 3: all 14 MiB read back as written$"
	it_expect "^\\[$tag\\] memfill: PASS every pass read back its own pattern$"
	it_expect "^vm [0-9]+ \\($tag\\): ended by hypercall, status 0$"
}

# overlapped A B: A printed its first pass before B ended and B before A
# ended: the two ran at the same time.
overlapped() {
	local a1 b1 aend bend
	a1=$(line_of "^\\[$1\\] memfill: pass 1 of 3")
	b1=$(line_of "^\\[$2\\] memfill: pass 1 of 3")
	aend=$(line_of "^vm [0-9]+ \\($1\\): ended")
	bend=$(line_of "^vm [0-9]+ \\($2\\): ended")
	((a1 < bend && b1 < aend)) || it_fail "$1 and $2 did not run at the same time"
	echo "$IT_NAME: $1 and $2 ran at the same time" >&2
}

# whole_lines: every guest line is one of memfill's or the other guests'
# whole lines, every report block is whole (the "N VM exits" line right
# after its VM's end line), and no guest failed.
whole_lines() {
	local bad
	bad=$(grep -E '^\[' "$IT_CLEAN" | grep -vE '^\[ipistorm\] ipistorm: ' | grep -vE '^\[(mem[A-C])\] memfill: (start, EAX 0x2badb002, EBX 0x[0-9a-f]{8}, under TinyHV|key .[A-C]., filling 0x200000\.\.0x01000000, 3 passes|pass [1-3] of 3: all 14 MiB read back as written|PASS every pass read back its own pattern|done, all checks passed|exit status 0 \(HC_EXIT\))$' |
		grep -vE '^\[triple\] triplefault: ' || true)
	[[ -z $bad ]] || it_fail "guest lines not whole or unexpected:"$'\n'"$bad"
	bad=$(awk '/^vm [0-9]+ \(.*\): [0-9]+ VM exits$/ { split($0, a, ":"); if (index(prev, a[1] ": ") != 1) print NR ": " $0 " after: " prev } { prev = $0 }' "$IT_CLEAN")
	[[ -z $bad ]] || it_fail "a VM's report is split by other lines:"$'\n'"$bad"
	it_expect_none 'FAIL' "a guest failed"
}

gt_init bochs_smp_guests "$@"
gt_add memfill "memA,mem=16" A
gt_add memfill "memB,mem=16" B
gt_add memfill "memC,mem=16,cpus=1" C
it_run --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
memfill_passed memA A 0
memfill_passed memB B 1
memfill_passed memC C 1
overlapped memA memB
overlapped memB memC
whole_lines
it_expect '^all guests ended$'
it_expect_ended_by_itself

GT_MODULES=()
gt_add memfill "memA,mem=16" A
gt_add memfill "memB,mem=16" B
gt_add memfill "memC,mem=16" C
gt_add triplefault "triple,cpus=3"
gt_add cpuid "huge,mem=3000,cpus=3"
gt_add ipistorm "ipistorm,cpus=3"
gt_add cpuid "ninevcpus,vcpus=9"
gt_add cpuid "nocpu,cpus=7"
gt_add cpuid "typo,colour=blue"
it_run --rig bochs --firmware bios --cpus 4 --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"
memfill_passed memA A 0
memfill_passed memB B 1
memfill_passed memC C 2
overlapped memA memB
overlapped memB memC
it_expect '^error: guest ninevcpus \(module 6\): refused: vcpus=9: at most 8 vCPUs per VM$'
it_expect '^error: guest nocpu \(module 7\): refused: cpus=: CPU 7 is not online$'
it_expect "^error: guest typo \\(module 8\\): refused: unknown option 'colour'$"
it_expect '^vm [0-9]+ \(triple\): starting on CPU 3'
it_expect '^vm [0-9]+ \(triple\): ended by triple fault'
it_expect '^error: guest huge: cannot create a VM with 3000 MiB: out of memory$'
it_expect '^\[ipistorm\] ipistorm: PASS the NMIs it sent itself arrived; it runs on after 771 IPIs$'
it_expect '^vm [0-9]+ \(ipistorm\): ended by reset \(INIT IPI to vCPU 0\)$'
((  $(line_of '^vm [0-9]+ \(triple\): ended') < $(line_of '^vm [0-9]+ \(memA\): ended') )) ||
	it_fail "the triple-faulting guest did not end while memA ran"
whole_lines
it_expect '^all guests ended$'
it_expect_ended_by_itself
it_pass
