/* tests/equiv/cr.c: the control registers (SDM Vol. 3A 2.5, MOV to CRn
 * in Vol. 2B).  In 64-bit mode: every bit of CR0 and CR4 flipped alone,
 * CR3's reserved and flag bits, CR8, the PCIDE rules.  Then a trip through
 * the paging modes (Vol. 3A 10.8.5, 4.1.2): from 64-bit mode to
 * compatibility mode, paging off (out of IA-32e mode), PAE paging,
 * 32-bit paging, and back to 4-level paging and 64-bit mode, reading
 * CR0, CR4 and EFER and a word through each mode's page tables. */
#include "equiv.h"

const char eq_area[] = "cr";

#define CR0_PE (1ull << 0)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PCIDE (1ull << 17)

static int write_cr0(uint64_t v) { return EQ_TRY("mov %0, %%cr0", : : "r"(v) : "memory"); }
static int write_cr4_safe(uint64_t v) { return EQ_TRY("mov %0, %%cr4", : : "r"(v) : "memory"); }
static int write_cr3(uint64_t v) { return EQ_TRY("mov %0, %%cr3", : : "r"(v) : "memory"); }
static int write_cr8(uint64_t v) { return EQ_TRY("mov %0, %%cr8", : : "r"(v) : "memory"); }
static uint64_t read_cr3(void) { return EQ_READ_CR(3); }
static uint64_t read_cr8(void) { return EQ_READ_CR(8); }

static const char *const cr0_bits[64] = {
	[0] = "PE", [1] = "MP", [2] = "EM", [3] = "TS", [4] = "ET", [5] = "NE", [6] = "bit 6",
	[15] = "bit 15", [16] = "WP", [17] = "bit 17", [18] = "AM", [19] = "bit 19", [28] = "bit 28",
	[29] = "NW", [30] = "CD", [31] = "PG", [32] = "bit 32", [63] = "bit 63",
};

/* SMEP and SMAP are left out: this guest's pages are user pages, so the
 * next fetch or access at CPL 0 would fault (that is paging's area). */
static const char *const cr4_bits[64] = {
	[0] = "VME", [1] = "PVI", [2] = "TSD", [3] = "DE", [4] = "PSE", [5] = "PAE", [6] = "MCE",
	[7] = "PGE", [8] = "PCE", [9] = "OSFXSR", [10] = "OSXMMEXCPT", [11] = "UMIP", [12] = "LA57",
	[13] = "VMXE", [14] = "SMXE", [15] = "bit 15", [16] = "FSGSBASE", [17] = "PCIDE",
	[18] = "OSXSAVE", [19] = "KL", [22] = "PKE", [23] = "CET", [24] = "PKS", [25] = "UINTR",
	[26] = "bit 26", [31] = "bit 31", [32] = "bit 32", [63] = "bit 63",
};

static void flip_cr0(void)
{
	uint64_t orig = read_cr0();

	eq("mov from cr0 => %#lx", orig);
	for (unsigned b = 0; b < 64; b++) {
		int vec;
		uint64_t after;

		if (!cr0_bits[b])
			continue;
		vec = write_cr0(orig ^ (1ull << b));
		after = read_cr0();
		write_cr0(orig);
		eq("mov to cr0 flipping %s => %s, reads %#lx", cr0_bits[b], eq_fault(vec), after);
	}
	/* NW without CD is invalid; CD with NW is not (Vol. 2B MOV). */
	int vec = write_cr0(orig | CR0_CD | CR0_NW);
	uint64_t after = read_cr0();

	write_cr0(orig);
	eq("mov to cr0 setting CD and NW => %s, reads %#lx", eq_fault(vec), after);
}

static void flip_cr4(void)
{
	uint64_t orig = read_cr4();

	eq("mov from cr4 => %#lx", orig);
	for (unsigned b = 0; b < 64; b++) {
		int vec;
		uint64_t after;

		if (!cr4_bits[b])
			continue;
		vec = write_cr4_safe(orig ^ (1ull << b));
		after = read_cr4();
		write_cr4_safe(orig);
		eq("mov to cr4 flipping %s => %s, reads %#lx", cr4_bits[b], eq_fault(vec), after);
	}
}

