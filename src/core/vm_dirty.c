/* A VM's dirty-page logging (hv/vm.h, hv/dirty.h): the log's memory, and
 * the order of the steps that make a take exact while the guest runs.
 * The arch provides the CPU's part (arch_vm_dirty_*): splitting guest RAM
 * into 4 KiB pages, the EPT dirty flags and each vCPU's page-modification
 * log; vm_sync_vcpus() makes every vCPU see a change before it next runs
 * guest code. */
#include <hv/arch.h>
#include <hv/errno.h>
#include <hv/memory.h>
#include <hv/string.h>
#include <hv/vm.h>

static void release(struct vm *vm)
{
	dirty_attach(&vm->dirty, NULL, 0);
	if (vm->dirty_pa)
		page_free(vm->dirty_pa, vm->dirty_alloc);
	vm->dirty_pa = 0;
	vm->dirty_alloc = 0;
	vm->dirty_taken = NULL;
	vm->dirty_mode = DIRTY_OFF;
}

/* Two bitmaps in one allocation: the log, then what the last take got. */
int vm_dirty_start(struct vm *vm, enum dirty_mode mode)
{
	uint64_t pages = vm->ram_size / PAGE_SIZE, words = dirty_words(pages);
	uint64_t *bits;
	int rc;

	if (vm->dirty_mode != DIRTY_OFF)
		return HV_EBUSY;
	if (mode == DIRTY_OFF)
		mode = arch_dirty_best();
	if (mode == DIRTY_OFF || !arch_dirty_has(mode))
		return HV_ENOTSUP;
	vm->dirty_alloc = (2 * words * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE;
	rc = page_alloc(vm->dirty_alloc, PAGE_SIZE, &vm->dirty_pa);
	if (rc) {
		vm->dirty_alloc = 0;
		return rc;
	}
	bits = phys_to_virt(vm->dirty_pa);
	memset(bits, 0, vm->dirty_alloc * PAGE_SIZE);
	vm->dirty_taken = bits + words;
	dirty_attach(&vm->dirty, bits, pages);
	rc = arch_vm_dirty_start(vm, mode);
	if (rc) {
		release(vm);
		return rc;
	}
	vm->dirty_mode = mode;
	vm_sync_vcpus(vm);
	return 0;
}

/* 1. every running vCPU drains its log (the sync); 2. the arch adds what
 * only its tables hold (the scanned dirty flags); 3. the log is taken;
 * 4. the flags of what was taken are cleared, so that the next write
 * logs the page again; 5. every CPU drops the translations that still
 * hold a flag as set (the sync's INVEPT).  A write after 1 lands in the
 * log or leaves its flag set, and so is taken now or next time; a write
 * between 4 and 5 may be logged by nobody, but it is done before 5
 * returns, and the pages taken are read (copied) only after that. */
uint64_t vm_dirty_take(struct vm *vm)
{
	uint64_t n;

	if (vm->dirty_mode == DIRTY_OFF)
		return 0;
	vm_sync_vcpus(vm);
	arch_vm_dirty_collect(vm);
	n = dirty_take(&vm->dirty, vm->dirty_taken);
	arch_vm_dirty_rearm(vm, vm->dirty_taken);
	vm_sync_vcpus(vm);
	return n;
}

void vm_dirty_stop(struct vm *vm)
{
	if (vm->dirty_mode == DIRTY_OFF)
		return;
	arch_vm_dirty_stop(vm);
	vm_sync_vcpus(vm);   /* each vCPU stops logging before the log goes */
	release(vm);
}
