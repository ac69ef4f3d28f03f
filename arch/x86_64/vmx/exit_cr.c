/* Control registers.  Guests see their own CR0/CR4 through the read
 * shadows; every write to a bit the hypervisor owns exits here, is checked
 * the way the CPU would check it (SDM Vol. 2B MOV to CR, Vol. 3A 2.5), and
 * lands in the shadow and, adjusted to VMX's fixed bits, in the real
 * register.  XSETBV (XCR0) is here too. */
#include <arch/cpu.h>
#include <arch/msr.h>
#include <arch/vmcs.h>
#include <arch/vmx.h>
#include <hv/exit.h>
#include <hv/log.h>
#include <hv/vm.h>

/* Exit qualification for control-register accesses (SDM 28.2.1, table 28-3). */
#define CRQ_NUMBER(q)   ((q) & 0xf)
#define CRQ_TYPE(q)     (((q) >> 4) & 3)
#define CRQ_GPR(q)      (((q) >> 8) & 0xf)
#define CRQ_LMSW_SRC(q) (((q) >> 16) & 0xffff)
enum { CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3 };

#define CR0_TS BIT(3)
/* CR0 bits that exist (SDM Vol. 3A 2.5): PE MP EM TS ET NE WP AM NW CD PG. */
#define CR0_VALID 0xe005003fULL
#define CR4_PAE_BIT CR4_PAE

bool vcpu_long_mode(struct vcpu *v)
{
	return (v->entry_ctls & ENTRY_IA32E_MODE_GUEST) && (vmcs_read(VMCS_GUEST_CS_AR) & BIT(13));
}

/* With EPT, PAE paging outside long mode takes its PDPTEs from the VMCS
 * (SDM 28.3.2.4 / 26.3.2.4): when an emulated CR write turns such paging
 * on, load them as the CPU would have. */
static int load_pdptes(struct vcpu *v, uint64_t cr0, uint64_t cr4)
{
	uint64_t pdpte[4];
	int rc;

	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA))
		return 0;
	rc = vm_read_gpa(v->vm, vmcs_read(VMCS_GUEST_CR3) & ~0x1fULL, pdpte, sizeof(pdpte));
	if (rc)
		return rc;
	for (int i = 0; i < 4; i++)
		vmcs_write((enum vmcs_field)(VMCS_GUEST_PDPTE0 + 2 * i), pdpte[i]);
	return 0;
}

static void set_long_mode(struct vcpu *v, bool on)
{
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER);

	efer = on ? efer | EFER_LMA : efer & ~EFER_LMA;
	v->entry_ctls = on ? v->entry_ctls | ENTRY_IA32E_MODE_GUEST
			   : v->entry_ctls & ~(uint32_t)ENTRY_IA32E_MODE_GUEST;
	vmcs_write(VMCS_GUEST_EFER, efer);
	vmcs_write(VMCS_ENTRY_CONTROLS, v->entry_ctls);
}

/* 0, or -1 for #GP. */
static int emulate_cr0(struct vcpu *v, uint64_t val)
{
	uint64_t old = vmcs_read(VMCS_CR0_READ_SHADOW);
	uint64_t cr4 = vmcs_read(VMCS_CR4_READ_SHADOW);
	uint64_t efer = vmcs_read(VMCS_GUEST_EFER);

	val |= CR0_ET; /* hard-wired to 1 since the i486 */
	if ((val & ~CR0_VALID) || ((val & CR0_PG) && !(val & CR0_PE)) ||
	    ((val & CR0_NW) && !(val & CR0_CD)))
		return -1;
	/* Long-mode activation is the VMM's job under VMX (SDM 26.3.1.1:
	 * the "IA-32e mode guest" control must equal EFER.LMA). */
	if ((val & CR0_PG) && !(old & CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & CR4_PAE))
			return -1;
		set_long_mode(v, true);
	} else if (!(val & CR0_PG) && (old & CR0_PG) && (efer & EFER_LMA)) {
		set_long_mode(v, false);
	}
	vmcs_write(VMCS_CR0_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR0, vcpu_real_cr0(vmx_get_caps(), val));
	return load_pdptes(v, val, cr4) ? -1 : 0;
}

/* CR4 bits the guest may set: what VMX allows, less VMXE (VMX is hidden)
 * and SMXE. */
