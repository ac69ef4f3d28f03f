/* Tests of the MMIO instruction decoder and emulator.  The encodings are
 * GNU as output, or hand-made and checked with objdump -d (-M i386 / i8086
 * for the 32- and 16-bit ones); each table row keeps objdump's text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/insn.h>

#define M16 CPU_MODE_16
#define M32 CPU_MODE_32
#define M64 CPU_MODE_64

#define CF 0x001ULL
#define PF 0x004ULL
#define AF 0x010ULL
#define ZF 0x040ULL
#define SF 0x080ULL
#define DF 0x400ULL
#define OF 0x800ULL
#define STATUS (CF | PF | AF | ZF | SF | OF)
#define RFLAGS_FIXED 0x202ULL   /* bit 1 and IF: never touched */

/* Registers in the test tables: 0 is "none" so that rows only name what
 * they have; the GPRs are their number + 1, then the high-byte registers. */
enum treg {
	NO, AX, CX, DX, BX, SP, BP, SI, DI, R8, R9, R10, R11, R12, R13, R14, R15,
	AH, CH, DH, BH,
};

/* Segment overrides likewise: 0 is none. */
enum tseg { NOSEG, ES, CS, SS, DS, FS, GS };

static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (*s) {
		unsigned v = 0;

		if (*s == ' ') {
			s++;
			continue;
		}
		for (int i = 0; i < 2; i++, s++)
			v = v * 16 + (unsigned)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
		assert_true(n < max);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* ---- decoding ---------------------------------------------------------- */

struct dcase {
	const char *text;
	enum cpu_mode mode;
	const char *hex;
	uint8_t kind, size;
	uint8_t mem_size;    /* 0: same as size */
	uint8_t addr;        /* 0: the mode's default */
	uint8_t reg;         /* enum treg */
	bool dst;            /* memory is the destination */
	bool imm;
	uint64_t immv;
	uint8_t base, index; /* enum treg */
	uint8_t scale;       /* 0: 1 */
	uint64_t disp;
	bool rip;
	uint8_t seg;         /* enum tseg */
	uint8_t rep;
	bool lock;
	uint8_t stack;       /* PUSH, POP: the stack pointer's width */
};

static const struct dcase dcases[] = {
	{ "movabs %eax,0xfee000b0", M64, "a3 b0 00 e0 fe 00 00 00 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .dst = true, .disp = 0xfee000b0 },
	{ "mov 0x20(%rdi),%ecx", M64, "8b 4f 20",
	  .kind = INSN_MOV, .size = 4, .reg = CX, .base = DI, .disp = 0x20 },
	{ "movl $0x1,0x300(%rax)", M64, "c7 80 00 03 00 00 01 00 00 00",
	  .kind = INSN_MOV, .size = 4, .dst = true, .imm = true, .immv = 1, .base = AX,
	  .disp = 0x300 },
	{ "movzbl (%rsi),%eax", M64, "0f b6 06",
	  .kind = INSN_MOVZX, .size = 4, .mem_size = 1, .reg = AX, .base = SI },
	{ "mov %r9d,(%r8)", M64, "45 89 08",
	  .kind = INSN_MOV, .size = 4, .reg = R9, .dst = true, .base = R8 },
	{ "mov 0x10(%rip),%eax", M64, "8b 05 10 00 00 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .disp = 0x10, .rip = true },
	{ "orl $0x100,0xf0(%rbx)", M64, "81 8b f0 00 00 00 00 01 00 00",
	  .kind = INSN_OR, .size = 4, .dst = true, .imm = true, .immv = 0x100, .base = BX,
	  .disp = 0xf0 },
	{ "test %al,(%rdx)", M64, "84 02",
	  .kind = INSN_TEST, .size = 1, .reg = AX, .dst = true, .base = DX },
	{ "xchg %eax,(%rdi)", M64, "87 07",
	  .kind = INSN_XCHG, .size = 4, .reg = AX, .dst = true, .base = DI },
	{ "rep stos %eax,%es:(%rdi)", M64, "f3 ab",
	  .kind = INSN_STOS, .size = 4, .reg = AX, .dst = true, .base = DI, .rep = 0xf3 },
	{ "mov %ah,(%rcx)", M64, "88 21",
	  .kind = INSN_MOV, .size = 1, .reg = AH, .dst = true, .base = CX },
	{ "mov %spl,(%rcx)", M64, "40 88 21",
	  .kind = INSN_MOV, .size = 1, .reg = SP, .dst = true, .base = CX },
	{ "mov (%rbx),%bh", M64, "8a 3b",
	  .kind = INSN_MOV, .size = 1, .reg = BH, .base = BX },
	{ "mov (%rbx),%dil", M64, "40 8a 3b",
	  .kind = INSN_MOV, .size = 1, .reg = DI, .base = BX },
	{ "movw $0x1234,0x10(%rdx)", M64, "66 c7 42 10 34 12",
	  .kind = INSN_MOV, .size = 2, .dst = true, .imm = true, .immv = 0x1234, .base = DX,
	  .disp = 0x10 },
	{ "mov %ax,(%rsi)", M64, "66 89 06",
	  .kind = INSN_MOV, .size = 2, .reg = AX, .dst = true, .base = SI },
	{ "mov 0x8(%rax,%rcx,4),%edx", M64, "8b 54 88 08",
	  .kind = INSN_MOV, .size = 4, .reg = DX, .base = AX, .index = CX, .scale = 4,
	  .disp = 8 },
	{ "mov (%r12),%eax", M64, "41 8b 04 24",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = R12 },
	{ "mov 0x0(%r13),%eax", M64, "41 8b 45 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = R13 },
	{ "mov 0x0(,%r12,8),%rax", M64, "4a 8b 04 e5 00 00 00 00",
	  .kind = INSN_MOV, .size = 8, .reg = AX, .index = R12, .scale = 8 },
	{ "mov %r15,-0x80(%rbp,%r14,2)", M64, "4e 89 7c 75 80",
	  .kind = INSN_MOV, .size = 8, .reg = R15, .dst = true, .base = BP, .index = R14,
	  .scale = 2, .disp = (uint64_t)-0x80 },
	{ "mov 0x12345678(%rbp),%eax", M64, "8b 85 78 56 34 12",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = BP, .disp = 0x12345678 },
	{ "mov (%rsp),%eax", M64, "8b 04 24",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = SP },
	{ "movabs 0xfee00020,%eax", M64, "a1 20 00 e0 fe 00 00 00 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .disp = 0xfee00020 },
	{ "movabs %rax,0xfee00030", M64, "48 a3 30 00 e0 fe 00 00 00 00",
	  .kind = INSN_MOV, .size = 8, .reg = AX, .dst = true, .disp = 0xfee00030 },
	{ "movabs 0x1234,%al", M64, "a0 34 12 00 00 00 00 00 00",
	  .kind = INSN_MOV, .size = 1, .reg = AX, .disp = 0x1234 },
	{ "movq $0xffffffffffffffff,(%rax)", M64, "48 c7 00 ff ff ff ff",
	  .kind = INSN_MOV, .size = 8, .dst = true, .imm = true, .immv = ~0ULL, .base = AX },
	{ "movb $0x7f,(%r9)", M64, "41 c6 01 7f",
	  .kind = INSN_MOV, .size = 1, .dst = true, .imm = true, .immv = 0x7f, .base = R9 },
	{ "movsbl (%rax),%ecx", M64, "0f be 08",
	  .kind = INSN_MOVSX, .size = 4, .mem_size = 1, .reg = CX, .base = AX },
	{ "movswq (%rax),%r10", M64, "4c 0f bf 10",
	  .kind = INSN_MOVSX, .size = 8, .mem_size = 2, .reg = R10, .base = AX },
	{ "movzwl 0x4(%rbx),%r11d", M64, "44 0f b7 5b 04",
	  .kind = INSN_MOVZX, .size = 4, .mem_size = 2, .reg = R11, .base = BX, .disp = 4 },
	{ "movslq (%rdi),%rax", M64, "48 63 07",
	  .kind = INSN_MOVSX, .size = 8, .mem_size = 4, .reg = AX, .base = DI },
	{ "cmpl $0x5,(%rax)", M64, "83 38 05",
	  .kind = INSN_CMP, .size = 4, .dst = true, .imm = true, .immv = 5, .base = AX },
	{ "cmp %ecx,(%rax)", M64, "39 08",
	  .kind = INSN_CMP, .size = 4, .reg = CX, .dst = true, .base = AX },
	{ "cmp (%rax),%ecx", M64, "3b 08",
	  .kind = INSN_CMP, .size = 4, .reg = CX, .base = AX },
	{ "addb $0x80,(%rax)", M64, "80 00 80",
	  .kind = INSN_ADD, .size = 1, .dst = true, .imm = true, .immv = 0x80, .base = AX },
	{ "sub %rbx,(%rax)", M64, "48 29 18",
	  .kind = INSN_SUB, .size = 8, .reg = BX, .dst = true, .base = AX },
	/* imm8 of 83 is sign-extended to the operand size. */
	{ "andl $0xfffffffe,(%rax)", M64, "83 20 fe",
	  .kind = INSN_AND, .size = 4, .dst = true, .imm = true, .immv = 0xfffffffe, .base = AX },
	{ "andq $0xfffffffffffffffe,(%rax)", M64, "48 83 20 fe",
	  .kind = INSN_AND, .size = 8, .dst = true, .imm = true, .immv = ~1ULL, .base = AX },
	{ "andl $0x7ffffffe,(%rax)", M64, "81 20 fe ff ff 7f",
	  .kind = INSN_AND, .size = 4, .dst = true, .imm = true, .immv = 0x7ffffffe, .base = AX },
	/* imm32 is sign-extended to 64 bits with REX.W. */
	{ "orq $0xffffffff80000000,(%rax)", M64, "48 81 08 00 00 00 80",
	  .kind = INSN_OR, .size = 8, .dst = true, .imm = true, .immv = 0xffffffff80000000ULL,
	  .base = AX },
	{ "xor (%rax),%edx", M64, "33 10",
	  .kind = INSN_XOR, .size = 4, .reg = DX, .base = AX },
	{ "adc %eax,(%rbx)", M64, "11 03",
	  .kind = INSN_ADC, .size = 4, .reg = AX, .dst = true, .base = BX },
	{ "sbb (%rbx),%eax", M64, "1b 03",
	  .kind = INSN_SBB, .size = 4, .reg = AX, .base = BX },
	{ "lock orl $0x1,(%rax)", M64, "f0 83 08 01",
	  .kind = INSN_OR, .size = 4, .dst = true, .imm = true, .immv = 1, .base = AX,
	  .lock = true },
	{ "testl $0x80000000,(%rax)", M64, "f7 00 00 00 00 80",
	  .kind = INSN_TEST, .size = 4, .dst = true, .imm = true, .immv = 0x80000000, .base = AX },
	{ "testb $0x1,(%rax)", M64, "f6 00 01",
	  .kind = INSN_TEST, .size = 1, .dst = true, .imm = true, .immv = 1, .base = AX },
	{ "btl $0x3,(%rax)", M64, "0f ba 20 03",
	  .kind = INSN_BT, .size = 4, .dst = true, .imm = true, .immv = 3, .base = AX },
	/* The bit offset Ib is not sign-extended. */
	{ "btsw $0xf1,(%rax)", M64, "66 0f ba 28 f1",
	  .kind = INSN_BTS, .size = 2, .dst = true, .imm = true, .immv = 0xf1, .base = AX },
	{ "bts %ecx,(%rax)", M64, "0f ab 08",
	  .kind = INSN_BTS, .size = 4, .reg = CX, .dst = true, .base = AX },
	{ "lock btrq $0x3f,(%rax)", M64, "f0 48 0f ba 30 3f",
	  .kind = INSN_BTR, .size = 8, .dst = true, .imm = true, .immv = 0x3f, .base = AX,
	  .lock = true },
	{ "rep stos %al,%es:(%rdi)", M64, "f3 aa",
	  .kind = INSN_STOS, .size = 1, .reg = AX, .dst = true, .base = DI, .rep = 0xf3 },
	{ "rep stos %rax,%es:(%rdi)", M64, "f3 48 ab",
	  .kind = INSN_STOS, .size = 8, .reg = AX, .dst = true, .base = DI, .rep = 0xf3 },
	{ "stos %ax,%es:(%rdi)", M64, "66 ab",
	  .kind = INSN_STOS, .size = 2, .reg = AX, .dst = true, .base = DI },
	{ "rep movsl %ds:(%rsi),%es:(%rdi)", M64, "f3 a5",
	  .kind = INSN_MOVS, .size = 4, .dst = true, .base = SI, .rep = 0xf3 },
	{ "movsb %ds:(%rsi),%es:(%rdi)", M64, "a4",
	  .kind = INSN_MOVS, .size = 1, .dst = true, .base = SI },
	{ "lods %ds:(%rsi),%eax", M64, "ad", .kind = INSN_LODS, .size = 4, .reg = AX, .base = SI },
	{ "rep lods %ds:(%rsi),%al", M64, "f3 ac",
	  .kind = INSN_LODS, .size = 1, .reg = AX, .base = SI, .rep = 0xf3 },
	{ "notb (%rax)", M64, "f6 10", .kind = INSN_NOT, .size = 1, .dst = true, .base = AX },
	{ "negl (%rax)", M64, "f7 18", .kind = INSN_NEG, .size = 4, .dst = true, .base = AX },
	{ "incl (%rax)", M64, "ff 00", .kind = INSN_INC, .size = 4, .dst = true, .base = AX },
	{ "decb 0x10(%rbx)", M64, "fe 4b 10",
	  .kind = INSN_DEC, .size = 1, .dst = true, .base = BX, .disp = 0x10 },
	{ "lock cmpxchg %ecx,(%rdx)", M64, "f0 0f b1 0a",
	  .kind = INSN_CMPXCHG, .size = 4, .reg = CX, .dst = true, .base = DX, .lock = true },
	{ "xadd %eax,(%rdi)", M64, "0f c1 07",
	  .kind = INSN_XADD, .size = 4, .reg = AX, .dst = true, .base = DI },
	{ "push (%rax)", M64, "ff 30", .kind = INSN_PUSH, .size = 8, .base = AX, .stack = 8 },
	{ "pushw (%rax)", M64, "66 ff 30", .kind = INSN_PUSH, .size = 2, .base = AX, .stack = 8 },
	{ "pop (%rax)", M64, "8f 00",
	  .kind = INSN_POP, .size = 8, .dst = true, .base = AX, .stack = 8 },
	{ "push 0x4(%ebx)", M32, "ff 73 04",
	  .kind = INSN_PUSH, .size = 4, .base = BX, .disp = 4, .stack = 4 },
	{ "movd (%rax),%xmm1", M64, "66 0f 6e 08", .kind = INSN_VMOV, .size = 4, .reg = CX, .base = AX },
	{ "movq %xmm9,(%rax)", M64, "66 4c 0f 7e 08",
	  .kind = INSN_VMOV, .size = 8, .reg = R9, .dst = true, .base = AX },
	{ "movss (%rax),%xmm2", M64, "f3 0f 10 10", .kind = INSN_VMOV, .size = 4, .reg = DX, .base = AX },
	{ "movsd %xmm3,(%rax)", M64, "f2 0f 11 18",
	  .kind = INSN_VMOV, .size = 8, .reg = BX, .dst = true, .base = AX },
	{ "movq (%rax),%xmm0", M64, "f3 0f 7e 00", .kind = INSN_VMOV, .size = 8, .reg = AX, .base = AX },
	{ "movq %xmm0,(%rax)", M64, "66 0f d6 00",
	  .kind = INSN_VMOV, .size = 8, .reg = AX, .dst = true, .base = AX },
	{ "mov %fs:0x28,%rax", M64, "64 48 8b 04 25 28 00 00 00",
	  .kind = INSN_MOV, .size = 8, .reg = AX, .disp = 0x28, .seg = FS },
	{ "mov %gs:(%rax),%ecx", M64, "65 8b 08",
	  .kind = INSN_MOV, .size = 4, .reg = CX, .base = AX, .seg = GS },
	{ "es mov (%rax),%eax", M64, "26 8b 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = AX, .seg = ES },
	{ "ss mov (%rax),%eax", M64, "36 8b 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = AX, .seg = SS },
	{ "cs mov (%rax),%eax", M64, "2e 8b 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = AX, .seg = CS },
	{ "ds mov (%rax),%eax", M64, "3e 8b 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = AX, .seg = DS },
	/* A prefix may repeat. */
	{ "fs fs mov (%rax),%eax", M64, "64 64 8b 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = AX, .seg = FS },
	{ "lock lock xchg %eax,(%rdi)", M64, "f0 f0 87 07",
	  .kind = INSN_XCHG, .size = 4, .reg = AX, .dst = true, .base = DI, .lock = true },
	{ "mov (%eax),%ecx", M64, "67 8b 08",
	  .kind = INSN_MOV, .size = 4, .addr = 4, .reg = CX, .base = AX },
	{ "mov (%esp),%eax", M64, "67 8b 04 24",
	  .kind = INSN_MOV, .size = 4, .addr = 4, .reg = AX, .base = SP },
	{ "mov 0x10(%eip),%eax", M64, "67 8b 05 10 00 00 00",
	  .kind = INSN_MOV, .size = 4, .addr = 4, .reg = AX, .disp = 0x10, .rip = true },
	{ "xchg %r8b,(%rdi)", M64, "44 86 07",
	  .kind = INSN_XCHG, .size = 1, .reg = R8, .dst = true, .base = DI },
	/* REX.W wins over 66; a REX before a legacy prefix is ignored. */
	{ "data16 mov %rax,(%rax)", M64, "66 48 89 00",
	  .kind = INSN_MOV, .size = 8, .reg = AX, .dst = true, .base = AX },
	{ "rex.W; mov %ax,(%rax)", M64, "48 66 89 00",
	  .kind = INSN_MOV, .size = 2, .reg = AX, .dst = true, .base = AX },
	/* ...as is a REX before another REX; with the REX ignored, 4 is AH. */
	{ "rex.B; mov %spl,(%rax)", M64, "41 40 88 20",
	  .kind = INSN_MOV, .size = 1, .reg = SP, .dst = true, .base = AX },
	{ "rex; data16 mov %ah,(%rax)", M64, "40 66 88 20",
	  .kind = INSN_MOV, .size = 1, .reg = AH, .dst = true, .base = AX },
	/* XRELEASE is a valid hint on MOV stores; XACQUIRE on locked ops. */
	{ "xrelease mov %eax,(%rax)", M64, "f3 89 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .dst = true, .base = AX, .rep = 0xf3 },
	{ "xacquire lock add %eax,(%rax)", M64, "f2 f0 01 00",
	  .kind = INSN_ADD, .size = 4, .reg = AX, .dst = true, .base = AX, .rep = 0xf2,
	  .lock = true },

	/* 32-bit mode: no REX, disp32 without SIB is absolute. */
	{ "mov %eax,0xfee000b0", M32, "a3 b0 00 e0 fe",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .dst = true, .disp = 0xfee000b0 },
	{ "mov %ecx,0xfee000b0", M32, "89 0d b0 00 e0 fe",
	  .kind = INSN_MOV, .size = 4, .reg = CX, .dst = true, .disp = 0xfffffffffee000b0ULL },
	{ "mov 0x20(%edi),%ecx", M32, "8b 4f 20",
	  .kind = INSN_MOV, .size = 4, .reg = CX, .base = DI, .disp = 0x20 },
	{ "movl $0x1,0x300(%eax)", M32, "c7 80 00 03 00 00 01 00 00 00",
	  .kind = INSN_MOV, .size = 4, .dst = true, .imm = true, .immv = 1, .base = AX,
	  .disp = 0x300 },
	{ "mov 0x8(%eax,%ecx,4),%edx", M32, "8b 54 88 08",
	  .kind = INSN_MOV, .size = 4, .reg = DX, .base = AX, .index = CX, .scale = 4,
	  .disp = 8 },
	{ "mov -0x1200000(,%esi,8),%ebx", M32, "8b 1c f5 00 00 e0 fe",
	  .kind = INSN_MOV, .size = 4, .reg = BX, .index = SI, .scale = 8,
	  .disp = (uint64_t)-0x1200000 },
	{ "mov %ah,(%ecx)", M32, "88 21",
	  .kind = INSN_MOV, .size = 1, .reg = AH, .dst = true, .base = CX },
	{ "movzwl (%esi),%eax", M32, "0f b7 06",
	  .kind = INSN_MOVZX, .size = 4, .mem_size = 2, .reg = AX, .base = SI },
	{ "andw $0xff00,(%ebx)", M32, "66 81 23 00 ff",
	  .kind = INSN_AND, .size = 2, .dst = true, .imm = true, .immv = 0xff00, .base = BX },
	{ "mov (%bx,%si),%eax", M32, "67 8b 00",
	  .kind = INSN_MOV, .size = 4, .addr = 2, .reg = AX, .base = BX, .index = SI },
	{ "mov 0x10(%bp),%eax", M32, "67 8b 46 10",
	  .kind = INSN_MOV, .size = 4, .addr = 2, .reg = AX, .base = BP, .disp = 0x10 },
	{ "addr16 mov 0x1234,%eax", M32, "67 a1 34 12",
	  .kind = INSN_MOV, .size = 4, .addr = 2, .reg = AX, .disp = 0x1234 },
	{ "rep stos %eax,%es:(%edi)", M32, "f3 ab",
	  .kind = INSN_STOS, .size = 4, .reg = AX, .dst = true, .base = DI, .rep = 0xf3 },
	{ "mov 0x0(%ebp),%eax", M32, "8b 45 00",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .base = BP },
	{ "orl $0x1,0xfee00300", M32, "83 0d 00 03 e0 fe 01",
	  .kind = INSN_OR, .size = 4, .dst = true, .imm = true, .immv = 1,
	  .disp = 0xfffffffffee00300ULL },

	/* 16-bit mode. */
	{ "mov %ax,(%bx,%si)", M16, "89 00",
	  .kind = INSN_MOV, .size = 2, .reg = AX, .dst = true, .base = BX, .index = SI },
	{ "mov 0x10(%bp,%di),%cx", M16, "8b 4b 10",
	  .kind = INSN_MOV, .size = 2, .reg = CX, .base = BP, .index = DI, .disp = 0x10 },
	{ "movw $0x1234,0x1234", M16, "c7 06 34 12 34 12",
	  .kind = INSN_MOV, .size = 2, .dst = true, .imm = true, .immv = 0x1234, .disp = 0x1234 },
	{ "mov %eax,(%di)", M16, "66 89 05",
	  .kind = INSN_MOV, .size = 4, .reg = AX, .dst = true, .base = DI },
	{ "mov (%eax),%ax", M16, "67 8b 00",
	  .kind = INSN_MOV, .size = 2, .addr = 4, .reg = AX, .base = AX },
	{ "mov 0x1234,%al", M16, "a0 34 12",
	  .kind = INSN_MOV, .size = 1, .reg = AX, .disp = 0x1234 },
	{ "movl $0x1,-0x2(%bx)", M16, "66 c7 47 fe 01 00 00 00",
	  .kind = INSN_MOV, .size = 4, .dst = true, .imm = true, .immv = 1, .base = BX,
	  .disp = (uint64_t)-2 },
	{ "mov 0x0(%bp),%ax", M16, "8b 46 00",
	  .kind = INSN_MOV, .size = 2, .reg = AX, .base = BP },
};

static uint8_t default_addr_size(enum cpu_mode mode)
{
	return mode == M64 ? 8 : mode == M32 ? 4 : 2;
}

static void check_reg(uint8_t want, int8_t reg, bool high8)
{
	if (want == NO) {
		assert_int_equal(reg, -1);
	} else if (want >= AH) {
		assert_int_equal(reg, want - AH);
		assert_true(high8);
	} else {
		assert_int_equal(reg, want - AX);
		assert_false(high8);
	}
}

static void check_fields(const struct dcase *d, const struct insn *in, size_t n)
{
	assert_int_equal(in->len, n);
	assert_int_equal(in->kind, d->kind);
	assert_int_equal(in->size, d->size);
	assert_int_equal(in->mem_size, d->mem_size ? d->mem_size : d->size);
	assert_int_equal(in->addr_size, d->addr ? d->addr : default_addr_size(d->mode));
	check_reg(d->reg, in->reg, in->reg_high8);
	assert_int_equal(in->mem_is_dst, d->dst);
	assert_int_equal(in->has_imm, d->imm);
	assert_int_equal(in->imm, d->immv);
	check_reg(d->base, in->mem.base, false);
	check_reg(d->index, in->mem.index, false);
	assert_int_equal(in->mem.scale, d->scale ? d->scale : 1);
	assert_int_equal(in->mem.disp, d->disp);
	assert_int_equal(in->mem.rip_rel, d->rip);
	assert_int_equal(in->seg, d->seg ? d->seg - 1 : INSN_SEG_NONE);
	assert_int_equal(in->rep, d->rep);
	assert_int_equal(in->lock, d->lock);
	assert_int_equal(in->stack_size, d->stack);
}

/* Every row decodes from exactly its bytes and from a longer buffer
 * (nothing past the instruction is read into it), and every truncation
 * of it is HV_EINVAL. */
static void test_decode_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *d = &dcases[i];
		uint8_t code[32];
		struct insn in;
		size_t n;

		memset(code, 0x90, sizeof(code));
		n = parse_hex(d->hex, code, sizeof(code));
		print_message("%s\n", d->text);
		assert_int_equal(insn_decode(code, n, d->mode, &in), 0);
		check_fields(d, &in, n);
		assert_int_equal(insn_decode(code, sizeof(code), d->mode, &in), 0);
		check_fields(d, &in, n);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(insn_decode(code, k, d->mode, &in), HV_EINVAL);
	}
}

static int decode_hex(const char *hex, enum cpu_mode mode, struct insn *in)
{
	uint8_t code[32];
	size_t n = parse_hex(hex, code, sizeof(code));

	return insn_decode(code, n, mode, in);
}

static void test_decode_unsupported(void **state)
{
	static const struct { const char *hex; enum cpu_mode mode; } cases[] = {
		{ "89 c8", M64 },            /* mov %ecx,%eax: no memory operand */
		{ "8b c1", M32 },            /* mov %ecx,%eax */
		{ "f7 20", M64 },            /* mull (%rax) */
		{ "f6 08 01", M64 },         /* test alias /1: undocumented */
		{ "ff 10", M64 },            /* call *(%rax) */
		{ "8f 08", M64 },            /* 8F /1: XOP, not POP */
		{ "0f 6e 00", M64 },         /* movd (%rax),%mm0: MMX */
		{ "66 0f 10 00", M64 },      /* movupd (%rax),%xmm0: 16 bytes */
		{ "66 0f 7e c0", M64 },      /* movd %xmm0,%eax: no memory */
		{ "f2 0f 7e 00", M64 },      /* F2 0F 7E is not a move */
		{ "c7 48 00 00 00 00 00", M64 },  /* C7 /1: only /0 is MOV */
		{ "0f ba 00 03", M64 },      /* 0F BA /0 is reserved */
		{ "90", M64 },               /* nop */
		{ "0f 05", M64 },            /* syscall */
		{ "0f 0b", M64 },            /* ud2 */
		{ "8d 00", M64 },            /* lea (%rax),%eax: no access */
		{ "63 00", M32 },            /* arpl outside 64-bit mode */
		{ "40 89 00", M32 },         /* inc %eax; mov */
		{ "c5 f9 6f 00", M64 },      /* vmovdqa (%rax),%xmm0: VEX */
		{ "0f 10 00", M64 },         /* movups (%rax),%xmm0 */
		{ "f2 ab", M64 },            /* repne stos: REPNE is CMPS/SCAS only */
		{ "f3 8b 00", M64 },         /* rep on a load: reserved */
		{ "f2 89 00", M64 },         /* xacquire without lock */
		{ "f3 0f b6 00", M64 },      /* rep movzbl: reserved */
		{ "f3 a3 00 00 00 00 00 00 00 00", M64 },  /* xrelease is not for moffs */
		{ "04 01", M64 },            /* add $1,%al */
		{ "26 64 8b 00", M64 },      /* es fs mov: which segment is not architectural */
		{ "f2 f3 ab", M64 },         /* repnz repz stos: likewise */
	};
	struct insn in;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%s\n", cases[i].hex);
		assert_int_equal(decode_hex(cases[i].hex, cases[i].mode, &in), HV_ENOTSUP);
	}
}

static void test_decode_invalid(void **state)
{
	static const char *const lock_ud[] = {
		"f0 89 00",      /* lock mov */
		"f0 39 00",      /* lock cmp */
		"f0 3b 00",
		"f0 03 00",      /* lock add to a register */
		"f0 85 00",      /* lock test */
		"f0 0f a3 00",   /* lock bt */
		"f0 0f b6 00",   /* lock movzx */
		"f0 f3 ab",      /* lock rep stos */
		"f0 ff 30",      /* lock push */
		"f0 ad",         /* lock lods */
		"f0 66 0f 6e 00", /* lock movd */
	};
	uint8_t code[32];
	struct insn in;

	(void)state;
	for (size_t i = 0; i < sizeof(lock_ud) / sizeof(lock_ud[0]); i++)
		assert_int_equal(decode_hex(lock_ud[i], M64, &in), HV_EINVAL);
	assert_int_equal(insn_decode(code, 0, M64, &in), HV_EINVAL);
	assert_int_equal(insn_decode((const uint8_t *)"\x8b\x00", 2, (enum cpu_mode)7, &in),
			 HV_EINVAL);

	/* 13 prefixes + 8b 00 is 15 bytes: the longest legal instruction. */
	memset(code, 0x3e, sizeof(code));
	code[13] = 0x8b;
	code[14] = 0x00;
	assert_int_equal(insn_decode(code, sizeof(code), M64, &in), 0);
	assert_int_equal(in.len, 15);
	/* One more prefix and it is 16 bytes: #GP on hardware. */
	code[13] = 0x3e;
	code[14] = 0x8b;
	code[15] = 0x00;
	assert_int_equal(insn_decode(code, sizeof(code), M64, &in), HV_EINVAL);
	/* Nothing but prefixes. */
	assert_int_equal(insn_decode(code, 13, M64, &in), HV_EINVAL);
	memset(code, 0x66, sizeof(code));
	assert_int_equal(insn_decode(code, sizeof(code), M64, &in), HV_EINVAL);
}

static void test_mem_offset_and_seg(void **state)
{
	uint64_t regs[16] = { 0 };
	struct insn in;

	(void)state;
	regs[0] = 0x1000;          /* rax */
	regs[1] = 2;               /* rcx */
	assert_int_equal(decode_hex("8b 54 88 08", M64, &in), 0);
	assert_int_equal(insn_mem_offset(&in, regs, 0), 0x1010);
	assert_int_equal(insn_mem_seg(&in), INSN_SEG_DS);

	/* RIP-relative: from the end of the instruction. */
	assert_int_equal(decode_hex("8b 05 10 00 00 00", M64, &in), 0);
	assert_int_equal(insn_mem_offset(&in, regs, 0xffffffff81000000ULL),
			 0xffffffff81000016ULL);
	/* ...truncated to EIP with 67. */
	assert_int_equal(decode_hex("67 8b 05 f0 ff ff ff", M64, &in), 0);
	assert_int_equal(insn_mem_offset(&in, regs, 0x100000005ULL), 0xfffffffc);

	/* 67 in 64-bit mode: 32-bit address arithmetic. */
	regs[4] = 0x100000010ULL;  /* rsp */
	assert_int_equal(decode_hex("67 8b 04 24", M64, &in), 0);
	assert_int_equal(insn_mem_offset(&in, regs, 0), 0x10);
	assert_int_equal(insn_mem_seg(&in), INSN_SEG_SS);

	/* A negative disp32 without base in 32-bit mode wraps to 32 bits. */
	assert_int_equal(decode_hex("83 0d 00 03 e0 fe 01", M32, &in), 0);
	assert_int_equal(insn_mem_offset(&in, regs, 0), 0xfee00300);

	/* 16-bit: mov 0x10(%bp,%di),%cx wraps at 64 KiB, and uses SS. */
	regs[5] = 0xfff0;          /* rbp */
	regs[7] = 0x20;            /* rdi */
	assert_int_equal(decode_hex("8b 4b 10", M16, &in), 0);
	assert_int_equal(insn_mem_offset(&in, regs, 0), 0x20);
	assert_int_equal(insn_mem_seg(&in), INSN_SEG_SS);

	/* Overrides win; STOS is always ES. */
	assert_int_equal(decode_hex("64 8b 45 00", M64, &in), 0);
	assert_int_equal(insn_mem_seg(&in), INSN_SEG_FS);
	assert_int_equal(decode_hex("41 8b 45 00", M64, &in), 0);  /* (%r13) is DS */
	assert_int_equal(insn_mem_seg(&in), INSN_SEG_DS);
	assert_int_equal(decode_hex("64 f3 ab", M64, &in), 0);
	assert_int_equal(insn_mem_seg(&in), INSN_SEG_ES);
	regs[7] = 0x2000;
	assert_int_equal(insn_mem_offset(&in, regs, 0), 0x2000);
}

/* ---- emulation ---------------------------------------------------------- */

#define DEV_BASE 0xfee00000ULL
#define DEV_SIZE 0x1000

/* A device that is just memory, with a log of the accesses. */
struct fake_dev {
	uint8_t mem[DEV_SIZE];
	unsigned reads, writes;
	unsigned last_size;
	int fail;   /* returned by every access when non-zero */
};

static struct fake_dev dev;

static int dev_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
	struct fake_dev *d = ctx;
	uint64_t v = 0;

	if (d->fail)
		return d->fail;
	assert_true(gpa >= DEV_BASE && gpa + size <= DEV_BASE + DEV_SIZE);
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)d->mem[gpa - DEV_BASE + i] << (8 * i);
	/* Garbage above size: the emulator must not rely on it being zero. */
	*val = size < 8 ? v | (0xa5a5a5a5a5a5a5a5ULL << (8 * size)) : v;
	d->reads++;
	d->last_size = size;
	return 0;
}

static int dev_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
	struct fake_dev *d = ctx;

	if (d->fail)
		return d->fail;
	assert_true(gpa >= DEV_BASE && gpa + size <= DEV_BASE + DEV_SIZE);
	if (size < 8)
		assert_int_equal(val >> (8 * size), 0);
	for (unsigned i = 0; i < size; i++)
		d->mem[gpa - DEV_BASE + i] = (uint8_t)(val >> (8 * i));
	d->writes++;
	d->last_size = size;
	return 0;
}

/* Guest RAM for the operands that are not the device (MOVS, PUSH, POP):
 * RAM_SIZE bytes at RAM_BASE, flat segments; below RAM_FAULT an access
 * faults (HV_EFAULT, as when a #PF was queued), elsewhere it is no RAM. */
#define RAM_BASE 0x10000ULL
#define RAM_SIZE 0x1000
#define RAM_FAULT 0x1000ULL

static uint8_t ram[RAM_SIZE];
static enum insn_seg last_seg;
static uint8_t xmm[16][16];

static int ram_check(enum insn_seg seg, uint64_t offset, unsigned size)
{
	last_seg = seg;
	if (offset < RAM_FAULT)
		return HV_EFAULT;
	if (offset < RAM_BASE || offset + size > RAM_BASE + RAM_SIZE)
		return HV_EIO;
	return 0;
}

static int ram_read(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size, uint64_t *val)
{
	int rc = ram_check(seg, offset, size);

	(void)ctx;
	*val = 0;
	if (rc == 0)
		memcpy(val, ram + (offset - RAM_BASE), size);
	return rc;
}

static int ram_write(void *ctx, enum insn_seg seg, uint64_t offset, unsigned size, uint64_t val)
{
	int rc = ram_check(seg, offset, size);

	(void)ctx;
	if (rc == 0)
		memcpy(ram + (offset - RAM_BASE), &val, size);
	return rc;
}

static void xmm_read(void *ctx, unsigned reg, uint8_t val[16])
{
	(void)ctx;
	memcpy(val, xmm[reg], 16);
}

static void xmm_write(void *ctx, unsigned reg, const uint8_t val[16])
{
	(void)ctx;
	memcpy(xmm[reg], val, 16);
}

/* The device alone; and with RAM and XMM registers. */
static const struct insn_mem_ops ops = { dev_read, dev_write, NULL, NULL, NULL, NULL, &dev };
static const struct insn_mem_ops ops_all = { dev_read, dev_write, ram_read, ram_write,
					     xmm_read, xmm_write, &dev };

static int reset(void **state)
{
	(void)state;
	memset(ram, 0, sizeof(ram));
	memset(xmm, 0, sizeof(xmm));
	memset(&dev, 0, sizeof(dev));
	return 0;
}

static void put(uint64_t off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size; i++)
		dev.mem[off + i] = (uint8_t)(val >> (8 * i));
}

static uint64_t get(uint64_t off, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)dev.mem[off + i] << (8 * i);
	return v;
}

/* Decode hex and emulate it against the fake device at DEV_BASE + off. */
static int emulate(const char *hex, enum cpu_mode mode, uint64_t off, uint64_t regs[16],
		   uint64_t *rflags)
{
	struct insn in;

	assert_int_equal(decode_hex(hex, mode, &in), 0);
	return insn_emulate(&in, DEV_BASE + off, regs, rflags, &ops);
}

static void test_mov_store(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED | CF, before[16];

	(void)state;
	regs[0] = 0xdeadbeef12345678ULL;
	memcpy(before, regs, sizeof(regs));
	/* mov %eax,0xfee000b0 (moffs) */
	assert_int_equal(emulate("a3 b0 00 e0 fe 00 00 00 00", M64, 0xb0, regs, &fl), 0);
	assert_int_equal(get(0xb0, 8), 0x12345678);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(dev.reads, 0);
	assert_int_equal(dev.last_size, 4);
	assert_memory_equal(regs, before, sizeof(regs));
	assert_int_equal(fl, RFLAGS_FIXED | CF);

	/* mov %rax,(moffs): 8 bytes. */
	assert_int_equal(emulate("48 a3 30 00 e0 fe 00 00 00 00", M64, 0x30, regs, &fl), 0);
	assert_int_equal(get(0x30, 8), 0xdeadbeef12345678ULL);
	/* mov %ax,(%rsi) */
	assert_int_equal(emulate("66 89 06", M64, 0x40, regs, &fl), 0);
	assert_int_equal(get(0x40, 4), 0x5678);
	/* mov %ah,(%rcx) and mov %spl,(%rcx) */
	regs[4] = 0x4455;
	assert_int_equal(emulate("88 21", M64, 0x50, regs, &fl), 0);
	assert_int_equal(get(0x50, 2), 0x56);
	assert_int_equal(emulate("40 88 21", M64, 0x51, regs, &fl), 0);
	assert_int_equal(get(0x50, 2), 0x5556);
	/* mov %r9d,(%r8) */
	regs[9] = 0x1111111122222222ULL;
	assert_int_equal(emulate("45 89 08", M64, 0x60, regs, &fl), 0);
	assert_int_equal(get(0x60, 8), 0x22222222);
	/* 16-bit mode: mov %ax,(%bx,%si) and mov %eax,(%di) */
	assert_int_equal(emulate("89 00", M16, 0x70, regs, &fl), 0);
	assert_int_equal(dev.last_size, 2);
	assert_int_equal(emulate("66 89 05", M16, 0x78, regs, &fl), 0);
	assert_int_equal(get(0x78, 8), 0x12345678);
}

static void test_mov_imm_store(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;

	(void)state;
	put(0x300, 8, ~0ULL);
	assert_int_equal(emulate("c7 80 00 03 00 00 01 00 00 00", M64, 0x300, regs, &fl), 0);
	assert_int_equal(get(0x300, 8), 0xffffffff00000001ULL);
	assert_int_equal(emulate("48 c7 00 ff ff ff ff", M64, 0x308, regs, &fl), 0);
	assert_int_equal(get(0x308, 8), ~0ULL);
	assert_int_equal(emulate("66 c7 42 10 34 12", M64, 0x310, regs, &fl), 0);
	assert_int_equal(get(0x310, 4), 0x1234);
	assert_int_equal(emulate("41 c6 01 7f", M64, 0x318, regs, &fl), 0);
	assert_int_equal(get(0x318, 2), 0x7f);
	assert_int_equal(emulate("66 c7 47 fe 01 00 00 00", M16, 0x320, regs, &fl), 0);
	assert_int_equal(get(0x320, 8), 1);
	assert_int_equal(dev.writes, 5);
	assert_int_equal(dev.reads, 0);
}

static void test_mov_load_register_widths(void **state)
{
	uint64_t regs[16], fl = RFLAGS_FIXED;

	(void)state;
	memset(regs, 0xff, sizeof(regs));
	put(0x20, 4, 0x89abcdef);
	/* mov 0x20(%rdi),%ecx: a 32-bit write zero-extends. */
	assert_int_equal(emulate("8b 4f 20", M64, 0x20, regs, &fl), 0);
	assert_int_equal(regs[1], 0x89abcdef);
	assert_int_equal(dev.last_size, 4);
	/* mov (%rsi),%ax: 16 bits, the rest kept. */
	regs[0] = 0x1111111111111111ULL;
	put(0x30, 2, 0xbeef);
	assert_int_equal(emulate("66 8b 06", M64, 0x30, regs, &fl), 0);
	assert_int_equal(regs[0], 0x111111111111beefULL);
	/* mov (%rbx),%bh without REX; mov (%rbx),%dil with. */
	regs[3] = 0x1122334455667788ULL;
	regs[7] = 0x1122334455667788ULL;
	put(0x40, 1, 0xab);
	assert_int_equal(emulate("8a 3b", M64, 0x40, regs, &fl), 0);
	assert_int_equal(regs[3], 0x112233445566ab88ULL);
	assert_int_equal(emulate("40 8a 3b", M64, 0x40, regs, &fl), 0);
	assert_int_equal(regs[7], 0x11223344556677abULL);
	/* mov (%rax),%rax, 64-bit */
	put(0x48, 8, 0x0102030405060708ULL);
	assert_int_equal(emulate("4a 8b 04 e5 00 00 00 00", M64, 0x48, regs, &fl), 0);
	assert_int_equal(regs[0], 0x0102030405060708ULL);
	/* movabs 0x1234,%al */
	assert_int_equal(emulate("a0 34 12 00 00 00 00 00 00", M64, 0x40, regs, &fl), 0);
	assert_int_equal(regs[0], 0x01020304050607abULL);
	/* 16-bit mode: mov 0x10(%bp,%di),%cx */
	regs[1] = ~0ULL;
	put(0x50, 2, 0x4242);
	assert_int_equal(emulate("8b 4b 10", M16, 0x50, regs, &fl), 0);
	assert_int_equal(regs[1], 0xffffffffffff4242ULL);
	assert_int_equal(fl, RFLAGS_FIXED);
	assert_int_equal(dev.writes, 0);
}

static void test_movzx_movsx(void **state)
{
	uint64_t regs[16], fl = RFLAGS_FIXED;

	(void)state;
	memset(regs, 0xff, sizeof(regs));
	put(0x10, 4, 0x80008080);
	assert_int_equal(emulate("0f b6 06", M64, 0x10, regs, &fl), 0);   /* movzbl */
	assert_int_equal(regs[0], 0x80);
	assert_int_equal(dev.last_size, 1);
	assert_int_equal(emulate("0f be 08", M64, 0x10, regs, &fl), 0);   /* movsbl */
	assert_int_equal(regs[1], 0xffffff80);
	assert_int_equal(emulate("4c 0f bf 10", M64, 0x12, regs, &fl), 0); /* movswq */
	assert_int_equal(regs[10], 0xffffffffffff8000ULL);
	assert_int_equal(dev.last_size, 2);
	assert_int_equal(emulate("44 0f b7 5b 04", M64, 0x12, regs, &fl), 0); /* movzwl */
	assert_int_equal(regs[11], 0x8000);
	assert_int_equal(emulate("48 63 07", M64, 0x10, regs, &fl), 0);   /* movslq */
	assert_int_equal(regs[0], 0xffffffff80008080ULL);
	assert_int_equal(dev.last_size, 4);
	put(0x20, 4, 0x7fffffff);
	assert_int_equal(emulate("48 63 07", M64, 0x20, regs, &fl), 0);
	assert_int_equal(regs[0], 0x7fffffff);
	/* movzbw (%rax),%cx: a 16-bit destination keeps the rest. */
	regs[1] = ~0ULL;
	assert_int_equal(emulate("66 0f b6 08", M64, 0x10, regs, &fl), 0);
	assert_int_equal(regs[1], 0xffffffffffff0080ULL);
	assert_int_equal(dev.writes, 0);
}

struct alu_case {
	const char *text;
	const char *hex;
	unsigned size;
	uint64_t mem, reg, flags_in;   /* reg: the register operand (rcx, rax or rdx) */
	uint64_t mem_out, reg_out, flags_out;
};

/* The register operand's value is put in rax, rcx, rdx and rbx alike. */
static const struct alu_case alu_cases[] = {
	{ "cmpl $0x5,(%rax) equal", "83 38 05", 4, 5, 0, 0, 5, 0, ZF | PF },
	{ "cmpl $0x5,(%rax) below", "83 38 05", 4, 4, 0, 0, 4, 0, CF | SF | AF | PF },
	{ "cmpl $0x5,(%rax) overflow", "83 38 05", 4, 0x80000000, 0, 0, 0x80000000, 0,
	  OF | AF },
	{ "cmp %ecx,(%rax): 1 - 2", "39 08", 4, 1, 2, 0, 1, 2, CF | SF | AF | PF },
	{ "cmp (%rax),%ecx: 2 - 1", "3b 08", 4, 1, 2, 0, 1, 2, 0 },
	{ "addb $0x80,(%rax)", "80 00 80", 1, 0x80, 0, 0, 0, 0, CF | OF | ZF | PF },
	{ "addb $0x80,(%rax) no carry", "80 00 80", 1, 0x7f, 0, 0, 0xff, 0, SF | PF },
	{ "sub %rbx,(%rax)", "48 29 18", 8, 0, 1, 0, ~0ULL, 1, CF | SF | AF | PF },
	{ "sub %rbx,(%rax) signed overflow", "48 29 18", 8, 0x8000000000000000ULL, 1, 0,
	  0x7fffffffffffffffULL, 1, OF | AF | PF },
	{ "adc %eax,(%rbx) with CF", "11 03", 4, 0xffffffff, 0, CF, 0, 0, CF | ZF | AF | PF },
	{ "adc %eax,(%rbx) without CF", "11 03", 4, 0xffffffff, 0, 0, 0xffffffff, 0,
	  SF | PF },
	{ "sbb (%rbx),%eax with CF", "1b 03", 4, 0, 0, CF, 0, 0xffffffff, CF | SF | AF | PF },
	{ "andl $-2,(%rax) clears CF/OF", "83 20 fe", 4, 0xffffffff, 0, CF | OF | AF,
	  0xfffffffe, 0, SF },
	{ "andl $0x7ffffffe,(%rax)", "81 20 fe ff ff 7f", 4, 1, 0, CF | OF, 0, 0, ZF | PF },
	{ "lock orl $0x1,(%rax)", "f0 83 08 01", 4, 0x80000000, 0, CF | OF | ZF,
	  0x80000001, 0, SF },
	{ "orq $-0x80000000,(%rax)", "48 81 08 00 00 00 80", 8, 1, 0, 0,
	  0xffffffff80000001ULL, 0, SF },
	{ "xor (%rax),%edx", "33 10", 4, 0x1234, 0xffffffff00001234ULL, CF | OF, 0x1234, 0,
	  ZF | PF },
	{ "andw $0xff00,(%ebx)", "66 81 23 00 ff", 2, 0x12ff, 0, 0, 0x1200, 0, PF },
	{ "testl $0x80000000,(%rax)", "f7 00 00 00 00 80", 4, 0x80000001, 0, CF | OF,
	  0x80000001, 0, SF | PF },
	{ "testb $0x1,(%rax)", "f6 00 01", 1, 0xfe, 0, 0, 0xfe, 0, ZF | PF },
	{ "test %al,(%rdx)", "84 02", 1, 0xf0, 0x0f, 0, 0xf0, 0x0f, ZF | PF },
	{ "test %al,(%rdx) nonzero", "84 02", 1, 0xf1, 0x01, 0, 0xf1, 0x01, 0 },
};

static void test_alu_flags(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(alu_cases) / sizeof(alu_cases[0]); i++) {
		const struct alu_case *c = &alu_cases[i];
		uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED | c->flags_in;

		print_message("%s\n", c->text);
		memset(&dev, 0, sizeof(dev));
		for (int r = 0; r < 4; r++)
			regs[r] = c->reg;
		put(0x80, 8, 0x5a5a5a5a5a5a5a5aULL);
		put(0x80, c->size, c->mem);
		assert_int_equal(emulate(c->hex, M64, 0x80, regs, &fl), 0);
		assert_int_equal(fl, RFLAGS_FIXED | c->flags_out);
		assert_int_equal(get(0x80, c->size), c->mem_out);
		/* Nothing past the operand is touched. */
		if (c->size < 8)
			assert_int_equal(get(0x80 + c->size, 8 - c->size),
					 0x5a5a5a5a5a5a5a5aULL >> (8 * c->size));
		assert_int_equal(dev.reads, 1);
		/* The register operand: written only when it is the destination. */
		for (int r = 0; r < 4; r++)
			if (regs[r] != c->reg)
				assert_int_equal(regs[r], c->reg_out);
	}
}

/* Which ALU forms write: the memory destination unless CMP/TEST; a
 * register destination never touches memory. */
static void test_alu_writes(void **state)
{
	static const struct { const char *hex; unsigned writes; } cases[] = {
		{ "83 38 05", 0 },     /* cmpl */
		{ "39 08", 0 },        /* cmp %ecx,(%rax) */
		{ "f7 00 00 00 00 80", 0 }, /* test */
		{ "84 02", 0 },
		{ "33 10", 0 },        /* xor (%rax),%edx */
		{ "1b 03", 0 },        /* sbb (%rbx),%eax */
		{ "83 20 fe", 1 },     /* and */
		{ "48 29 18", 1 },     /* sub */
		{ "f0 83 08 01", 1 },  /* lock or */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;

		memset(&dev, 0, sizeof(dev));
		assert_int_equal(emulate(cases[i].hex, M64, 0x10, regs, &fl), 0);
		assert_int_equal(dev.reads, 1);
		assert_int_equal(dev.writes, cases[i].writes);
	}
}

static void test_xchg(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED | ZF;

	(void)state;
	regs[0] = 0xffffffff00005555ULL;
	put(0x10, 4, 0xaaaa);
	assert_int_equal(emulate("87 07", M64, 0x10, regs, &fl), 0);
	assert_int_equal(get(0x10, 4), 0x5555);
	assert_int_equal(regs[0], 0xaaaa);
	regs[8] = 0x1234567890abcdefULL;
	put(0x20, 1, 0x11);
	assert_int_equal(emulate("44 86 07", M64, 0x20, regs, &fl), 0);
	assert_int_equal(get(0x20, 2), 0xef);
	assert_int_equal(regs[8], 0x1234567890abcd11ULL);
	assert_int_equal(fl, RFLAGS_FIXED | ZF);
	assert_int_equal(dev.reads, 2);
	assert_int_equal(dev.writes, 2);
}

static void test_bt(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED | ZF | SF;

	(void)state;
	put(0x10, 4, 0x8);
	assert_int_equal(emulate("0f ba 20 03", M64, 0x10, regs, &fl), 0);   /* btl $3 */
	assert_int_equal(fl, RFLAGS_FIXED | ZF | SF | CF);
	assert_int_equal(dev.writes, 0);
	/* bts %ecx,(%rax) with ecx = 33: bit 1 of the dword at the fault. */
	regs[1] = 33;
	assert_int_equal(emulate("0f ab 08", M64, 0x10, regs, &fl), 0);
	assert_int_equal(get(0x10, 4), 0xa);
	assert_int_equal(fl, RFLAGS_FIXED | ZF | SF);
	assert_int_equal(dev.writes, 1);
	/* lock btrq $0x3f */
	put(0x18, 8, 0x8000000000000001ULL);
	assert_int_equal(emulate("f0 48 0f ba 30 3f", M64, 0x18, regs, &fl), 0);
	assert_int_equal(get(0x18, 8), 1);
	assert_int_equal(fl, RFLAGS_FIXED | ZF | SF | CF);
	/* btc %ecx,(%rax), 0F BB */
	regs[1] = 0;
	assert_int_equal(emulate("0f bb 08", M64, 0x18, regs, &fl), 0);
	assert_int_equal(get(0x18, 8), 0);
	assert_int_equal(fl, RFLAGS_FIXED | ZF | SF | CF);
}

static void test_stos(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;
	struct insn in;
	uint64_t gpa = DEV_BASE + 0x100;
	int rc, calls = 0;

	(void)state;
	/* rep stosl, RCX = 3: one element per call, INSN_REPEAT until done. */
	assert_int_equal(decode_hex("f3 ab", M64, &in), 0);
	regs[0] = 0xffffffff11223344ULL;
	regs[1] = 3;
	regs[7] = 0x7000;
	do {
		rc = insn_emulate(&in, gpa, regs, &fl, &ops);
		assert_true(rc == 0 || rc == INSN_REPEAT);
		gpa += 4;
		calls++;
		assert_int_equal(regs[1], 3 - calls);
		assert_int_equal(regs[7], 0x7000 + 4 * calls);
	} while (rc == INSN_REPEAT);
	assert_int_equal(calls, 3);
	assert_int_equal(get(0x100, 8), 0x1122334411223344ULL);
	assert_int_equal(get(0x108, 8), 0x11223344);
	assert_int_equal(dev.writes, 3);
	assert_int_equal(fl, RFLAGS_FIXED);

	/* RCX = 0: nothing. */
	assert_int_equal(insn_emulate(&in, gpa, regs, &fl, &ops), 0);
	assert_int_equal(dev.writes, 3);
	assert_int_equal(regs[7], 0x700c);

	/* DF = 1: rDI counts down.  rep stosb. */
	fl = RFLAGS_FIXED | DF;
	regs[1] = 2;
	assert_int_equal(decode_hex("f3 aa", M64, &in), 0);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x200, regs, &fl, &ops), INSN_REPEAT);
	assert_int_equal(regs[7], 0x700b);
	assert_int_equal(regs[1], 1);
	assert_int_equal(get(0x200, 1), 0x44);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x1ff, regs, &fl, &ops), 0);
	assert_int_equal(regs[7], 0x700a);
	assert_int_equal(regs[1], 0);

	/* stosw without REP: RCX untouched. */
	fl = RFLAGS_FIXED;
	regs[1] = 5;
	assert_int_equal(emulate("66 ab", M64, 0x300, regs, &fl), 0);
	assert_int_equal(get(0x300, 4), 0x3344);
	assert_int_equal(regs[1], 5);
	assert_int_equal(regs[7], 0x700c);

	/* rep stosq */
	regs[0] = 0x0102030405060708ULL;
	regs[1] = 1;
	assert_int_equal(emulate("f3 48 ab", M64, 0x308, regs, &fl), 0);
	assert_int_equal(get(0x308, 8), 0x0102030405060708ULL);
	assert_int_equal(regs[7], 0x7014);

	/* addr32 rep stosl: EDI and ECX wrap at 32 bits and zero-extend. */
	regs[7] = 0x1fffffffcULL;
	regs[1] = 0x100000001ULL;
	assert_int_equal(emulate("67 f3 ab", M64, 0x310, regs, &fl), 0);
	assert_int_equal(regs[7], 0);
	assert_int_equal(regs[1], 0);

	/* 16-bit address size: DI and CX wrap at 16 bits, the rest kept. */
	regs[7] = 0xabcd0000fffeULL;
	regs[1] = 0x12340002ULL;
	assert_int_equal(emulate("f3 ab", M16, 0x320, regs, &fl), INSN_REPEAT);
	assert_int_equal(regs[7], 0xabcd00000000ULL);
	assert_int_equal(regs[1], 0x12340001ULL);
	assert_int_equal(dev.last_size, 2);
}

