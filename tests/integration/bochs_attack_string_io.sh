#!/usr/bin/env bash
# bochs_attack_string_io: the attacker string_io runs REP INS/OUTS off its
# RAM: upwards past the end (with a count of 0xffffffff, so through several
# 4096-element chunks first), straddling the end, and with DF = 1 below 0
# (32-bit address size: to 4 GiB - n).  Each VM is stopped with a report
# naming the port and the first linear address outside RAM, and a canary
# (cpuid) passes after each.  Last, string_io without an attack checks the
# wrap-arounds that stay in RAM (16-bit address size below 0, down across
# a page), which must complete.
# Usage: bash tests/integration/bochs_attack_string_io.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)
RAM_END=2000000      # 32 MiB, hex

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_string_io "$@"
for a in iend oend idown odown istraddle; do
	gt_add string_io "string_io-$a" "$a"
	gt_add cpuid "cpuid-after-$a"
done
gt_add string_io string_io-wrap
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=30000" \
	"${GT_MODULES[@]}"

# attack TAG WHAT PORT LINEAR: the guest's announcement, then its VM
# stopped with the string I/O report, then the canary.
attack() {
	local tag=$1 what=$2 port=$3 linear=$4
	gt_guest "string_io-$tag" string_io
	gt_says_re "$(gt_re "$what") at EIP 0x[0-9a-f]{8} \\(tinyhv must stop this VM\\)\$"
	gt_end "stopped: string I/O on port 0x$port with a buffer outside guest RAM \\(linear 0x0*$linear\\), at RIP 0x[0-9a-f]+\$"
	gt_canary "cpuid-after-$tag"
}
attack iend "rep insb, ECX 0xffffffff, from RAM's end - 0x2010 upwards" 2000 $RAM_END
attack oend "rep outsb, 64 bytes from RAM's end - 16" 2000 $RAM_END
attack idown "DF = 1, rep insw, 64 words from EDI 6 down" 2000 fffffffe
attack odown "DF = 1, rep outsd, 64 dwords from ESI 8 down" 2000 fffffffc
attack istraddle "insd at RAM's end - 2 (straddling the end)" 2000 1fffffe

gt_guest string_io-wrap string_io
gt_pass "16-bit address size, DF = 1: rep insb wrapped below 0 to 0xffff inside the segment, CX counted, high halves kept" \
	"16-bit address size, DF = 1: rep outsb wrapped below 0 inside the segment, CX counted, high halves kept" \
	"DF = 1: rep insb down across a page boundary stored 4 bytes, EDI moved down by 4"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_finish
