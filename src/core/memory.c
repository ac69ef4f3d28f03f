/* Builds the page-frame allocator from the Multiboot2 memory map and keeps
 * out of it everything that is already in use: the first MiB (BIOS data,
 * real-mode IVT, future AP start-up code), the hypervisor image, the
 * Multiboot2 information and the modules (guest images). */
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/pmm.h>
#include <hv/spinlock.h>
#include <hv/string.h>

extern char __image_start[], __image_end[];

/* One allocator for every CPU, behind one lock. */
static struct pmm pmm;
static struct spinlock pmm_lock;
static paddr_t startup_page;

#define STARTUP_PAGE_MIN 0x1000ULL     /* above the real-mode IVT and BIOS data */
#define STARTUP_PAGE_END 0x9f000ULL    /* below the EBDA */

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

static bool overlaps(paddr_t a, uint64_t alen, paddr_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A page of low memory that the map calls available and that holds
 * nothing the loader gave us, for the application processors' start-up
 * code: a start-up IPI can only start a CPU below 1 MiB (SDM Vol. 3A
 * 9.4.4.1, 11.6.1: the vector is the page number). */
static paddr_t find_startup_page(const struct boot_info *bi)
{
	for (size_t i = 0; i < bi->mmap_count; i++) {
		const struct boot_mmap_entry *e = &bi->mmap[i];
		paddr_t p = ALIGN_UP(MAX(e->base, STARTUP_PAGE_MIN), PAGE_SIZE);

		if (e->type != MMAP_AVAILABLE)
			continue;
		for (; p + PAGE_SIZE <= MIN(e->base + e->len, STARTUP_PAGE_END); p += PAGE_SIZE) {
			bool used = overlaps(p, PAGE_SIZE, bi->mbi_phys, bi->mbi_size);

			for (size_t m = 0; !used && m < bi->module_count; m++)
				used = overlaps(p, PAGE_SIZE, bi->modules[m].start,
						bi->modules[m].end - bi->modules[m].start);
			if (!used)
				return p;
		}
	}
	return 0;
}

paddr_t memory_startup_page(void) { return startup_page; }

int memory_init(const struct boot_info *bi)
{
	paddr_t img = virt_to_phys(__image_start);
	int rc;

	pmm_init(&pmm);
	startup_page = find_startup_page(bi);
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
	int rc;

	spin_lock(&pmm_lock);
	rc = pmm_alloc(&pmm, npages, align, out);
	spin_unlock(&pmm_lock);
	if (rc)
		return rc;
	memset(phys_to_virt(*out), 0, npages * PAGE_SIZE);
	return 0;
}

int page_claim(paddr_t base, uint64_t npages)
{
	int rc;

	spin_lock(&pmm_lock);
	rc = pmm_claim(&pmm, base, npages);
	spin_unlock(&pmm_lock);
	if (!rc)
		memset(phys_to_virt(base), 0, npages * PAGE_SIZE);
	return rc;
}

int page_free(paddr_t base, uint64_t npages)
{
	int rc;

	spin_lock(&pmm_lock);
	rc = pmm_free(&pmm, base, npages);
	spin_unlock(&pmm_lock);
	return rc;
}

uint64_t memory_free_pages(void)
{
	uint64_t n;

	spin_lock(&pmm_lock);
	n = pmm_free_pages(&pmm);
	spin_unlock(&pmm_lock);
	return n;
}
