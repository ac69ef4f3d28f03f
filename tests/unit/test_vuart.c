#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <hv/errno.h>
#include <hv/vuart.h>

#include "vms_test.h"

static char out[512];
static size_t nout;

static void sink(void *ctx, char c)
{
	(void)ctx;
	if (nout + 1 < sizeof(out))
		out[nout++] = c;
	out[nout] = '\0';
}

static void sink_noop(void *ctx, char c)
{
	(void)ctx;
	(void)c;
}

static void put(struct vuart *u, const char *s)
{
	for (; *s; s++)
		vuart_write(u, 0x3f8, 1, (uint8_t)*s);
}

/* Every byte written to THR reaches the sink as it is: lines and their
 * sanitising are the VM console's (test_vm_console.c). */
static void test_bytes_to_sink(void **state)
{
	struct vuart u;

	(void)state;
	nout = 0;
	vuart_init(&u, sink, NULL);
	put(&u, "hello\r\n\033[2J");
	assert_string_equal(out, "hello\r\n\033[2J");
	/* In loopback mode bytes go to the receive side instead. */
	vuart_write(&u, 0x3fc, 1, 0x10);
	put(&u, "x");
	assert_string_equal(out, "hello\r\n\033[2J");
}

static void test_registers(void **state)
{
	struct vuart u;
	uint64_t v;

	(void)state;
	nout = 0;
	vuart_init(&u, sink, NULL);
	vuart_read(&u, 0x3fd, 1, &v);
	assert_int_equal(v & 0x60, 0x60);
	vuart_write(&u, 0x3ff, 1, 0x5a);
	vuart_read(&u, 0x3ff, 1, &v);
	assert_int_equal(v, 0x5a);
	/* Divisor latch: DLAB set, write 0x0c/0x00 (9600 baud), DLAB clear. */
	vuart_write(&u, 0x3fb, 1, 0x83);
	vuart_write(&u, 0x3f8, 1, 0x0c);
	vuart_write(&u, 0x3f9, 1, 0x00);
	vuart_read(&u, 0x3f8, 1, &v);
	assert_int_equal(v, 0x0c);
	vuart_write(&u, 0x3fb, 1, 0x03);
	assert_int_equal(nout, 0); /* the divisor write printed nothing */
	vuart_read(&u, 0x3fa, 1, &v);
	assert_int_equal(v, 0x01);
	/* A 16-bit read covers LCR and MCR. */
	vuart_write(&u, 0x3fc, 1, 0x0b);
	vuart_read(&u, 0x3fb, 2, &v);
	assert_int_equal(v, 0x0b03);
}

static unsigned irq_changes;
static bool irq_now;

static void irq_cb(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	assert_int_equal(irq, 4);
	irq_now = level;
	irq_changes++;
}

static void test_receive_and_irq(void **state)
{
	struct vuart u;
	struct irq_sink sink = { irq_cb, NULL };
	uint64_t v;

	(void)state;
	vuart_init(&u, sink_noop, NULL);
	vuart_set_irq(&u, &sink, 4);
	irq_now = false;
	irq_changes = 0;
	/* No OUT2: a byte arrives, LSR.DR is set, but the line stays low. */
	vuart_write(&u, 0x3f9, 1, 0x01);
	assert_true(vuart_receive(&u, 'a'));
	vuart_read(&u, 0x3fd, 1, &v);
	assert_int_equal(v & 1, 1);
	assert_false(irq_now);
	/* OUT2 set: the received-data interrupt drives IRQ 4. */
	vuart_write(&u, 0x3fc, 1, 0x0b);
	assert_true(irq_now);
	vuart_read(&u, 0x3fa, 1, &v);
	assert_int_equal(v & 0x0f, 0x04);
	vuart_read(&u, 0x3f8, 1, &v);
	assert_int_equal(v, 'a');
	assert_false(irq_now);
	vuart_read(&u, 0x3fd, 1, &v);
	assert_int_equal(v & 1, 0);
	/* THRE: enabling it with an empty transmitter raises it; reading IIR clears it. */
	vuart_write(&u, 0x3f9, 1, 0x02);
	assert_true(irq_now);
	vuart_read(&u, 0x3fa, 1, &v);
	assert_int_equal(v & 0x0f, 0x02);
	assert_false(irq_now);
	/* A transmitted byte raises THRE again. */
	vuart_write(&u, 0x3f8, 1, 'x');
	assert_true(irq_now);
	/* FIFO full after 16 bytes. */
	for (int i = 0; i < VUART_RX_FIFO; i++) {
		assert_false(vuart_rx_full(&u));
		assert_true(vuart_receive(&u, (uint8_t)i));
	}
	assert_true(vuart_rx_full(&u));
	assert_false(vuart_receive(&u, 99));
}

