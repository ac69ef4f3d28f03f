/* x86 instruction decoder for the memory-operand instructions that guests
 * use on MMIO.  It follows the instruction format of SDM Vol. 2A chapter 2
 * (prefixes, REX, opcode, ModRM, SIB, displacement, immediate) and the
 * opcode map of Vol. 2D appendix A, restricted to a table of supported
 * opcodes: whatever is not in the table is HV_ENOTSUP. */
#include <hv/errno.h>
#include <hv/insn.h>

enum { GPR_AX, GPR_CX, GPR_DX, GPR_BX, GPR_SP, GPR_BP, GPR_SI, GPR_DI };

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

/* Opcode properties. */
enum {
	F_MODRM = 1 << 0,   /* a ModRM byte follows */
	F_BYTE = 1 << 1,    /* 8-bit operands (the low bit of the opcode is 0) */
	F_MEMDST = 1 << 2,  /* the r/m operand is the first one */
	F_IMM8 = 1 << 3,    /* Ib */
	F_IMMZ = 1 << 4,    /* Iz: imm16 or imm32, sign-extended to 64 with REX.W */
	F_SRC8 = 1 << 5,    /* Eb source of MOVZX/MOVSX */
	F_SRC16 = 1 << 6,   /* Ew source of MOVZX/MOVSX */
	F_SRC32 = 1 << 7,   /* Ed source of MOVSXD (Ew with a 16-bit operand size) */
	F_MOFFS = 1 << 8,   /* Ob/Ov: an absolute address of the address size */
	F_STRING = 1 << 9,  /* implicit rSI/rDI operands */
	F_ONLY64 = 1 << 10, /* another instruction outside 64-bit mode */
	F_IMM8U = 1 << 11,  /* the Ib is a bit offset: not sign-extended */
	F_SSE = 1 << 12,    /* an SSE move: the 66, F2 or F3 prefix chooses (decode_sse) */
};

/* Opcodes whose ModRM.reg field extends the opcode (Vol. 2D table A-6). */
enum { G_NONE, G_1, G_1A, G_3, G_4, G_5, G_8, G_11, G_COUNT };

struct opdesc {
	uint8_t kind;    /* enum insn_kind, or INSN_NONE for a group */
	uint8_t group;
	uint16_t flags;
};

/* ModRM.reg -> kind.  Gaps are INSN_NONE: group 3 /1 is an undocumented
 * alias of TEST and MUL/IMUL/DIV/IDIV are not emulated; group 5's CALL
 * and JMP through memory are not either (code does not run from a
 * device's registers); group 11 /7 with a register is XABORT; group 8
 * /0-/3 are reserved. */
static const uint8_t group_kinds[G_COUNT][8] = {
	[G_1] = { INSN_ADD, INSN_OR, INSN_ADC, INSN_SBB, INSN_AND, INSN_SUB, INSN_XOR, INSN_CMP },
	[G_1A] = { [0] = INSN_POP },
	[G_3] = { [0] = INSN_TEST, [2] = INSN_NOT, [3] = INSN_NEG },
	[G_4] = { INSN_INC, INSN_DEC },
	[G_5] = { INSN_INC, INSN_DEC, [6] = INSN_PUSH },
	[G_8] = { [4] = INSN_BT, INSN_BTS, INSN_BTR, INSN_BTC },
	[G_11] = { [0] = INSN_MOV },
};

/* The ALU rows of table A-2: op Eb,Gb; op Ev,Gv; op Gb,Eb; op Gv,Ev.  The
 * AL/eAX-immediate columns (+4, +5) touch no memory and are left out. */
#define ALU_ROW(op, k) \
	[(op) + 0] = { k, G_NONE, F_MODRM | F_BYTE | F_MEMDST }, \
	[(op) + 1] = { k, G_NONE, F_MODRM | F_MEMDST }, \
	[(op) + 2] = { k, G_NONE, F_MODRM | F_BYTE }, \
	[(op) + 3] = { k, G_NONE, F_MODRM }

