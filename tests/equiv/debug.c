/* tests/equiv/debug.c: the debug facilities (SDM Vol. 3B chapter 18,
 * "Debug, Branch Profile, TSC, and Intel Resource Director Technology
 * Features").  The debug registers themselves (DR6's and DR7's fixed and
 * reserved bits, DR4 and DR5 under CR4.DE); INT3, INT1 (ICEBP) and INT 1;
 * single steps (after POPF, over MOV SS, over instructions that a
 * hypervisor intercepts: CPUID, port I/O, RDMSR, a local APIC
 * register read; over IRET; at CPL 3); instruction, data and I/O
 * breakpoints (DR0-DR3 with each length, enabled and not, RF), on RAM, on
 * the local APIC's page and on ports; DR7.GD.  Each line gives what was
 * raised, where the frame's RIP pointed ("end-N" as in exceptions.c),
 * and DR6 after it. */
#include "equiv.h"

const char eq_area[] = "debug";

#define CR4_DE (1ul << 3)
#define DR6_CLEAR 0xffff0ff0ul      /* DR6 with no condition recorded */
#define DR7_FIXED 0x400ul
#define DR7_L(n) (1ul << (2 * (n)))
#define DR7_LE_GE (3ul << 8)
#define DR7_GD (1ul << 13)
#define DR7_RW(n, rw) ((unsigned long)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((unsigned long)(len) << (18 + 4 * (n)))
#define RW_EXEC 0
#define RW_WRITE 1
#define RW_IO 2
#define RW_ACCESS 3
#define LEN_1 0
#define LEN_2 1
#define LEN_8 2
#define LEN_4 3
#define RF (1ul << 16)
#define TF (1ul << 8)
#define APIC_VERSION 0xfee00030ul
#define APIC_BASE 0x1b