/* MOVS: the operand that is not RAM is the device at gpa. */
static void test_movs(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;
	struct insn in;

	(void)state;
	/* RAM to the device, REP, two elements. */
	memcpy(ram, "\x11\x22\x33\x44\x55\x66\x77\x88\x99", 9);
	regs[6] = RAM_BASE;           /* rsi */
	regs[7] = DEV_BASE + 0x800;   /* rdi */
	regs[1] = 2;
	assert_int_equal(decode_hex("f3 a5", M64, &in), 0);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x800, regs, &fl, &ops_all), INSN_REPEAT);
	assert_int_equal(last_seg, INSN_SEG_DS);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x804, regs, &fl, &ops_all), 0);
	assert_int_equal(get(0x800, 8), 0x8877665544332211ULL);
	assert_int_equal(regs[6], RAM_BASE + 8);
	assert_int_equal(regs[7], DEV_BASE + 0x808);
	assert_int_equal(regs[1], 0);
	/* The device to RAM, backwards (DF), with an FS override on the source. */
	put(0x400, 4, 0xcafef00d);
	regs[6] = DEV_BASE + 0x400;
	regs[7] = RAM_BASE + 0x100;
	fl |= DF;
	assert_int_equal(decode_hex("64 a5", M64, &in), 0);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x400, regs, &fl, &ops_all), 0);
	assert_int_equal(last_seg, INSN_SEG_ES);
	assert_int_equal(ram[0x100] | ram[0x101] << 8 | ram[0x102] << 16 | (uint32_t)ram[0x103] << 24,
			 0xcafef00d);
	assert_int_equal(regs[6], DEV_BASE + 0x3fc);
	assert_int_equal(regs[7], RAM_BASE + 0xfc);
	/* A fault on the RAM operand: HV_EFAULT, nothing moved or written. */
	regs[6] = 0x100;
	regs[7] = DEV_BASE + 0x800;
	dev.writes = 0;
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x800, regs, &fl, &ops_all), HV_EFAULT);
	assert_int_equal(dev.writes, 0);
	assert_int_equal(regs[6], 0x100);
	/* From one device to another, or without RAM access: not emulated. */
	regs[6] = DEV_BASE + 0x400;
	regs[7] = DEV_BASE + 0x800;
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x400, regs, &fl, &ops_all), HV_ENOTSUP);
	assert_int_equal(decode_hex("a4", M64, &in), 0);
	assert_int_equal(insn_emulate(&in, DEV_BASE, regs, &fl, &ops), HV_ENOTSUP);
	assert_int_equal(regs[6], DEV_BASE + 0x400);
}

