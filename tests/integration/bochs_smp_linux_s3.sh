#!/usr/bin/env bash
# bochs_smp_linux_s3: bochs_linux_s3 with 2 vCPUs on 2 CPUs (an SMP guest):
# Linux takes CPU 1 offline before the sleep and brings it up again with
# INIT and start-up IPIs after the wake.
# Usage: bash tests/integration/bochs_smp_linux_s3.sh BUILD_DIR
LINUX_VCPUS=2 exec bash "$(dirname "${BASH_SOURCE[0]}")/bochs_linux_s3.sh" "$@"
