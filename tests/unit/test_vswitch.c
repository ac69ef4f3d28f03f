/* Unit tests of the virtual switch (src/dev/vswitch.c): learning,
 * flooding of broadcasts and unknown addresses, a known address's frames
 * to its port alone, full queues, frames left for want of a buffer,
 * malformed lengths, ports leaving, and the table's oldest entry making
 * room. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/vswitch.h>

static struct vswitch sw;
static struct vswitch_frame queues[VSWITCH_PORTS][VSWITCH_QUEUE];
static unsigned wakes[VSWITCH_PORTS];
static unsigned slot[VSWITCH_PORTS];

static void wake(void *ctx) { wakes[*(unsigned *)ctx]++; }

static int setup(void **state)
{
	(void)state;
	vswitch_init(&sw, "lan");
	memset(wakes, 0, sizeof(wakes));
	for (unsigned p = 0; p < 3; p++) {
		slot[p] = p;
		assert_int_equal(vswitch_attach(&sw, queues[p], wake, &slot[p]), (int)p);
	}
	return 0;
}

/* A frame from MAC 02:00:00:00:00:src to dst (0xff: broadcast). */
static size_t frame(uint8_t *f, uint8_t dst, uint8_t src, uint8_t tag)
{
	static const uint8_t base[6] = { 2, 0, 0, 0, 0, 0 };

	memset(f, 0, 64);
	if (dst == 0xff) {
		memset(f, 0xff, 6);
	} else {
		memcpy(f, base, 6);
		f[5] = dst;
	}
	memcpy(f + 6, base, 6);
	f[11] = src;
	f[12] = 0x08;   /* IPv4 */
	f[14] = tag;
	return 64;
}

static uint8_t last_tag;
static unsigned takes_left;

static bool take(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	if (!takes_left)
		return false;
	takes_left--;
	assert_int_equal(len, 64);
	last_tag = f[14];
	return true;
}

static unsigned drain(unsigned port)
{
	takes_left = ~0u;
	return vswitch_receive(&sw, port, take, NULL);
}

static void test_learn_and_flood(void **state)
{
	uint8_t f[64];

	(void)state;
	/* Port 0 (MAC 1) broadcasts: to 1 and 2, and MAC 1 is learned. */
	assert_int_equal(vswitch_send(&sw, 0, f, frame(f, 0xff, 1, 10)), 2);
	assert_int_equal(wakes[1], 1);
	assert_int_equal(wakes[2], 1);
	assert_int_equal(wakes[0], 0);
	assert_int_equal(drain(1), 1);
	assert_int_equal(last_tag, 10);
	assert_int_equal(drain(2), 1);
	/* Port 1 (MAC 2) answers MAC 1: to port 0 alone. */
	assert_int_equal(vswitch_send(&sw, 1, f, frame(f, 1, 2, 11)), 1);
	assert_true(vswitch_pending(&sw, 0));
	assert_false(vswitch_pending(&sw, 2));
	assert_int_equal(drain(0), 1);
	assert_int_equal(last_tag, 11);
	/* MAC 3 is unknown: flooded. */
	assert_int_equal(vswitch_send(&sw, 0, f, frame(f, 3, 1, 12)), 2);
	/* MAC 2 is behind port 1: a frame from port 1 to it goes nowhere. */
	assert_int_equal(vswitch_send(&sw, 1, f, frame(f, 2, 2, 13)), 0);
	/* MAC 1 moves to port 2. */
	assert_int_equal(vswitch_send(&sw, 2, f, frame(f, 2, 1, 14)), 1);
	drain(1);
	assert_int_equal(vswitch_send(&sw, 1, f, frame(f, 1, 2, 15)), 1);
	assert_int_equal(drain(0), 0);
	assert_int_equal(last_tag, 14);
	drain(2);
	assert_int_equal(last_tag, 15);
	assert_int_equal(sw.port[0].sent, 2);
}

