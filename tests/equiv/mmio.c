/* tests/equiv/mmio.c: instructions whose memory operand is a device
 * register, which a hypervisor must emulate, compared with the same
 * instructions on RAM.  The device register is the local APIC timer's
 * initial count (0xfee00380: all 32 bits read and written, the LVT
 * timer masked so that nothing fires); it takes reads of any size but
 * writes of 4 bytes only, as bare Bochs's APIC does (SDM Vol. 3A 12.4.1:
 * other sizes are model-specific).  Each form runs once on the
 * device and once on RAM, and each line gives the exception if any, the
 * register operand and the memory word after it, and the status flags:
 * MOV, MOVZX, MOVSX, the ALU operations with the memory as destination
 * and as source, CMP, TEST, XCHG, CMPXCHG (equal and not), BT, BTS, BTR,
 * BTC, XADD, INC, DEC, NEG, NOT, STOS, LODS and MOVS (with REP and DF),
 * PUSH, and the SSE moves MOVD and MOVSS. */
#include "equiv.h"

const char eq_area[] = "mmio";

#define DEV_ADDR 0xfee00380ul       /* the local APIC timer's initial count */
#define APIC_LVTT 0xfee00320ul
#define STATUS_FLAGS 0x8d5ul        /* OF, SF, ZF, AF, PF, CF */

static volatile uint32_t ram[4] __attribute__((aligned(16)));
static volatile uint32_t buf[4] __attribute__((aligned(16)));

static volatile uint32_t *target(int t)
{
	return t ? ram : (volatile uint32_t *)DEV_ADDR;
}

static const char *const where[2] = { "device", "RAM" };

static void report(const char *form, int t, int vec, uint64_t reg, uint64_t flags)
{
	eq("%s on %s => %s, reg %#lx, mem %#x, flags %#lx", form, where[t], eq_fault(vec), reg,
	   target(t)[0], flags & STATUS_FLAGS);
}

/* FORM(name, memory's value, register's value, instructions): the
 * instructions use %[p] (the word's address), %[r] (a register, %k[r]
 * its 32 bits) and leave the flags to the pushf that follows. */
#define FORM(name, mem0, reg0, insns)                                       \
	do {                                                                \
		for (int t_ = 0; t_ < 2; t_++) {                            \
			volatile uint32_t *p_ = target(t_);                 \
			uint64_t r_ = (reg0), f_ = 0;                       \
			int v_;                                             \
			p_[0] = (mem0);                                     \
			v_ = EQ_TRY(insns "\n\tpushf\n\tpop %[f]",          \
				    : [r] "+a"(r_), [f] "+r"(f_)            \
				    : [p] "r"(p_) : "rcx", "memory", "cc"); \
			report(name, t_, v_, r_, f_);                       \
		}                                                           \
	} while (0)

static void moves(void)
{
	FORM("mov m32, r32", 0x11111111u, 0x89abcdefu, "mov %k[r], (%[p])");
	FORM("mov r32, m32", 0x12345678u, ~0ul, "mov (%[p]), %k[r]");
	FORM("mov m32, imm32", 0, 0, "movl $0x5a5aa5a5, (%[p])");
	FORM("mov r16, m16", 0x12348765u, ~0ul, "mov (%[p]), %w[r]");
	FORM("mov r8, m8", 0x12348765u, ~0ul, "mov (%[p]), %b[r]");
	FORM("movzx r32, m8", 0x000000f0u, ~0ul, "movzbl (%[p]), %k[r]");
	FORM("movzx r32, m16", 0x0000f00fu, ~0ul, "movzwl (%[p]), %k[r]");
	FORM("movsx r64, m8", 0x00000080u, 0, "movsbq (%[p]), %[r]");
	FORM("movsxd r64, m32", 0x80000001u, 0, "movslq (%[p]), %[r]");
}

