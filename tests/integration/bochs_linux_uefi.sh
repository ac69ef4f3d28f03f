#!/usr/bin/env bash
# bochs_linux_uefi: bochs_linux.sh with GRUB started by OVMF (UEFI) rather
# than the legacy BIOS: the same Linux guest, checks and power-off.
# Usage: bash tests/integration/bochs_linux_uefi.sh BUILD_DIR
set -euo pipefail
LINUX_FIRMWARE=uefi exec bash "$(dirname "${BASH_SOURCE[0]}")/bochs_linux.sh" "$@"
