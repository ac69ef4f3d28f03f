/* A VM's dirty-page log (hv/dirty.h). */
#include <hv/dirty.h>

const char *dirty_mode_name(enum dirty_mode m)
{
	return m == DIRTY_PML ? "page-modification log" : m == DIRTY_SCAN ? "EPT dirty flags" : "off";
}

uint64_t dirty_words(uint64_t pages)
{
	return (pages + 63) / 64;
}

void dirty_attach(struct dirty_log *d, uint64_t *bits, uint64_t pages)
{
	d->pages = pages;
	__atomic_store_n(&d->bits, bits, __ATOMIC_RELEASE);
}

bool dirty_mark(struct dirty_log *d, uint64_t gpa)
{
	uint64_t *bits = __atomic_load_n(&d->bits, __ATOMIC_ACQUIRE);
	uint64_t page = gpa >> DIRTY_PAGE_SHIFT;

	if (!bits || page >= d->pages)
		return false;
	__atomic_fetch_or(&bits[page / 64], 1ULL << (page % 64), __ATOMIC_RELAXED);
	return true;
}

uint64_t dirty_take(struct dirty_log *d, uint64_t *out)
{
	uint64_t *bits = __atomic_load_n(&d->bits, __ATOMIC_ACQUIRE);
	uint64_t n = 0;

	if (!bits)
		return 0;
	for (uint64_t i = 0; i < dirty_words(d->pages); i++) {
		uint64_t w = __atomic_exchange_n(&bits[i], 0, __ATOMIC_ACQ_REL);

		if (out)
			out[i] = w;
		n += (uint64_t)__builtin_popcountll(w);
	}
	return n;
}

bool dirty_test(const uint64_t *bits, uint64_t page)
{
	return bits[page / 64] >> (page % 64) & 1;
}

unsigned dirty_drain_pml(struct dirty_log *d, const uint64_t *pml, uint16_t index)
{
	unsigned first = index >= DIRTY_PML_ENTRIES ? 0 : index + 1u;
	unsigned n = 0;

	for (unsigned i = first; i < DIRTY_PML_ENTRIES; i++)
		n += dirty_mark(d, pml[i]);
	return n;
}
