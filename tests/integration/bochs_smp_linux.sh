#!/usr/bin/env bash
# bochs_smp_linux: bochs_linux on 2 CPUs, with a Multiboot guest (memfill)
# on the other CPU at the same time; the Multiboot guest ends first and
# Linux goes on to its marker, booting as cleanly as alone.
# Usage: bash tests/integration/bochs_smp_linux.sh BUILD_DIR
LINUX_NEXT_TO_GUEST=1 exec bash "$(dirname "${BASH_SOURCE[0]}")/bochs_linux.sh" "$@"
