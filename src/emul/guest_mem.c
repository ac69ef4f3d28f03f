/* Guest-linear memory access for emulation: the guest's own page tables
 * (gwalk.c) over the VM's RAM, with the paging state from the vCPU's
 * register cache. */
#include <hv/errno.h>
#include <hv/guest_mem.h>
#include <hv/vcpu.h>
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

static void walk_context(struct vcpu *v, struct gwalk_ctx *w)
{
	*w = (struct gwalk_ctx){
		.cr0 = vcpu_get(v, VREG_CR0),
		.cr3 = vcpu_get(v, VREG_CR3),
		.cr4 = vcpu_get(v, VREG_CR4),
		.efer = vcpu_get(v, VREG_EFER),
		.rflags = vcpu_get(v, VREG_RFLAGS),
		.maxphyaddr = v->feat.maxphyaddr,
		.read_gpa = read_gpa,
		.write_gpa = write_gpa,
		.opaque = v->vm,
	};
	/* PAE paging walks from the PDPTE registers, not from memory. */
	if ((w->cr0 & CR0_PG) && (w->cr4 & CR4_PAE) && !(w->efer & EFER_LMA)) {
		for (int i = 0; i < 4; i++)
			w->pdpte[i] = vcpu_get(v, (enum vreg)(VREG_PDPTE0 + i));
		w->pdpte_valid = true;
	}
}

static unsigned with_cpl(struct vcpu *v, unsigned access)
{
	return access | (vcpu_cpl(v) == CPL_USER ? GWALK_USER : 0);
}

static int walk_rc(int rc)
{
	return rc == HV_ENOENT || rc == HV_ERANGE || !rc ? rc : HV_EIO;
}

int vcpu_copy_from_gva(struct vcpu *v, uint64_t gva, void *dst, size_t len, unsigned access,
		       struct gwalk_fault *f)
{
	struct gwalk_ctx w;

	walk_context(v, &w);
	return walk_rc(gwalk_copy_from_guest(&w, gva, dst, len, with_cpl(v, access), f));
}

int vcpu_copy_to_gva(struct vcpu *v, uint64_t gva, const void *src, size_t len,
		     struct gwalk_fault *f)
{
	struct gwalk_ctx w;

	walk_context(v, &w);
	return walk_rc(gwalk_copy_to_guest(&w, gva, src, len, with_cpl(v, GWALK_WRITE), f));
}

void vcpu_queue_gva_fault(struct vcpu *v, int rc, const struct gwalk_fault *f)
{
	if (rc == HV_ENOENT)
		vcpu_queue_pf(v, f->addr, f->error);
	else if (rc == HV_ERANGE)
		vcpu_queue_gp(v);
}

/* A fault is queued and reported as HV_ENOENT; anything else passes. */
static int queued(struct vcpu *v, int rc, const struct gwalk_fault *f)
{
	if (rc != HV_ENOENT && rc != HV_ERANGE)
		return rc;
	vcpu_queue_gva_fault(v, rc, f);
	return HV_ENOENT;
}

int vcpu_read_gva(struct vcpu *v, uint64_t gva, void *dst, size_t len)
{
	struct gwalk_fault f;

	return queued(v, vcpu_copy_from_gva(v, gva, dst, len, 0, &f), &f);
}

int vcpu_write_gva(struct vcpu *v, uint64_t gva, const void *src, size_t len)
{
	struct gwalk_fault f;

	return queued(v, vcpu_copy_to_gva(v, gva, src, len, &f), &f);
}

int vcpu_check_gva_write(struct vcpu *v, uint64_t gva, size_t len)
{
	struct gwalk_fault f;
	uint8_t scratch[8];

	/* A read-modify-write check translates every page for a write
	 * without writing anything (gwalk.h). */
	if (len > sizeof(scratch))
		return HV_EINVAL;
	return queued(v, vcpu_copy_from_gva(v, gva, scratch, len, GWALK_WRITE, &f), &f);
}
