/* tests/equiv/legacy.c: 32-bit protected mode outside IA-32e mode, and
 * virtual-8086 mode (SDM Vol. 3A chapter 7 with 32-bit gates, and
 * chapter 22.2-22.3, "Virtual-8086 Mode").  A trip from 64-bit mode to
 * 32-bit protected mode with paging off, a 32-bit IDT (interrupt gates of
 * DPL 3 to stubs that record the event) and a 32-bit TSS (SS0:ESP0 for
 * events from virtual-8086 mode, no I/O bitmap); there: the faults and
 * traps of 32-bit code with their error codes, EIP and EFLAGS (#DE, #BP,
 * #OF, #BR, #UD, #GP for a segment limit, a null or out-of-GDT selector,
 * #NP for a gate not present, #DF), INT n through a gate; then, entered
 * by IRET with EFLAGS.VM, virtual-8086 code at 0x2000:xxxx with IOPL 3
 * and 0: INT n, INT3, CLI, PUSHF, IN, HLT, a segment load and a read
 * through it, #DE, #UD, an offset beyond 0xffff, each ending in the
 * 32-bit handler with the frame of an event from virtual-8086 mode.
 * Each test ends with one event: a virtual-8086 one that raises none
 * reaches HLT (#GP(0) at CPL 3), reported as "hlt-N" from it. */
#include "equiv.h"

const char eq_area[] = "legacy";

#define V86_BASE 0x20000ul
/* Task C's code: below 64 KiB, for the 16-bit IP of its TSS. */
#define TASK_C_BASE 0xc000ul

struct lg_result {
	uint32_t vector, error, eip, eflags, cs, fixup;
};

extern struct lg_result lg_res[40];
extern const uint8_t v86_start[], v86_end[];
extern void lg_trip(void);
extern const uint8_t v86_out[];
uint32_t lg_tss[26] __attribute__((aligned(16)));
uint32_t lg_tss_b[26] __attribute__((aligned(16)));
uint16_t lg_tss_c[22] __attribute__((aligned(16)));
extern uint32_t lg_trec[5][5], lg_arec[5][2], lg_crec[3][6], lg_arec16[3][2];
extern const uint8_t lg_task_c_start[], lg_task_c_end[];
extern char lg_task_b[], lg_task_stack_top[];
uint64_t lg_idt[256] __attribute__((aligned(16)));

/* LG_TRY(slot, insns): 32-bit code; the handler resumes at the fixup.
 * LG_V86(slot, iopl, entry): IRET to virtual-8086 mode at entry's offset
 * in the copy, with IOPL; its event resumes at the fixup. */
#define LG_PRE(slot)                                                        \
	"	movl $9f, lg_fixup\n"                                       \
	"	movl $0xffffffff, lg_vec\n"                                 \
	"	movl $0, lg_err\n"
#define LG_POST(slot)                                                       \
	"9:	mov $0x10, %ax\n"                                           \
	"	mov %ax, %ds\n"                                             \
	"	mov %ax, %es\n"                                             \
	"	mov lg_esp, %esp\n"                                         \
	"	mov $" #slot ", %ebx\n"                                     \
	"	call lg_save\n"
#define LG_TRY(slot, insns) LG_PRE(slot) "	mov %esp, lg_esp\n" insns "\n" LG_POST(slot)
/* TASK_TEST(slot, n, mode, fix, err, insns): a try that switches to task
 * B, which records what it sees in lg_trec[n] (taking an error code off
 * its stack if err, moving task A's saved EIP on by fix) and comes back
 * by JMP (mode 0) or IRET (mode 1); then A records its TR and EFLAGS in
 * lg_arec[n]. */
#define TASK_TEST(slot, n, mode, fix, err, insns)                           \
	"	movl $" #mode ", lg_task_mode\n	movl $" #fix ", lg_task_fix\n" \
	"	movl $" #err ", lg_task_err\n	movl $" #n ", lg_task_n\n"      \
	LG_TRY(slot, insns)                                                 \
	"	str %ax\n	movzwl %ax, %eax\n	mov %eax, lg_arec + " #n " * 8\n" \
	"	pushf\n	pop %eax\n	mov %eax, lg_arec + " #n " * 8 + 4\n	clts\n"
