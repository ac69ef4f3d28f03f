/* Unit tests for src/core/pmm.c, the physical page-frame allocator. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <hv/errno.h>
#include <hv/pmm.h>

#define PG PAGE_SIZE

static struct pmm P;

/* The documented invariants: sorted, page aligned, non-empty, disjoint and
 * never adjacent, and free_pages equal to the pages in the table. */
static void check_invariants(const struct pmm *p)
{
	uint64_t pages = 0;

	assert_true(p->nfree <= PMM_MAX_RANGES);
	for (size_t i = 0; i < p->nfree; i++) {
		const struct pmm_range *r = &p->free[i];
		assert_int_equal(r->base % PG, 0);
		assert_int_equal(r->end % PG, 0);
		assert_true(r->base < r->end);
		if (i > 0)
			assert_true(p->free[i - 1].end < r->base);
		pages += (r->end - r->base) / PG;
	}
	assert_int_equal(pmm_free_pages(p), pages);
}

/* Expect exactly the given ranges (pairs base, end). */
static void expect_ranges(const struct pmm *p, size_t n, const paddr_t *pairs)
{
	check_invariants(p);
	assert_int_equal(p->nfree, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p->free[i].base, pairs[2 * i]);
		assert_int_equal(p->free[i].end, pairs[2 * i + 1]);
	}
}

#define EXPECT(...)                                                        \
	do {                                                               \
		static const paddr_t r_[] = { __VA_ARGS__ };               \
		expect_ranges(&P, sizeof(r_) / sizeof(r_[0]) / 2, r_);     \
	} while (0)

static void test_init_empty(void **state)
{
	(void)state;
	paddr_t a = 123;
	memset(&P, 0xa5, sizeof(P));
	pmm_init(&P);
	assert_int_equal(P.nfree, 0);
	assert_int_equal(pmm_free_pages(&P), 0);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_ENOMEM);
	assert_int_equal(a, 123);
}

static void test_add_shrinks_inward(void **state)
{
	(void)state;
	pmm_init(&P);
	assert_int_equal(pmm_add(&P, 0x1001, 0x3000), HV_OK);   /* 0x1001..0x4001 */
	EXPECT(0x2000, 0x4000);
	assert_int_equal(pmm_free_pages(&P), 2);

	/* Less than a whole page, or nothing at all: no change. */
	assert_int_equal(pmm_add(&P, 0x10001, 0xffe), HV_OK);
	assert_int_equal(pmm_add(&P, 0x10000, 0xfff), HV_OK);
	assert_int_equal(pmm_add(&P, 0x20000, 0), HV_OK);
	assert_int_equal(pmm_add(&P, 0x30800, 0x1000), HV_OK);  /* straddles */
	EXPECT(0x2000, 0x4000);

	/* Near the top of the address space: no wrap-around. */
	assert_int_equal(pmm_add(&P, UINT64_MAX - 0x800, 0x1000), HV_OK);
	assert_int_equal(pmm_add(&P, 0xfffffffffff00000ull, UINT64_MAX), HV_OK);
	EXPECT(0x2000, 0x4000, 0xfffffffffff00000ull, 0xfffffffffffff000ull);
	assert_int_equal(pmm_free_pages(&P), 2 + 0xff);
}

static void test_add_sorts_and_merges(void **state)
{
	(void)state;
	pmm_init(&P);
	assert_int_equal(pmm_add(&P, 0x10000, 0x1000), HV_OK);
	assert_int_equal(pmm_add(&P, 0x1000, 0x1000), HV_OK);
	assert_int_equal(pmm_add(&P, 0x5000, 0x1000), HV_OK);
	EXPECT(0x1000, 0x2000, 0x5000, 0x6000, 0x10000, 0x11000);

	/* Adjacent on the left and on the right. */
	assert_int_equal(pmm_add(&P, 0x2000, 0x1000), HV_OK);
	assert_int_equal(pmm_add(&P, 0x4000, 0x1000), HV_OK);
	EXPECT(0x1000, 0x3000, 0x4000, 0x6000, 0x10000, 0x11000);

	/* Filling the gap joins both neighbours. */
	assert_int_equal(pmm_add(&P, 0x3000, 0x1000), HV_OK);
	EXPECT(0x1000, 0x6000, 0x10000, 0x11000);
	assert_int_equal(pmm_free_pages(&P), 6);
}

