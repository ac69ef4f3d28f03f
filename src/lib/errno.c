#include <hv/errno.h>

const char *hv_strerror(int err)
{
	switch (err) {
	case HV_OK: return "success";
	case HV_EINVAL: return "invalid argument or malformed input";
	case HV_ENOMEM: return "out of memory";
	case HV_ENOENT: return "not found";
	case HV_ENOTSUP: return "not supported";
	case HV_EBUSY: return "busy or overlapping";
	case HV_ERANGE: return "out of range";
	case HV_EIO: return "I/O error";
	case HV_EFAULT: return "guest fault";
	}
	return "unknown error";
}