/* One-byte opcode map (Vol. 2D table A-2). */
static const struct opdesc onebyte[256] = {
	ALU_ROW(0x00, INSN_ADD),
	ALU_ROW(0x08, INSN_OR),
	ALU_ROW(0x10, INSN_ADC),
	ALU_ROW(0x18, INSN_SBB),
	ALU_ROW(0x20, INSN_AND),
	ALU_ROW(0x28, INSN_SUB),
	ALU_ROW(0x30, INSN_XOR),
	ALU_ROW(0x38, INSN_CMP),
	[0x63] = { INSN_MOVSX, G_NONE, F_MODRM | F_SRC32 | F_ONLY64 },  /* ARPL outside */
	[0x80] = { INSN_NONE, G_1, F_MODRM | F_BYTE | F_MEMDST | F_IMM8 },
	[0x81] = { INSN_NONE, G_1, F_MODRM | F_MEMDST | F_IMMZ },
	[0x83] = { INSN_NONE, G_1, F_MODRM | F_MEMDST | F_IMM8 },
	[0x84] = { INSN_TEST, G_NONE, F_MODRM | F_BYTE | F_MEMDST },
	[0x85] = { INSN_TEST, G_NONE, F_MODRM | F_MEMDST },
	[0x86] = { INSN_XCHG, G_NONE, F_MODRM | F_BYTE | F_MEMDST },
	[0x87] = { INSN_XCHG, G_NONE, F_MODRM | F_MEMDST },
	[0x88] = { INSN_MOV, G_NONE, F_MODRM | F_BYTE | F_MEMDST },
	[0x89] = { INSN_MOV, G_NONE, F_MODRM | F_MEMDST },
	[0x8a] = { INSN_MOV, G_NONE, F_MODRM | F_BYTE },
	[0x8b] = { INSN_MOV, G_NONE, F_MODRM },
	[0xa0] = { INSN_MOV, G_NONE, F_MOFFS | F_BYTE },
	[0xa1] = { INSN_MOV, G_NONE, F_MOFFS },
	[0xa2] = { INSN_MOV, G_NONE, F_MOFFS | F_BYTE | F_MEMDST },
	[0xa3] = { INSN_MOV, G_NONE, F_MOFFS | F_MEMDST },
	[0xa4] = { INSN_MOVS, G_NONE, F_STRING | F_BYTE | F_MEMDST },
	[0xa5] = { INSN_MOVS, G_NONE, F_STRING | F_MEMDST },
	[0xaa] = { INSN_STOS, G_NONE, F_STRING | F_BYTE | F_MEMDST },
	[0xab] = { INSN_STOS, G_NONE, F_STRING | F_MEMDST },
	[0xac] = { INSN_LODS, G_NONE, F_STRING | F_BYTE },
	[0xad] = { INSN_LODS, G_NONE, F_STRING },
	[0x8f] = { INSN_NONE, G_1A, F_MODRM | F_MEMDST },
	[0xc6] = { INSN_NONE, G_11, F_MODRM | F_BYTE | F_MEMDST | F_IMM8 },
	[0xc7] = { INSN_NONE, G_11, F_MODRM | F_MEMDST | F_IMMZ },
	/* The immediate is TEST's (/0) only: NOT and NEG have none. */
	[0xf6] = { INSN_NONE, G_3, F_MODRM | F_BYTE | F_MEMDST | F_IMM8 },
	[0xf7] = { INSN_NONE, G_3, F_MODRM | F_MEMDST | F_IMMZ },
	[0xfe] = { INSN_NONE, G_4, F_MODRM | F_BYTE | F_MEMDST },
	[0xff] = { INSN_NONE, G_5, F_MODRM | F_MEMDST },
};

