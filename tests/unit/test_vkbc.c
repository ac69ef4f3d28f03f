#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vkbc.h>

static int resets, irqs;

static const char *reset_how;

static void on_reset(void *ctx, const char *how) { (void)ctx; resets++; reset_how = how; }
static void on_irq(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	assert_int_equal(irq, 1);
	if (level)
		irqs++;
}

static uint64_t rd(struct vkbc *k, unsigned port)
{
	uint64_t v;

	vkbc_read(k, port, 1, &v);
	return v;
}

static void setup(struct vkbc *k)
{
	struct irq_sink s = { on_irq, NULL };

	resets = irqs = 0;
	vkbc_init(k, &s, on_reset, NULL);
}

static void test_linux_probe(void **state)
{
	struct vkbc k;

	(void)state;
	setup(&k);
	assert_int_equal(rd(&k, 0x64) & 1, 0);       /* nothing to flush */
	assert_int_equal(rd(&k, 0x64) & 0x14, 0x14); /* system flag; no key lock */
	vkbc_write(&k, 0x64, 1, 0x20);               /* read CTR */
	assert_int_equal(rd(&k, 0x64) & 1, 1);
	assert_int_equal(rd(&k, 0x60), 0x45);
	vkbc_write(&k, 0x64, 1, 0xaa);               /* self test */
	assert_int_equal(rd(&k, 0x60), 0x55);
	vkbc_write(&k, 0x64, 1, 0x60);               /* write CTR */
	vkbc_write(&k, 0x60, 1, 0x44);
	vkbc_write(&k, 0x64, 1, 0x20);
	assert_int_equal(rd(&k, 0x60), 0x44);
	vkbc_write(&k, 0x64, 1, 0xab);               /* keyboard interface test */
	assert_int_equal(rd(&k, 0x60), 0x00);
	assert_int_equal(irqs, 0);                   /* controller replies raise no IRQ */
}

static void test_keyboard_commands(void **state)
{
	struct vkbc k;

	(void)state;
	setup(&k);
	vkbc_write(&k, 0x60, 1, 0xff);               /* keyboard reset */
	assert_int_equal(rd(&k, 0x60), 0xfa);
	assert_int_equal(rd(&k, 0x60), 0xaa);
	vkbc_write(&k, 0x60, 1, 0xf2);               /* identify */
	assert_int_equal(rd(&k, 0x60), 0xfa);
	assert_int_equal(rd(&k, 0x60), 0xab);
	assert_int_equal(rd(&k, 0x60), 0x83);
	assert_int_equal(irqs, 5);
	vkbc_write(&k, 0x64, 1, 0xd4);               /* to the mouse: none */
	vkbc_write(&k, 0x60, 1, 0xf4);
	assert_int_equal(rd(&k, 0x60), 0xfe);
}

static void test_reset_line(void **state)
{
	struct vkbc k;

	(void)state;
	setup(&k);
	vkbc_write(&k, 0x64, 1, 0xff);               /* pulse nothing */
	assert_int_equal(resets, 0);
	vkbc_write(&k, 0x64, 1, 0xfe);               /* pulse reset */
	assert_int_equal(resets, 1);
	vkbc_write(&k, 0x64, 1, 0xd1);               /* output port, reset bit low */
	vkbc_write(&k, 0x60, 1, 0xfe);
	assert_int_equal(resets, 2);
}

/* System Control Port A (0x92): A20 reads as enabled and keeps what is
 * written; bit 0 going from 0 to 1 resets, once. */
static void test_port_a(void **state)
{
	struct vkbc k;

	(void)state;
	setup(&k);
	assert_int_equal(rd(&k, 0x92), 0x02);
	vkbc_write(&k, 0x92, 1, 0x00);               /* A20 off: kept */
	assert_int_equal(rd(&k, 0x92), 0x00);
	assert_int_equal(resets, 0);
	vkbc_write(&k, 0x92, 1, 0x03);               /* fast reset */
	assert_int_equal(resets, 1);
	assert_string_equal(reset_how, "port 0x92");
	vkbc_write(&k, 0x92, 1, 0x03);               /* still 1: no new edge */
	assert_int_equal(resets, 1);
	vkbc_write(&k, 0x64, 1, 0xfe);               /* the i8042's reset line */
	assert_int_equal(resets, 2);
	assert_string_equal(reset_how, "keyboard controller");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_probe),
		cmocka_unit_test(test_keyboard_commands),
		cmocka_unit_test(test_reset_line),
		cmocka_unit_test(test_port_a),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
