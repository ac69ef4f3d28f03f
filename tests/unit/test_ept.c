/* Unit tests for arch/x86_64/vmx/ept.c, the EPT builder.  Table pages come from
 * aligned_alloc() and their pointer value serves as the "physical address";
 * every page handed out is tracked so leaks and bad frees are caught. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <arch/ept.h>
#include <hv/errno.h>

#define KB4 PAGE_SIZE
#define MB2 PAGE_2M
#define GB1 PAGE_1G
#define ALL_LARGE (EPT_ALLOW_2M | EPT_ALLOW_1G)
#define RWX_WB (EPT_RWX | EPT_MT_WB)

#define MAX_LIVE 4096
#define NO_LIMIT UINT64_MAX

struct pool {
	uint64_t allocs, frees;
	uint64_t fail_at;            /* alloc number that fails (0-based) */
	void *live[MAX_LIVE];
	size_t nlive;
};

static struct pool pool;
static struct ept E;

static int pool_alloc(void *ctx, paddr_t *pa)
{
	struct pool *p = ctx;
	void *page;

	if (p->allocs >= p->fail_at)
		return HV_ENOMEM;
	assert_true(p->nlive < MAX_LIVE);
	page = aligned_alloc(4096, 4096);
	assert_non_null(page);
	memset(page, 0, 4096);
	p->live[p->nlive++] = page;
	p->allocs++;
	*pa = (paddr_t)(uintptr_t)page;
	return HV_OK;
}

static void pool_free(void *ctx, paddr_t pa)
{
	struct pool *p = ctx;
	void *page = (void *)(uintptr_t)pa;

	for (size_t i = 0; i < p->nlive; i++) {
		if (p->live[i] == page) {
			p->live[i] = p->live[--p->nlive];
			p->frees++;
			free(page);
			return;
		}
	}
	fail_msg("free of a page not allocated: %#llx", (unsigned long long)pa);
}

static void *pool_map(void *ctx, paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

static const struct ept_ops OPS = {
	.alloc_table = pool_alloc,
	.free_table = pool_free,
	.map = pool_map,
	.ctx = &pool,
};

/* Fail the n-th allocation from now (0 = the next one). */
static void fail_after(uint64_t n)
{
	pool.fail_at = n == NO_LIMIT ? NO_LIMIT : pool.allocs + n;
}

/* The pages the pool holds are exactly the ones the EPT counts. */
static void check_no_leak(void)
{
	assert_int_equal(pool.allocs - pool.frees, E.tables);
	assert_int_equal(pool.nlive, E.tables);
}

static int setup(void **state)
{
	memset(&pool, 0, sizeof(pool));
	pool.fail_at = NO_LIMIT;
	assert_int_equal(ept_init(&E, &OPS, ALL_LARGE), HV_OK);
	return 0;
}

static int teardown(void **state)
{
	check_no_leak();
	ept_destroy(&E);
	assert_int_equal(E.tables, 0);
	assert_int_equal(pool.nlive, 0);
	assert_int_equal(pool.allocs, pool.frees);
	return 0;
}

/* Re-initialise with other large-page permissions. */
static void reinit(unsigned large_ok)
{
	ept_destroy(&E);
	assert_int_equal(ept_init(&E, &OPS, large_ok), HV_OK);
}

/* gpa translates to hpa with this page size and these flags. */
static void expect_map(gpa_t gpa, paddr_t hpa, uint64_t size, uint64_t flags)
{
	paddr_t h = 0;
	uint64_t f = 0, s = 0;

	assert_int_equal(ept_translate(&E, gpa, &h, &f, &s), HV_OK);
	assert_int_equal(h, hpa);
	assert_int_equal(s, size);
	assert_int_equal(f, flags);
}

static void expect_unmapped(gpa_t gpa)
{
	paddr_t h = 0x1234;

	assert_int_equal(ept_translate(&E, gpa, &h, NULL, NULL), HV_ENOENT);
	assert_int_equal(h, 0x1234);
}

/* Every 4 KiB page of [gpa, gpa + size) maps hpa + offset with flags. */
static void expect_range(gpa_t gpa, paddr_t hpa, uint64_t size, uint64_t page_size,
			 uint64_t flags)
{
	for (uint64_t off = 0; off < size; off += KB4)
		expect_map(gpa + off, hpa + off, page_size, flags);
}

/* --- init, destroy, EPTP --------------------------------------------------- */

static void test_init(void **state)
{
	struct ept_ops bad = OPS;

	assert_int_equal(E.tables, 1);
	assert_int_not_equal(E.pml4, 0);
	assert_int_equal(E.large_ok, ALL_LARGE);
	expect_unmapped(0);

	ept_destroy(&E);
	assert_int_equal(ept_init(&E, NULL, 0), HV_EINVAL);
	bad.map = NULL;
	assert_int_equal(ept_init(&E, &bad, 0), HV_EINVAL);
	assert_int_equal(ept_init(&E, &OPS, 4), HV_EINVAL);
	assert_int_equal(pool.allocs, pool.frees);

	/* 1 GiB pages without 2 MiB pages are not used (see ept.h). */
	assert_int_equal(ept_init(&E, &OPS, EPT_ALLOW_1G), HV_OK);
	assert_int_equal(E.large_ok, 0);
	ept_destroy(&E);

	fail_after(0);
	assert_int_equal(ept_init(&E, &OPS, 0), HV_ENOMEM);
	assert_int_equal(E.pml4, 0);
	assert_int_equal(E.tables, 0);
	fail_after(NO_LIMIT);
	assert_int_equal(ept_init(&E, &OPS, ALL_LARGE), HV_OK);
}

static void test_destroy_frees_all(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x100000000, 3 * GB1 + 5 * MB2 + 7 * KB4, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, 0x7f0000000000, 0x5000, 3 * KB4, EPT_R), HV_OK);
	assert_int_equal(ept_map(&E, EPT_GPA_LIMIT - KB4, 0x9000, KB4, EPT_R), HV_OK);
	assert_int_equal(ept_unmap(&E, GB1 + 0x3000, KB4), HV_OK);
	assert_true(E.tables > 5);
	check_no_leak();
	ept_destroy(&E);
	assert_int_equal(E.tables, 0);
	assert_int_equal(E.pml4, 0);
	assert_int_equal(pool.nlive, 0);
	assert_int_equal(pool.allocs, pool.frees);
	ept_destroy(&E);   /* twice is harmless */
	assert_int_equal(ept_init(&E, &OPS, ALL_LARGE), HV_OK);
}

