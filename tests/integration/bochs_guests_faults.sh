#!/usr/bin/env bash
# bochs_guests_faults: one Bochs run (emulated VT-x + EPT, legacy BIOS) with
# guests that tinyhv must stop, then one that must still run normally:
#   unmapped      reads guest-physical 0xC0000000 (no RAM, no device) with
#                 holes=stop: the VM is stopped with an EPT violation report
#                 at that read; unmapped-write (holes=stop) and
#                 unmapped-fetch (the default) write there and jump there,
#                 and are stopped likewise; unmapped-ones (the default,
#                 holes=ones) reads all ones there, its writes go nowhere,
#                 and it goes on
#   hvmem         guest-physical 2 MiB is its own RAM (no sign of tinyhv's
#                 image, which sits at host-physical 2 MiB), then a read of
#                 0xFFFFF000 (above its RAM, holes=stop) stops the VM likewise
#   triplefault   an IDT with limit 0 and int3: the VM ends by triple fault
#   cpuid (tagged cpuid-after): tinyhv went on after those, and this guest
#                 passes its checks
# then "all guests ended" and the machine powers itself off.
# Usage: bash tests/integration/bochs_guests_faults.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_guests_faults "$@"
gt_add unmapped unmapped,holes=stop
gt_add unmapped unmapped-write,holes=stop write
gt_add unmapped unmapped-fetch fetch
gt_add unmapped unmapped-ones ones
gt_add hvmem hvmem,holes=stop
gt_add triplefault triplefault
gt_add cpuid cpuid-after
it_run --cmdline guests_in_turn --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"

gt_guest unmapped unmapped
gt_ept_stop read c0000000
gt_guest unmapped-write unmapped
gt_ept_stop write c0000000
gt_guest unmapped-fetch unmapped
gt_ept_stop "instruction fetch" c0000000
gt_guest unmapped-ones unmapped
gt_pass "a dword read of 0xc0000000 (a hole) gives all ones" \
	"writes there go nowhere: a word read gives all ones again" \
	"OR with a byte of the hole gives all ones"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_guest hvmem hvmem
gt_pass "no Multiboot2 magic 0xe85250d6 in guest-physical 0x200000..0x210000" \
	"write and read back of guest-physical 0x200000 (own RAM)"
gt_ept_stop read fffff000

gt_guest triplefault triplefault
gt_says "loading an IDT with limit 0 and executing int3: expect a triple fault"
gt_end 'ended by triple fault'

gt_guest cpuid-after cpuid
gt_pass "VMX bit (CPUID.1:ECX[5]) is clear" \
	"hypervisor bit (CPUID.1:ECX[31]) is set" \
	"signature (CPUID.0x40000000 EBX,ECX,EDX) is TinyHVTinyHV" \
	"HC_PRINT returned 0"
gt_says "printed by HC_PRINT" "done, all checks passed"
gt_end 'ended by hypercall, status 0$'

gt_finish
