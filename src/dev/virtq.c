/* Split virtqueues (include/hv/virtq.h).  Section numbers are those of
 * Virtual I/O Device (VIRTIO) Version 1.2.
 *
 * The layout (2.7): a descriptor table of size entries of 16 bytes
 * {addr, len, flags, next}; the available ring {flags, idx, ring[size],
 * used_event} of 16-bit fields; the used ring {flags, idx, ring[size] of
 * {id, len} 32-bit pairs, avail_event}.  All little-endian, as x86 is.
 * The driver writes the available ring and the descriptors while the
 * device reads them from another CPU: each field is read once, and the
 * ring's entries only after its index (acquire); the device's used
 * entries are written before its index (release). */
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/string.h>
#include <hv/virtq.h>

#define DESC_SIZE 16

static bool in_ram(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	return gmem_is_ram(m, gpa, len);
}

/* Ring fields: aligned, so each lies in one page; in RAM, as layout_ok()
 * has just checked (under the VM's lock, so no balloon changes it
 * meanwhile). */
static uint16_t load16(const struct gmem *m, uint64_t gpa)
{
	const uint16_t *p = gmem_ptr(m, gpa, 2);

	return p ? __atomic_load_n(p, __ATOMIC_ACQUIRE) : 0;
}

static void store16(const struct gmem *m, uint64_t gpa, uint16_t v)
{
	uint16_t *p = gmem_ptr(m, gpa, 2);

	if (p)
		__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static void store32(const struct gmem *m, uint64_t gpa, uint32_t v)
{
	uint32_t *p = gmem_ptr(m, gpa, 4);

	if (p)
		__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static uint64_t avail_bytes(uint16_t size) { return 6 + 2 * (uint64_t)size; }
static uint64_t used_bytes(uint16_t size) { return 6 + 8 * (uint64_t)size; }

static bool layout_ok(const struct virtq *q, const struct gmem *m)
{
	return q->size && in_ram(m, q->desc, DESC_SIZE * (uint64_t)q->size) &&
	       in_ram(m, q->avail, avail_bytes(q->size)) && in_ram(m, q->used, used_bytes(q->size));
}

int virtq_check(const struct virtq *q, const struct gmem *m, char *err, size_t errlen)
{
	if (!q->size || q->size > VIRTQ_MAX_SIZE || (q->size & (q->size - 1))) {
		hv_snprintf(err, errlen, "queue size %u is not a power of 2 up to %u", q->size,
			    VIRTQ_MAX_SIZE);
		return HV_EINVAL;
	}
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3)) {
		hv_snprintf(err, errlen, "rings at 0x%lx, 0x%lx, 0x%lx are not aligned (16, 2, 4)",
			    q->desc, q->avail, q->used);
		return HV_EINVAL;
	}
	if (!layout_ok(q, m)) {
		hv_snprintf(err, errlen, "rings at 0x%lx, 0x%lx, 0x%lx (size %u) are not all in RAM",
			    q->desc, q->avail, q->used, q->size);
		return HV_EINVAL;
	}
	return 0;
}