static void test_pointer(void **state)
{
	uint64_t eptp = ept_pointer(&E, false);

	assert_int_equal(eptp & 7, 6);             /* WB */
	assert_int_equal((eptp >> 3) & 7, 3);      /* 4-level walk */
	assert_int_equal(eptp & BIT(6), 0);
	assert_int_equal(eptp & ~0xfffULL, E.pml4);
	assert_int_equal(eptp & 0xf80, 0);         /* 11:7 reserved */
	assert_int_equal(ept_pointer(&E, true), eptp | BIT(6));
}

/* --- page-size choice ----------------------------------------------------- */

static void test_map_4k(void **state)
{
	uint64_t fl = EPT_R | EPT_X | EPT_MT_UC;

	assert_int_equal(ept_map(&E, 0x5000, 0x12345000, KB4, fl), HV_OK);
	assert_int_equal(E.tables, 4);
	expect_map(0x5000, 0x12345000, KB4, fl);
	expect_map(0x5abc, 0x12345abc, KB4, fl);
	expect_unmapped(0x4000);
	expect_unmapped(0x6000);
	/* Outputs may be NULL. */
	assert_int_equal(ept_translate(&E, 0x5000, NULL, NULL, NULL), HV_OK);
}

static void test_map_2m(void **state)
{
	uint64_t fl = EPT_R | EPT_W | EPT_MT_WB | EPT_IGNORE_PAT;

	assert_int_equal(ept_map(&E, 2 * MB2, 0x40000000, MB2, fl), HV_OK);
	assert_int_equal(E.tables, 3);   /* PML4, PDPT, PD: no PT */
	expect_map(2 * MB2, 0x40000000, MB2, fl);
	expect_map(2 * MB2 + 0x12345, 0x40012345, MB2, fl);
	expect_map(3 * MB2 - 1, 0x40000000 + MB2 - 1, MB2, fl);
	expect_unmapped(3 * MB2);
	expect_unmapped(2 * MB2 - 1);
}

static void test_map_1g(void **state)
{
	assert_int_equal(ept_map(&E, GB1, 0x200000000, GB1, RWX_WB), HV_OK);
	assert_int_equal(E.tables, 2);   /* PML4, PDPT */
	expect_map(GB1, 0x200000000, GB1, RWX_WB);
	expect_map(GB1 + 0x3456789, 0x203456789, GB1, RWX_WB);
	expect_map(2 * GB1 - 1, 0x200000000 + GB1 - 1, GB1, RWX_WB);
	expect_unmapped(2 * GB1);
}

/* An hpa aligned only to 4 KiB forbids large pages. */
static void test_unaligned_hpa(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x40001000, MB2, RWX_WB), HV_OK);
	expect_range(0, 0x40001000, MB2, KB4, RWX_WB);
	assert_int_equal(ept_map(&E, GB1, 0x80200000, GB1, RWX_WB), HV_OK);
	expect_map(GB1, 0x80200000, MB2, RWX_WB);
	expect_map(2 * GB1 - 1, 0x80200000 + GB1 - 1, MB2, RWX_WB);
}

/* An unaligned gpa gets 4 KiB pages up to the next 2 MiB boundary, then
 * large pages, then 4 KiB pages for the tail. */
static void test_unaligned_gpa(void **state)
{
	gpa_t gpa = MB2 - 2 * KB4;
	paddr_t hpa = 0x80000000 + gpa;   /* same offset modulo 2 MiB */

	assert_int_equal(ept_map(&E, gpa, hpa, 2 * KB4 + MB2 + 3 * KB4, RWX_WB), HV_OK);
	expect_range(gpa, hpa, 2 * KB4, KB4, RWX_WB);
	expect_map(MB2, hpa + 2 * KB4, MB2, RWX_WB);
	expect_map(2 * MB2 - 1, hpa + 2 * KB4 + MB2 - 1, MB2, RWX_WB);
	expect_range(2 * MB2, hpa + 2 * KB4 + MB2, 3 * KB4, KB4, RWX_WB);
	expect_unmapped(2 * MB2 + 3 * KB4);
	expect_unmapped(gpa - KB4);
}

/* 2 MiB before a 1 GiB boundary, 1 GiB, 2 MiB + 4 KiB after. */
static void test_mixed_sizes(void **state)
{
	gpa_t gpa = GB1 - MB2;
	paddr_t hpa = 4 * GB1 - MB2;

	assert_int_equal(ept_map(&E, gpa, hpa, MB2 + GB1 + MB2 + KB4, RWX_WB), HV_OK);
	expect_map(gpa, hpa, MB2, RWX_WB);
	expect_map(GB1, hpa + MB2, GB1, RWX_WB);
	expect_map(2 * GB1, hpa + MB2 + GB1, MB2, RWX_WB);
	expect_map(2 * GB1 + MB2, hpa + 2 * MB2 + GB1, KB4, RWX_WB);
	expect_unmapped(2 * GB1 + MB2 + KB4);
}

