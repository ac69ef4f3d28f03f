/* Guest page-table walker (SDM Vol. 3A chapter 4).  One loop walks every
 * paging mode; what differs between modes (entry size, index width, which
 * levels may map a page, reserved bits, how a 4 MiB frame is encoded) is
 * decided by small helpers keyed on the mode.  Levels are numbered as the
 * SDM walks them: 5 = PML5E, 4 = PML4E, 3 = PDPTE, 2 = PDE, 1 = PTE.
 *
 * Accessed/dirty flags (SDM 4.8) are set only after the whole access is
 * allowed, never on a walk that faults: a CPU may set A in entries it read
 * before faulting, but a guest cannot rely on that.  The update is a plain
 * read-modify-write of the entry's low byte, not the CPU's locked one;
 * that is atomic as far as the guest can tell because a VM has one vCPU
 * (MAX_VCPUS_PER_VM) and it is not running while the hypervisor emulates. */
#include <hv/errno.h>
#include <hv/gwalk.h>

/* Control bits the walk depends on (SDM 2.5, 4.1.1, 4.1.3).  Local names:
 * arch/cpu.h is not pure and lacks some of them. */
#define GW_CR0_WP    BIT(16)
#define GW_CR0_PG    BIT(31)
#define GW_CR4_PSE   BIT(4)
#define GW_CR4_PAE   BIT(5)
#define GW_CR4_LA57  BIT(12)
#define GW_CR4_SMEP  BIT(20)
#define GW_CR4_SMAP  BIT(21)
#define GW_EFER_LME  BIT(8)
#define GW_EFER_LMA  BIT(10)
#define GW_EFER_NXE  BIT(11)
#define GW_RFLAGS_AC BIT(18)

/* Paging-structure entry bits (SDM tables 4-4..4-20). */
#define PTE_P  BIT(0)
#define PTE_RW BIT(1)
#define PTE_US BIT(2)
#define PTE_A  BIT(5)
#define PTE_D  BIT(6)
#define PTE_PS BIT(7)
#define PTE_XD BIT(63)

#define GWALK_ACCESS_MASK (GWALK_WRITE | GWALK_USER | GWALK_FETCH)
#define MAX_LEVELS 5

enum gw_mode { GW_OFF, GW_32BIT, GW_PAE, GW_4LEVEL, GW_5LEVEL };

struct walk {
	const struct gwalk_ctx *w;
	enum gw_mode mode;
	uint64_t la;          /* linear address, cut to the mode's width */
	unsigned access;
	bool set_ad;
	bool nxe;             /* XD is honoured (SDM 4.6.2); bit 63 not reserved */
	uint64_t rsvd;        /* reserved in every 64-bit entry, M and NXE given */
	uint64_t addr_mask;   /* physical-address bits M-1:12 */
	/* Rights accumulated over the levels (SDM 4.6.1): a page is writable,
	 * user-mode or executable only if every entry says so. */
	bool writable, user, exec;
	/* Entries used, top first, for the A/D update. */
	uint64_t ent_gpa[MAX_LEVELS];
	uint8_t ent_low[MAX_LEVELS];
	unsigned nent;
};

/* Mask of bits hi..lo inclusive; empty when hi < lo. */
static uint64_t bit_range(unsigned hi, unsigned lo)
{
	if (hi < lo)
		return 0;
	return (~0ULL >> (63 - hi)) & ~((1ULL << lo) - 1);
}

/* SDM 4.1.1, table 4-1. */
static enum gw_mode paging_mode(const struct gwalk_ctx *w)
{
	if (!(w->cr0 & GW_CR0_PG))
		return GW_OFF;
	if (!(w->cr4 & GW_CR4_PAE))
		return GW_32BIT;
	if (!(w->efer & (GW_EFER_LME | GW_EFER_LMA)))
		return GW_PAE;
	return (w->cr4 & GW_CR4_LA57) ? GW_5LEVEL : GW_4LEVEL;
}

static bool long_mode(enum gw_mode mode)
{
	return mode == GW_4LEVEL || mode == GW_5LEVEL;
}

/* Outside IA-32e mode linear addresses are 32 bits wide (SDM 3.3.6), so
 * an address computed in 64 bits wraps at 4 GiB. */
static uint64_t linear(enum gw_mode mode, uint64_t gla)
{
	return long_mode(mode) ? gla : (uint32_t)gla;
}

/* SDM 4.5: bits 63:48 (63:57 with LA57) must copy bit 47 (56); otherwise
 * the access raises #GP or #SS before paging is consulted (SDM 3.3.7.1). */
