/* Control registers.  Guests see their own CR0 and CR4 (the arch keeps
 * them in read shadows and puts VMX's fixed bits into the real ones);
 * every write to a bit the hypervisor owns comes here, is checked the way
 * the CPU checks it (SDM Vol. 2B "MOV—Move to/from Control Registers",
 * Vol. 3A 2.5) and takes effect whole or not at all: a write that faults
 * changes nothing.  XSETBV (XCR0) is here too. */
#include <hv/arch.h>
#include <hv/errno.h>
#include <hv/platform.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

/* CR0 bits that exist (SDM Vol. 3A 2.5): PE MP EM TS ET NE WP AM NW CD PG. */
#define CR0_VALID 0xe005003fULL
/* PAE paging's PDPTEs: bits 2:1 and 8:5 are reserved (SDM Vol. 3A 4.4.1,
 * table 4-8), and so are the address bits from MAXPHYADDR up. */
#define PDPTE_P         BIT(0)
#define PDPTE_RESERVED  (BIT(1) | BIT(2) | BIT(5) | BIT(6) | BIT(7) | BIT(8))
#define CR3_PCID_NOFLUSH BIT(63)
/* MOV to CR0 or CR4 loads the PDPTEs only when it changes one of these
 * (SDM Vol. 3A 4.4.1); other writes keep the PDPTE registers as they are. */
#define CR4_SMEP         BIT(20)
#define CR0_PDPTE_BITS   (CR0_CD | CR0_NW | CR0_PG)
#define CR4_PDPTE_BITS   (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)

/* The control state a write produces, checked before any of it is set. */
struct ctl {
	uint64_t cr0, cr3, cr4, efer;
	uint64_t pdpte[4];
	bool pae;          /* PAE paging (outside IA-32e mode) is on: load the PDPTEs */
};

static uint64_t high_bits(unsigned from) { return from >= 64 ? 0 : ~0ULL << from; }

static void ctl_read(struct vcpu *v, struct ctl *c)
{
	c->cr0 = vcpu_get(v, VREG_CR0);
	c->cr3 = vcpu_get(v, VREG_CR3);
	c->cr4 = vcpu_get(v, VREG_CR4);
	c->efer = vcpu_get(v, VREG_EFER);
	c->pae = false;
}

/* With EPT, PAE paging takes its PDPTEs from registers loaded on a write
 * that turns it on, changes CR0.CD/NW or CR4.PGE/PSE/SMEP, or loads CR3
 * (SDM Vol. 3A 4.4.1); one with a reserved bit set makes the write #GP. */
static int load_pdptes(struct vcpu *v, struct ctl *c)
{
	uint64_t reserved = PDPTE_RESERVED | high_bits(v->feat.maxphyaddr);

	c->pae = (c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE) && !(c->efer & EFER_LMA);
	if (!c->pae)
		return 0;
	if (vm_read_gpa(v->vm, c->cr3 & 0xffffffe0ULL, c->pdpte, sizeof(c->pdpte)))
		return HV_EINVAL;
	for (int i = 0; i < 4; i++)
		if ((c->pdpte[i] & PDPTE_P) && (c->pdpte[i] & reserved))
			return HV_EINVAL;
	return 0;
}

static void ctl_commit(struct vcpu *v, const struct ctl *c)
{
	vcpu_set(v, VREG_CR0, c->cr0);
	vcpu_set(v, VREG_CR3, c->cr3);
	vcpu_set(v, VREG_CR4, c->cr4);
	vcpu_set(v, VREG_EFER, c->efer);
	if (!c->pae)
		return;
	for (int i = 0; i < 4; i++)
		vcpu_set(v, (enum vreg)(VREG_PDPTE0 + i), c->pdpte[i]);
}

/* MOV to CR0, CLTS, LMSW.  Long-mode activation follows CR0.PG when
 * EFER.LME is set (SDM Vol. 3A 10.8.5); the arch keeps the "IA-32e mode
 * guest" control equal to EFER.LMA. */
