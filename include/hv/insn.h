/* x86 instruction decoder and emulator for MMIO accesses.
 *
 * An EPT violation on an emulated device's page tells the hypervisor only
 * the guest-physical address and whether it was a read or a write.  The
 * exit handler fetches up to 15 bytes at the guest's RIP, decodes them with
 * insn_decode() and performs the access against the device model with
 * insn_emulate(), which also updates the guest's registers and flags.
 *
 * Only instructions with one memory operand that kernels use on MMIO are
 * understood (MOV, MOVZX/MOVSX/MOVSXD, the ALU group, TEST, XCHG, BT*,
 * STOS, MOVS); anything else is HV_ENOTSUP, never a guess.  Pure logic:
 * built into the image and into the host unit tests. */
#ifndef HV_INSN_H
#define HV_INSN_H

#include <hv/types.h>

#define INSN_MAX_LEN 15   /* SDM Vol. 2A 2.3.11: longer is #GP */

/* The code segment's default operand and address size (CS.D, CS.L). */
enum cpu_mode { CPU_MODE_16, CPU_MODE_32, CPU_MODE_64 };

/* What the instruction does.  INSN_ADD..INSN_CMP are in the /reg order of
 * immediate group 1 and INSN_BT..INSN_BTC in that of group 8 (SDM Vol. 2D
 * table A-6). */
enum insn_kind {
	INSN_NONE,
	INSN_ADD, INSN_OR, INSN_ADC, INSN_SBB, INSN_AND, INSN_SUB, INSN_XOR, INSN_CMP,
	INSN_TEST,
	INSN_MOV,
	INSN_MOVZX,
	INSN_MOVSX,   /* also MOVSXD */
	INSN_XCHG,
	INSN_BT, INSN_BTS, INSN_BTR, INSN_BTC,
	INSN_STOS,
	INSN_MOVS,
	INSN_LODS,
	INSN_INC, INSN_DEC,   /* group 4/5 /0, /1 */
	INSN_NOT, INSN_NEG,   /* group 3 /2, /3 */
	INSN_CMPXCHG,
	INSN_XADD,
	INSN_PUSH,            /* PUSH m: the device is read, the stack written */
	INSN_POP,             /* POP m: the stack is read, the device written */
	INSN_VMOV,            /* MOVD, MOVQ, MOVSS, MOVSD between an XMM register and memory */
};

/* Segment registers in the SDM's Sreg encoding (Vol. 2A 3.1.1.3). */
enum insn_seg {
	INSN_SEG_ES, INSN_SEG_CS, INSN_SEG_SS, INSN_SEG_DS, INSN_SEG_FS, INSN_SEG_GS,
	INSN_SEG_NONE,
};

/* The memory operand: seg:(base + index * scale + disp), the sum taken
 * modulo the address size.  String instructions name their implicit
 * register here too: base = RDI for STOS, RSI (the source) for MOVS and
 * LODS. */
struct insn_mem {
	int8_t base;      /* GPR 0-15, or -1 */
	int8_t index;     /* GPR 0-15, or -1 */
	uint8_t scale;    /* 1, 2, 4 or 8 */
	bool rip_rel;     /* disp is relative to the next instruction's RIP */
	uint64_t disp;    /* sign-extended displacement, or the moffs address */
};

struct insn {
	uint8_t len;        /* bytes, prefixes included: 1-15 */
	uint8_t opcode;     /* the opcode byte (after 0F when twobyte) */
	bool twobyte;       /* 0F escape */
	uint8_t kind;       /* enum insn_kind */
	uint8_t size;       /* operand size in bytes: 1, 2, 4, 8 */
	uint8_t mem_size;   /* bytes the memory access moves; < size only for MOVZX/MOVSX */
	uint8_t addr_size;  /* 2, 4 or 8 */
	int8_t reg;         /* register operand, GPR 0-15 (XMM 0-15 for INSN_VMOV), or -1 */
	bool reg_high8;     /* reg (0-3) names AH, CH, DH or BH */
	bool mem_is_dst;    /* memory is the first operand (written unless CMP/TEST/BT) */
	bool has_imm;
	uint64_t imm;       /* sign-extended to the operand size and truncated to it;
			     * BT*'s bit offset is its plain byte */
	struct insn_mem mem;
	uint8_t seg;        /* enum insn_seg: the segment-override prefix, if any */
	uint8_t rep;        /* 0, 0xf3 (REP/REPE) or 0xf2 (REPNE) */
	bool lock;
	uint8_t rex;        /* the REX byte, 0 when none */
	uint8_t stack_size; /* PUSH, POP: the stack pointer's width, 2, 4 or 8 (taken
			     * from the mode: SS.B is not looked at) */
};

