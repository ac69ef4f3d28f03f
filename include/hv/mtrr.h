/* The memory type range registers a guest sees (SDM Vol. 3A 13.11): kept
 * per vCPU, checked as the CPU checks them (a reserved bit or an invalid
 * memory type raises #GP), and not applied: the EPT entries give guest
 * memory its type (write-back RAM, uncached device pages), as KVM does
 * without non-coherent DMA.  Until the guest writes one, they hold what a
 * PC BIOS leaves (write-back by default, the VGA window and the top GiB
 * below 4 GiB uncached: the Bochs BIOS's values, which the equivalence
 * guests compare). */
#ifndef HV_MTRR_H
#define HV_MTRR_H

#include <hv/types.h>

#define MSR_IA32_MTRRCAP        0xfe
#define MSR_IA32_MTRR_PHYSBASE0 0x200   /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */
#define MSR_IA32_MTRR_DEF_TYPE  0x2ff

#define MTRR_VAR_COUNT   8
#define MTRR_FIXED_COUNT 11

struct mtrr_state {
	bool set;                  /* written: the fields hold the guest's values */
	uint64_t def_type;
	uint64_t var[2 * MTRR_VAR_COUNT];  /* PHYSBASE0, PHYSMASK0, PHYSBASE1... */
	uint64_t fixed[MTRR_FIXED_COUNT];
};

/* 0 with *val; -1: #GP (a write to MTRRCAP, a reserved bit, an invalid
 * type); HV_ENOENT: MSR is no MTRR.  maxphyaddr: the guest's
 * CPUID.80000008H:EAX[7:0], which bounds the address fields. */
int mtrr_read(const struct mtrr_state *m, uint32_t msr, unsigned maxphyaddr, uint64_t *val);
int mtrr_write(struct mtrr_state *m, uint32_t msr, unsigned maxphyaddr, uint64_t val);

#endif