/* Two-byte opcode map, 0F xx (Vol. 2D table A-3). */
static const struct opdesc twobyte[256] = {
	[0x10] = { INSN_VMOV, G_NONE, F_MODRM | F_SSE },     /* MOVSS/MOVSD xmm, m */
	[0x11] = { INSN_VMOV, G_NONE, F_MODRM | F_SSE },     /* MOVSS/MOVSD m, xmm */
	[0x6e] = { INSN_VMOV, G_NONE, F_MODRM | F_SSE },     /* MOVD/MOVQ xmm, m */
	[0x7e] = { INSN_VMOV, G_NONE, F_MODRM | F_SSE },     /* MOVD/MOVQ m, xmm; MOVQ xmm, m */
	[0xd6] = { INSN_VMOV, G_NONE, F_MODRM | F_SSE },     /* MOVQ m, xmm */
	[0xa3] = { INSN_BT, G_NONE, F_MODRM | F_MEMDST },
	[0xab] = { INSN_BTS, G_NONE, F_MODRM | F_MEMDST },
	[0xb0] = { INSN_CMPXCHG, G_NONE, F_MODRM | F_BYTE | F_MEMDST },
	[0xb1] = { INSN_CMPXCHG, G_NONE, F_MODRM | F_MEMDST },
	[0xb3] = { INSN_BTR, G_NONE, F_MODRM | F_MEMDST },
	[0xb6] = { INSN_MOVZX, G_NONE, F_MODRM | F_SRC8 },
	[0xb7] = { INSN_MOVZX, G_NONE, F_MODRM | F_SRC16 },
	[0xba] = { INSN_NONE, G_8, F_MODRM | F_MEMDST | F_IMM8 | F_IMM8U },
	[0xbb] = { INSN_BTC, G_NONE, F_MODRM | F_MEMDST },
	[0xbe] = { INSN_MOVSX, G_NONE, F_MODRM | F_SRC8 },
	[0xbf] = { INSN_MOVSX, G_NONE, F_MODRM | F_SRC16 },
	[0xc0] = { INSN_XADD, G_NONE, F_MODRM | F_BYTE | F_MEMDST },
	[0xc1] = { INSN_XADD, G_NONE, F_MODRM | F_MEMDST },
};

/* The bytes being decoded; limit is at most INSN_MAX_LEN, so running off
 * the end covers both truncated input and over-long instructions. */
struct cursor {
	const uint8_t *code;
	size_t limit;
	size_t pos;
};

/* Everything the prefixes decide that struct insn does not keep. */
struct decode_state {
	enum cpu_mode mode;
	bool opsize;     /* 66 */
	bool addrsize;   /* 67 */
	bool conflict;   /* two different segment or repeat prefixes */
	struct opdesc desc;
};

static int peek_byte(const struct cursor *c, uint8_t *b)
{
	if (c->pos >= c->limit)
		return HV_EINVAL;
	*b = c->code[c->pos];
	return 0;
}

/* n little-endian bytes, sign-extended to 64 bits. */
static int fetch_signed(struct cursor *c, unsigned n, uint64_t *val)
{
	uint64_t v = 0;

	if (n > c->limit - c->pos)
		return HV_EINVAL;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->code[c->pos + i] << (8 * i);
	c->pos += n;
	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ULL << (8 * n);
	*val = v;
	return 0;
}

static int fetch_byte(struct cursor *c, uint8_t *b)
{
	int rc = peek_byte(c, b);

	if (rc == 0)
		c->pos++;
	return rc;
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* Group 2: segment overrides; -1 if b is none. */
static int segment_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: return INSN_SEG_ES;
	case 0x2e: return INSN_SEG_CS;
	case 0x36: return INSN_SEG_SS;
	case 0x3e: return INSN_SEG_DS;
	case 0x64: return INSN_SEG_FS;
	case 0x65: return INSN_SEG_GS;
	}
	return -1;
}

