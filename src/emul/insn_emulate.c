/* Emulation of a decoded MMIO instruction: one device access through
 * insn_mem_ops (two for read-modify-write), then the register and flag
 * updates the SDM's Operation sections give for the instruction. */
#include <hv/errno.h>
#include <hv/insn.h>
#include <hv/string.h>

enum { GPR_AX = 0, GPR_CX = 1, GPR_SP = 4, GPR_SI = 6, GPR_DI = 7 };

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define FL_CF BIT(0)
#define FL_PF BIT(2)
#define FL_AF BIT(4)
#define FL_ZF BIT(6)
#define FL_SF BIT(7)
#define FL_DF BIT(10)
#define FL_OF BIT(11)
#define FL_STATUS (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t sign_bit(unsigned size)
{
	return 1ULL << (8 * size - 1);
}

static uint64_t reg_read(const uint64_t regs[16], int reg, bool high8, unsigned size)
{
	if (high8)
		return (regs[reg] >> 8) & 0xff;
	return regs[reg] & size_mask(size);
}

/* 32-bit results are zero-extended into the 64-bit register; 8- and
 * 16-bit results leave the other bits alone (SDM Vol. 1 3.4.1.1). */
static void reg_write(uint64_t regs[16], int reg, bool high8, unsigned size, uint64_t val)
{
	if (high8)
		regs[reg] = (regs[reg] & ~0xff00ULL) | ((val & 0xff) << 8);
	else if (size == 4)
		regs[reg] = val & 0xffffffffULL;
	else
		regs[reg] = (regs[reg] & ~size_mask(size)) | (val & size_mask(size));
}

static int mem_read(const struct insn_mem_ops *ops, uint64_t gpa, unsigned size, uint64_t *val)
{
	uint64_t v = 0;
	int rc = ops->read(ops->ctx, gpa, size, &v);

	if (rc < 0)
		return rc;
	*val = v & size_mask(size);
	return 0;
}

static int mem_write(const struct insn_mem_ops *ops, uint64_t gpa, unsigned size, uint64_t val)
{
	int rc = ops->write(ops->ctx, gpa, size, val & size_mask(size));

	return rc < 0 ? rc : 0;
}

/* The non-memory operand: the immediate or the register. */
static uint64_t other_operand(const struct insn *in, const uint64_t regs[16])
{
	if (in->has_imm)
		return in->imm;
	return reg_read(regs, in->reg, in->reg_high8, in->size);
}

/* ZF, SF and PF of a result; PF looks at the low byte only. */
static uint64_t flags_zsp(uint64_t res, unsigned size)
{
	uint64_t f = 0;
	uint8_t p = (uint8_t)res;

	if ((res & size_mask(size)) == 0)
		f |= FL_ZF;
	if (res & sign_bit(size))
		f |= FL_SF;
	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	if (!(p & 1))
		f |= FL_PF;
	return f;
}

/* a op b for the group-1 operations and TEST, with the status flags.
 * Bit i of carry is the carry (borrow) out of bit i, so the top bit of
 * the operand size is CF; OF is a sign change the operands cannot
 * explain; AF is the carry out of bit 3.  Logical operations clear CF
 * and OF (SDM Vol. 2A AND/OR/XOR/TEST); their AF is undefined and
 * cleared here. */
static uint64_t alu(unsigned kind, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
	uint64_t cin = (*rflags & FL_CF) ? 1 : 0;
	uint64_t r, carry = 0, ovf = 0, f;
	bool arith = true;

	switch (kind) {
	case INSN_ADD:
	case INSN_ADC:
		r = a + b + (kind == INSN_ADC ? cin : 0);
		carry = (a & b) | ((a | b) & ~r);
		ovf = (a ^ r) & (b ^ r);
		break;
	case INSN_SUB:
	case INSN_SBB:
	case INSN_CMP:
		r = a - b - (kind == INSN_SBB ? cin : 0);
		carry = (~a & b) | ((~a | b) & r);
		ovf = (a ^ b) & (a ^ r);
		break;
	case INSN_OR:
		r = a | b, arith = false;
		break;
	case INSN_XOR:
		r = a ^ b, arith = false;
		break;
	default:   /* INSN_AND, INSN_TEST */
		r = a & b, arith = false;
		break;
	}
	f = flags_zsp(r, size);
	if (carry & sign_bit(size))
		f |= FL_CF;
	if (ovf & sign_bit(size))
		f |= FL_OF;
	if (arith && ((a ^ b ^ r) & 0x10))
		f |= FL_AF;
	*rflags = (*rflags & ~FL_STATUS) | f;
	return r & size_mask(size);
}

