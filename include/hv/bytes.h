/* Little-endian loads and stores, byte by byte: the formats the
 * hypervisor reads from guests and firmware (ELF, Multiboot 1 and 2, the
 * Linux boot protocol, ACPI tables) fix little-endian byte order, and
 * their fields need not be aligned (a corrupt length can put the next
 * field anywhere), so no pointer cast will do. */
#ifndef HV_BYTES_H
#define HV_BYTES_H

#include <hv/types.h>

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static inline uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

#endif