static void test_large_ok_masked(void **state)
{
	reinit(EPT_ALLOW_2M);
	assert_int_equal(ept_map(&E, GB1, GB1, GB1, RWX_WB), HV_OK);
	expect_map(GB1, GB1, MB2, RWX_WB);
	expect_map(2 * GB1 - KB4, 2 * GB1 - KB4, MB2, RWX_WB);
	assert_int_equal(E.tables, 3);

	reinit(0);
	assert_int_equal(ept_map(&E, 0, 0, 2 * MB2, RWX_WB), HV_OK);
	expect_range(0, 0, 2 * MB2, KB4, RWX_WB);
	assert_int_equal(E.tables, 5);   /* PML4, PDPT, PD, two PTs */
}

/* The last page below 2^48, and addresses past it. */
static void test_address_limits(void **state)
{
	assert_int_equal(ept_map(&E, EPT_GPA_LIMIT - MB2, 0, MB2, RWX_WB), HV_OK);
	expect_map(EPT_GPA_LIMIT - 1, MB2 - 1, MB2, RWX_WB);
	assert_int_equal(ept_map(&E, EPT_GPA_LIMIT, 0, KB4, RWX_WB), HV_ERANGE);
	assert_int_equal(ept_map(&E, EPT_GPA_LIMIT - KB4, 0, 2 * KB4, RWX_WB), HV_ERANGE);
	assert_int_equal(ept_map(&E, 0x1000, 0, UINT64_MAX & ~0xfffULL, RWX_WB), HV_ERANGE);
	assert_int_equal(ept_map(&E, 0, 1ULL << 52, KB4, RWX_WB), HV_ERANGE);
	assert_int_equal(ept_map(&E, 0, (1ULL << 52) - KB4, 2 * KB4, RWX_WB), HV_ERANGE);
	assert_int_equal(ept_translate(&E, EPT_GPA_LIMIT, NULL, NULL, NULL), HV_ERANGE);
	assert_int_equal(ept_unmap(&E, EPT_GPA_LIMIT, KB4), HV_ERANGE);
	assert_int_equal(ept_protect(&E, EPT_GPA_LIMIT - KB4, 2 * KB4, EPT_R), HV_ERANGE);
	/* Unmapping up to the very end works. */
	assert_int_equal(ept_unmap(&E, EPT_GPA_LIMIT - KB4, KB4), HV_OK);
	expect_map(EPT_GPA_LIMIT - KB4 - 1, MB2 - KB4 - 1, KB4, RWX_WB);
	expect_unmapped(EPT_GPA_LIMIT - KB4);
}

static void test_bad_arguments(void **state)
{
	uint64_t before = pool.allocs;

	assert_int_equal(ept_map(&E, 0x800, 0, KB4, RWX_WB), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0x800, KB4, RWX_WB), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, 0x800, RWX_WB), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_W | EPT_MT_WB), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_W | EPT_X), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_MT_WB), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_R | (2ULL << 3)), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_R | (3ULL << 3)), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_R | (7ULL << 3)), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_R | EPT_LARGE), HV_EINVAL);
	assert_int_equal(ept_map(&E, 0, 0, KB4, EPT_R | EPT_DIRTY), HV_EINVAL);
	assert_int_equal(ept_unmap(&E, 0x10, KB4), HV_EINVAL);
	assert_int_equal(ept_protect(&E, 0, KB4 + 1, EPT_R), HV_EINVAL);
	assert_int_equal(ept_protect(&E, 0, KB4, 0), HV_EINVAL);
	assert_int_equal(ept_protect(&E, 0, KB4, EPT_W), HV_EINVAL);
	assert_int_equal(ept_protect(&E, 0, KB4, EPT_R | EPT_MT_WB), HV_EINVAL);
	assert_int_equal(pool.allocs, before);
	/* Size 0 is nothing to do. */
	assert_int_equal(ept_map(&E, 0, 0, 0, RWX_WB), HV_OK);
	assert_int_equal(ept_unmap(&E, 0, 0), HV_OK);
	assert_int_equal(ept_protect(&E, 0, 0, EPT_R), HV_OK);
	assert_int_equal(E.tables, 1);
	/* Every valid memory type is accepted. */
	static const uint64_t mts[] = { EPT_MT_UC, EPT_MT_WC, EPT_MT_WT, EPT_MT_WP, EPT_MT_WB };
	for (size_t i = 0; i < ARRAY_SIZE(mts); i++) {
		assert_int_equal(ept_map(&E, i * KB4, 0, KB4, EPT_R | mts[i]), HV_OK);
		expect_map(i * KB4, 0, KB4, EPT_R | mts[i]);
	}
}

/* --- overlaps --------------------------------------------------------------- */

