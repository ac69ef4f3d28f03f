#!/usr/bin/env bash
# bochs_equiv: one area of the equivalence test (docs/EQUIVALENCE.md): the
# guest equiv_AREA natively on Bochs and under tinyhv, transcripts
# compared by scripts/equiv-compare; any difference not listed as
# intended fails.
# Usage: bash tests/integration/bochs_equiv.sh AREA BUILD_DIR
set -euo pipefail
if (($# != 2)); then
	echo "usage: bash tests/integration/bochs_equiv.sh AREA BUILD_DIR" >&2
	exit 2
fi
area=$1
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if "$repo/scripts/equiv" --build "$2" "$area"; then
	echo "PASS bochs_equiv_$area"
else
	echo "FAIL bochs_equiv_$area: the transcripts differ (above), or a run failed; logs in $2/equiv/" >&2
	exit 1
fi
