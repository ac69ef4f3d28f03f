/* 4-level guest page tables built in a fake VM's RAM (fake_arch.h), for
 * tests of emulation with paging on: 4 KiB pages only, table pages taken
 * one after the other from a region the test sets aside. */
#ifndef GUEST_PT_H
#define GUEST_PT_H

#include <string.h>

#include <hv/vm.h>
#include <hv/x86.h>

#include "fake_arch.h"

#define GPT_P  BIT(0)
#define GPT_RW BIT(1)
#define GPT_US BIT(2)

struct guest_pt {
	struct vm *vm;
	uint64_t root;  /* the PML4's guest-physical address: CR3 */
	uint64_t next;  /* the next free table page */
};

static inline uint64_t guest_pt_get(struct guest_pt *pt, uint64_t gpa)
{
	uint64_t e;

	memcpy(&e, fake_ram(pt->vm) + gpa, sizeof(e));
	return e;
}

static inline void guest_pt_put(struct guest_pt *pt, uint64_t gpa, uint64_t e)
{
	memcpy(fake_ram(pt->vm) + gpa, &e, sizeof(e));
}

static inline uint64_t guest_pt_alloc(struct guest_pt *pt)
{
	uint64_t page = pt->next;

	pt->next += 4096;
	memset(fake_ram(pt->vm) + page, 0, 4096);
	return page;
}

/* Tables from the page-aligned guest-physical address tables up. */
static inline void guest_pt_init(struct guest_pt *pt, struct vm *vm, uint64_t tables)
{
	pt->vm = vm;
	pt->next = tables;
	pt->root = guest_pt_alloc(pt);
}

/* Map the 4 KiB page at gla to gpa with the leaf flags (GPT_*; 0 leaves
 * it not present).  The tables above it allow everything. */
static inline void guest_pt_map(struct guest_pt *pt, uint64_t gla, uint64_t gpa, uint64_t flags)
{
	uint64_t table = pt->root;

	for (unsigned level = 4; level > 1; level--) {
		uint64_t e = table + ((gla >> (12 + 9 * (level - 1))) & 511) * 8;

		if (!(guest_pt_get(pt, e) & GPT_P))
			guest_pt_put(pt, e, guest_pt_alloc(pt) | GPT_P | GPT_RW | GPT_US);
		table = guest_pt_get(pt, e) & 0xffffffffff000ULL;
	}
	guest_pt_put(pt, table + ((gla >> 12) & 511) * 8, flags ? (gpa & ~0xfffULL) | flags : 0);
}

/* The vCPU in 64-bit mode at CPL 0 on these tables, CR0.WP set. */
static inline void guest_pt_long_mode(struct vcpu *v, const struct guest_pt *pt)
{
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_ET | CR0_WP | CR0_PG);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	fake_hw_set(v, VREG_CR3, pt->root);
	fake_hw_set(v, VREG_EFER, EFER_LME | EFER_LMA);
	fake_hw_set(v, VREG_CS_AR, 0xa09b);   /* L = 1, DPL 0 */
	fake_hw_set(v, VREG_SS_AR, 0xc093);
}

#endif