static void test_add_overlap_is_union(void **state)
{
	(void)state;
	pmm_init(&P);
	assert_int_equal(pmm_add(&P, 0x1000, 0x4000), HV_OK);   /* 1000-5000 */
	assert_int_equal(pmm_add(&P, 0x3000, 0x5000), HV_OK);   /* 3000-8000 */
	EXPECT(0x1000, 0x8000);
	assert_int_equal(pmm_free_pages(&P), 7);

	/* A subset changes nothing. */
	assert_int_equal(pmm_add(&P, 0x2000, 0x2000), HV_OK);
	EXPECT(0x1000, 0x8000);

	/* A superset swallowing several ranges. */
	assert_int_equal(pmm_add(&P, 0x10000, 0x1000), HV_OK);
	assert_int_equal(pmm_add(&P, 0x20000, 0x1000), HV_OK);
	assert_int_equal(pmm_add(&P, 0x0, 0x30000), HV_OK);
	EXPECT(0x0, 0x30000);
	assert_int_equal(pmm_free_pages(&P), 0x30);
}

static void test_add_table_full(void **state)
{
	(void)state;
	pmm_init(&P);
	for (uint64_t i = 0; i < PMM_MAX_RANGES; i++)
		assert_int_equal(pmm_add(&P, i * 0x10000, PG), HV_OK);
	check_invariants(&P);
	assert_int_equal(P.nfree, PMM_MAX_RANGES);

	/* A new disjoint range has nowhere to go... */
	assert_int_equal(pmm_add(&P, 0x8000, PG), HV_ENOMEM);
	assert_int_equal(pmm_free_pages(&P), PMM_MAX_RANGES);
	/* ...but one that merges needs no slot. */
	assert_int_equal(pmm_add(&P, 0x1000, PG), HV_OK);
	assert_int_equal(pmm_add(&P, 0x2000, 0xe000), HV_OK);  /* joins 0 and 0x10000 */
	check_invariants(&P);
	assert_int_equal(P.nfree, PMM_MAX_RANGES - 1);
	assert_int_equal(pmm_add(&P, 0x8000000, PG), HV_OK);
}

static void test_reserve_cases(void **state)
{
	(void)state;
	pmm_init(&P);
	pmm_add(&P, 0x10000, 0x10000);                 /* 10000-20000 */

	/* Strictly inside: split. */
	assert_int_equal(pmm_reserve(&P, 0x14000, 0x2000), HV_OK);
	EXPECT(0x10000, 0x14000, 0x16000, 0x20000);
	/* Head and tail trims. */
	assert_int_equal(pmm_reserve(&P, 0x10000, 0x1000), HV_OK);
	assert_int_equal(pmm_reserve(&P, 0x1f000, 0x1000), HV_OK);
	EXPECT(0x11000, 0x14000, 0x16000, 0x1f000);
	/* Overlapping the edge of a range from outside. */
	assert_int_equal(pmm_reserve(&P, 0x8000, 0xa000), HV_OK);   /* 8000-12000 */
	EXPECT(0x12000, 0x14000, 0x16000, 0x1f000);
	/* Exactly a whole range. */
	assert_int_equal(pmm_reserve(&P, 0x12000, 0x2000), HV_OK);
	EXPECT(0x16000, 0x1f000);
	/* Nothing there, or nothing at all. */
	assert_int_equal(pmm_reserve(&P, 0x100000, 0x100000), HV_OK);
	assert_int_equal(pmm_reserve(&P, 0x17000, 0), HV_OK);
	EXPECT(0x16000, 0x1f000);
	assert_int_equal(pmm_free_pages(&P), 9);
}