static void test_overlap_busy(void **state)
{
	uint64_t tables, allocs;

	assert_int_equal(ept_map(&E, 2 * MB2, 0x40000000, MB2, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, 8 * MB2 + 5 * KB4, 0x7000, KB4, EPT_R), HV_OK);
	tables = E.tables;
	allocs = pool.allocs;

	/* Ends inside the 2 MiB page. */
	assert_int_equal(ept_map(&E, 2 * MB2 - KB4, 0, 2 * KB4, RWX_WB), HV_EBUSY);
	/* Starts inside it. */
	assert_int_equal(ept_map(&E, 3 * MB2 - KB4, 0, MB2, RWX_WB), HV_EBUSY);
	/* Covers it. */
	assert_int_equal(ept_map(&E, 0, 0, GB1, RWX_WB), HV_EBUSY);
	/* Only the last page of a long range is mapped. */
	assert_int_equal(ept_map(&E, 6 * MB2, 0, 2 * MB2 + 6 * KB4, RWX_WB), HV_EBUSY);
	/* Exactly the same. */
	assert_int_equal(ept_map(&E, 8 * MB2 + 5 * KB4, 0x7000, KB4, EPT_R), HV_EBUSY);

	assert_int_equal(E.tables, tables);
	assert_int_equal(pool.allocs, allocs);
	expect_unmapped(2 * MB2 - KB4);
	expect_unmapped(3 * MB2);
	expect_unmapped(0);
	expect_unmapped(6 * MB2);
	expect_unmapped(8 * MB2 + 4 * KB4);
	expect_map(2 * MB2, 0x40000000, MB2, RWX_WB);
	expect_map(8 * MB2 + 5 * KB4, 0x7000, KB4, EPT_R);

	/* Right next to existing mappings is fine. */
	assert_int_equal(ept_map(&E, MB2, 0, MB2, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, 8 * MB2, 0, 5 * KB4, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, 8 * MB2 + 6 * KB4, 0, KB4, RWX_WB), HV_OK);
}

/* --- unmap ------------------------------------------------------------------ */

static void test_unmap_4k_in_2m(void **state)
{
	uint64_t fl = EPT_R | EPT_X | EPT_MT_WT | EPT_IGNORE_PAT;
	gpa_t hole = 2 * MB2 + 0x37000;

	assert_int_equal(ept_map(&E, 2 * MB2, 0x40000000, MB2, fl), HV_OK);
	assert_int_equal(E.tables, 3);
	assert_int_equal(ept_unmap(&E, hole, KB4), HV_OK);
	assert_int_equal(E.tables, 4);   /* the new PT */
	expect_unmapped(hole);
	expect_unmapped(hole + KB4 - 1);
	expect_range(2 * MB2, 0x40000000, hole - 2 * MB2, KB4, fl);
	expect_range(hole + KB4, 0x40000000 + 0x38000, 3 * MB2 - hole - KB4, KB4, fl);

	/* Unmapping the same hole again, or any hole, is fine. */
	assert_int_equal(ept_unmap(&E, hole, KB4), HV_OK);
	assert_int_equal(ept_unmap(&E, 100 * GB1, GB1), HV_OK);
	assert_int_equal(E.tables, 4);
}

static void test_unmap_in_1g(void **state)
{
	gpa_t hole = GB1 + 5 * MB2 + 3 * KB4;
	paddr_t hpa = 8 * GB1;

	assert_int_equal(ept_map(&E, GB1, hpa, GB1, RWX_WB), HV_OK);
	assert_int_equal(E.tables, 2);
	assert_int_equal(ept_unmap(&E, hole, 2 * KB4), HV_OK);
	assert_int_equal(E.tables, 4);   /* a PD and a PT */
	expect_unmapped(hole);
	expect_unmapped(hole + KB4);
	expect_range(GB1 + 5 * MB2, hpa + 5 * MB2, 3 * KB4, KB4, RWX_WB);
	expect_range(hole + 2 * KB4, hpa + (hole + 2 * KB4 - GB1), 6 * MB2 - (hole + 2 * KB4 - GB1),
		     KB4, RWX_WB);
	for (uint64_t off = 0; off < GB1; off += MB2)
		if (off != 5 * MB2)
			expect_map(GB1 + off + 0x1234, hpa + off + 0x1234, MB2, RWX_WB);

	/* A whole 2 MiB piece of the former 1 GiB page needs no PT. */
	assert_int_equal(ept_unmap(&E, GB1 + 7 * MB2, MB2), HV_OK);
	assert_int_equal(E.tables, 4);
	expect_unmapped(GB1 + 7 * MB2);
	expect_map(GB1 + 8 * MB2, hpa + 8 * MB2, MB2, RWX_WB);
}

/* A range that starts and ends inside large pages, with holes between. */
static void test_unmap_across(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x40000000, 2 * MB2, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, 4 * MB2, 0x80000000, MB2, EPT_R | EPT_MT_UC), HV_OK);
	assert_int_equal(ept_unmap(&E, MB2 - KB4, 3 * MB2 + 3 * KB4), HV_OK);
	expect_map(0, 0x40000000, KB4, RWX_WB);
	expect_map(MB2 - 2 * KB4, 0x40000000 + MB2 - 2 * KB4, KB4, RWX_WB);
	expect_unmapped(MB2 - KB4);
	expect_unmapped(MB2);
	expect_unmapped(4 * MB2 + KB4);
	expect_map(4 * MB2 + 2 * KB4, 0x80000000 + 2 * KB4, KB4, EPT_R | EPT_MT_UC);
	expect_map(5 * MB2 - KB4, 0x80000000 + MB2 - KB4, KB4, EPT_R | EPT_MT_UC);
	check_no_leak();
}

