#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/io.h>
#include <hv/vpic.h>

#include "vms_test.h"

static int intr_changes;
static bool intr_level;

static void intr(void *ctx, bool level)
{
	(void)ctx;
	intr_changes++;
	intr_level = level;
}

static void outb(struct vpic *p, uint16_t port, uint8_t v)
{
	assert_int_equal(vpic_write(p, port, 1, v), 0);
}

static uint8_t inb(struct vpic *p, uint16_t port)
{
	uint64_t v;

	assert_int_equal(vpic_read(p, port, 1, &v), 0);
	return (uint8_t)v;
}

static void pulse(struct vpic *p, unsigned irq)
{
	vpic_set_irq(p, irq, true);
	vpic_set_irq(p, irq, false);
}

/* arch/x86/kernel/i8259.c: init_8259A(auto_eoi) with vectors 0x30/0x38. */
static void linux_init(struct vpic *p, bool auto_eoi)
{
	outb(p, 0x21, 0xff);
	outb(p, 0xa1, 0xff);
	outb(p, 0x20, 0x11);              /* ICW1: edge, cascade, ICW4 */
	outb(p, 0x21, 0x30);              /* ICW2: IRQ0-7 at 0x30 */
	outb(p, 0x21, 0x04);              /* ICW3: slave on IR2 */
	outb(p, 0x21, auto_eoi ? 3 : 1);  /* ICW4: 8086 mode, (auto) EOI */
	outb(p, 0xa0, 0x11);
	outb(p, 0xa1, 0x38);              /* IRQ8-15 at 0x38 */
	outb(p, 0xa1, 0x02);              /* slave id 2 */
	outb(p, 0xa1, 0x01);
	outb(p, 0x21, 0xff);              /* restore the cached masks */
	outb(p, 0xa1, 0xff);
}

static void setup(struct vpic *p)
{
	intr_changes = 0;
	intr_level = false;
	vpic_init(p, intr, NULL);
	linux_init(p, false);
}

static void test_probe_and_init(void **state)
{
	struct vpic p;

	(void)state;
	vpic_init(&p, intr, NULL);
	/* probe_8259A(): the master's IMR must read back what was written. */
	outb(&p, 0xa1, 0xff);
	outb(&p, 0x21, 0xfb);
	assert_int_equal(inb(&p, 0x21), 0xfb);
	linux_init(&p, false);
	assert_int_equal(inb(&p, 0x21), 0xff);
	assert_int_equal(inb(&p, 0xa1), 0xff);
	assert_int_equal(p.chip[0].vector_base, 0x30);
	assert_int_equal(p.chip[1].vector_base, 0x38);
	assert_int_equal(p.chip[0].icw3, 0x04);
	assert_int_equal(p.chip[1].icw3, 0x02);
	assert_false(p.chip[0].auto_eoi);
	/* Status reads: IRR by default, ISR after OCW3 0x0b, IRR after 0x0a. */
	assert_int_equal(inb(&p, 0x20), 0);
	outb(&p, 0x20, 0x0b);
	assert_int_equal(inb(&p, 0x20), 0);
	outb(&p, 0x20, 0x0a);
	assert_int_equal(vpic_pending_vector(&p), -1);
	assert_int_equal(vpic_ack(&p), -1);
}

static void test_masked_request_waits_in_irr(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	pulse(&p, 1);
	assert_int_equal(vpic_pending_vector(&p), -1);
	assert_int_equal(inb(&p, 0x20), 0x02);   /* visible in IRR */
	assert_int_equal(intr_changes, 0);
	outb(&p, 0x21, 0xfd);                    /* unmask IRQ1 */
	assert_int_equal(vpic_pending_vector(&p), 0x31);
	assert_true(intr_level);
	assert_int_equal(intr_changes, 1);
	outb(&p, 0x21, 0xff);
	assert_int_equal(vpic_pending_vector(&p), -1);
	assert_false(intr_level);
}

