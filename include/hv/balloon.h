/* A VM's pages given to the hypervisor by its balloon, and taken back
 * (the VM side of src/dev/virtio_balloon.c).  A page given up is
 * unmapped from the VM's second-level tables and its host page freed;
 * one taken back is mapped again, on its old host page if that is still
 * free, else on a fresh one (zeroed either way), and the VM's gmem map
 * (hv/gmem.h) says where, so that the hypervisor's own accesses follow.
 * VMs with one vCPU only: the other CPUs' cached translations are not
 * shot down (arch_vm_unmap_page). */
#ifndef HV_BALLOON_H
#define HV_BALLOON_H

#include <hv/types.h>

struct vm;

/* The VM's page map (8 bytes a page of its RAM, from the free memory):
 * 0 or HV_ENOMEM. */
int balloon_prepare(struct vm *vm);
/* 0; HV_ERANGE (not a page of its RAM), HV_EBUSY (given already, or not
 * given), HV_ENOMEM (no page to take back on). */
int balloon_give(struct vm *vm, uint64_t pfn);
int balloon_take(struct vm *vm, uint64_t pfn);
/* At the VM's end: its RAM given back page by page (what it gave is
 * free already), and the map. */
void balloon_release(struct vm *vm);
/* Pages the VM has given and not taken back. */
uint64_t balloon_given(const struct vm *vm);

#endif
