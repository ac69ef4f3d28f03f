#!/usr/bin/env bash
# qemu_fault_report: an exception inside the hypervisor (fault_test makes it
# execute UD2) prints the vector, error code, RIP, CR2 and the general
# registers, and stops the CPU: no reboot loop, no silent reset.  The run
# therefore ends only by the timeout, with the banner printed once.
# An NMI is no fault: a second run takes one in the hypervisor (nmi_test,
# INT 2 through the NMI gate), which goes on to the "VT-x unavailable" line
# and powers off by itself.
# Usage: bash tests/integration/qemu_fault_report.sh BUILD_DIR
set -euo pipefail

CMDLINE="fault_test"
EXCEPTION_RE='hypervisor exception 6 \(#UD invalid opcode\), error code 0x0'
RIP_RE='^RIP 0008:[0-9a-f]{16} RFLAGS [0-9a-f]{16} CR2 [0-9a-f]{16}'
REGS_RE='^RAX [0-9a-f]{16} RBX [0-9a-f]{16} RCX [0-9a-f]{16} RDX [0-9a-f]{16}'
R15_RE='^R13 [0-9a-f]{16} R14 [0-9a-f]{16} R15 [0-9a-f]{16}'
STOPPED_RE='this CPU is stopped'
BANNER_RE='tinyhv 0\.1\.0 booting'
RUN_TIMEOUT=8        # the CPU stops; the run can only end by this timeout

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init qemu_fault_report "$@"
it_run --rig qemu --firmware bios --timeout "$RUN_TIMEOUT" --cmdline "$CMDLINE"
[[ $IT_STATUS == 124 ]] || it_fail "expected the stopped CPU to run into the timeout (status 124), got status $IT_STATUS"
it_expect "$EXCEPTION_RE"
it_expect_after "$IT_LINE" "$RIP_RE"
it_expect_after "$IT_LINE" "$REGS_RE"
it_expect_after "$IT_LINE" "$R15_RE"
it_expect_after "$IT_LINE" "$STOPPED_RE"
banners=$(grep -c -E "$BANNER_RE" "$IT_CLEAN" || true)
[[ $banners == 1 ]] || it_fail "the banner appears $banners times: the machine rebooted"

it_run --rig qemu --firmware bios --timeout 45 --cmdline "nmi_test shutdown_after_boot"
it_expect '^nmi_test: the hypervisor took an NMI and went on$'
it_expect_after "$IT_LINE" '^VT-x unavailable: '
it_expect_none 'hypervisor exception' "the NMI was reported as a fault"
it_expect_ended_by_itself
it_pass