static void test_reserve_widens_outward(void **state)
{
	(void)state;
	pmm_init(&P);
	pmm_add(&P, 0x0, 0x10000);
	/* One byte takes its whole page. */
	assert_int_equal(pmm_reserve(&P, 0x2001, 1), HV_OK);
	EXPECT(0x0, 0x2000, 0x3000, 0x10000);
	/* Two bytes across a page boundary take both pages. */
	assert_int_equal(pmm_reserve(&P, 0x5fff, 2), HV_OK);
	EXPECT(0x0, 0x2000, 0x3000, 0x5000, 0x7000, 0x10000);
	assert_int_equal(pmm_free_pages(&P), 13);
	/* To the end of the address space: no wrap-around. */
	assert_int_equal(pmm_reserve(&P, 0xe123, UINT64_MAX), HV_OK);
	EXPECT(0x0, 0x2000, 0x3000, 0x5000, 0x7000, 0xe000);
}

static void test_reserve_spanning_ranges(void **state)
{
	(void)state;
	pmm_init(&P);
	pmm_add(&P, 0x1000, 0x2000);     /* 1000-3000 */
	pmm_add(&P, 0x5000, 0x2000);     /* 5000-7000 */
	pmm_add(&P, 0x9000, 0x2000);     /* 9000-b000 */
	pmm_add(&P, 0xd000, 0x2000);     /* d000-f000 */
	assert_int_equal(pmm_reserve(&P, 0x2000, 0x8800), HV_OK); /* 2000-b000 */
	EXPECT(0x1000, 0x2000, 0xd000, 0xf000);
	assert_int_equal(pmm_free_pages(&P), 3);
}

static void test_reserve_split_table_full(void **state)
{
	(void)state;
	pmm_init(&P);
	for (uint64_t i = 0; i < PMM_MAX_RANGES; i++)
		pmm_add(&P, i * 0x10000, 4 * PG);
	struct pmm before = P;

	assert_int_equal(pmm_reserve(&P, 0x11000, PG), HV_ENOMEM);
	assert_memory_equal(&P, &before, sizeof(P));     /* untouched */
	/* Trims need no slot. */
	assert_int_equal(pmm_reserve(&P, 0x10000, PG), HV_OK);
	assert_int_equal(pmm_free_pages(&P), 4 * PMM_MAX_RANGES - 1);
	check_invariants(&P);
}

static void test_alloc_first_fit(void **state)
{
	(void)state;
	paddr_t a;
	pmm_init(&P);
	pmm_add(&P, 0x10000, 0x10000);
	pmm_add(&P, 0x1000, 0x2000);

	assert_int_equal(pmm_alloc(&P, 3, PG, &a), HV_OK);   /* too big for low */
	assert_int_equal(a, 0x10000);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_OK);
	assert_int_equal(a, 0x1000);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_OK);
	assert_int_equal(a, 0x2000);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_OK);
	assert_int_equal(a, 0x13000);
	EXPECT(0x14000, 0x20000);
	assert_int_equal(pmm_free_pages(&P), 12);
}

static void test_alloc_alignment_2m(void **state)
{
	(void)state;
	paddr_t a;
	pmm_init(&P);
	pmm_add(&P, 0x101000, 0x6ff000);       /* 101000-800000 */

	assert_int_equal(pmm_alloc(&P, 1, PAGE_2M, &a), HV_OK);
	assert_int_equal(a, 0x200000);
	EXPECT(0x101000, 0x200000, 0x201000, 0x800000);

	assert_int_equal(pmm_alloc(&P, 512, PAGE_2M, &a), HV_OK);
	assert_int_equal(a, 0x400000);
	EXPECT(0x101000, 0x200000, 0x201000, 0x400000, 0x600000, 0x800000);

	/* Only one more aligned 2 MiB slot (0x600000) and it is whole. */
	assert_int_equal(pmm_alloc(&P, 512, PAGE_2M, &a), HV_OK);
	assert_int_equal(a, 0x600000);
	assert_int_equal(pmm_alloc(&P, 1, PAGE_2M, &a), HV_ENOMEM);
	/* Smaller alignment still finds memory, lowest first. */
	assert_int_equal(pmm_alloc(&P, 2, 0x4000, &a), HV_OK);
	assert_int_equal(a, 0x104000);
	EXPECT(0x101000, 0x104000, 0x106000, 0x200000, 0x201000, 0x400000);
	assert_int_equal(pmm_free_pages(&P), 3 + 0xfa + 0x1ff);
	check_invariants(&P);
}

