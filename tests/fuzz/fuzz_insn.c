/* Fuzz the MMIO instruction decoder and emulator (src/emul/insn_decode.c,
 * insn_emulate.c).  Input: a mode byte (bits 0-1 the CPU mode: 0 or 3
 * 16-bit, 1 32-bit, 2 64-bit; bit 3: RAM and XMM callbacks for MOVS,
 * PUSH, POP and the SSE moves; bits 4-7 the
 * number of instruction bytes, 0 meaning 15), the instruction bytes, then
 * what the emulator sees: the faulting gpa, RFLAGS, RIP, the 16 GPRs, and
 * the values and results of the memory callbacks.  Checks what insn.h
 * promises of a decoded instruction and of an emulation that fails. */
#include "fuzz.h"

#include <string.h>

#include <hv/errno.h>
#include <hv/insn.h>

static int mem_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct fz *f = ctx;

	FZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	if (fz_u8(f) == 0xee)
		return HV_EIO;
	*val = fz_u64(f);
	return 0;
}

static int mem_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	struct fz *f = ctx;

	FZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	return fz_u8(f) == 0xee ? HV_EIO : 0;
}

/* RAM: a fault (queued), no RAM, or a value. */
static int ram_result(struct fz *f, enum insn_seg seg, unsigned size)
{
	uint8_t b = fz_u8(f);

	FZ_CHECK(seg <= INSN_SEG_GS);
	FZ_CHECK(size == 1 || size == 2 || size == 4 || size == 8);
	return b == 0xee ? HV_EIO : b == 0xef ? HV_EFAULT : 0;
}

static int ram_read(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size, uint64_t *val)
{
	struct fz *f = ctx;
	int rc = ram_result(f, seg, size);

	(void)offset;
	*val = rc ? 0 : fz_u64(f);
	return rc;
}

static int ram_write(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size, uint64_t val)
{
	(void)offset;
	(void)val;
	return ram_result(ctx, seg, size);
}

static void xmm_read(void *ctx, unsigned reg, uint8_t val[16])
{
	FZ_CHECK(reg < 16);
	memset(val, 0, 16);
	fz_bytes(ctx, val, 16);
}

static void xmm_write(void *ctx, unsigned reg, const uint8_t val[16])
{
	(void)ctx;
	(void)val;
	FZ_CHECK(reg < 16);
}

static bool valid_gpr(int r) { return r >= -1 && r <= 15; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t mode_byte = fz_u8(&f);
	enum cpu_mode mode = (enum cpu_mode)((mode_byte & 3) % 3);
	size_t avail = mode_byte >> 4;
	uint8_t code[INSN_MAX_LEN];
	struct insn in;

	/* The decoder gets exactly the bytes it may read, in a buffer of
	 * their size, so that ASan sees a read past avail. */
	if (avail == 0)
		avail = INSN_MAX_LEN;
	avail = fz_bytes(&f, code, avail);
	uint8_t *exact = malloc(avail ? avail : 1);
	memcpy(exact, code, avail);
	memset(&in, 0xa5, sizeof(in));
	int rc = insn_decode(exact, avail, mode, &in);
	free(exact);
	if (rc != 0) {
		FZ_CHECK(rc == HV_EINVAL || rc == HV_ENOTSUP);
		return 0;
	}
	FZ_CHECK(in.len >= 1 && in.len <= INSN_MAX_LEN && in.len <= avail);
	FZ_CHECK(in.size == 1 || in.size == 2 || in.size == 4 || in.size == 8);
	FZ_CHECK(in.mem_size >= 1 && in.mem_size <= in.size);
	FZ_CHECK(in.addr_size == 2 || in.addr_size == 4 || in.addr_size == 8);
	FZ_CHECK(valid_gpr(in.reg) && valid_gpr(in.mem.base) && valid_gpr(in.mem.index));
	FZ_CHECK(!in.reg_high8 || (in.reg >= 0 && in.reg <= 3));
	FZ_CHECK(in.mem.scale == 1 || in.mem.scale == 2 || in.mem.scale == 4 ||
		 in.mem.scale == 8);
	FZ_CHECK(in.kind > INSN_NONE && in.kind <= INSN_VMOV);
	if (in.kind == INSN_PUSH || in.kind == INSN_POP)
		FZ_CHECK(in.stack_size == 2 || in.stack_size == 4 || in.stack_size == 8);
	FZ_CHECK(in.seg <= INSN_SEG_NONE);
	FZ_CHECK(in.rep == 0 || in.rep == 0xf2 || in.rep == 0xf3);
	/* Outside 64-bit mode only the SSE moves (MOVQ, MOVSD) take 8 bytes. */
	if (mode != CPU_MODE_64)
		FZ_CHECK(in.rex == 0 && in.addr_size != 8 && (in.size != 8 || in.kind == INSN_VMOV));

	uint64_t gpa = fz_u64(&f), rflags = fz_u64(&f), rip = fz_u64(&f);
	uint64_t regs[16];
	for (int i = 0; i < 16; i++)
		regs[i] = fz_u64(&f);
	(void)insn_mem_offset(&in, regs, rip);
	FZ_CHECK(insn_mem_seg(&in) <= INSN_SEG_GS);

	bool more = mode_byte & 8;
	struct insn_mem_ops ops = {
		.read = mem_read, .write = mem_write,
		.ram_read = more ? ram_read : NULL, .ram_write = more ? ram_write : NULL,
		.xmm_read = more ? xmm_read : NULL, .xmm_write = more ? xmm_write : NULL,
		.ctx = &f,
	};
	/* A REP string instruction: a few elements, as the exit handler
	 * would run them. */
	for (int i = 0; i < 4; i++) {
		uint64_t before[16], flags_before = rflags;

		memcpy(before, regs, sizeof(regs));
		rc = insn_emulate(&in, gpa, regs, &rflags, &ops);
		if (rc < 0) {
			/* insn.h: on an error, registers and flags unchanged. */
			FZ_CHECK(memcmp(before, regs, sizeof(regs)) == 0);
			FZ_CHECK(rflags == flags_before);
			break;
		}
		if (rc != INSN_REPEAT) {
			FZ_CHECK(rc == 0);
			break;
		}
		FZ_CHECK(in.kind == INSN_STOS || in.kind == INSN_MOVS || in.kind == INSN_LODS);
	}
	return 0;
}
