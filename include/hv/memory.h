/* The hypervisor's physical memory: one page-frame allocator over the RAM
 * the Multiboot2 memory map reports, identity-mapped so that a physical
 * address is also a pointer. */
#ifndef HV_MEMORY_H
#define HV_MEMORY_H

#include <hv/bootinfo.h>
#include <hv/types.h>

/* The boot page tables map the first 4 GiB; RAM above is not used yet. */
#define HV_MAPPED_LIMIT (4ULL << 30)

int memory_init(const struct boot_info *bi);
/* Allocate npages zeroed pages aligned to align bytes. */
int page_alloc(uint64_t npages, uint64_t align, paddr_t *out);
int page_free(paddr_t base, uint64_t npages);
/* The pages at base, zeroed, if they are all free (pmm_claim). */
int page_claim(paddr_t base, uint64_t npages);
uint64_t memory_free_pages(void);
/* A free page below 1 MiB (never allocated: the first MiB is kept out of
 * the allocator), for the CPUs' start-up code; 0 when there is none. */
paddr_t memory_startup_page(void);

static inline void *phys_to_virt(paddr_t pa) { return (void *)(uintptr_t)pa; }
static inline paddr_t virt_to_phys(const void *va) { return (paddr_t)(uintptr_t)va; }

#endif
