/* EPT builder (SDM Vol. 3C 29.3).  Table pages are reached only through
 * e->ops, so this file has no privileged code and no libc and runs
 * unchanged in host unit tests.
 *
 * Changes are made so that a failure leaves the mapping as it was:
 *  - ept_map() first checks the whole range is free, then maps; if a table
 *    allocation fails it unmaps what it mapped and frees the tables it
 *    emptied, which are exactly those it allocated (no other table is
 *    empty, see ept.h);
 *  - ept_unmap() and ept_protect() first split the large pages straddling
 *    the ends of the range.  A split translates exactly as before, so a
 *    failed split changes nothing visible; after the splits every leaf in
 *    the range lies wholly inside it and the change needs no allocation. */
#include <arch/ept.h>
#include <hv/errno.h>

#define EPT_LEVELS   4
#define EPT_ENTRIES  512
#define EPT_HPA_LIMIT (1ULL << 52)   /* entries hold address bits 51:12 */

/* What a leaf keeps when it is split: everything but the address. */
#define EPT_LEAF_ATTRS (~EPT_ADDR_MASK)
/* What ept_translate() reports of a leaf. */
#define EPT_LEAF_FLAGS (EPT_RWX | EPT_MT_MASK | EPT_IGNORE_PAT | EPT_ACCESSED | EPT_DIRTY)
/* What a caller may pass to ept_map(). */
#define EPT_MAP_FLAGS  (EPT_RWX | EPT_MT_MASK | EPT_IGNORE_PAT)

/* Fixed reserved bits (tables 29-1..29-6): 7:3 of entries that reference
 * a table, and the address bits below a large page's frame. */
#define EPT_RSVD_TABLE (0x1fULL << 3)
#define EPT_RSVD_1G    (((1ULL << 30) - 1) & ~(PAGE_SIZE - 1))
#define EPT_RSVD_2M    (((1ULL << 21) - 1) & ~(PAGE_SIZE - 1))

/* EPTP (SDM 25.6.11): memory type in 2:0, walk length minus 1 in 5:3. */
#define EPTP_MT_WB      6ULL
#define EPTP_WALK_4     ((uint64_t)(EPT_LEVELS - 1) << 3)
#define EPTP_AD_ENABLE  BIT(6)

/* Size of the region one entry at this level covers. */
static uint64_t level_size(int level)
{
	return 1ULL << (PAGE_SHIFT + 9 * (level - 1));
}