static void alu(void)
{
	FORM("add m32, r32", 0x7fffffffu, 1, "clc\n\tadd %k[r], (%[p])");
	FORM("add r32, m32", 0xffffffffu, 1, "clc\n\tadd (%[p]), %k[r]");
	FORM("adc m32, r32 (CF set)", 0xfffffffeu, 1, "stc\n\tadc %k[r], (%[p])");
	FORM("sub m32, r32", 0x80000000u, 1, "sub %k[r], (%[p])");
	FORM("sbb m32, imm8 (CF set)", 0, 0, "stc\n\tsbbl $1, (%[p])");
	FORM("and m32, r32", 0xf0f0f0f0u, 0x0ff00ff0u, "and %k[r], (%[p])");
	FORM("or m32, imm32", 0x00000001u, 0, "orl $0x80000000, (%[p])");
	FORM("xor m32, r32", 0xffff0000u, 0xffffffffu, "xor %k[r], (%[p])");
	FORM("cmp m32, r32", 5, 7, "cmp %k[r], (%[p])");
	FORM("cmp r32, m32", 5, 7, "cmp (%[p]), %k[r]");
	FORM("test m32, imm32", 0x00ff0000u, 0, "testl $0x00800000, (%[p])");
	FORM("inc m32", 0x7fffffffu, 0, "incl (%[p])");
	FORM("dec m32", 0, 0, "decl (%[p])");
	FORM("neg m32", 1, 0, "negl (%[p])");
	FORM("not m32", 0x0f0f0f0fu, 0, "notl (%[p])");
}

static void exchanges(void)
{
	FORM("xchg m32, r32", 0xaaaa5555u, 0x12345678u, "xchg %k[r], (%[p])");
	/* CMPXCHG compares EAX (here %[r]) with the memory. */
	FORM("lock cmpxchg m32, r32 (equal)", 0x42u, 0x42u,
	     "mov $0x77, %%ecx\n\tlock cmpxchg %%ecx, (%[p])");
	FORM("lock cmpxchg m32, r32 (not equal)", 0x43u, 0x42u,
	     "mov $0x77, %%ecx\n\tlock cmpxchg %%ecx, (%[p])");
	FORM("xadd m32, r32", 0x10u, 0x5u, "xadd %k[r], (%[p])");
	FORM("bt m32, imm8", 0x80000000u, 0, "clc\n\tbtl $31, (%[p])");
	FORM("bts m32, r32", 0, 4, "bts %k[r], (%[p])");
	FORM("btr m32, imm8", 0xffffffffu, 0, "btrl $0, (%[p])");
	FORM("btc m32, r32", 0x10u, 4, "btc %k[r], (%[p])");
}

