/* MMIO emulation: an EPT violation inside a range a device registered on
 * the VM's MMIO bus.  The exit reports only the guest-physical address, so
 * the instruction at RIP is fetched through the guest's page tables,
 * decoded and carried out against the device (include/hv/insn.h). */
#include <arch/vmcs.h>
#include <hv/errno.h>
#include <hv/exit.h>
#include <hv/insn.h>
#include <hv/mmio.h>
#include <hv/vm.h>

#define AR_L  BIT(13)  /* CS.L: 64-bit code segment */
#define AR_DB BIT(14)  /* CS.D: 32-bit default operand size */

static enum cpu_mode code_mode(struct vcpu *v)
{
	uint64_t ar = vmcs_read(VMCS_GUEST_CS_AR);

	if (vcpu_long_mode(v) && (ar & AR_L))
		return CPU_MODE_64;
	return (ar & AR_DB) ? CPU_MODE_32 : CPU_MODE_16;
}

/* Up to 15 bytes at CS:RIP; fewer when the next page is not mapped (the
 * decoder then says whether the instruction really continues there). */
static int fetch(struct vcpu *v, uint8_t *buf, size_t *len)
{
	uint64_t gla = vmcs_read(VMCS_GUEST_CS_BASE) + vcpu_rip(v);
	size_t to_page_end = PAGE_SIZE - (gla & (PAGE_SIZE - 1));
	int rc;

	*len = INSN_MAX_LEN;
	rc = vcpu_read_gva(v, gla, buf, *len);
	if (rc && to_page_end < INSN_MAX_LEN) {
		*len = to_page_end;
		rc = vcpu_read_gva(v, gla, buf, *len);
	}
	return rc;
}

static int bus_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	return io_read(ctx, gpa, size, val);
}

static int bus_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	return io_write(ctx, gpa, size, val);
}

void mmio_emulate(struct vcpu *v, gpa_t gpa, bool write)
{
	struct insn_mem_ops ops = { bus_read, bus_write, NULL, &v->vm->mmio };
	uint8_t code[INSN_MAX_LEN];
	uint64_t rflags, rsp;
	struct insn in;
	size_t len;
	int rc;

	rc = fetch(v, code, &len);
	if (rc == HV_ENOENT)
		return; /* a #PF on the fetch was injected; the guest retries */
	rc = rc ? rc : insn_decode(code, len, code_mode(v), &in);
	if (rc) {
		vm_end(v->vm, VM_END_ERROR, gpa,
		       "MMIO %s at guest-physical 0x%lx (RIP 0x%lx): instruction %02x %02x %02x %02x "
		       "cannot be emulated (%s)", write ? "write" : "read", gpa, vcpu_rip(v), code[0],
		       code[1], code[2], code[3], hv_strerror(rc));
		return;
	}
	rflags = vmcs_read(VMCS_GUEST_RFLAGS);
	rsp = vmcs_read(VMCS_GUEST_RSP);
	v->regs.gpr[GPR_RSP] = rsp;
	rc = insn_emulate(&in, gpa, v->regs.gpr, &rflags, &ops);
	if (rc < 0) {
		vm_end(v->vm, VM_END_ERROR, gpa, "MMIO access at guest-physical 0x%lx failed: %s", gpa,
		       hv_strerror(rc));
		return;
	}
	if (v->regs.gpr[GPR_RSP] != rsp)
		vmcs_write(VMCS_GUEST_RSP, v->regs.gpr[GPR_RSP]);
	vmcs_write(VMCS_GUEST_RFLAGS, rflags);
	if (rc == INSN_REPEAT)
		return;
	/* EPT violations report no instruction length (SDM 28.2.5). */
	v->exit_insn_len = in.len;
	vcpu_skip_instruction(v);
}