static unsigned index_of(gpa_t gpa, int level)
{
	return (unsigned)(gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (EPT_ENTRIES - 1);
}

/* An entry is present if any of bits 2:0 is set (29.3.2). */
static bool present(uint64_t entry)
{
	return (entry & EPT_RWX) != 0;
}

/* PTEs are always leaves; PDPTEs and PDEs are when bit 7 is set; bit 7 of
 * a PML4E is reserved. */
static bool is_leaf(uint64_t entry, int level)
{
	return level == 1 || (level <= 3 && (entry & EPT_LARGE));
}

static uint64_t *table_at(const struct ept *e, paddr_t pa)
{
	return e->ops.map(e->ops.ctx, pa);
}

static uint64_t *child_of(const struct ept *e, uint64_t entry)
{
	return table_at(e, entry & EPT_ADDR_MASK);
}

static bool aligned(uint64_t v, uint64_t a)
{
	return (v & (a - 1)) == 0;
}

/* [gpa, gpa + size) is 4 KiB aligned and inside the 48-bit space. */
static int check_range(gpa_t gpa, uint64_t size)
{
	if (!aligned(gpa, PAGE_SIZE) || !aligned(size, PAGE_SIZE))
		return HV_EINVAL;
	if (gpa > EPT_GPA_LIMIT || size > EPT_GPA_LIMIT - gpa)
		return HV_ERANGE;
	return HV_OK;
}

/* W without R is a misconfiguration (29.3.3.1); no permission at all would
 * make the entry not present. */
static bool perms_valid(uint64_t perms)
{
	return perms != 0 && (perms & ~EPT_RWX) == 0 &&
	       !((perms & EPT_W) && !(perms & EPT_R));
}

/* Memory types 2, 3 and 7 are reserved (29.3.7). */
static bool memtype_valid(uint64_t entry)
{
	uint64_t mt = (entry & EPT_MT_MASK) >> EPT_MT_SHIFT;

	return mt != 2 && mt != 3 && mt != 7;
}

static int alloc_table(struct ept *e, paddr_t *pa)
{
	int err = e->ops.alloc_table(e->ops.ctx, pa);

	if (err)
		return err;
	e->tables++;
	return HV_OK;
}

static void free_table(struct ept *e, paddr_t pa)
{
	e->ops.free_table(e->ops.ctx, pa);
	e->tables--;
}

static bool table_empty(const uint64_t *t)
{
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		if (t[i])
			return false;
	return true;
}

/* --- walking a range ----------------------------------------------------- */

/* Called for each present leaf that overlaps the walked range. */
typedef void (*leaf_fn)(uint64_t *entry, void *arg);

/* Visit the leaves overlapping [gpa, end) under the table at pa.  With
 * prune, child tables left empty are freed (the table at pa itself is the
 * caller's).  Never allocates, so it cannot fail. */
static void walk_range(struct ept *e, paddr_t pa, int level, gpa_t gpa, gpa_t end,
		       leaf_fn fn, void *arg, bool prune)
{
	uint64_t *t = table_at(e, pa);
	uint64_t size = level_size(level);

	for (unsigned i = index_of(gpa, level); gpa < end && i < EPT_ENTRIES; i++) {
		gpa_t next = MIN(ALIGN_DOWN(gpa, size) + size, end);
		uint64_t entry = t[i];

		if (!present(entry)) {
			gpa = next;
			continue;
		}
		if (is_leaf(entry, level)) {
			fn(&t[i], arg);
			gpa = next;
			continue;
		}
		walk_range(e, entry & EPT_ADDR_MASK, level - 1, gpa, next, fn, arg, prune);
		if (prune && table_empty(child_of(e, entry))) {
			t[i] = 0;
			free_table(e, entry & EPT_ADDR_MASK);
		}
		gpa = next;
	}
}

static void leaf_busy(uint64_t *entry, void *arg)
{
	UNUSED(entry);
	*(bool *)arg = true;
}

static void leaf_clear(uint64_t *entry, void *arg)
{
	UNUSED(arg);
	*entry = 0;
}

static void leaf_set_perms(uint64_t *entry, void *arg)
{
	*entry = (*entry & ~EPT_RWX) | *(const uint64_t *)arg;
}

static bool range_mapped(struct ept *e, gpa_t gpa, gpa_t end)
{
	bool busy = false;

	walk_range(e, e->pml4, EPT_LEVELS, gpa, end, leaf_busy, &busy, false);
	return busy;
}

/* Remove every leaf in [gpa, end) and free emptied tables.  Leaves must lie
 * wholly inside the range (ensured by split_at() or by construction). */
static void clear_range(struct ept *e, gpa_t gpa, gpa_t end)
{
	walk_range(e, e->pml4, EPT_LEVELS, gpa, end, leaf_clear, NULL, true);
}

/* --- splitting large pages ----------------------------------------------- */

/* Replace the large leaf *entry at level by a table of 512 leaves one level
 * down that map the same memory with the same attributes. */
static int split_leaf(struct ept *e, uint64_t *entry, int level)
{
	uint64_t sub = level_size(level - 1);
	uint64_t base = *entry & EPT_ADDR_MASK;
	uint64_t attrs = *entry & EPT_LEAF_ATTRS;
	uint64_t *t;
	paddr_t pa;
	int err = alloc_table(e, &pa);

	if (err)
		return err;
	if (level - 1 == 1)
		attrs &= ~EPT_LARGE;   /* bit 7 of a PTE is ignored: keep it 0 */
	t = table_at(e, pa);
	for (unsigned i = 0; i < EPT_ENTRIES; i++)
		t[i] = (base + i * sub) | attrs;
	/* Permissions are decided at the leaf: the new table gets R|W|X. */
	*entry = pa | EPT_RWX;
	return HV_OK;
}

/* Make addr the start of a leaf (or of a hole) by splitting the large
 * pages that contain it without starting there. */
static int split_at(struct ept *e, gpa_t addr)
{
	uint64_t *t = table_at(e, e->pml4);

	if (addr >= EPT_GPA_LIMIT)
		return HV_OK;
	for (int level = EPT_LEVELS; level > 1; level--) {
		uint64_t *entry = &t[index_of(addr, level)];
		int err;

		if (!present(*entry))
			return HV_OK;
		if (is_leaf(*entry, level)) {
			if (aligned(addr, level_size(level)))
				return HV_OK;
			err = split_leaf(e, entry, level);
			if (err)
				return err;
		}
		t = child_of(e, *entry);
	}
	return HV_OK;
}

static int split_edges(struct ept *e, gpa_t gpa, gpa_t end)
{
	int err = split_at(e, gpa);

	return err ? err : split_at(e, end);
}

/* --- mapping -------------------------------------------------------------- */

/* The largest page that fits at gpa -> hpa with remaining bytes left. */
static int pick_level(const struct ept *e, gpa_t gpa, paddr_t hpa, uint64_t remaining)
{
	for (int level = 3; level > 1; level--) {
		uint64_t size = level_size(level);
		unsigned allow = level == 3 ? EPT_ALLOW_1G : EPT_ALLOW_2M;

		if ((e->large_ok & allow) && aligned(gpa | hpa, size) && remaining >= size)
			return level;
	}
	return 1;
}

/* The entry at level for gpa, allocating the tables above it.  The caller
 * has checked that gpa is not mapped. */
static int walk_alloc(struct ept *e, gpa_t gpa, int level, uint64_t **slot)
{
	uint64_t *t = table_at(e, e->pml4);

	for (int l = EPT_LEVELS; l > level; l--) {
		uint64_t *entry = &t[index_of(gpa, l)];

		if (!present(*entry)) {
			paddr_t pa;
			int err = alloc_table(e, &pa);

			if (err)
				return err;
			*entry = pa | EPT_RWX;
		} else if (is_leaf(*entry, l)) {
			return HV_EBUSY;
		}
		t = child_of(e, *entry);
	}
	*slot = &t[index_of(gpa, level)];
	return **slot ? HV_EBUSY : HV_OK;
}

static int map_pages(struct ept *e, gpa_t gpa, paddr_t hpa, gpa_t end, uint64_t flags)
{
	while (gpa < end) {
		int level = pick_level(e, gpa, hpa, end - gpa);
		uint64_t *slot;
		int err = walk_alloc(e, gpa, level, &slot);

		if (err)
			return err;
		*slot = hpa | flags | (level > 1 ? EPT_LARGE : 0);
		gpa += level_size(level);
		hpa += level_size(level);
	}
	return HV_OK;
}

static int check_flags(uint64_t flags)
{
	if (flags & ~EPT_MAP_FLAGS)
		return HV_EINVAL;
	if (!perms_valid(flags & EPT_RWX) || !memtype_valid(flags))
		return HV_EINVAL;
	return HV_OK;
}

/* --- the API --------------------------------------------------------------- */

int ept_init(struct ept *e, const struct ept_ops *ops, unsigned large_ok)
{
	paddr_t pml4;
	int err;

	if (!ops || !ops->alloc_table || !ops->free_table || !ops->map)
		return HV_EINVAL;
	if (large_ok & ~(EPT_ALLOW_2M | EPT_ALLOW_1G))
		return HV_EINVAL;
	if (!(large_ok & EPT_ALLOW_2M))
		large_ok = 0;   /* see ept.h: no 1 GiB pages without 2 MiB ones */
	e->ops = *ops;
	e->large_ok = large_ok;
	e->tables = 0;
	e->pml4 = 0;
	err = alloc_table(e, &pml4);
	if (err)
		return err;
	e->pml4 = pml4;
	return HV_OK;
}

int ept_map(struct ept *e, gpa_t gpa, paddr_t hpa, uint64_t size, uint64_t flags)
{
	int err = check_range(gpa, size);

	if (err)
		return err;
	if (!aligned(hpa, PAGE_SIZE))
		return HV_EINVAL;
	if (hpa > EPT_HPA_LIMIT || size > EPT_HPA_LIMIT - hpa)
		return HV_ERANGE;
	err = check_flags(flags);
	if (err)
		return err;
	if (range_mapped(e, gpa, gpa + size))
		return HV_EBUSY;
	err = map_pages(e, gpa, hpa, gpa + size, flags);
	if (err)
		clear_range(e, gpa, gpa + size);
	return err;
}

int ept_unmap(struct ept *e, gpa_t gpa, uint64_t size)
{
	int err = check_range(gpa, size);

	if (err || size == 0)
		return err;
	err = split_edges(e, gpa, gpa + size);
	if (err)
		return err;
	clear_range(e, gpa, gpa + size);
	return HV_OK;
}

int ept_protect(struct ept *e, gpa_t gpa, uint64_t size, uint64_t perms)
{
	int err = check_range(gpa, size);

	if (err)
		return err;
	if (!perms_valid(perms))
		return HV_EINVAL;
	if (size == 0)
		return HV_OK;
	err = split_edges(e, gpa, gpa + size);
	if (err)
		return err;
	walk_range(e, e->pml4, EPT_LEVELS, gpa, gpa + size, leaf_set_perms, &perms, false);
	return HV_OK;
}

int ept_translate(const struct ept *e, gpa_t gpa, paddr_t *hpa, uint64_t *flags,
		  uint64_t *page_size)
{
	const uint64_t *t = table_at(e, e->pml4);

	if (gpa >= EPT_GPA_LIMIT)
		return HV_ERANGE;
	for (int level = EPT_LEVELS; level >= 1; level--) {
		uint64_t entry = t[index_of(gpa, level)];
		uint64_t size = level_size(level);

		if (!present(entry))
			return HV_ENOENT;
		if (!is_leaf(entry, level)) {
			t = child_of(e, entry);
			continue;
		}
		if (hpa)
			*hpa = (entry & EPT_ADDR_MASK & ~(size - 1)) | (gpa & (size - 1));
		if (flags)
			*flags = entry & EPT_LEAF_FLAGS;
		if (page_size)
			*page_size = size;
		return HV_OK;
	}
	return HV_ENOENT;   /* not reached: a PTE is always a leaf */
}

/* --- dirty flags (the dirty-page log, hv/dirty.h) ------------------------ */

/* Split every large leaf overlapping [gpa, end) under the table at pa. */
static int split_all(struct ept *e, paddr_t pa, int level, gpa_t gpa, gpa_t end)
{
	uint64_t *t = table_at(e, pa);
	uint64_t size = level_size(level);

	for (unsigned i = index_of(gpa, level); level > 1 && gpa < end && i < EPT_ENTRIES; i++) {
		gpa_t next = MIN(ALIGN_DOWN(gpa, size) + size, end);
		int err = HV_OK;

		if (present(t[i]) && is_leaf(t[i], level))
			err = split_leaf(e, &t[i], level);
		if (!err && present(t[i]))
			err = split_all(e, t[i] & EPT_ADDR_MASK, level - 1, gpa, next);
		if (err)
			return err;
		gpa = next;
	}
	return HV_OK;
}

int ept_split_small(struct ept *e, gpa_t gpa, uint64_t size)
{
	int err = check_range(gpa, size);

	return err ? err : split_all(e, e->pml4, EPT_LEVELS, gpa, gpa + size);
}

/* Clear the dirty flag with the CPU's own atomicity: it sets accessed
 * and dirty flags with locked writes (SDM 29.3.5), and a flag it sets
 * between a plain read and write would be lost. */
static bool take_dirty(uint64_t *entry)
{
	return (*entry & EPT_DIRTY) &&
	       (__atomic_fetch_and(entry, ~EPT_DIRTY, __ATOMIC_SEQ_CST) & EPT_DIRTY);
}

static uint64_t scan_dirty(struct ept *e, paddr_t pa, int level, gpa_t gpa, gpa_t end,
			   ept_page_fn fn, void *arg)
{
	uint64_t *t = table_at(e, pa);
	uint64_t size = level_size(level), n = 0;

	for (unsigned i = index_of(gpa, level); gpa < end && i < EPT_ENTRIES; i++) {
		gpa_t base = ALIGN_DOWN(gpa, size), next = MIN(base + size, end);

		if (present(t[i]) && !is_leaf(t[i], level))
			n += scan_dirty(e, t[i] & EPT_ADDR_MASK, level - 1, gpa, next, fn, arg);
		else if (present(t[i]) && take_dirty(&t[i]))
			for (gpa_t p = base; p < base + size; p += PAGE_SIZE, n++)
				fn(arg, p);
		gpa = next;
	}
	return n;
}

uint64_t ept_scan_dirty(struct ept *e, gpa_t gpa, uint64_t size, ept_page_fn fn, void *arg)
{
	if (check_range(gpa, size))
		return 0;
	return scan_dirty(e, e->pml4, EPT_LEVELS, gpa, gpa + size, fn, arg);
}

int ept_clear_dirty(struct ept *e, gpa_t gpa)
{
	uint64_t *t = table_at(e, e->pml4);

	if (gpa >= EPT_GPA_LIMIT)
		return HV_ERANGE;
	for (int level = EPT_LEVELS; level >= 1; level--) {
		uint64_t *entry = &t[index_of(gpa, level)];

		if (!present(*entry))
			return HV_ENOENT;
		if (is_leaf(*entry, level))
			return take_dirty(entry) ? 1 : 0;
		t = child_of(e, *entry);
	}
	return HV_ENOENT;   /* not reached: a PTE is always a leaf */
}

static void free_tree(struct ept *e, paddr_t pa, int level)
{
	const uint64_t *t = table_at(e, pa);

	for (unsigned i = 0; level > 1 && i < EPT_ENTRIES; i++)
		if (present(t[i]) && !is_leaf(t[i], level))
			free_tree(e, t[i] & EPT_ADDR_MASK, level - 1);
	free_table(e, pa);
}

void ept_destroy(struct ept *e)
{
	if (!e->pml4)
		return;
	free_tree(e, e->pml4, EPT_LEVELS);
	e->pml4 = 0;
}

uint64_t ept_pointer(const struct ept *e, bool ad_bits)
{
	return (e->pml4 & EPT_ADDR_MASK) | EPTP_MT_WB | EPTP_WALK_4 |
	       (ad_bits ? EPTP_AD_ENABLE : 0);
}

static uint64_t reserved_bits(uint64_t entry, int level)
{
	if (level == 4 || !is_leaf(entry, level))
		return EPT_RSVD_TABLE;
	if (level == 3)
		return EPT_RSVD_1G;
	if (level == 2)
		return EPT_RSVD_2M;
	return 0;
}

bool ept_entry_misconfigured(uint64_t entry, int level)
{
	if (level < 1 || level > EPT_LEVELS)
		return true;
	/* Write-only and write/execute (29.3.3.1, first bullet). */
	if ((entry & (EPT_R | EPT_W)) == EPT_W)
		return true;
	/* The other checks apply to present entries only; a non-present one
	 * causes an EPT violation instead. */
	if (!present(entry))
		return false;
	if (entry & reserved_bits(entry, level))
		return true;
	return is_leaf(entry, level) && !memtype_valid(entry);
}