static int emulate_alu(const struct insn *in, uint64_t gpa, uint64_t regs[16],
		       uint64_t *rflags, const struct insn_mem_ops *ops)
{
	uint64_t m, other, r, flags = *rflags;
	int rc = mem_read(ops, gpa, in->size, &m);

	if (rc)
		return rc;
	other = other_operand(in, regs);
	if (in->mem_is_dst)
		r = alu(in->kind, m, other, in->size, &flags);
	else
		r = alu(in->kind, other, m, in->size, &flags);
	if (in->kind != INSN_CMP && in->kind != INSN_TEST) {
		if (in->mem_is_dst) {
			rc = mem_write(ops, gpa, in->size, r);
			if (rc)
				return rc;
		} else {
			reg_write(regs, in->reg, in->reg_high8, in->size, r);
		}
	}
	*rflags = flags;
	return 0;
}

/* INC and DEC leave CF alone (SDM Vol. 2A INC, DEC); NEG sets CF unless
 * the operand was 0, as 0 - m does; NOT changes no flag. */
static int emulate_unary(const struct insn *in, uint64_t gpa, uint64_t *rflags,
			 const struct insn_mem_ops *ops)
{
	uint64_t m, r, flags = *rflags;
	int rc = mem_read(ops, gpa, in->size, &m);

	if (rc)
		return rc;
	switch (in->kind) {
	case INSN_INC:
		r = alu(INSN_ADD, m, 1, in->size, &flags);
		flags = (flags & ~FL_CF) | (*rflags & FL_CF);
		break;
	case INSN_DEC:
		r = alu(INSN_SUB, m, 1, in->size, &flags);
		flags = (flags & ~FL_CF) | (*rflags & FL_CF);
		break;
	case INSN_NEG:
		r = alu(INSN_SUB, 0, m, in->size, &flags);
		break;
	default:   /* INSN_NOT */
		r = ~m;
		break;
	}
	rc = mem_write(ops, gpa, in->size, r);
	if (rc)
		return rc;
	*rflags = flags;
	return 0;
}

/* CMPXCHG: the flags of CMP accumulator, memory; the memory is written
 * either way, with its own value when they differ (SDM Vol. 2A CMPXCHG:
 * "the destination operand receives a write cycle without regard to the
 * result of the comparison"), and then the accumulator gets it. */
static int emulate_cmpxchg(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			   uint64_t *rflags, const struct insn_mem_ops *ops)
{
	uint64_t m, acc = reg_read(regs, GPR_AX, false, in->size), flags = *rflags;
	int rc = mem_read(ops, gpa, in->size, &m);

	if (rc)
		return rc;
	alu(INSN_CMP, acc, m, in->size, &flags);
	rc = mem_write(ops, gpa, in->size, acc == m ? other_operand(in, regs) : m);
	if (rc)
		return rc;
	if (acc != m)
		reg_write(regs, GPR_AX, false, in->size, m);
	*rflags = flags;
	return 0;
}

/* XADD: the sum to memory, the old memory value to the register. */
static int emulate_xadd(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			uint64_t *rflags, const struct insn_mem_ops *ops)
{
	uint64_t m, sum, flags = *rflags;
	int rc = mem_read(ops, gpa, in->size, &m);

	if (rc)
		return rc;
	sum = alu(INSN_ADD, m, other_operand(in, regs), in->size, &flags);
	rc = mem_write(ops, gpa, in->size, sum);
	if (rc)
		return rc;
	reg_write(regs, in->reg, in->reg_high8, in->size, m);
	*rflags = flags;
	return 0;
}

static int emulate_mov(const struct insn *in, uint64_t gpa, uint64_t regs[16],
		       const struct insn_mem_ops *ops)
{
	uint64_t v;
	int rc;

	if (in->mem_is_dst)
		return mem_write(ops, gpa, in->size, other_operand(in, regs));
	rc = mem_read(ops, gpa, in->size, &v);
	if (rc)
		return rc;
	reg_write(regs, in->reg, in->reg_high8, in->size, v);
	return 0;
}

/* MOVZX, MOVSX and MOVSXD: a narrower read widened into the register. */
static int emulate_extend(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			  const struct insn_mem_ops *ops)
{
	uint64_t v;
	int rc = mem_read(ops, gpa, in->mem_size, &v);

	if (rc)
		return rc;
	if (in->kind == INSN_MOVSX && (v & sign_bit(in->mem_size)))
		v |= ~size_mask(in->mem_size);
	reg_write(regs, in->reg, in->reg_high8, in->size, v);
	return 0;
}