#define WRITE_DR(n, v) asm volatile("mov %0, %%db" #n : : "r"((uint64_t)(v)) : "memory")
#define READ_DR(n)                                                          \
	({                                                                  \
		uint64_t v_;                                                \
		asm volatile("mov %%db" #n ", %0" : "=r"(v_) : : "memory"); \
		v_;                                                         \
	})

static volatile uint64_t watch[2] __attribute__((aligned(16)));

static void reset_debug(void)
{
	WRITE_DR(7, DR7_FIXED);
	WRITE_DR(6, 0);
	WRITE_DR(0, 0);
	WRITE_DR(1, 0);
}

/* What INSN raised (where its frame pointed, its RFLAGS) and DR6 after
 * it; the debug registers are reset after each. */
static void report(const char *what, int vec)
{
	uint64_t dr6 = READ_DR(6);

	reset_debug();
	if (vec == EQ_NONE)
		eq("%s => ok, dr6 %#lx", what, dr6);
	else
		eq("%s => %s at end-%ld, rflags %#lx, dr6 %#lx", what, eq_fault(vec),
		   (long)(eq_fixup_hit - eq_fault_rip), eq_fault_rflags, dr6);
}

/* ---- the registers -------------------------------------------------------- */

static int write_dr6(uint64_t v) { return EQ_TRY("mov %0, %%db6", : : "r"(v) : "memory"); }
static int write_dr7(uint64_t v) { return EQ_TRY("mov %0, %%db7", : : "r"(v) : "memory"); }

static void registers(void)
{
	uint64_t cr4 = read_cr4(), v = 0;
	int vec;

	vec = write_dr6(0);
	eq("mov dr6, 0 => %s, reads %#lx", eq_fault(vec), READ_DR(6));
	vec = write_dr6(0xffffffffu);
	eq("mov dr6, 0xffffffff => %s, reads %#lx", eq_fault(vec), READ_DR(6));
	vec = write_dr6(1ul << 32);
	eq("mov dr6, bit 32 => %s, reads %#lx", eq_fault(vec), READ_DR(6));
	vec = write_dr7(0);
	eq("mov dr7, 0 => %s, reads %#lx", eq_fault(vec), READ_DR(7));
	vec = write_dr7(0xffff07ffu);
	eq("mov dr7, every defined bit but GD => %s, reads %#lx", eq_fault(vec), READ_DR(7));
	vec = write_dr7(1ul << 32);
	eq("mov dr7, bit 32 => %s, reads %#lx", eq_fault(vec), READ_DR(7));
	reset_debug();
	WRITE_DR(3, 0x123456789abcdeful);
	eq("mov dr3, a 64-bit address => reads %#lx", READ_DR(3));
	WRITE_DR(3, 0);

	write_cr4(cr4 & ~CR4_DE);
	vec = EQ_TRY("mov %%db4, %0", : "=r"(v) : : "memory");
	eq("mov from dr4 without CR4.DE => %s, reads %#lx", eq_fault(vec), vec == EQ_NONE ? v : 0);
	vec = EQ_TRY("mov %0, %%db5", : : "r"(DR7_FIXED | DR7_L(2)) : "memory");
	eq("mov to dr5 without CR4.DE => %s, dr7 reads %#lx", eq_fault(vec), READ_DR(7));
	reset_debug();
	write_cr4(cr4 | CR4_DE);
	vec = EQ_TRY("mov %%db4, %0", : "=r"(v) : : "memory");
	eq("mov from dr4 with CR4.DE => %s", eq_fault(vec));
	vec = EQ_TRY("mov %0, %%db5", : : "r"(0ul) : "memory");
	eq("mov to dr5 with CR4.DE => %s", eq_fault(vec));
	write_cr4(cr4);
}

/* ---- INT3, INT1, single steps ---------------------------------------------- */

/* POPF sets TF; the step traps after the instruction that follows it
 * (Vol. 3B 18.3.1.4). */
#define STEP(insns, ...) STEP_AFTER("", insns, __VA_ARGS__)
/* SETUP runs before TF is set. */
#define STEP_AFTER(setup, insns, ...)                                       \
	EQ_TRY(setup "pushf\n\torq $0x100, (%%rsp)\n\tpopf\n\t" insns, __VA_ARGS__)

static void steps(void)
{
	uint32_t a, b, c, d;
	uint16_t ss = EQ_KDATA;

	report("int3", EQ_TRY("int3", : : : "memory"));
	report("icebp (int1)", EQ_TRY(".byte 0xf1", : : : "memory"));
	report("int $1", EQ_TRY("int $1", : : : "memory"));

	report("single step: popf, nop, nop", STEP("nop\n\tnop", : : : "memory"));
	report("single step over mov ss, then nop, nop",
	       STEP("mov %0, %%ss\n\tnop\n\tnop", : : "r"(ss) : "memory"));
	report("single step over cpuid", STEP("cpuid\n\tnop", : "=a"(a), "=b"(b), "=c"(c), "=d"(d)
					       : "a"(0), "c"(0) : "memory"));
	report("single step over out to port 0x80",
	       STEP("outb %%al, $0x80\n\tnop", : : "a"(0) : "memory"));
	report("single step over in from port 0x61",
	       STEP("inb $0x61, %%al\n\tnop", : "=a"(a) : : "memory"));
	report("single step over rdmsr IA32_APIC_BASE",
	       STEP("rdmsr\n\tnop", : "=a"(a), "=d"(d) : "c"(APIC_BASE) : "memory"));
	report("single step over a read of the local APIC's version",
	       STEP("movl (%1), %0\n\tnop", : "=r"(a) : "r"(APIC_VERSION) : "memory"));
	/* An IRET frame to 2f: SS, RSP, RFLAGS, CS, RIP. */
#define IRET_FRAME "mov %%ss, %%eax\n\tpush %%rax\n\tlea 8(%%rsp), %%rax\n\tpush %%rax\n\t" \
		   "pushf\n\t" FRAME_TF "mov %%cs, %%eax\n\tpush %%rax\n\t"                    \
		   "lea 2f(%%rip), %%rax\n\tpush %%rax\n\t"
#define FRAME_TF ""
	report("single step over iretq (TF clear in its frame)",
	       STEP_AFTER(IRET_FRAME, "iretq\n2:\tnop\n\tnop", : : : "rax", "memory"));
#undef FRAME_TF
#define FRAME_TF "orq $0x100, (%%rsp)\n\t"
	report("iretq setting TF", EQ_TRY(IRET_FRAME "iretq\n2:\tnop\n\tnop", : : : "rax", "memory"));
}

/* ---- breakpoints ----------------------------------------------------------- */

/* An instruction breakpoint faults before the instruction at the
 * address; with RF set in the frame, IRET runs it without a second #DB
 * (Vol. 3B 18.3.1.1). */
static volatile unsigned bp_hits;
static volatile uint64_t bp_dr6, bp_rflags;

static void bp_handler(struct eq_frame *f)
{
	bp_hits++;
	bp_dr6 = READ_DR(6);
	bp_rflags = f->rflags;
	f->rflags |= RF;
}

extern char dbg_bp_a[], dbg_bp_b[], dbg_bp_c[];

static void instruction_breakpoints(void)
{
	uint64_t x = 0;

	WRITE_DR(0, dbg_bp_a);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_EXEC) | DR7_LEN(0, LEN_1));
	report("instruction breakpoint (DR0)",
	       EQ_TRY("nop\n.global dbg_bp_a\ndbg_bp_a:\n\tinc %0\n\tnop", : "+r"(x) : : "memory"));
	WRITE_DR(2, dbg_bp_b);
	WRITE_DR(7, DR7_FIXED | DR7_RW(2, RW_EXEC) | DR7_LEN(2, LEN_1));
	report("instruction breakpoint (DR2) not enabled in DR7",
	       EQ_TRY("nop\n.global dbg_bp_b\ndbg_bp_b:\n\tinc %0\n\tnop", : "+r"(x) : : "memory"));

	eq_set_handler(1, bp_handler);
	bp_hits = 0;
	WRITE_DR(1, dbg_bp_c);
	WRITE_DR(7, DR7_FIXED | DR7_L(1) | DR7_RW(1, RW_EXEC) | DR7_LEN(1, LEN_1));
	x = 0;
	asm volatile("nop\n.global dbg_bp_c\ndbg_bp_c:\n\tinc %0\n\tnop" : "+r"(x) : : "memory");
	reset_debug();
	eq_set_handler(1, 0);
	eq("instruction breakpoint (DR1), resumed with RF => %u #DB, dr6 %#lx, frame rflags %#lx, "
	   "the instruction ran: %s", bp_hits, bp_dr6, bp_rflags, x == 1 ? "once" : "not once");
}

