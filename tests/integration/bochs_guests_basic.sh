#!/usr/bin/env bash
# bochs_guests_basic: one Bochs run (emulated VT-x + EPT, legacy BIOS) with
# the test guests (tests/guests) as modules, run by tinyhv in order:
#   cpuid      CPUID (no VMX, hypervisor bit, "TinyHVTinyHV"), the Multiboot
#              information (32 MiB of RAM, memory map, command line) and the
#              hypercalls HC_PRINT/HC_NOP
#   msr        allowed MSRs round-trip, others raise #GP(0)
#   cr         CR0/CR4 shadows, CR4.VMXE refused, CR3, paging on and off
#   hlt        HC_TIMER wakes HLT; a pending interrupt waits for STI
#   nmi        HC_NMI: NMI injection, held while the guest's handler runs
#   cache      WBINVD and INVD exit, are done, and the guest goes on
#   io         UART scratch register, string I/O, unclaimed port
#   vmxon      VMX instructions raise #UD
#   ring3      VMCALL at ring 3 (HC_PRINT, HC_NOP, HC_EXIT) raises #UD in the
#              guest and runs no hypercall; the VM goes on (ring 3 again,
#              HC_NOP and HC_PRINT at ring 0) and ends with status 0
#   xsetbv     XSETBV with invalid XCR0 values raises #GP(0)
#   debugexit  the debug-exit port 0xf4 ends the VM with status 0x21
#   mods       two boot modules (the modules named "module" after it) in
#              its Multiboot information: strings, sizes, page-aligned above
#              the kernel, contents
#   nomods     no boot modules (a module named "module" after no Multiboot
#              guest is reported and ignored)
#   lapic      the PC platform's local APIC: IA32_APIC_BASE, ID, a timer
#              interrupt, an IPI to itself
#   bare       the same guest with platform=none: no local APIC at all
#   smp        ipibench with 2 vCPUs (guests_in_turn puts both on CPU 0):
#              it starts its second CPU (INIT, start-up IPIs, real mode)
#              and IPIs go back and forth, xAPIC and x2APIC
# Each guest's PASS lines, its end and "all guests ended" are checked, no
# guest may print FAIL, and the machine must power itself off.
# Usage: bash tests/integration/bochs_guests_basic.sh BUILD_DIR
set -euo pipefail

RUN_TIMEOUT=270      # seconds; below the ctest TIMEOUT (300)
HYPERCALL_OK='ended by hypercall, status 0$'

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/guests_lib.sh"
gt_init bochs_guests_basic "$@"
gt_add cpuid cpuid hello=world
gt_add msr msr
gt_add cr cr
gt_add hlt hlt
gt_add nmi nmi
gt_add cache cache
gt_add io io
gt_add vmxon vmxon
gt_add ring3 ring3
gt_add xsetbv xsetbv
gt_add debugexit debugexit
gt_add mods mods
printf 'first module: hello\nsecond line\n' >"$IT_BUILD/integration/module1.txt"
head -c 5000 /dev/zero | tr '\0' 'z' >"$IT_BUILD/integration/module2.txt"
GT_MODULES+=(--module "$IT_BUILD/integration/module1.txt=module greeting --verbose"
	--module "$IT_BUILD/integration/module2.txt=module")
gt_add mods nomods
gt_add lapic lapic
gt_add lapic "bare,platform=none"
gt_add ipibench "smp,vcpus=2 n=3"
# One more "module" first, after no guest at all.
GT_MODULES=(--module "$IT_BUILD/integration/module1.txt=module orphan" "${GT_MODULES[@]}")
it_run --cmdline guests_in_turn --rig bochs --firmware bios --timeout "$RUN_TIMEOUT" "${GT_MODULES[@]}"

gt_guest cpuid cpuid
gt_pass "VMX bit (CPUID.1:ECX[5]) is clear" \
	"hypervisor bit (CPUID.1:ECX[31]) is set" \
	"signature (CPUID.0x40000000 EBX,ECX,EDX) is TinyHVTinyHV" \
	"highest hypervisor leaf (CPUID.0x40000000 EAX) >= 0x40000001" \
	"multiboot info has mem_lower/mem_upper (flags bit 0)" \
	"mem_upper is at least 1024 KiB" \
	"multiboot info has a memory map (flags bit 6)" \
	"the memory map has RAM (type 1) holding the guest image at 1 MiB" \
	"HC_PRINT returned 0" \
	"HC_NOP returned 0" \
	"HC_PRINT of 5000 bytes (over 4096) returned an error" \
	"unknown hypercall 0x7fff returned an error"
