/* I/O instructions (SDM 28.2.1, table 28-5 for the exit qualification).
 * Every port exits (the I/O bitmaps are all ones: a guest reaches no real
 * device) and goes to the VM's port-I/O bus; a port no device owns reads
 * as all ones and ignores writes, like an empty ISA bus. */
#include <arch/cpu.h>
#include <arch/vmcs.h>
#include <hv/errno.h>
#include <hv/exit.h>
#include <hv/log.h>
#include <hv/vm.h>

#define IOQ_SIZE(q)   (((q) & 7) + 1)
#define IOQ_IN        BIT(3)
#define IOQ_STRING    BIT(4)
#define IOQ_REP       BIT(5)
#define IOQ_PORT(q)   (((q) >> 16) & 0xffff)
/* VM-exit instruction information for INS/OUTS (SDM 28.2.5, table 28-8). */
#define IOINFO_ADDR_SIZE(i) (((i) >> 7) & 7)

/* Elements moved per exit: a long REP string re-executes the instruction
 * for the rest, so one guest cannot hold the CPU for long. */
#define IO_STRING_CHUNK 4096

static uint64_t port_in(struct vcpu *v, uint16_t port, unsigned size)
{
	uint64_t val;

	if (io_read(&v->vm->pio, port, size, &val) == HV_ENOENT)
		val = ~0ULL;
	return val & (size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1);
}

static void port_out(struct vcpu *v, uint16_t port, unsigned size, uint64_t val)
{
	if (io_write(&v->vm->pio, port, size, val) == HV_ENOENT)
		pr_debug("vm %u: OUT to unclaimed port 0x%x ignored", v->vm->id, port);
}

static void io_simple(struct vcpu *v, uint16_t port, unsigned size, bool in)
{
	uint64_t rax = v->regs.gpr[GPR_RAX];
	uint64_t mask = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;

	if (!in) {
		port_out(v, port, size, rax & mask);
		return;
	}
	/* IN to EAX zero-extends into RAX; to AL/AX it keeps the rest. */
	if (size == 4)
		v->regs.gpr[GPR_RAX] = port_in(v, port, size);
	else
		v->regs.gpr[GPR_RAX] = (rax & ~mask) | port_in(v, port, size);
}

/* Add to a register as an instruction with this address size would. */
static void advance(uint64_t *reg, uint64_t delta, uint64_t amask)
{
	*reg = (*reg & ~amask) | ((*reg + delta) & amask);
}

/* INS/OUTS, with or without REP.  Returns false if a guest page fault was
 * injected (the instruction restarts after the guest handles it). */
static bool io_string(struct vcpu *v, uint16_t port, unsigned size, bool in, bool rep)
{
	uint32_t info = (uint32_t)vmcs_read(VMCS_EXIT_INSTRUCTION_INFO);
	uint64_t amask = IOINFO_ADDR_SIZE(info) == 0 ? 0xffff
			 : IOINFO_ADDR_SIZE(info) == 1 ? 0xffffffffULL : ~0ULL;
	uint64_t gla = vmcs_read(VMCS_GUEST_LINEAR_ADDRESS);
	bool down = vmcs_read(VMCS_GUEST_RFLAGS) & RFLAGS_DF;
	unsigned idx = in ? GPR_RDI : GPR_RSI;
	uint64_t count = rep ? v->regs.gpr[GPR_RCX] & amask : 1;
	uint64_t n = MIN(count, (uint64_t)IO_STRING_CHUNK);

	for (uint64_t i = 0; i < n && !vm_ended(v->vm); i++) {
		uint64_t val = 0;
		int rc;

		if (in) {
			val = port_in(v, port, size);
			rc = vcpu_write_gva(v, gla, &val, size);
		} else {
			rc = vcpu_read_gva(v, gla, &val, size);
			if (!rc)
				port_out(v, port, size, val);
		}
		if (rc) {
			if (rc != HV_ENOENT)
				vm_end(v->vm, VM_END_ERROR, 0,
				       "string I/O on port 0x%x with a buffer outside guest RAM (linear 0x%lx)",
				       port, gla);
			return false;
		}
		gla += down ? -(uint64_t)size : size;
		advance(&v->regs.gpr[idx], down ? -(uint64_t)size : size, amask);
		if (rep)
			advance(&v->regs.gpr[GPR_RCX], -1ULL, amask);
	}
	return n == count; /* all done: the instruction completes */
}

void handle_io(struct vcpu *v)
{
	uint64_t q = v->exit_qual;
	uint16_t port = IOQ_PORT(q);
	unsigned size = IOQ_SIZE(q);
	bool in = q & IOQ_IN;

	if (!(q & IOQ_STRING)) {
		io_simple(v, port, size, in);
		if (!vm_ended(v->vm))
			vcpu_skip_instruction(v);
		return;
	}
	if (io_string(v, port, size, in, q & IOQ_REP) && !vm_ended(v->vm))
		vcpu_skip_instruction(v);
}
