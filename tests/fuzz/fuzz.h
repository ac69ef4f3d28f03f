/* What the harnesses share: a reader that takes little-endian integers
 * from the fuzzer's bytes (zeros once they run out), and a check that
 * aborts, so that libFuzzer records the input as a crash. */
#ifndef HV_FUZZ_H
#define HV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline size_t fz_left(const struct fz *f) { return f->n; }

/* The next n bytes (n <= 8), little-endian; missing bytes are zero. */
static inline uint64_t fz_uint(struct fz *f, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++) {
		if (f->n) {
			v |= (uint64_t)f->p[0] << (8 * i);
			f->p++;
			f->n--;
		}
	}
	return v;
}

static inline uint8_t fz_u8(struct fz *f) { return (uint8_t)fz_uint(f, 1); }
static inline uint16_t fz_u16(struct fz *f) { return (uint16_t)fz_uint(f, 2); }
static inline uint32_t fz_u32(struct fz *f) { return (uint32_t)fz_uint(f, 4); }
static inline uint64_t fz_u64(struct fz *f) { return fz_uint(f, 8); }

/* Up to max bytes, fewer when the input runs out; returns how many. */
static inline size_t fz_bytes(struct fz *f, void *dst, size_t max)
{
	size_t n = max < f->n ? max : f->n;

	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = f->p[i];
	f->p += n;
	f->n -= n;
	return n;
}

/* Guest RAM for the loaders: one static block of FZ_RAM_MAX bytes, of
 * which the first size bytes are usable and the rest poisoned, so that
 * ASan reports any access past guest RAM (a heap block of that size
 * costs a mapping and its page faults on every run). */
#include <sanitizer/asan_interface.h>

#define FZ_RAM_MAX (40u << 20)

static inline uint8_t *fz_ram(uint64_t size)
{
	static uint8_t ram[FZ_RAM_MAX] __attribute__((aligned(4096)));
	static uint64_t usable = FZ_RAM_MAX;   /* what is unpoisoned now */

	if (size > FZ_RAM_MAX)
		abort();
	/* Only the difference: poisoning 40 MiB costs 5 MiB of shadow. */
	if (size < usable)
		ASAN_POISON_MEMORY_REGION(ram + size, usable - size);
	else
		ASAN_UNPOISON_MEMORY_REGION(ram + usable, size - usable);
	usable = size;
	return ram;
}

/* The loaders promise that a failed load leaves guest RAM untouched.
 * Checking all of it costs milliseconds a run, so the harnesses check the
 * low FZ_LOW_CHECK bytes, where both build their boot information: they
 * fill them with FZ_RAM_FILL before the load and call this after a
 * failed one. */
#define FZ_LOW_CHECK 0x50000u
#define FZ_RAM_FILL  0xaa

static inline int fz_low_untouched(const uint8_t *ram)
{
	static uint8_t fill[FZ_LOW_CHECK];

	if (fill[0] != FZ_RAM_FILL)
		memset(fill, FZ_RAM_FILL, sizeof(fill));
	return memcmp(ram, fill, FZ_LOW_CHECK) == 0;   /* a byte loop: 10x slower under ASan */
}

/* A property every input must keep: a failure is a finding. */
#define FZ_CHECK(cond)                                                        \
	do {                                                                  \
		if (!(cond)) {                                                \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                             \
			abort();                                              \
		}                                                             \
	} while (0)

#endif