static void test_alloc_bad_arguments(void **state)
{
	(void)state;
	paddr_t a = 7;
	pmm_init(&P);
	pmm_add(&P, 0, 0x100000);
	assert_int_equal(pmm_alloc(&P, 0, PG, &a), HV_EINVAL);
	assert_int_equal(pmm_alloc(&P, 1, 0, &a), HV_EINVAL);
	assert_int_equal(pmm_alloc(&P, 1, 0x800, &a), HV_EINVAL);   /* < page */
	assert_int_equal(pmm_alloc(&P, 1, 0x3000, &a), HV_EINVAL);  /* not 2^n */
	assert_int_equal(pmm_alloc(&P, 1, PG + 1, &a), HV_EINVAL);
	assert_int_equal(pmm_alloc(&P, 1, PG, NULL), HV_EINVAL);
	assert_int_equal(a, 7);
	assert_int_equal(pmm_free_pages(&P), 0x100);
	/* Huge requests cannot fit, and must not overflow on the way. */
	assert_int_equal(pmm_alloc(&P, 0x101, PG, &a), HV_ENOMEM);
	assert_int_equal(pmm_alloc(&P, UINT64_MAX, PG, &a), HV_ENOMEM);
	assert_int_equal(pmm_alloc(&P, UINT64_MAX >> PAGE_SHIFT, PG, &a), HV_ENOMEM);
	assert_int_equal(pmm_free_pages(&P), 0x100);

	/* Address 0 is aligned to anything... */
	assert_int_equal(pmm_alloc(&P, 1, 1ULL << 63, &a), HV_OK);
	assert_int_equal(a, 0);
	/* ...but nothing else below 2^63 is, and aligning a range near the
	 * top of the address space must not wrap to 0. */
	pmm_add(&P, 0xfffffffffff00000ull, 0xff000);
	assert_int_equal(pmm_alloc(&P, 1, 1ULL << 63, &a), HV_ENOMEM);
	assert_int_equal(pmm_alloc(&P, 1, 1ULL << 40, &a), HV_ENOMEM);
	assert_int_equal(pmm_alloc(&P, 1, 1ULL << 20, &a), HV_OK);
	assert_int_equal(a, 0xfffffffffff00000ull);
	check_invariants(&P);
}

static void test_exhaustion(void **state)
{
	(void)state;
	paddr_t a, prev = 0;
	pmm_init(&P);
	pmm_add(&P, 0x100000, 16 * PG);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_OK);
		assert_int_equal(a, 0x100000 + (uint64_t)i * PG);
		assert_true(i == 0 || a > prev);
		prev = a;
		assert_int_equal(pmm_free_pages(&P), 15 - (uint64_t)i);
	}
	assert_int_equal(P.nfree, 0);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_ENOMEM);
	assert_int_equal(pmm_free(&P, 0x105000, 1), HV_OK);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_OK);
	assert_int_equal(a, 0x105000);
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_ENOMEM);
}