static void test_lods(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;

	(void)state;
	put(0x10, 4, 0x12345678);
	regs[0] = ~0ULL;
	regs[6] = DEV_BASE + 0x10;
	assert_int_equal(emulate("ad", M64, 0x10, regs, &fl), 0);   /* lodsl: zero-extends */
	assert_int_equal(regs[0], 0x12345678);
	assert_int_equal(regs[6], DEV_BASE + 0x14);
	regs[0] = ~0ULL;
	regs[1] = 2;
	assert_int_equal(emulate("f3 ac", M64, 0x10, regs, &fl), INSN_REPEAT);   /* rep lodsb */
	assert_int_equal(regs[0], 0xffffffffffffff78ULL);
	assert_int_equal(regs[1], 1);
}

static void test_unary(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED | CF;

	(void)state;
	put(0, 4, 0x7fffffff);
	assert_int_equal(emulate("ff 00", M64, 0, regs, &fl), 0);      /* incl: CF stays */
	assert_int_equal(get(0, 4), 0x80000000);
	assert_int_equal(fl & STATUS, CF | OF | SF | AF | PF);
	fl = RFLAGS_FIXED;
	put(0, 1, 0);
	assert_int_equal(emulate("fe 08", M64, 0, regs, &fl), 0);      /* decb */
	assert_int_equal(get(0, 1), 0xff);
	assert_int_equal(fl & STATUS, SF | AF | PF);
	put(0, 4, 1);
	assert_int_equal(emulate("f7 18", M64, 0, regs, &fl), 0);      /* negl */
	assert_int_equal(get(0, 4), 0xffffffff);
	assert_int_equal(fl & STATUS, CF | SF | AF | PF);
	put(0, 4, 0);
	assert_int_equal(emulate("f7 18", M64, 0, regs, &fl), 0);      /* negl 0: CF clear */
	assert_int_equal(fl & STATUS, ZF | PF);
	fl = RFLAGS_FIXED | CF | ZF;
	put(0, 2, 0x0ff0);
	assert_int_equal(emulate("66 f7 10", M64, 0, regs, &fl), 0);   /* notw: no flags */
	assert_int_equal(get(0, 4), 0xf00f);
	assert_int_equal(fl, RFLAGS_FIXED | CF | ZF);
}

