#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <hv/errno.h>
#include <hv/vpci.h>

static uint64_t cfg_read(struct vpci *p, unsigned bus, unsigned devfn, unsigned reg, unsigned size)
{
	uint64_t v;

	vpci_write(p, 0xcf8, 4, 0x80000000u | bus << 16 | devfn << 8 | (reg & 0xfc));
	vpci_read(p, 0xcfc + (reg & 3), size, &v);
	return v;
}

static void cfg_write(struct vpci *p, unsigned devfn, unsigned reg, unsigned size, uint64_t v)
{
	vpci_write(p, 0xcf8, 4, 0x80000000u | devfn << 8 | (reg & 0xfc));
	vpci_write(p, 0xcfc + (reg & 3), size, v);
}

static int bar_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	(void)dev;
	(void)size;
	*val = addr;
	return 0;
}

static unsigned writes_seen, last_off;

static void written(struct vpci_func *f, unsigned off, unsigned size)
{
	(void)f;
	(void)size;
	writes_seen++;
	last_off = off;
}

/* A device in slot 3: identity, a 4 KiB and a 16-byte BAR, the command
 * register and the interrupt line writable. */
static struct io_bus pio;

static void add_device(struct vpci *p, struct io_bus *mmio, struct vpci_func *f)
{
	static int tag;

	vpci_init(p);
	io_bus_init(mmio);
	memset(f, 0, sizeof(*f));
	f->cfg[PCI_VENDOR_ID] = 0xf4;
	f->cfg[PCI_VENDOR_ID + 1] = 0x1a;
	f->cfg[PCI_DEVICE_ID] = 0x42;
	f->cfg[PCI_DEVICE_ID + 1] = 0x10;
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->wmask[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	f->wmask[PCI_INTERRUPT_LINE] = 0xff;
	vpci_set_bar(f, 0, 0x1000, "bar0", bar_read, NULL, &tag);
	vpci_set_bar(f, 2, 16, "bar2", bar_read, NULL, &tag);
	f->written = written;
	writes_seen = 0;
	io_bus_init(&pio);
	assert_int_equal(vpci_attach(p, &pio, mmio), 0);
	assert_int_equal(vpci_add(p, 3, f), 0);
}

static void test_devices(void **state)
{
	struct vpci p;
	struct io_bus mmio;
	struct vpci_func f, g;

	(void)state;
	add_device(&p, &mmio, &f);
	assert_int_equal(vpci_add(&p, 3, &g), HV_EBUSY);
	assert_int_equal(vpci_add(&p, 0, &g), HV_EINVAL);
	assert_int_equal(vpci_add(&p, 32, &g), HV_EINVAL);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, 0, 4), 0x10421af4);
	assert_int_equal(cfg_read(&p, 0, 3 << 3 | 1, 0, 4), 0xffffffff);   /* function 1 */
	assert_int_equal(cfg_read(&p, 0, 4 << 3, 0, 4), 0xffffffff);       /* slot 4 */
	/* Read-only registers stay; the writable bits change; each write is told. */
	cfg_write(&p, 3 << 3, PCI_VENDOR_ID, 4, 0);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, 0, 4), 0x10421af4);
	cfg_write(&p, 3 << 3, PCI_INTERRUPT_LINE, 2, 0x0b0b);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, PCI_INTERRUPT_LINE, 2), 0x010b);
	assert_int_equal(writes_seen, 2);
	assert_int_equal(last_off, PCI_INTERRUPT_LINE);
}

/* BAR sizing (PCI 3.0 6.2.5.1) and mapping on the MMIO bus. */
static void test_bars(void **state)
{
	struct vpci p;
	struct io_bus mmio;
	struct vpci_func f;
	uint64_t v;

	(void)state;
	add_device(&p, &mmio, &f);
	cfg_write(&p, 3 << 3, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, PCI_BAR0, 4), 0xfffff000);
	cfg_write(&p, 3 << 3, PCI_BAR0 + 8, 4, 0xffffffff);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, PCI_BAR0 + 8, 4), 0xfffffff0);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, PCI_BAR0 + 4, 4), 0);    /* no BAR 1 */
	cfg_write(&p, 3 << 3, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, PCI_BAR0 + 4, 4), 0);
	/* Placed, but not mapped until memory decoding is on. */
	cfg_write(&p, 3 << 3, PCI_BAR0, 4, 0xfebf1234);
	assert_int_equal(cfg_read(&p, 0, 3 << 3, PCI_BAR0, 4), 0xfebf1000);
	cfg_write(&p, 3 << 3, PCI_BAR0 + 8, 4, 0xfebf2000);
	assert_int_equal(io_read(&mmio, 0xfebf1000, 4, &v), HV_ENOENT);
	cfg_write(&p, 3 << 3, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(io_read(&mmio, 0xfebf1ffc, 4, &v), 0);
	assert_int_equal(v, 0xfebf1ffc);
	assert_int_equal(io_read(&mmio, 0xfebf200c, 4, &v), 0);
	assert_int_equal(io_read(&mmio, 0xfebf2010, 4, &v), HV_ENOENT);
	/* Moved: the old place is free, the new one decodes. */
	cfg_write(&p, 3 << 3, PCI_BAR0, 4, 0xfebf4000);
	assert_int_equal(io_read(&mmio, 0xfebf1000, 4, &v), HV_ENOENT);
	assert_int_equal(io_read(&mmio, 0xfebf4000, 4, &v), 0);
	/* Onto the other BAR: refused by the bus, so not mapped at all. */
	cfg_write(&p, 3 << 3, PCI_BAR0, 4, 0xfebf2000);
	assert_int_equal(f.bar[0].mapped, 0);
	assert_int_equal(io_read(&mmio, 0xfebf4000, 4, &v), HV_ENOENT);
	assert_int_equal(f.bar[2].mapped, 0xfebf2000);
	/* Decoding off: nothing mapped. */
	cfg_write(&p, 3 << 3, PCI_BAR0, 4, 0xfebf8000);
	cfg_write(&p, 3 << 3, PCI_COMMAND, 2, 0);
	assert_int_equal(io_read(&mmio, 0xfebf8000, 4, &v), HV_ENOENT);
	assert_int_equal(io_read(&mmio, 0xfebf2000, 4, &v), HV_ENOENT);
	assert_int_equal(mmio.count, 0);
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
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_bars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
