#!/usr/bin/env bash
# bochs_smp_linux_vcpus: bochs_linux with 2 vCPUs on 2 CPUs (an SMP guest):
# the kernel starts its second CPU through the virtual local APIC
# (INIT, start-up IPIs), both come online, a job runs on each at once, and
# rescheduling, function-call and TLB-shootdown IPIs reach both vCPUs; the
# same clean boot and power-off as bochs_linux.
# Usage: bash tests/integration/bochs_smp_linux_vcpus.sh BUILD_DIR
LINUX_VCPUS=2 exec bash "$(dirname "${BASH_SOURCE[0]}")/bochs_linux.sh" "$@"