static void test_cmpxchg_xadd(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;

	(void)state;
	/* Equal: the source goes to memory, ZF. */
	put(0, 4, 0x42);
	regs[0] = 0xffffffff00000042ULL, regs[1] = 0x77;
	assert_int_equal(emulate("f0 0f b1 08", M64, 0, regs, &fl), 0);
	assert_int_equal(get(0, 4), 0x77);
	assert_int_equal(regs[0], 0xffffffff00000042ULL);
	assert_true(fl & ZF);
	/* Not equal: memory written back with its own value, EAX gets it. */
	dev.writes = 0;
	assert_int_equal(emulate("f0 0f b1 08", M64, 0, regs, &fl), 0);
	assert_int_equal(get(0, 4), 0x77);
	assert_int_equal(dev.writes, 1);
	assert_int_equal(regs[0], 0x77);
	assert_false(fl & ZF);
	/* XADD: the sum to memory, the old value to the register. */
	put(0, 4, 0x10);
	regs[1] = 5;
	assert_int_equal(emulate("0f c1 08", M64, 0, regs, &fl), 0);
	assert_int_equal(get(0, 4), 0x15);
	assert_int_equal(regs[1], 0x10);
}

static void test_push_pop(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;
	struct insn in;
	uint64_t v;

	(void)state;
	put(0x20, 8, 0x1122334455667788ULL);
	regs[4] = RAM_BASE + 0x100;
	assert_int_equal(decode_hex("ff 30", M64, &in), 0);         /* push (%rax) */
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x20, regs, &fl, &ops_all), 0);
	assert_int_equal(last_seg, INSN_SEG_SS);
	assert_int_equal(regs[4], RAM_BASE + 0xf8);
	memcpy(&v, ram + 0xf8, 8);
	assert_int_equal(v, 0x1122334455667788ULL);
	/* pop (%rax): the stack's top to the device. */
	v = 0xa1b2c3d4e5f60718ULL;
	memcpy(ram + 0xf8, &v, 8);
	assert_int_equal(decode_hex("8f 00", M64, &in), 0);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x40, regs, &fl, &ops_all), 0);
	assert_int_equal(get(0x40, 8), 0xa1b2c3d4e5f60718ULL);
	assert_int_equal(regs[4], RAM_BASE + 0x100);
	/* A 32-bit push wraps ESP at 32 bits; a fault leaves ESP alone. */
	regs[4] = 0x800;
	assert_int_equal(decode_hex("ff 30", M32, &in), 0);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x20, regs, &fl, &ops_all), HV_EFAULT);
	assert_int_equal(regs[4], 0x800);
	/* Without RAM access: not emulated. */
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x20, regs, &fl, &ops), HV_ENOTSUP);
}

