/* Error values: functions return 0 or a negative HV_E* code that the caller
 * reports with hv_strerror(). */
#ifndef HV_ERRNO_H
#define HV_ERRNO_H

enum {
	HV_OK = 0,
	HV_EINVAL = -1,   /* malformed input */
	HV_ENOMEM = -2,   /* out of physical memory or table space */
	HV_ENOENT = -3,   /* not found */
	HV_ENOTSUP = -4,  /* the CPU or platform lacks a feature */
	HV_EBUSY = -5,    /* already in use / overlapping */
	HV_ERANGE = -6,   /* value out of range */
	HV_EIO = -7,      /* device or firmware did not respond as expected */
	HV_EFAULT = -8,   /* the guest's access faulted: the exception is queued for it */
};

const char *hv_strerror(int err);

#endif
