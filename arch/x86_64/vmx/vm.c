/* The VMX parts of a VM: its EPT, mapping guest RAM at guest-physical 0
 * and nothing else, and its I/O and MSR bitmaps (SDM Vol. 3C 25.6.4,
 * 25.6.9, chapter 29).  A VM's VPID is its table slot plus one (VPID 0 is
 * the hypervisor's own). */
#include <arch/spec.h>
#include <arch/vmx.h>
#include <arch/vmx_vcpu.h>
#include <hv/arch.h>
#include <hv/memory.h>
#include <hv/string.h>

static struct vm_arch vm_pool[MAX_VMS];

static int ept_alloc_table(void *ctx, paddr_t *pa) { UNUSED(ctx); return page_alloc(1, PAGE_SIZE, pa); }
static void ept_free_table(void *ctx, paddr_t pa) { UNUSED(ctx); page_free(pa, 1); }
static void *ept_map_table(void *ctx, paddr_t pa) { UNUSED(ctx); return phys_to_virt(pa); }

static const struct ept_ops ept_ops = { ept_alloc_table, ept_free_table, ept_map_table, NULL };

static unsigned large_pages(void)
{
	uint64_t cap = vmx_get_caps()->ept_vpid;

	return ((cap & EPT_CAP_2M) ? EPT_ALLOW_2M : 0) | ((cap & EPT_CAP_1G) ? EPT_ALLOW_1G : 0);
}

static int setup_ept(struct vm *vm, struct vm_arch *a)
{
	int rc = ept_init(&a->ept, &ept_ops, large_pages());

	rc = rc ? rc : ept_map(&a->ept, 0, vm->ram_hpa, vm->ram_size, EPT_RWX | EPT_MT_WB);
	if (rc)
		return rc;
	/* The EPT's pages may have served an earlier VM: drop anything the
	 * CPU cached under this EPT pointer (SDM 29.4.3.1). */
	vmx_invept(ept_pointer(&a->ept, false));
	return 0;
}

/* The MSR bitmap (SDM 25.6.9): four 1 KiB bitmaps, read-low, read-high,
 * write-low, write-high; a set bit means "exit".  Everything exits except
 * the MSRs below, which the VMCS switches (FS/GS base) or which only the
 * guest uses and vcpu.c swaps when a vCPU starts and stops running. */
#define MSR_BITMAP_READ  0
#define MSR_BITMAP_WRITE 2048

static void allow_one(uint8_t *bitmap, uint32_t msr, unsigned half)
{
	uint32_t base = msr >= 0xc0000000 ? 1024 : 0;
	uint32_t bit = msr & 0x1fff;

	bitmap[half + base + bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

static void allow(uint8_t *bitmap, uint32_t msr)
{
	allow_one(bitmap, msr, MSR_BITMAP_READ);
	allow_one(bitmap, msr, MSR_BITMAP_WRITE);
}

/* The speculation controls the CPU has are the guest's own: SPEC_CTRL
 * (swapped with the vCPU, vcpu.c), and the write-only commands IBPB
 * (PRED_CMD) and L1D_FLUSH (FLUSH_CMD); reading those two exits to #GP,
 * as on the CPU itself.  ARCH_CAPABILITIES is read through msr.c. */
static void allow_speculation_controls(uint8_t *bitmap)
{
	uint32_t edx = spec_cpuid7_edx();

	if (edx & CPUID7_EDX_IBRS_IBPB) {
		allow(bitmap, MSR_IA32_SPEC_CTRL);
		allow_one(bitmap, MSR_IA32_PRED_CMD, MSR_BITMAP_WRITE);
	}
	if (edx & CPUID7_EDX_L1D_FLUSH)
		allow_one(bitmap, MSR_IA32_FLUSH_CMD, MSR_BITMAP_WRITE);
}

static void msr_bitmap_init(uint8_t *bitmap, bool rdtscp)
{
	memset(bitmap, 0xff, PAGE_SIZE);
	allow(bitmap, MSR_IA32_FS_BASE);
	allow(bitmap, MSR_IA32_GS_BASE);
	allow(bitmap, MSR_IA32_KERNEL_GS_BASE);
	allow(bitmap, MSR_IA32_STAR);
	allow(bitmap, MSR_IA32_LSTAR);
	allow(bitmap, MSR_IA32_CSTAR);
	allow(bitmap, MSR_IA32_FMASK);
	if (rdtscp)
		allow(bitmap, MSR_IA32_TSC_AUX);
	allow_speculation_controls(bitmap);
}

static int setup_bitmaps(struct vm_arch *a)
{
	int rc = page_alloc(2, PAGE_SIZE, &a->io_bitmap);

	if (rc)
		return rc;
	/* Every port exits: a guest reaches no real device (SDM 25.6.4). */
	memset(phys_to_virt(a->io_bitmap), 0xff, 2 * PAGE_SIZE);
	rc = page_alloc(1, PAGE_SIZE, &a->msr_bitmap);
	if (rc)
		return rc;
	msr_bitmap_init(phys_to_virt(a->msr_bitmap),
			vmx_get_caps()->proc2.may_be_1 & PROC2_ENABLE_RDTSCP);
	return 0;
}

int arch_vm_create(struct vm *vm)
{
	struct vm_arch *a = &vm_pool[vm->slot];
	int rc;

	memset(a, 0, sizeof(*a));
	vm->arch = a;
	a->vpid = (uint16_t)(vm->slot + 1);
	rc = setup_ept(vm, a);
	return rc ? rc : setup_bitmaps(a);
}

void arch_vm_destroy(struct vm *vm)
{
	struct vm_arch *a = vm->arch;

	if (!a)
		return;
	if (a->ept.pml4) {
		vmx_invept(ept_pointer(&a->ept, false));
		ept_destroy(&a->ept);
	}
	vmx_invvpid(a->vpid);
	if (a->io_bitmap)
		page_free(a->io_bitmap, 2);
	if (a->msr_bitmap)
		page_free(a->msr_bitmap, 1);
	vm->arch = NULL;
}

int arch_vm_unmap_page(struct vm *vm, uint64_t gpa)
{
	struct vm_arch *a = vm->arch;
	int rc;

	spin_lock(&a->ept_lock);
	rc = ept_unmap(&a->ept, gpa, PAGE_SIZE);
	spin_unlock(&a->ept_lock);

	/* SDM 29.4.3.4: a changed EPT entry needs INVEPT before the
	 * translations cached from it stop being used. */
	vmx_invept(ept_pointer(&a->ept, false));
	return rc;
}

int arch_vm_map_page(struct vm *vm, uint64_t gpa, paddr_t hpa)
{
	struct vm_arch *a = vm->arch;
	int rc;

	spin_lock(&a->ept_lock);
	rc = ept_map(&a->ept, gpa, hpa, PAGE_SIZE, EPT_RWX | EPT_MT_WB);
	spin_unlock(&a->ept_lock);

	vmx_invept(ept_pointer(&a->ept, false));
	return rc;
}

uint64_t arch_vm_pages(const struct vm *vm)
{
	const struct vm_arch *a = vm->arch;
	uint64_t pages = 0;

	if (!a)
		return 0;
	pages = a->ept.tables + (a->io_bitmap ? 2 : 0) + (a->msr_bitmap ? 1 : 0);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].arch)   /* its VMCS, and its page-modification log */
			pages += 1 + (vmx(&vm->vcpus[i])->pml != 0);
	return pages;
}