/* Unmapping everything frees every table but the PML4. */
static void test_unmap_prunes(void **state)
{
	assert_int_equal(ept_map(&E, 0x7f0000000000, 0x5000, 3 * KB4, EPT_R), HV_OK);
	assert_int_equal(ept_map(&E, 3 * GB1 + MB2, 0x40000000, 2 * MB2 + KB4, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, 5 * GB1, 0, GB1, RWX_WB), HV_OK);
	assert_int_equal(ept_unmap(&E, 5 * GB1 + KB4, KB4), HV_OK);
	assert_true(E.tables > 4);
	/* Part of the first range only: its tables stay. */
	assert_int_equal(ept_unmap(&E, 0x7f0000000000, KB4), HV_OK);
	assert_int_equal(ept_unmap(&E, 0x7f0000000000 + 2 * KB4, KB4), HV_OK);
	expect_map(0x7f0000000000 + KB4, 0x6000, KB4, EPT_R);
	assert_int_equal(ept_unmap(&E, 0, EPT_GPA_LIMIT), HV_OK);
	assert_int_equal(E.tables, 1);
	check_no_leak();
	expect_unmapped(0x7f0000000000 + KB4);
	expect_unmapped(3 * GB1 + MB2);
	expect_unmapped(5 * GB1);
	/* And the same addresses can be mapped again. */
	assert_int_equal(ept_map(&E, 3 * GB1, 0, GB1, RWX_WB), HV_OK);
	expect_map(3 * GB1, 0, GB1, RWX_WB);
}

/* --- protect ---------------------------------------------------------------- */

static void test_protect_splits(void **state)
{
	uint64_t ro = EPT_R | EPT_MT_WB;
	gpa_t page = 2 * MB2 + 0x10000;

	assert_int_equal(ept_map(&E, 2 * MB2, 0x40000000, MB2, RWX_WB), HV_OK);
	assert_int_equal(ept_protect(&E, page, KB4, EPT_R), HV_OK);
	assert_int_equal(E.tables, 4);
	expect_map(page, 0x40010000, KB4, ro);
	expect_map(page - KB4, 0x4000f000, KB4, RWX_WB);
	expect_map(page + KB4, 0x40011000, KB4, RWX_WB);
	expect_range(2 * MB2, 0x40000000, 0x10000, KB4, RWX_WB);
	expect_range(page + KB4, 0x40011000, 3 * MB2 - page - KB4, KB4, RWX_WB);

	/* Back to RWX: the translation is what it was, in 4 KiB pages. */
	assert_int_equal(ept_protect(&E, page, KB4, EPT_RWX), HV_OK);
	expect_range(2 * MB2, 0x40000000, MB2, KB4, RWX_WB);
}

static void test_protect_1g_edges(void **state)
{
	uint64_t rx = EPT_R | EPT_X | EPT_MT_WB;

	assert_int_equal(ept_map(&E, 0, 0, 2 * GB1, RWX_WB), HV_OK);
	/* From 4 KiB below a 2 MiB boundary in the first 1 GiB page to 4 KiB
	 * past one in the second. */
	assert_int_equal(ept_protect(&E, 3 * MB2 - KB4, GB1 + 2 * KB4 - 3 * MB2, EPT_R | EPT_X), HV_OK);
	expect_map(3 * MB2 - 2 * KB4, 3 * MB2 - 2 * KB4, KB4, RWX_WB);
	expect_map(3 * MB2 - KB4, 3 * MB2 - KB4, KB4, rx);
	expect_map(3 * MB2, 3 * MB2, MB2, rx);
	expect_map(GB1 - 1, GB1 - 1, MB2, rx);
	expect_map(GB1, GB1, KB4, rx);
	expect_map(GB1 + KB4, GB1 + KB4, KB4, RWX_WB);
	expect_map(GB1 + MB2, GB1 + MB2, MB2, RWX_WB);
	expect_map(2 * MB2, 2 * MB2, KB4, RWX_WB);
	expect_map(MB2, MB2, MB2, RWX_WB);

	/* An aligned range keeps its large page; holes are skipped. */
	assert_int_equal(ept_map(&E, 4 * GB1, 4 * GB1, GB1, RWX_WB), HV_OK);
	assert_int_equal(ept_protect(&E, 3 * GB1, 3 * GB1, EPT_R), HV_OK);
	expect_map(4 * GB1, 4 * GB1, GB1, EPT_R | EPT_MT_WB);
	expect_unmapped(3 * GB1);
}

/* A/D bits set by the CPU survive splits and protect; translate reports
 * them. */
static void test_accessed_dirty_kept(void **state)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)E.pml4, *pdpt, *pd;

	assert_int_equal(ept_map(&E, 0, 0x40000000, MB2, RWX_WB), HV_OK);
	pdpt = (uint64_t *)(uintptr_t)(pml4[0] & EPT_ADDR_MASK);
	pd = (uint64_t *)(uintptr_t)(pdpt[0] & EPT_ADDR_MASK);
	assert_int_equal(pd[0], 0x40000000 | RWX_WB | EPT_LARGE);
	pd[0] |= EPT_ACCESSED | EPT_DIRTY;   /* as the CPU would */
	expect_map(0x5000, 0x40005000, MB2, RWX_WB | EPT_ACCESSED | EPT_DIRTY);
	assert_int_equal(ept_protect(&E, 0x5000, KB4, EPT_R), HV_OK);
	expect_map(0x5000, 0x40005000, KB4, EPT_R | EPT_MT_WB | EPT_ACCESSED | EPT_DIRTY);
	expect_map(0x6000, 0x40006000, KB4, RWX_WB | EPT_ACCESSED | EPT_DIRTY);
	/* Non-leaf entries get R|W|X and nothing else. */
	assert_int_equal(pd[0] & ~EPT_ADDR_MASK, EPT_RWX);
	assert_int_equal(pml4[0] & ~EPT_ADDR_MASK, EPT_RWX);
	/* The PTEs made by the split have bit 7 clear. */
	uint64_t *pt = (uint64_t *)(uintptr_t)(pd[0] & EPT_ADDR_MASK);
	for (int i = 0; i < 512; i++)
		assert_int_equal(pt[i] & EPT_LARGE, 0);
}

