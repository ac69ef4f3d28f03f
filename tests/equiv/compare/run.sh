#!/usr/bin/env bash
# tests/equiv/compare/run.sh: the test of scripts/equiv-compare (ctest
# equiv.compare).  Transcripts of a made-up area "demo": the same checks
# with an intended difference pass; a changed observation, a missing
# check or a run that reports failures fail; bad input is an error (2).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
compare=$here/../../../scripts/equiv-compare
fails=0

# expect STATUS NAME ARGS...: scripts/equiv-compare ARGS exits STATUS.
expect() {
	local want=$1 name=$2 got=0 out
	shift 2
	out=$("$compare" --differences "$here/differences.md" "$@" 2>&1) || got=$?
	if ((got != want)); then
		echo "FAIL $name: exit status $got, expected $want; it printed:"
		sed 's/^/    /' <<<"$out"
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}

expect 0 "same checks, an intended difference" demo "$here/native.log" "$here/same.log"
expect 1 "an observation changed" demo "$here/native.log" "$here/changed.log"
expect 1 "a check made in one run only" demo "$here/native.log" "$here/missing.log"
expect 1 "a run that counted a failure" demo "$here/native.log" "$here/failed.log"
expect 1 "another area's rows do not apply" demo "$here/native.log" "$here/other-area.log"
expect 2 "a missing log" demo "$here/native.log" "$here/no-such.log"
expect 2 "a log without a transcript" demo "$here/native.log" "$here/differences.md"
exit $((fails > 0))