/* The device sees a read then a write; the bus lock XCHG implies (SDM
 * Vol. 2B XCHG) means nothing to an emulated device. */
static int emulate_xchg(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			const struct insn_mem_ops *ops)
{
	uint64_t m;
	int rc = mem_read(ops, gpa, in->size, &m);

	if (rc)
		return rc;
	rc = mem_write(ops, gpa, in->size, reg_read(regs, in->reg, in->reg_high8, in->size));
	if (rc)
		return rc;
	reg_write(regs, in->reg, in->reg_high8, in->size, m);
	return 0;
}

/* BT, BTS, BTR, BTC.  With a register bit offset the CPU addresses the
 * operand-sized unit that holds the bit (SDM Vol. 2A BT, bit-string
 * addressing); that unit is where the fault was, at gpa, so only the
 * offset modulo the operand width is left to apply.  CF gets the old bit;
 * the other status flags are undefined and left as they were. */
static int emulate_bt(const struct insn *in, uint64_t gpa, uint64_t regs[16],
		      uint64_t *rflags, const struct insn_mem_ops *ops)
{
	uint64_t m, bit;
	int rc = mem_read(ops, gpa, in->size, &m);

	if (rc)
		return rc;
	bit = 1ULL << (other_operand(in, regs) & (8 * in->size - 1));
	if (in->kind != INSN_BT) {
		uint64_t n = in->kind == INSN_BTS ? m | bit :
			     in->kind == INSN_BTR ? m & ~bit : m ^ bit;

		rc = mem_write(ops, gpa, in->size, n);
		if (rc)
			return rc;
	}
	*rflags = (m & bit) ? *rflags | FL_CF : *rflags & ~FL_CF;
	return 0;
}

/* rSI/rDI move by the element size, down when DF is set; they and rCX
 * are as wide as the address size (SDM Vol. 2B STOS, REP). */
static void string_advance(const struct insn *in, uint64_t regs[16], uint64_t rflags, int reg)
{
	uint64_t step = (rflags & FL_DF) ? -(uint64_t)in->size : in->size;

	reg_write(regs, reg, false, in->addr_size, regs[reg] + step);
}

/* After one element: count down rCX for REP, and say whether more remain. */
static int string_done(const struct insn *in, uint64_t regs[16])
{
	uint64_t count;

	if (!in->rep)
		return 0;
	count = reg_read(regs, GPR_CX, false, in->addr_size) - 1;
	reg_write(regs, GPR_CX, false, in->addr_size, count);
	return (count & size_mask(in->addr_size)) ? INSN_REPEAT : 0;
}

/* REP with rCX = 0 does nothing (and would not have faulted). */
static bool string_empty(const struct insn *in, const uint64_t regs[16])
{
	return in->rep && reg_read(regs, GPR_CX, false, in->addr_size) == 0;
}

static int emulate_stos(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			uint64_t rflags, const struct insn_mem_ops *ops)
{
	int rc;

	if (string_empty(in, regs))
		return 0;
	rc = mem_write(ops, gpa, in->size, reg_read(regs, GPR_AX, false, in->size));
	if (rc)
		return rc;
	string_advance(in, regs, rflags, GPR_DI);
	return string_done(in, regs);
}

static int emulate_lods(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			uint64_t rflags, const struct insn_mem_ops *ops)
{
	uint64_t v;
	int rc;

	if (string_empty(in, regs))
		return 0;
	rc = mem_read(ops, gpa, in->size, &v);
	if (rc)
		return rc;
	reg_write(regs, GPR_AX, false, in->size, v);
	string_advance(in, regs, rflags, GPR_SI);
	return string_done(in, regs);
}

/* MOVS has two memory operands and the exit names one: the one that is
 * not RAM is the device at gpa.  The source is tried as RAM first (no
 * device is touched by that); a MOVS between two devices is not
 * emulated. */