static int emulate_cr4(struct vcpu *v, uint64_t val)
{
	const struct vmx_caps *caps = vmx_get_caps();
	uint64_t allowed = caps->cr4_fixed1 & ~(uint64_t)(CR4_VMXE | CR4_SMXE);
	uint64_t cr0 = vmcs_read(VMCS_CR0_READ_SHADOW);

	if (val & ~allowed)
		return -1;
	/* Leaving PAE while in long mode is illegal (SDM Vol. 2B MOV CR). */
	if (!(val & CR4_PAE) && (vmcs_read(VMCS_GUEST_EFER) & EFER_LMA))
		return -1;
	vmcs_write(VMCS_CR4_READ_SHADOW, val);
	vmcs_write(VMCS_GUEST_CR4, vcpu_real_cr4(caps, val));
	return load_pdptes(v, cr0, val) ? -1 : 0;
}

static int emulate_cr3(struct vcpu *v, uint64_t val)
{
	vmcs_write(VMCS_GUEST_CR3, val);
	return load_pdptes(v, vmcs_read(VMCS_CR0_READ_SHADOW), vmcs_read(VMCS_CR4_READ_SHADOW)) ? -1 : 0;
}

static int mov_to_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
	if (!vcpu_long_mode(v))
		val &= 0xffffffff;
	switch (cr) {
	case 0: return emulate_cr0(v, val);
	case 3: return emulate_cr3(v, val);
	case 4: return emulate_cr4(v, val);
	case 8: return val > 15 ? -1 : 0; /* no virtual APIC yet: TPR writes are dropped */
	}
	return -1;
}

static int mov_from_cr(struct vcpu *v, unsigned cr, uint64_t *val)
{
	switch (cr) {
	case 3: *val = vmcs_read(VMCS_GUEST_CR3); return 0;
	case 8: *val = 0; return 0;
	}
	return -1;
}

void handle_cr_access(struct vcpu *v)
{
	uint64_t q = v->exit_qual;
	unsigned cr = CRQ_NUMBER(q);
	uint64_t val;
	int rc = -1;

	switch (CRQ_TYPE(q)) {
	case CR_MOV_TO:
		rc = mov_to_cr(v, cr, vcpu_gpr_read(v, CRQ_GPR(q)));
		break;
	case CR_MOV_FROM:
		rc = mov_from_cr(v, cr, &val);
		if (!rc)
			vcpu_gpr_write(v, CRQ_GPR(q), vcpu_long_mode(v) ? val : (uint32_t)val);
		break;
	case CR_CLTS:
		rc = emulate_cr0(v, vmcs_read(VMCS_CR0_READ_SHADOW) & ~CR0_TS);
		break;
	case CR_LMSW:
		/* LMSW loads CR0[3:0] but cannot clear PE (SDM Vol. 2A LMSW). */
		val = vmcs_read(VMCS_CR0_READ_SHADOW);
		rc = emulate_cr0(v, (val & ~0xeULL) | (CRQ_LMSW_SRC(q) & 0xf) | (val & CR0_PE));
		break;
	}
	if (rc) {
		vcpu_inject_gp(v);
		return;
	}
	vcpu_skip_instruction(v);
}

/* XSETBV (SDM Vol. 2C XSETBV): only XCR0, only feature sets the CPU has
 * (CPUID.(EAX=0DH,ECX=0)), x87 always on, AVX only with SSE, the AVX-512
 * state components all together and only with AVX. */
void handle_xsetbv(struct vcpu *v)
{
	uint32_t index = (uint32_t)v->regs.gpr[GPR_RCX];
	uint64_t val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];
	struct cpuid_regs r;
	uint64_t supported, avx512 = 0xe0;

	cpuid(0xd, 0, &r);
	supported = ((uint64_t)r.edx << 32) | r.eax;
	if (index != 0 || (val & ~supported) || !(val & 1) || ((val & 4) && !(val & 2)) ||
	    ((val & avx512) && (val & avx512) != avx512) || ((val & avx512) && !(val & 4))) {
		vcpu_inject_gp(v);
		return;
	}
	v->msrs.xcr0 = val;
	xsetbv(0, val);
	vcpu_skip_instruction(v);
}