static void cr3_cr8(void)
{
	uint64_t orig = read_cr3();
	/* Only bits that leave the page tables where they are, or that the
	 * CPU refuses: above MAXPHYADDR (40 on the Bochs model) or flags. */
	static const struct {
		const char *what;
		uint64_t bits;
	} tries[] = {
		{ "PWT", 1 << 3 }, { "PCD", 1 << 4 }, { "bit 0 (PCID 1)", 1 }, { "bit 11", 1 << 11 },
		{ "bit 40", 1ull << 40 }, { "bit 51", 1ull << 51 },
		{ "bit 52", 1ull << 52 }, { "bit 62", 1ull << 62 }, { "bit 63", 1ull << 63 },
	};

	eq("mov from cr3 => %#lx", orig);
	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		int vec = write_cr3(orig | tries[i].bits);
		uint64_t after = read_cr3();


		write_cr3(orig);
		eq("mov to cr3 setting %s => %s, reads %#lx", tries[i].what, eq_fault(vec), after);
	}
	static const uint64_t tprs[] = { 0, 5, 15, 16, 1ull << 63 };

	for (unsigned i = 0; i < sizeof(tprs) / sizeof(tprs[0]); i++) {
		int vec = write_cr8(tprs[i]);
		uint64_t after = read_cr8();

		eq("mov to cr8 <- %#lx => %s, reads %lu", tprs[i], eq_fault(vec), after);
	}
	write_cr8(0);
}

/* CR4.PCIDE (Vol. 3A 4.10.1): it may be set only with CR3[11:0] = 0 and
 * in IA-32e mode; with it, MOV to CR3 keeps bit 63 out of CR3. */
static void pcide(void)
{
	uint64_t cr3 = read_cr3(), cr4 = read_cr4();
	struct eq_cpuid one = cpuid(1, 0);

	eq("CPUID.1:ECX => PCID %u", one.c >> 17 & 1);
	write_cr3(cr3 | 1);
	eq("mov to cr4 setting PCIDE with CR3 PCID 1 => %s", eq_fault(write_cr4_safe(cr4 | CR4_PCIDE)));
	write_cr4_safe(cr4);
	write_cr3(cr3);
	int vec = write_cr4_safe(cr4 | CR4_PCIDE);

	eq("mov to cr4 setting PCIDE with CR3 PCID 0 => %s, reads %#lx", eq_fault(vec), read_cr4());
	vec = write_cr3(cr3 | 5);
	eq("  with PCIDE: mov to cr3 PCID 5 => %s, reads %#lx", eq_fault(vec), read_cr3());
	vec = write_cr3(cr3 | 5 | 1ull << 63);
	eq("  with PCIDE: mov to cr3 with bit 63 => %s, reads %#lx", eq_fault(vec), read_cr3());
	write_cr3(cr3);
	vec = write_cr4_safe(cr4);
	eq("  with PCIDE: mov to cr4 clearing it => %s, reads %#lx", eq_fault(vec), read_cr4());
}

/* ---- the trip through the paging modes (asm below) ---------------------- */

struct trip {
	uint32_t gp_vector, gp_error;   /* MOV to CR0 clearing PG with PCIDE set */
	uint32_t stage[4][4];           /* CR0, CR4, EFER, the word read */
};

struct trip trip_result;
extern void cr_trip(void);
extern uint32_t trip_pae_pdpt[8], trip_pd32[1024];
uint32_t trip_word = 0x600dc0de;

/* From 64-bit mode (CS KCODE64) a far return to KCODE32 is compatibility
 * mode.  There, with CR4.PCIDE set, clearing CR0.PG must raise #GP (Vol.
 * 2B MOV: "attempt to clear CR0.PG with CR4.PCIDE = 1"): the 64-bit IDT
 * still serves it, and EQ_TRY's fixup resumes compatibility-mode code.
 * Then, PCIDE clear: paging off leaves IA-32e mode (EFER.LMA = 0); LME
 * off; PAE paging (trip_pae_pdpt: four PDPTEs, present only); 32-bit
 * paging (trip_pd32: 4 MiB pages, CR4.PSE); and back: paging off, PAE,
 * the 4-level tables, LME, paging on (compatibility mode again), a far
 * jump to 64-bit code.  Interrupts are off and nothing in between faults
 * (the legacy modes have no IDT here).  Each stage stores CR0, CR4,
 * EFER and trip_word read through its page tables. */
