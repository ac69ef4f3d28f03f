/* Physical page-frame allocator.  Free memory is a sorted list of disjoint
 * page-aligned ranges, built from the Multiboot2 memory map; the image, the
 * Multiboot2 information and the modules are reserved before anything is
 * handed out.  It never touches the memory it manages, so it runs unchanged
 * in host unit tests. */
#ifndef HV_PMM_H
#define HV_PMM_H

#include <hv/types.h>

#define PMM_MAX_RANGES 4096   /* pages a balloon gives back may lie scattered */

struct pmm_range {
	paddr_t base;  /* inclusive, page aligned */
	paddr_t end;   /* exclusive, page aligned */
};

struct pmm {
	struct pmm_range free[PMM_MAX_RANGES]; /* sorted by base, never adjacent */
	size_t nfree;
	uint64_t free_pages;
};

void pmm_init(struct pmm *p);
/* Add usable RAM; the range is shrunk inward to page boundaries. */
int pmm_add(struct pmm *p, paddr_t base, uint64_t len);
/* Remove a range from the free memory (widened outward to pages). */
int pmm_reserve(struct pmm *p, paddr_t base, uint64_t len);
/* Allocate npages contiguous pages aligned to align bytes (a power of two,
 * at least PAGE_SIZE); lowest address first.  HV_ENOMEM when none fits. */
int pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align, paddr_t *out);
/* Take the npages pages at base (page aligned) if all of them are free:
 * 0, or HV_EBUSY (some are not: nothing changes), HV_ENOMEM (no table
 * room to split a range). */
int pmm_claim(struct pmm *p, paddr_t base, uint64_t npages);
/* Return pages; HV_EINVAL if any of them is already free. */
int pmm_free(struct pmm *p, paddr_t base, uint64_t npages);
uint64_t pmm_free_pages(const struct pmm *p);

#endif