/* The same with task C, whose TSS is a 16-bit one (EQ_SPARE3). */
#define TASK16_TEST(slot, n, mode, insns)                                   \
	"	movl $" #mode ", lg_task_mode\n	movl $" #n ", lg_task_n\n"     \
	LG_TRY(slot, insns)                                                 \
	"	str %ax\n	movzwl %ax, %eax\n	mov %eax, lg_arec16 + " #n " * 8\n" \
	"	pushf\n	pop %eax\n	mov %eax, lg_arec16 + " #n " * 8 + 4\n	clts\n"
/* A task gate to the task of TSS selector sel in IDT entry v, and back. */
#define TASK_GATE_ON(v, sel)                                                \
	"	mov lg_idt + " #v " * 8, %eax\n	mov %eax, lg_gate_save\n"     \
	"	mov lg_idt + " #v " * 8 + 4, %eax\n	mov %eax, lg_gate_save + 4\n" \
	"	movl $(" #sel " << 16), lg_idt + " #v " * 8\n"               \
	"	movl $0x0000e500, lg_idt + " #v " * 8 + 4\n"
#define TASK_GATE_OFF(v)                                                    \
	"	mov lg_gate_save, %eax\n	mov %eax, lg_idt + " #v " * 8\n"     \
	"	mov lg_gate_save + 4, %eax\n	mov %eax, lg_idt + " #v " * 8 + 4\n"

#define LG_V86(slot, iopl, entry)                                           \
	LG_PRE(slot)                                                        \
	"	mov %esp, lg_esp\n"                                         \
	"	pushl $0x2000\n	pushl $0x2000\n	pushl $0x2000\n	pushl $0x2000\n" \
	"	pushl $0x2000\n	pushl $0xfff0\n"                            \
	"	pushl $(0x20002 | " #iopl " << 12)\n"                       \
	"	pushl $0x2000\n"                                            \
	"	pushl $(" #entry " - v86_start)\n"                          \
	"	iretl\n" LG_POST(slot)

