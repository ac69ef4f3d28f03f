/* Freestanding implementations of the C string functions the image uses.
 * GCC may emit calls to memset/memcpy/memmove/memcmp itself, so these keep
 * their standard names. */
#include <hv/string.h>

/* On x86-64, REP STOSB and REP MOVSB: one instruction however long the
 * buffer, and the fast path of CPUs with ERMSB (CPUID.7:EBX[9]; Intel's
 * optimization manual, "Enhanced REP MOVSB and STOSB").  It matters: the
 * hypervisor zeroes every guest's RAM, 256 MiB for a Linux guest, which a
 * byte loop takes a billion instructions to do. */
void *memset(void *s, int c, size_t n)
{
#if defined(__x86_64__)
	void *d = s;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
#else
	unsigned char *p = s;
	while (n--)
		*p++ = (unsigned char)c;
#endif
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	void *d = dst;

	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
#else
	unsigned char *d = dst;
	const unsigned char *s = src;
	while (n--)
		*d++ = *s++;
#endif
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d < s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}