static void test_queues(void **state)
{
	uint8_t f[VSWITCH_FRAME_MAX + 1] = { 0 };

	(void)state;
	frame(f, 0xff, 1, 0);
	for (unsigned i = 0; i < VSWITCH_QUEUE; i++)
		assert_int_equal(vswitch_send(&sw, 0, f, 64), 2);
	/* Port 1's queue is full: dropped there; port 2 takes some. */
	takes_left = 5;
	assert_int_equal(vswitch_receive(&sw, 2, take, NULL), 5);
	assert_int_equal(vswitch_send(&sw, 0, f, 64), 1);
	assert_int_equal(sw.port[1].dropped, 1);
	assert_int_equal(drain(1), VSWITCH_QUEUE);
	assert_int_equal(drain(2), VSWITCH_QUEUE - 5 + 1);
	assert_int_equal(sw.port[2].received, VSWITCH_QUEUE + 1);
	/* Lengths out of Ethernet's range, and a port that is not there. */
	assert_int_equal(vswitch_send(&sw, 0, f, VSWITCH_FRAME_MIN - 1), 0);
	assert_int_equal(vswitch_send(&sw, 0, f, VSWITCH_FRAME_MAX + 1), 0);
	assert_int_equal(vswitch_send(&sw, 0, f, VSWITCH_FRAME_MAX), 2);
	assert_int_equal(vswitch_send(&sw, 5, f, 64), 0);
	assert_int_equal(vswitch_send(&sw, VSWITCH_PORTS, f, 64), 0);
	assert_int_equal(vswitch_receive(&sw, VSWITCH_PORTS, take, NULL), 0);
}

static void test_ports(void **state)
{
	uint8_t f[64];

	(void)state;
	for (unsigned p = 3; p < VSWITCH_PORTS; p++)
		assert_int_equal(vswitch_attach(&sw, queues[p], wake, &slot[0]), (int)p);
	assert_int_equal(vswitch_attach(&sw, queues[0], wake, &slot[0]), HV_EBUSY);
	/* MAC 2 behind port 1; port 1 leaves: its frames and address go. */
	vswitch_send(&sw, 1, f, frame(f, 0xff, 2, 0));
	vswitch_send(&sw, 0, f, frame(f, 2, 1, 0));
	assert_true(vswitch_pending(&sw, 1));
	vswitch_detach(&sw, 1);
	assert_false(vswitch_pending(&sw, 1));
	assert_int_equal(vswitch_send(&sw, 0, f, frame(f, 2, 1, 0)), VSWITCH_PORTS - 2);
	assert_int_equal(vswitch_attach(&sw, queues[1], wake, &slot[1]), 1);
	assert_false(vswitch_pending(&sw, 1));
	vswitch_detach(&sw, VSWITCH_PORTS);   /* ignored */
}

/* The table holds VSWITCH_MACS addresses; a new one takes the place of
 * the one seen longest ago. */
static void test_table_full(void **state)
{
	uint8_t f[64];

	(void)state;
	for (unsigned m = 1; m <= VSWITCH_MACS; m++)
		vswitch_send(&sw, 0, f, frame(f, 0xff, (uint8_t)m, 0));
	vswitch_send(&sw, 0, f, frame(f, 0xff, 1, 0));    /* 1 seen again: 2 is the oldest */
	vswitch_send(&sw, 2, f, frame(f, 0xff, 200, 0));  /* takes 2's place */
	drain(1);
	drain(2);
	assert_int_equal(vswitch_send(&sw, 1, f, frame(f, 1, 9, 0)), 1);    /* 1 known */
	assert_int_equal(vswitch_send(&sw, 1, f, frame(f, 2, 9, 0)), 2);    /* 2 forgotten */
	assert_int_equal(vswitch_send(&sw, 1, f, frame(f, 200, 9, 0)), 1);  /* 200 behind port 2 */
	assert_true(vswitch_pending(&sw, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_learn_and_flood, setup),
		cmocka_unit_test_setup(test_queues, setup),
		cmocka_unit_test_setup(test_ports, setup),
		cmocka_unit_test_setup(test_table_full, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
