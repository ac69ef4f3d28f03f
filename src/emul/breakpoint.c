/* Data and I/O breakpoints for emulated accesses (hv/breakpoint.h).
 *
 * A breakpoint covers 1, 2, 4 or 8 bytes at its address with the low
 * bits cleared (Vol. 3B 18.2.5: the address must be aligned to the
 * length; the CPU ignores the low bits).  R/W 01 breaks on writes, 11 on
 * reads and writes (not fetches), 10 on port I/O when CR4.DE is set (its
 * meaning is undefined otherwise: tinyhv then breaks on nothing, 18.2.4).
 * An access meets a breakpoint when the two byte ranges overlap. */
#include <hv/breakpoint.h>
#include <hv/event.h>
#include <hv/vcpu.h>
#include <hv/x86.h>

static const unsigned bp_len[4] = { 1, 2, 8, 4 };   /* LEN 00, 01, 10, 11 */

static bool matches(uint64_t rw, bool cr4_de, enum bp_access a)
{
	switch (a) {
	case BP_READ: return rw == 3;
	case BP_WRITE: return rw == 1 || rw == 3;
	case BP_IO: return rw == 2 && cr4_de;
	}
	return false;
}

uint32_t breakpoint_hits(const uint64_t dr[4], uint64_t dr7, bool cr4_de, enum bp_access a,
			 uint64_t addr, unsigned len)
{
	uint32_t hits = 0;
	bool enabled = false;

	for (unsigned n = 0; n < 4; n++) {
		unsigned blen = bp_len[DR7_LEN(dr7, n)];
		uint64_t start = dr[n] & ~(uint64_t)(blen - 1);

		if (!matches(DR7_RW(dr7, n), cr4_de, a))
			continue;
		if (addr + len <= start || start + blen <= addr)
			continue;
		hits |= BIT(n);
		enabled |= (dr7 >> (2 * n)) & 3;
	}
	return enabled ? hits : 0;
}

uint32_t vcpu_breakpoint_check(struct vcpu *v, enum bp_access a, uint64_t addr, unsigned len)
{
	uint64_t dr7 = vcpu_get(v, VREG_DR7);
	uint64_t dr[4];

	if (!(dr7 & DR7_ENABLES)) {
		arch_vcpu_watch_breakpoints(v);
		return 0;
	}
	for (unsigned n = 0; n < 4; n++)
		dr[n] = vcpu_get(v, (enum vreg)(VREG_DR0 + n));
	return breakpoint_hits(dr, dr7, vcpu_get(v, VREG_CR4) & CR4_DE, a, addr, len);
}

void vcpu_breakpoint_trap(struct vcpu *v, uint32_t hits)
{
	/* As on a #DB the CPU delivers: B0-B3 name this one's breakpoints
	 * (Vol. 3B 18.2.3), BD and BS stay. */
	vcpu_set(v, VREG_DR6, (vcpu_get(v, VREG_DR6) & ~DR6_B0_B3) | hits);
	vcpu_queue_exception(v, X86_DB, false, 0);
}