/* Decode the instruction at code[0..avail).  0 on success; HV_EINVAL if
 * avail runs out or the instruction would pass 15 bytes, or if the CPU
 * would raise #UD for it (LOCK on a non-read-modify-write); HV_ENOTSUP
 * for any instruction this module does not emulate, including forms that
 * do not touch memory, and for prefix uses the SDM leaves reserved or
 * ambiguous (F2/F3 outside strings and HLE hints, two different segment
 * overrides). */
int insn_decode(const uint8_t *code, size_t avail, enum cpu_mode mode, struct insn *out);

/* How the emulator reaches memory.  read/write have the io_read_fn and
 * io_write_fn shapes, so an MMIO bus can serve them directly; values are
 * the low size bytes.  ram_read/ram_write reach the instruction's other
 * memory operand in guest RAM by segment and offset (MOVS's second
 * operand, PUSH's and POP's stack): 0, HV_EFAULT when the access faulted
 * and the fault is queued for the guest, HV_EIO when it is not RAM.
 * xmm_read/xmm_write move the 16 bytes of an XMM register.  Any of the
 * last four may be NULL: the instructions that need it are HV_ENOTSUP. */
struct insn_mem_ops {
	int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
	int (*write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
	int (*ram_read)(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size,
			uint64_t *val);
	int (*ram_write)(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size,
			 uint64_t val);
	void (*xmm_read)(void *ctx, unsigned reg, uint8_t val[16]);
	void (*xmm_write)(void *ctx, unsigned reg, const uint8_t val[16]);
	void *ctx;
};

/* insn_emulate() result: one element of a REP string instruction is done
 * and rCX is not yet zero; leave RIP where it is (re-entering the guest
 * runs the next element) or call again with the next element's gpa. */
#define INSN_REPEAT 1

/* Perform a decoded instruction.  gpa is the guest-physical address of
 * the memory operand (the EPT violation's address: the operand that
 * faulted), so no effective-address computation is needed for the access;
 * for MOVS it is whichever of its operands is not in RAM.
 * regs[16] are the GPRs in register-number order (RAX, RCX, RDX, RBX, RSP,
 * RBP, RSI, RDI, R8-R15); the caller copies RSP from and back to the VMCS.
 * rflags gets CF, PF, AF, ZF, SF and OF as the SDM defines them for the
 * instruction; flags the SDM leaves undefined are: AF cleared by logical
 * operations, OF/SF/AF/PF left alone by BT*.
 * Returns 0 when the instruction is complete (the caller adds len to RIP),
 * INSN_REPEAT (see above), a negative code from ops, or HV_ENOTSUP.
 * On an error from ops, registers and flags are unchanged (memory may
 * already have been written by an earlier access of the same instruction). */
int insn_emulate(const struct insn *in, uint64_t gpa, uint64_t regs[16], uint64_t *rflags,
		 const struct insn_mem_ops *ops);

/* The memory operand's offset within its segment (the effective address),
 * for checks against the exit's guest-linear address.  rip is the address
 * of the instruction itself. */
uint64_t insn_mem_offset(const struct insn *in, const uint64_t regs[16], uint64_t rip);

/* The segment the memory operand uses: the override, else SS for rSP/rBP
 * bases, else DS; ES for STOS (no override possible). */
enum insn_seg insn_mem_seg(const struct insn *in);

#endif
