/* The hypercall ABI (docs/HYPERCALLS.md): VMCALL with the function number
 * in EAX and arguments in EBX, ECX, EDX; the result comes back in EAX,
 * 0 for success or a negative HC_E* value. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

enum hypercall {
	HC_PRINT = 0,  /* EBX = guest-physical address, ECX = length (<= HC_PRINT_MAX) */
	HC_EXIT = 1,   /* EBX = status: the VM ends */
	HC_NOP = 2,    /* nothing: measures a round trip */
	HC_TIMER = 3,  /* EBX = vector (32-255), ECX:EDX = delay in TSC ticks (low:high) */
	HC_NMI = 4,    /* an NMI for the calling vCPU, delivered when NMIs are unblocked */
};

#define HC_PRINT_MAX 4096

enum {
	HC_OK = 0,
	HC_EINVAL = -1,  /* bad argument */
	HC_ENOSYS = -2,  /* unknown function */
	HC_EFAULT = -3,  /* buffer outside guest RAM */
};

#endif
