/* Accesses to guest-physical space that holds no RAM.  Guest RAM is
 * mapped in full, so such an access is meant for an emulated device's
 * MMIO range, or for a hole: there the bus floats as on a PC (reads all
 * ones, writes dropped), or, with the VM option holes=stop, the VM stops
 * with a report.  The exit
 * tells only the address, so the instruction at RIP is fetched through
 * the guest's page tables, decoded and carried out against the device on
 * the VM's MMIO bus (hv/insn.h).  The hypervisor's memory and other VMs'
 * are never in a guest's second-level tables: no address reaches them. */
#include <hv/breakpoint.h>
#include <hv/errno.h>
#include <hv/guest_mem.h>
#include <hv/insn.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

static const char *access_name(const struct mmio_request *r)
{
	if (r->fetch)
		return "instruction fetch";
	return r->write ? "write" : "read";
}

static enum cpu_mode code_mode(struct vcpu *v)
{
	if (vcpu_64bit_code(v))
		return CPU_MODE_64;
	return (vcpu_get(v, VREG_CS_AR) & SEG_AR_DB) ? CPU_MODE_32 : CPU_MODE_16;
}

/* Up to 15 bytes at CS:RIP.  When the page after the instruction's does
 * not translate, or translates to no RAM, what is before it is fetched;
 * the fault is the guest's only if the instruction turns out to continue
 * there (*fault_rc; HV_EIO: no RAM there). */
static int fetch(struct vcpu *v, uint8_t *buf, size_t *len, int *fault_rc,
		 struct gwalk_fault *fault)
{
	uint64_t gla = vcpu_get(v, VREG_CS_BASE) + vcpu_get(v, VREG_RIP);
	size_t to_page_end = PAGE_SIZE - (gla & (PAGE_SIZE - 1));
	struct gwalk_fault f2;
	int rc;

	*len = INSN_MAX_LEN;
	*fault_rc = 0;
	rc = vcpu_copy_from_gva(v, gla, buf, *len, GWALK_FETCH, fault);
	if ((rc == HV_ENOENT || rc == HV_ERANGE || rc == HV_EIO) && to_page_end < INSN_MAX_LEN) {
		*fault_rc = rc;
		*len = to_page_end;
		rc = vcpu_copy_from_gva(v, gla, buf, *len, GWALK_FETCH, &f2);
		if (rc)
			*fault = f2;
	}
	if (rc == HV_ENOENT || rc == HV_ERANGE) {
		vcpu_queue_gva_fault(v, rc, fault);
		return HV_ENOENT;
	}
	return rc;
}

/* Where no device answers the bus floats, as on a PC: reads give all
 * ones and writes go nowhere (holes=ones, the default); with holes=stop
 * the access fails and the VM stops. */
static int bus_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct vm *vm = ((struct vcpu *)ctx)->vm;
	int rc = io_read(&vm->mmio, gpa, size, val);

	if (rc == HV_ENOENT && !vm->holes_stop) {
		*val = ~0ULL;
		return 0;
	}
	return rc;
}

static int bus_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	struct vm *vm = ((struct vcpu *)ctx)->vm;
	int rc = io_write(&vm->mmio, gpa, size, val);

	return rc == HV_ENOENT && !vm->holes_stop ? 0 : rc;
}

/* seg:offset as a linear address: in 64-bit mode only FS and GS have a
 * base (SDM Vol. 3A 3.4.4); elsewhere the address is 32 bits.  The
 * segment's limit and rights are not checked: the instruction passed
 * them for its device operand, and its other one is RAM. */
static uint64_t linear(struct vcpu *v, enum insn_seg seg, uint64_t offset)
{
	static const enum vreg base[] = {
		[INSN_SEG_ES] = VREG_ES_BASE, [INSN_SEG_CS] = VREG_CS_BASE,
		[INSN_SEG_SS] = VREG_SS_BASE, [INSN_SEG_DS] = VREG_DS_BASE,
		[INSN_SEG_FS] = VREG_FS_BASE, [INSN_SEG_GS] = VREG_GS_BASE,
	};

	if (vcpu_64bit_code(v))
		return seg == INSN_SEG_FS || seg == INSN_SEG_GS ? offset + vcpu_get(v, base[seg])
								: offset;
	return (uint32_t)(vcpu_get(v, base[seg]) + offset);
}

/* The instruction's other operand, in RAM: a fault there is queued
 * (HV_EFAULT), no RAM is HV_EIO. */
static int ram_read(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size, uint64_t *val)
{
	struct vcpu *v = ctx;
	int rc;

	*val = 0;
	rc = vcpu_read_gva(v, linear(v, seg, offset), val, size);
	return rc == HV_ENOENT ? HV_EFAULT : rc;
}

static int ram_write(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size, uint64_t val)
{
	struct vcpu *v = ctx;
	int rc = vcpu_write_gva(v, linear(v, seg, offset), &val, size);

	return rc == HV_ENOENT ? HV_EFAULT : rc;
}

static void xmm_read(void *ctx, unsigned reg, uint8_t val[16]) { arch_vcpu_xmm_read(ctx, reg, val); }

static void xmm_write(void *ctx, unsigned reg, const uint8_t val[16])
{
	arch_vcpu_xmm_write(ctx, reg, val);
}

static enum vmexit_ret cannot(struct vcpu *v, const struct mmio_request *r, const char *why)
{
	vm_end(v->vm, VM_END_ERROR, r->gpa, "EPT violation: %s at guest-physical 0x%lx (RIP 0x%lx), %s",
	       access_name(r), r->gpa, vcpu_get(v, VREG_RIP), why);
	return VMEXIT_STOP;
}

