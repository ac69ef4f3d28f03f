/* The one registration interface for emulated devices: a bus of address
 * ranges, each with read and write callbacks.  A VM has two buses, port
 * I/O and MMIO; the exit handlers look an access up here and never know
 * about particular devices. */
#ifndef HV_IO_H
#define HV_IO_H

#include <hv/types.h>

#define IO_MAX_HANDLERS 32

typedef int (*io_read_fn)(void *dev, uint64_t addr, unsigned size, uint64_t *val);
typedef int (*io_write_fn)(void *dev, uint64_t addr, unsigned size, uint64_t val);

struct io_handler {
	uint64_t base, len;
	const char *name;
	io_read_fn read;     /* NULL: reads return all ones */
	io_write_fn write;   /* NULL: writes are ignored */
	void *dev;
};

struct io_bus {
	struct io_handler h[IO_MAX_HANDLERS];
	size_t count;
};

void io_bus_init(struct io_bus *bus);
/* HV_EBUSY if the range overlaps a registered one, HV_ENOMEM if full. */
int io_register(struct io_bus *bus, uint64_t base, uint64_t len, const char *name,
		io_read_fn read, io_write_fn write, void *dev);
/* Remove the handler registered at base for dev: HV_ENOENT if none (a
 * device whose range the guest moves: a PCI BAR). */
int io_unregister(struct io_bus *bus, uint64_t base, void *dev);
/* The handler owning [addr, addr + size), or NULL. */
const struct io_handler *io_find(const struct io_bus *bus, uint64_t addr, unsigned size);
/* HV_ENOENT when no device owns the access. */
int io_read(const struct io_bus *bus, uint64_t addr, unsigned size, uint64_t *val);
int io_write(const struct io_bus *bus, uint64_t addr, unsigned size, uint64_t val);

/* Devices of the PC's 8-bit bus (PIC, PIT, RTC, UART) see a wider port
 * access as consecutive byte accesses, the lowest port first; their
 * io_read_fn and io_write_fn hand the access to these with the device's
 * function for one port. */
typedef uint8_t (*io_byte_read_fn)(void *dev, uint16_t port);
typedef void (*io_byte_write_fn)(void *dev, uint16_t port, uint8_t val);
void io_split_read(void *dev, uint64_t port, unsigned size, uint64_t *val, io_byte_read_fn read);
void io_split_write(void *dev, uint64_t port, unsigned size, uint64_t val, io_byte_write_fn write);

#endif
