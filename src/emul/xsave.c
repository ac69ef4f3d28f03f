/* XSAVE area sizes (SDM Vol. 1 13.4.3 standard format, 13.4.4 compacted
 * format). */
#include <hv/xsave.h>

#define ALIGN64(x) (((x) + 63u) & ~63u)

uint32_t xsave_standard_size(uint64_t mask, xsave_component_fn get, void *ctx)
{
	uint32_t end = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE;

	for (unsigned i = 2; i < XSAVE_COMPONENTS; i++) {
		struct xsave_component c;

		if (!(mask & BIT(i)))
			continue;
		get(ctx, i, &c);
		if (c.offset + c.size > end)
			end = c.offset + c.size;
	}
	return end;
}

/* Components follow the header in index order, each at the next 64-byte
 * boundary if its sub-leaf asks for it, with no gaps otherwise. */
uint32_t xsave_compacted_size(uint64_t mask, xsave_component_fn get, void *ctx)
{
	uint32_t end = XSAVE_LEGACY_SIZE + XSAVE_HEADER_SIZE;

	for (unsigned i = 2; i < XSAVE_COMPONENTS; i++) {
		struct xsave_component c;

		if (!(mask & BIT(i)))
			continue;
		get(ctx, i, &c);
		if (c.align64)
			end = ALIGN64(end);
		end += c.size;
	}
	return end;
}
