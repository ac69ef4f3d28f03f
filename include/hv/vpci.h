/* PCI configuration mechanism #1 (PCI Local Bus spec 3.0, 3.2.2.3.2) with
 * one device: a host bridge at 00:00.0.  Every other function reads as
 * absent (all ones), which is how an OS learns the bus is empty. */
#ifndef HV_VPCI_H
#define HV_VPCI_H

#include <hv/io.h>

#define VPCI_CONFIG_ADDRESS 0xcf8
#define VPCI_CONFIG_DATA    0xcfc

struct vpci {
	uint32_t address;          /* the last value written to 0xCF8 */
	uint8_t bridge[256];       /* the host bridge's configuration space */
	/* Byte accesses to 0xCF9 are the chipset's reset control register,
	 * which shares the address register's ports: handed on to this. */
	io_write_fn reset_write;
	io_read_fn reset_read;
	void *reset_dev;
};

void vpci_init(struct vpci *p);
void vpci_set_reset_control(struct vpci *p, io_read_fn read, io_write_fn write, void *dev);
int vpci_attach(struct vpci *p, struct io_bus *pio);
int vpci_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vpci_write(void *dev, uint64_t port, unsigned size, uint64_t val);

#endif
