/* Unit-test helpers for device sections of the state stream
 * (hv/vmstate.h): what a save function wrote, and a section of given
 * bytes as a reader hands it to a load function (through a real stream,
 * checksum and all). */
#ifndef VMS_TEST_H
#define VMS_TEST_H

#include <string.h>

#include <hv/vmstate.h>

static uint8_t vms_test_saved[1024], vms_test_made[1024];

/* Start a stream for a save function to write into. */
static inline struct vms_out *vms_test_out(void)
{
	static struct vms_out o;

	vms_out_init(&o, vms_test_saved, sizeof(vms_test_saved));
	return &o;
}

/* The payload of the one section saved since vms_test_out(): n bytes. */
static inline const uint8_t *vms_test_payload(struct vms_out *o, size_t *n)
{
	const uint8_t *head = vms_test_saved + VMSTATE_HEADER_SIZE;

	assert_true(vms_out_finish(o) > 0);
	*n = (size_t)head[8] | (size_t)head[9] << 8;
	return head + VMSTATE_HEAD_SIZE;
}

/* A section of type and instance holding bytes, as vms_next gives it. */
static inline struct vms_section vms_test_section(uint32_t type, uint32_t instance,
						  const void *bytes, size_t n)
{
	struct vms_out o;
	struct vms_in in;
	struct vms_section s;

	vms_out_init(&o, vms_test_made, sizeof(vms_test_made));
	vms_begin(&o, type, instance);
	vms_put_bytes(&o, bytes, n);
	vms_end(&o);
	assert_true(vms_out_finish(&o) > 0);
	assert_int_equal(vms_in_init(&in, vms_test_made, sizeof(vms_test_made)), 0);
	assert_int_equal(vms_next(&in, &s), 1);
	return s;
}

#endif
