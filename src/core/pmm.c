/* Physical page-frame allocator: a sorted table of disjoint, non-adjacent
 * free ranges [base, end).  Keeping ranges rather than a bitmap makes the
 * allocator independent of how much RAM there is, needs no memory of its
 * own before it works, and lets it run unchanged in host unit tests. */
#include <hv/pmm.h>
#include <hv/errno.h>
#include <hv/string.h>

/* Highest page-aligned address: an exclusive end cannot go past it. */
#define PMM_TOP ALIGN_DOWN(UINT64_MAX, PAGE_SIZE)

static uint64_t range_pages(paddr_t base, paddr_t end)
{
	return (end - base) >> PAGE_SHIFT;
}

/* base + len, saturated at UINT64_MAX instead of wrapping. */
static uint64_t end_of(paddr_t base, uint64_t len)
{
	return len > UINT64_MAX - base ? UINT64_MAX : base + len;
}

static void remove_ranges(struct pmm *p, size_t i, size_t count)
{
	memmove(&p->free[i], &p->free[i + count],
		(p->nfree - i - count) * sizeof(p->free[0]));
	p->nfree -= count;
}

/* Open a hole at index i; the caller has checked there is room. */
static void insert_range(struct pmm *p, size_t i, paddr_t base, paddr_t end)
{
	memmove(&p->free[i + 1], &p->free[i], (p->nfree - i) * sizeof(p->free[0]));
	p->free[i].base = base;
	p->free[i].end = end;
	p->nfree++;
}

/* Make [base, end) free, merging with every range it overlaps or touches,
 * so the table stays sorted, disjoint and non-adjacent. */
static int insert_merge(struct pmm *p, paddr_t base, paddr_t end)
{
	size_t i = 0, j;

	while (i < p->nfree && p->free[i].end < base)
		i++;
	for (j = i; j < p->nfree && p->free[j].base <= end; j++) {
		base = MIN(base, p->free[j].base);
		end = MAX(end, p->free[j].end);
	}
	if (j == i) {
		if (p->nfree == PMM_MAX_RANGES)
			return HV_ENOMEM;
		insert_range(p, i, base, end);
		p->free_pages += range_pages(base, end);
		return HV_OK;
	}
	/* Ranges i..j-1 collapse into one at i. */
	for (size_t k = i; k < j; k++)
		p->free_pages -= range_pages(p->free[k].base, p->free[k].end);
	p->free[i].base = base;
	p->free[i].end = end;
	p->free_pages += range_pages(base, end);
	remove_ranges(p, i + 1, j - i - 1);
	return HV_OK;
}

/* Take [base, end), which lies within range i, out of the free table.
 * Only a hole strictly inside the range needs a new slot. */
static int carve(struct pmm *p, size_t i, paddr_t base, paddr_t end)
{
	struct pmm_range *r = &p->free[i];

	if (base > r->base && end < r->end) {
		if (p->nfree == PMM_MAX_RANGES)
			return HV_ENOMEM;
		insert_range(p, i + 1, end, r->end);
		r->end = base;
	} else if (base > r->base) {
		r->end = base;
	} else if (end < r->end) {
		r->base = end;
	} else {
		remove_ranges(p, i, 1);
	}
	p->free_pages -= range_pages(base, end);
	return HV_OK;
}

int pmm_claim(struct pmm *p, paddr_t base, uint64_t npages)
{
	paddr_t end = base + npages * PAGE_SIZE;

	if (!npages || (base & (PAGE_SIZE - 1)) || end < base)
		return HV_EINVAL;
	for (size_t i = 0; i < p->nfree; i++)
		if (p->free[i].base <= base && end <= p->free[i].end)
			return carve(p, i, base, end);
	return HV_EBUSY;
}

void pmm_init(struct pmm *p)
{
	memset(p, 0, sizeof(*p));
}

int pmm_add(struct pmm *p, paddr_t base, uint64_t len)
{
	/* Shrink inward: a partial page at either edge is not usable. */
	if (base > PMM_TOP)
		return HV_OK;
	paddr_t b = ALIGN_UP(base, PAGE_SIZE);
	paddr_t e = ALIGN_DOWN(end_of(base, len), PAGE_SIZE);
	if (b >= e)
		return HV_OK;
	return insert_merge(p, b, e);
}

int pmm_reserve(struct pmm *p, paddr_t base, uint64_t len)
{
	if (len == 0)
		return HV_OK;
	/* Widen outward: any page the range touches is taken. */
	paddr_t b = ALIGN_DOWN(base, PAGE_SIZE);
	uint64_t last = end_of(base, len);
	paddr_t e = last > PMM_TOP ? PMM_TOP : ALIGN_UP(last, PAGE_SIZE);

	/* Backwards, so removing or splitting entry i leaves the entries
	 * still to visit (below i) where they were.  A split happens only
	 * when [b, e) lies strictly inside one range, so an HV_ENOMEM
	 * leaves the table untouched. */
	for (size_t i = p->nfree; i-- > 0;) {
		struct pmm_range r = p->free[i];
		if (r.end <= b)
			break;
		if (r.base >= e)
			continue;
		int rc = carve(p, i, MAX(r.base, b), MIN(r.end, e));
		if (rc)
			return rc;
	}
	return HV_OK;
}

static bool valid_align(uint64_t align)
{
	return align >= PAGE_SIZE && (align & (align - 1)) == 0;
}

int pmm_alloc(struct pmm *p, uint64_t npages, uint64_t align, paddr_t *out)
{
	if (npages == 0 || !valid_align(align) || !out)
		return HV_EINVAL;
	if (npages > (UINT64_MAX >> PAGE_SHIFT))
		return HV_ENOMEM;
	uint64_t size = npages << PAGE_SHIFT;

	/* First fit from the lowest address: low memory is no more precious
	 * to us than high, and the result is predictable in tests. */
	for (size_t i = 0; i < p->nfree; i++) {
		struct pmm_range r = p->free[i];
		if (r.base > UINT64_MAX - (align - 1))
			break;
		paddr_t a = ALIGN_UP(r.base, align);
		if (a >= r.end || r.end - a < size)
			continue;
		/* Fails only if a split finds the table full: try further up. */
		if (carve(p, i, a, a + size) == HV_OK) {
			*out = a;
			return HV_OK;
		}
	}
	return HV_ENOMEM;
}

int pmm_free(struct pmm *p, paddr_t base, uint64_t npages)
{
	if (npages == 0 || base % PAGE_SIZE || npages > (PMM_TOP - base) >> PAGE_SHIFT)
		return HV_EINVAL;
	paddr_t end = base + (npages << PAGE_SHIFT);

	/* Any overlap with free memory means a double free (or a bogus
	 * address): refuse rather than corrupt the accounting. */
	for (size_t i = 0; i < p->nfree && p->free[i].base < end; i++)
		if (p->free[i].end > base)
			return HV_EINVAL;
	return insert_merge(p, base, end);
}

uint64_t pmm_free_pages(const struct pmm *p)
{
	return p->free_pages;
}