void virtq_reset(struct virtq *q)
{
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled = 0;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* Descriptor i of the table at gpa (in RAM: checked by the caller). */
static struct desc read_desc(const struct gmem *m, uint64_t table, uint16_t i)
{
	struct desc d;

	/* Each field once: the driver may be changing them meanwhile. */
	if (gmem_read(m, table + DESC_SIZE * (uint64_t)i, &d, sizeof(d)))
		memset(&d, 0, sizeof(d));   /* never: the table was checked */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return d;
}

#define BAD(...) (hv_snprintf(err, errlen, __VA_ARGS__), HV_EINVAL)

/* Add the chain from descriptor first of a table of n entries at table
 * (an indirect one when indirect) to c. */
static int walk(const struct gmem *m, uint64_t table, unsigned n, uint16_t first, bool indirect,
		struct virtq_chain *c, char *err, size_t errlen)
{
	unsigned count = 0;

	for (uint16_t i = first;;) {
		struct desc d;

		if (i >= n)
			return BAD("descriptor %u is past the %s table's %u", i,
				   indirect ? "indirect" : "descriptor", n);
		if (++count > n)
			return BAD("the chain loops or is longer than its table (%u)", n);
		d = read_desc(m, table, i);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: no indirect in an indirect table, none with
			 * NEXT, a table of whole descriptors. */
			if (indirect)
				return BAD("an indirect descriptor in an indirect table");
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return BAD("an indirect descriptor with NEXT");
			if (!d.len || d.len % DESC_SIZE || d.len / DESC_SIZE > VIRTQ_MAX_SIZE)
				return BAD("an indirect table of %u bytes", d.len);
			if (!in_ram(m, d.addr, d.len))
				return BAD("an indirect table at 0x%lx (%u bytes) outside RAM", d.addr,
					   d.len);
			return walk(m, d.addr, d.len / DESC_SIZE, 0, true, c, err, errlen);
		}
		if (!in_ram(m, d.addr, d.len))
			return BAD("a buffer at 0x%lx (%u bytes) outside RAM", d.addr, d.len);
		/* 2.7.4.2: the device-writable buffers come last. */
		if (!(d.flags & VIRTQ_DESC_F_WRITE) && c->n && c->buf[c->n - 1].write)
			return BAD("a readable buffer after a writable one");
		if (c->n == VIRTQ_MAX_SIZE)
			return BAD("a chain of more than %u buffers", VIRTQ_MAX_SIZE);
		c->buf[c->n++] = (struct virtq_buf){ d.addr, d.len, (d.flags & VIRTQ_DESC_F_WRITE) != 0 };
		if (d.flags & VIRTQ_DESC_F_WRITE)
			c->writable += d.len;
		else
			c->readable += d.len;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int virtq_pop(struct virtq *q, const struct gmem *m, struct virtq_chain *c, char *err,
	      size_t errlen)
{
	uint16_t idx, head;
	int rc;

	if (!layout_ok(q, m))
		return BAD("the rings are not in RAM");
	idx = load16(m, q->avail + 2);
	if ((uint16_t)(idx - q->last_avail) > q->size)
		return BAD("the available index went from %u to %u, past the queue's %u entries",
			   q->last_avail, idx, q->size);
	if (idx == q->last_avail)
		return 0;
	head = load16(m, q->avail + 4 + 2 * (uint64_t)(q->last_avail & (q->size - 1)));
	*c = (struct virtq_chain){ .head = head };
	if (head >= q->size)
		return BAD("available entry %u names descriptor %u of %u", q->last_avail, head,
			   q->size);
	rc = walk(m, q->desc, q->size, head, false, c, err, errlen);
	if (rc)
		return rc;
	q->last_avail++;
	return 1;
}

int virtq_push(struct virtq *q, const struct gmem *m, uint16_t head, uint32_t written)
{
	uint64_t e;

	if (!layout_ok(q, m) || head >= q->size)
		return HV_EINVAL;
	e = q->used + 4 + 8 * (uint64_t)(q->used_idx & (q->size - 1));
	store32(m, e, head);
	store32(m, e + 4, written);
	q->used_idx++;
	store16(m, q->used + 2, q->used_idx);   /* release: the entry first (2.7.8.2) */
	return 0;
}

bool virtq_should_interrupt(struct virtq *q, const struct gmem *m)
{
	uint16_t old = q->signalled, now = q->used_idx;

	q->signalled = now;
	if (old == now || !layout_ok(q, m))
		return false;
	/* The used index must be visible before the driver's wish is read
	 * (2.7.10: a full barrier). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->event_idx) {
		uint16_t used_event = load16(m, q->avail + 4 + 2 * (uint64_t)q->size);

		/* vring_need_event (2.7.10.1): used_event among the new ones. */
		return (uint16_t)(now - used_event - 1) < (uint16_t)(now - old);
	}
	return !(load16(m, q->avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

void virtq_want_notify(struct virtq *q, const struct gmem *m, bool want)
{
	if (!layout_ok(q, m))
		return;
	if (q->event_idx) {
		if (want)   /* avail_event: notify once the entry after it is made */
			store16(m, q->used + 4 + 8 * (uint64_t)q->size, q->last_avail);
		return;
	}
	store16(m, q->used, want ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void *virtq_span(const struct gmem *m, const struct virtq_chain *c, bool write, uint64_t off,
		 size_t max, size_t *n)
{
	for (unsigned i = 0; i < c->n; i++) {
		const struct virtq_buf *b = &c->buf[i];

		if (b->write != write)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		return gmem_run(m, b->gpa + off, b->len - off < max ? b->len - off : max, n);
	}
	*n = 0;
	return NULL;
}

/* Copy over the chain's buffers of one kind, from byte off on. */
static size_t copy(const struct gmem *m, const struct virtq_chain *c, bool write, uint64_t off,
		   uint8_t *host, size_t len)
{
	size_t done = 0, n;
	uint8_t *p;

	while (done < len && (p = virtq_span(m, c, write, off, len - done, &n)) != NULL) {
		if (write)
			memcpy(p, host + done, n);
		else
			memcpy(host + done, p, n);
		done += n;
		off += n;
	}
	return done;
}

size_t virtq_read(const struct gmem *m, const struct virtq_chain *c, uint64_t off, void *dst,
		  size_t len)
{
	return copy(m, c, false, off, dst, len);
}

size_t virtq_write(const struct gmem *m, const struct virtq_chain *c, uint64_t off,
		   const void *src, size_t len)
{
	return copy(m, c, true, off, (uint8_t *)(uintptr_t)src, len);
}
