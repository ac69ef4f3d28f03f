/* Fuzz the PCI configuration mechanism #1 model (src/dev/vpci.c) through
 * its ports; with the first input byte's bit 0, byte accesses to 0xCF9
 * go to the ACPI model's reset control register, as the platform wires
 * them (src/dev/platform.c).  A device in slot 2 has two memory BARs
 * (4 KiB and 16 bytes) and a writable command register: each BAR is
 * mapped on the MMIO bus exactly where its register says while memory
 * decoding is on, or not at all. */
#include "fuzz_dev.h"

#include <hv/vpci.h>
#include <hv/vpm.h>

static void pm_event(void *ctx, enum vpm_event ev)
{
	(void)ctx;
	FZ_CHECK(ev == VPM_POWER_OFF || ev == VPM_RESET);
}

static int bar_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	(void)dev;
	(void)size;
	*val = addr;
	return 0;
}

static void check_bars(const struct vpci_func *fn, const struct io_bus *mmio)
{
	bool on = fn->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY;
	size_t mapped = 0;

	for (unsigned n = 0; n < VPCI_BARS; n++) {
		const struct vpci_bar *b = &fn->bar[n];
		uint32_t reg;

		if (!b->size)
			continue;
		memcpy(&reg, &fn->cfg[PCI_BAR0 + 4 * n], 4);
		FZ_CHECK((reg & (b->size - 1)) == 0);
		FZ_CHECK(!b->mapped || (on && b->mapped == reg));
		if (b->mapped) {
			const struct io_handler *h = io_find(mmio, b->mapped, 1);

			FZ_CHECK(h && h->base == b->mapped && h->len == b->size);
			mapped++;
		}
	}
	FZ_CHECK(mmio->count == mapped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpci p;
	static struct vpm pm;
	static struct vpci_func fn;
	static struct io_bus mmio;
	static int tag;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&p, 0, sizeof(p));
	vpci_init(&p);
	memset(&fn, 0, sizeof(fn));
	io_bus_init(&mmio);
	fn.wmask[PCI_COMMAND] = PCI_COMMAND_MEMORY;
	vpci_set_bar(&fn, 0, 0x1000, "bar0", bar_read, NULL, &tag);
	vpci_set_bar(&fn, 1, 16, "bar1", bar_read, NULL, &tag);
	if (fz_u8(&f) & 1) {
		vpm_init(&pm, 1, 5, &fz_clock, pm_event, NULL);
		vpci_set_reset_control(&p, vpm_read, vpm_write, &pm);
	}
	FZ_CHECK(vpci_attach(&p, &d.bus, &mmio) == 0);
	FZ_CHECK(vpci_add(&p, 2, &fn) == 0);
	d.dev = &p;
	fz_dev_run(&d, &f);
	check_bars(&fn, &mmio);
	return 0;
}
