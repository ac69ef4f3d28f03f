#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/io.h>

static uint64_t last_addr, last_val;
static unsigned last_size;

static int dev_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	*val = *(uint64_t *)dev + addr;
	last_size = size;
	return 0;
}

static int dev_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	(void)dev;
	last_addr = addr;
	last_size = size;
	last_val = val;
	return 0;
}

static void test_register_and_dispatch(void **state)
{
	struct io_bus bus;
	uint64_t base = 1000, v;

	(void)state;
	io_bus_init(&bus);
	assert_int_equal(io_register(&bus, 0x3f8, 8, "uart", dev_read, dev_write, &base), 0);
	assert_int_equal(io_read(&bus, 0x3fd, 1, &v), 0);
	assert_int_equal(v, 1000 + 0x3fd);
	assert_int_equal(io_write(&bus, 0x3f8, 2, 0xabcd), 0);
	assert_int_equal(last_addr, 0x3f8);
	assert_int_equal(last_size, 2);
	assert_int_equal(last_val, 0xabcd);
}

static void test_unclaimed_and_straddling(void **state)
{
	struct io_bus bus;
	uint64_t base = 0, v;

	(void)state;
	io_bus_init(&bus);
	assert_int_equal(io_register(&bus, 0x3f8, 8, "uart", dev_read, dev_write, &base), 0);
	assert_int_equal(io_read(&bus, 0x2f8, 1, &v), HV_ENOENT);
	assert_int_equal(io_write(&bus, 0x400, 1, 0), HV_ENOENT);
	/* An access that starts inside and ends outside belongs to nobody. */
	assert_int_equal(io_read(&bus, 0x3fe, 4, &v), HV_ENOENT);
	assert_null(io_find(&bus, 0x3f7, 2));
	assert_non_null(io_find(&bus, 0x3ff, 1));
}

static void test_overlap_and_full(void **state)
{
	struct io_bus bus;

	(void)state;
	io_bus_init(&bus);
	assert_int_equal(io_register(&bus, 0x100, 0x10, "a", NULL, NULL, NULL), 0);
	assert_int_equal(io_register(&bus, 0x10f, 1, "b", NULL, NULL, NULL), HV_EBUSY);
	assert_int_equal(io_register(&bus, 0xf8, 9, "c", NULL, NULL, NULL), HV_EBUSY);
	assert_int_equal(io_register(&bus, 0x110, 1, "d", NULL, NULL, NULL), 0);
	assert_int_equal(io_register(&bus, 0x200, 0, "e", NULL, NULL, NULL), HV_EINVAL);
	for (int i = 2; i < IO_MAX_HANDLERS; i++)
		assert_int_equal(io_register(&bus, 0x1000 + i, 1, "x", NULL, NULL, NULL), 0);
	assert_int_equal(io_register(&bus, 0x5000, 1, "y", NULL, NULL, NULL), HV_ENOMEM);
}

static void test_null_callbacks(void **state)
{
	struct io_bus bus;
	uint64_t v = 0;

	(void)state;
	io_bus_init(&bus);
	assert_int_equal(io_register(&bus, 0x80, 1, "post", NULL, NULL, NULL), 0);
	assert_int_equal(io_read(&bus, 0x80, 1, &v), 0);
	assert_int_equal(v, ~0ULL);
	assert_int_equal(io_write(&bus, 0x80, 1, 5), 0);
}

/* A byte device that logs the ports it sees, in order. */
struct byte_dev {
	uint16_t ports[8];
	uint8_t vals[8];
	unsigned n;
};

static uint8_t byte_read(void *dev, uint16_t port)
{
	struct byte_dev *d = dev;

	d->ports[d->n++] = port;
	return (uint8_t)(0xa0 + (port & 0xf));
}

static void byte_write(void *dev, uint16_t port, uint8_t val)
{
	struct byte_dev *d = dev;

	d->ports[d->n] = port;
	d->vals[d->n++] = val;
}

static void test_split_read(void **state)
{
	struct byte_dev d = { 0 };
	uint64_t v = ~0ULL;

	(void)state;
	io_split_read(&d, 0x71, 4, &v, byte_read);
	assert_int_equal(d.n, 4);
	assert_int_equal(d.ports[0], 0x71);
	assert_int_equal(d.ports[3], 0x74);
	assert_int_equal(v, 0xa4a3a2a1);   /* lowest port in the low byte */
	io_split_read(&d, 0x70, 1, &v, byte_read);
	assert_int_equal(v, 0xa0);        /* the rest of *val cleared */
}

static void test_split_write(void **state)
{
	struct byte_dev d = { 0 };

	(void)state;
	io_split_write(&d, 0x20, 2, 0xffff1234, byte_write);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.ports[0], 0x20);
	assert_int_equal(d.vals[0], 0x34);
	assert_int_equal(d.ports[1], 0x21);
	assert_int_equal(d.vals[1], 0x12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_dispatch),
		cmocka_unit_test(test_unclaimed_and_straddling),
		cmocka_unit_test(test_overlap_and_full),
		cmocka_unit_test(test_null_callbacks),
		cmocka_unit_test(test_split_read),
		cmocka_unit_test(test_split_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
