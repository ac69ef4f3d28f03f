/* Unit tests of the split virtqueue (src/dev/virtq.c): a driver's rings
 * built by hand in a guest RAM buffer, chains taken and returned, the
 * notification rules with and without EVENT_IDX, and every malformed
 * ring the device must refuse (VIRTIO 1.2, 2.7). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/virtq.h>

#define RAM_SIZE 0x20000
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define DATA  0x8000
#define QSIZE 8

static uint8_t *ram;
static struct gmem m;
static struct virtq q;
static struct virtq_chain c;
static char err[160];

static void put16(uint64_t gpa, uint16_t v) { memcpy(ram + gpa, &v, 2); }
static uint16_t get16(uint64_t gpa) { uint16_t v; memcpy(&v, ram + gpa, 2); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

static void desc_at(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

/* The driver makes head available. */
static void offer(uint16_t head)
{
	uint16_t idx = get16(AVAIL + 2);

	put16(AVAIL + 4 + 2 * (idx % QSIZE), head);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
}

/* Zeroed RAM and a queue as the driver sets it up. */
static void fresh(void)
{
	memset(ram, 0, RAM_SIZE);
	q = (struct virtq){ .size = QSIZE, .desc = DESC, .avail = AVAIL, .used = USED };
	assert_int_equal(virtq_check(&q, &m, err, sizeof(err)), 0);
	virtq_reset(&q);
}

static int setup(void **state)
{
	(void)state;
	ram = calloc(1, RAM_SIZE);
	assert_non_null(ram);
	m = (struct gmem){ ram, RAM_SIZE, NULL };
	fresh();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

static void expect_bad(const char *why)
{
	err[0] = '\0';
	assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), HV_EINVAL);
	if (!strstr(err, why))
		fail_msg("error '%s' lacks '%s'", err, why);
}

static void test_check(void **state)
{
	(void)state;
	q.size = 6;
	assert_int_equal(virtq_check(&q, &m, err, sizeof(err)), HV_EINVAL);
	assert_non_null(strstr(err, "not a power of 2"));
	q.size = 512;
	assert_int_equal(virtq_check(&q, &m, err, sizeof(err)), HV_EINVAL);
	q.size = QSIZE;
	q.desc = DESC + 8;
	assert_int_equal(virtq_check(&q, &m, err, sizeof(err)), HV_EINVAL);
	assert_non_null(strstr(err, "not aligned"));
	q.desc = DESC;
	q.used = RAM_SIZE - 8;
	assert_int_equal(virtq_check(&q, &m, err, sizeof(err)), HV_EINVAL);
	assert_non_null(strstr(err, "not all in RAM"));
	q.used = UINT64_MAX - 3;   /* wraps */
	assert_int_equal(virtq_check(&q, &m, err, sizeof(err)), HV_EINVAL);
	q.used = USED;
	/* A queue whose rings are not in RAM takes and returns nothing. */
	q.avail = RAM_SIZE;
	expect_bad("not in RAM");
	assert_int_equal(virtq_push(&q, &m, 0, 0), HV_EINVAL);
}

/* A request as virtio-blk makes it: a header to read, data to write,
 * a status byte to write; returned with the bytes written. */
static void test_chain(void **state)
{
	uint8_t hdr[16], data[600];

	(void)state;
	assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), 0);   /* none yet */
	memset(ram + DATA, 0xab, 16);
	desc(3, DATA, 16, VIRTQ_DESC_F_NEXT, 5);
	desc(5, DATA + 0x100, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, DATA + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(3);
	assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.readable, 16);
	assert_int_equal(c.writable, 513);
	assert_true(c.buf[1].write);
	assert_int_equal(virtq_read(&m, &c, 0, hdr, sizeof(hdr)), 16);
	assert_int_equal(hdr[15], 0xab);
	assert_int_equal(virtq_read(&m, &c, 10, hdr, sizeof(hdr)), 6);   /* to the end */
	memset(data, 0x5a, sizeof(data));
	assert_int_equal(virtq_write(&m, &c, 0, data, sizeof(data)), 513);   /* spans both */
	assert_int_equal(ram[DATA + 0x100 + 511], 0x5a);
	assert_int_equal(ram[DATA + 0x400], 0x5a);
	assert_int_equal(ram[DATA + 0x401], 0);
	assert_int_equal(virtq_write(&m, &c, 512, "\x01", 1), 1);
	assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), 0);
	assert_int_equal(virtq_push(&q, &m, 3, 513), 0);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 4), 3);
	assert_int_equal(get32(USED + 8), 513);
	assert_int_equal(virtq_push(&q, &m, QSIZE, 0), HV_EINVAL);
}

/* The indices run past 65535 and the ring wraps round. */
static void test_wrap(void **state)
{
	(void)state;
	put16(AVAIL + 2, 65533);
	q.last_avail = 65533;
	q.used_idx = q.signalled = 65533;
	for (unsigned k = 0; k < 6; k++) {
		desc((uint16_t)k, DATA + 16 * k, 16, 0, 0);
		offer((uint16_t)k);
		assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), 1);
		assert_int_equal(c.head, k);
		assert_int_equal(virtq_push(&q, &m, c.head, 0), 0);
	}
	assert_int_equal(q.last_avail, 3);
	assert_int_equal(get16(USED + 2), 3);
}