/* Legacy prefix groups 1-4 (SDM Vol. 2A 2.1.1); false if b is none. */
static bool legacy_prefix(uint8_t b, struct insn *out, struct decode_state *st)
{
	int seg = segment_prefix(b);

	if (seg >= 0) {
		st->conflict |= out->seg != INSN_SEG_NONE && out->seg != seg;
		out->seg = (uint8_t)seg;
	} else if (b == 0x66) {
		st->opsize = true;
	} else if (b == 0x67) {
		st->addrsize = true;
	} else if (b == 0xf0) {
		out->lock = true;
	} else if (b == 0xf2 || b == 0xf3) {
		st->conflict |= out->rep && out->rep != b;
		out->rep = b;
	} else {
		return false;
	}
	return true;
}

/* Prefixes in any order, repeats allowed.  Two different prefixes of one
 * group (say FS and DS, or F2 and F3) are refused: SDM Vol. 2A 2.1.1 only
 * says one per group is useful, not which one applies.  REX counts only
 * right before the opcode: one followed by another prefix is ignored
 * (2.2.1).  Outside 64-bit mode 40-4F are INC/DEC. */
static int decode_prefixes(struct cursor *c, struct insn *out, struct decode_state *st)
{
	for (;;) {
		uint8_t b;
		int rc = peek_byte(c, &b);

		if (rc)
			return rc;
		if (st->mode == CPU_MODE_64 && (b & 0xf0) == 0x40)
			out->rex = b;
		else if (legacy_prefix(b, out, st))
			out->rex = 0;
		else
			return st->conflict ? HV_ENOTSUP : 0;
		c->pos++;
	}
}

static int decode_opcode(struct cursor *c, struct insn *out, struct decode_state *st)
{
	int rc = fetch_byte(c, &out->opcode);

	if (rc)
		return rc;
	if (out->opcode == 0x0f) {
		out->twobyte = true;
		rc = fetch_byte(c, &out->opcode);
		if (rc)
			return rc;
	}
	st->desc = out->twobyte ? twobyte[out->opcode] : onebyte[out->opcode];
	if (st->desc.kind == INSN_NONE && st->desc.group == G_NONE)
		return HV_ENOTSUP;
	if ((st->desc.flags & F_ONLY64) && st->mode != CPU_MODE_64)
		return HV_ENOTSUP;
	out->kind = st->desc.kind;
	return 0;
}

/* Operand size (SDM Vol. 1 3.6.1, table 3-4) and address size (Vol. 2A
 * 2.2.1.3, table 2-4 for 64-bit mode). */
static void decode_sizes(struct insn *out, const struct decode_state *st)
{
	bool is64 = st->mode == CPU_MODE_64;

	if (st->desc.flags & F_BYTE)
		out->size = 1;
	else if (is64 && (out->rex & REX_W))
		out->size = 8;
	else if (st->mode == CPU_MODE_16)
		out->size = st->opsize ? 4 : 2;
	else
		out->size = st->opsize ? 2 : 4;

	if (is64)
		out->addr_size = st->addrsize ? 4 : 8;
	else if (st->mode == CPU_MODE_32)
		out->addr_size = st->addrsize ? 2 : 4;
	else
		out->addr_size = st->addrsize ? 4 : 2;

	out->mem_size = out->size;
	if (st->desc.flags & F_SRC8)
		out->mem_size = 1;
	else if (st->desc.flags & F_SRC16)
		out->mem_size = 2;
	else if ((st->desc.flags & F_SRC32) && out->size == 8)
		out->mem_size = 4;
}

/* The SSE moves, whose 66, F2 or F3 prefix is part of the opcode (SDM
 * Vol. 2A 2.1.2, the "mandatory prefix"): MOVSS/MOVSD (F3/F2 0F 10, 11:
 * 4 or 8 bytes), MOVD/MOVQ (66 0F 6E, 7E: 4 bytes, 8 with REX.W), MOVQ
 * (F3 0F 7E, 66 0F D6: 8 bytes).  A load zero-extends into the XMM
 * register.  Without its prefix the opcode is an MMX move or a 16-byte
 * one (MOVUPS), neither of which is emulated. */