static void test_sse_moves(void **state)
{
	uint64_t regs[16] = { 0 }, fl = RFLAGS_FIXED;
	struct insn in;

	(void)state;
	memset(xmm[1], 0xee, 16);
	put(0x30, 8, 0x8877665544332211ULL);
	/* Loads zero-extend into the whole register. */
	assert_int_equal(decode_hex("66 0f 6e 08", M64, &in), 0);   /* movd (%rax),%xmm1 */
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x30, regs, &fl, &ops_all), 0);
	assert_memory_equal(xmm[1], "\x11\x22\x33\x44\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	memset(xmm[0], 0xee, 16);
	assert_int_equal(decode_hex("f3 0f 7e 00", M64, &in), 0);   /* movq (%rax),%xmm0 */
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x30, regs, &fl, &ops_all), 0);
	assert_memory_equal(xmm[0], "\x11\x22\x33\x44\x55\x66\x77\x88\0\0\0\0\0\0\0\0", 16);
	/* Stores take the low 4 or 8 bytes. */
	memcpy(xmm[9], "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
	assert_int_equal(decode_hex("f3 44 0f 11 08", M64, &in), 0);   /* movss %xmm9,(%rax) */
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x50, regs, &fl, &ops_all), 0);
	assert_int_equal(get(0x50, 8), 0x04030201);
	assert_int_equal(decode_hex("66 4c 0f 7e 08", M64, &in), 0);   /* movq %xmm9,(%rax) */
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x60, regs, &fl, &ops_all), 0);
	assert_int_equal(get(0x60, 8), 0x0807060504030201ULL);
	assert_int_equal(dev.last_size, 8);
	assert_int_equal(insn_emulate(&in, DEV_BASE + 0x60, regs, &fl, &ops), HV_ENOTSUP);
}