static bool canonical(enum gw_mode mode, uint64_t la)
{
	unsigned width = mode == GW_5LEVEL ? 57 : 48;
	int64_t s = (int64_t)(la << (64 - width)) >> (64 - width);

	return !long_mode(mode) || (uint64_t)s == la;
}

static unsigned entry_size(const struct walk *k)
{
	return k->mode == GW_32BIT ? 4 : 8;
}

static unsigned index_bits(const struct walk *k)
{
	return k->mode == GW_32BIT ? 10 : 9;
}

static unsigned level_shift(const struct walk *k, unsigned level)
{
	return PAGE_SHIFT + index_bits(k) * (level - 1);
}

/* #PF error code for this access (SDM 4.7).  I/D is reported only when
 * fetches can fault for a reason of their own: SMEP, or NX in PAE and
 * IA-32e paging. */
static uint32_t pf_error(const struct walk *k, uint32_t cause)
{
	uint32_t err = cause | (k->access & (GWALK_WRITE | GWALK_USER));
	bool id = (k->w->cr4 & GW_CR4_SMEP) || k->nxe;

	if ((k->access & GWALK_FETCH) && id)
		err |= GWALK_PF_I;
	return err;
}

static int page_fault(const struct walk *k, uint32_t cause,
		      struct gwalk_fault *fault)
{
	fault->addr = k->la;
	fault->error = pf_error(k, cause);
	return HV_ENOENT;
}

/* Does a present entry at this level map a page rather than a table?
 * PS is honoured in 32-bit PDEs only with CR4.PSE (SDM 4.3), always in
 * PAE and IA-32e PDEs, and in PDPTEs (1 GiB pages, SDM 4.5; the CPU's
 * support for them is assumed), which only IA-32e paging reaches here:
 * PAE's PDPTEs are registers, walked by walk_pae().  In PML4Es and PML5Es
 * PS is reserved.  Level 1 always maps. */
static bool is_leaf(const struct walk *k, uint64_t e, unsigned level)
{
	if (level == 1)
		return true;
	if (!(e & PTE_PS))
		return false;
	if (level == 2)
		return k->mode != GW_32BIT || (k->w->cr4 & GW_CR4_PSE);
	return level == 3;
}

/* PSE-36 (SDM 4.3, table 4-4): a 4 MiB PDE holds physical-address bits
 * 39:32 in its bits 20:13, limited to M = min(MAXPHYADDR, 40); bits
 * 21:(M-19) are reserved. */
static unsigned pse36_width(const struct walk *k)
{
	return MIN(k->w->maxphyaddr, 40u);
}

/* Reserved bits of an entry (SDM 4.3-4.5, tables 4-4..4-20). */
static uint64_t entry_reserved(const struct walk *k, uint64_t e,
			       unsigned level)
{
	bool leaf = is_leaf(k, e, level);

	if (k->mode == GW_32BIT)
		return leaf && level == 2 ? bit_range(21, pse36_width(k) - 19) : 0;
	if (level >= 4)
		return k->rsvd | PTE_PS;   /* PML4E/PML5E: PS must be 0 */
	if (leaf && level == 3)
		return k->rsvd | bit_range(29, 13);
	if (leaf && level == 2)
		return k->rsvd | bit_range(20, 13);
	return k->rsvd;
}

/* Physical address of the table or page an entry references. */
static uint64_t entry_frame(const struct walk *k, uint64_t e, unsigned level,
			    bool leaf)
{
	uint64_t high;

	if (k->mode != GW_32BIT) {
		if (!leaf)
			return e & k->addr_mask;
		return e & k->addr_mask & ~((1ULL << level_shift(k, level)) - 1);
	}
	if (!leaf || level == 1)
		return e & 0xfffff000u;
	high = (e >> 13) & ((1ULL << (pse36_width(k) - 32)) - 1);
	return (e & 0xffc00000u) | (high << 32);
}

static int read_entry(const struct walk *k, uint64_t gpa, uint64_t *e)
{
	const struct gwalk_ctx *w = k->w;
	uint32_t e32;

	if (entry_size(k) == 8)
		return w->read_gpa(w->opaque, gpa, e, 8) ? HV_EIO : 0;
	if (w->read_gpa(w->opaque, gpa, &e32, 4))
		return HV_EIO;
	*e = e32;
	return 0;
}

static void accumulate(struct walk *k, uint64_t e, uint64_t gpa)
{
	k->writable = k->writable && (e & PTE_RW);
	k->user = k->user && (e & PTE_US);
	if (k->nxe)
		k->exec = k->exec && !(e & PTE_XD);
	k->ent_gpa[k->nent] = gpa;
	k->ent_low[k->nent] = (uint8_t)e;
	k->nent++;
}

