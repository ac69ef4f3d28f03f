# tests/integration/guests_lib.sh: helpers for the integration tests that
# run the test guests of tests/guests (built into <build>/guests/NAME.elf by
# the target test_guests) under tinyhv.  Source it after lib.sh.
#
# One Bochs run carries several guests as Multiboot2 modules; with one CPU
# and the option guests_in_turn (which these tests pass) tinyhv runs them
# one after another, prints each guest line as "[TAG] text" (TAG: the
# first word of the module's string) and ends each VM with a line
# "vm N (TAG): ended by ... / stopped: ...".  Every guest line starts with
# "NAME: " (NAME: the guest's own name, tests/guests/NAME.asm).
#
#   gt_init NAME BUILD_DIR     it_init, and where the guests are
#   gt_add GUEST TAG [ARGS..]  add <build>/guests/GUEST.elf as a module whose
#                              string is "TAG ARGS..." (collected in GT_MODULES)
#   gt_guest TAG GUEST         the next guest's "start" line, after the
#                              previous guest's end (guests run in order)
#   gt_pass TEXT...            for each TEXT, the line "[TAG] GUEST: PASS TEXT"
#   gt_says TEXT...            for each TEXT, the line "[TAG] GUEST: TEXT"
#   gt_says_re RE              a line "[TAG] GUEST: " + RE (grep -E)
#   gt_end RE                  the line "vm N (TAG): " + RE; then checks that
#                              the guest printed no FAIL or unexpected event
#                              between its start and that line
#   gt_ept_stop ACCESS HEX     (ACCESS read, write or "instruction fetch") the
#                              guest's "reading|writing|fetching guest-physical 0xHEX at
#                              EIP X" line, then gt_end with the EPT
#                              violation report, whose RIP must be X
#   gt_canary TAG              the cpuid guest TAG (after an attacker) passed
#   gt_finish                  "all guests ended", the power-off, it_pass
# TEXT is literal (regular-expression characters are escaped); IT_LINE is
# left at the line found, as lib.sh does.

GT_DIR="" GT_TAG="" GT_GUEST="" GT_START=0 GT_AFTER=0
GT_MODULES=()

gt_init() {
	it_init "$@"
	GT_DIR=$IT_BUILD/guests
}

gt_add() {
	local guest=$1
	shift
	local elf=$GT_DIR/$guest.elf
	if [[ ! -f $elf ]]; then
		echo "FAIL $IT_NAME: no test guest $elf (build the target test_guests)" >&2
		exit 1
	fi
	GT_MODULES+=(--module "$elf=$*")
}

# gt_re TEXT: TEXT as a grep -E expression matching itself.
gt_re() {
	printf '%s' "$1" | sed -e 's/[][\\.*^$+?(){}|]/\\&/g'
}

gt_prefix() {
	printf '^\\[%s\\] %s: ' "$(gt_re "$GT_TAG")" "$(gt_re "$GT_GUEST")"
}

gt_guest() {
	GT_TAG=$1 GT_GUEST=$2
	it_expect_after "$GT_AFTER" "$(gt_prefix)start, EAX 0x2badb002, EBX 0x[0-9a-f]{8}, under TinyHV\$"
	GT_START=$IT_LINE
}

gt_pass() {
	local text
	for text in "$@"; do
		it_expect_after "$GT_START" "$(gt_prefix)PASS $(gt_re "$text")\$"
	done
}

gt_says() {
	local text
	for text in "$@"; do
		it_expect_after "$GT_START" "$(gt_prefix)$(gt_re "$text")\$"
	done
}

gt_says_re() {
	it_expect_after "$GT_START" "$(gt_prefix)$1"
}

gt_end() {
	it_expect_after "$GT_START" "^vm [0-9]+ \\($(gt_re "$GT_TAG")\\): $1"
	local end=$IT_LINE bad
	bad=$(sed -n "${GT_START},${end}p" "$IT_CLEAN" |
		grep -E "$(gt_prefix).*(FAIL|unexpected)" || true)
	if [[ -n $bad ]]; then
		it_fail "guest $GT_TAG reported failures:"$'\n'"$bad"
	fi
	GT_AFTER=$end
}

gt_ept_stop() {
	local access=$1 addr=$2 verb eip rip
	case $access in
	read) verb=reading ;;
	write) verb=writing ;;
	"instruction fetch") verb=fetching ;;
	*) it_fail "gt_ept_stop: unknown access '$access'" ;;
	esac
	gt_says_re "$verb guest-physical 0x$addr at EIP 0x[0-9a-f]{8} \\(tinyhv must stop this VM\\)\$"
	eip=$(sed -n "${IT_LINE}p" "$IT_CLEAN" | grep -oE 'at EIP 0x[0-9a-f]+' | cut -d' ' -f3)
	gt_end "stopped: EPT violation: $access at guest-physical 0x0*$addr \\(RIP 0x[0-9a-f]+\\), no device there\$"
	rip=$(sed -n "${IT_LINE}p" "$IT_CLEAN" | grep -oE 'RIP 0x[0-9a-f]+' | cut -d' ' -f2)
	if ((eip != rip)); then
		it_fail "guest $GT_TAG: the EPT violation's RIP $rip is not the faulting instruction's EIP $eip"
	fi
	echo "$IT_NAME: the EPT violation's RIP is the faulting instruction ($eip)" >&2
}

# gt_canary TAG: the cpuid guest TAG, run after an attacker, passed: every
# check, and its end with status 0.
gt_canary() {
	gt_guest "$1" cpuid
	gt_says "done, all checks passed"
	gt_end 'ended by hypercall, status 0$'
}

# gt_finish: all guests ended after the last one checked, the machine
# powered itself off, and the test passes.
gt_finish() {
	it_expect_after "$GT_AFTER" '^all guests ended$'
	it_expect_ended_by_itself
	it_pass
}