static int emulate_movs(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			uint64_t rflags, const struct insn_mem_ops *ops)
{
	uint64_t si = reg_read(regs, GPR_SI, false, in->addr_size);
	uint64_t di = reg_read(regs, GPR_DI, false, in->addr_size);
	uint64_t v;
	int rc;

	if (!ops->ram_read || !ops->ram_write)
		return HV_ENOTSUP;
	if (string_empty(in, regs))
		return 0;
	rc = ops->ram_read(ops->ctx, insn_mem_seg(in), si, in->size, &v);
	if (rc == 0) {
		rc = mem_write(ops, gpa, in->size, v);
	} else if (rc == HV_EIO) {
		rc = mem_read(ops, gpa, in->size, &v);
		if (rc == 0) {
			rc = ops->ram_write(ops->ctx, INSN_SEG_ES, di, in->size, v);
			if (rc == HV_EIO)
				return HV_ENOTSUP;
		}
	}
	if (rc)
		return rc;
	string_advance(in, regs, rflags, GPR_SI);
	string_advance(in, regs, rflags, GPR_DI);
	return string_done(in, regs);
}

/* PUSH m: the device's value onto the stack; POP m: the stack's top to
 * the device.  The stack pointer moves only once the stack access has
 * succeeded (a fault there leaves the instruction undone). */
static int emulate_push_pop(const struct insn *in, uint64_t gpa, uint64_t regs[16],
			    const struct insn_mem_ops *ops)
{
	uint64_t sp = reg_read(regs, GPR_SP, false, in->stack_size), v;
	int rc;

	if (!ops->ram_read || !ops->ram_write)
		return HV_ENOTSUP;
	if (in->kind == INSN_PUSH) {
		sp = (sp - in->size) & size_mask(in->stack_size);
		rc = mem_read(ops, gpa, in->size, &v);
		if (rc == 0)
			rc = ops->ram_write(ops->ctx, INSN_SEG_SS, sp, in->size, v);
	} else {
		rc = ops->ram_read(ops->ctx, INSN_SEG_SS, sp, in->size, &v);
		if (rc == 0)
			rc = mem_write(ops, gpa, in->size, v);
		sp = (sp + in->size) & size_mask(in->stack_size);
	}
	if (rc)
		return rc;
	reg_write(regs, GPR_SP, false, in->stack_size, sp);
	return 0;
}

/* A load zero-extends into the 128-bit register (SDM Vol. 2B MOVD/MOVQ,
 * MOVSS, MOVSD with a memory source); a store takes its low bytes. */
static int emulate_vmov(const struct insn *in, uint64_t gpa, const struct insn_mem_ops *ops)
{
	uint8_t x[16] = { 0 };
	uint64_t v;
	int rc;

	if (!ops->xmm_read || !ops->xmm_write)
		return HV_ENOTSUP;
	if (in->mem_is_dst) {
		ops->xmm_read(ops->ctx, (unsigned)in->reg, x);
		memcpy(&v, x, sizeof(v));
		return mem_write(ops, gpa, in->size, v);
	}
	rc = mem_read(ops, gpa, in->size, &v);
	if (rc)
		return rc;
	memcpy(x, &v, in->size);
	ops->xmm_write(ops->ctx, (unsigned)in->reg, x);
	return 0;
}

int insn_emulate(const struct insn *in, uint64_t gpa, uint64_t regs[16], uint64_t *rflags,
		 const struct insn_mem_ops *ops)
{
	switch (in->kind) {
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR: case INSN_CMP:
	case INSN_TEST:
		return emulate_alu(in, gpa, regs, rflags, ops);
	case INSN_MOV:
		return emulate_mov(in, gpa, regs, ops);
	case INSN_MOVZX:
	case INSN_MOVSX:
		return emulate_extend(in, gpa, regs, ops);
	case INSN_XCHG:
		return emulate_xchg(in, gpa, regs, ops);
	case INSN_BT: case INSN_BTS: case INSN_BTR: case INSN_BTC:
		return emulate_bt(in, gpa, regs, rflags, ops);
	case INSN_STOS:
		return emulate_stos(in, gpa, regs, *rflags, ops);
	case INSN_LODS:
		return emulate_lods(in, gpa, regs, *rflags, ops);
	case INSN_MOVS:
		return emulate_movs(in, gpa, regs, *rflags, ops);
	case INSN_INC: case INSN_DEC: case INSN_NOT: case INSN_NEG:
		return emulate_unary(in, gpa, rflags, ops);
	case INSN_CMPXCHG:
		return emulate_cmpxchg(in, gpa, regs, rflags, ops);
	case INSN_XADD:
		return emulate_xadd(in, gpa, regs, rflags, ops);
	case INSN_PUSH: case INSN_POP:
		return emulate_push_pop(in, gpa, regs, ops);
	case INSN_VMOV:
		return emulate_vmov(in, gpa, ops);
	}
	return HV_ENOTSUP;
}