/* Access rights of the final translation (SDM 4.6.1). */
static bool supervisor_ok(const struct walk *k)
{
	const struct gwalk_ctx *w = k->w;

	if (k->access & GWALK_FETCH) {
		/* SMEP: no supervisor fetches from user-mode pages. */
		if (k->user && (w->cr4 & GW_CR4_SMEP))
			return false;
		return k->exec;
	}
	/* SMAP: explicit supervisor data accesses to user-mode pages only
	 * with EFLAGS.AC = 1. */
	if (k->user && (w->cr4 & GW_CR4_SMAP) && !(w->rflags & GW_RFLAGS_AC))
		return false;
	/* CR0.WP = 0 lets the supervisor write read-only pages. */
	if ((k->access & GWALK_WRITE) && !k->writable)
		return !(w->cr0 & GW_CR0_WP);
	return true;
}

static bool rights_ok(const struct walk *k)
{
	if (!(k->access & GWALK_USER))
		return supervisor_ok(k);
	if (!k->user)
		return false;
	if ((k->access & GWALK_WRITE) && !k->writable)
		return false;
	if ((k->access & GWALK_FETCH) && !k->exec)
		return false;
	return true;
}

/* Set A in every entry used and D in the leaf for a write (SDM 4.8).
 * Both live in the low byte, so only that byte is written. */
static int set_accessed_dirty(const struct walk *k)
{
	const struct gwalk_ctx *w = k->w;

	if (!k->set_ad || !w->write_gpa)
		return 0;
	for (unsigned i = 0; i < k->nent; i++) {
		uint8_t v = k->ent_low[i] | (uint8_t)PTE_A;
		bool leaf = i + 1 == k->nent;

		if (leaf && (k->access & GWALK_WRITE))
			v |= (uint8_t)PTE_D;
		if (v == k->ent_low[i])
			continue;
		if (w->write_gpa(w->opaque, k->ent_gpa[i], &v, 1))
			return HV_EIO;
	}
	return 0;
}

/* Walk from the table at `table` whose entries are at level `level`. */
static int walk_tables(struct walk *k, uint64_t table, unsigned level,
		       uint64_t *gpa, struct gwalk_fault *fault)
{
	unsigned mask = (1u << index_bits(k)) - 1;

	for (;; level--) {
		uint64_t idx = (k->la >> level_shift(k, level)) & mask;
		uint64_t egpa = table + idx * entry_size(k);
		uint64_t e;
		int rc = read_entry(k, egpa, &e);

		if (rc)
			return rc;
		if (!(e & PTE_P))
			return page_fault(k, 0, fault);
		if (e & entry_reserved(k, e, level))
			return page_fault(k, GWALK_PF_P | GWALK_PF_RSVD, fault);
		accumulate(k, e, egpa);
		if (is_leaf(k, e, level)) {
			uint64_t off = k->la & ((1ULL << level_shift(k, level)) - 1);

			*gpa = entry_frame(k, e, level, true) | off;
			break;
		}
		table = entry_frame(k, e, level, false);
	}
	if (!rights_ok(k))
		return page_fault(k, GWALK_PF_P, fault);
	return set_accessed_dirty(k);
}

/* PAE paging (SDM 4.4.1): bits 31:30 pick one of four PDPTE registers,
 * which carry no access rights.  A present PDPTE with reserved bits
 * (63:M, 8:5, 2:1) cannot be in a register: loading it raised #GP. */
static int walk_pae(struct walk *k, uint64_t *gpa, struct gwalk_fault *fault)
{
	const struct gwalk_ctx *w = k->w;
	unsigned i = (unsigned)(k->la >> 30) & 3;
	uint64_t pdpte = w->pdpte[i];
	uint64_t rsvd = ~k->addr_mask & ~bit_range(11, 9) & ~(PTE_P | BIT(3) | BIT(4));

	if (!w->pdpte_valid) {
		uint64_t at = (w->cr3 & 0xffffffe0u) + i * 8;

		if (w->read_gpa(w->opaque, at, &pdpte, 8))
			return HV_EIO;
	}
	if (!(pdpte & PTE_P))
		return page_fault(k, 0, fault);
	if (pdpte & rsvd)
		return HV_EINVAL;
	return walk_tables(k, pdpte & k->addr_mask, 2, gpa, fault);
}