/* --- dirty flags -------------------------------------------------------------- */

/* The leaf entry that maps gpa (any level). */
static uint64_t *leaf_of(gpa_t gpa)
{
	uint64_t *t = (uint64_t *)(uintptr_t)E.pml4;

	for (int level = 4; level >= 1; level--) {
		uint64_t *entry = &t[(gpa >> (12 + 9 * (level - 1))) & 511];

		assert_true(*entry & EPT_RWX);
		if (level == 1 || (*entry & EPT_LARGE))
			return entry;
		t = (uint64_t *)(uintptr_t)(*entry & EPT_ADDR_MASK);
	}
	return NULL;
}

/* ept_split_small: every page of the range 4 KiB, translating as before. */
static void test_split_small(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x40000000, GB1 + MB2 + KB4, RWX_WB), HV_OK);
	expect_map(0, 0x40000000, GB1, RWX_WB);
	expect_map(GB1, 0x80000000, MB2, RWX_WB);
	assert_int_equal(ept_split_small(&E, 0, GB1 + MB2 + KB4), HV_OK);
	for (uint64_t off = 0; off < GB1 + MB2 + KB4; off += MB2 / 2 + KB4)
		expect_map(off, 0x40000000 + off, KB4, RWX_WB);
	expect_map(GB1 + MB2, 0x40000000 + GB1 + MB2, KB4, RWX_WB);
	/* PML4, PDPT; the first GiB's PD and 512 PTs; the second's PD, the
	 * PT of its 2 MiB page and that of the 4 KiB page after it. */
	assert_int_equal(E.tables, 1 + 1 + (1 + 512) + (1 + 1 + 1));
	/* Again: nothing left to split. */
	assert_int_equal(ept_split_small(&E, 0, GB1 + MB2 + KB4), HV_OK);
	assert_int_equal(E.tables, 1 + 1 + (1 + 512) + (1 + 1 + 1));
	assert_int_equal(ept_split_small(&E, 0x123, KB4), HV_EINVAL);
}

/* A split that runs out of table pages stops; what it split translates
 * as before, and nothing leaks. */
static void test_split_small_failure(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x40000000, 4 * MB2, RWX_WB), HV_OK);
	fail_after(2);
	assert_int_equal(ept_split_small(&E, 0, 4 * MB2), HV_ENOMEM);
	fail_after(NO_LIMIT);
	expect_map(0, 0x40000000, KB4, RWX_WB);
	expect_map(MB2, 0x40000000 + MB2, KB4, RWX_WB);
	expect_map(2 * MB2, 0x40000000 + 2 * MB2, MB2, RWX_WB);
	check_no_leak();
}

static uint64_t seen[1024];
static unsigned nseen;

static void note_page(void *arg, gpa_t gpa)
{
	assert_ptr_equal(arg, &nseen);
	assert_true(nseen < 1024);
	seen[nseen++] = gpa;
}

/* ept_scan_dirty: each leaf the CPU marked dirty is reported, page by
 * page, and its flag cleared (accessed kept); a large one whole. */
static void test_scan_dirty(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x40000000, 4 * KB4, RWX_WB), HV_OK);
	assert_int_equal(ept_map(&E, MB2, 0x40200000, MB2, RWX_WB), HV_OK);
	*leaf_of(KB4) |= EPT_ACCESSED | EPT_DIRTY;     /* as the CPU would */
	*leaf_of(3 * KB4) |= EPT_ACCESSED | EPT_DIRTY;
	*leaf_of(2 * KB4) |= EPT_ACCESSED;             /* read, not written */
	*leaf_of(MB2) |= EPT_ACCESSED | EPT_DIRTY;
	nseen = 0;
	assert_int_equal(ept_scan_dirty(&E, 0, 2 * MB2, note_page, &nseen), 2 + 512);
	assert_int_equal(nseen, 2 + 512);
	assert_int_equal(seen[0], KB4);
	assert_int_equal(seen[1], 3 * KB4);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(seen[2 + i], MB2 + i * KB4);
	expect_map(KB4, 0x40001000, KB4, RWX_WB | EPT_ACCESSED);
	expect_map(MB2, 0x40200000, MB2, RWX_WB | EPT_ACCESSED);
	/* Cleared: a second scan finds nothing until the CPU writes again. */
	nseen = 0;
	assert_int_equal(ept_scan_dirty(&E, 0, 2 * MB2, note_page, &nseen), 0);
	*leaf_of(0) |= EPT_DIRTY;
	assert_int_equal(ept_scan_dirty(&E, 0, KB4, note_page, &nseen), 1);
	assert_int_equal(seen[0], 0);
	/* Only the range is scanned. */
	*leaf_of(3 * KB4) |= EPT_DIRTY;
	assert_int_equal(ept_scan_dirty(&E, 0, 3 * KB4, note_page, &nseen), 1 - 1);
	assert_int_equal(ept_scan_dirty(&E, 0x123, KB4, note_page, &nseen), 0);
}

/* ept_clear_dirty: one page's flag, said whether it was set. */
static void test_clear_dirty(void **state)
{
	assert_int_equal(ept_map(&E, 0, 0x40000000, 2 * KB4, RWX_WB), HV_OK);
	*leaf_of(KB4) |= EPT_ACCESSED | EPT_DIRTY;
	assert_int_equal(ept_clear_dirty(&E, KB4 + 0x10), 1);
	assert_int_equal(ept_clear_dirty(&E, KB4), 0);
	assert_int_equal(ept_clear_dirty(&E, 0), 0);
	expect_map(KB4, 0x40001000, KB4, RWX_WB | EPT_ACCESSED);
	assert_int_equal(ept_clear_dirty(&E, 2 * KB4), HV_ENOENT);
	assert_int_equal(ept_clear_dirty(&E, EPT_GPA_LIMIT), HV_ERANGE);
}

