/* The driver the device-model harnesses share: a model is attached to a
 * bus as the platform would attach it, and the input is a stream of
 * operations on it, each an op byte and its operands:
 *
 *   op & 7 = 0, 4, 5: read   u8 handler, u16 offset
 *   op & 7 = 1, 6, 7: write u8 handler, u16 offset, size bytes of value
 *   op & 7 = 2:       time   u32 ns, shifted left by (op >> 3) & 31
 *   op & 7 = 3:       event  what the harness's event hook reads
 *   (op >> 3) & 3:    the access size, 1 << it bytes
 *
 * The handler byte picks a range registered on the bus (modulo their
 * count) and the offset an address in it (modulo its length, or, with
 * op bit 7, a few bytes past it).  After each time step the harness's
 * tick hook runs the model's expired timers. */
#ifndef HV_FUZZ_DEV_H
#define HV_FUZZ_DEV_H

#include "fuzz.h"

#include <string.h>

#include <hv/errno.h>
#include <hv/io.h>
#include <hv/irq.h>

#define FZ_DEV_MAX_OPS 4096

/* The virtual clock: nanoseconds, moved only by time operations. */
static uint64_t fz_now_ns;

static uint64_t fz_clock_now(void *ctx)
{
	(void)ctx;
	return fz_now_ns;
}

static const struct vclock fz_clock = { fz_clock_now, NULL };

/* Interrupt lines: their levels, checked to be lines that exist. */
static bool fz_irq_level[24];

static void fz_irq_set(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	FZ_CHECK(irq < 24);
	fz_irq_level[irq] = level;
}

static const struct irq_sink fz_irq = { fz_irq_set, NULL };

struct fz_dev {
	struct io_bus bus;
	void *dev;
	void (*event)(void *dev, struct fz *f);   /* optional */
	void (*tick)(void *dev);                  /* optional */
};

static void fz_dev_reset(struct fz_dev *d)
{
	memset(d, 0, sizeof(*d));
	io_bus_init(&d->bus);
	fz_now_ns = 0;
	memset(fz_irq_level, 0, sizeof(fz_irq_level));
}

static void fz_dev_run(struct fz_dev *d, struct fz *f)
{
	FZ_CHECK(d->bus.count > 0);
	for (unsigned n = 0; n < FZ_DEV_MAX_OPS && fz_left(f); n++) {
		uint8_t op = fz_u8(f);
		unsigned size = 1u << ((op >> 3) & 3);

		switch (op & 7) {
		case 2: {
			uint64_t step = (uint64_t)fz_u32(f) << ((op >> 3) & 31);
			fz_now_ns += step;
			if (d->tick)
				d->tick(d->dev);
			continue;
		}
		case 3:
			if (d->event)
				d->event(d->dev, f);
			continue;
		}
		const struct io_handler *h = &d->bus.h[fz_u8(f) % d->bus.count];
		uint16_t off = fz_u16(f);
		uint64_t addr = h->base + ((op & 0x80) ? h->len + off % 8 : off % h->len);
		if (op & 7 && (op & 7) != 4 && (op & 7) != 5) {
			uint64_t val = fz_uint(f, size);
			int rc = io_write(&d->bus, addr, size, val);
			FZ_CHECK(rc <= 0);
		} else {
			uint64_t val = 0;
			int rc = io_read(&d->bus, addr, size, &val);
			FZ_CHECK(rc <= 0);
		}
	}
}

#endif
