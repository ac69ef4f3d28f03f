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

struct lg_result {
	uint32_t vector, error, eip, eflags, cs, fixup;
};

extern struct lg_result lg_res[32];
extern const uint8_t v86_start[], v86_end[];
extern void lg_trip(void);
extern const uint8_t v86_out[];
uint32_t lg_tss[26] __attribute__((aligned(16)));
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
    "	ret\n"

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
    "lg_res: .fill 32 * 24, 1, 0\n"
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

	if (slot < 11) {
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
	memcpy((void *)V86_BASE, v86_start, (size_t)(v86_end - v86_start));
	eq_legacy_call(lg_trip);
	/* The IDT and TR back: the 64-bit TSS's busy bit cleared first. */
	asm volatile("lidt (%0)" : : "r"(eq_idtr) : "memory");
	((uint8_t *)eq_gdt)[EQ_TSS + 5] &= (uint8_t)~2;
	asm volatile("ltr %w0" : : "r"(EQ_TSS) : "memory");
	eq_gdt[EQ_SPARE0 / 8] = 0;
	eq_gdt[EQ_SPARE1 / 8] = 0;

	for (unsigned slot = 0; slot < sizeof(names) / sizeof(names[0]); slot++)
		report(slot);
	const volatile uint32_t *out = (const volatile uint32_t *)(V86_BASE + (uintptr_t)(v86_out - v86_start));
	eq("v86: the dword read through DS 0x1234 => %#x", out[0]);
	eq("v86, IOPL 3: FLAGS after popf clearing IOPL => %#x", out[1] & 0xffff);
	eq("back in 64-bit mode: CR0 CR4 => %#lx %#lx", read_cr0(), read_cr4());
}
