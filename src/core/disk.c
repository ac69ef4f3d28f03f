/* A VM's disk, copy on write over its image (include/hv/disk.h). */
#include <hv/disk.h>
#include <hv/errno.h>
#include <hv/string.h>

static uint64_t table_pages(uint64_t blocks)
{
	return (blocks * sizeof(uint8_t *) + DISK_BLOCK - 1) / DISK_BLOCK;
}

int disk_init(struct disk *d, const void *image, uint64_t size, bool read_only,
	      const struct disk_mem *mem)
{
	memset(d, 0, sizeof(*d));
	d->image = image;
	d->size = size;
	d->read_only = read_only;
	d->mem = *mem;
	d->blocks = (size + DISK_BLOCK - 1) / DISK_BLOCK;
	if (read_only || !d->blocks)
		return 0;
	d->overlay = mem->alloc(mem->ctx, table_pages(d->blocks));
	return d->overlay ? 0 : HV_ENOMEM;
}

void disk_fini(struct disk *d)
{
	if (!d->overlay)
		return;
	for (uint64_t b = 0; b < d->blocks; b++)
		if (d->overlay[b])
			d->mem.free(d->mem.ctx, d->overlay[b], 1);
	d->mem.free(d->mem.ctx, d->overlay, table_pages(d->blocks));
	d->overlay = NULL;
	d->written = 0;
}

static bool in_image(const struct disk *d, uint64_t off, size_t len)
{
	return off <= d->size && len <= d->size - off;
}

/* Block b's bytes as the VM sees them (the image's last block may be
 * short: its copy is a whole page, of which only the image's part is
 * ever read). */
static const uint8_t *block(const struct disk *d, uint64_t b)
{
	if (d->overlay && d->overlay[b])
		return d->overlay[b];
	return d->image + b * DISK_BLOCK;
}

int disk_read(const struct disk *d, uint64_t off, void *buf, size_t len)
{
	uint8_t *out = buf;

	if (!in_image(d, off, len))
		return HV_ERANGE;
	while (len) {
		uint64_t b = off / DISK_BLOCK, in = off % DISK_BLOCK;
		size_t n = DISK_BLOCK - in < len ? DISK_BLOCK - in : len;

		memcpy(out, block(d, b) + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Block b's copy, made from the image on its first write. */
static uint8_t *copy_of(struct disk *d, uint64_t b)
{
	uint64_t start = b * DISK_BLOCK;
	uint64_t n = d->size - start < DISK_BLOCK ? d->size - start : DISK_BLOCK;
	uint8_t *p;

	if (d->overlay[b])
		return d->overlay[b];
	p = d->mem.alloc(d->mem.ctx, 1);
	if (!p)
		return NULL;
	memcpy(p, d->image + start, n);
	d->overlay[b] = p;
	d->written++;
	return p;
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	const uint8_t *in = buf;

	if (!in_image(d, off, len))
		return HV_ERANGE;
	if (d->read_only)
		return HV_EINVAL;
	while (len) {
		uint64_t b = off / DISK_BLOCK, at = off % DISK_BLOCK;
		size_t n = DISK_BLOCK - at < len ? DISK_BLOCK - at : len;
		uint8_t *p = copy_of(d, b);

		if (!p)
			return HV_ENOMEM;
		memcpy(p + at, in, n);
		in += n;
		off += n;
		len -= n;
	}
	return 0;
}
