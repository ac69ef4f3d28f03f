# tests/integration/lib.sh: helpers for the integration test scripts, which
# source it.  Each test boots build/hv.elf with scripts/run, the serial
# console going to a log file under the build directory
# (<build>/integration/NAME.serial.log), then checks that log.
#
#   it_init NAME BUILD_DIR    check the arguments and the image
#   it_run ARGS...            scripts/run --image ... --serial LOG ARGS...
#   it_session STEPS... -- ARGS...
#                             the same with the console on a socket to
#                             console_session.py, which types into it
#                             (STEPS: --expect REGEX --send TEXT ...)
#   it_gdb_session READY_RE GDB_ARGS... -- ARGS...
#                             it_run in the background with COM2 wired to
#                             gdb (--gdb-port); once a log line matches
#                             READY_RE, gdb -batch GDB_ARGS... (its output
#                             in IT_GDB_OUT) against it; then the run's end;
#                             IT_GDB_INTERRUPT=S: gdb gets SIGINT (Ctrl-C)
#                             S seconds after it starts
#   it_expect_ended_by_itself the run powered off by itself (status 0)
#   it_expect REGEX           a log line matches REGEX (grep -E); sets
#                             IT_LINE to the number of the first such line
#   it_expect_after N REGEX   like it_expect, but only lines after line N
#   it_expect_none REGEX WHAT no log line matches REGEX (WHAT names it)
#   it_expect_banner CMDLINE MODULES
#                             the boot banner, in order: version and loader,
#                             CPU, the command line CMDLINE, the memory map
#                             with at least one range, MODULES modules
#   it_pass                   report success and exit 0
# Every failure prints the reason and the end of the serial log, and exits 1.

IT_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IT_NAME="" IT_BUILD="" IT_IMAGE="" IT_LOG="" IT_CLEAN="" IT_STATUS="" IT_LINE="" IT_GDB_OUT=""
IT_START=$SECONDS