static void data_breakpoints(void)
{
	uint64_t x = 0;
	uint8_t *w = (uint8_t *)&watch[0];

	WRITE_DR(0, w);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4));
	report("write breakpoint (4 bytes), a write", EQ_TRY("movl $1, (%0)\n\tnop", : : "r"(w)
							       : "memory"));
	WRITE_DR(0, w);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4));
	report("write breakpoint (4 bytes), a read", EQ_TRY("movl (%1), %k0\n\tnop", : "=r"(x)
							      : "r"(w) : "memory"));
	WRITE_DR(0, w);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4));
	report("write breakpoint (4 bytes), a write to the next 4",
	       EQ_TRY("movl $1, 4(%0)\n\tnop", : : "r"(w) : "memory"));
	WRITE_DR(1, w);
	WRITE_DR(7, DR7_FIXED | DR7_L(1) | DR7_RW(1, RW_ACCESS) | DR7_LEN(1, LEN_8));
	report("access breakpoint (8 bytes), a read of byte 5",
	       EQ_TRY("movb 5(%1), %b0\n\tnop", : "=r"(x) : "r"(w) : "memory"));
	WRITE_DR(3, w + 8);
	WRITE_DR(7, DR7_FIXED | DR7_L(3) | DR7_RW(3, RW_ACCESS) | DR7_LEN(3, LEN_2));
	report("access breakpoint (2 bytes), a read across it",
	       EQ_TRY("movl 7(%1), %k0\n\tnop", : "=r"(x) : "r"(w) : "memory"));
	WRITE_DR(0, w);
	WRITE_DR(7, DR7_FIXED | DR7_LE_GE | DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_1));
	report("write breakpoint (1 byte) with LE and GE, a 4-byte write",
	       EQ_TRY("movl $5, (%0)\n\tnop", : : "r"(w) : "memory"));
	WRITE_DR(0, w);
	WRITE_DR(7, DR7_FIXED | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4));
	report("write breakpoint not enabled in DR7, a write",
	       EQ_TRY("movl $2, (%0)\n\tnop", : : "r"(w) : "memory"));
	WRITE_DR(0, w);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4));
	report("write breakpoint and a single step at once",
	       STEP("movl $3, (%0)\n\tnop", : : "r"(w) : "memory"));
	WRITE_DR(0, APIC_VERSION);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_ACCESS) | DR7_LEN(0, LEN_4));
	report("access breakpoint on the local APIC's version register, a read",
	       EQ_TRY("movl (%1), %k0\n\tnop", : "=r"(x) : "r"(APIC_VERSION) : "memory"));
	(void)x;
}