static int decode_sse(struct insn *out, const struct decode_state *st)
{
	bool w = out->rex & REX_W;
	uint8_t rep = out->rep;

	out->rep = 0;
	switch (out->opcode) {
	case 0x10:
	case 0x11:
		if (st->opsize || !rep)
			return HV_ENOTSUP;
		out->size = rep == 0xf3 ? 4 : 8;
		out->mem_is_dst = out->opcode == 0x11;
		break;
	case 0x6e:
	case 0x7e:
		if (st->opsize && !rep) {
			out->size = w ? 8 : 4;
			out->mem_is_dst = out->opcode == 0x7e;
		} else if (out->opcode == 0x7e && rep == 0xf3 && !st->opsize) {
			out->size = 8;
		} else {
			return HV_ENOTSUP;
		}
		break;
	case 0xd6:
		if (!st->opsize || rep)
			return HV_ENOTSUP;
		out->size = 8;
		out->mem_is_dst = true;
		break;
	default:
		return HV_ENOTSUP;
	}
	out->mem_size = out->size;
	return 0;
}

/* PUSH and POP: 64 bits in 64-bit mode unless 66 makes them 16 (SDM Vol.
 * 2B PUSH, "operand size"), else the mode's size; the stack pointer is
 * taken as wide as the mode's (SS.B is not known here). */
static void decode_stack(struct insn *out, const struct decode_state *st)
{
	if (st->mode == CPU_MODE_64) {
		out->size = st->opsize ? 2 : 8;
		out->stack_size = 8;
	} else {
		out->stack_size = st->mode == CPU_MODE_32 ? 4 : 2;
	}
	out->mem_size = out->size;
	out->mem_is_dst = out->kind == INSN_POP;
}

/* 16-bit ModRM (SDM Vol. 2A table 2-1): rm selects a base/index pair. */
static int decode_mem16(struct cursor *c, struct insn *out, unsigned mod, unsigned rm)
{
	static const int8_t base16[8] = { GPR_BX, GPR_BX, GPR_BP, GPR_BP, GPR_SI, GPR_DI, GPR_BP, GPR_BX };
	static const int8_t index16[8] = { GPR_SI, GPR_DI, GPR_SI, GPR_DI, -1, -1, -1, -1 };

	if (mod == 0 && rm == 6)
		return fetch_signed(c, 2, &out->mem.disp);   /* [disp16] */
	out->mem.base = base16[rm];
	out->mem.index = index16[rm];
	if (mod == 1)
		return fetch_signed(c, 1, &out->mem.disp);
	if (mod == 2)
		return fetch_signed(c, 2, &out->mem.disp);
	return 0;
}

/* SIB (SDM Vol. 2A table 2-3).  Index 100 without REX.X means none (R12
 * is a valid index); base 101 with mod 00 means disp32 and no base, with
 * or without REX.B (2.2.1.2, table 2-5). */
static int decode_sib(struct cursor *c, struct insn *out, unsigned mod, bool *disp32)
{
	uint8_t sib;
	unsigned index, base;
	int rc = fetch_byte(c, &sib);

	if (rc)
		return rc;
	index = ((sib >> 3) & 7) | (out->rex & REX_X ? 8 : 0);
	base = sib & 7;
	out->mem.scale = (uint8_t)(1 << (sib >> 6));
	if (index != GPR_SP)
		out->mem.index = (int8_t)index;
	if (base == GPR_BP && mod == 0)
		*disp32 = true;
	else
		out->mem.base = (int8_t)(base | (out->rex & REX_B ? 8 : 0));
	return 0;
}

/* 32/64-bit ModRM (SDM Vol. 2A table 2-2).  rm 100 means a SIB byte and
 * rm 101 with mod 00 means disp32 (RIP-relative in 64-bit mode, 2.2.1.6),
 * both regardless of REX.B. */
