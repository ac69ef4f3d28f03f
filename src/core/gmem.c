/* A VM's RAM as the hypervisor sees it (include/hv/gmem.h). */
#include <hv/errno.h>
#include <hv/gmem.h>
#include <hv/string.h>

static bool in_block(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	return gpa <= m->size && len <= m->size - gpa;
}

static uint8_t *page_at(const struct gmem *m, uint64_t pfn)
{
	uint64_t e = m->map ? m->map[pfn] : GMEM_RAM;

	if (e == GMEM_ABSENT)
		return NULL;
	if (e == GMEM_RAM)
		return m->base + (pfn << GMEM_PAGE_SHIFT);
	return (uint8_t *)(uintptr_t)(e << GMEM_PAGE_SHIFT);
}

void *gmem_run(const struct gmem *m, uint64_t gpa, uint64_t max, size_t *n)
{
	uint64_t pfn = gpa >> GMEM_PAGE_SHIFT, end;
	uint8_t *p;

	*n = 0;
	if (gpa >= m->size || !(p = page_at(m, pfn)))
		return NULL;
	if (max > m->size - gpa)
		max = m->size - gpa;
	if (!m->map) {
		end = gpa + max;
	} else {
		/* The block's own pages run on while the next one is one too;
		 * a page given back elsewhere stands alone. */
		end = (pfn + 1) << GMEM_PAGE_SHIFT;
		if (m->map[pfn] == GMEM_RAM)
			while (end < gpa + max && m->map[end >> GMEM_PAGE_SHIFT] == GMEM_RAM)
				end += GMEM_PAGE;
	}
	*n = (size_t)(end - gpa < max ? end - gpa : max);
	return p + (gpa & (GMEM_PAGE - 1));
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	size_t n;
	void *p;

	if (len == 0)
		return in_block(m, gpa, 0) ? m->base + gpa : NULL;
	if (!in_block(m, gpa, len))
		return NULL;
	p = gmem_run(m, gpa, len, &n);
	return n == len ? p : NULL;
}

bool gmem_is_ram(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	size_t n = 0;

	if (!in_block(m, gpa, len))
		return false;
	for (; len; gpa += n, len -= n)
		if (!gmem_run(m, gpa, len, &n))
			return false;
	return true;
}

int gmem_read(const struct gmem *m, uint64_t gpa, void *dst, size_t len)
{
	uint8_t *out = dst;
	size_t n = 0;

	if (!gmem_is_ram(m, gpa, len))
		return HV_ERANGE;
	for (; len; gpa += n, out += n, len -= n) {
		const void *p = gmem_run(m, gpa, len, &n);

		memcpy(out, p, n);
	}
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *in = src;
	size_t n = 0;

	if (!gmem_is_ram(m, gpa, len))
		return HV_ERANGE;
	for (; len; gpa += n, in += n, len -= n) {
		void *p = gmem_run(m, gpa, len, &n);

		memcpy(p, in, n);
	}
	return 0;
}
