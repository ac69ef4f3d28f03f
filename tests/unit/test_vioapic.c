#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/io.h>
#include <hv/vioapic.h>

#include "vms_test.h"

#define BASE VIOAPIC_BASE

struct msg {
	uint8_t vector, dest, delivery_mode;
	bool level, logical;
};

static struct msg msgs[16];
static int nmsgs;

static void deliver(void *ctx, uint8_t vector, uint8_t dest, bool level,
		    uint8_t delivery_mode, bool logical)
{
	(void)ctx;
	msgs[nmsgs++ % 16] = (struct msg){ vector, dest, delivery_mode, level, logical };
}

static uint32_t reg_read(struct vioapic *io, uint32_t reg)
{
	uint64_t v;

	assert_int_equal(vioapic_write(io, BASE, 4, reg), 0);
	assert_int_equal(vioapic_read(io, BASE + 0x10, 4, &v), 0);
	return (uint32_t)v;
}

static void reg_write(struct vioapic *io, uint32_t reg, uint32_t val)
{
	assert_int_equal(vioapic_write(io, BASE, 4, reg), 0);
	assert_int_equal(vioapic_write(io, BASE + 0x10, 4, val), 0);
}

/* Linux's ioapic_write_entry(): the high half (destination) first, then
 * the low half that may unmask. */
static void program(struct vioapic *io, unsigned pin, uint64_t e)
{
	reg_write(io, 0x11 + 2 * pin, (uint32_t)(e >> 32));
	reg_write(io, 0x10 + 2 * pin, (uint32_t)e);
}

static uint64_t entry(struct vioapic *io, unsigned pin)
{
	return reg_read(io, 0x10 + 2 * pin) | (uint64_t)reg_read(io, 0x11 + 2 * pin) << 32;
}

static void setup(struct vioapic *io)
{
	nmsgs = 0;
	vioapic_init(io, deliver, NULL);
}

static void test_identification_registers(void **state)
{
	struct vioapic io;
	uint64_t v;

	(void)state;
	setup(&io);
	assert_int_equal(reg_read(&io, 0x01), 0x00170020);
	assert_int_equal(reg_read(&io, 0x00), 0);
	reg_write(&io, 0x00, 0xff000000);
	assert_int_equal(reg_read(&io, 0x00), 0x0f000000);
	assert_int_equal(reg_read(&io, 0x02), 0x0f000000);
	reg_write(&io, 0x01, 0xffffffff);                /* read-only */
	reg_write(&io, 0x02, 0);
	assert_int_equal(reg_read(&io, 0x01), 0x00170020);
	assert_int_equal(reg_read(&io, 0x02), 0x0f000000);
	assert_int_equal(reg_read(&io, 0x03), 0);
	assert_int_equal(reg_read(&io, 0x40), 0);        /* past entry 23 */
	/* IOREGSEL reads back (8 bits). */
	vioapic_write(&io, BASE, 4, 0x1234);
	vioapic_read(&io, BASE, 4, &v);
	assert_int_equal(v, 0x34);
}

static void test_reset_and_read_only_bits(void **state)
{
	struct vioapic io;

	(void)state;
	setup(&io);
	for (unsigned pin = 0; pin < VIOAPIC_PINS; pin++)
		assert_int_equal(entry(&io, pin), VIOAPIC_RTE_MASKED);
	/* Delivery Status and Remote IRR cannot be written. */
	program(&io, 5, 0xff00000000000000ull | VIOAPIC_RTE_DELIVS | VIOAPIC_RTE_REMOTE_IRR |
		VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_MASKED | 0x0931);
	assert_int_equal(entry(&io, 5), 0xff00000000000000ull | VIOAPIC_RTE_LEVEL |
			 VIOAPIC_RTE_MASKED | 0x0931);
	assert_int_equal(nmsgs, 0);
}

static void test_non_dword_access(void **state)
{
	struct vioapic io;
	uint64_t v = 0xdead;

	(void)state;
	setup(&io);
	vioapic_write(&io, BASE, 4, 0x01);
	vioapic_write(&io, BASE, 1, 0x00);               /* ignored */
	vioapic_read(&io, BASE + 0x10, 2, &v);
	assert_int_equal(v, 0);
	vioapic_read(&io, BASE + 0x10, 4, &v);
	assert_int_equal(v, 0x00170020);
	vioapic_read(&io, BASE + 0x04, 4, &v);           /* no register */
	assert_int_equal(v, 0);
	vioapic_read(&io, BASE + 0x40, 4, &v);           /* EOI: write-only */
	assert_int_equal(v, 0);
	vioapic_write(&io, BASE + 0x10, 8, 0x0f000000);  /* ignored */
	assert_int_equal(reg_read(&io, 0x00), 0);
}

