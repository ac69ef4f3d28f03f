/* EPT violations and misconfigurations (SDM 29.3.3).  Guest RAM is mapped
 * in full, so a violation means an access to guest-physical space with no
 * RAM: an emulated device's MMIO range (handed to the MMIO bus through the
 * instruction emulator) or nothing at all, which stops the VM with a
 * report.  The hypervisor's own memory and other VMs' memory are never in
 * a guest's EPT, so no guest-physical address reaches them. */
#include <arch/ept.h>
#include <arch/vmcs.h>
#include <hv/errno.h>
#include <hv/exit.h>
#include <hv/log.h>
#include <hv/mmio.h>
#include <hv/vm.h>

/* Exit qualification for EPT violations (SDM 28.2.1, table 28-7). */
#define EPTQ_READ   BIT(0)
#define EPTQ_WRITE  BIT(1)
#define EPTQ_FETCH  BIT(2)
#define EPTQ_NMI_UNBLOCKING BIT(12) /* the access was an IRET's, which unblocked NMIs */

static const char *access_name(uint64_t q)
{
	if (q & EPTQ_FETCH)
		return "instruction fetch";
	return (q & EPTQ_WRITE) ? "write" : "read";
}

void handle_ept_violation(struct vcpu *v)
{
	gpa_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);
	uint64_t q = v->exit_qual;

	/* An IRET that faulted has not returned yet: NMIs stay blocked until
	 * it runs again (SDM Vol. 3C 28.2.3, with virtual NMIs). */
	if ((q & EPTQ_NMI_UNBLOCKING) && (v->pin_ctls & PIN_VIRTUAL_NMIS) &&
	    !(vmcs_read(VMCS_IDT_VECTORING_INFO) & INTR_INFO_VALID))
		vmcs_write(VMCS_GUEST_INTERRUPTIBILITY,
			   vmcs_read(VMCS_GUEST_INTERRUPTIBILITY) | INTERRUPTIBILITY_NMI);
	if (!(q & EPTQ_FETCH) && io_find(&v->vm->mmio, gpa, 1)) {
		mmio_emulate(v, gpa, q & EPTQ_WRITE);
		return;
	}
	vm_end(v->vm, VM_END_ERROR, gpa,
	       "EPT violation: %s at guest-physical 0x%lx (RIP 0x%lx), no device there",
	       access_name(q), gpa, vcpu_rip(v));
}

/* A misconfigured EPT entry is the hypervisor's bug, not the guest's; the
 * VM cannot go on, the hypervisor can. */
void handle_ept_misconfig(struct vcpu *v)
{
	gpa_t gpa = vmcs_read(VMCS_GUEST_PHYSICAL_ADDRESS);

	pr_err("vm %u (%s): EPT misconfiguration at guest-physical 0x%lx: a hypervisor bug",
	       v->vm->id, v->vm->name, gpa);
	vm_end(v->vm, VM_END_ERROR, gpa, "EPT misconfiguration at guest-physical 0x%lx (RIP 0x%lx)",
	       gpa, vcpu_rip(v));
}
