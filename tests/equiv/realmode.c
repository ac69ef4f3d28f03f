/* tests/equiv/realmode.c: real-address mode (SDM Vol. 3A 22.1, "Real-
 * Address Mode Operation", and 10.9.2, "Switching Back to Real-Address
 * Mode").  A trip from 64-bit mode down to real mode and back: compatibility
 * mode, paging off (out of IA-32e mode), 16-bit protected mode, CR0.PE
 * clear, a far jump to a real-mode segment; there, with an IVT of its own
 * (IDTR base 0, then moved with LIDT): INT n and IRET, the faults of real
 * mode through the IVT (#DE, #BP, #OF, #BR, #UD, #GP and #SS for offsets
 * beyond 0xffff) with the IP they point at and the FLAGS they push, far
 * calls and jumps, PUSHF's upper bits, "unreal" mode (a 4 GiB limit
 * loaded in protected mode surviving a segment load in real mode), and
 * what a hypervisor emulates from real mode: CPUID, RDMSR, port I/O, a
 * local APIC read through the 4 GiB segment; then PE set and back to
 * 64-bit mode.  The real-mode code is copied to RM_BASE (below 1 MiB)
 * and runs with CS = DS = SS = RM_BASE >> 4. */
#include "equiv.h"

const char eq_area[] = "realmode";

#define RM_BASE 0x20000ul

extern const uint8_t rm_start[], rm_end[], rm_res[];
extern void rm_trip(void);
uint32_t rm_magic = 0x5eadbeef;

/* What each try recorded: the vector (0xffff: none), the IP it pointed
 * at, the fixup's IP (where the try ends), the FLAGS image, and a value. */
struct rm_result {
	uint16_t vector, ip, fixup, flags;
	uint32_t value, value2;
};

/* The trip.  rm_trip, called in 32-bit protected mode by
 * eq_legacy_call, far-jumps to rm_pm16 in the copy (16-bit protected
 * mode, EQ_SPARE0: code, base RM_BASE; EQ_SPARE1: data, base 0, limit
 * 0xffff; FS gets the flat 4 GiB KDATA), which clears PE and far-jumps to
 * real mode.  The way back: PE set, a far jump to rm_back32 (KCODE32),
 * which returns to eq_legacy_call on its stack.  Each try in real mode sets the
 * fixup where the exception handler resumes (RM_TRY), and rm_save stores
 * the try's result in slot BX. */
#define RM_OFF(l) "(" #l " - rm_start)"
#define RM_TRY(slot, insns)                                                 \
	"	movw $(9f - rm_start), %cs:" RM_OFF(rm_fixup) "\n"                 \
	"	movw $0xffff, %cs:" RM_OFF(rm_vec) "\n"                            \
	"	movw $0xffff, %cs:" RM_OFF(rm_ip) "\n"                             \
	insns "\n"                                                          \
	"9:	mov $" #slot ", %bx\n"                                      \
	"	call rm_save\n"

