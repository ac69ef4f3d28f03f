/* The few C string functions the image uses.  The image gets them from
 * src/lib/string.c; host unit tests get the C library's. */
#ifndef HV_STRING_H
#define HV_STRING_H

#include <stddef.h>

#ifdef HV_HOST_TEST
#include <string.h>
#else
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#endif

/* Copy at most size-1 bytes and always terminate (BSD strlcpy). */
size_t hv_strlcpy(char *dst, const char *src, size_t size);

#endif