static int decode_mem32(struct cursor *c, struct insn *out, bool is64, unsigned mod,
			unsigned rm)
{
	bool disp32 = false;

	if (rm == GPR_SP) {
		int rc = decode_sib(c, out, mod, &disp32);

		if (rc)
			return rc;
	} else if (rm == GPR_BP && mod == 0) {
		disp32 = true;
		out->mem.rip_rel = is64;
	} else {
		out->mem.base = (int8_t)(rm | (out->rex & REX_B ? 8 : 0));
	}
	if (mod == 1)
		return fetch_signed(c, 1, &out->mem.disp);
	if (mod == 2 || disp32)
		return fetch_signed(c, 4, &out->mem.disp);
	return 0;
}

/* With no REX, byte registers 4-7 are AH, CH, DH, BH; with any REX they
 * are SPL, BPL, SIL, DIL (SDM Vol. 2A 2.2.1.2, table 3-1). */
static void set_reg(struct insn *out, unsigned num)
{
	if (out->size == 1 && !out->rex && num >= 4 && num < 8) {
		out->reg = (int8_t)(num - 4);
		out->reg_high8 = true;
		return;
	}
	out->reg = (int8_t)num;
}

static int decode_modrm(struct cursor *c, struct insn *out, const struct decode_state *st)
{
	uint8_t modrm;
	unsigned mod, reg, rm;
	int rc = fetch_byte(c, &modrm);

	if (rc)
		return rc;
	mod = modrm >> 6;
	reg = (modrm >> 3) & 7;
	rm = modrm & 7;
	if (st->desc.group != G_NONE) {
		out->kind = group_kinds[st->desc.group][reg];
		if (out->kind == INSN_NONE)
			return HV_ENOTSUP;
	} else {
		set_reg(out, reg | (out->rex & REX_R ? 8 : 0));
	}
	/* A register operand: no memory access, so nothing to emulate. */
	if (mod == 3)
		return HV_ENOTSUP;
	if (out->addr_size == 2)
		return decode_mem16(c, out, mod, rm);
	return decode_mem32(c, out, st->mode == CPU_MODE_64, mod, rm);
}

/* moffs is as wide as the address size (SDM Vol. 2A 2.2.1.4). */
static int decode_moffs(struct cursor *c, struct insn *out)
{
	int rc = fetch_signed(c, out->addr_size, &out->mem.disp);

	out->mem.disp &= size_mask(out->addr_size);
	out->reg = GPR_AX;
	return rc;
}

/* STOS stores to ES:rDI; LODS loads from DS:rSI; MOVS copies DS:rSI
 * (the operand kept here) to ES:rDI.  The accumulator of STOS and LODS
 * is their register operand. */
static void decode_string(struct insn *out)
{
	if (out->kind == INSN_STOS) {
		out->mem.base = GPR_DI;
		out->reg = GPR_AX;
	} else {
		out->mem.base = GPR_SI;
		if (out->kind == INSN_LODS)
			out->reg = GPR_AX;
	}
}

/* Iz is 16 bits with a 16-bit operand size and 32 bits otherwise, also
 * with REX.W (SDM Vol. 2A 2.2.1.5). */
static int decode_imm(struct cursor *c, struct insn *out, uint16_t flags)
{
	unsigned n;
	int rc;

	if (!(flags & (F_IMM8 | F_IMMZ)))
		return 0;
	n = (flags & F_IMM8) ? 1 : (out->size == 2 ? 2 : 4);
	rc = fetch_signed(c, n, &out->imm);
	out->imm &= size_mask((flags & F_IMM8U) ? 1 : out->size);
	out->has_imm = true;
	return rc;
}

/* LOCK is only valid on a read-modify-write of memory, else #UD (SDM Vol.
 * 2A LOCK).  CMP and BT read only. */
static bool lock_ok(const struct insn *in)
{
	switch (in->kind) {
	case INSN_ADD: case INSN_OR: case INSN_ADC: case INSN_SBB:
	case INSN_AND: case INSN_SUB: case INSN_XOR:
		return in->mem_is_dst;
	case INSN_XCHG: case INSN_BTS: case INSN_BTR: case INSN_BTC:
	case INSN_INC: case INSN_DEC: case INSN_NOT: case INSN_NEG:
	case INSN_CMPXCHG: case INSN_XADD:
		return true;
	}
	return false;
}

