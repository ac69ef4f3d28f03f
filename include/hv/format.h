/* Formatted output without libc: a subset of C99 printf.
 * Conversions: %d %i %u %x %X %o %c %s %p %%, with flags '-' '0' '+' ' ' '#',
 * a field width and precision (numbers or '*'), and length modifiers
 * hh h l ll z.  Output is always NUL-terminated when size > 0; the return
 * value is the length the full output would have had. */
#ifndef HV_FORMAT_H
#define HV_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

int hv_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int hv_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The value of a hexadecimal digit (either case), or -1. */
int hv_hexval(char c);

#endif
