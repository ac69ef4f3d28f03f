/* The VMX parts of dirty-page logging (hv/dirty.h, hv/vm.h): the EPT
 * accessed and dirty flags (SDM Vol. 3C 29.3.5), enabled by bit 6 of the
 * EPT pointer, and the page-modification log (29.3.6): with "enable PML"
 * each write that sets a dirty flag also stores the page's guest-physical
 * address in the vCPU's 4 KiB log at the PML index, which counts down
 * from 511; the write after entry 0 exits (PML full, reason 62) instead.
 *
 * The VM's mode lives in vm_arch; each vCPU applies it in its sync
 * (vmx_dirty_sync), on its own CPU with its VMCS current, before the
 * first entry after vm_sync_vcpus() moved the VM's sync_gen. */
#include <arch/vmx.h>
#include <arch/vmx_decode.h>
#include <arch/vmx_vcpu.h>
#include <hv/arch.h>
#include <hv/errno.h>
#include <hv/memory.h>
#include <hv/string.h>

#define PML_EMPTY (DIRTY_PML_ENTRIES - 1)   /* the index with nothing logged */

static bool has_ad(void) { return vmx_get_caps()->ept_vpid & EPT_CAP_AD; }
static bool has_pml(void) { return vmx_get_caps()->proc2.may_be_1 & PROC2_ENABLE_PML; }

bool arch_dirty_has(enum dirty_mode mode)
{
	if (mode == DIRTY_PML)
		return has_ad() && has_pml();
	return mode == DIRTY_SCAN && has_ad();
}

enum dirty_mode arch_dirty_best(void)
{
	return arch_dirty_has(DIRTY_PML) ? DIRTY_PML : arch_dirty_has(DIRTY_SCAN) ? DIRTY_SCAN
										  : DIRTY_OFF;
}

static void ignore_page(void *arg, gpa_t gpa)
{
	UNUSED(arg);
	UNUSED(gpa);
}

/* 4 KiB pages, so that a dirty flag (and a log entry) says which 4 KiB
 * were written; then every flag cleared: the log holds the writes from
 * now on. */
int arch_vm_dirty_start(struct vm *vm, enum dirty_mode mode)
{
	struct vm_arch *a = vm->arch;
	int rc;

	spin_lock(&a->ept_lock);
	rc = ept_split_small(&a->ept, 0, vm->ram_size);
	if (!rc) {
		ept_scan_dirty(&a->ept, 0, vm->ram_size, ignore_page, NULL);
		a->dirty_mode = mode;
	}
	spin_unlock(&a->ept_lock);
	return rc;
}

static void mark_page(void *arg, gpa_t gpa)
{
	dirty_mark(arg, gpa);
}

void arch_vm_dirty_collect(struct vm *vm)
{
	struct vm_arch *a = vm->arch;

	if (a->dirty_mode != DIRTY_SCAN)
		return;   /* the vCPUs' logs have it all */
	spin_lock(&a->ept_lock);
	ept_scan_dirty(&a->ept, 0, vm->ram_size, mark_page, &vm->dirty);
	spin_unlock(&a->ept_lock);
}

/* With PML a page is logged when its flag goes from clear to set: the
 * flags of the pages just taken are cleared (the scan cleared its own). */
void arch_vm_dirty_rearm(struct vm *vm, const uint64_t *taken)
{
	struct vm_arch *a = vm->arch;
	uint64_t pages = vm->ram_size / PAGE_SIZE;

	if (a->dirty_mode != DIRTY_PML)
		return;
	spin_lock(&a->ept_lock);
	for (uint64_t w = 0; w < dirty_words(pages); w++)
		for (uint64_t bits = taken[w]; bits; bits &= bits - 1)
			ept_clear_dirty(&a->ept, (w * 64 + (uint64_t)__builtin_ctzll(bits)) * PAGE_SIZE);
	spin_unlock(&a->ept_lock);
}

void arch_vm_dirty_stop(struct vm *vm)
{
	struct vm_arch *a = vm->arch;

	if (a)
		a->dirty_mode = DIRTY_OFF;
}

/* ---- a vCPU's part ---- */

int vmx_dirty_vcpu_init(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	int rc;

	x->eptp = ept_pointer(&v->vm->arch->ept, false);
	vmcs_write(VMCS_EPT_POINTER, x->eptp);
	if (has_pml() && has_ad()) {
		rc = page_alloc(1, PAGE_SIZE, &x->pml);
		if (rc)
			return rc;
		vmcs_write(VMCS_PML_ADDRESS, x->pml);
	}
	/* Behind the VM by one: the first entry syncs, applying its mode. */
	v->sync_ack = __atomic_load_n(&v->vm->sync_gen, __ATOMIC_ACQUIRE) - 1;
	return 0;
}

void vmx_dirty_vcpu_free(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);

	if (x->pml)
		page_free(x->pml, 1);
	x->pml = 0;
}

void vmx_dirty_drain(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	uint16_t index;

	if (!x->pml_on)
		return;
	index = (uint16_t)vmcs_read(VMCS_GUEST_PML_INDEX);
	if (index == PML_EMPTY)
		return;
	dirty_drain_pml(&v->vm->dirty, phys_to_virt(x->pml), index);
	vmcs_write(VMCS_GUEST_PML_INDEX, PML_EMPTY);
}

static void set_pml(struct vcpu_arch *x, bool on)
{
	if (on == x->pml_on)
		return;
	x->proc2_ctls = on ? x->proc2_ctls | PROC2_ENABLE_PML : x->proc2_ctls & ~(uint32_t)PROC2_ENABLE_PML;
	if (on)
		vmcs_write(VMCS_GUEST_PML_INDEX, PML_EMPTY);
	vmcs_write(VMCS_PROC2_CONTROLS, x->proc2_ctls);
	x->pml_on = on;
}

/* The generation is read first: a change made after it moves it again,
 * and the next entry syncs once more. */
void vmx_dirty_sync(struct vcpu *v)
{
	struct vcpu_arch *x = vmx(v);
	const struct vm_arch *a = v->vm->arch;
	uint32_t gen = __atomic_load_n(&v->vm->sync_gen, __ATOMIC_ACQUIRE);
	uint64_t eptp = ept_pointer(&a->ept, a->dirty_mode != DIRTY_OFF);

	vmx_dirty_drain(v);
	set_pml(x, a->dirty_mode == DIRTY_PML && x->pml);
	if (eptp != x->eptp) {
		vmcs_write(VMCS_EPT_POINTER, eptp);
		x->eptp = eptp;
	}
	/* SDM 29.4.3.4: translations cached with a dirty flag set would let
	 * writes go unlogged; a split large page is cached whole. */
	vmx_invept(eptp);
	__atomic_store_n(&v->sync_ack, gen, __ATOMIC_RELEASE);
}

/* Qualification bit 12, NMI unblocking due to IRET, as for an EPT
 * violation (SDM 28.2.1, table 28-7); the write is done again. */
enum vmexit_ret vmx_pml_full(struct vcpu *v)
{
	if (vmx_ept_violation_unblocked_nmi(vmcs_read(VMCS_EXIT_QUALIFICATION)))
		vmx_reblock_nmi(v);
	vmx_dirty_drain(v);
	return VMEXIT_RETRY;
}