static void test_edge(void **state)
{
	struct vioapic io;

	(void)state;
	setup(&io);
	/* The PIT after Linux's ISA override: pin 2, vector 0x30, fixed,
	 * physical destination 0. */
	program(&io, 2, 0x30);
	vioapic_set_irq(&io, 2, true);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x30);
	assert_int_equal(msgs[0].dest, 0);
	assert_int_equal(msgs[0].delivery_mode, 0);
	assert_false(msgs[0].level);
	assert_false(msgs[0].logical);
	assert_int_equal(entry(&io, 2) & VIOAPIC_RTE_REMOTE_IRR, 0);
	vioapic_set_irq(&io, 2, true);                   /* no new edge */
	assert_int_equal(nmsgs, 1);
	vioapic_set_irq(&io, 2, false);
	vioapic_set_irq(&io, 2, true);
	assert_int_equal(nmsgs, 2);
	/* Edges on a masked pin are lost, not held until unmasking. */
	vioapic_set_irq(&io, 2, false);
	program(&io, 2, VIOAPIC_RTE_MASKED | 0x30);
	vioapic_set_irq(&io, 2, true);
	vioapic_set_irq(&io, 2, false);
	program(&io, 2, 0x30);
	assert_int_equal(nmsgs, 2);
	/* Out of range pins are ignored. */
	vioapic_set_irq(&io, 24, true);
	vioapic_set_irq(&io, 1000, true);
	assert_int_equal(nmsgs, 2);
}

static void test_level_remote_irr_and_eoi(void **state)
{
	struct vioapic io;
	const uint64_t e = 0x03ull << 56 | VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_ACTIVE_LOW |
			   VIOAPIC_RTE_LOGICAL | 1u << 8 | 0x41;

	(void)state;
	setup(&io);
	program(&io, 10, e);
	vioapic_set_irq(&io, 10, true);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x41);
	assert_int_equal(msgs[0].dest, 0x03);
	assert_int_equal(msgs[0].delivery_mode, 1);
	assert_true(msgs[0].level);
	assert_true(msgs[0].logical);
	assert_int_equal(entry(&io, 10), e | VIOAPIC_RTE_REMOTE_IRR);
	/* Still asserted, Remote IRR set: nothing more until the EOI. */
	vioapic_set_irq(&io, 10, true);
	vioapic_eoi(&io, 0x42);
	assert_int_equal(nmsgs, 1);
	/* EOI while the line is still asserted: sent again. */
	vioapic_eoi(&io, 0x41);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(entry(&io, 10), e | VIOAPIC_RTE_REMOTE_IRR);
	/* The handler quiets the device, then EOIs through the register. */
	vioapic_set_irq(&io, 10, false);
	vioapic_write(&io, BASE + 0x40, 4, 0x41);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(entry(&io, 10), e);
	/* Edge entries ignore EOIs. */
	program(&io, 3, 0x41);
	vioapic_set_irq(&io, 3, true);
	assert_int_equal(nmsgs, 3);
	vioapic_eoi(&io, 0x41);
	assert_int_equal(nmsgs, 3);
}

static void test_level_masking(void **state)
{
	struct vioapic io;

	(void)state;
	setup(&io);
	program(&io, 16, VIOAPIC_RTE_MASKED | VIOAPIC_RTE_LEVEL | 0x51);
	vioapic_set_irq(&io, 16, true);
	assert_int_equal(nmsgs, 0);
	/* Unmasking a pin that is still asserted sends at once. */
	program(&io, 16, VIOAPIC_RTE_LEVEL | 0x51);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x51);
	/* Masking after delivery leaves Remote IRR for the EOI to clear;
	 * after the EOI a masked pin stays quiet. */
	program(&io, 16, VIOAPIC_RTE_MASKED | VIOAPIC_RTE_LEVEL | 0x51);
	assert_true(entry(&io, 16) & VIOAPIC_RTE_REMOTE_IRR);
	vioapic_eoi(&io, 0x51);
	assert_int_equal(nmsgs, 1);
	assert_false(entry(&io, 16) & VIOAPIC_RTE_REMOTE_IRR);
	/* A level pin that went away while masked sends nothing. */
	vioapic_set_irq(&io, 16, false);
	program(&io, 16, VIOAPIC_RTE_LEVEL | 0x51);
	assert_int_equal(nmsgs, 1);
}