asm(".pushsection .text\n"
    ".code64\n"
    ".global cr_trip\n"
    "cr_trip:\n"
    "	push %rbx\n"
    "	push %rbp\n"
    "	mov %rsp, trip_rsp(%rip)\n"
    "	mov %cr4, %rax\n"
    "	or $(1 << 17), %rax\n"           /* PCIDE (CR3's PCID is 0) */
    "	mov %rax, %cr4\n"
    "	pushq $0x38\n"                   /* EQ_KCODE32 */
    "	lea 1f(%rip), %rax\n"
    "	push %rax\n"
    "	lretq\n"
    ".code32\n"
    "1:	movl $2f, eq_fixup\n"
    "	movl $0, eq_fixup + 4\n"
    "	movl $-1, eq_vector\n"
    "	mov %cr0, %eax\n"
    "	and $0x7fffffff, %eax\n"
    "	mov %eax, %cr0\n"                 /* #GP: PCIDE */
    "2:	movl $0, eq_fixup\n"
    "	mov eq_vector, %eax\n"
    "	mov %eax, trip_result\n"
    "	mov eq_error, %eax\n"
    "	mov %eax, trip_result + 4\n"
    "	mov %cr4, %eax\n"
    "	and $~(1 << 17), %eax\n"
    "	mov %eax, %cr4\n"
    /* Paging off: out of IA-32e mode. */
    "	mov %cr0, %eax\n"
    "	and $0x7fffffff, %eax\n"
    "	mov %eax, %cr0\n"
    "	mov $trip_result + 8, %edi\n"
    "	call trip_stage\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	and $~(1 << 8), %eax\n"           /* LME off */
    "	wrmsr\n"
    /* PAE paging. */
    "	mov $trip_pae_pdpt, %eax\n"
    "	mov %eax, %cr3\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"
    "	mov %eax, %cr0\n"
    "	mov $trip_result + 24, %edi\n"
    "	call trip_stage\n"
    /* 32-bit paging with 4 MiB pages. */
    "	mov %cr0, %eax\n"
    "	and $0x7fffffff, %eax\n"
    "	mov %eax, %cr0\n"
    "	mov %cr4, %eax\n"
    "	and $~(1 << 5), %eax\n"           /* PAE off */
    "	or $(1 << 4), %eax\n"             /* PSE on */
    "	mov %eax, %cr4\n"
    "	mov $trip_pd32, %eax\n"
    "	mov %eax, %cr3\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"
    "	mov %eax, %cr0\n"
    "	mov $trip_result + 40, %edi\n"
    "	call trip_stage\n"
    /* Back to 4-level paging and IA-32e mode. */
    "	mov %cr0, %eax\n"
    "	and $0x7fffffff, %eax\n"
    "	mov %eax, %cr0\n"
    "	mov %cr4, %eax\n"
    "	or $(1 << 5), %eax\n"
    "	and $~(1 << 4), %eax\n"
    "	mov %eax, %cr4\n"
    "	mov $eq_pml4, %eax\n"
    "	mov %eax, %cr3\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	or $(1 << 8), %eax\n"
    "	wrmsr\n"
    "	mov %cr0, %eax\n"
    "	or $0x80000000, %eax\n"
    "	mov %eax, %cr0\n"
    "	mov $trip_result + 56, %edi\n"
    "	call trip_stage\n"
    "	ljmp $0x08, $3f\n"
    ".code64\n"
    "3:	mov trip_rsp(%rip), %rsp\n"
    "	pop %rbp\n"
    "	pop %rbx\n"
    "	ret\n"
    ".code32\n"
    /* trip_stage: EDI = the stage's four words. */
    "trip_stage:\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, (%edi)\n"
    "	mov %cr4, %eax\n"
    "	mov %eax, 4(%edi)\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	mov %eax, 8(%edi)\n"
    "	mov trip_word, %eax\n"
    "	mov %eax, 12(%edi)\n"
    "	ret\n"
    ".code64\n"
    ".popsection\n"
    ".pushsection .bss\n"
    ".balign 8\n"
    "trip_rsp: .quad 0\n"
    ".popsection\n"
    ".pushsection .data\n"
    ".balign 32\n"
    ".global trip_pae_pdpt\n"
    "trip_pae_pdpt:\n"                   /* PDPTEs: present, no other bit (Vol. 3A 4.4.1) */
    "	.long eq_pd + 0x0001, 0, eq_pd + 0x1001, 0, eq_pd + 0x2001, 0, eq_pd + 0x3001, 0\n"
    ".balign 4096\n"
    ".global trip_pd32\n"
    "trip_pd32:\n"                       /* 4 MiB pages: present, writable, PS */
    "	.set i, 0\n"
    "	.rept 1024\n"
    "	.long (i << 22) | 0x83\n"
    "	.set i, i + 1\n"
    "	.endr\n"
    ".popsection\n");

static void modes(void)
{
	static const char *const names[4] = { "paging off", "PAE paging", "32-bit paging",
					      "4-level paging again" };
	struct eq_cpuid one = cpuid(1, 0);

	if (!(one.c & 1u << 17)) {
		eq_fail("no PCID (CPUID.1:ECX[17]): the trip sets CR4.PCIDE");
		return;
	}
	cr_trip();
	eq_error = trip_result.gp_error;
	eq("compatibility mode, PCIDE set: mov to cr0 clearing PG => %s",
	   eq_fault((int)trip_result.gp_vector));
	for (unsigned i = 0; i < 4; i++)
		eq("%s: CR0 CR4 EFER, the word => %#x %#x %#x, %#x", names[i], trip_result.stage[i][0],
		   trip_result.stage[i][1], trip_result.stage[i][2], trip_result.stage[i][3]);
	eq("back in 64-bit mode: CR0 CR4 => %#lx %#lx", read_cr0(), read_cr4());
}

void eq_main(void)
{
	flip_cr0();
	flip_cr4();
	cr3_cr8();
	pcide();
	modes();
}