/* A failing device access leaves registers and flags alone. */
static void test_device_error(void **state)
{
	static const char *const hexes[] = {
		"8b 4f 20", "89 08", "83 20 fe", "33 10", "87 07", "0f ab 08", "f3 ab", "0f b6 06",
		"f3 a5", "ff 00", "f0 0f b1 08", "0f c1 08", "ad", "ff 30", "66 0f 6e 08",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(hexes) / sizeof(hexes[0]); i++) {
		uint64_t regs[16], before[16], fl = RFLAGS_FIXED | CF;
		struct insn in;

		memset(regs, 0x11, sizeof(regs));
		regs[1] = 3;
		memcpy(before, regs, sizeof(regs));
		dev.fail = HV_EIO;
		assert_int_equal(decode_hex(hexes[i], M64, &in), 0);
		assert_int_equal(insn_emulate(&in, DEV_BASE, regs, &fl, &ops_all), HV_EIO);
		assert_memory_equal(regs, before, sizeof(regs));
		assert_int_equal(fl, RFLAGS_FIXED | CF);
	}
}

static void test_emulate_unknown_kind(void **state)
{
	struct insn in = { .kind = INSN_NONE, .size = 4 };
	uint64_t regs[16] = { 0 }, fl = 0;

	(void)state;
	assert_int_equal(insn_emulate(&in, DEV_BASE, regs, &fl, &ops), HV_ENOTSUP);
	assert_int_equal(dev.reads + dev.writes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_unsupported),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_mem_offset_and_seg),
		cmocka_unit_test_setup(test_mov_store, reset),
		cmocka_unit_test_setup(test_mov_imm_store, reset),
		cmocka_unit_test_setup(test_mov_load_register_widths, reset),
		cmocka_unit_test_setup(test_movzx_movsx, reset),
		cmocka_unit_test_setup(test_alu_flags, reset),
		cmocka_unit_test_setup(test_alu_writes, reset),
		cmocka_unit_test_setup(test_xchg, reset),
		cmocka_unit_test_setup(test_bt, reset),
		cmocka_unit_test_setup(test_stos, reset),
		cmocka_unit_test_setup(test_movs, reset),
		cmocka_unit_test_setup(test_lods, reset),
		cmocka_unit_test_setup(test_unary, reset),
		cmocka_unit_test_setup(test_cmpxchg_xadd, reset),
		cmocka_unit_test_setup(test_push_pop, reset),
		cmocka_unit_test_setup(test_sse_moves, reset),
		cmocka_unit_test_setup(test_device_error, reset),
		cmocka_unit_test_setup(test_emulate_unknown_kind, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
