/* A VM's disk: a raw image (a boot module, never written) with the VM's
 * own writes over it, kept in hypervisor RAM for the VM's lifetime
 * (copy on write, a 4 KiB page for each block the VM wrote, taken when
 * first written).  Two VMs given the same image each see their own
 * writes only; a VM made again (reset) sees the image as it was booted.
 * Portable: the pages come from callbacks, so the host's unit tests run
 * it over malloc. */
#ifndef HV_DISK_H
#define HV_DISK_H

#include <hv/types.h>

#define DISK_BLOCK 4096u

/* Zeroed, contiguous pages, or NULL; and their return. */
struct disk_mem {
	void *(*alloc)(void *ctx, uint64_t pages);
	void (*free)(void *ctx, void *p, uint64_t pages);
	void *ctx;
};

struct disk {
	const uint8_t *image;
	uint64_t size;             /* bytes: the image's */
	bool read_only;
	uint8_t **overlay;         /* a pointer a block: the VM's copy, or NULL */
	uint64_t blocks;           /* entries of overlay */
	uint64_t written;          /* blocks that have a copy */
	struct disk_mem mem;
};

/* 0, or HV_ENOMEM (the overlay's table: 8 bytes a block of the image;
 * none for a read-only disk). */
int disk_init(struct disk *d, const void *image, uint64_t size, bool read_only,
	      const struct disk_mem *mem);
/* Every page given back. */
void disk_fini(struct disk *d);
/* [off, off + len) inside the image: 0, or HV_ERANGE; writes HV_EINVAL on a
 * read-only disk, HV_ENOMEM when no page is left for a new copy (what
 * came before it is written). */
int disk_read(const struct disk *d, uint64_t off, void *buf, size_t len);
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);

#endif