asm(".pushsection .text\n"
    /* lg_trip: called in 32-bit protected mode by eq_legacy_call. */
    ".code32\n"
    ".global lg_trip\n"
    "lg_trip:\n"
    "	lidt lg_idtr\n"
    "	mov $0x50, %ax\n"                 /* EQ_SPARE0: the 32-bit TSS */
    "	ltr %ax\n"
    /* ---- 32-bit protected mode ---- */
    LG_TRY(0, "	xor %edx, %edx\n	mov $1, %eax\n	xor %ecx, %ecx\n	div %ecx")
    LG_TRY(1, "	int3")
    LG_TRY(2, "	mov $0x7f, %al\n	add $1, %al\n	into")
    LG_TRY(3, "	mov $30, %eax\n	bound %eax, lg_bounds")
    LG_TRY(4, "	ud2")
    LG_TRY(5, "	mov $0x58, %ax\n	mov %ax, %ds\n	mov 0x1000, %eax")   /* limit 0xfff */
    LG_TRY(6, "	xor %eax, %eax\n	mov %ax, %ds\n	mov 0x1000, %eax")
    LG_TRY(7, "	mov $0x78, %ax\n	mov %ax, %ds")
    LG_TRY(8, "	int $0x40")
    LG_TRY(9, "	andb $0x7f, lg_idt + 0x40 * 8 + 5\n	int $0x40")
    LG_TRY(10, "	orb $0x80, lg_idt + 0x40 * 8 + 5\n"
	       "	andb $0x7f, lg_idt + 13 * 8 + 5\n	mov $0x58, %ax\n	mov %ax, %ds\n"
	       "	mov 0x1000, %eax")
    "	orb $0x80, lg_idt + 13 * 8 + 5\n"
    /* ---- virtual-8086 mode ---- */
    LG_V86(11, 3, v86_nothing)
    LG_V86(12, 3, v86_int41)
    LG_V86(13, 0, v86_int41)
    LG_V86(14, 0, v86_int3)
    LG_V86(15, 3, v86_cli)
    LG_V86(16, 0, v86_cli)
    LG_V86(17, 0, v86_pushf)
    LG_V86(18, 3, v86_in)
    LG_V86(19, 3, v86_segment)
    LG_V86(20, 3, v86_div0)
    LG_V86(21, 3, v86_ud2)
    LG_V86(22, 3, v86_beyond)
    LG_V86(23, 3, v86_popf_iopl)
    /* ---- task switches (task A: EQ_SPARE0, task B: EQ_SPARE2) ---- */
    TASK_TEST(24, 0, 0, 0, 0, "	ljmp $0x60, $0")
    TASK_TEST(25, 1, 1, 0, 0, "	lcall $0x60, $0")
    TASK_GATE_ON(0x44, 0x60)
    TASK_TEST(26, 2, 1, 0, 0, "	int $0x44")
    TASK_GATE_OFF(0x44)
    TASK_GATE_ON(0, 0x60)
    TASK_TEST(27, 3, 1, 2, 0, "	xor %edx, %edx\n	mov $1, %eax\n	xor %ecx, %ecx\n	div %ecx")
    TASK_GATE_OFF(0)
    TASK_GATE_ON(13, 0x60)
    TASK_TEST(28, 4, 1, 2, 1, "	mov $0x78, %ax\n	mov %ax, %ds")
    TASK_GATE_OFF(13)
    LG_TRY(29, "	ljmp $0x50, $0")
    LG_TRY(30, "	movw $0x60, lg_tss\n	pushf\n	orl $0x4000, (%esp)\n	popf\n	iret")
    "	pushf\n"
    "	andl $~0x4000, (%esp)\n"
    "	popf\n"
    "	movw $0, lg_tss\n"
    /* ---- task switches to and from task C's 16-bit TSS ---- */
    TASK16_TEST(31, 0, 0, "	ljmp $0x68, $0")
    TASK16_TEST(32, 1, 1, "	lcall $0x68, $0")
    TASK_GATE_ON(0x45, 0x68)
    TASK16_TEST(33, 2, 1, "	int $0x45")
    TASK_GATE_OFF(0x45)
    "	clts\n"
    "	ret\n"

    /* Task C (copied to TASK_C_BASE): what it sees, without a stack (its
     * ESP is 0xffff0000 | SP), then back to A. */
    ".global lg_task_c_start\n"
    "lg_task_c_start:\n"
    "	mov %eax, lg_c_eax\n"
    "	mov %esp, lg_c_esp\n"
    "	mov lg_task_n, %ebx\n"
    "	imul $24, %ebx\n"
    "	str %ax\n"
    "	movzwl %ax, %eax\n"
    "	mov %eax, lg_crec(%ebx)\n"
    "	mov lg_c_eax, %eax\n"
    "	mov %eax, lg_crec + 4(%ebx)\n"
    "	mov lg_c_esp, %eax\n"
    "	mov %eax, lg_crec + 8(%ebx)\n"
    "	mov %fs, %ax\n"
    "	movzwl %ax, %eax\n"
    "	mov %eax, lg_crec + 12(%ebx)\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, lg_crec + 16(%ebx)\n"
    "	movzwl lg_tss_c, %eax\n"
    "	mov %eax, lg_crec + 20(%ebx)\n"
    "	mov $0x5678, %ax\n"
    "	clts\n"
    "	cmpl $0, lg_task_mode\n"
    "	jne 2f\n"
    "	ljmp $0x50, $0\n"
    "	jmp lg_task_c_start\n"
    "2:	iret\n"
    "	jmp lg_task_c_start\n"
    ".global lg_task_c_end\n"
    "lg_task_c_end:\n"

    /* Task B: what it sees, then back to A. */
    ".global lg_task_b\n"
    "lg_task_b:\n"
    "	mov lg_task_n, %ebx\n"
    "	imul $20, %ebx\n"
    "	str %ax\n"
    "	movzwl %ax, %eax\n"
    "	mov %eax, lg_trec(%ebx)\n"
    "	pushf\n"
    "	pop %eax\n"
    "	mov %eax, lg_trec + 4(%ebx)\n"
    "	movzwl lg_tss_b, %eax\n"
    "	mov %eax, lg_trec + 8(%ebx)\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, lg_trec + 12(%ebx)\n"
    "	cmpl $0, lg_task_err\n"
    "	je 1f\n"
    "	pop %eax\n"
    "	mov %eax, lg_trec + 16(%ebx)\n"
    "1:	mov lg_task_fix, %eax\n"
    "	add %eax, lg_tss + 0x20\n"       /* task A's saved EIP */
    "	clts\n"
    "	cmpl $0, lg_task_mode\n"
    "	jne 2f\n"
    "	ljmp $0x50, $0\n"
    "	jmp lg_task_b\n"
    "2:	iret\n"
    "	jmp lg_task_b\n"

    /* lg_save: slot EBX gets what the handler recorded. */
    "lg_save:\n"
    "	imul $24, %ebx\n"
    "	mov lg_vec, %eax\n"
    "	mov %eax, lg_res(%ebx)\n"
    "	mov lg_err, %eax\n"
    "	mov %eax, lg_res + 4(%ebx)\n"
    "	mov lg_eip, %eax\n"
    "	mov %eax, lg_res + 8(%ebx)\n"
    "	mov lg_efl, %eax\n"
    "	mov %eax, lg_res + 12(%ebx)\n"
    "	mov lg_cs, %eax\n"
    "	mov %eax, lg_res + 16(%ebx)\n"
    "	mov lg_fixup, %eax\n"
    "	mov %eax, lg_res + 20(%ebx)\n"
    "	ret\n"

    /* The 32-bit stubs: an error code where the CPU pushes none, the
     * vector, then lg_common. */
    ".balign 16\n"
    ".global lg_stubs\n"
    "lg_stubs:\n"
    "	.set v, 0\n"
    "	.rept 256\n"
    "	.balign 16\n"
    "	.if (v == 8) || (v >= 10 && v <= 14) || (v == 17)\n"
    "	.else\n"
    "	pushl $0\n"
    "	.endif\n"
    "	pushl $v\n"
    "	jmp lg_common\n"
    "	.set v, v + 1\n"
    "	.endr\n"
    /* lg_common: record vector, error, EIP, CS, EFLAGS; resume at the
     * fixup in 32-bit code at CPL 0 (from virtual-8086 mode too: the
     * frame's CS and EFLAGS say 32-bit code, VM clear). */
    "lg_common:\n"
    "	push %eax\n"
    "	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov 4(%esp), %eax\n"
    "	mov %eax, lg_vec\n"
    "	mov 8(%esp), %eax\n"
    "	mov %eax, lg_err\n"
    "	mov 12(%esp), %eax\n"
    "	mov %eax, lg_eip\n"
    "	mov 16(%esp), %eax\n"
    "	mov %eax, lg_cs\n"
    "	mov 20(%esp), %eax\n"
    "	mov %eax, lg_efl\n"
    "	mov lg_fixup, %eax\n"
    "	mov %eax, 12(%esp)\n"
    "	movl $0x38, 16(%esp)\n"
    "	movl $0x2, 20(%esp)\n"
    "	pop %eax\n"
    "	add $8, %esp\n"
    "	iretl\n"
    ".code64\n"
    ".popsection\n"

    /* The virtual-8086 code, copied to V86_BASE: each entry runs its test
     * and then HLT (#GP(0) at CPL 3), unless the test raised an event. */
    ".pushsection .text\n"
    ".code16\n"
    ".balign 16\n"
    ".global v86_start\n"
    "v86_start:\n"
    "v86_nothing:\n"
    "	nop\n"
    "	hlt\n"
    "v86_int41:\n"
    "	int $0x41\n"
    "	hlt\n"
    "v86_int3:\n"
    "	int3\n"
    "	hlt\n"
    "v86_cli:\n"
    "	cli\n"
    "	hlt\n"
    "v86_pushf:\n"
    "	pushf\n"
    "	hlt\n"
    "v86_in:\n"
    "	in $0x80, %al\n"
    "	hlt\n"
    "v86_segment:\n"
    "	mov $0x1234, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ds:(v86_word - v86_start - 0x12340 + 0x20000), %eax\n"
    "	mov %eax, %cs:(v86_out - v86_start)\n"
    "	hlt\n"
    "v86_div0:\n"
    "	xor %dx, %dx\n"
    "	mov $1, %ax\n"
    "	xor %cx, %cx\n"
    "	div %cx\n"
    "	hlt\n"
    "v86_ud2:\n"
    "	ud2\n"
    "	hlt\n"
    "v86_beyond:\n"
    "	mov $0x10000, %esi\n"
    "	mov (%esi), %eax\n"
    "	hlt\n"
    "v86_popf_iopl:\n"
    "	pushf\n"
    "	andw $~0x3000, (%esp)\n"        /* IOPL 0: POPF at IOPL 3 cannot change IOPL */
    "	popf\n"
    "	pushf\n"
    "	pop %ax\n"
    "	mov %ax, %cs:(v86_out - v86_start + 4)\n"
    "	int $0x43\n"                     /* IOPL still 3: through the gate, AX holds FLAGS */
    "	hlt\n"
    ".balign 4\n"
    "v86_word: .long 0x0ddba11\n"
    ".global v86_out\n"
    "v86_out: .long 0, 0\n"
    ".global v86_end\n"
    "v86_end:\n"
    ".code64\n"
    ".popsection\n"

    ".pushsection .data\n"
    ".balign 8\n"
    "lg_idtr: .word 256 * 8 - 1\n .long lg_idt\n"
    "lg_bounds: .long 10, 20\n"
    ".popsection\n"
    ".pushsection .bss\n"
    ".balign 8\n"

    "lg_esp: .long 0\n"
    "lg_fixup: .long 0\n"
    "lg_vec: .long 0\n"
    "lg_err: .long 0\n"
    "lg_eip: .long 0\n"
    "lg_cs: .long 0\n"
    "lg_efl: .long 0\n"
    ".global lg_res\n"
    "lg_res: .fill 40 * 24, 1, 0\n"
    ".global lg_trec, lg_arec\n"
    "lg_trec: .fill 5 * 20, 1, 0\n"
    "lg_arec: .fill 5 * 8, 1, 0\n"
    ".global lg_crec, lg_arec16\n"
    "lg_crec: .fill 3 * 24, 1, 0\n"
    "lg_arec16: .fill 3 * 8, 1, 0\n"
    "lg_c_eax: .long 0\n"
    "lg_c_esp: .long 0\n"
    "lg_task_mode: .long 0\n"
    "lg_task_fix: .long 0\n"
    "lg_task_err: .long 0\n"
    "lg_task_n: .long 0\n"
    "lg_gate_save: .quad 0\n"
    "lg_task_stack: .fill 1024, 1, 0\n"
    ".global lg_task_stack_top\n"
    "lg_task_stack_top:\n"
    "lg_ring0_stack: .fill 4096, 1, 0\n"
    ".global lg_ring0_top\n"
    "lg_ring0_top:\n"
    ".popsection\n");