static int write_cr0(struct vcpu *v, struct ctl *c, uint64_t val)
{
	bool pg_on = (val & CR0_PG) && !(c->cr0 & CR0_PG);
	bool pg_off = !(val & CR0_PG) && (c->cr0 & CR0_PG);
	uint64_t changed;

	/* A 1 in CR0[63:32] is #GP; the reserved bits of CR0[31:0] are
	 * ignored and read as 0 (SDM Vol. 2B MOV to CR0 lists only the
	 * former; the CPU, and bare Bochs, drop the latter). */
	if (val >> 32)
		return HV_EINVAL;
	val = (val & CR0_VALID) | CR0_ET; /* ET: hard-wired to 1 since the i486 */
	if (((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return HV_EINVAL;
	if (pg_on && (c->efer & EFER_LME)) {
		/* Activating IA-32e mode needs PAE, and is #GP "if ... the
		 * current CS has the L bit set" (SDM Vol. 2B MOV to CR0,
		 * Protected Mode Exceptions; Vol. 3A 10.8.5). */
		if (!(c->cr4 & CR4_PAE) || (vcpu_get(v, VREG_CS_AR) & SEG_AR_L))
			return HV_EINVAL;
		c->efer |= EFER_LMA;
	}
	/* Leaving paging is #GP with PCIDs on, and from 64-bit code: IA-32e
	 * mode is left from compatibility mode (SDM Vol. 3A 10.8.5.4). */
	if (pg_off && ((c->cr4 & CR4_PCIDE) || vcpu_64bit_code(v)))
		return HV_EINVAL;
	if (pg_off)
		c->efer &= ~EFER_LMA;
	changed = val ^ c->cr0;
	c->cr0 = val;
	return (changed & CR0_PDPTE_BITS) ? load_pdptes(v, c) : 0;
}

static int write_cr4(struct vcpu *v, struct ctl *c, uint64_t val)
{
	uint64_t changed;

	if (val & ~v->feat.cr4_valid)
		return HV_EINVAL;
	if (c->efer & EFER_LMA) {
		/* IA-32e mode needs PAE, and keeps its paging depth. */
		if (!(val & CR4_PAE) || ((val ^ c->cr4) & CR4_LA57))
			return HV_EINVAL;
	}
	/* PCIDs exist only in IA-32e mode, and switching them on needs PCID 0
	 * in CR3 (SDM Vol. 3A 4.10.1). */
	if ((val & CR4_PCIDE) && !(c->cr4 & CR4_PCIDE) &&
	    (!(c->efer & EFER_LMA) || (c->cr3 & 0xfff)))
		return HV_EINVAL;
	changed = val ^ c->cr4;
	c->cr4 = val;
	return (changed & CR4_PDPTE_BITS) ? load_pdptes(v, c) : 0;
}

static int write_cr3(struct vcpu *v, struct ctl *c, uint64_t val)
{
	if (c->efer & EFER_LMA) {
		/* Bit 63 asks not to flush the PCID's TLB entries; it is not
		 * stored (SDM Vol. 3A 4.10.4.1). */
		if (c->cr4 & CR4_PCIDE)
			val &= ~CR3_PCID_NOFLUSH;
		if (val & high_bits(v->feat.maxphyaddr))
			return HV_EINVAL;
	}
	c->cr3 = val;
	return load_pdptes(v, c);
}

static int mov_to_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
	struct ctl c;
	int rc;

	if (!vcpu_64bit_code(v))
		val &= 0xffffffff;
	if (cr == 8) {
		/* TPR[7:4]; bits 63:4 are reserved (SDM Vol. 3A 11.8.6). */
		if (val > 15)
			return HV_EINVAL;
		platform_cr8_write(v, val);
		vcpu_request(v, VCPU_REQ_EVENTS);
		return 0;
	}
	ctl_read(v, &c);
	switch (cr) {
	case 0: rc = write_cr0(v, &c, val); break;
	case 3: rc = write_cr3(v, &c, val); break;
	case 4: rc = write_cr4(v, &c, val); break;
	default: return HV_EINVAL;
	}
	if (!rc)
		ctl_commit(v, &c);
	return rc;
}

int cr_load_cr3(struct vcpu *v, uint64_t val) { return mov_to_cr(v, 3, val); }

static int mov_from_cr(struct vcpu *v, unsigned cr, uint64_t *val)
{
	switch (cr) {
	case 0: *val = vcpu_get(v, VREG_CR0); return 0;
	case 3: *val = vcpu_get(v, VREG_CR3); return 0;
	case 4: *val = vcpu_get(v, VREG_CR4); return 0;
	case 8: *val = platform_cr8_read(v); return 0;
	}
	return HV_EINVAL;
}

static int cr0_op(struct vcpu *v, uint64_t val)
{
	struct ctl c;
	int rc;

	ctl_read(v, &c);
	rc = write_cr0(v, &c, val);
	if (!rc)
		ctl_commit(v, &c);
	return rc;
}

enum vmexit_ret cr_emulate(struct vcpu *v, const struct cr_request *r)
{
	uint64_t val;
	int rc = HV_EINVAL;

	switch (r->access) {
	case CR_MOV_TO:
		rc = mov_to_cr(v, r->cr, vcpu_gpr(v, r->gpr));
		break;
	case CR_MOV_FROM:
		rc = mov_from_cr(v, r->cr, &val);
		if (!rc)
			vcpu_set_gpr(v, r->gpr, vcpu_64bit_code(v) ? val : (uint32_t)val);
		break;
	case CR_CLTS:
		rc = cr0_op(v, vcpu_get(v, VREG_CR0) & ~CR0_TS);
		break;
	case CR_LMSW:
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2A LMSW). */
		val = vcpu_get(v, VREG_CR0);
		rc = cr0_op(v, (val & ~0xeULL) | (r->lmsw_src & 0xf) | (val & CR0_PE));
		break;
	}
	if (rc) {
		vcpu_queue_gp(v);
		return VMEXIT_INJECTED;
	}
	return VMEXIT_NEXT;
}

/* XCR0 state-component bits (SDM Vol. 1 13.3). */
#define XCR0_X87      BIT(0)
#define XCR0_SSE      BIT(1)
#define XCR0_AVX      BIT(2)
#define XCR0_BNDREGS  BIT(3)
#define XCR0_BNDCSR   BIT(4)
#define XCR0_AVX512   (BIT(5) | BIT(6) | BIT(7))
#define XCR0_TILECFG  BIT(17)
#define XCR0_TILEDATA BIT(18)

/* Both or neither of the components in pair. */
static bool together(uint64_t val, uint64_t pair) { return !(val & pair) || (val & pair) == pair; }

/* The rules of XSETBV (SDM Vol. 2C XSETBV, Vol. 1 13.3): only XCR0; only
 * components the CPU has (CPUID.(EAX=0DH,ECX=0)); x87 always; AVX only
 * with SSE; the MPX pair, the AVX-512 triple and the AMX pair whole; and
 * AVX-512 only with AVX.  Anything else is #GP, before the value can
 * reach the hardware (where it would fault in the hypervisor). */
bool xcr0_valid(uint64_t val, uint64_t supported)
{
	if ((val & ~supported) || !(val & XCR0_X87) || ((val & XCR0_AVX) && !(val & XCR0_SSE)))
		return false;
	if (!together(val, XCR0_BNDREGS | XCR0_BNDCSR) || !together(val, XCR0_AVX512) ||
	    !together(val, XCR0_TILECFG | XCR0_TILEDATA))
		return false;
	return !(val & XCR0_AVX512) || (val & XCR0_AVX);
}

enum vmexit_ret xsetbv_emulate(struct vcpu *v)
{
	uint32_t index = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];
	struct cpuid_regs r;

	arch_cpuid(0xd, 0, &r);
	if (index != 0 || !xcr0_valid(val, ((uint64_t)r.edx << 32) | r.eax)) {
		vcpu_queue_gp(v);
		return VMEXIT_INJECTED;
	}
	vcpu_set(v, VREG_XCR0, val);
	return VMEXIT_NEXT;
}
