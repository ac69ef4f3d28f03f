#!/usr/bin/env bash
# bochs_attack_events: event delivery edge cases (tests/guests/event_edges.asm
# and event_triple.asm), each followed by a canary guest that must pass:
#  - event_edges: an injected NMI through a not-present gate is a #NP with
#    the gate's error code, then with the gate restored one NMI; a #GP
#    (its own, and one tinyhv injects) through a not-present gate becomes
#    #DF(0); the guest ends with status 0;
#  - event_triple: #PF during #PF delivery into a not-present IDT page, and
#    a fault during the #DF: the VM ends by triple fault;
#  - taskswitch: a far JMP to another task's 32-bit TSS and back, hardware
#    task switches that tinyhv performs; then one to a TSS outside guest
#    RAM: the VM stops, saying so.
# Usage: bash tests/integration/bochs_attack_events.sh BUILD_DIR
set -euo pipefail

EDGES_PASS=(
	"the NMI's delivery through a not-present gate raised #NP\(\(2 << 3\) \| IDT \| EXT\) = 0x13"
	"the #NP's EIP is where the NMI came in \(after the VMCALL\)"
	"the NMI lost to the #NP is not delivered again"
	"with the gate restored HC_NMI reaches the NMI handler once"
	"injected #GP \(RDMSR\) with the #GP gate not present: #NP in its delivery became #DF\(0\)"
	"with the #GP gate restored, RDMSR of a missing MSR is #GP\(0\) again"
	"own #GP \(MOV ES\) with the #GP gate not present: #NP in its delivery became #DF\(0\)"
	"with the #GP gate restored, MOV ES of a selector beyond the GDT is #GP\(selector\) again"
)
EDGES_END_RE='^vm 1 \(event_edges\): ended by hypercall, status 0$'
TRIPLE_SAYS_RE='^\[event_triple\] event_triple: paging on, the IDT.s page not present, reading unmapped 0x800000: expect #PF, #DF, triple fault$'
TRIPLE_END_RE='^vm 3 \(event_triple\): ended by triple fault at RIP 0x[0-9a-f]+ \(CR0 0x[0-9a-f]+, IDTR limit 0x7ff\)$'
TASK_PASS=(
	"in task B after the far JMP: TR is task B's"
	"the task switch set CR0.TS"
	"task A's TSS holds the EIP after its far JMP"
	"back in task A by task B's far JMP: TR is task A's"
	"task B's TSS holds the EIP after its far JMP"
)
TASK_SAYS_RE='^\[taskswitch\] taskswitch: far JMP to a TSS outside guest RAM \(tinyhv must stop this VM\)$'
TASK_END_RE='^vm 5 \(taskswitch\): stopped: task switch to TSS selector 0x28 at RIP 0x[0-9a-f]+: a descriptor table or TSS outside guest RAM$'
CANARY_RE() { echo "^vm $1 \(cpuid\): ended by hypercall, status 0$"; }
RUN_TIMEOUT=240

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init bochs_attack_events "$@"
guests=$IT_BUILD/guests
for g in event_edges event_triple taskswitch cpuid; do
	[[ -f $guests/$g.elf ]] || it_fail "no test guest $guests/$g.elf (build target test_guests)"
done
it_run --cmdline guests_in_turn --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" \
	--module "$guests/event_edges.elf=event_edges" \
	--module "$guests/cpuid.elf=cpuid" \
	--module "$guests/event_triple.elf=event_triple" \
	--module "$guests/cpuid.elf=cpuid" \
	--module "$guests/taskswitch.elf=taskswitch" \
	--module "$guests/cpuid.elf=cpuid"
it_expect_none '^\[event_(edges|triple)\] event_(edges|triple): FAIL' "a failed check"
for p in "${EDGES_PASS[@]}"; do
	it_expect "^\\[event_edges\\] event_edges: PASS $p\$"
done
it_expect "$EDGES_END_RE"
it_expect_after "$IT_LINE" "$(CANARY_RE 2)"
it_expect_after "$IT_LINE" "$TRIPLE_SAYS_RE"
it_expect_after "$IT_LINE" "$TRIPLE_END_RE"
it_expect_after "$IT_LINE" "$(CANARY_RE 4)"
it_expect_none '^\[taskswitch\] taskswitch: FAIL' "a failed task-switch check"
for p in "${TASK_PASS[@]}"; do
	it_expect "^\\[taskswitch\\] taskswitch: PASS $p\$"
done
it_expect_after "$IT_LINE" "$TASK_SAYS_RE"
it_expect_after "$IT_LINE" "$TASK_END_RE"
it_expect_after "$IT_LINE" "$(CANARY_RE 6)"
it_expect_after "$IT_LINE" "^all guests ended$"
it_expect_ended_by_itself
it_pass