/* --- allocation failure ------------------------------------------------------ */

/* Maps that need several tables, failing at every allocation in turn:
 * each failure must leave the tables and translations as they were. */
static void test_map_alloc_failure(void **state)
{
	/* 4 KiB pages across a 512 GiB boundary: new PDPT, PDs, PTs. */
	gpa_t gpa = (512 * GB1) - MB2 - 2 * KB4;
	uint64_t size = 2 * MB2 + 4 * KB4;
	paddr_t hpa = 0x1000;
	int err = HV_ENOMEM;
	uint64_t n;

	/* Share tables with an existing neighbour: rollback must keep them. */
	assert_int_equal(ept_map(&E, gpa - KB4, 0x9000, KB4, EPT_R), HV_OK);
	for (n = 0; err == HV_ENOMEM; n++) {
		uint64_t tables = E.tables;

		fail_after(n);
		err = ept_map(&E, gpa, hpa, size, RWX_WB);
		fail_after(NO_LIMIT);
		if (err == HV_OK)
			break;
		assert_int_equal(err, HV_ENOMEM);
		assert_int_equal(E.tables, tables);
		check_no_leak();
		for (uint64_t off = 0; off < size; off += KB4)
			expect_unmapped(gpa + off);
		expect_map(gpa - KB4, 0x9000, KB4, EPT_R);
	}
	assert_int_equal(err, HV_OK);
	assert_true(n >= 5);   /* it did fail at several points */
	expect_range(gpa, hpa, size, KB4, RWX_WB);
	expect_map(gpa - KB4, 0x9000, KB4, EPT_R);
	check_no_leak();
}

/* Same with large pages and an empty EPT. */
static void test_map_alloc_failure_large(void **state)
{
	gpa_t gpa = GB1 - MB2 - KB4;
	uint64_t size = KB4 + MB2 + 2 * GB1 + MB2 + KB4;
	int err = HV_ENOMEM;
	uint64_t n;

	for (n = 0; err == HV_ENOMEM; n++) {
		fail_after(n);
		err = ept_map(&E, gpa, gpa, size, RWX_WB);
		fail_after(NO_LIMIT);
		if (err == HV_OK)
			break;
		assert_int_equal(E.tables, 1);
		check_no_leak();
		expect_unmapped(gpa);
		expect_unmapped(GB1);
	}
	assert_int_equal(err, HV_OK);
	expect_map(gpa, gpa, KB4, RWX_WB);
	expect_map(GB1 - MB2, GB1 - MB2, MB2, RWX_WB);
	expect_map(2 * GB1, 2 * GB1, GB1, RWX_WB);
	expect_map(3 * GB1, 3 * GB1, MB2, RWX_WB);
	expect_map(3 * GB1 + MB2, 3 * GB1 + MB2, KB4, RWX_WB);
}

/* The 1 GiB page at GB1 maps hpa 0 with RWX_WB, whatever page sizes it
 * has been split into. */
static void expect_1g_intact(void)
{
	for (uint64_t off = 0; off < GB1; off += KB4 * 37) {
		paddr_t h;
		uint64_t f;

		assert_int_equal(ept_translate(&E, GB1 + off, &h, &f, NULL), HV_OK);
		assert_int_equal(h, off);
		assert_int_equal(f, RWX_WB);
	}
}

/* A split that cannot get its table changes no translation.  Both ends of
 * the range lie inside 2 MiB pieces of one 1 GiB page: three splits. */
static void test_split_alloc_failure(void **state)
{
	gpa_t gpa = GB1 + MB2 + KB4;
	uint64_t size = 4 * MB2;

	for (int op = 0; op < 2; op++) {
		int err = HV_ENOMEM;
		uint64_t n;

		for (n = 0; err == HV_ENOMEM; n++) {
			reinit(ALL_LARGE);
			assert_int_equal(ept_map(&E, GB1, 0, GB1, RWX_WB), HV_OK);
			fail_after(n);
			err = op ? ept_protect(&E, gpa, size, EPT_R) : ept_unmap(&E, gpa, size);
			fail_after(NO_LIMIT);
			if (err == HV_OK)
				break;
			assert_int_equal(err, HV_ENOMEM);
			check_no_leak();
			expect_1g_intact();
		}
		assert_int_equal(n, 3);
		assert_int_equal(E.tables, 2 + 3);
		expect_map(gpa - KB4, MB2, KB4, RWX_WB);
		expect_map(gpa + size, 5 * MB2 + KB4, KB4, RWX_WB);
		expect_map(GB1 + 6 * MB2, 6 * MB2, MB2, RWX_WB);
		expect_map(GB1, 0, MB2, RWX_WB);
		if (op) {
			expect_map(gpa, MB2 + KB4, KB4, EPT_R | EPT_MT_WB);
			expect_map(GB1 + 2 * MB2, 2 * MB2, MB2, EPT_R | EPT_MT_WB);
			expect_map(gpa + size - KB4, 5 * MB2, KB4, EPT_R | EPT_MT_WB);
		} else {
			expect_unmapped(gpa);
			expect_unmapped(GB1 + 2 * MB2);
			expect_unmapped(gpa + size - KB4);
		}
	}
}

/* --- misconfiguration ---------------------------------------------------------- */

