/* Builds the page-frame allocator from the Multiboot2 memory map and keeps
 * out of it everything that is already in use: the first MiB (BIOS data,
 * real-mode IVT, future AP start-up code), the hypervisor image, the
 * Multiboot2 information and the modules (guest images). */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/pmm.h>
#include <hv/string.h>

extern char __image_start[], __image_end[];

static struct pmm pmm;

#define LOW_MEMORY_END 0x100000ULL

static int reserve(paddr_t base, uint64_t len, const char *what)
{
	int rc = pmm_reserve(&pmm, base, len);

	if (rc)
		pr_err("memory: cannot reserve %s [0x%lx-0x%lx): %s", what, base, base + len,
		       hv_strerror(rc));
	return rc;
}

static int add_available(const struct boot_info *bi)
{
	for (size_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		uint64_t end = e->base + e->len;
		int rc;

		if (e->type != MMAP_AVAILABLE || e->base >= HV_MAPPED_LIMIT)
			continue;
		if (end > HV_MAPPED_LIMIT)
			end = HV_MAPPED_LIMIT;
		rc = pmm_add(&pmm, e->base, end - e->base);
		if (rc)
			return rc;
	}
	return 0;
}

int memory_init(const struct boot_info *bi)
{
	paddr_t img = virt_to_phys(__image_start);
	int rc;

	pmm_init(&pmm);
	rc = add_available(bi);
	if (rc) {
		pr_err("memory: too many memory-map ranges: %s", hv_strerror(rc));
		return rc;
	}
	/* Reserved ranges that the map also calls available would otherwise
	 * be handed out; the map's own non-available entries are never added. */
	rc = reserve(0, LOW_MEMORY_END, "low memory");
	rc = rc ? rc : reserve(img, (paddr_t)(uintptr_t)__image_end - img, "hypervisor image");
	rc = rc ? rc : reserve(bi->mbi_phys, bi->mbi_size, "Multiboot2 information");
	for (size_t i = 0; !rc && i < bi->module_count; i++)
		rc = reserve(bi->modules[i].start, bi->modules[i].end - bi->modules[i].start, "module");
	if (rc)
		return rc;
	if (pmm_free_pages(&pmm) == 0) {
		pr_err("memory: no usable RAM below 4 GiB after reservations");
		return HV_ENOMEM;
	}
	return 0;
}

int page_alloc(uint64_t npages, uint64_t align, paddr_t *out)
{
	int rc = pmm_alloc(&pmm, npages, align, out);

	if (rc)
		return rc;
	memset(phys_to_virt(*out), 0, npages * PAGE_SIZE);
	return 0;
}

int page_free(paddr_t base, uint64_t npages) { return pmm_free(&pmm, base, npages); }

uint64_t memory_free_pages(void) { return pmm_free_pages(&pmm); }