/* Whether the instruction writes its memory operand: what a write
 * breakpoint sees.  The EPT violation may report only the read of a
 * read-modify-write. */
static bool writes_memory(const struct mmio_request *r, const struct insn *in)
{
	return r->write || (in->mem_is_dst && in->kind != INSN_CMP && in->kind != INSN_TEST &&
			    in->kind != INSN_BT);
}

/* A data breakpoint on the device's register traps after the emulated
 * access as after the CPU's own (Vol. 3B 18.3.1.2). */
static void data_breakpoint(struct vcpu *v, const struct mmio_request *r, const struct insn *in)
{
	uint32_t hits;

	if (!r->gla_valid)
		return;
	hits = vcpu_breakpoint_hits(v, writes_memory(r, in) ? BP_WRITE : BP_READ, r->gla,
				    in->mem_size);
	if (hits)
		vcpu_breakpoint_trap(v, hits);
}

static enum vmexit_ret emulate(struct vcpu *v, const struct mmio_request *r, const struct insn *in)
{
	struct insn_mem_ops ops = { bus_read, bus_write, ram_read, ram_write, xmm_read, xmm_write, v };
	uint64_t rflags = vcpu_get(v, VREG_RFLAGS);
	uint64_t rsp = vcpu_get(v, VREG_RSP);
	int rc;

	v->regs.gpr[GPR_RSP] = rsp;
	rc = insn_emulate(in, r->gpa, v->regs.gpr, &rflags, &ops);
	if (rc == HV_EFAULT)
		return VMEXIT_INJECTED;     /* its RAM operand faulted: the guest's handler runs */
	if (rc == HV_ENOTSUP && in->kind == INSN_MOVS) {
		vm_end(v->vm, VM_END_ERROR, r->gpa, "MMIO access at guest-physical 0x%lx (RIP 0x%lx): "
		       "MOVS between two devices is not emulated", r->gpa, vcpu_get(v, VREG_RIP));
		return VMEXIT_STOP;
	}
	if (rc == HV_ENOENT) {
		/* It starts in a device's range but does not end there. */
		vm_end(v->vm, VM_END_ERROR, r->gpa, "MMIO access at guest-physical 0x%lx (RIP 0x%lx) "
		       "goes beyond its device", r->gpa, vcpu_get(v, VREG_RIP));
		return VMEXIT_STOP;
	}
	if (rc < 0) {
		vm_end(v->vm, VM_END_ERROR, r->gpa, "MMIO access at guest-physical 0x%lx failed: %s",
		       r->gpa, hv_strerror(rc));
		return VMEXIT_STOP;
	}
	vcpu_set(v, VREG_RSP, v->regs.gpr[GPR_RSP]);
	vcpu_set(v, VREG_RFLAGS, rflags);
	data_breakpoint(v, r, in);
	/* Devices may raise interrupts or move timers on any access. */
	vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	if (vm_ended(v->vm))
		return VMEXIT_STOP;
	if (rc == INSN_REPEAT)
		return VMEXIT_RETRY;
	/* EPT violations report no instruction length (SDM 28.2.5). */
	v->insn_len = in->len;
	return VMEXIT_NEXT;
}

enum vmexit_ret mmio_emulate(struct vcpu *v, const struct mmio_request *r)
{
	uint8_t code[INSN_MAX_LEN] = { 0 };
	struct gwalk_fault fault;
	struct insn in;
	size_t len;
	int rc, fault_rc;
	enum vmexit_ret ret;
	bool device = io_find(&v->vm->mmio, r->gpa, 1);

	/* A hole is emulated as an open bus for an instruction's data only
	 * (holes=ones): not for its fetch, a page walk or an event's
	 * delivery, which no PC software makes there on purpose. */
	if (!device && (v->vm->holes_stop || r->fetch || r->page_walk || r->in_delivery))
		return cannot(v, r, "no device there");
	/* A device's registers are no instructions: refuse, do not emulate. */
	if (r->fetch)
		return cannot(v, r, "code cannot run from device memory");
	/* Only an instruction's own operand can be emulated: a device page
	 * used as a page table, an IDT or the stack of an event's delivery
	 * is not something a device can be. */
	if (r->page_walk)
		return cannot(v, r, "a page-table access to device memory");
	if (r->in_delivery)
		return cannot(v, r, "during event delivery (an IDT or stack in device memory)");
	rc = fetch(v, code, &len, &fault_rc, &fault);
	if (rc == HV_ENOENT)
		return VMEXIT_INJECTED; /* a fault on the fetch was queued; the guest retries */
	if (rc == HV_EIO)
		return cannot(v, r, "its instruction (or its page tables) not in guest RAM: "
			      "code cannot run from device memory");
	rc = rc ? rc : insn_decode(code, len, code_mode(v), &in);
	if (rc == HV_EINVAL && fault_rc == HV_EIO)
		return cannot(v, r, "its instruction goes on into a page with no guest RAM: "
			      "code cannot run from device memory");
	if (rc == HV_EINVAL && fault_rc) {
		/* The instruction goes on into the page that does not translate. */
		vcpu_queue_gva_fault(v, fault_rc, &fault);
		return VMEXIT_INJECTED;
	}
	if (rc) {
		vm_end(v->vm, VM_END_ERROR, r->gpa,
		       "MMIO %s at guest-physical 0x%lx (RIP 0x%lx): instruction %02x %02x %02x %02x "
		       "cannot be emulated (%s)", r->write ? "write" : "read", r->gpa,
		       vcpu_get(v, VREG_RIP), code[0], code[1], code[2], code[3], hv_strerror(rc));
		return VMEXIT_STOP;
	}
	vm_lock(v->vm);
	ret = emulate(v, r, &in);
	vm_unlock(v->vm);
	return ret;
}