static void io_breakpoints(void)
{
	uint64_t cr4 = read_cr4();
	uint32_t a = 0;

	write_cr4(cr4 | CR4_DE);
	WRITE_DR(0, 0x80);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_IO) | DR7_LEN(0, LEN_1));
	report("I/O breakpoint on port 0x80, out to it",
	       EQ_TRY("outb %%al, $0x80\n\tnop", : : "a"(0) : "memory"));
	WRITE_DR(0, 0x80);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_IO) | DR7_LEN(0, LEN_1));
	report("I/O breakpoint on port 0x80, out to port 0x84",
	       EQ_TRY("outb %%al, $0x84\n\tnop", : : "a"(0) : "memory"));
	WRITE_DR(2, 0x60);
	WRITE_DR(7, DR7_FIXED | DR7_L(2) | DR7_RW(2, RW_IO) | DR7_LEN(2, LEN_4));
	report("I/O breakpoint on ports 0x60-0x63, in from 0x61",
	       EQ_TRY("inb $0x61, %%al\n\tnop", : "+a"(a) : : "memory"));
	WRITE_DR(0, 0x80);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_IO) | DR7_LEN(0, LEN_1));
	const void *src = (const void *)&watch[0];
	uint64_t n = 2;

	report("I/O breakpoint on port 0x80, rep outsb of 2 bytes to it",
	       EQ_TRY("rep outsb\n\tnop", : "+S"(src), "+c"(n) : "d"(0x80) : "memory"));
	eq("rep outsb's count left after the #DB => %lu", n);
	write_cr4(cr4);
}

static void general_detect(void)
{
	uint64_t v = 0;

	WRITE_DR(7, DR7_FIXED | DR7_GD);
	report("mov from dr0 with DR7.GD", EQ_TRY("mov %%db0, %0", : "=r"(v) : : "memory"));
	eq("dr7 after the #DB of DR7.GD => %#lx", READ_DR(7));
	WRITE_DR(7, DR7_FIXED | DR7_GD);
	report("mov to dr7 with DR7.GD", EQ_TRY("mov %0, %%db7", : : "r"(DR7_FIXED) : "memory"));
	reset_debug();
	(void)v;
}

/* ---- CPL 3 ---------------------------------------------------------------- */

static int user_vec;
static uint64_t user_at, user_rflags;
static int user_which;

static void user_main(void)
{
	uint64_t w = (uint64_t)(uintptr_t)&watch[0];
	int v;

	if (user_which == 0)
		v = STEP("nop\n\tnop", : : : "memory");
	else if (user_which == 1)
		v = EQ_TRY("movl $4, (%0)\n\tnop", : : "r"(w) : "memory");
	else
		v = EQ_TRY("int3", : : : "memory");
	user_vec = v;
	user_at = eq_fixup_hit - eq_fault_rip;
	user_rflags = eq_fault_rflags;
}

static void user(const char *what, int which)
{
	uint64_t dr6;

	user_which = which;
	eq_user(user_main);
	dr6 = READ_DR(6);
	reset_debug();
	eq("%s at CPL 3 => %s at end-%ld, rflags %#lx, dr6 %#lx", what, eq_fault(user_vec),
	   (long)user_at, user_rflags, dr6);
}

static void cpl3(void)
{
	user("single step: popf, nop, nop", 0);
	WRITE_DR(0, &watch[0]);
	WRITE_DR(7, DR7_FIXED | DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4));
	user("write breakpoint, a write", 1);
	user("int3", 2);
}

void eq_main(void)
{
	eq("dr6 at the start => %#lx", READ_DR(6));
	eq("dr7 at the start => %#lx", READ_DR(7));
	reset_debug();
	registers();
	steps();
	instruction_breakpoints();
	data_breakpoints();
	io_breakpoints();
	general_detect();
	cpl3();
}
