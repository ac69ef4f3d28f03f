/* A vCPU's view of guest memory by linear address: its own page tables
 * (src/emul/gwalk.c) over the VM's RAM, with its paging state from the
 * register cache.  For emulation: instruction fetch, string I/O buffers. */
#ifndef HV_GUEST_MEM_H
#define HV_GUEST_MEM_H

#include <hv/gwalk.h>
#include <hv/types.h>

struct vcpu;

/* Copy between guest-linear memory and a host buffer as the guest at its
 * CPL would access it (access: GWALK_WRITE, GWALK_FETCH or 0).  0; on a
 * fault HV_ENOENT (#PF) or HV_ERANGE (non-canonical: #GP) with *f filled
 * and nothing copied; HV_EIO when the page tables or the buffer are not in
 * guest RAM.  Nothing is injected: see vcpu_queue_gva_fault(). */
int vcpu_copy_from_gva(struct vcpu *v, uint64_t gva, void *dst, size_t len, unsigned access,
		       struct gwalk_fault *f);
int vcpu_copy_to_gva(struct vcpu *v, uint64_t gva, const void *src, size_t len,
		     struct gwalk_fault *f);
/* Queue the exception a fault from the calls above raises. */
void vcpu_queue_gva_fault(struct vcpu *v, int rc, const struct gwalk_fault *f);

/* The same, queueing the exception: 0; HV_ENOENT when a #PF or #GP was
 * queued (the instruction does not complete); HV_EIO outside guest RAM. */
int vcpu_read_gva(struct vcpu *v, uint64_t gva, void *dst, size_t len);
int vcpu_write_gva(struct vcpu *v, uint64_t gva, const void *src, size_t len);
/* Whether len bytes at gva could be written, queueing the fault if not:
 * for INS, which must not read the port before it knows (SDM Vol. 2A INS:
 * the destination is checked first). */
int vcpu_check_gva_write(struct vcpu *v, uint64_t gva, size_t len);

#endif