static void test_priority_and_eoi_order(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	outb(&p, 0x21, 0xf8);                    /* IRQ0, 1, 2 unmasked */
	pulse(&p, 1);
	assert_int_equal(vpic_ack(&p), 0x31);
	assert_false(intr_level);
	outb(&p, 0x20, 0x0b);
	assert_int_equal(inb(&p, 0x20), 0x02);
	/* IRQ0 has higher priority: it nests over IRQ1 in service. */
	pulse(&p, 0);
	assert_int_equal(vpic_pending_vector(&p), 0x30);
	assert_int_equal(vpic_ack(&p), 0x30);
	assert_int_equal(inb(&p, 0x20), 0x03);
	/* A new IRQ1 edge is blocked while IRQ1 is in service. */
	pulse(&p, 1);
	assert_int_equal(vpic_pending_vector(&p), -1);
	/* Non-specific EOI retires the highest level in service: IRQ0. */
	outb(&p, 0x20, 0x20);
	assert_int_equal(inb(&p, 0x20), 0x02);
	assert_int_equal(vpic_pending_vector(&p), -1);
	/* Specific EOI for IRQ1 (Linux's mask_and_ack_8259A: 0x60 + irq). */
	outb(&p, 0x20, 0x61);
	assert_int_equal(inb(&p, 0x20), 0x00);
	assert_int_equal(vpic_pending_vector(&p), 0x31);
	outb(&p, 0x20, 0x0a);
	assert_int_equal(inb(&p, 0x20), 0x02);
	assert_int_equal(vpic_ack(&p), 0x31);
	assert_int_equal(inb(&p, 0x20), 0x00);
}

static void test_lower_priority_waits(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	outb(&p, 0x21, 0x00);
	pulse(&p, 3);
	assert_int_equal(vpic_ack(&p), 0x33);
	pulse(&p, 5);
	assert_int_equal(vpic_pending_vector(&p), -1);
	outb(&p, 0x20, 0x20);
	assert_int_equal(vpic_ack(&p), 0x35);
}

static void test_cascade(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	outb(&p, 0x21, 0xfb);                    /* cascade unmasked */
	outb(&p, 0xa1, 0xef);                    /* IRQ12 unmasked */
	pulse(&p, 12);
	assert_int_equal(inb(&p, 0x20), 0x04);   /* master IRR: IR2 */
	assert_int_equal(inb(&p, 0xa0), 0x10);
	assert_int_equal(vpic_pending_vector(&p), 0x3c);
	assert_int_equal(vpic_ack(&p), 0x3c);
	outb(&p, 0x20, 0x0b);
	outb(&p, 0xa0, 0x0b);
	assert_int_equal(inb(&p, 0x20), 0x04);
	assert_int_equal(inb(&p, 0xa0), 0x10);
	/* Another slave request waits for the master's EOI of IR2. */
	outb(&p, 0xa1, 0xee);
	pulse(&p, 8);
	assert_int_equal(vpic_pending_vector(&p), -1);
	/* Linux: specific EOI to the slave, then for IR2 to the master. */
	outb(&p, 0xa0, 0x64);
	outb(&p, 0x20, 0x62);
	assert_int_equal(inb(&p, 0xa0), 0x00);
	assert_int_equal(inb(&p, 0x20), 0x00);
	assert_int_equal(vpic_ack(&p), 0x38);
	/* A masked cascade hides the slave entirely. */
	outb(&p, 0xa0, 0x20);
	outb(&p, 0x20, 0x20);
	outb(&p, 0x21, 0xff);
	pulse(&p, 8);
	assert_int_equal(vpic_pending_vector(&p), -1);
	outb(&p, 0x21, 0xfb);
	assert_int_equal(vpic_pending_vector(&p), 0x38);
}

static void test_elcr_and_level(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	/* IRQ 0, 1, 2, 8, 13 cannot be made level-triggered. */
	outb(&p, 0x4d0, 0xff);
	outb(&p, 0x4d1, 0xff);
	assert_int_equal(inb(&p, 0x4d0), 0xf8);
	assert_int_equal(inb(&p, 0x4d1), 0xde);
	outb(&p, 0x4d0, 0x00);
	outb(&p, 0x4d1, 0x04);                   /* IRQ10 level */
	outb(&p, 0x21, 0xfb);
	outb(&p, 0xa1, 0xfb);
	vpic_set_irq(&p, 10, true);
	assert_int_equal(vpic_ack(&p), 0x3a);
	/* EOI while the line is still high: requested again. */
	outb(&p, 0xa0, 0x20);
	outb(&p, 0x20, 0x20);
	assert_int_equal(vpic_pending_vector(&p), 0x3a);
	assert_int_equal(vpic_ack(&p), 0x3a);
	/* The handler quiets the device, then EOIs: nothing more. */
	vpic_set_irq(&p, 10, false);
	assert_int_equal(inb(&p, 0xa0), 0x00);
	outb(&p, 0xa0, 0x20);
	outb(&p, 0x20, 0x20);
	assert_int_equal(vpic_pending_vector(&p), -1);
}