gt_says_re "CPUID\\.0x40000000: max leaf 0x[0-9a-f]{8}, signature 'TinyHVTinyHV'\$"
# The default guest RAM, [0, 32 MiB): 31 MiB above 1 MiB.
gt_says_re "mem_lower [0-9]+ KiB, mem_upper 31744 KiB\$"
gt_says_re "mmap: [0-9]+ entries, highest RAM end 0x0000000002000000\$"
gt_says "command line 'hello=world'" "printed by HC_PRINT" "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest msr msr
gt_pass "IA32_SYSENTER_CS (0x174) round trip" \
	"IA32_SYSENTER_ESP (0x175) round trip" \
	"IA32_SYSENTER_EIP (0x176) round trip" \
	"IA32_PAT (0x277) round trip" \
	"IA32_STAR (0xc0000081) round trip" \
	"IA32_LSTAR (0xc0000082) round trip" \
	"IA32_KERNEL_GS_BASE (0xc0000102) round trip" \
	"IA32_EFER.SCE (0xc0000080 bit 0) set and cleared, read back each time" \
	"rdmsr 0x1234 (not allowed) raised #GP(0)" \
	"wrmsr 0x1234 (not allowed) raised #GP(0)" \
	"wrmsr 0x480 (IA32_VMX_BASIC) raised #GP(0)" \
	"rdmsr 0x480 (IA32_VMX_BASIC) raised #GP(0)" \
	"wrmsr 0x3a (IA32_FEATURE_CONTROL) raised #GP(0)"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest cr cr
gt_pass "CR0.PE is set at entry" \
	"CR0.PG is clear at entry" \
	"CR4.VMXE reads as clear" \
	"CR0.NE set and cleared, read back as written each time" \
	"CR0.WP set and cleared, read back as written each time" \
	"CR0.MP set and cleared, read back as written each time" \
	"CR0.TS set and cleared, read back as written each time" \
	"CR4.PSE set and cleared, read back as written each time" \
	"CR4.PGE set and cleared, read back as written each time" \
	"CR4.OSFXSR set and cleared, read back as written each time" \
	"CR4.PSE|PGE set together, CR4 read back as written" \
	"setting CR4.VMXE raised #GP(0)" \
	"CR4.VMXE still reads as clear" \
	"setting reserved CR4 bit 31 raised #GP(0)" \
	"CR3 round trip (paging off)" \
	"CR0.PG reads as set after enabling paging" \
	"CR3 holds the page directory while paging is on" \
	"paging on with 4 MiB pages: memory read and written through the alias at 0x40000000" \
	"read of unmapped linear 0x40400000 raised #PF with error code 0" \
	"CR2 holds the faulting linear address 0x40400000" \
	"CR0.PG reads as clear after disabling paging"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest hlt hlt
gt_pass "HC_TIMER(0x40, 1000000 ticks) returned 0" \
	"counter is 1 after HLT returned" \
	"the interrupt came after the delay (>= 937500 ticks)" \
	"HC_TIMER(0x40, 10000 ticks) returned 0" \
	"no interrupt delivered while IF = 0" \
	"the pending interrupt was delivered once after STI" \
	"HC_TIMER with vector 0x10 (below 32) returned an error"
gt_says "woken by interrupt 0x40" "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest nmi nmi
gt_pass "HC_NMI returned 0" \
	"HC_NMI with IF = 0: one NMI taken at once through vector 2" \
	"no NMI nested in the NMI handler" \
	"NMIs raised in the NMI handler wait for its IRET" \
	"the two NMIs raised in the handler came as one, after its IRET"
gt_says "NMIs taken inside the handler 1, in all 2" "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest cache cache
gt_pass "WBINVD returned; memory written before it reads back" \
	"INVD returned; memory written before it reads back"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"
# Both exited to tinyhv: its report counts them (reasons 13 and 54).
it_expect_after "$IT_LINE" '^  INVD +1  \('
it_expect_after "$IT_LINE" '^  WBINVD +1  \('

gt_guest io io
gt_pass "LSR (0x3fd) says THR empty (bit 5)" \
	"scratch register 0x3ff: OUT then IN of 0xa5 and 0x5a (rest of EAX kept)" \
	"rep outsb: ECX = 0 and ESI advanced by the length" \
	"insb from 0x3ff stored 0x3c and advanced EDI by 1" \
	"rep insb of 4 bytes from 0x3ff" \
	"insb with DF = 1 stored the byte and decremented EDI" \
	"8-bit IN from unclaimed port 0x2000 reads 0xff (rest of EAX kept)" \
	"16-bit IN from unclaimed port 0x2000 reads 0xffff (rest of EAX kept)" \
	"32-bit IN from unclaimed port 0x2000 reads 0xffffffff" \
	"8-, 16- and 32-bit OUT to unclaimed port 0x2000 ignored" \
	"rep outsd of 2 dwords to port 0x2000: ECX = 0, ESI advanced by 8" \
	"rep insw of 2 words from port 0x2000 stored 0xffff twice"
# The line the guest wrote with one rep outsb, across a page boundary.
gt_says "written by rep outsb, across a page boundary" "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest vmxon vmxon
gt_pass "VMXON [mem] raised #UD" "VMCLEAR [mem] raised #UD" "VMPTRLD [mem] raised #UD" \
	"VMPTRST [mem] raised #UD" "VMREAD raised #UD" "VMWRITE raised #UD" \
	"VMLAUNCH raised #UD" "VMRESUME raised #UD" "VMXOFF raised #UD" \
	"INVEPT raised #UD" "INVVPID raised #UD" "VMFUNC raised #UD"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest ring3 ring3
