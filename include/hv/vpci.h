/* PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2): a
 * host bridge at 00:00.0 and the devices added to bus 0 (vpci_add), each
 * one function with a configuration space of 256 bytes.  Every other
 * function reads as absent (all ones), which is how an OS learns where
 * the bus is empty.  A device's memory BARs (32-bit, sized by the bits the
 * guest cannot set, PCI 3.0 6.2.5.1) are mapped on the VM's MMIO bus
 * where the guest puts them, while its command register enables memory
 * decoding. */
#ifndef HV_VPCI_H
#define HV_VPCI_H

#include <hv/io.h>

#define VPCI_CONFIG_ADDRESS 0xcf8
#define VPCI_CONFIG_DATA    0xcfc
#define VPCI_SLOTS 32
#define VPCI_BARS  6

/* Configuration-space registers (PCI 3.0 6.1). */
#define PCI_VENDOR_ID      0x00
#define PCI_DEVICE_ID      0x02
#define PCI_COMMAND        0x04
#define PCI_STATUS         0x06
#define PCI_REVISION       0x08
#define PCI_CLASS          0x09    /* programming interface, subclass, class */
#define PCI_HEADER_TYPE    0x0e
#define PCI_BAR0           0x10
#define PCI_SUBSYS_VENDOR  0x2c
#define PCI_SUBSYS_ID      0x2e
#define PCI_CAP_PTR        0x34
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d
#define PCI_COMMAND_MEMORY BIT(1)
#define PCI_COMMAND_MASTER BIT(2)
#define PCI_COMMAND_INTX_DISABLE BIT(10)
#define PCI_STATUS_CAP_LIST BIT(4)

struct vpci_bar {
	uint32_t size;             /* 0: no BAR; else a power of 2, 16 or more */
	uint32_t mapped;           /* the address it is mapped at, 0: not mapped */
	const char *name;
	io_read_fn read;           /* called with the guest-physical address (the BAR's
				    * base is mapped) */
	io_write_fn write;
	void *dev;
};

/* A device on the bus.  Its model fills cfg (identity, capabilities) and
 * wmask (the bits the guest may write) before vpci_add, and is told of
 * every write after it has landed in cfg. */
struct vpci_func {
	uint8_t cfg[256];
	uint8_t wmask[256];
	struct vpci_bar bar[VPCI_BARS];
	void (*written)(struct vpci_func *f, unsigned off, unsigned size);
};

struct vpci {
	uint32_t address;          /* the last value written to 0xCF8 */
	uint8_t bridge[256];       /* the host bridge's configuration space */
	struct vpci_func *slot[VPCI_SLOTS];   /* bus 0's devices (slot 0: the bridge) */
	struct io_bus *mmio;       /* where BARs are mapped */
	/* Byte accesses to 0xCF9 are the chipset's reset control register,
	 * which shares the address register's ports: handed on to this. */
	io_write_fn reset_write;
	io_read_fn reset_read;
	void *reset_dev;
};

void vpci_init(struct vpci *p);
void vpci_set_reset_control(struct vpci *p, io_read_fn read, io_write_fn write, void *dev);
int vpci_attach(struct vpci *p, struct io_bus *pio, struct io_bus *mmio);
/* Set BAR n of a device being built: wmask follows (the BAR's address
 * bits above its size). */
void vpci_set_bar(struct vpci_func *f, unsigned n, uint32_t size, const char *name,
		  io_read_fn read, io_write_fn write, void *dev);
/* Put f in slot (1..VPCI_SLOTS-1): 0, HV_EBUSY (taken) or HV_EINVAL. */
int vpci_add(struct vpci *p, unsigned slot, struct vpci_func *f);
int vpci_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vpci_write(void *dev, uint64_t port, unsigned size, uint64_t val);

#endif