static void test_alloc_split_with_full_table(void **state)
{
	(void)state;
	paddr_t a;
	pmm_init(&P);
	/* Ranges of 3 pages starting on an odd page: a 2-page-aligned
	 * single page falls in the middle of each and would need a split. */
	for (uint64_t i = 0; i < PMM_MAX_RANGES; i++)
		pmm_add(&P, i * 0x100000 + 0x1000, 3 * PG);
	assert_int_equal(pmm_alloc(&P, 1, 2 * PG, &a), HV_ENOMEM);
	assert_int_equal(pmm_free_pages(&P), 3 * PMM_MAX_RANGES);
	check_invariants(&P);
	/* Taking the head needs no slot. */
	assert_int_equal(pmm_alloc(&P, 1, PG, &a), HV_OK);
	assert_int_equal(a, 0x1000);
	/* The table still holds PMM_MAX_RANGES ranges, so a split still
	 * fails; an aligned block at the head of a range is fine. */
	assert_int_equal(pmm_alloc(&P, 1, 2 * PG, &a), HV_OK);
	assert_int_equal(a, 0x2000);
	check_invariants(&P);
}

static void test_free_and_merge(void **state)
{
	(void)state;
	paddr_t a[4];
	pmm_init(&P);
	pmm_add(&P, 0x200000, 0x10000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pmm_alloc(&P, 2, PG, &a[i]), HV_OK);
	EXPECT(0x208000, 0x210000);

	assert_int_equal(pmm_free(&P, a[1], 2), HV_OK);     /* 202000-204000 */
	EXPECT(0x202000, 0x204000, 0x208000, 0x210000);
	assert_int_equal(pmm_free(&P, a[3], 2), HV_OK);     /* merges up */
	EXPECT(0x202000, 0x204000, 0x206000, 0x210000);
	assert_int_equal(pmm_free(&P, a[2], 2), HV_OK);     /* joins both */
	EXPECT(0x202000, 0x210000);
	assert_int_equal(pmm_free(&P, a[0], 2), HV_OK);
	EXPECT(0x200000, 0x210000);
	assert_int_equal(pmm_free_pages(&P), 16);
}

static void test_double_free(void **state)
{
	(void)state;
	paddr_t a, b;
	pmm_init(&P);
	pmm_add(&P, 0x300000, 0x100000);
	assert_int_equal(pmm_alloc(&P, 4, PG, &a), HV_OK);
	assert_int_equal(pmm_alloc(&P, 4, PG, &b), HV_OK);
	assert_int_equal(pmm_free(&P, a, 4), HV_OK);
	uint64_t pages = pmm_free_pages(&P);

	assert_int_equal(pmm_free(&P, a, 4), HV_EINVAL);         /* whole block */
	assert_int_equal(pmm_free(&P, a + 3 * PG, 2), HV_EINVAL); /* one page free */
	assert_int_equal(pmm_free(&P, b + 3 * PG, 2), HV_EINVAL); /* tail runs into free */
	assert_int_equal(pmm_free(&P, 0x380000, 1), HV_EINVAL);  /* never allocated */
	assert_int_equal(pmm_free_pages(&P), pages);
	check_invariants(&P);
	assert_int_equal(pmm_free(&P, b, 4), HV_OK);
	EXPECT(0x300000, 0x400000);
}

/* A balloon takes a page back where it was, if it is still free. */
static void test_claim(void **state)
{
	(void)state;
	pmm_init(&P);
	pmm_add(&P, 0x200000, 0x10000);
	assert_int_equal(pmm_claim(&P, 0x204000, 1), HV_OK);          /* splits */
	EXPECT(0x200000, 0x204000, 0x205000, 0x210000);
	assert_int_equal(pmm_claim(&P, 0x204000, 1), HV_EBUSY);       /* taken */
	assert_int_equal(pmm_claim(&P, 0x203000, 2), HV_EBUSY);       /* half taken */
	assert_int_equal(pmm_claim(&P, 0x210000, 1), HV_EBUSY);       /* never free */
	assert_int_equal(pmm_claim(&P, 0x200000, 4), HV_OK);          /* a whole range */
	EXPECT(0x205000, 0x210000);
	assert_int_equal(pmm_claim(&P, 0x205800, 1), HV_EINVAL);      /* unaligned */
	assert_int_equal(pmm_claim(&P, 0x205000, 0), HV_EINVAL);
	assert_int_equal(pmm_free_pages(&P), 11);
	check_invariants(&P);
}

