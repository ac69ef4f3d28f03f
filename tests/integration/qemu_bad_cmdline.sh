#!/usr/bin/env bash
# qemu_bad_cmdline: a command line with an unknown option, a bad value and a
# missing value, then seven more unknown options: the first eight problems
# are reported by name, the rest counted; the defaults are kept, and the
# boot goes on to the "VT-x unavailable" line and the power-off.
# Usage: bash tests/integration/qemu_bad_cmdline.sh BUILD_DIR
set -euo pipefail

CMDLINE="shutdown_after_boot foo=bar baud=abc loglevel o1=1 o2=2 o3=3 o4=4 o5=5 o6=6 o7=7"
# What is checked (grep -E regular expressions), the warnings in any order.
WARNING_RES=(
	"unknown option 'foo' ignored"
	"bad value 'abc' for option 'baud', keeping default"
	"option 'loglevel' needs a value, keeping default"
	"unknown option 'o5' ignored"
	"config: 2 more bad options not shown"
)
BANNER_RE='tinyhv 0\.1\.0'
VTX_MISSING_RE='VT-x unavailable: '
RUN_TIMEOUT=45       # seconds; below the ctest TIMEOUT (60)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init qemu_bad_cmdline "$@"
it_run --rig qemu --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
it_expect "$BANNER_RE"
last_warning=0
for re in "${WARNING_RES[@]}"; do
	it_expect "$re"
	((IT_LINE > last_warning)) && last_warning=$IT_LINE
done
if grep -q -E "unknown option 'o6'" "$IT_CLEAN"; then
	it_fail "the ninth warning was printed, not counted"
fi
# The boot goes on after the warnings.
it_expect_after "$last_warning" "$VTX_MISSING_RE"
it_expect_ended_by_itself
it_pass
