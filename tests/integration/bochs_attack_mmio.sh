#!/usr/bin/env bash
# bochs_attack_mmio: the attacker apic_mmio on its local APIC page (the PC
# platform's xAPIC, 0xfee00000), six times in one Bochs run, one after
# another: every access size, misaligned dwords, a read-only and a
# reserved register, read-modify-write, REP STOSD and the page's last
# dword are emulated or ignored as docs/SECURITY.md says and leave the
# registers intact (each run); then each of four runs ends with an access
# no device can take, which stops that VM with its reason: a dword across
# the page's end, one from below into the page (these two with holes=stop),
# a 16-byte SSE load, MOVSD from one device register to another; and by
# default (holes=ones) the first
# two and a read of 0xfed00400 (past the HPET) give all ones.  A canary (cpuid) passes
# after them.
# Usage: bash tests/integration/bochs_attack_mmio.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_attack_mmio "$@"
gt_add apic_mmio apic
for n in 1 2; do
	gt_add apic_mmio "apic$n,holes=stop end=$n"
done
for n in 3 4; do
	gt_add apic_mmio "apic$n end=$n"
done
gt_add apic_mmio "apic-ones end=5"
gt_add cpuid cpuid-after
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=60000" \
	"${GT_MODULES[@]}"

# mmio_checks TAG: the checks every run passes before its end.
mmio_checks() {
	gt_guest "$1" apic_mmio
	gt_pass "a byte read of the ID register reads 0 (and keeps the rest of EAX)" \
		"a word read of the ID register reads 0" \
		"a byte read of the version register's byte 2 reads its byte 2" \
		"dword reads at offsets 0x21..0x2f (misaligned) read 0" \
		"byte, word and misaligned dword writes to the TPR are ignored" \
		"a write to the read-only version register is ignored" \
		"a reserved register reads 0" \
		"the ESR reports the illegal register access" \
		"OR and ADD on the TPR: 0x30" \
		"XCHG with the TPR returns the old value 0x30" \
		"XCHG wrote the new value 0x40" \
		"REP STOSD onto the page ran its 4 dwords" \
		"the timer's initial count took the aligned dword" \
		"the APIC ID is still 0 after all of it"
}

mmio_checks apic
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

mmio_checks apic1
gt_says "a dword read at 0xfee00ffe, across the page's end (tinyhv must stop this VM)"
gt_end 'stopped: MMIO access at guest-physical 0xfee00ffe \(RIP 0x[0-9a-f]+\) goes beyond its device$'

mmio_checks apic2
gt_says "a dword read at 0xfedffffe, into the page from below (tinyhv must stop this VM)"
gt_end 'stopped: EPT violation: read at guest-physical 0xfedffffe \(RIP 0x[0-9a-f]+\), no device there$'

mmio_checks apic3
gt_says "a 16-byte MOVDQU from the ID register (tinyhv must stop this VM)"
gt_end 'stopped: MMIO read at guest-physical 0xfee00020 \(RIP 0x[0-9a-f]+\): instruction f3 0f 6f 05 cannot be emulated \(not supported\)$'

mmio_checks apic4
gt_says "MOVSD from the ID register to the TPR, device to device (tinyhv must stop this VM)"
gt_end 'stopped: MMIO access at guest-physical 0xfee00020 \(RIP 0x[0-9a-f]+\): MOVS between two devices is not emulated$'

mmio_checks apic-ones
gt_pass "a dword read across the page's end gives all ones (holes=ones)" \
	"a dword read into the page from below gives all ones" \
	"0xfed00400, a hole (past the HPET), reads all ones"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_canary cpuid-after

gt_finish