static void test_edge_switch_clears_remote_irr(void **state)
{
	struct vioapic io;

	(void)state;
	setup(&io);
	program(&io, 9, VIOAPIC_RTE_LEVEL | 0x61);
	vioapic_set_irq(&io, 9, true);
	vioapic_set_irq(&io, 9, false);
	assert_true(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
	/* Older Linux (clear_IO_APIC_pin, eoi_ioapic_pin on version < 0x20):
	 * edge and masked, then back to level. */
	program(&io, 9, VIOAPIC_RTE_MASKED | 0x61);
	program(&io, 9, VIOAPIC_RTE_LEVEL | 0x61);
	assert_false(entry(&io, 9) & VIOAPIC_RTE_REMOTE_IRR);
	vioapic_set_irq(&io, 9, true);
	assert_int_equal(nmsgs, 2);
}

static void test_delivery_modes(void **state)
{
	struct vioapic io;

	(void)state;
	setup(&io);
	/* ExtINT on pin 0 (the PIC through the I/O APIC), NMI on pin 1. */
	program(&io, 0, 7u << 8);
	program(&io, 1, 4u << 8 | VIOAPIC_RTE_LOGICAL | 0xffull << 56);
	vioapic_set_irq(&io, 0, true);
	vioapic_set_irq(&io, 1, true);
	assert_int_equal(nmsgs, 2);
	assert_int_equal(msgs[0].delivery_mode, 7);
	assert_int_equal(msgs[1].delivery_mode, 4);
	assert_int_equal(msgs[1].dest, 0xff);
	assert_true(msgs[1].logical);
}

static void test_bus(void **state)
{
	struct io_bus bus;
	struct vioapic io;
	uint64_t v;

	(void)state;
	setup(&io);
	io_bus_init(&bus);
	assert_int_equal(vioapic_attach(&io, &bus, BASE + 0x10), HV_EINVAL);
	assert_int_equal(vioapic_attach(&io, &bus, BASE), 0);
	assert_int_equal(io_write(&bus, BASE, 4, 0x01), 0);
	assert_int_equal(io_read(&bus, BASE + 0x10, 4, &v), 0);
	assert_int_equal(v, 0x00170020);
	assert_int_equal(io_read(&bus, BASE + 0xffc, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(io_read(&bus, BASE + 0x1000, 4, &v), HV_ENOENT);
}

/* Saved with a level interrupt awaiting its EOI and another level pin
 * asserted but masked, loaded into a fresh I/O APIC: nothing sent again
 * until the EOI, then the first again (still asserted); the entries and
 * the ID as they were. */
static void test_state_round_trip(void **state)
{
	struct vioapic io, q;
	struct vms_out *o;
	struct vms_section sec;
	const uint8_t *payload;
	uint8_t copy[256];
	size_t n;

	(void)state;
	setup(&io);
	reg_write(&io, 0x00, 0x05000000);
	program(&io, 9, VIOAPIC_RTE_LEVEL | 0x49);
	program(&io, 11, VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_MASKED | 0x4b);
	vioapic_set_irq(&io, 9, true);
	vioapic_set_irq(&io, 11, true);
	assert_int_equal(nmsgs, 1);
	o = vms_test_out();
	vioapic_save(&io, o);
	payload = vms_test_payload(o, &n);
	assert_int_equal(n, 4 + 2 + 4 + 24 * 8);

	setup(&q);
	sec = vms_test_section(VMS_IOAPIC, 0, payload, n);
	assert_int_equal(vioapic_load(&q, &sec), 0);
	assert_int_equal(nmsgs, 0);                       /* Remote IRR: awaited */
	assert_int_equal(entry(&q, 9), entry(&io, 9));
	assert_int_equal(reg_read(&q, 0x00), 0x05000000);
	vioapic_eoi(&q, 0x49);
	assert_int_equal(nmsgs, 1);
	assert_int_equal(msgs[0].vector, 0x49);
	program(&q, 11, VIOAPIC_RTE_LEVEL | 0x4b);        /* unmasked: sends */
	assert_int_equal(nmsgs, 2);

	/* Malformed: refused, q as it was. */
	memcpy(copy, payload, n);
	copy[4] = 0x10;                                   /* ID 16 */
	sec = vms_test_section(VMS_IOAPIC, 0, copy, n);
	assert_int_equal(vioapic_load(&q, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[10 + 3] = 0x10;                              /* pin 0: delivery status */
	sec = vms_test_section(VMS_IOAPIC, 0, copy, n);
	assert_int_equal(vioapic_load(&q, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[6 + 3] = 0x01;                               /* pin 24 asserted */
	sec = vms_test_section(VMS_IOAPIC, 0, copy, n);
	assert_int_equal(vioapic_load(&q, &sec), HV_EINVAL);
	sec = vms_test_section(VMS_IOAPIC, 0, payload, n - 1);
	assert_int_equal(vioapic_load(&q, &sec), HV_EINVAL);
	assert_int_equal(entry(&q, 11), VIOAPIC_RTE_LEVEL | VIOAPIC_RTE_REMOTE_IRR | 0x4b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_identification_registers),
		cmocka_unit_test(test_reset_and_read_only_bits),
		cmocka_unit_test(test_non_dword_access),
		cmocka_unit_test(test_edge),
		cmocka_unit_test(test_level_remote_irr_and_eoi),
		cmocka_unit_test(test_level_masking),
		cmocka_unit_test(test_edge_switch_clears_remote_irr),
		cmocka_unit_test(test_delivery_modes),
		cmocka_unit_test(test_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