static void test_loopback(void **state)
{
	struct vuart u;
	uint64_t v;

	(void)state;
	nout = 0;
	vuart_init(&u, sink, NULL);
	/* Linux's 8250 probe: MCR = LOOP | OUT2 | RTS reads back MSR 0x90. */
	vuart_write(&u, 0x3fc, 1, 0x1a);
	vuart_read(&u, 0x3fe, 1, &v);
	assert_int_equal(v & 0xf0, 0x90);
	vuart_write(&u, 0x3f8, 1, 'z');
	assert_int_equal(nout, 0);
	vuart_read(&u, 0x3f8, 1, &v);
	assert_int_equal(v, 'z');
	/* FIFO enable shows in IIR bits 7:6. */
	vuart_write(&u, 0x3fa, 1, 0x07);
	vuart_read(&u, 0x3fa, 1, &v);
	assert_int_equal(v & 0xc0, 0xc0);
}

/* Saved with bytes waiting and its divisor set, loaded into a fresh
 * UART: the same bytes in order, the same registers, its IRQ raised. */
static void test_state_round_trip(void **state)
{
	struct vuart u, w;
	struct irq_sink sink = { irq_cb, NULL };
	struct vms_out *o;
	struct vms_section sec;
	const uint8_t *payload;
	uint8_t copy[64];
	uint64_t v;
	size_t n;

	(void)state;
	vuart_init(&u, sink_noop, NULL);
	vuart_set_irq(&u, &sink, 4);
	vuart_write(&u, 0x3fb, 1, 0x80);      /* DLAB: divisor 12 */
	vuart_write(&u, 0x3f8, 1, 12);
	vuart_write(&u, 0x3fb, 1, 0x03);
	vuart_write(&u, 0x3fa, 1, 0xc7);      /* FIFO on */
	vuart_write(&u, 0x3f9, 1, 0x01);      /* receive interrupt */
	vuart_write(&u, 0x3fc, 1, 0x0b);      /* OUT2 */
	vuart_write(&u, 0x3ff, 1, 0x5a);
	vuart_receive(&u, 'h');
	vuart_receive(&u, 'i');
	o = vms_test_out();
	vuart_save(&u, 0, o);
	payload = vms_test_payload(o, &n);
	assert_int_equal(n, 12);

	vuart_init(&w, sink_noop, NULL);
	vuart_set_irq(&w, &sink, 4);
	irq_now = false;
	sec = vms_test_section(VMS_UART, 0, payload, n);
	assert_int_equal(vuart_load(&w, &sec), 0);
	assert_true(irq_now);
	vuart_read(&w, 0x3ff, 1, &v);
	assert_int_equal(v, 0x5a);
	vuart_read(&w, 0x3f8, 1, &v);
	assert_int_equal(v, 'h');
	vuart_read(&w, 0x3f8, 1, &v);
	assert_int_equal(v, 'i');
	assert_false(irq_now);                /* nothing left to read */
	vuart_write(&w, 0x3fb, 1, 0x83);
	vuart_read(&w, 0x3f8, 1, &v);
	assert_int_equal(v, 12);

	/* Malformed: refused. */
	memcpy(copy, payload, n);
	copy[0] = 0x10;                       /* IER bit 4 */
	sec = vms_test_section(VMS_UART, 0, copy, n);
	assert_int_equal(vuart_load(&w, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[9] = 17;                         /* 17 bytes in a 16-byte FIFO */
	sec = vms_test_section(VMS_UART, 0, copy, n);
	assert_int_equal(vuart_load(&w, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[8] = 0;                          /* a FIFO of no bytes */
	sec = vms_test_section(VMS_UART, 0, copy, n);
	assert_int_equal(vuart_load(&w, &sec), HV_EINVAL);
	sec = vms_test_section(VMS_UART, 0, payload, n - 1);   /* a byte short */
	assert_int_equal(vuart_load(&w, &sec), HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes_to_sink),
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_receive_and_irq),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