/* STOS, LODS and MOVS, with RSI, RDI and RCX after them. */
static void strings(void)
{
	for (int t = 0; t < 2; t++) {
		volatile uint32_t *p = target(t);
		uint64_t si, di, cx, a;
		int vec;

		p[0] = 0;
		di = (uint64_t)(uintptr_t)p, cx = 1, a = 0xc0ffee;
		vec = EQ_TRY("rep stosl", : "+D"(di), "+c"(cx), "+a"(a) : : "memory");
		eq("rep stosd, count 1, on %s => %s, mem %#x, rdi moved %ld, rcx %lu", where[t],
		   eq_fault(vec), p[0], (long)(di - (uint64_t)(uintptr_t)p), cx);
		di = (uint64_t)(uintptr_t)p, a = 0xbeef;
		vec = EQ_TRY("std\n\tstosl\n\tcld", : "+D"(di), "+a"(a) : : "memory");
		eq("stosd with DF on %s => %s, mem %#x, rdi moved %ld", where[t], eq_fault(vec),
		   p[0], (long)(di - (uint64_t)(uintptr_t)p));
		p[0] = 0x600df00d;
		si = (uint64_t)(uintptr_t)p, a = 0;
		vec = EQ_TRY("lodsl", : "+S"(si), "+a"(a) : : "memory");
		eq("lodsd from %s => %s, eax %#lx, rsi moved %ld", where[t], eq_fault(vec), a,
		   (long)(si - (uint64_t)(uintptr_t)p));
		buf[0] = 0;
		si = (uint64_t)(uintptr_t)p, di = (uint64_t)(uintptr_t)buf, cx = 1;
		vec = EQ_TRY("rep movsl", : "+S"(si), "+D"(di), "+c"(cx) : : "memory");
		eq("rep movsd from %s to RAM => %s, copied %#x, rsi moved %ld, rdi moved %ld, rcx %lu",
		   where[t], eq_fault(vec), buf[0], (long)(si - (uint64_t)(uintptr_t)p),
		   (long)(di - (uint64_t)(uintptr_t)buf), cx);
		buf[0] = 0xfeedface;
		si = (uint64_t)(uintptr_t)buf, di = (uint64_t)(uintptr_t)p;
		vec = EQ_TRY("std\n\tmovsl\n\tcld", : "+S"(si), "+D"(di) : : "memory");
		eq("movsd with DF from RAM to %s => %s, mem %#x, rsi moved %ld, rdi moved %ld",
		   where[t], eq_fault(vec), p[0], (long)(si - (uint64_t)(uintptr_t)buf),
		   (long)(di - (uint64_t)(uintptr_t)p));
	}
}

/* PUSH of a 16-bit word (66h): a 64-bit PUSH would read the 4 bytes
 * after the 32-bit register.  No POP to the device: 64-bit mode has no
 * 32-bit POP, and bare Bochs's local APIC takes only 4-byte writes (it
 * stops the emulator on any other). */
static void stack(void)
{
	for (int t = 0; t < 2; t++) {
		volatile uint32_t *p = target(t);
		uint64_t popped = 0;
		int vec;

		p[0] = 0x1234abcd;
		vec = EQ_TRY("pushw (%1)\n\tpopw %w0", : "+r"(popped) : "r"(p) : "memory");
		eq("push m16 from %s => %s, popped %#lx", where[t], eq_fault(vec), popped);
	}
}

static void sse(void)
{
	uint64_t cr4 = read_cr4();

	write_cr4(cr4 | (1ul << 9));    /* OSFXSR */
	for (int t = 0; t < 2; t++) {
		volatile uint32_t *p = target(t);
		uint32_t out = 0;
		int vec;

		p[0] = 0x3f800000;
		vec = EQ_TRY("movd (%1), %%xmm3\n\tmovd %%xmm3, %0", : "=r"(out) : "r"(p) : "memory");
		eq("movd xmm, m32 from %s => %s, read %#x", where[t], eq_fault(vec), out);
		vec = EQ_TRY("mov $0x40490fdb, %%eax\n\tmovd %%eax, %%xmm4\n\tmovd %%xmm4, (%0)",
			     : : "r"(p) : "rax", "memory");
		eq("movd m32, xmm to %s => %s, mem %#x", where[t], eq_fault(vec), p[0]);
		p[0] = 0x40000000;
		vec = EQ_TRY("movss (%1), %%xmm5\n\tmovd %%xmm5, %0", : "=r"(out) : "r"(p) : "memory");
		eq("movss xmm, m32 from %s => %s, read %#x", where[t], eq_fault(vec), out);
		vec = EQ_TRY("movss %%xmm4, (%0)", : : "r"(p) : "memory");
		eq("movss m32, xmm to %s => %s, mem %#x", where[t], eq_fault(vec), p[0]);
	}
	write_cr4(cr4);
}

void eq_main(void)
{
	*(volatile uint32_t *)APIC_LVTT = 1u << 16;     /* masked */
	moves();
	alu();
	exchanges();
	strings();
	stack();
	sse();
	*(volatile uint32_t *)DEV_ADDR = 0;
}