extern const uint8_t lg_stubs[];
extern uint8_t lg_ring0_top[];

static const char *const names[] = {
	"div by 0", "int3", "into with OF set", "bound out of range", "ud2",
	"read beyond a data segment's limit (0xfff)", "read through a null DS",
	"mov ds, a selector beyond the GDT", "int $0x40 through its gate",
	"int $0x40 through a gate not present", "#GP through a #GP gate not present",
	"v86, IOPL 3: nop, hlt", "v86, IOPL 3: int $0x41", "v86, IOPL 0: int $0x41",
	"v86, IOPL 0: int3", "v86, IOPL 3: cli", "v86, IOPL 0: cli", "v86, IOPL 0: pushf",
	"v86, IOPL 3: in from port 0x80 (no I/O bitmap)",
	"v86: a segment load, then a read through it", "v86: div by 0", "v86: ud2",
	"v86: read at offset 0x10000", "v86, IOPL 3: popf clearing IOPL, pushf, int $0x43",
	"task switch: jmp to task B, which jumps back",
	"task switch: call task B, which returns by iret",
	"task switch: int $0x44 through a task gate to task B",
	"task switch: #DE through a task gate",
	"task switch: #GP (an error code) through a task gate",
	"task switch: jmp to the busy TSS of the running task",
	"task switch: iret with NT set and a back link to an available TSS",
	"task switch: jmp to a 16-bit TSS, which jumps back",
	"task switch: call a 16-bit TSS, which returns by iret",
	"task switch: int $0x45 through a task gate to a 16-bit TSS",
};

