/* MMIO emulation: an EPT violation inside a device's range is completed by
 * decoding the guest's instruction and performing the access on the VM's
 * MMIO bus (mmio.c). */
#ifndef HV_MMIO_H
#define HV_MMIO_H

#include <hv/vm.h>

void mmio_emulate(struct vcpu *v, gpa_t gpa, bool write);

#endif
