/* Guest page-table walker: translates a guest-linear address to a
 * guest-physical address the way the guest's own MMU would (SDM Vol. 3A
 * chapter 4), so that the hypervisor can read the instruction at a guest's
 * RIP and the buffers of string I/O and hypercalls.  Pure logic: guest
 * memory is reached only through caller-supplied callbacks, so the same
 * code runs in the image and in host unit tests.
 *
 * Covered: paging off, 32-bit paging (4 KiB, 4 MiB with PSE-36), PAE
 * paging (PDPTE registers, 2 MiB), 4-level and 5-level paging (2 MiB,
 * 1 GiB); access rights with CR0.WP, EFER.NXE, CR4.SMEP and CR4.SMAP
 * (SDM 4.6); reserved-bit checks (SDM 4.3-4.5); #PF error codes (SDM 4.7);
 * accessed/dirty flags (SDM 4.8) when a write callback is given.
 * Not covered: protection keys (CR4.PKE/PKS), shadow stacks (CET), HLAT,
 * LAM, and implicit supervisor accesses (the SMAP rule for them).
 *
 * The walk reads the tables as they are in guest memory now; the guest's
 * TLB may still hold an older translation, so an emulator that re-walks
 * after a VM exit can see a fault the guest's own access did not.
 * Injecting that #PF is fine: the CPU may drop a TLB entry at any time, and
 * a guest that changes a mapping must cope until it invalidates it
 * (SDM 4.10.4). */
#ifndef HV_GWALK_H
#define HV_GWALK_H

#include <hv/types.h>

/* Access kinds, at the bit positions of the #PF error code (SDM 4.7) so
 * that they go into it unchanged.  No flag = supervisor data read. */
#define GWALK_WRITE BIT(1)   /* data write */
#define GWALK_USER  BIT(2)   /* access made at CPL 3 */
#define GWALK_FETCH BIT(4)   /* instruction fetch (not with GWALK_WRITE) */

/* #PF error-code bits (SDM 4.7, figure 4-12). */
#define GWALK_PF_P    BIT(0)  /* 0: not present; 1: protection or RSVD */
#define GWALK_PF_W    BIT(1)
#define GWALK_PF_U    BIT(2)
#define GWALK_PF_RSVD BIT(3)
#define GWALK_PF_I    BIT(4)

struct gwalk_ctx {
	/* Guest control state, e.g. from the VMCS guest-state area. */
	uint64_t cr0, cr3, cr4;
	uint64_t efer;      /* LME or LMA (they agree while CR0.PG = 1) */
	uint64_t rflags;    /* only AC is used: the SMAP override */
	/* PAE paging: the PDPTE registers the CPU loaded (the VMCS guest
	 * PDPTE fields, valid with EPT).  When pdpte_valid is false they are
	 * read from the PDPT at CR3, which the guest may have changed since
	 * the CPU loaded them (SDM 4.4.1). */
	uint64_t pdpte[4];
	bool pdpte_valid;
	/* The physical-address width the CPU checks entries against
	 * (CPUID.80000008H:EAX[7:0]), 32..52. */
	unsigned maxphyaddr;
	/* Read or write len bytes of guest-physical memory: 0, or a negative
	 * value when the range is not guest RAM.  Page-table entries are read
	 * 4 or 8 bytes at a time; data ranges never cross a 4 KiB boundary.
	 * write_gpa may be NULL: then no A/D flags are set and
	 * gwalk_copy_to_guest() fails with HV_EINVAL. */
	int (*read_gpa)(void *opaque, uint64_t gpa, void *dst, size_t len);
	int (*write_gpa)(void *opaque, uint64_t gpa, const void *src, size_t len);
	void *opaque;
};

/* Where and why an access faulted: inject #PF with CR2 = addr and this
 * error code (HV_ENOENT), or #GP(0)/#SS(0) for a non-canonical address
 * (HV_ERANGE, error 0). */
struct gwalk_fault {
	uint64_t addr;
	uint32_t error;
};

/* Translate gla for an access of the given kind.  Returns 0 with *gpa;
 * HV_ENOENT (page fault) or HV_ERANGE (non-canonical) with *fault filled;
 * HV_EIO if a page-table entry is not in guest RAM or an A/D update
 * fails; HV_EINVAL for bad arguments, or a PAE PDPTE with reserved bits
 * set (the CPU refuses to load one, so no #PF describes it).
 * Outside IA-32e mode linear addresses are 32 bits: gla is truncated.
 * With write_gpa, sets the accessed flags of the entries used and, for
 * writes, the dirty flag of the leaf, as the CPU would (SDM 4.8). */
int gwalk_translate(const struct gwalk_ctx *w, uint64_t gla, unsigned access,
		    uint64_t *gpa, struct gwalk_fault *fault);

/* Copy len bytes between guest-linear memory at gla and a host buffer, a
 * page at a time, so the range may cross pages mapped anywhere.  Every page
 * is translated (and checked) before any byte moves: on HV_ENOENT or
 * HV_ERANGE nothing was copied and fault->addr is the first byte of the
 * page that faulted, so fault->addr - gla bytes from gla would translate.
 * (An instruction fetcher that asks for 15 bytes can retry with that many
 * and inject the #PF only if the instruction turns out longer.)  HV_EIO
 * from the data callbacks can leave a partial copy.
 * copy_to_guest always checks for a write; copy_from_guest checks for
 * the access given (GWALK_WRITE there checks a read-modify-write). */
int gwalk_copy_from_guest(const struct gwalk_ctx *w, uint64_t gla, void *dst,
			  size_t len, unsigned access, struct gwalk_fault *fault);
int gwalk_copy_to_guest(const struct gwalk_ctx *w, uint64_t gla,
			const void *src, size_t len, unsigned access,
			struct gwalk_fault *fault);

#endif
