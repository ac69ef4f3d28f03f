#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vpci.h>

static uint64_t cfg_read(struct vpci *p, unsigned bus, unsigned devfn, unsigned reg, unsigned size)
{
	uint64_t v;

	vpci_write(p, 0xcf8, 4, 0x80000000u | bus << 16 | devfn << 8 | (reg & 0xfc));
	vpci_read(p, 0xcfc + (reg & 3), size, &v);
	return v;
}

static void test_host_bridge(void **state)
{
	struct vpci p;

	(void)state;
	vpci_init(&p);
	assert_int_equal(cfg_read(&p, 0, 0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read(&p, 0, 0, 0, 2), 0x8086);
	assert_int_equal(cfg_read(&p, 0, 0, 2, 2), 0x1237);
	assert_int_equal(cfg_read(&p, 0, 0, 0x0b, 1), 0x06);
	assert_int_equal(cfg_read(&p, 0, 0, 0x08, 4) >> 8, 0x060000);
}

static void test_absent_functions(void **state)
{
	struct vpci p;
	uint64_t v;

	(void)state;
	vpci_init(&p);
	assert_int_equal(cfg_read(&p, 0, 8, 0, 4), 0xffffffff);   /* 00:01.0 */
	assert_int_equal(cfg_read(&p, 1, 0, 0, 2), 0xffff);       /* bus 1 */
	/* With the enable bit clear nothing is selected. */
	vpci_write(&p, 0xcf8, 4, 0x00000000);
	vpci_read(&p, 0xcfc, 4, &v);
	assert_int_equal(v, 0xffffffff);
}

static void test_address_register(void **state)
{
	struct vpci p;
	uint64_t v;

	(void)state;
	vpci_init(&p);
	vpci_write(&p, 0xcf8, 4, 0x80000013);
	vpci_read(&p, 0xcf8, 4, &v);
	assert_int_equal(v, 0x80000010);   /* the low two bits are reserved */
	/* Byte accesses to 0xCF8-0xCFB are not the address register. */
	vpci_write(&p, 0xcf9, 1, 0x06);
	vpci_read(&p, 0xcf8, 4, &v);
	assert_int_equal(v, 0x80000010);
	vpci_read(&p, 0xcf8, 1, &v);
	assert_int_equal(v, ~0ULL);
	/* Writes to the bridge are dropped. */
	vpci_write(&p, 0xcf8, 4, 0x80000000);
	vpci_write(&p, 0xcfc, 4, 0);
	assert_int_equal(cfg_read(&p, 0, 0, 0, 4), 0x12378086);
}

static uint64_t reset_val;

static int reset_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	(void)dev;
	assert_int_equal(port, 0xcf9);
	assert_int_equal(size, 1);
	reset_val = val;
	return 0;
}

static void test_reset_control_shares_ports(void **state)
{
	struct vpci p;
	uint64_t v;

	(void)state;
	vpci_init(&p);
	vpci_set_reset_control(&p, NULL, reset_write, NULL);
	vpci_write(&p, 0xcf8, 4, 0x80000000);
	vpci_write(&p, 0xcf9, 1, 0x06);
	assert_int_equal(reset_val, 0x06);
	vpci_read(&p, 0xcf8, 4, &v);
	assert_int_equal(v, 0x80000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_bridge),
		cmocka_unit_test(test_absent_functions),
		cmocka_unit_test(test_address_register),
		cmocka_unit_test(test_reset_control_shares_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
