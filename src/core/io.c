/* Device registry: a small array per bus, searched linearly (a VM has a
 * dozen devices at most; a sorted table would buy nothing here). */
#include <hv/errno.h>
#include <hv/io.h>

void io_bus_init(struct io_bus *bus) { bus->count = 0; }

static bool overlaps(const struct io_handler *h, uint64_t base, uint64_t len)
{
	return base < h->base + h->len && h->base < base + len;
}

int io_register(struct io_bus *bus, uint64_t base, uint64_t len, const char *name,
		io_read_fn read, io_write_fn write, void *dev)
{
	if (len == 0 || base + len < base)
		return HV_EINVAL;
	for (size_t i = 0; i < bus->count; i++)
		if (overlaps(&bus->h[i], base, len))
			return HV_EBUSY;
	if (bus->count == IO_MAX_HANDLERS)
		return HV_ENOMEM;
	bus->h[bus->count++] = (struct io_handler){ base, len, name, read, write, dev };
	return 0;
}

int io_unregister(struct io_bus *bus, uint64_t base, void *dev)
{
	for (size_t i = 0; i < bus->count; i++) {
		if (bus->h[i].base != base || bus->h[i].dev != dev)
			continue;
		bus->h[i] = bus->h[--bus->count];
		return 0;
	}
	return HV_ENOENT;
}

const struct io_handler *io_find(const struct io_bus *bus, uint64_t addr, unsigned size)
{
	for (size_t i = 0; i < bus->count; i++) {
		const struct io_handler *h = &bus->h[i];

		if (addr >= h->base && addr + size <= h->base + h->len)
			return h;
	}
	return NULL;
}

int io_read(const struct io_bus *bus, uint64_t addr, unsigned size, uint64_t *val)
{
	const struct io_handler *h = io_find(bus, addr, size);

	if (!h)
		return HV_ENOENT;
	if (!h->read) {
		*val = ~0ULL;
		return 0;
	}
	return h->read(h->dev, addr, size, val);
}

int io_write(const struct io_bus *bus, uint64_t addr, unsigned size, uint64_t val)
{
	const struct io_handler *h = io_find(bus, addr, size);

	if (!h)
		return HV_ENOENT;
	return h->write ? h->write(h->dev, addr, size, val) : 0;
}

/* Byte-wide accesses, nearly all of them, skip the loop: a UART byte is
 * the commonest port exit a guest makes. */
void io_split_read(void *dev, uint64_t port, unsigned size, uint64_t *val, io_byte_read_fn read)
{
	if (size == 1) {
		*val = read(dev, (uint16_t)port);
		return;
	}
	*val = 0;
	for (unsigned i = 0; i < size; i++)
		*val |= (uint64_t)read(dev, (uint16_t)(port + i)) << (8 * i);
}

void io_split_write(void *dev, uint64_t port, unsigned size, uint64_t val, io_byte_write_fn write)
{
	if (size == 1) {
		write(dev, (uint16_t)port, (uint8_t)val);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		write(dev, (uint16_t)(port + i), (uint8_t)(val >> (8 * i)));
}