static void gates(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = (uint64_t)(uintptr_t)(lg_stubs + 16 * v);

		/* 32-bit interrupt gate, present, DPL 3, selector KCODE32. */
		lg_idt[v] = (off & 0xffff) | (uint64_t)EQ_KCODE32 << 16 | 0xeeull << 40 |
			    (off >> 16) << 48;
	}
}

static void report(unsigned slot)
{
	const struct lg_result *r = &lg_res[slot];

	if (slot < 11 || slot >= 24) {
		if (r->vector == 0xffffffffu) {
			eq("32-bit protected mode: %s => ok", names[slot]);
			return;
		}
		eq("32-bit protected mode: %s => vector %u, error %#x, at end-%u, cs %#x, eflags %#x",
		   names[slot], r->vector, r->error,
		   r->vector == 8 ? 0 : r->fixup - r->eip, r->cs, r->vector == 8 ? 0 : r->eflags);
		return;
	}
	eq("%s => vector %u, error %#x, ip %#x, cs %#x, eflags %#x", names[slot], r->vector,
	   r->error, r->eip, r->cs, r->eflags);
}

void eq_main(void)
{
	extern char eq_idtr[];
	uint64_t tss = (uint64_t)(uintptr_t)lg_tss;

	gates();
	memset(lg_tss, 0, sizeof(lg_tss));
	lg_tss[1] = (uint32_t)(uintptr_t)lg_ring0_top;     /* ESP0 */
	lg_tss[2] = EQ_KDATA;                               /* SS0 */
	((uint16_t *)lg_tss)[51] = 0x68;                    /* I/O map base: none */
	/* A 32-bit TSS, available; a data segment with limit 0xfff. */
	eq_gdt[EQ_SPARE0 / 8] = 0x67 | (tss & 0xffffff) << 16 | 0x89ull << 40 |
				(tss >> 24 & 0xff) << 56;
	eq_gdt[EQ_SPARE1 / 8] = 0x0040920000000ffful;
	/* Task B: an available 32-bit TSS at EQ_SPARE2, starting at lg_task_b
	 * in 32-bit code on a stack of its own, paging off (CR3 unused). */
	uint64_t tss_b = (uint64_t)(uintptr_t)lg_tss_b;
	memset(lg_tss_b, 0, sizeof(lg_tss_b));
	lg_tss_b[8] = (uint32_t)(uintptr_t)lg_task_b;
	lg_tss_b[9] = 0x2;
	lg_tss_b[14] = (uint32_t)(uintptr_t)lg_task_stack_top;
	lg_tss_b[18] = lg_tss_b[20] = lg_tss_b[21] = EQ_KDATA;     /* ES, SS, DS */
	lg_tss_b[19] = EQ_KCODE32;
	((uint16_t *)lg_tss_b)[51] = 0x68;
	eq_gdt[EQ_SPARE2 / 8] = 0x67 | (tss_b & 0xffffff) << 16 | 0x89ull << 40 |
				(tss_b >> 24 & 0xff) << 56;
	/* Task C: an available 16-bit TSS at EQ_SPARE3 (limit 0x2b), at
	 * TASK_C_BASE in 32-bit code, AX 0x1234, SP 0xfff0, interrupts off. */
	uint64_t tss_c = (uint64_t)(uintptr_t)lg_tss_c;
	memset(lg_tss_c, 0, sizeof(lg_tss_c));
	lg_tss_c[7] = (uint16_t)TASK_C_BASE;
	lg_tss_c[8] = 0x2;
	lg_tss_c[9] = 0x1234;
	lg_tss_c[13] = 0xfff0;
	lg_tss_c[17] = lg_tss_c[19] = lg_tss_c[20] = EQ_KDATA;     /* ES, SS, DS */
	lg_tss_c[18] = EQ_KCODE32;
	eq_gdt[EQ_SPARE3 / 8] = 0x2b | (tss_c & 0xffffff) << 16 | 0x81ull << 40 |
				(tss_c >> 24 & 0xff) << 56;
	memcpy((void *)TASK_C_BASE, lg_task_c_start, (size_t)(lg_task_c_end - lg_task_c_start));
	memcpy((void *)V86_BASE, v86_start, (size_t)(v86_end - v86_start));
	eq_legacy_call(lg_trip);
	/* The IDT and TR back: the 64-bit TSS's busy bit cleared first. */
	asm volatile("lidt (%0)" : : "r"(eq_idtr) : "memory");
	((uint8_t *)eq_gdt)[EQ_TSS + 5] &= (uint8_t)~2;
	asm volatile("ltr %w0" : : "r"(EQ_TSS) : "memory");
	unsigned b_busy = (unsigned)(eq_gdt[EQ_SPARE2 / 8] >> 41) & 1;
	unsigned c_busy = (unsigned)(eq_gdt[EQ_SPARE3 / 8] >> 41) & 1;

	eq_gdt[EQ_SPARE0 / 8] = 0;
	eq_gdt[EQ_SPARE1 / 8] = 0;
	eq_gdt[EQ_SPARE2 / 8] = 0;
	eq_gdt[EQ_SPARE3 / 8] = 0;

	for (unsigned slot = 0; slot < sizeof(names) / sizeof(names[0]); slot++)
		report(slot);
	const volatile uint32_t *out = (const volatile uint32_t *)(V86_BASE + (uintptr_t)(v86_out - v86_start));
	eq("v86: the dword read through DS 0x1234 => %#x", out[0]);
	eq("v86, IOPL 3: FLAGS after popf clearing IOPL => %#x", out[1] & 0xffff);
	for (unsigned n = 0; n < 5; n++)
		eq("task switch %u: in task B, TR, EFLAGS, back link, CR0.TS, error code => %#x, %#x, %#x, %u, %#x; "
		   "back in task A, TR, EFLAGS => %#x, %#x", n, lg_trec[n][0], lg_trec[n][1],
		   lg_trec[n][2], (lg_trec[n][3] >> 3) & 1, lg_trec[n][4], lg_arec[n][0], lg_arec[n][1]);
	eq("task B's TSS after it all: EIP's offset from lg_task_b, busy => %#x, %u",
	   (uint32_t)(lg_tss_b[8] - (uint32_t)(uintptr_t)lg_task_b), b_busy);
	for (unsigned n = 0; n < 3; n++)
		eq("16-bit task switch %u: in task C, TR, EAX, ESP, FS, CR0.TS, back link => %#x, %#x, %#x, "
		   "%#x, %u, %#x; back in task A, TR, EFLAGS => %#x, %#x", n, lg_crec[n][0],
		   lg_crec[n][1], lg_crec[n][2], lg_crec[n][3], (lg_crec[n][4] >> 3) & 1,
		   lg_crec[n][5], lg_arec16[n][0], lg_arec16[n][1]);
	eq("task C's 16-bit TSS after it all: IP's offset from its start, FLAGS, AX, SP, LDT, busy "
	   "=> %#x, %#x, %#x, %#x, %#x, %u", (uint32_t)(lg_tss_c[7] - TASK_C_BASE), lg_tss_c[8],
	   lg_tss_c[9], lg_tss_c[13], lg_tss_c[21], c_busy);
	eq("back in 64-bit mode: CR0 CR4 => %#lx %#lx", read_cr0(), read_cr4());
}