asm(".pushsection .text\n"
    /* rm_trip: 32-bit protected mode (eq_legacy_call), on to 16-bit. */
    ".code32\n"
    ".global rm_trip\n"
    "rm_trip:\n"
    "	mov %esp, rm_esp\n"
    "	ljmp $0x50, $" RM_OFF(rm_pm16) "\n"   /* EQ_SPARE0 */
    /* Back from real mode: 32-bit protected mode, its stack again. */
    ".global rm_back32\n"
    "rm_back32:\n"
    "	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov %ax, %fs\n"
    "	mov %ax, %gs\n"
    "	mov rm_esp, %esp\n"
    "	ret\n"

    /* ---- the real-mode code: copied to RM_BASE, position-independent
     * (every data reference is CS- or DS-relative from rm_start) ---- */
    ".code16\n"
    ".balign 16\n"
    ".global rm_start\n"
    "rm_start:\n"
    "rm_pm16:\n"
    "	mov $0x58, %ax\n"                 /* EQ_SPARE1: 16-bit data, limit 0xffff */
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov %ax, %gs\n"
    "	mov $0x10, %ax\n"                 /* FS: flat, 4 GiB (unreal mode) */
    "	mov %ax, %fs\n"
    "	mov %cr0, %eax\n"
    "	and $~1, %eax\n"
    "	mov %eax, %cr0\n"
    "	ljmp $0x2000, $" RM_OFF(rm_real) "\n"
    "rm_real:\n"
    "	mov $0x2000, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %ss\n"
    "	mov $0xfff0, %esp\n"
    "	xor %ax, %ax\n"
    "	mov %ax, %es\n"
    "	lidt %cs:" RM_OFF(rm_ivt0) "\n"
    /* The IVT: vectors 0-31 to their stubs, 0x30 to rm_int30. */
    "	xor %di, %di\n"
    "	mov $" RM_OFF(rm_stubs) ", %ax\n"
    "	mov $32, %cx\n"
    "3:	mov %ax, %es:(%di)\n"
    "	movw $0x2000, %es:2(%di)\n"
    "	add $5, %ax\n"
    "	add $4, %di\n"
    "	loop 3b\n"
    "	movw $" RM_OFF(rm_int30) ", %es:0xc0\n"
    "	movw $0x2000, %es:0xc2\n"
    /* slot 0: CR0 and CS in real mode. */
    "	mov %cr0, %eax\n"
    "	mov %eax, " RM_OFF(rm_res) " + 8\n"
    "	xor %eax, %eax\n"
    "	mov %cs, %ax\n"
    "	mov %eax, " RM_OFF(rm_res) " + 12\n"
    /* 1: INT 0x30 and IRET: the handler records its FLAGS and the
     * return IP it was given. */
    RM_TRY(1, "	int $0x30")
    /* 2-9: faults and traps through the IVT. */
    RM_TRY(2, "	xor %dx, %dx\n	mov $1, %ax\n	xor %cx, %cx\n	div %cx")
    RM_TRY(3, "	int3")
    RM_TRY(4, "	mov $0x7f, %al\n	add $1, %al\n	into")
    RM_TRY(5, "	movw $10, " RM_OFF(rm_bounds) "\n	movw $20, " RM_OFF(rm_bounds) " + 2\n"
	      "	mov $30, %ax\n	bound %ax, " RM_OFF(rm_bounds))
    RM_TRY(6, "	ud2")
    RM_TRY(7, "	mov $0x10000, %esi\n	mov (%esi), %eax")
    RM_TRY(8, "	mov $0xfffe, %esi\n	mov (%esi), %eax")
    RM_TRY(9, "	mov $0x10000, %ebp\n	mov (%ebp), %eax")
    /* 10: a far call to another segment (the same code: CS 0x1000, IP
     * + 0x10000) and a far return; 11: a far jump through memory. */
    RM_TRY(10, "	lcall $0x1f00, $(0x1000 + " RM_OFF(rm_far) ")")
    "	movw $" RM_OFF(rm_after_farjmp) ", %cs:" RM_OFF(rm_fixup) "\n"
    "	movw $0xffff, %cs:" RM_OFF(rm_vec) "\n"
    "	movw $0xffff, %cs:" RM_OFF(rm_ip) "\n"
    "	movw $" RM_OFF(rm_farjmp) ", " RM_OFF(rm_ptr) "\n"
    "	movw $0x2000, " RM_OFF(rm_ptr) " + 2\n"
    "	ljmpw *" RM_OFF(rm_ptr) "\n"
    "rm_after_farjmp:\n"
    /* 12: PUSHF's image with IOPL and NT as POPF left them. */
    RM_TRY(12, "	pushf\n	orw $0x7000, (%esp)\n	popf\n	pushf\n	pop %ax\n"
	       "	mov %ax, " RM_OFF(rm_res) " + 12 * 16 + 8\n"
	       "	pushf\n	andw $~0x7000, (%esp)\n	popf")
    /* 13: unreal mode: FS's 4 GiB limit, then FS reloaded in real mode. */
    RM_TRY(13, "	mov $rm_magic, %esi\n	mov %fs:(%esi), %eax\n"
	       "	mov %eax, " RM_OFF(rm_res) " + 13 * 16 + 8\n"
	       "	xor %ax, %ax\n	mov %ax, %fs\n	mov %fs:(%esi), %eax\n"
	       "	mov %eax, " RM_OFF(rm_res) " + 13 * 16 + 12")
    /* 14: CPUID leaf 0's EAX; 15: RDMSR IA32_APIC_BASE; 16: OUT to the
     * PIC's mask register and IN from it (then all masked), OUT to port
     * 0x80. */
    RM_TRY(14, "	xor %eax, %eax\n	xor %ecx, %ecx\n	cpuid\n"
	       "	mov %eax, " RM_OFF(rm_res) " + 14 * 16 + 8")
    RM_TRY(15, "	mov $0x1b, %ecx\n	rdmsr\n	mov %eax, " RM_OFF(rm_res) " + 15 * 16 + 8")
    RM_TRY(16, "	mov $0xbd, %al\n	out %al, $0x21\n	in $0x21, %al\n	movzbl %al, %eax\n"
	       "	mov %eax, " RM_OFF(rm_res) " + 16 * 16 + 8\n"
	       "	mov $0xff, %al\n	out %al, $0x21\n	out %al, $0x80")
    /* 17: the local APIC's version through FS (a 4 GiB limit, base 0):
     * an MMIO read from 16-bit code with 67h and 66h prefixes. */
    RM_TRY(17, "	mov $0xfee00030, %esi\n	mov %fs:(%esi), %eax\n"
	       "	mov %eax, " RM_OFF(rm_res) " + 17 * 16 + 8\n"
	       "	movb %fs:2(%esi), %al\n	movzbl %al, %eax\n"
	       "	mov %eax, " RM_OFF(rm_res) " + 17 * 16 + 12")
    /* 18: REP MOVSB within the segment, DF clear. */
    RM_TRY(18, "	mov $" RM_OFF(rm_magic16) ", %si\n	mov $" RM_OFF(rm_copy) ", %di\n"
	       "	push %ds\n	pop %es\n	mov $4, %cx\n	rep movsb\n"
	       "	mov " RM_OFF(rm_copy) ", %eax\n	mov %eax, " RM_OFF(rm_res) " + 18 * 16 + 8\n"
	       "	mov %cx, " RM_OFF(rm_res) " + 18 * 16 + 12\n	xor %ax, %ax\n	mov %ax, %es")
    /* 19: the IVT moved by LIDT (base 0x30000): INT 0x30 through it
     * reaches rm_int30b. */
    RM_TRY(19, "	mov $0x3000, %ax\n	mov %ax, %es\n"
	       "	movw $" RM_OFF(rm_int30b) ", %es:0xc0\n	movw $0x2000, %es:0xc2\n"
	       "	xor %ax, %ax\n	mov %ax, %es\n	lidt " RM_OFF(rm_ivt_moved) "\n"
	       "	int $0x30\n	lidt " RM_OFF(rm_ivt0))
    /* Back to protected mode, then 32-bit code. */
    "	cli\n"
    "	mov %cr0, %eax\n"
    "	or $1, %eax\n"
    "	mov %eax, %cr0\n"
    "	.byte 0x66, 0xea\n"
    "	.long rm_back32\n"
    "	.word 0x38\n"

    /* rm_save: slot BX gets the vector, IP, fixup and FLAGS. */
    "rm_save:\n"
    "	shl $4, %bx\n"
    "	mov %cs:" RM_OFF(rm_vec) ", %ax\n"
    "	mov %ax, " RM_OFF(rm_res) "(%bx)\n"
    "	mov %cs:" RM_OFF(rm_ip) ", %ax\n"
    "	mov %ax, " RM_OFF(rm_res) " + 2(%bx)\n"
    "	mov %cs:" RM_OFF(rm_fixup) ", %ax\n"
    "	mov %ax, " RM_OFF(rm_res) " + 4(%bx)\n"
    "	mov %cs:" RM_OFF(rm_flags) ", %ax\n"
    "	mov %ax, " RM_OFF(rm_res) " + 6(%bx)\n"
    "	ret\n"

    /* The exception stubs: push the vector, then the common handler,
     * which records it and resumes at the fixup. */
    "rm_stubs:\n"
    "	.set v, 0\n"
    "	.rept 32\n"
    "	.byte 0x6a, v\n"                  /* push imm8 */
    "	.byte 0xe9\n"                     /* jmp rel16 */
    "	.word rm_exc - (. + 2)\n"
    "	.set v, v + 1\n"
    "	.endr\n"
    "rm_exc:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	push %ax\n"
    "	mov 2(%bp), %ax\n"
    "	mov %ax, %cs:" RM_OFF(rm_vec) "\n"
    "	mov 4(%bp), %ax\n"
    "	mov %ax, %cs:" RM_OFF(rm_ip) "\n"
    "	mov 8(%bp), %ax\n"
    "	mov %ax, %cs:" RM_OFF(rm_flags) "\n"
    "	mov %cs:" RM_OFF(rm_fixup) ", %ax\n"
    "	mov %ax, 4(%bp)\n"
    "	movw $0x2000, 6(%bp)\n"
    "	pop %ax\n"
    "	pop %bp\n"
    "	add $2, %sp\n"
    "	iret\n"

    /* INT 0x30's handler: its FLAGS, the IP it returns to; vector 0x30. */
    "rm_int30:\n"
    "	push %bp\n"
    "	mov %sp, %bp\n"
    "	pushf\n"
    "	pop %cs:" RM_OFF(rm_flags) "\n"
    "	push %ax\n"
    "	mov 2(%bp), %ax\n"
    "	mov %ax, %cs:" RM_OFF(rm_ip) "\n"
    "	mov 6(%bp), %ax\n"
    "	mov %ax, %cs:" RM_OFF(rm_res) " + 1 * 16 + 8\n"   /* the FLAGS pushed */
    "	movw $0x30, %cs:" RM_OFF(rm_vec) "\n"
    "	pop %ax\n"
    "	pop %bp\n"
    "	iret\n"
    "rm_int30b:\n"
    "	movw $0x31, %cs:" RM_OFF(rm_res) " + 19 * 16 + 8\n"
    "	iret\n"

    /* The far call's target (CS 0x1000): its CS, then a far return. */
    "rm_far:\n"
    "	mov %cs, %ax\n"
    "	mov %ax, " RM_OFF(rm_res) " + 10 * 16 + 8\n"
    "	lret\n"
    "rm_farjmp:\n"
    "	mov %cs, %ax\n"
    "	mov %ax, " RM_OFF(rm_res) " + 11 * 16 + 8\n"
    "	mov $11, %bx\n"
    "	call rm_save\n"
    "	jmp rm_after_farjmp\n"

    ".balign 8\n"
    "rm_ivt0: .word 0x3ff\n .long 0\n"
    "rm_ivt_moved: .word 0x3ff\n .long 0x30000\n"

    "rm_fixup: .word 0\n"
    "rm_vec: .word 0\n"
    "rm_ip: .word 0\n"
    "rm_flags: .word 0\n"
    "rm_bounds: .word 0, 0\n"
    "rm_ptr: .word 0, 0\n"
    "rm_magic16: .long 0x0badcafe\n"
    "rm_copy: .long 0\n"
    ".balign 16\n"
    ".global rm_res\n"
    "rm_res: .fill 24 * 16, 1, 0\n"
    ".global rm_end\n"
    "rm_end:\n"
    ".code64\n"
    ".popsection\n"
    ".pushsection .bss\n"
    ".balign 8\n"
    "rm_esp: .long 0\n"
    ".popsection\n");

