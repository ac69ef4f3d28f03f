/* PCI configuration mechanism #1 and a host bridge.  The bridge identifies
 * as Intel's 440FX (8086:1237), which every OS knows needs no driver. */
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

int vpci_attach(struct vpci *p, struct io_bus *pio)
{
	int rc = io_register(pio, VPCI_CONFIG_ADDRESS, 4, "pci-address", vpci_read, vpci_write, p);

	return rc ? rc : io_register(pio, VPCI_CONFIG_DATA, 4, "pci-data", vpci_read, vpci_write, p);
}

/* The configuration space the address register selects, or NULL. */
static uint8_t *selected(struct vpci *p)
{
	if (!(p->address & ADDR_ENABLE) || ADDR_BUS(p->address) || ADDR_DEVFN(p->address))
		return NULL;
	return p->bridge;
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
	/* The host bridge has nothing a guest may change: writes are dropped,
	 * as for read-only registers on real hardware. */
	return 0;
}
