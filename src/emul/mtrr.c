/* Virtual MTRRs (hv/mtrr.h; SDM Vol. 3A 13.11, Vol. 4 table 2-2). */
#include <hv/errno.h>
#include <hv/mtrr.h>

#define MTRRCAP_FIX   BIT(8)
#define MTRRCAP_WC    BIT(10)
#define DEF_TYPE_FE   BIT(10)
#define DEF_TYPE_E    BIT(11)
#define PHYSMASK_V    BIT(11)
#define TYPE_UC       0
#define TYPE_WB       6
#define FIXED_WB      0x0606060606060606ULL

/* The fixed-range MTRRs in the order of struct mtrr_state (13.11.2.2). */
static const uint32_t fixed_msrs[MTRR_FIXED_COUNT] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
};

/* UC, WC, WT, WP, WB: 2, 3 and 7 and up are reserved (table 13-8). */
static bool valid_type(uint64_t t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static uint64_t phys_bits(unsigned maxphyaddr)
{
	return (BIT(maxphyaddr) - 1) & ~0xfffULL;
}

/* What the Bochs BIOS leaves (and SeaBIOS much the same): WB by default,
 * 0-0x9ffff WB, the VGA window 0xa0000-0xbffff and the ROMs 0xc0000-
 * 0xfffff UC, and 3-4 GiB (the PCI hole, the APICs) UC. */
static void bios_defaults(struct mtrr_state *m, unsigned maxphyaddr)
{
	*m = (struct mtrr_state){ .set = true };
	m->def_type = DEF_TYPE_E | DEF_TYPE_FE | TYPE_WB;
	m->fixed[0] = FIXED_WB;     /* 64K_00000: 0-0x7ffff */
	m->fixed[1] = FIXED_WB;     /* 16K_80000: 0x80000-0x9ffff */
	m->var[0] = 0xc0000000ULL | TYPE_UC;
	m->var[1] = (phys_bits(maxphyaddr) & ~(BIT(30) - 1)) | PHYSMASK_V;
}

static int fixed_index(uint32_t msr)
{
	for (int i = 0; i < MTRR_FIXED_COUNT; i++)
		if (fixed_msrs[i] == msr)
			return i;
	return -1;
}

static bool is_var(uint32_t msr)
{
	return msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * MTRR_VAR_COUNT;
}

int mtrr_read(const struct mtrr_state *m, uint32_t msr, unsigned maxphyaddr, uint64_t *val)
{
	struct mtrr_state d;
	int i;

	if (msr == MSR_IA32_MTRRCAP) {
		*val = MTRR_VAR_COUNT | MTRRCAP_FIX | MTRRCAP_WC;
		return 0;
	}
	if (!m->set) {
		bios_defaults(&d, maxphyaddr);
		m = &d;
	}
	if (msr == MSR_IA32_MTRR_DEF_TYPE) {
		*val = m->def_type;
		return 0;
	}
	if (is_var(msr)) {
		*val = m->var[msr - MSR_IA32_MTRR_PHYSBASE0];
		return 0;
	}
	i = fixed_index(msr);
	if (i < 0)
		return HV_ENOENT;
	*val = m->fixed[i];
	return 0;
}

/* Whether VAL is a value the CPU takes for MSR: no reserved bit set
 * (address bits at or above MAXPHYADDR are reserved), valid types. */
static bool valid(uint32_t msr, unsigned maxphyaddr, uint64_t val)
{
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		return !(val & ~(0xffULL | DEF_TYPE_FE | DEF_TYPE_E)) && valid_type(val & 0xff);
	if (is_var(msr) && !((msr - MSR_IA32_MTRR_PHYSBASE0) & 1))
		return !(val & ~(phys_bits(maxphyaddr) | 0xff)) && valid_type(val & 0xff);
	if (is_var(msr))
		return !(val & ~(phys_bits(maxphyaddr) | PHYSMASK_V));
	for (int b = 0; b < 64; b += 8)
		if (!valid_type(val >> b & 0xff))
			return false;
	return true;
}

int mtrr_write(struct mtrr_state *m, uint32_t msr, unsigned maxphyaddr, uint64_t val)
{
	int i = fixed_index(msr);

	if (msr == MSR_IA32_MTRRCAP)
		return -1;          /* read-only */
	if (msr != MSR_IA32_MTRR_DEF_TYPE && !is_var(msr) && i < 0)
		return HV_ENOENT;
	if (!valid(msr, maxphyaddr, val))
		return -1;
	if (!m->set)
		bios_defaults(m, maxphyaddr);
	if (msr == MSR_IA32_MTRR_DEF_TYPE)
		m->def_type = val;
	else if (is_var(msr))
		m->var[msr - MSR_IA32_MTRR_PHYSBASE0] = val;
	else
		m->fixed[i] = val;
	return 0;
}
