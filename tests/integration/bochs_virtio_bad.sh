#!/usr/bin/env bash
# bochs_virtio_bad: a guest that corrupts its virtqueue (virtio_bad: a
# descriptor chain that loops, then after a reset a correct request, then
# a buffer outside its RAM) on the virtio entropy device (rng=1).  Each
# breach puts the device into DEVICE_NEEDS_RESET with one console line
# naming the device and the rule; the guest itself checks the status bit
# and that the correct request between them is served; the hypervisor
# and a canary guest after it go on.
# Usage: bash tests/integration/bochs_virtio_bad.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_virtio_bad "$@"
gt_add virtio_bad "bad,rng=1"
gt_add cpuid cpuid-after
it_run --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "guests_in_turn cpu_limit=60000" \
	"${GT_MODULES[@]}"

gt_guest bad virtio_bad
gt_pass "found the virtio entropy device 1af4:1044 at 00:02.0"
it_expect_after "$IT_LINE" '^vm 1 \(bad\): virtio-rng: the driver broke a rule, the device needs a reset: the chain loops or is longer than its table \(8\)$'
gt_pass "a looping chain: the device needs a reset" \
	"a looping chain: nothing served" \
	"a reset clears the status" \
	"after the reset a correct request is accepted" \
	"after the reset the request is served (used index 1)" \
	"16 random bytes written"
it_expect_after "$IT_LINE" '^vm 1 \(bad\): virtio-rng: the driver broke a rule, the device needs a reset: a buffer at 0xfff00000 \(16 bytes\) outside RAM$'
gt_pass "a buffer outside RAM: the device needs a reset"
gt_says "done, all checks passed"
gt_end 'ended by hypercall, status 0$'
[[ $(grep -c 'the driver broke a rule' "$IT_CLEAN") == 2 ]] ||
	it_fail "not exactly two 'the driver broke a rule' lines"
gt_canary cpuid-after
gt_finish
