/* Unit tests of the state stream (src/core/vmstate.c): a round trip of
 * sections and fields; the CRC-32 against zlib's value; and each way a
 * stream can be wrong (magic, version, truncated anywhere, a flipped
 * byte, a field past its section, bytes left over, no room). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/vmstate.h>

static uint8_t buf[512];
static size_t len;

/* Two sections: type 7 instance 1 with every field kind (23 bytes, so
 * padded), type 9 instance 2 empty. */
static void write_two(void)
{
	struct vms_out o;
	int64_t n;

	vms_out_init(&o, buf, sizeof(buf));
	vms_begin(&o, 7, 1);
	vms_put_u8(&o, 0xab);
	vms_put_u16(&o, 0x1234);
	vms_put_u32(&o, 0xdeadbeef);
	vms_put_u64(&o, 0x0102030405060708ULL);
	vms_put_bytes(&o, "hello!", 6);
	vms_end(&o);
	vms_begin(&o, 9, 2);
	vms_end(&o);
	n = vms_out_finish(&o);
	assert_true(n > 0);
	len = (size_t)n;
}

static void test_crc32(void **state)
{
	(void)state;
	assert_int_equal(vms_crc32("123456789", 9), 0xcbf43926u);   /* the check value */
	assert_int_equal(vms_crc32("", 0), 0);
}

static void test_round_trip(void **state)
{
	struct vms_in in;
	struct vms_section s;
	char text[6];

	(void)state;
	write_two();
	/* Header 16; 16 + 21 padded to 24; 16 + 0; END 16. */
	assert_int_equal(len, 16 + 16 + 24 + 16 + 16);
	assert_memory_equal(buf, "tinyhvST", 8);
	assert_int_equal(vms_in_init(&in, buf, len), 0);
	assert_int_equal(vms_next(&in, &s), 1);
	assert_int_equal(s.type, 7);
	assert_int_equal(s.instance, 1);
	assert_int_equal(vms_get_u8(&s), 0xab);
	assert_int_equal(vms_get_u16(&s), 0x1234);
	assert_int_equal(vms_get_u32(&s), 0xdeadbeef);
	assert_true(vms_get_u64(&s) == 0x0102030405060708ULL);
	vms_get_bytes(&s, text, 6);
	assert_memory_equal(text, "hello!", 6);
	assert_int_equal(vms_section_done(&s), 0);
	assert_int_equal(vms_next(&in, &s), 1);
	assert_int_equal(s.type, 9);
	assert_int_equal(s.instance, 2);
	assert_int_equal(vms_section_done(&s), 0);
	assert_int_equal(vms_next(&in, &s), 0);    /* END */
}

/* A field past the section reads 0 and spoils it; one not read is left
 * over: both refused. */
static void test_field_bounds(void **state)
{
	struct vms_in in;
	struct vms_section s;

	(void)state;
	write_two();
	vms_in_init(&in, buf, len);
	vms_next(&in, &s);
	assert_true(vms_get_u64(&s) == 0x08deadbeef1234abULL);   /* the first eight bytes */
	vms_get_u64(&s);
	vms_get_u32(&s);
	assert_int_equal(vms_get_u32(&s), 0);          /* 20 of 21: past the end */
	assert_int_equal(vms_section_done(&s), HV_EINVAL);
	vms_next(&in, &s);
	assert_int_equal(vms_get_u8(&s), 0);
	assert_int_equal(vms_section_done(&s), HV_EINVAL);
	vms_in_init(&in, buf, len);
	vms_next(&in, &s);
	vms_get_u8(&s);
	assert_int_equal(vms_section_done(&s), HV_EINVAL);   /* 20 bytes left */
}

static void test_bad_header(void **state)
{
	struct vms_in in;

	(void)state;
	write_two();
	assert_int_equal(vms_in_init(&in, buf, 15), HV_EINVAL);
	buf[0] = 'T';
	assert_int_equal(vms_in_init(&in, buf, len), HV_EINVAL);
	assert_non_null(strstr(in.why, "magic"));
	buf[0] = 't';
	buf[8] = 2;   /* version 2 */
	assert_int_equal(vms_in_init(&in, buf, len), HV_ENOTSUP);
	assert_non_null(strstr(in.why, "version"));
}

/* Every cut short of the whole stream is refused before END is seen, and
 * so is every single flipped payload byte. */
static void test_truncated_and_corrupt(void **state)
{
	struct vms_in in;
	struct vms_section s;

	(void)state;
	write_two();
	for (size_t cut = VMSTATE_HEADER_SIZE; cut < len; cut++) {
		int rc;

		vms_in_init(&in, buf, cut);
		while ((rc = vms_next(&in, &s)) == 1)
			;
		assert_int_equal(rc, HV_EINVAL);
		assert_non_null(strstr(in.why, "truncated"));
	}
	for (size_t i = 32; i < 32 + 21; i++) {
		buf[i] ^= 0x40;
		vms_in_init(&in, buf, len);
		assert_int_equal(vms_next(&in, &s), HV_EINVAL);
		assert_non_null(strstr(in.why, "checksum"));
		buf[i] ^= 0x40;
	}
}

/* What does not fit voids the stream; so does a section left open or
 * nested, or closed twice. */
static void test_no_room(void **state)
{
	struct vms_out o;

	(void)state;
	vms_out_init(&o, buf, 40);
	vms_begin(&o, 7, 0);
	vms_put_u64(&o, 1);
	vms_put_u64(&o, 2);
	vms_end(&o);
	assert_int_equal(vms_out_finish(&o), HV_ERANGE);
	vms_out_init(&o, buf, sizeof(buf));
	vms_begin(&o, 7, 0);
	assert_int_equal(vms_out_finish(&o), HV_EINVAL);
	vms_out_init(&o, buf, sizeof(buf));
	vms_begin(&o, 7, 0);
	vms_begin(&o, 8, 0);
	vms_end(&o);
	assert_int_equal(vms_out_finish(&o), HV_ERANGE);
	vms_out_init(&o, buf, sizeof(buf));
	vms_end(&o);
	assert_int_equal(vms_out_finish(&o), HV_ERANGE);
	vms_out_init(&o, buf, 8);
	assert_int_equal(vms_out_finish(&o), HV_ERANGE);
}

/* Flags as bits, first = bit 0; a bit beyond them is refused. */
static void test_flags(void **state)
{
	bool a = true, b = false, c = true;
	const bool *const in[] = { &a, &b, &c };
	bool x = false, y = true, z = false;
	bool *const out[] = { &x, &y, &z };

	(void)state;
	assert_int_equal(vms_pack_flags(in, 3), 0x05);
	assert_true(vms_unpack_flags(0x05, out, 3));
	assert_true(x && !y && z);
	assert_false(vms_unpack_flags(0x0d, out, 3));   /* bit 3: no such flag */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_field_bounds),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_truncated_and_corrupt),
		cmocka_unit_test(test_no_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
