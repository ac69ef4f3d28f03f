#!/usr/bin/env bash
# bochs_smp_cpus: every CPU of the MADT reaches VMX root operation, on Bochs
# with 2 and with 4 emulated CPUs; with 4, the MADT's list gets one more
# APIC ID, of a CPU that does not exist (absent_cpu_test=9): it is reported
# by its APIC ID and left out after the start-up timeout, and the rest go
# on.  Each run powers off after bring-up (shutdown_after_boot).
# Usage: bash tests/integration/bochs_smp_cpus.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=120      # seconds per run; two runs below the ctest TIMEOUT (300)

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# expect_cpus N: the MADT line, one VMXON line per CPU in order (CPU i has
# APIC ID i on Bochs), and "CPUs: N online".
expect_cpus() {
	local n=$1 ids="0" i
	for ((i = 1; i < n; i++)); do ids+=", $i"; done
	it_expect "^CPUs: $n in the MADT, APIC IDs $ids; boot CPU APIC ID 0; x2?APIC mode$"
	for ((i = 0; i < n; i++)); do
		it_expect "^VMXON succeeded on CPU $i, APIC ID $i \\(VMXON region at 0x[0-9a-f]+\\)$"
	done
	it_expect "^CPUs: $n online$"
	it_expect_after "$IT_LINE" '^bring-up complete; shutdown_after_boot set$'
	it_expect_ended_by_itself
}

it_init bochs_smp_cpus "$@"
it_run --rig bochs --firmware bios --cpus 2 --timeout "$RUN_TIMEOUT" --cmdline "shutdown_after_boot"
expect_cpus 2
it_expect_none 'left out|error:' "an error with 2 CPUs"

it_run --rig bochs --firmware bios --cpus 4 --timeout "$RUN_TIMEOUT" \
	--cmdline "shutdown_after_boot absent_cpu_test=9"
it_expect '^absent_cpu_test: starting APIC ID 9 too$'
it_expect '^error: CPU with APIC ID 9 left out: it did not start \(no answer to INIT-SIPI-SIPI\)$'
expect_cpus 4
it_pass
