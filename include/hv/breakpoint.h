/* Data and I/O breakpoints (DR0-DR3) met by the accesses of instructions
 * that the hypervisor emulates: the CPU checks them only for what it
 * executes itself, so a port I/O or MMIO access done by the hypervisor
 * would otherwise never trap (SDM Vol. 3B 18.2.4-18.2.5, 18.3.1.2-18.3.1.3). */
#ifndef HV_BREAKPOINT_H
#define HV_BREAKPOINT_H

#include <hv/types.h>
#include <hv/vcpu.h>

enum bp_access { BP_READ, BP_WRITE, BP_IO };

/* DR6's B0-B3 for an access of LEN bytes at ADDR (a linear address, or a
 * port for BP_IO) under DR7 and CR4.DE: every breakpoint whose range the
 * access meets, enabled or not, once an enabled one is among them (the
 * CPU may report the others, 18.2.3, and Bochs does); 0 if no enabled
 * breakpoint is met. */
uint32_t breakpoint_hits(const uint64_t dr[4], uint64_t dr7, bool cr4_de, enum bp_access a,
			 uint64_t addr, unsigned len);

/* The guest's breakpoints that an emulated access meets (DR6's B0-B3):
 * none at the cost of a load while its DR7 is known to enable none. */
uint32_t vcpu_breakpoint_check(struct vcpu *v, enum bp_access a, uint64_t addr, unsigned len);

static inline uint32_t vcpu_breakpoint_hits(struct vcpu *v, enum bp_access a, uint64_t addr,
					    unsigned len)
{
	if (__builtin_expect(v->breakpoints_off, 1))
		return 0;
	return vcpu_breakpoint_check(v, a, addr, len);
}

/* HITS (nonzero) into DR6, and the #DB trap queued: it comes after the
 * instruction, or after the iteration of a REP string instruction. */
void vcpu_breakpoint_trap(struct vcpu *v, uint32_t hits);

#endif
