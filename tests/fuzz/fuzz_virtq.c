/* Fuzz the split virtqueue (src/dev/virtq.c) as a hostile driver would:
 * the input is the guest's RAM (its first bytes: the queue's size, flags
 * and where its three rings lie, then RAM's contents), followed by what
 * the device does: take chains, return them, copy through them, look at
 * the notification flags.  Properties: nothing outside RAM is touched
 * (the rest of the block is poisoned for ASan), every chain taken has
 * its buffers in RAM, the driver's before the device's, no more than
 * VIRTQ_MAX_SIZE, with byte counts that add up; a malformed ring is an
 * error, never a crash. */
#include "fuzz.h"

#include <hv/errno.h>
#include <hv/virtq.h>

#define RAM 0x10000u

static void check_chain(const struct gmem *m, const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t readable = 0, writable = 0;
	bool seen_write = false;

	FZ_CHECK(c->head < q->size);
	FZ_CHECK(c->n <= VIRTQ_MAX_SIZE);
	for (unsigned i = 0; i < c->n; i++) {
		const struct virtq_buf *b = &c->buf[i];

		FZ_CHECK(b->gpa <= m->size && b->len <= m->size - b->gpa);
		FZ_CHECK(!seen_write || b->write);
		seen_write |= b->write;
		if (b->write)
			writable += b->len;
		else
			readable += b->len;
	}
	FZ_CHECK(readable == c->readable && writable == c->writable);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain c;
	static uint8_t buf[1024];
	struct fz f = { data, size };
	uint8_t *ram = fz_ram(RAM);
	struct gmem m = { ram, RAM, NULL };
	struct virtq q = { 0 };
	uint8_t shape = fz_u8(&f);
	char err[160];

	q.size = (uint16_t)(1u << (shape & 7));       /* 1..128 */
	q.event_idx = shape & 8;
	q.desc = fz_u16(&f) & ~15u;
	q.avail = fz_u16(&f) & ~1u;
	q.used = fz_u16(&f) & ~3u;
	memset(ram, 0, RAM);
	fz_bytes(&f, ram, fz_u16(&f) % RAM);   /* the rings and descriptors as the driver wrote them */
	if (virtq_check(&q, &m, err, sizeof(err)))
		return 0;
	virtq_reset(&q);
	q.last_avail = q.used_idx = q.signalled = fz_u16(&f);
	for (unsigned step = 0; step < 64 && fz_left(&f); step++) {
		uint8_t op = fz_u8(&f);
		int rc;

		switch (op & 3) {
		case 0:
			rc = virtq_pop(&q, &m, &c, err, sizeof(err));
			FZ_CHECK(rc == 0 || rc == 1 || rc == HV_EINVAL);
			if (rc != 1)
				break;
			check_chain(&m, &q, &c);
			FZ_CHECK(virtq_read(&m, &c, fz_u16(&f), buf, sizeof(buf)) <= sizeof(buf));
			FZ_CHECK(virtq_write(&m, &c, fz_u16(&f), buf, op >> 2) <= op >> 2);
			FZ_CHECK(virtq_push(&q, &m, c.head, fz_u32(&f)) == 0);
			break;
		case 1: {
			uint16_t head = fz_u16(&f);

			rc = virtq_push(&q, &m, head, 0);
			FZ_CHECK(head < q.size ? rc == 0 : rc == HV_EINVAL);
			break;
		}
		case 2:
			virtq_should_interrupt(&q, &m);
			break;
		case 3:
			virtq_want_notify(&q, &m, op & 4);
			break;
		}
	}
	return 0;
}
