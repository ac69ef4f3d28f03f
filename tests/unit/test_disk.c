/* Unit tests of a VM's disk (src/core/disk.c): reads through the image
 * and the VM's copies, copy on first write, the image never written, a
 * short last block, the bounds, read-only disks, and running out of
 * pages (what came before the failing block is written). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/disk.h>
#include <hv/errno.h>

#define SIZE (3 * DISK_BLOCK + 100)

static uint8_t image[SIZE], pristine[SIZE];
static int pages_left, pages_held;

static void *alloc(void *ctx, uint64_t pages)
{
	(void)ctx;
	if (pages_left < (int)pages)
		return NULL;
	pages_left -= (int)pages;
	pages_held += (int)pages;
	return calloc(pages, DISK_BLOCK);
}

static void release(void *ctx, void *p, uint64_t pages)
{
	(void)ctx;
	pages_held -= (int)pages;
	free(p);
}

static const struct disk_mem mem = { alloc, release, NULL };

static int setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < SIZE; i++)
		image[i] = pristine[i] = (uint8_t)(i * 7 + i / 4096);
	pages_left = 100;
	pages_held = 0;
	return 0;
}

static void test_copy_on_write(void **state)
{
	struct disk d;
	uint8_t buf[2 * DISK_BLOCK], want[2 * DISK_BLOCK];

	(void)state;
	assert_int_equal(disk_init(&d, image, SIZE, false, &mem), 0);
	assert_int_equal(pages_held, 1);   /* the table: 4 entries */
	assert_int_equal(disk_read(&d, 100, buf, 5000), 0);
	assert_memory_equal(buf, image + 100, 5000);
	/* A write across blocks 0 and 1: two copies. */
	memset(buf, 0xab, 300);
	assert_int_equal(disk_write(&d, DISK_BLOCK - 100, buf, 300), 0);
	assert_int_equal(d.written, 2);
	assert_int_equal(pages_held, 3);
	memcpy(want, pristine, sizeof(want));
	memset(want + DISK_BLOCK - 100, 0xab, 300);
	assert_int_equal(disk_read(&d, 0, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, want, sizeof(want));
	assert_memory_equal(image, pristine, SIZE);
	/* The short last block: its copy holds the image's 100 bytes. */
	assert_int_equal(disk_write(&d, 3 * DISK_BLOCK + 99, "x", 1), 0);
	assert_int_equal(disk_read(&d, 3 * DISK_BLOCK, buf, 100), 0);
	assert_memory_equal(buf, pristine + 3 * DISK_BLOCK, 99);
	assert_int_equal(buf[99], 'x');
	/* The bounds. */
	assert_int_equal(disk_read(&d, SIZE - 1, buf, 2), HV_ERANGE);
	assert_int_equal(disk_write(&d, SIZE, buf, 1), HV_ERANGE);
	assert_int_equal(disk_read(&d, ~0ull, buf, 1), HV_ERANGE);
	assert_int_equal(disk_read(&d, SIZE, buf, 0), 0);
	disk_fini(&d);
	assert_int_equal(pages_held, 0);
	disk_fini(&d);   /* twice is harmless */
}

static void test_read_only(void **state)
{
	struct disk d;
	uint8_t buf[16];

	(void)state;
	assert_int_equal(disk_init(&d, image, SIZE, true, &mem), 0);
	assert_int_equal(pages_held, 0);
	assert_int_equal(disk_write(&d, 0, "x", 1), HV_EINVAL);
	assert_int_equal(disk_read(&d, 0, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, pristine, sizeof(buf));
	disk_fini(&d);
}

static void test_out_of_pages(void **state)
{
	struct disk d;
	uint8_t buf[2 * DISK_BLOCK];

	(void)state;
	pages_left = 0;
	assert_int_equal(disk_init(&d, image, SIZE, false, &mem), HV_ENOMEM);
	pages_left = 2;   /* the table and one block */
	assert_int_equal(disk_init(&d, image, SIZE, false, &mem), 0);
	memset(buf, 0xcd, sizeof(buf));
	assert_int_equal(disk_write(&d, 0, buf, sizeof(buf)), HV_ENOMEM);
	assert_int_equal(disk_read(&d, 0, buf, sizeof(buf)), 0);
	assert_int_equal(buf[DISK_BLOCK - 1], 0xcd);           /* the first block written */
	assert_int_equal(buf[DISK_BLOCK], pristine[DISK_BLOCK]);   /* the second not */
	disk_fini(&d);
	assert_int_equal(pages_held, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_copy_on_write, setup),
		cmocka_unit_test_setup(test_read_only, setup),
		cmocka_unit_test_setup(test_out_of_pages, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