static void test_spurious_irq15(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	outb(&p, 0x4d1, 0x04);
	outb(&p, 0x21, 0xfb);
	outb(&p, 0xa1, 0xfb);
	vpic_set_irq(&p, 10, true);              /* master latches IR2 */
	vpic_set_irq(&p, 10, false);             /* and the slave forgets */
	assert_int_equal(inb(&p, 0x20), 0x04);
	assert_int_equal(vpic_ack(&p), 0x3f);
	outb(&p, 0xa0, 0x0b);
	assert_int_equal(inb(&p, 0xa0), 0x00);   /* no slave ISR bit */
}

static void test_edge_needs_new_rising_edge(void **state)
{
	struct vpic p;

	(void)state;
	setup(&p);
	outb(&p, 0x21, 0xfe);
	vpic_set_irq(&p, 0, true);
	assert_int_equal(vpic_ack(&p), 0x30);
	outb(&p, 0x20, 0x20);
	vpic_set_irq(&p, 0, true);               /* still high: no edge */
	assert_int_equal(vpic_pending_vector(&p), -1);
	vpic_set_irq(&p, 0, false);
	vpic_set_irq(&p, 0, true);
	assert_int_equal(vpic_pending_vector(&p), 0x30);
	/* ICW1 resets the edge sense latch and drops the request. */
	linux_init(&p, false);
	outb(&p, 0x21, 0xfe);
	assert_int_equal(vpic_pending_vector(&p), -1);
	vpic_set_irq(&p, 0, true);
	assert_int_equal(vpic_pending_vector(&p), -1);
}

static void test_auto_eoi_poll_and_rotation(void **state)
{
	struct vpic p;

	(void)state;
	vpic_init(&p, NULL, NULL);
	linux_init(&p, true);
	outb(&p, 0x21, 0x00);
	pulse(&p, 4);
	assert_int_equal(vpic_ack(&p), 0x34);
	outb(&p, 0x20, 0x0b);
	assert_int_equal(inb(&p, 0x20), 0x00);   /* AEOI: nothing in service */

	linux_init(&p, false);
	outb(&p, 0x21, 0x00);
	/* Poll: the read acknowledges and returns 0x80 | level. */
	pulse(&p, 6);
	outb(&p, 0x20, 0x0c);
	assert_int_equal(inb(&p, 0x20), 0x86);
	outb(&p, 0x20, 0x0c);
	assert_int_equal(inb(&p, 0x20), 0x00);
	outb(&p, 0x20, 0x0b);
	assert_int_equal(inb(&p, 0x20), 0x40);
	/* Rotate on non-specific EOI: IR6 becomes the lowest priority, so
	 * IR7 now beats IR1. */
	outb(&p, 0x20, 0xa0);
	pulse(&p, 1);
	pulse(&p, 7);
	assert_int_equal(vpic_ack(&p), 0x37);
	/* Set priority with IR7 lowest (the fully nested order again):
	 * IR0 beats the IR1 still waiting. */
	outb(&p, 0x20, 0x20);
	outb(&p, 0x20, 0xc7);
	pulse(&p, 0);
	assert_int_equal(vpic_ack(&p), 0x30);
}