static void test_free_bad_arguments(void **state)
{
	(void)state;
	pmm_init(&P);
	pmm_add(&P, 0x300000, 0x1000);
	assert_int_equal(pmm_free(&P, 0x100800, 1), HV_EINVAL);   /* unaligned */
	assert_int_equal(pmm_free(&P, 0x100000, 0), HV_EINVAL);
	assert_int_equal(pmm_free(&P, 0xfffffffffffff000ull, 1), HV_EINVAL); /* past top */
	assert_int_equal(pmm_free(&P, 0x100000, UINT64_MAX), HV_EINVAL);
	EXPECT(0x300000, 0x301000);
	/* Freeing memory the allocator never had is accepted (it is how
	 * memory can be handed back after boot) and merges like any other. */
	assert_int_equal(pmm_free(&P, 0x2ff000, 1), HV_OK);
	EXPECT(0x2ff000, 0x301000);
}

static void test_image_reserved_never_allocated(void **state)
{
	(void)state;
	/* A QEMU-like map: low RAM, a hole, RAM from 1 MiB; the image at
	 * 2 MiB and a module higher up are reserved before allocating. */
	const paddr_t img = 0x200000, img_end = 0x200000 + 0x123456;
	const paddr_t mod = 0x800000, mod_end = 0x800000 + 0x5001;
	paddr_t a;
	uint64_t n = 0;

	pmm_init(&P);
	pmm_add(&P, 0x0, 0x9fc00);
	pmm_add(&P, 0x100000, 0x1000000 - 0x100000);
	assert_int_equal(pmm_reserve(&P, 0, PG), HV_OK);           /* page 0 */
	assert_int_equal(pmm_reserve(&P, img, img_end - img), HV_OK);
	assert_int_equal(pmm_reserve(&P, mod, mod_end - mod), HV_OK);
	check_invariants(&P);

	uint64_t expect = 0x9f - 1 + (0x1000000 - 0x100000) / PG
			  - 0x124 /* image, rounded up */ - 6 /* module */;
	assert_int_equal(pmm_free_pages(&P), expect);

	while (pmm_alloc(&P, 1, PG, &a) == HV_OK) {
		assert_false(a < PG);
		assert_false(a + PG > img && a < ALIGN_UP(img_end, PG));
		assert_false(a + PG > mod && a < ALIGN_UP(mod_end, PG));
		assert_false(a >= 0x9f000 && a < 0x100000);
		n++;
	}
	assert_int_equal(n, expect);
	assert_int_equal(pmm_free_pages(&P), 0);
}

/* ---- randomised comparison with a one-bit-per-page model ------------------ */

#define MODEL_PAGES 400
static bool model[MODEL_PAGES];
static uint64_t rng = 0x123456789abcdefull;

static uint64_t rnd(uint64_t n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (rng >> 33) % n;
}

static void compare_with_model(void)
{
	struct pmm m;
	uint64_t pages = 0;

	pmm_init(&m);
	for (size_t i = 0; i < MODEL_PAGES; i++) {
		if (!model[i])
			continue;
		pages++;
		if (m.nfree && m.free[m.nfree - 1].end == i * PG) {
			m.free[m.nfree - 1].end += PG;
		} else {
			m.free[m.nfree].base = i * PG;
			m.free[m.nfree].end = (i + 1) * PG;
			m.nfree++;
		}
	}
	check_invariants(&P);
	assert_int_equal(P.nfree, m.nfree);
	assert_int_equal(pmm_free_pages(&P), pages);
	assert_memory_equal(P.free, m.free, m.nfree * sizeof(m.free[0]));
}

