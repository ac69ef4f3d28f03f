/* EPT (extended page tables) builder, SDM Vol. 3C 29.3.  Pure logic: table
 * pages come from, and are reached through, caller-supplied operations, so
 * the same code runs in the hypervisor and in host unit tests.
 *
 * The tables use a 4-level walk (48-bit guest-physical addresses).  Levels
 * are numbered as the SDM's tables 29-1..29-6 walk them: 4 = PML4E,
 * 3 = PDPTE (may map 1 GiB), 2 = PDE (may map 2 MiB), 1 = PTE (4 KiB).
 *
 * Invariant kept by every call: apart from the PML4, no table page is empty
 * (unmap frees the tables it empties).
 *
 * Nothing here invalidates cached translations: after ept_unmap(),
 * ept_protect() or any change to a live EPT the caller must INVEPT
 * (SDM 29.4.3.1).  Not thread-safe: callers serialise changes. */
#ifndef ARCH_EPT_H
#define ARCH_EPT_H

#include <hv/types.h>

/* Entry bits (tables 29-1..29-6). */
#define EPT_R          BIT(0)
#define EPT_W          BIT(1)
#define EPT_X          BIT(2)
#define EPT_RWX        (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT   3
#define EPT_MT_MASK    (7ULL << EPT_MT_SHIFT)    /* leaf memory type, 5:3 */
#define EPT_MT_UC      (0ULL << EPT_MT_SHIFT)
#define EPT_MT_WC      (1ULL << EPT_MT_SHIFT)
#define EPT_MT_WT      (4ULL << EPT_MT_SHIFT)
#define EPT_MT_WP      (5ULL << EPT_MT_SHIFT)
#define EPT_MT_WB      (6ULL << EPT_MT_SHIFT)
#define EPT_IGNORE_PAT BIT(6)
#define EPT_LARGE      BIT(7)    /* PDPTE/PDE maps a 1 GiB/2 MiB page */
#define EPT_ACCESSED   BIT(8)
#define EPT_DIRTY      BIT(9)    /* leaves only */
#define EPT_ADDR_MASK  0x000ffffffffff000ULL     /* bits 51:12 */

/* Guest-physical addresses a 4-level walk covers. */
#define EPT_GPA_LIMIT  (1ULL << 48)

/* ept.large_ok: the large pages the CPU offers (IA32_VMX_EPT_VPID_CAP bits
 * 16 and 17, appendix A.10). */
#define EPT_ALLOW_2M   1u
#define EPT_ALLOW_1G   2u

struct ept_ops {
	/* A zeroed 4 KiB page; 0 or a negative HV_E* value. */
	int (*alloc_table)(void *ctx, paddr_t *pa);
	void (*free_table)(void *ctx, paddr_t pa);
	/* Pointer through which the hypervisor reads and writes a table page. */
	void *(*map)(void *ctx, paddr_t pa);
	void *ctx;
};

struct ept {
	paddr_t pml4;
	struct ept_ops ops;
	unsigned large_ok;   /* EPT_ALLOW_2M | EPT_ALLOW_1G */
	uint64_t tables;     /* table pages held, the PML4 included */
};

/* Allocate the PML4.  HV_EINVAL for missing ops or unknown large_ok bits.
 * 1 GiB pages are used only together with 2 MiB pages: splitting a 1 GiB
 * page makes 2 MiB ones (every CPU with the first has the second). */
int ept_init(struct ept *e, const struct ept_ops *ops, unsigned large_ok);

/* Map [gpa, gpa + size) to [hpa, hpa + size).  flags: EPT_R/W/X (some
 * permission, never W without R), an EPT_MT_* memory type and optionally
 * EPT_IGNORE_PAT.  Addresses and size 4 KiB aligned (HV_EINVAL); 1 GiB and
 * 2 MiB pages wherever gpa, hpa and the remaining size allow and large_ok
 * permits, 4 KiB pages elsewhere.  HV_ERANGE past EPT_GPA_LIMIT or past
 * 52-bit hpa; HV_EBUSY if any page of the range is already mapped.  On any
 * error nothing changed and no table page is kept.  size 0 does nothing. */
int ept_map(struct ept *e, gpa_t gpa, paddr_t hpa, uint64_t size, uint64_t flags);

/* Unmap [gpa, gpa + size); holes are fine.  A large page only partly in
 * the range is split so the rest keeps its mapping, permissions and memory
 * type.  Tables left empty are freed.  HV_ENOMEM if a split fails: then
 * nothing is unmapped (a split already done translates as before). */
int ept_unmap(struct ept *e, gpa_t gpa, uint64_t size);

/* Set the R/W/X permissions of every mapped page in [gpa, gpa + size),
 * splitting large pages at the edges; holes are skipped.  perms must be a
 * non-empty EPT_RWX subset, not W without R (HV_EINVAL): to trap every
 * access, unmap.  HV_ENOMEM as for ept_unmap(), nothing changed. */
int ept_protect(struct ept *e, gpa_t gpa, uint64_t size, uint64_t perms);

/* Look gpa up.  hpa includes the offset into the page; flags holds the
 * leaf's R/W/X, memory type, ignore-PAT, accessed and dirty bits; page_size
 * is 4 KiB, 2 MiB or 1 GiB.  Any output may be NULL.  HV_ENOENT if not
 * mapped, HV_ERANGE past EPT_GPA_LIMIT. */
int ept_translate(const struct ept *e, gpa_t gpa, paddr_t *hpa, uint64_t *flags,
		  uint64_t *page_size);

/* Dirty flags, for the dirty-page log (hv/dirty.h).  They are set by the
 * CPU only where the EPT pointer enables accessed and dirty flags
 * (ept_pointer's ad_bits), and only in leaves, so a large page is dirty
 * as a whole: ept_split_small() first makes every page in [gpa, gpa +
 * size) a 4 KiB one (translating as before; HV_ENOMEM: some are split,
 * none lost).  ept_scan_dirty() clears the dirty flag of every leaf in
 * the range that has it and calls fn for each 4 KiB page of it (of the
 * whole leaf, should one be large), returning how many;
 * ept_clear_dirty() clears that of the leaf mapping gpa: 1 if it was
 * set, 0 if not, HV_ENOENT if gpa is not mapped.  Flags are cleared
 * atomically, so one the CPU sets meanwhile is never lost; a CPU may
 * still hold a translation with the flag set until INVEPT. */
typedef void (*ept_page_fn)(void *arg, gpa_t gpa);
int ept_split_small(struct ept *e, gpa_t gpa, uint64_t size);
uint64_t ept_scan_dirty(struct ept *e, gpa_t gpa, uint64_t size, ept_page_fn fn, void *arg);
int ept_clear_dirty(struct ept *e, gpa_t gpa);

/* Free every table page (not the mapped memory); e can be initialised again. */
void ept_destroy(struct ept *e);

/* The EPT pointer for the VMCS (SDM 25.6.11): write-back paging-structure
 * memory type, a 4-level walk, accessed/dirty flags if ad_bits (the CPU
 * must offer them, EPT_CAP_AD). */
uint64_t ept_pointer(const struct ept *e, bool ad_bits);

/* Whether a paging-structure entry at level (1..4) is one the CPU would
 * report as an EPT misconfiguration (SDM 29.3.3.1): W without R, a reserved
 * memory type (2, 3, 7) in a leaf, or a fixed reserved bit set.  Checks that
 * depend on the CPU are not made: execute-only support, 1 GiB page support
 * and address bits beyond MAXPHYADDR.  A level outside 1..4 counts as
 * misconfigured. */
bool ept_entry_misconfigured(uint64_t entry, int level);

#endif