it_init() {
	IT_NAME=$1
	if (($# < 2)) || [[ ! -d $2 ]]; then
		echo "usage: bash tests/integration/$IT_NAME.sh BUILD_DIR" >&2
		exit 2
	fi
	IT_BUILD=$(cd "$2" && pwd)
	IT_IMAGE=$IT_BUILD/hv.elf
	if [[ ! -f $IT_IMAGE ]]; then
		echo "FAIL $IT_NAME: no image $IT_IMAGE (build it: scripts/build)" >&2
		exit 1
	fi
	mkdir -p "$IT_BUILD/integration"
	IT_LOG=$IT_BUILD/integration/$IT_NAME.serial.log
	IT_CLEAN=$IT_BUILD/integration/$IT_NAME.serial.txt
}

# it_fail REASON: report the failure with the end of the serial log.
it_fail() {
	echo "FAIL $IT_NAME: $*" >&2
	echo "---- last 40 lines of $IT_LOG ----" >&2
	tail -n 40 "$IT_CLEAN" >&2 2>/dev/null || tail -n 40 "$IT_LOG" >&2 2>/dev/null || echo "(no serial log)" >&2
	echo "---- end of log ----" >&2
	exit 1
}

it_run() {
	echo "$IT_NAME: scripts/run --image $IT_IMAGE --serial $IT_LOG $*" >&2
	IT_STATUS=0
	rm -f "$IT_LOG" "$IT_CLEAN"    # never check a log left by an earlier run
	"$IT_REPO_ROOT/scripts/run" --image "$IT_IMAGE" --serial "$IT_LOG" "$@" </dev/null || IT_STATUS=$?
	it_clean_log
}

# The log without carriage returns and ANSI escape sequences (which
# firmware such as OVMF writes to the serial port).
it_clean_log() {
	sed -e 's/\r//g' -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' "$IT_LOG" >"$IT_CLEAN" 2>/dev/null || : >"$IT_CLEAN"
	if ((IT_STATUS == 2)); then
		it_fail "scripts/run rejected its arguments (status 2)"
	fi
}

it_gdb_session() {
	local ready=$1 port pid gdb_pid gdb_status=0 waited=0
	local -a gdb_args=()
	shift
	while (($#)) && [[ $1 != -- ]]; do gdb_args+=("$1"); shift; done
	shift
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	IT_GDB_OUT=$IT_BUILD/integration/$IT_NAME.gdb.log
	echo "$IT_NAME: scripts/run --image $IT_IMAGE --serial $IT_LOG --gdb-port $port $* &" >&2
	rm -f "$IT_LOG" "$IT_CLEAN" "$IT_GDB_OUT"
	"$IT_REPO_ROOT/scripts/run" --image "$IT_IMAGE" --serial "$IT_LOG" --gdb-port "$port" "$@" \
		</dev/null &
	pid=$!
	until grep -q -E -e "$ready" "$IT_LOG" 2>/dev/null; do
		if ! kill -0 "$pid" 2>/dev/null || ((waited >= 600)); then
			wait "$pid" || IT_STATUS=$?
			it_clean_log
			it_fail "the console never showed '$ready'"
		fi
		sleep 1
		waited=$((waited + 1))
	done
	echo "$IT_NAME: gdb -batch -nx ${gdb_args[*]} (target remote :$port)" >&2
	timeout "${IT_GDB_TIMEOUT:-240}" gdb -batch -nx -ex 'set pagination off' -ex 'set confirm off' \
		-ex "target remote :$port" "${gdb_args[@]}" >"$IT_GDB_OUT" 2>&1 </dev/null &
	gdb_pid=$!
	if [[ -n ${IT_GDB_INTERRUPT:-} ]]; then
		sleep "$IT_GDB_INTERRUPT"
		pkill -INT -P "$gdb_pid" gdb 2>/dev/null || kill -INT "$gdb_pid" 2>/dev/null || true
	fi
	wait "$gdb_pid" || gdb_status=$?
	echo "---- gdb said ($IT_GDB_OUT, status $gdb_status) ----" >&2
	cat "$IT_GDB_OUT" >&2
	IT_STATUS=0
	wait "$pid" || IT_STATUS=$?
	it_clean_log
}

# it_gdb_expect REGEX: a line of gdb's output matches.
it_gdb_expect() {
	grep -q -E -e "$1" "$IT_GDB_OUT" || it_fail "gdb never said '$1' (see its output above)"
}

it_session() {
	local -a steps=()
	while (($#)) && [[ $1 != -- ]]; do steps+=("$1"); shift; done
	shift
	echo "$IT_NAME: console_session.py ${steps[*]} -- scripts/run --image $IT_IMAGE --serial-socket 127.0.0.1:{port} $*" >&2
	IT_STATUS=0
	rm -f "$IT_LOG" "$IT_CLEAN"
	python3 "$IT_REPO_ROOT/tests/integration/console_session.py" --log "$IT_LOG" "${steps[@]}" -- \
		"$IT_REPO_ROOT/scripts/run" --image "$IT_IMAGE" --serial-socket '127.0.0.1:{port}' "$@" \
		</dev/null || IT_STATUS=$?
	it_clean_log
	if ((IT_STATUS == 3)); then
		it_fail "the console never showed what the session waited for (see above)"
	fi
}

# IT_LEGACY_POWEROFF_OK=1: Bochs's port 0x8900 counts too (scripts/run
# status 3), for runs where the firmware gives the hypervisor no ACPI
# tables (OVMF on Bochs, which has no fw_cfg).
it_expect_ended_by_itself() {
	case $IT_STATUS in
	0) ;;
	3) ((${IT_LEGACY_POWEROFF_OK:-0})) ||
		it_fail "the machine powered off through Bochs's legacy port 0x8900, not ACPI S5 (scripts/run status 3)" ;;
	124) it_fail "the run did not end by itself: killed by the timeout (no ACPI power-off)" ;;
	*) it_fail "the machine did not power off by itself (scripts/run status $IT_STATUS: emulator failure, triple fault or reset)" ;;
	esac
}

it_expect() {
	it_expect_after 0 "$1"
}

it_expect_after() {
	local after=$1 re=$2 hit
	hit=$(tail -n "+$((after + 1))" "$IT_CLEAN" | grep -n -m1 -E -e "$re" || true)
	if [[ -z $hit ]]; then
		if ((after > 0)); then
			it_fail "no line matching '$re' after line $after of the serial log"
		fi
		it_fail "no line matching '$re' in the serial log"
	fi
	IT_LINE=$((after + ${hit%%:*}))
	echo "$IT_NAME: found line $IT_LINE: ${hit#*:}" >&2
}

it_expect_none() {
	local re=$1 what=$2 hit
	hit=$(grep -n -m1 -E -e "$re" "$IT_CLEAN" || true)
	[[ -z $hit ]] || it_fail "$what at line ${hit%%:*}: ${hit#*:}"
}

it_expect_banner() {
	local cmdline=$1 modules=$2
	it_expect '^tinyhv [0-9]+\.[0-9]+\.[0-9]+ booting, loaded by GRUB [0-9]'
	it_expect_after "$IT_LINE" '^CPU: [A-Za-z]+ family [0-9]+ model [0-9]+ stepping [0-9]+, ".*"$'
	it_expect_after "$IT_LINE" "^Command line: \"$cmdline\"\$"
	it_expect_after "$IT_LINE" '^Memory map \([0-9]+ entries, [0-9]+ MiB usable\):$'
	it_expect_after "$IT_LINE" '^  \[0x[0-9a-f]{16}-0x[0-9a-f]{16}\) type [0-9]+$'
	it_expect_after "$IT_LINE" "^Modules: $modules\$"
}

it_pass() {
	echo "PASS $IT_NAME ($((SECONDS - IT_START)) s)"
	exit 0
}