static void init_walk(struct walk *k, const struct gwalk_ctx *w, uint64_t gla,
		      unsigned access, bool set_ad)
{
	unsigned m = w->maxphyaddr;

	k->w = w;
	k->mode = paging_mode(w);
	k->la = linear(k->mode, gla);
	k->access = access;
	k->set_ad = set_ad;
	k->nxe = k->mode != GW_32BIT && (w->efer & GW_EFER_NXE);
	k->addr_mask = bit_range(m - 1, PAGE_SHIFT);
	/* PAE entries reserve 62:M, IA-32e entries 51:M (62:52 are ignored);
	 * bit 63 is XD with NXE and reserved without (SDM 4.4.2, 4.5.4). */
	k->rsvd = bit_range(k->mode == GW_PAE ? 62 : 51, m);
	if (!k->nxe)
		k->rsvd |= PTE_XD;
	k->writable = k->user = k->exec = true;
	k->nent = 0;
}

static bool args_ok(const struct gwalk_ctx *w, unsigned access)
{
	if (!w || !w->read_gpa || w->maxphyaddr < 32 || w->maxphyaddr > 52)
		return false;
	if (access & ~GWALK_ACCESS_MASK)
		return false;
	return !((access & GWALK_WRITE) && (access & GWALK_FETCH));
}

static int translate(const struct gwalk_ctx *w, uint64_t gla, unsigned access,
		     bool set_ad, uint64_t *gpa, struct gwalk_fault *fault)
{
	struct walk k;

	init_walk(&k, w, gla, access, set_ad);
	if (!canonical(k.mode, k.la)) {
		fault->addr = k.la;
		fault->error = 0;
		return HV_ERANGE;
	}
	switch (k.mode) {
	case GW_OFF:
		/* No paging: the linear address is the physical one. */
		*gpa = k.la;
		return 0;
	case GW_32BIT:
		return walk_tables(&k, w->cr3 & 0xfffff000u, 2, gpa, fault);
	case GW_PAE:
		return walk_pae(&k, gpa, fault);
	case GW_4LEVEL:
		return walk_tables(&k, w->cr3 & k.addr_mask, 4, gpa, fault);
	case GW_5LEVEL:
		return walk_tables(&k, w->cr3 & k.addr_mask, 5, gpa, fault);
	}
	return HV_EINVAL;
}

int gwalk_translate(const struct gwalk_ctx *w, uint64_t gla, unsigned access,
		    uint64_t *gpa, struct gwalk_fault *fault)
{
	if (!args_ok(w, access) || !gpa || !fault)
		return HV_EINVAL;
	return translate(w, gla, access, true, gpa, fault);
}

/* Move [gla, gla + len) a page at a time.  With neither dst nor src it
 * only translates, so that a fault on any page is found before a byte
 * moves, as a CPU access straddling pages faults before it completes. */
static int copy_pages(const struct gwalk_ctx *w, uint64_t gla, size_t len,
		      unsigned access, uint8_t *dst, const uint8_t *src,
		      struct gwalk_fault *fault)
{
	bool check_only = !dst && !src;
	size_t done = 0;

	while (done < len) {
		uint64_t la = gla + done;
		size_t n = MIN(len - done, PAGE_SIZE - (la & (PAGE_SIZE - 1)));
		uint64_t gpa;
		int rc = translate(w, la, access, !check_only, &gpa, fault);

		if (rc)
			return rc;
		if (dst && w->read_gpa(w->opaque, gpa, dst + done, n))
			return HV_EIO;
		if (src && w->write_gpa(w->opaque, gpa, src + done, n))
			return HV_EIO;
		done += n;
	}
	return 0;
}

int gwalk_copy_from_guest(const struct gwalk_ctx *w, uint64_t gla, void *dst,
			  size_t len, unsigned access, struct gwalk_fault *fault)
{
	int rc;

	if (!args_ok(w, access) || (!dst && len) || !fault)
		return HV_EINVAL;
	rc = copy_pages(w, gla, len, access, NULL, NULL, fault);
	if (rc)
		return rc;
	return copy_pages(w, gla, len, access, dst, NULL, fault);
}

int gwalk_copy_to_guest(const struct gwalk_ctx *w, uint64_t gla,
			const void *src, size_t len, unsigned access,
			struct gwalk_fault *fault)
{
	int rc;

	access |= GWALK_WRITE;
	if (!args_ok(w, access) || !w->write_gpa || (!src && len) || !fault)
		return HV_EINVAL;
	rc = copy_pages(w, gla, len, access, NULL, NULL, fault);
	if (rc)
		return rc;
	return copy_pages(w, gla, len, access, NULL, src, fault);
}