static void test_bus(void **state)
{
	struct io_bus bus;
	struct vpic p;
	uint64_t v;

	(void)state;
	io_bus_init(&bus);
	vpic_init(&p, NULL, NULL);
	assert_int_equal(vpic_attach(&p, &bus), 0);
	assert_int_equal(io_write(&bus, 0xa1, 1, 0x5a), 0);
	assert_int_equal(io_read(&bus, 0xa1, 1, &v), 0);
	assert_int_equal(v, 0x5a);
	/* A word access to the ELCR pair covers both registers. */
	assert_int_equal(io_write(&bus, 0x4d0, 2, 0x0c20), 0);
	assert_int_equal(io_read(&bus, 0x4d0, 2, &v), 0);
	assert_int_equal(v, 0x0c20);
	assert_int_equal(vpic_attach(&p, &bus), HV_EBUSY);
}

/* Saved with a request in service on the slave and another waiting on
 * the master (masked by priority), loaded into a fresh pair: INTR as
 * before, the same vectors in the same order, the same registers. */
static void test_state_round_trip(void **state)
{
	struct vpic p, q;
	struct vms_out *o;
	struct vms_section sec;
	const uint8_t *payload;
	uint8_t copy[64];
	size_t n;

	(void)state;
	setup(&p);
	outb(&p, 0x21, 0x00);             /* all unmasked */
	outb(&p, 0xa1, 0x00);
	outb(&p, 0x4d1, 0x02);            /* ELCR: IRQ 9 level */
	pulse(&p, 10);
	assert_int_equal(vpic_ack(&p), 0x3a);   /* IRQ 10 in service */
	pulse(&p, 3);                           /* waits below IRQ 2's cascade */
	assert_false(intr_level);
	o = vms_test_out();
	vpic_save(&p, o);
	payload = vms_test_payload(o, &n);
	assert_int_equal(n, 20);

	intr_changes = 0;
	intr_level = false;
	vpic_init(&q, intr, NULL);
	sec = vms_test_section(VMS_PIC, 0, payload, n);
	assert_int_equal(vpic_load(&q, &sec), 0);
	assert_false(intr_level);
	assert_memory_equal(q.chip, p.chip, sizeof(p.chip));
	outb(&q, 0xa0, 0x20);                   /* EOI on both: IRQ 10 done ... */
	outb(&q, 0x20, 0x20);
	assert_true(intr_level);                /* ... and IRQ 3 comes through */
	/* Saved with INTR up, loaded: INTR goes up. */
	o = vms_test_out();
	vpic_save(&q, o);
	payload = vms_test_payload(o, &n);
	vpic_init(&q, intr, NULL);
	intr_level = false;
	sec = vms_test_section(VMS_PIC, 0, payload, n);
	assert_int_equal(vpic_load(&q, &sec), 0);
	assert_true(intr_level);
	assert_int_equal(vpic_ack(&q), 0x33);
	assert_int_equal(inb(&q, 0x4d1), 0x02);
	o = vms_test_out();
	vpic_save(&p, o);
	payload = vms_test_payload(o, &n);

	/* Malformed: refused, q as it was. */
	memcpy(&q, &p, sizeof(q));
	memcpy(copy, payload, n);
	copy[3] = 0x01;                         /* ELCR: IRQ 0 level */
	sec = vms_test_section(VMS_PIC, 0, copy, n);
	assert_int_equal(vpic_load(&q, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[10 + 5] = 0x39;                    /* the slave's vector base, not 8-aligned */
	sec = vms_test_section(VMS_PIC, 0, copy, n);
	assert_int_equal(vpic_load(&q, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[7] = 8;                            /* lowest priority input 8 */
	sec = vms_test_section(VMS_PIC, 0, copy, n);
	assert_int_equal(vpic_load(&q, &sec), HV_EINVAL);
	sec = vms_test_section(VMS_PIC, 0, payload, n - 1);
	assert_int_equal(vpic_load(&q, &sec), HV_EINVAL);
	assert_memory_equal(q.chip, p.chip, sizeof(p.chip));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_probe_and_init),
		cmocka_unit_test(test_masked_request_waits_in_irr),
		cmocka_unit_test(test_priority_and_eoi_order),
		cmocka_unit_test(test_lower_priority_waits),
		cmocka_unit_test(test_cascade),
		cmocka_unit_test(test_elcr_and_level),
		cmocka_unit_test(test_spurious_irq15),
		cmocka_unit_test(test_edge_needs_new_rising_edge),
		cmocka_unit_test(test_auto_eoi_poll_and_rotation),
		cmocka_unit_test(test_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
