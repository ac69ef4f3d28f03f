/* What the guest loaders (loader_mb1.c, loader_linux.c) share: the
 * caller's buffer for a one-line reason why a load was refused, and how
 * those reasons write an amount of RAM. */
#ifndef HV_LOADER_UTIL_H
#define HV_LOADER_UTIL_H

#include <hv/types.h>

struct load_err {
	char *buf;     /* NULL or len 0: the reason is dropped */
	size_t len;
};

/* Point e at buf and empty it, so that a load that succeeds leaves no
 * stale reason behind. */
void load_err_init(struct load_err *e, char *buf, size_t len);

/* Write the reason (truncated to fit, always terminated) and return rc,
 * so that a check can end with "return load_fail(...)". */
int load_fail(struct load_err *e, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* size as "N MiB" where exact, else in KiB or bytes: returns N and sets
 * *unit to "MiB", "KiB" or "bytes". */
unsigned long long load_ram_amount(uint64_t size, const char **unit);

#endif
