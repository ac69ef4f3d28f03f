/* Port I/O: IN, OUT and the string forms INS and OUTS, with or without
 * REP, through the VM's port-I/O bus.  Every port exits (a guest reaches
 * no real device); a port no device owns reads as all ones and ignores
 * writes, like an empty ISA bus. */
#include <hv/breakpoint.h>
#include <hv/errno.h>
#include <hv/guest_mem.h>
#include <hv/log.h>
#include <hv/vm.h>
#include <hv/vmexit.h>

/* Elements moved per exit: a long REP string re-executes the instruction
 * for the rest, so one guest cannot hold the CPU for long. */
#define PIO_STRING_CHUNK 4096

static uint64_t size_mask(unsigned size) { return size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1; }

static uint64_t port_in(struct vcpu *v, uint16_t port, unsigned size)
{
	uint64_t val;

	/* No device, or one whose read failed: the bus floats, all ones
	 * (not what a failing callback may have left in val). */
	vm_lock(v->vm);
	if (io_read(&v->vm->pio, port, size, &val))
		val = ~0ULL;
	vm_unlock(v->vm);
	return val & size_mask(size);
}

static void port_out(struct vcpu *v, uint16_t port, unsigned size, uint64_t val)
{
	int rc;

	vm_lock(v->vm);
	rc = io_write(&v->vm->pio, port, size, val);
	vm_unlock(v->vm);
	if (rc == HV_ENOENT)
		pr_debug("vm %u: OUT to unclaimed port 0x%x ignored", v->vm->id, port);
}

static void pio_simple(struct vcpu *v, const struct pio_request *r)
{
	uint64_t rax = v->regs.gpr[GPR_RAX];
	uint64_t mask = size_mask(r->size);

	uint32_t hits;

	if (!r->in)
		port_out(v, r->port, r->size, rax & mask);
	else if (r->size == 4)  /* IN to EAX zero-extends into RAX; to AL/AX it keeps the rest */
		v->regs.gpr[GPR_RAX] = port_in(v, r->port, r->size);
	else
		v->regs.gpr[GPR_RAX] = (rax & ~mask) | port_in(v, r->port, r->size);
	hits = vcpu_breakpoint_hits(v, BP_IO, r->port, r->size);
	if (hits)
		vcpu_breakpoint_trap(v, hits);
}

/* Add to a register as an instruction with this address size would: a
 * 16-bit result keeps bits 63:16, a 32-bit one is zero-extended (SDM
 * Vol. 1 3.4.1.1; outside 64-bit mode bits 63:32 are not visible). */
static void advance(uint64_t *reg, uint64_t delta, uint64_t amask)
{
	if (amask == 0xffffffffULL)
		*reg = (uint32_t)(*reg + delta);
	else
		*reg = (*reg & ~amask) | ((*reg + delta) & amask);
}

/* One element of INS or OUTS: 0, or HV_ENOENT with a fault queued, or
 * HV_EIO for a buffer outside guest RAM. */
static int string_element(struct vcpu *v, const struct pio_request *r, uint64_t gla)
{
	uint64_t val = 0;
	int rc;

	if (r->in) {
		rc = vcpu_check_gva_write(v, gla, r->size);
		if (rc)
			return rc;
		val = port_in(v, r->port, r->size);
		return vcpu_write_gva(v, gla, &val, r->size);
	}
	rc = vcpu_read_gva(v, gla, &val, r->size);
	if (!rc)
		port_out(v, r->port, r->size, val);
	return rc;
}

static enum vmexit_ret pio_string(struct vcpu *v, const struct pio_request *r)
{
	uint64_t amask = r->addr_size == 2 ? 0xffff : r->addr_size == 4 ? 0xffffffffULL : ~0ULL;
	uint64_t step = (vcpu_get(v, VREG_RFLAGS) & RFLAGS_DF) ? -(uint64_t)r->size : r->size;
	unsigned idx = r->in ? GPR_RDI : GPR_RSI;
	uint64_t count = r->rep ? v->regs.gpr[GPR_RCX] & amask : 1;
	uint64_t n = MIN(count, (uint64_t)PIO_STRING_CHUNK);
	/* Each element is at the segment's base plus the index register
	 * taken at the address size, so the offset wraps within the segment
	 * (SDM Vol. 2A INS, OUTS: ES:(E/R)DI, DS:(E/R)SI).  The exit gives
	 * the first element's linear address, base + the register. */
	uint64_t base = r->gla - (v->regs.gpr[idx] & amask);

	for (uint64_t i = 0; i < n && !vm_ended(v->vm); i++) {
		uint64_t gla = base + (v->regs.gpr[idx] & amask);
		int rc = string_element(v, r, gla);
		uint32_t hits;

		if (rc == HV_ENOENT)
			return VMEXIT_INJECTED; /* the instruction restarts after the guest's handler */
		if (rc) {
			vm_end(v->vm, VM_END_ERROR, 0,
			       "string I/O on port 0x%x with a buffer outside guest RAM (linear 0x%lx), "
			       "at RIP 0x%lx", r->port, gla, vcpu_get(v, VREG_RIP));
			return VMEXIT_STOP;
		}
		advance(&v->regs.gpr[idx], step, amask);
		if (r->rep)
			advance(&v->regs.gpr[GPR_RCX], -1ULL, amask);
		/* A breakpoint on the port or the buffer traps after this
		 * element (Vol. 3B 18.3.1.2); a REP goes on after the handler. */
		hits = vcpu_breakpoint_hits(v, BP_IO, r->port, r->size) |
		       vcpu_breakpoint_hits(v, r->in ? BP_WRITE : BP_READ, gla, r->size);
		if (hits) {
			vcpu_breakpoint_trap(v, hits);
			return r->rep && (v->regs.gpr[GPR_RCX] & amask) ? VMEXIT_INJECTED : VMEXIT_NEXT;
		}
	}
	if (vm_ended(v->vm))
		return VMEXIT_STOP;
	return n == count ? VMEXIT_NEXT : VMEXIT_RETRY;
}

enum vmexit_ret pio_emulate(struct vcpu *v, const struct pio_request *r)
{
	enum vmexit_ret ret = VMEXIT_NEXT;

	if (r->string)
		ret = pio_string(v, r);
	else
		pio_simple(v, r);
	/* Devices of the PC platform may raise interrupts or move timers. */
	if (v->vm->platform)
		vcpu_request(v, VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	return vm_ended(v->vm) ? VMEXIT_STOP : ret;
}