static void test_misconfigured(void **state)
{
	uint64_t addr = 0x123456000;

	/* W without R, at every level, also with X. */
	for (int level = 1; level <= 4; level++) {
		assert_true(ept_entry_misconfigured(addr | EPT_W, level));
		assert_true(ept_entry_misconfigured(addr | EPT_W | EPT_X, level));
	}
	/* Reserved memory types in a leaf. */
	assert_true(ept_entry_misconfigured(addr | EPT_R | (2ULL << 3), 1));
	assert_true(ept_entry_misconfigured(addr | EPT_R | (3ULL << 3), 1));
	assert_true(ept_entry_misconfigured(addr | EPT_R | (7ULL << 3), 1));
	assert_true(ept_entry_misconfigured(0x40000000 | EPT_R | EPT_LARGE | (2ULL << 3), 3));
	assert_true(ept_entry_misconfigured(0x200000 | EPT_R | EPT_LARGE | (7ULL << 3), 2));
	assert_false(ept_entry_misconfigured(addr | RWX_WB, 1));
	assert_false(ept_entry_misconfigured(addr | EPT_R | EPT_MT_UC | EPT_IGNORE_PAT, 1));
	assert_false(ept_entry_misconfigured(addr | EPT_R | EPT_X | EPT_MT_WP | EPT_ACCESSED |
					     EPT_DIRTY, 1));
	/* Bit 7 is ignored in a PTE. */
	assert_false(ept_entry_misconfigured(addr | RWX_WB | EPT_LARGE, 1));
	/* Non-leaf entries: bits 7:3 reserved; bit 7 of a PML4E too. */
	assert_false(ept_entry_misconfigured(addr | EPT_RWX | EPT_ACCESSED, 4));
	assert_false(ept_entry_misconfigured(addr | EPT_RWX, 2));
	assert_true(ept_entry_misconfigured(addr | EPT_RWX | EPT_MT_WB, 2));
	assert_true(ept_entry_misconfigured(addr | EPT_RWX | EPT_LARGE, 4));
	assert_true(ept_entry_misconfigured(addr | EPT_RWX | EPT_IGNORE_PAT, 3));
	/* Large pages: the address bits below the frame are reserved. */
	assert_false(ept_entry_misconfigured(0x40000000 | RWX_WB | EPT_LARGE, 3));
	assert_true(ept_entry_misconfigured(0x40001000 | RWX_WB | EPT_LARGE, 3));
	assert_true(ept_entry_misconfigured(0x60000000 | RWX_WB | EPT_LARGE, 3));
	assert_false(ept_entry_misconfigured(0x60000000 | RWX_WB | EPT_LARGE, 2));
	assert_true(ept_entry_misconfigured(0x60001000 | RWX_WB | EPT_LARGE, 2));
	/* Not present: a violation, not a misconfiguration. */
	assert_false(ept_entry_misconfigured(addr | (2ULL << 3) | EPT_LARGE, 4));
	assert_false(ept_entry_misconfigured(0, 1));
	/* No such level. */
	assert_true(ept_entry_misconfigured(addr | RWX_WB, 0));
	assert_true(ept_entry_misconfigured(addr | RWX_WB, 5));
}

/* What ept_map() writes is never misconfigured. */
static void test_built_entries_valid(void **state)
{
	const uint64_t *pml4 = (const uint64_t *)(uintptr_t)E.pml4;

	assert_int_equal(ept_map(&E, GB1 - MB2 - KB4, GB1 - MB2 - KB4, KB4 + MB2 + GB1,
				 EPT_R | EPT_MT_WC | EPT_IGNORE_PAT), HV_OK);
	assert_int_equal(ept_protect(&E, GB1 + KB4, KB4, EPT_R | EPT_X), HV_OK);
	for (int i = 0; i < 512; i++) {
		if (!pml4[i])
			continue;
		assert_false(ept_entry_misconfigured(pml4[i], 4));
		const uint64_t *pdpt = (const uint64_t *)(uintptr_t)(pml4[i] & EPT_ADDR_MASK);
		for (int j = 0; j < 512; j++) {
			if (!pdpt[j])
				continue;
			assert_false(ept_entry_misconfigured(pdpt[j], 3));
			if (pdpt[j] & EPT_LARGE)
				continue;
			const uint64_t *pd = (const uint64_t *)(uintptr_t)(pdpt[j] & EPT_ADDR_MASK);
			for (int k = 0; k < 512; k++) {
				if (!pd[k])
					continue;
				assert_false(ept_entry_misconfigured(pd[k], 2));
				if (pd[k] & EPT_LARGE)
					continue;
				const uint64_t *pt = (const uint64_t *)(uintptr_t)(pd[k] & EPT_ADDR_MASK);
				for (int l = 0; l < 512; l++)
					if (pt[l])
						assert_false(ept_entry_misconfigured(pt[l], 1));
			}
		}
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init),
		T(test_destroy_frees_all),
		T(test_pointer),
		T(test_map_4k),
		T(test_map_2m),
		T(test_map_1g),
		T(test_unaligned_hpa),
		T(test_unaligned_gpa),
		T(test_mixed_sizes),
		T(test_large_ok_masked),
		T(test_address_limits),
		T(test_bad_arguments),
		T(test_overlap_busy),
		T(test_unmap_4k_in_2m),
		T(test_unmap_in_1g),
		T(test_unmap_across),
		T(test_unmap_prunes),
		T(test_protect_splits),
		T(test_protect_1g_edges),
		T(test_accessed_dirty_kept),
		T(test_split_small),
		T(test_split_small_failure),
		T(test_scan_dirty),
		T(test_clear_dirty),
		T(test_map_alloc_failure),
		T(test_map_alloc_failure_large),
		T(test_split_alloc_failure),
		T(test_misconfigured),
		T(test_built_entries_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