/* F2/F3 repeat string instructions (REPNE only CMPS/SCAS), and are the
 * XACQUIRE/XRELEASE hints on locked instructions and XCHG, XRELEASE also
 * on MOV stores 88/89/C6/C7 (SDM Vol. 2A 2.1.1, XACQUIRE/XRELEASE); other
 * uses are reserved, so they are refused rather than guessed at. */
static bool rep_ok(const struct insn *in)
{
	if (!in->rep)
		return true;
	if (in->kind == INSN_STOS || in->kind == INSN_MOVS || in->kind == INSN_LODS)
		return in->rep == 0xf3;
	if (in->lock || in->kind == INSN_XCHG)
		return true;
	if (in->rep != 0xf3 || in->twobyte)
		return false;
	return in->opcode == 0x88 || in->opcode == 0x89 || in->opcode == 0xc6 ||
	       in->opcode == 0xc7;
}

static int decode_operands(struct cursor *c, struct insn *out, const struct decode_state *st)
{
	uint16_t flags = st->desc.flags;
	int rc = 0;

	if (!(flags & F_SSE))
		out->mem_is_dst = (flags & F_MEMDST) != 0;
	if (flags & F_MODRM)
		rc = decode_modrm(c, out, st);
	else if (flags & F_MOFFS)
		rc = decode_moffs(c, out);
	else
		decode_string(out);
	if (rc)
		return rc;
	if (out->kind == INSN_PUSH || out->kind == INSN_POP)
		decode_stack(out, st);
	if (out->kind == INSN_NOT || out->kind == INSN_NEG)
		flags &= (uint16_t)~(F_IMM8 | F_IMMZ);
	return decode_imm(c, out, flags);
}

int insn_decode(const uint8_t *code, size_t avail, enum cpu_mode mode, struct insn *out)
{
	struct cursor c = { code, MIN(avail, (size_t)INSN_MAX_LEN), 0 };
	struct decode_state st = { .mode = mode };
	int rc;

	*out = (struct insn){
		.reg = -1,
		.seg = INSN_SEG_NONE,
		.mem = { .base = -1, .index = -1, .scale = 1 },
	};
	if (mode != CPU_MODE_16 && mode != CPU_MODE_32 && mode != CPU_MODE_64)
		return HV_EINVAL;
	rc = decode_prefixes(&c, out, &st);
	if (rc == 0)
		rc = decode_opcode(&c, out, &st);
	if (rc)
		return rc;
	decode_sizes(out, &st);
	rc = (st.desc.flags & F_SSE) ? decode_sse(out, &st) : 0;
	if (rc == 0)
		rc = decode_operands(&c, out, &st);
	if (rc)
		return rc;
	if (out->lock && !lock_ok(out))
		return HV_EINVAL;
	if (!rep_ok(out))
		return HV_ENOTSUP;
	out->len = (uint8_t)c.pos;
	return 0;
}

uint64_t insn_mem_offset(const struct insn *in, const uint64_t regs[16], uint64_t rip)
{
	uint64_t ea = in->mem.disp;

	if (in->mem.rip_rel)
		ea += rip + in->len;
	if (in->mem.base >= 0)
		ea += regs[in->mem.base];
	if (in->mem.index >= 0)
		ea += regs[in->mem.index] * in->mem.scale;
	/* Address arithmetic wraps at the address size (SDM Vol. 1 3.3.7). */
	return ea & size_mask(in->addr_size);
}

enum insn_seg insn_mem_seg(const struct insn *in)
{
	if (in->kind == INSN_STOS)
		return INSN_SEG_ES;
	if (in->seg != INSN_SEG_NONE)
		return (enum insn_seg)in->seg;
	/* SDM Vol. 1 3.7.4: rSP/rBP as the base default to SS. */
	if (in->mem.base == GPR_SP || in->mem.base == GPR_BP)
		return INSN_SEG_SS;
	return INSN_SEG_DS;
}
