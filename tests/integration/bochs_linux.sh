#!/usr/bin/env bash
# bochs_linux: Debian's stock kernel, unmodified, boots under tinyhv on
# Bochs to the initramfs (scripts/mkinitramfs-guest); its /init reports the
# kernel version and CPU flags, prints the marker and powers off (ACPI S5);
# the hypervisor reports the VM's end and its exits, and powers the machine
# off.  The kernel must boot cleanly: a warning, an oops, a soft lockup or a
# complaint about the virtual platform fails the test.
# Usage: bash tests/integration/bochs_linux.sh BUILD_DIR
# LINUX_FIRMWARE=uefi (bochs_linux_uefi.sh) boots through OVMF instead.
# LINUX_NEXT_TO_GUEST=1 (bochs_smp_linux.sh) boots it on 2 CPUs next to a
# Multiboot guest (memfill) on the other CPU, which must end first, with
# its checks passed, while Linux goes on to its marker.
# LINUX_VCPUS=2 (bochs_smp_linux_vcpus.sh) boots it with 2 vCPUs on 2 CPUs:
# both come online, the initramfs runs a job on each at once, and
# rescheduling, function-call and TLB-shootdown IPIs reach both.
set -euo pipefail

MARKER_RE='^\[linux\] TINYHV-GUEST-OK$'
KERNEL_RE='^\[linux\] guest: kernel [0-9]+\.[0-9]+\.[0-9]+-[0-9]+-amd64$'
FLAGS_RE='^\[linux\] guest: cpu flags: '
# tests/linux/vecstate: the guest's vector registers kept across task
# switches (Bochs 2.7's XSAVEC, were it shown to the guest, loses them).
VECSTATE_RE='^\[linux\] guest: vecstate: kept [xy]mm0-15(, zmm16-31, k1-7)? over 200 task switches in 2 processes$'
ENDED_RE='^vm [0-9]+ \(linux\): ended by ACPI S5 power-off$'
ALL_ENDED_RE='^all guests ended$'
EXITS_RE='^vm [0-9]+ \(linux\): [0-9]+ VM exits$'
# printk lines of trouble: WARN()/BUG() reports, lockups and stalls, and
# what Linux says of an inconsistent CPU or platform.
KERNEL_TROUBLE_RE='^\[linux\] \[ *[0-9]+\.[0-9]+\] (.*(WARNING: CPU|cut here|BUG:|Oops|Call Trace:|soft lockup|rcu_sched self-detected|rcu: INFO)|.*XSAVE consistency problem|.*Keylock active|\[Firmware Bug\])'
FIRMWARE=${LINUX_FIRMWARE:-bios}
# OVMF on Bochs hands over no ACPI tables (Bochs has no fw_cfg): the
# hypervisor then powers off through Bochs's legacy port.
[[ $FIRMWARE == bios ]] || IT_LEGACY_POWEROFF_OK=1
GUEST_CMDLINE="console=ttyS0,115200 panic=-1"
RUN_TIMEOUT=1000

NEXT_TO_GUEST=${LINUX_NEXT_TO_GUEST:-0}
VCPUS=${LINUX_VCPUS:-1}
NAME="bochs_linux$([[ $FIRMWARE == bios ]] || echo "_$FIRMWARE")"
EXTRA=()
LINUX_OPTS=""
if ((NEXT_TO_GUEST)); then
	NAME=bochs_smp_linux
	EXTRA=(--cpus 2)
fi
if ((VCPUS > 1)); then
	NAME=bochs_smp_linux_vcpus
	RUN_TIMEOUT=1150     # below ctest's 1200: two CPUs and the initramfs's work on both
	EXTRA=(--cpus "$VCPUS")
	LINUX_OPTS=",vcpus=$VCPUS"
fi

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
it_init "$NAME" "$@"
if ((NEXT_TO_GUEST)); then
	EXTRA+=(--module "$IT_BUILD/guests/memfill.elf=memA,mem=16 A passes=2")
fi
"$IT_REPO_ROOT/scripts/fetch-guest-kernel" >&2
"$IT_REPO_ROOT/scripts/mkinitramfs-guest" >&2
cache=$IT_REPO_ROOT/guests-cache
it_run --rig bochs --firmware "$FIRMWARE" --timeout "$RUN_TIMEOUT" "${EXTRA[@]}" \
	--module "$cache/linux/vmlinuz=linux$LINUX_OPTS $GUEST_CMDLINE" \
	--module "$cache/initramfs.cpio.gz=initrd"
if ((NEXT_TO_GUEST)); then
	it_expect '^vm 1 \(memA\): starting on CPU 0'
	it_expect '^vm 2 \(linux\): starting on CPU 1'
	it_expect '^\[memA\] memfill: PASS every pass read back its own pattern$'
	it_expect '^vm 1 \(memA\): ended by hypercall, status 0$'
	mem_end=$IT_LINE
	it_expect "$MARKER_RE"
	((mem_end < IT_LINE)) || it_fail "the Multiboot guest did not end before Linux reached its marker"
fi
if ((VCPUS > 1)); then
	it_expect "^vm 1 \\(linux\\): starting, $VCPUS vCPUs on CPUs 0,1,"
	it_expect "^\\[linux\\] \\[ *[0-9.]+\\] smpboot: Total of $VCPUS processors activated"
	it_expect "^\\[linux\\] guest: cpus online: 0-$((VCPUS - 1))\$"
	it_expect "^\\[linux\\] guest: workload: 1 distinct sum of $VCPUS jobs\$"
	for irq in RES CAL TLB; do
		it_expect "^\\[linux\\] guest:   $irq: +[0-9]+ +[0-9]+ "
		counts=$(sed -n "${IT_LINE}p" "$IT_CLEAN" | awk '{ print $4, $5 }')
		read -r c0 c1 <<<"$counts"
		((c0 > 0 && c1 > 0)) || it_fail "no $irq interrupts on both vCPUs: $counts"
		echo "$IT_NAME: $irq interrupts on both vCPUs: $counts" >&2
	done
fi
it_expect "$KERNEL_RE"
it_expect "$FLAGS_RE"
it_expect "$VECSTATE_RE"
flags=$(grep -E -m1 "$FLAGS_RE" "$IT_CLEAN")
if grep -qw vmx <<<"$flags"; then
	it_fail "the guest sees VMX in its CPU flags: $flags"
fi
it_expect "$MARKER_RE"
it_expect_after "$IT_LINE" "$ENDED_RE"
if ((VCPUS > 1)); then
	# An SMP VM's report has a block per vCPU.
	for ((k = 0; k < VCPUS; k++)); do
		it_expect_after "$IT_LINE" "^vm [0-9]+ \\(linux\\): vCPU $k: [0-9]+ VM exits\$"
	done
else
	it_expect_after "$IT_LINE" "$EXITS_RE"
fi
it_expect_after "$IT_LINE" "$ALL_ENDED_RE"
it_expect_none "$KERNEL_TROUBLE_RE" "the guest kernel reported trouble"
it_expect_ended_by_itself
it_pass