static void test_indirect(void **state)
{
	uint64_t table = 0x5000;

	(void)state;
	desc_at(table, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 2);
	desc_at(table, 2, DATA + 8, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc_at(table, 1, DATA + 16, 8, VIRTQ_DESC_F_WRITE, 0);
	desc(0, DATA + 64, 4, VIRTQ_DESC_F_NEXT, 4);       /* a direct buffer, then the table */
	desc(4, table, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), 1);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.readable, 12);
	assert_int_equal(c.writable, 16);
	assert_int_equal(c.buf[3].gpa, DATA + 16);
}

static void test_malformed(void **state)
{
	uint64_t table = 0x5000;

	(void)state;
	/* A descriptor loop. */
	desc(0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(0);
	expect_bad("loops");
	/* The device keeps refusing the same entry (it needs a reset). */
	expect_bad("loops");
	fresh();
	/* A head or a next past the table. */
	offer(QSIZE);
	expect_bad("names descriptor 8 of 8");
	fresh();
	desc(2, DATA, 8, VIRTQ_DESC_F_NEXT, 9);
	offer(2);
	expect_bad("descriptor 9 is past");
	fresh();
	/* A buffer outside RAM, and one whose length wraps its address. */
	desc(0, RAM_SIZE - 4, 8, 0, 0);
	offer(0);
	expect_bad("outside RAM");
	fresh();
	desc(0, UINT64_MAX - 4, 16, 0, 0);
	offer(0);
	expect_bad("outside RAM");
	fresh();
	desc(0, DATA, 0xffffffff, 0, 0);
	offer(0);
	expect_bad("outside RAM");
	fresh();
	/* The available index jumps past the queue. */
	put16(AVAIL + 2, QSIZE + 1);
	expect_bad("past the queue's 8 entries");
	fresh();
	/* A readable buffer after a writable one. */
	desc(0, DATA, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(1, DATA, 8, 0, 0);
	offer(0);
	expect_bad("readable buffer after a writable");
	fresh();
	desc(0, DATA, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);   /* an empty one too */
	desc(1, DATA, 8, 0, 0);
	offer(0);
	expect_bad("readable buffer after a writable");
	fresh();
	/* Indirect: with NEXT, of a bad size, outside RAM, nested, looping. */
	desc(0, table, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(0);
	expect_bad("indirect descriptor with NEXT");
	fresh();
	desc(0, table, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect table of 24 bytes");
	fresh();
	desc(0, table, 0, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect table of 0 bytes");
	fresh();
	desc(0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("outside RAM");
	fresh();
	desc_at(table, 0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0, table, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect descriptor in an indirect table");
	fresh();
	desc_at(table, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc_at(table, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	desc(0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("loops");
	fresh();
	/* A chain longer than the device can hold: an indirect table of
	 * VIRTQ_MAX_SIZE + 1 entries. */
	desc(0, table, 16 * (VIRTQ_MAX_SIZE + 1), VIRTQ_DESC_F_INDIRECT, 0);
	offer(0);
	expect_bad("indirect table of");
}

static void test_interrupts(void **state)
{
	(void)state;
	/* No new used entries: no interrupt. */
	assert_false(virtq_should_interrupt(&q, &m));
	desc(0, DATA, 8, 0, 0);
	offer(0);
	assert_int_equal(virtq_pop(&q, &m, &c, err, sizeof(err)), 1);
	virtq_push(&q, &m, 0, 0);
	assert_true(virtq_should_interrupt(&q, &m));
	assert_false(virtq_should_interrupt(&q, &m));   /* nothing new since */
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	offer(0);
	virtq_pop(&q, &m, &c, err, sizeof(err));
	virtq_push(&q, &m, 0, 0);
	assert_false(virtq_should_interrupt(&q, &m));
	/* EVENT_IDX: the driver asks for an interrupt once used idx passes
	 * used_event. */
	q.event_idx = true;
	put16(AVAIL + 4 + 2 * QSIZE, 3);   /* used_event: after entry 3 */
	offer(0);
	virtq_pop(&q, &m, &c, err, sizeof(err));
	virtq_push(&q, &m, 0, 0);          /* used idx 3: entry 2 is new */
	assert_false(virtq_should_interrupt(&q, &m));
	offer(0);
	virtq_pop(&q, &m, &c, err, sizeof(err));
	virtq_push(&q, &m, 0, 0);          /* used idx 4: entry 3 is new */
	assert_true(virtq_should_interrupt(&q, &m));
	/* Notifications from the driver. */
	virtq_want_notify(&q, &m, true);
	assert_int_equal(get16(USED + 4 + 8 * QSIZE), q.last_avail);
	q.event_idx = false;
	virtq_want_notify(&q, &m, false);
	assert_int_equal(get16(USED), VIRTQ_USED_F_NO_NOTIFY);
	virtq_want_notify(&q, &m, true);
	assert_int_equal(get16(USED), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_check), T(test_chain), T(test_wrap), T(test_indirect), T(test_malformed),
		T(test_interrupts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