# The text of the ring-3 HC_PRINT must never appear: it is not run.
it_expect_none 'HC_PRINT from ring 3 was executed' "the hypervisor ran HC_PRINT for ring 3"
gt_pass "int 0x80 from ring 3 reached ring 0 (saved CS 0x1b, EIP after the int)" \
	"VMCALL HC_PRINT at ring 3 raised #UD" \
	"VMCALL HC_PRINT at ring 3: the #UD's saved EIP is the VMCALL, saved CS 0x1b (ring 3)" \
	"the #UD was taken on the TSS's ring-0 stack (SS0:ESP0), ring 3's SS:ESP saved" \
	"VMCALL HC_NOP at ring 3 raised #UD" \
	"VMCALL HC_NOP at ring 3: the #UD's saved EIP is the VMCALL, saved CS 0x1b (ring 3)" \
	"VMCALL HC_NOP at ring 3: EAX still holds the function number (no hypercall result)" \
	"VMCALL HC_EXIT (status 3333) at ring 3 raised #UD" \
	"VMCALL HC_EXIT (status 3333) at ring 3: the #UD's saved EIP is the VMCALL, saved CS 0x1b (ring 3)" \
	"VMCALL HC_EXIT (status 3333) at ring 3: EAX still holds the function number (no hypercall result)" \
	"the VM is still running after VMCALL HC_EXIT at ring 3" \
	"HC_NOP at ring 0 returned 0 after the refused ring-3 VMCALLs" \
	"HC_PRINT at ring 0 returned 0 after the refused ring-3 VMCALLs"
gt_says "printed by HC_PRINT at ring 0, after the ring-3 VMCALLs" "done, all checks passed"
# Status 0 from ring 0: not 3333, the ring-3 HC_EXIT's.
gt_end "$HYPERCALL_OK"
# Six VMCALL exits: the three at ring 3 reached tinyhv (which injected the
# #UDs), then HC_NOP, HC_PRINT and HC_EXIT at ring 0.
it_expect_after "$IT_LINE" '^  VMCALL +6  \('

gt_guest xsetbv xsetbv
gt_pass "CPUID.1:ECX.OSXSAVE (bit 27) is clear while CR4.OSXSAVE is clear" \
	"XSETBV with CR4.OSXSAVE clear raised #UD" \
	"CR4.OSXSAVE set and read back" \
	"CPUID.1:ECX.OSXSAVE (bit 27) is set once CR4.OSXSAVE is set" \
	"XCR0 has x87 (bit 0) set" \
	"XSETBV XCR0 = 0 (x87 clear) raised #GP(0)" \
	"XSETBV XCR0 = 0x5 (AVX without SSE) raised #GP(0)" \
	"XSETBV XCR0 with reserved bit 63 raised #GP(0)" \
	"XCR0 unchanged after the refused values" \
	"XSETBV XCR0 = 0x3 (x87 | SSE) accepted" \
	"XGETBV reads XCR0 = 0x3 back"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest debugexit debugexit
gt_says "writing 0x10 to port 0xf4: expect status 0x21"
gt_end 'ended by debug-exit port, status (33|0x0*21)$'

gt_guest mods mods
gt_says "boot modules: 2" "first line: first module: hello" \
	"first line: zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
gt_says_re "module 0: 'greeting --verbose', 32 bytes at 0x[0-9a-f]{5}000\$"
gt_says_re "module 1: '', 5000 bytes at 0x[0-9a-f]{5}000\$"
gt_pass "the module starts on a page boundary" "the module lies above the kernel" \
	"the module ends inside RAM"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest nomods mods
gt_says "no boot modules (flags bit 3 clear)" "done, all checks passed"
gt_end "$HYPERCALL_OK"
gt_guest lapic lapic
gt_pass "IA32_APIC_BASE: enabled, BSP, at 0xfee00000" "the APIC ID of the only CPU is 0" \
	"one local APIC timer interrupt (vector 0x40, one-shot)" "an IPI to itself (vector 0x41) arrived"
gt_says "done, all checks passed"
gt_end "$HYPERCALL_OK"

gt_guest bare lapic
gt_says "no local APIC (CPUID.1:EDX.APIC clear)" "done, all checks passed"
gt_pass "rdmsr IA32_APIC_BASE raised #GP(0) on a bare machine"
gt_end "$HYPERCALL_OK"
gt_guest smp ipibench
it_expect_after "$GT_AFTER" '^vm [0-9]+ \(smp\): starting, 2 vCPUs on CPUs 0,0, '
gt_says "iterations 3, the second CPU's APIC ID 1" "handlers run: 32" "done, all checks passed"
gt_pass "the second CPU took every IPI, and answered each"
gt_says_re "x2apic-ipi-hlt 3 iterations, mean [0-9]+ cycles\$"
gt_end "$HYPERCALL_OK"
it_expect "^warning: module 0: a boot module named 'module' with no Multiboot guest before it: ignored\$"

gt_finish