static const char *const names[] = {
	[1] = "int $0x30 and iret",
	[2] = "div by 0",
	[3] = "int3",
	[4] = "into with OF set",
	[5] = "bound out of range",
	[6] = "ud2",
	[7] = "mov from offset 0x10000 (32-bit address)",
	[8] = "mov of a dword at offset 0xfffe",
	[9] = "mov from offset 0x10000 through ebp (the stack segment)",
	[10] = "far call to segment 0x1f00 and far return",
	[11] = "far jmp through a memory pointer",
	[12] = "popf with IOPL and NT set, then pushf",
	[13] = "unreal mode: fs with a 4 GiB limit, then fs reloaded",
	[14] = "cpuid leaf 0",
	[15] = "rdmsr IA32_APIC_BASE",
	[16] = "out and in on port 0x21 (the PIC's mask), out to port 0x80",
	[17] = "local APIC version through fs (mmio)",
	[18] = "rep movsb of 4 bytes",
	[19] = "int $0x30 through an IVT moved by lidt (base 0x30000)",
};

static const struct rm_result *result(unsigned slot)
{
	return (const struct rm_result *)(RM_BASE + (uintptr_t)(rm_res - rm_start) + 16 * slot);
}

static void report(unsigned slot)
{
	const struct rm_result *r = result(slot);

	if (r->vector == 0xffff)
		eq("real mode: %s => ok, values %#x %#x", names[slot], r->value, r->value2);
	else
		eq("real mode: %s => vector %u at end-%d, flags %#x, values %#x %#x", names[slot],
		   r->vector, r->fixup - r->ip, r->flags, r->value, r->value2);
}

void eq_main(void)
{
	extern char eq_idtr[];

	/* The 16-bit descriptors: code at RM_BASE, data at 0, limits 0xffff. */
	eq_gdt[EQ_SPARE0 / 8] = 0x00009a000000ffffull | (RM_BASE & 0xffffff) << 16;
	eq_gdt[EQ_SPARE1 / 8] = 0x000092000000ffffull;
	memcpy((void *)RM_BASE, rm_start, (size_t)(rm_end - rm_start));
	eq_legacy_call(rm_trip);
	asm volatile("lidt (%0)" : : "r"(eq_idtr) : "memory");
	eq_gdt[EQ_SPARE0 / 8] = 0;
	eq_gdt[EQ_SPARE1 / 8] = 0;

	eq("real mode: CR0, CS => %#x, %#x", result(0)->value, result(0)->value2);
	for (unsigned slot = 1; slot < sizeof(names) / sizeof(names[0]); slot++)
		report(slot);
	eq("back in 64-bit mode: CR0 CR4 => %#lx %#lx", read_cr0(), read_cr4());
}
