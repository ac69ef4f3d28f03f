/* Shared by the guest loaders: see loader_util.h. */
#include <hv/format.h>
#include <hv/loader_util.h>

#define KIB 1024u
#define MIB (1024u * 1024u)

void load_err_init(struct load_err *e, char *buf, size_t len)
{
	e->buf = buf;
	e->len = len;
	if (buf && len)
		buf[0] = '\0';
}

int load_fail(struct load_err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!e->buf || !e->len)
		return rc;
	va_start(ap, fmt);
	hv_vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
	return rc;
}

unsigned long long load_ram_amount(uint64_t size, const char **unit)
{
	if (size % MIB == 0) {
		*unit = "MiB";
		return size / MIB;
	}
	if (size % KIB == 0) {
		*unit = "KiB";
		return size / KIB;
	}
	*unit = "bytes";
	return size;
}
