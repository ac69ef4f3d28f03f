/* A VM's pages given to the hypervisor and taken back (include/hv/balloon.h). */
#include <hv/arch.h>
#include <hv/balloon.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/vm.h>

static uint64_t ram_pages(const struct vm *vm) { return vm->ram_size / PAGE_SIZE; }

static uint64_t map_pages(const struct vm *vm)
{
	return (ram_pages(vm) * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE;
}

static uint64_t *map_of(const struct vm *vm) { return (uint64_t *)(uintptr_t)vm->mem.map; }

int balloon_prepare(struct vm *vm)
{
	paddr_t pa;
	int rc = page_alloc(map_pages(vm), PAGE_SIZE, &pa);   /* zeroed: GMEM_RAM */

	if (rc)
		return rc;
	vm->mem.map = phys_to_virt(pa);
	vm->balloon_pages = 0;
	return 0;
}

/* Where page pfn of the VM's RAM is on the host now. */
static paddr_t host_page(const struct vm *vm, uint64_t pfn)
{
	uint64_t e = map_of(vm)[pfn];

	return e == GMEM_RAM ? vm->ram_hpa + pfn * PAGE_SIZE : (paddr_t)(e << GMEM_PAGE_SHIFT);
}

int balloon_give(struct vm *vm, uint64_t pfn)
{
	uint64_t *map = map_of(vm);
	paddr_t hpa;
	int rc;

	if (!map || pfn >= ram_pages(vm))
		return HV_ERANGE;
	if (map[pfn] == GMEM_ABSENT)
		return HV_EBUSY;
	hpa = host_page(vm, pfn);
	rc = arch_vm_unmap_page(vm, pfn * PAGE_SIZE);
	if (rc)
		return rc;
	map[pfn] = GMEM_ABSENT;
	vm->balloon_pages++;
	/* The guest cannot reach it now: it goes back to the free memory.
	 * Should the allocator's range table be full (PMM_MAX_RANGES), the
	 * page is lost to both until the machine restarts. */
	if (page_free(hpa, 1))
		pr_warn("vm %u (%s): balloon: a page the guest gave could not be freed (the "
			"allocator's table is full): lost until the machine restarts", vm->id,
			vm->name);
	return 0;
}

int balloon_take(struct vm *vm, uint64_t pfn)
{
	uint64_t *map = map_of(vm);
	paddr_t hpa = vm->ram_hpa + pfn * PAGE_SIZE;
	uint64_t entry = GMEM_RAM;
	int rc;

	if (!map || pfn >= ram_pages(vm))
		return HV_ERANGE;
	if (map[pfn] != GMEM_ABSENT)
		return HV_EBUSY;
	if (page_claim(hpa, 1)) {
		rc = page_alloc(1, PAGE_SIZE, &hpa);
		if (rc)
			return rc;
		entry = hpa >> GMEM_PAGE_SHIFT;
	}
	rc = arch_vm_map_page(vm, pfn * PAGE_SIZE, hpa);
	if (rc) {
		page_free(hpa, 1);
		return rc;
	}
	map[pfn] = entry;
	vm->balloon_pages--;
	return 0;
}

void balloon_release(struct vm *vm)
{
	uint64_t *map = map_of(vm), run = 0;

	if (!map)
		return;
	/* Runs of the block's own pages, freed together; a page given back
	 * elsewhere on its own; the block's page of either is not the VM's. */
	for (uint64_t pfn = 0; pfn <= ram_pages(vm); pfn++) {
		bool own = pfn < ram_pages(vm) && map[pfn] == GMEM_RAM;

		if (own) {
			run++;
			continue;
		}
		if (run)
			page_free(vm->ram_hpa + (pfn - run) * PAGE_SIZE, run);
		run = 0;
		if (pfn < ram_pages(vm) && map[pfn] != GMEM_ABSENT)
			page_free(map[pfn] << GMEM_PAGE_SHIFT, 1);
	}
	page_free(virt_to_phys(map), map_pages(vm));
	vm->mem.map = NULL;
}

uint64_t balloon_given(const struct vm *vm) { return vm->balloon_pages; }
