/* PCI configuration mechanism #1, a host bridge and the devices on bus 0
 * (include/hv/vpci.h).  The bridge identifies as Intel's 440FX
 * (8086:1237), which every OS knows needs no driver. */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vpci.h>

#define ADDR_ENABLE   0x80000000u
#define ADDR_BUS(a)   (((a) >> 16) & 0xff)
#define ADDR_DEVFN(a) (((a) >> 8) & 0xff)
#define ADDR_REG(a)   ((a) & 0xfc)

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

void vpci_init(struct vpci *p)
{
	memset(p, 0, sizeof(*p));
	put16(&p->bridge[0x00], 0x8086);   /* vendor: Intel */
	put16(&p->bridge[0x02], 0x1237);   /* device: 440FX host bridge */
	put16(&p->bridge[0x04], 0x0006);   /* command: memory and bus master */
	put16(&p->bridge[0x06], 0x0000);   /* status */
	p->bridge[0x08] = 0x02;            /* revision */
	p->bridge[0x0a] = 0x00;            /* subclass: host bridge */
	p->bridge[0x0b] = 0x06;            /* class: bridge */
	p->bridge[0x0e] = 0x00;            /* header type 0, single function */
}

void vpci_set_reset_control(struct vpci *p, io_read_fn read, io_write_fn write, void *dev)
{
	p->reset_read = read;
	p->reset_write = write;
	p->reset_dev = dev;
}

#define RESET_CONTROL_PORT 0xcf9

int vpci_attach(struct vpci *p, struct io_bus *pio, struct io_bus *mmio)
{
	int rc = io_register(pio, VPCI_CONFIG_ADDRESS, 4, "pci-address", vpci_read, vpci_write, p);

	p->mmio = mmio;
	return rc ? rc : io_register(pio, VPCI_CONFIG_DATA, 4, "pci-data", vpci_read, vpci_write, p);
}

void vpci_set_bar(struct vpci_func *f, unsigned n, uint32_t size, const char *name,
		  io_read_fn read, io_write_fn write, void *dev)
{
	uint32_t mask = ~(size - 1);   /* memory, 32-bit, not prefetchable: type bits 0 */

	f->bar[n] = (struct vpci_bar){ size, 0, name, read, write, dev };
	for (unsigned i = 0; i < 4; i++)
		f->wmask[PCI_BAR0 + 4 * n + i] = (uint8_t)(mask >> (8 * i));
}

int vpci_add(struct vpci *p, unsigned slot, struct vpci_func *f)
{
	if (slot == 0 || slot >= VPCI_SLOTS)
		return HV_EINVAL;
	if (p->slot[slot])
		return HV_EBUSY;
	p->slot[slot] = f;
	return 0;
}

/* The function the address register selects (bus 0, function 0 of a
 * slot), or NULL; the bridge is slot 0. */
static struct vpci_func *selected_func(struct vpci *p)
{
	unsigned devfn = ADDR_DEVFN(p->address);

	if (!(p->address & ADDR_ENABLE) || ADDR_BUS(p->address) || (devfn & 7) || !devfn)
		return NULL;
	return p->slot[devfn >> 3];
}

static uint8_t *selected(struct vpci *p)
{
	struct vpci_func *f = selected_func(p);

	if (f)
		return f->cfg;
	if (!(p->address & ADDR_ENABLE) || ADDR_BUS(p->address) || ADDR_DEVFN(p->address))
		return NULL;
	return p->bridge;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Each BAR where the guest put it, while memory decoding is on; one the
 * MMIO bus refuses (it overlaps a device, or wraps) stays unmapped, as a
 * conflicting BAR decodes nothing useful on a PC either. */
static void map_bars(struct vpci *p, struct vpci_func *f)
{
	bool on = f->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY;

	for (unsigned n = 0; n < VPCI_BARS; n++) {
		struct vpci_bar *b = &f->bar[n];
		uint32_t addr = get32(&f->cfg[PCI_BAR0 + 4 * n]) & ~(b->size - 1);

		if (!b->size || (on && addr && addr == b->mapped))
			continue;
		if (b->mapped)
			io_unregister(p->mmio, b->mapped, b->dev);
		b->mapped = 0;
		if (on && addr && p->mmio &&
		    !io_register(p->mmio, addr, b->size, b->name, b->read, b->write, b->dev))
			b->mapped = addr;
	}
}

int vpci_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	struct vpci *p = dev;
	unsigned off;
	uint8_t *cfg;

	if (port == RESET_CONTROL_PORT && size == 1 && p->reset_read)
		return p->reset_read(p->reset_dev, port, size, val);
	if (port < VPCI_CONFIG_DATA) {
		/* Only a dword access to 0xCF8 is the address register. */
		*val = (port == VPCI_CONFIG_ADDRESS && size == 4) ? p->address : ~0ULL;
		return 0;
	}
	cfg = selected(p);
	off = ADDR_REG(p->address) + (unsigned)(port - VPCI_CONFIG_DATA);
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)(cfg && off + i < 256 ? cfg[off + i] : 0xff) << (8 * i);
	return 0;
}

int vpci_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct vpci *p = dev;

	if (port == RESET_CONTROL_PORT && size == 1 && p->reset_write)
		return p->reset_write(p->reset_dev, port, size, val);
	if (port < VPCI_CONFIG_DATA) {
		if (port == VPCI_CONFIG_ADDRESS && size == 4)
			p->address = (uint32_t)val & 0x80fffffcu;
		return 0;
	}
	/* The bits a device lets the guest write (its wmask) change; the
	 * host bridge has none: writes are dropped, as for read-only
	 * registers on real hardware. */
	struct vpci_func *f = selected_func(p);
	unsigned off = ADDR_REG(p->address) + (unsigned)(port - VPCI_CONFIG_DATA);

	if (!f)
		return 0;
	for (unsigned i = 0; i < size && off + i < 256; i++) {
		uint8_t m = f->wmask[off + i];

		f->cfg[off + i] = (uint8_t)((f->cfg[off + i] & ~m) | ((uint8_t)(val >> (8 * i)) & m));
	}
	if ((off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) ||
	    (off + size > PCI_BAR0 && off < PCI_BAR0 + 4 * VPCI_BARS))
		map_bars(p, f);
	if (f->written)
		f->written(f, off, size);
	return 0;
}
