/* Guest-linear memory access for emulation: the guest's own page tables
 * (src/emul/gwalk.c) over the VM's RAM, with the paging state from the VMCS. */
#include <arch/cpu.h>
#include <arch/msr.h>
#include <arch/vmcs.h>
#include <hv/errno.h>
#include <hv/exit.h>
#include <hv/gwalk.h>
#include <hv/vm.h>

#define CPL_USER 3

static int read_gpa(void *opaque, uint64_t gpa, void *dst, size_t len)
{
	return vm_read_gpa(opaque, gpa, dst, len);
}

static int write_gpa(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	return vm_write_gpa(opaque, gpa, src, len);
}

static unsigned maxphyaddr(void)
{
	struct cpuid_regs r;

	cpuid(0x80000000, 0, &r);
	if (r.eax < 0x80000008)
		return 36;
	cpuid(0x80000008, 0, &r);
	return r.eax & 0xff;
}

static void walk_context(struct vcpu *v, struct gwalk_ctx *w)
{
	static unsigned phys_bits;

	if (!phys_bits)
		phys_bits = maxphyaddr();
	*w = (struct gwalk_ctx){
		.cr0 = vmcs_read(VMCS_CR0_READ_SHADOW),
		.cr3 = vmcs_read(VMCS_GUEST_CR3),
		.cr4 = vmcs_read(VMCS_CR4_READ_SHADOW),
		.efer = vmcs_read(VMCS_GUEST_EFER),
		.rflags = vmcs_read(VMCS_GUEST_RFLAGS),
		.maxphyaddr = phys_bits,
		.read_gpa = read_gpa,
		.write_gpa = write_gpa,
		.opaque = v->vm,
	};
	if ((w->cr0 & CR0_PG) && (w->cr4 & CR4_PAE) && !(w->efer & EFER_LMA)) {
		for (int i = 0; i < 4; i++)
			w->pdpte[i] = vmcs_read((enum vmcs_field)(VMCS_GUEST_PDPTE0 + 2 * i));
		w->pdpte_valid = true;
	}
}

static unsigned access_kind(bool write)
{
	/* CPL is SS.DPL (SDM 5.5); bits 6:5 of the access rights. */
	bool user = ((vmcs_read(VMCS_GUEST_SS_AR) >> 5) & 3) == CPL_USER;

	return (write ? GWALK_WRITE : 0) | (user ? GWALK_USER : 0);
}

static int fault(struct vcpu *v, int rc, const struct gwalk_fault *f)
{
	if (rc == HV_ENOENT) {
		v->regs.cr2 = f->addr;
		vcpu_inject_exception(v, 14, true, f->error);
		return HV_ENOENT;
	}
	if (rc == HV_ERANGE) {
		vcpu_inject_gp(v);
		return HV_ENOENT;
	}
	return HV_ERANGE;
}

int vcpu_read_gva(struct vcpu *v, uint64_t gva, void *dst, size_t len)
{
	struct gwalk_ctx w;
	struct gwalk_fault f;
	int rc;

	walk_context(v, &w);
	rc = gwalk_copy_from_guest(&w, gva, dst, len, access_kind(false), &f);
	return rc ? fault(v, rc, &f) : 0;
}

int vcpu_write_gva(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
	struct gwalk_ctx w;
	struct gwalk_fault f;
	int rc;

	walk_context(v, &w);
	rc = gwalk_copy_to_guest(&w, gva, src, len, access_kind(true), &f);
	return rc ? fault(v, rc, &f) : 0;
}
