/* A VM's RAM as the hypervisor sees it: one block of host memory mapped at
 * guest-physical 0, except for the 4 KiB pages a balloon changed, which
 * map lists (when not NULL, an entry a page): GMEM_RAM, the block's own
 * page; GMEM_ABSENT, given up (unmapped from the guest, its host page
 * back in the free memory); else the host page number of the fresh page
 * the guest got back in its place.  Every access the hypervisor makes to
 * guest RAM at run time (device models, the instruction emulator,
 * the gdb stub) goes through here, so that a page given up is never
 * touched and a page given back is found where it now is. */
#ifndef HV_GMEM_H
#define HV_GMEM_H

#include <hv/types.h>

#define GMEM_PAGE_SHIFT 12
#define GMEM_PAGE       (1ULL << GMEM_PAGE_SHIFT)
#define GMEM_RAM        0ULL
#define GMEM_ABSENT     1ULL

struct gmem {
	uint8_t *base;
	uint64_t size;
	const uint64_t *map;       /* NULL: no page changed */
};

/* Where [gpa, gpa + len) is in host memory when it is all RAM and
 * contiguous there (a page given back elsewhere is contiguous with
 * nothing); else NULL. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);
/* The longest host-contiguous run of RAM from gpa, up to max bytes: its
 * host address, its length in *n; NULL (and 0) when gpa is not RAM. */
void *gmem_run(const struct gmem *m, uint64_t gpa, uint64_t max, size_t *n);
/* Whether every byte of [gpa, gpa + len) is RAM (contiguous or not). */
bool gmem_is_ram(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Whether every byte of [gpa, gpa + len) is RAM (contiguous or not). */
bool gmem_is_ram(const struct gmem *m, uint64_t gpa, uint64_t len);
/* Copies: 0, or HV_ERANGE (some byte is not RAM: nothing copied). */
int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len);

#endif