/* Lowest aligned start of npages free pages in the model, or -1. */
static int64_t model_first_fit(uint64_t npages, uint64_t align_pages)
{
	for (uint64_t s = 0; s + npages <= MODEL_PAGES; s += align_pages) {
		uint64_t k = 0;
		while (k < npages && model[s + k])
			k++;
		if (k == npages)
			return (int64_t)s;
	}
	return -1;
}

static void test_random_against_model(void **state)
{
	(void)state;
	struct { paddr_t base; uint64_t n; } live[MODEL_PAGES];
	size_t nlive = 0;

	pmm_init(&P);
	memset(model, 0, sizeof(model));
	for (int step = 0; step < 20000; step++) {
		uint64_t op = rnd(10);
		if (op < 2) {                    /* add, unaligned edges */
			uint64_t b = rnd(MODEL_PAGES * PG), l = rnd(40 * PG);
			if (b + l > MODEL_PAGES * PG)
				l = MODEL_PAGES * PG - b;
			assert_int_equal(pmm_add(&P, b, l), HV_OK);
			for (uint64_t pg = (b + PG - 1) / PG; (pg + 1) * PG <= b + l; pg++)
				model[pg] = true;
			/* A live block that was (partly) re-added can no longer
			 * be freed as a whole: forget it. */
			for (size_t i = 0; i < nlive;) {
				bool hit = false;
				for (uint64_t k = 0; k < live[i].n; k++)
					hit |= model[live[i].base / PG + k];
				if (hit)
					live[i] = live[--nlive];
				else
					i++;
			}
		} else if (op < 3) {             /* reserve, widened outward */
			uint64_t b = rnd(MODEL_PAGES * PG), l = rnd(20 * PG);
			assert_int_equal(pmm_reserve(&P, b, l), HV_OK);
			if (l)
				for (uint64_t pg = b / PG; pg * PG < b + l && pg < MODEL_PAGES; pg++)
					model[pg] = false;
		} else if (op < 7) {             /* alloc */
			uint64_t n = 1 + rnd(8), al = 1ull << rnd(5);
			int64_t want = model_first_fit(n, al);
			paddr_t a;
			int rc = pmm_alloc(&P, n, al * PG, &a);
			if (want < 0) {
				assert_int_equal(rc, HV_ENOMEM);
			} else {
				assert_int_equal(rc, HV_OK);
				assert_int_equal(a, (uint64_t)want * PG);
				for (uint64_t k = 0; k < n; k++)
					model[want + (int64_t)k] = false;
				live[nlive].base = a;
				live[nlive].n = n;
				nlive++;
			}
		} else if (nlive) {              /* free, sometimes twice */
			size_t i = rnd(nlive);
			assert_int_equal(pmm_free(&P, live[i].base, live[i].n), HV_OK);
			for (uint64_t k = 0; k < live[i].n; k++)
				model[live[i].base / PG + k] = true;
			if (rnd(4) == 0)
				assert_int_equal(pmm_free(&P, live[i].base, live[i].n), HV_EINVAL);
			live[i] = live[--nlive];
		}
		compare_with_model();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_add_shrinks_inward),
		cmocka_unit_test(test_add_sorts_and_merges),
		cmocka_unit_test(test_add_overlap_is_union),
		cmocka_unit_test(test_add_table_full),
		cmocka_unit_test(test_reserve_cases),
		cmocka_unit_test(test_reserve_widens_outward),
		cmocka_unit_test(test_reserve_spanning_ranges),
		cmocka_unit_test(test_reserve_split_table_full),
		cmocka_unit_test(test_alloc_first_fit),
		cmocka_unit_test(test_alloc_alignment_2m),
		cmocka_unit_test(test_alloc_bad_arguments),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_alloc_split_with_full_table),
		cmocka_unit_test(test_free_and_merge),
		cmocka_unit_test(test_double_free),
		cmocka_unit_test(test_free_bad_arguments),
		cmocka_unit_test(test_claim),
		cmocka_unit_test(test_image_reserved_never_allocated),
		cmocka_unit_test(test_random_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
