/* A ring of bytes, for the device models' queues: the UART's receive FIFO,
 * the keyboard controller's output buffer.  The storage is inline and as
 * large as the largest of them needs; fifo_init() sets how many bytes this
 * one holds, which is what the hardware it models holds. */
#ifndef HV_FIFO_H
#define HV_FIFO_H

#include <hv/types.h>

#define FIFO_MAX 16

struct fifo {
	uint8_t buf[FIFO_MAX];
	unsigned size;             /* capacity, at most FIFO_MAX */
	unsigned head, count;
};

static inline void fifo_init(struct fifo *f, unsigned size)
{
	f->size = MIN(size, (unsigned)FIFO_MAX);
	f->head = f->count = 0;
}

static inline bool fifo_empty(const struct fifo *f) { return !f->count; }
static inline bool fifo_full(const struct fifo *f) { return f->count == f->size; }
static inline void fifo_clear(struct fifo *f) { f->count = 0; }

/* false, and b dropped, when the FIFO is full. */
static inline bool fifo_push(struct fifo *f, uint8_t b)
{
	if (fifo_full(f))
		return false;
	f->buf[(f->head + f->count++) % f->size] = b;
	return true;
}

/* The oldest byte; 0 when empty, which is what both models read then. */
static inline uint8_t fifo_pop(struct fifo *f)
{
	uint8_t b;

	if (fifo_empty(f))
		return 0;
	b = f->buf[f->head];
	f->head = (f->head + 1) % f->size;
	f->count--;
	return b;
}

#endif
