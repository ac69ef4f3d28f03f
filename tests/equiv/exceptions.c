/* tests/equiv/exceptions.c: exceptions and interrupts (SDM Vol. 3A
 * chapter 7).  In 64-bit mode at CPL 0: the faults of instructions (#DE,
 * #BP, #UD, #GP, #SS), of segment loads (#GP, #NP, #SS with their
 * selector error codes), of paging (#PF's error code and CR2, the
 * accessed and dirty bits), of x87 and SSE (#NM, #MF, #XM); delivery
 * through the IDT (beyond its limit, a gate not present, of a bad type,
 * the EXT bit, contributory faults becoming #DF); interrupts from the
 * local APIC and their shadows (STI, MOV SS, HLT) and NMI blocking until
 * IRET.  Then at CPL 3: privileged instructions, gates of DPL 0, user
 * page faults, #AC.  Each line gives the vector and error code, where the
 * frame's RIP pointed ("end-2": a 2-byte instruction that faulted;
 * "end-0": a trap after it) and the frame's RFLAGS (RF is set for faults,
 * Vol. 3A 18.3.1.1). */
#include "equiv.h"

const char eq_area[] = "exceptions";

#define CR0_MP (1ul << 1)
#define CR0_EM (1ul << 2)
#define CR0_TS (1ul << 3)
#define CR0_NE (1ul << 5)
#define CR0_WP (1ul << 16)
#define CR0_AM (1ul << 18)
#define CR4_TSD (1ul << 2)
#define CR4_OSFXSR (1ul << 9)
#define CR4_OSXMMEXCPT (1ul << 10)
#define EFER 0xc0000080
#define EFER_NXE (1ul << 11)
#define PTE_P (1ul << 0)
#define PTE_RW (1ul << 1)
#define PTE_US (1ul << 2)
#define PTE_A (1ul << 5)
#define PTE_D (1ul << 6)
#define PTE_XD (1ul << 63)
#define APIC 0xfee00000ul
#define APIC_ID 0x20
#define APIC_TPR 0x80
#define APIC_EOI 0xb0
#define APIC_SVR 0xf0
#define APIC_ICR 0x300
#define APIC_ICR_HIGH 0x310
#define APIC_LVT_LINT0 0x350
#define ICR_SELF (1u << 18)
#define ICR_NMI (4u << 8)
#define ICR_BUSY (1u << 12)
#define VEC_SOFT 0x40       /* INT n and the self-IPIs */

static void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
static void invlpg(uint64_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

static void report(const char *what, int vec)
{
	if (vec == EQ_NONE)
		eq("%s => ok", what);
	else
		eq("%s => %s at end-%ld, rflags %#lx", what, eq_fault(vec),
		   (long)(eq_fixup_hit - eq_fault_rip), eq_fault_rflags);
}

/* #DF's saved RIP is undefined (Vol. 3A 7.15, interrupt 8): not shown. */
static void report_df(const char *what, int vec)
{
	if (vec == 8)
		eq("%s => %s", what, eq_fault(vec));
	else
		report(what, vec);
}

static void report_pf(const char *what, int vec)
{
	if (vec == 14)
		eq("%s => %s, cr2 %#lx, rflags %#lx", what, eq_fault(vec), eq_cr2, eq_fault_rflags);
	else
		report(what, vec);
}

/* ---- instructions -------------------------------------------------------- */

static void instructions(void)
{
	uint32_t a = 1, d = 0;

	report("div by 0", EQ_TRY("div %2", : "+a"(a), "+d"(d) : "r"(0u) : "memory"));
	a = 0x80000000u, d = 0xffffffffu;
	report("idiv overflow", EQ_TRY("idiv %2", : "+a"(a), "+d"(d) : "r"(-1) : "memory"));
	report("int3", EQ_TRY("int3", : : : "memory"));
	report("int $3 (cd 03)", EQ_TRY(".byte 0xcd, 0x03", : : : "memory"));
	report("into (invalid in 64-bit mode)", EQ_TRY(".byte 0xce", : : : "memory"));
	report("ud2", EQ_TRY("ud2", : : : "memory"));
	report("ud1", EQ_TRY(".byte 0x0f, 0xb9, 0xc0", : : : "memory"));
	report("lock nop", EQ_TRY(".byte 0xf0, 0x90", : : : "memory"));
	report("lock add to a register", EQ_TRY(".byte 0xf0, 0x01, 0xc0", : : : "memory"));
	report("mov to cs", EQ_TRY(".byte 0x8e, 0xc8", : : : "memory"));
	report("15-byte instruction (14 prefixes)",
	       EQ_TRY(".fill 14, 1, 0x66\n\tnop", : : : "memory"));
	report("16-byte instruction (15 prefixes)",
	       EQ_TRY(".fill 15, 1, 0x66\n\tnop", : : : "memory"));
	uint64_t x = 0x0000800000000000ul;

	report("read at a non-canonical address", EQ_TRY("mov (%0), %0", : "+r"(x) : : "memory"));
	x = 0x8000000000000000ul;
	report("read at a non-canonical address through rsp",
	       EQ_TRY("mov (%%rsp,%0), %0", : "+r"(x) : : "memory"));
	report("jmp to a non-canonical address",
	       EQ_TRY("jmp *%0", : : "r"(0xffff000000000000ul) : "memory"));
}

/* ---- segments ------------------------------------------------------------ */

static int load_ds(uint16_t sel) { return EQ_TRY("mov %0, %%ds", : : "r"(sel) : "memory"); }
static int load_ss(uint16_t sel) { return EQ_TRY("mov %0, %%ss", : : "r"(sel) : "memory"); }
static int load_tr(uint16_t sel) { return EQ_TRY("ltr %0", : : "r"(sel) : "memory"); }
static int load_ldt(uint16_t sel) { return EQ_TRY("lldt %0", : : "r"(sel) : "memory"); }

static void segments(void)
{
	/* Not present (P clear), DPL 0 read/write data; execute-only code. */
	eq_gdt[EQ_SPARE0 / 8] = 0x00CF12000000FFFFul;
	eq_gdt[EQ_SPARE1 / 8] = 0x00AF98000000FFFFul;

	report("mov ds, a selector beyond the GDT limit", load_ds(0x78));
	report("mov ds, a data segment not present", load_ds(EQ_SPARE0));
	report("mov ss, a data segment not present", load_ss(EQ_SPARE0));
	report("mov ds, an execute-only code segment", load_ds(EQ_SPARE1));
	report("mov ds, a readable code segment", load_ds(EQ_KCODE64));
	report("mov ds, the TSS", load_ds(EQ_TSS));
	/* The LDTR the loader left: never loaded, as after reset (Vol. 3A
	 * table 10-1: base 0, limit 0xffff), so LDT selector 0x0c names the
	 * 8 bytes at linear address 8 (the real-mode IVT's). */
	asm volatile("movq %0, 8" : : "r"(0x00CF92000000FFFFul) : "memory");
	report("mov ds, an LDT selector, the LDTR as loaded at reset", load_ds(0x0c));
	load_ds(EQ_KDATA);
	report("lldt, the null selector", load_ldt(0));
	report("mov ds, an LDT selector with a null LDTR", load_ds(0x0c));
	report("mov ds, the null selector", load_ds(0));
	load_ds(EQ_KDATA);
	report("mov ss, a DPL 3 data segment at CPL 0", load_ss(EQ_UDATA));
	report("mov ss, an RPL 3 selector at CPL 0", load_ss(EQ_KDATA | 3));
	report("mov ss, a code segment", load_ss(EQ_KCODE64));
	report("mov ss, the null selector at CPL 0 in 64-bit mode", load_ss(0));
	load_ss(EQ_KDATA);
	report("ltr, the busy TSS", load_tr(EQ_TSS));
	report("lldt, a data segment", load_ldt(EQ_KDATA));
	eq_gdt[EQ_SPARE0 / 8] = 0;
	eq_gdt[EQ_SPARE1 / 8] = 0;
}

/* ---- paging -------------------------------------------------------------- */

/* A page table of 4 KiB pages for the 2 MiB at SCRATCH (1 GiB): its
 * first entry maps `page`; the rest are not present. */
#define SCRATCH 0x40000000ull
static uint64_t scratch_pt[512] __attribute__((aligned(4096)));
static uint8_t page[4096] __attribute__((aligned(4096)));

static void set_pte(uint64_t v)
{
	scratch_pt[0] = v;
	invlpg(SCRATCH);
}

static int read_at(uint64_t va)
{
	uint64_t v = va;

	return EQ_TRY("mov (%0), %0", : "+r"(v) : : "memory");
}

static int write_at(uint64_t va) { return EQ_TRY("movb $0x5a, (%0)", : : "r"(va) : "memory"); }

/* A fetch fault's RIP is the address fetched: jump there, resume after
 * (a fetch that does not fault finds `jmp *%rcx' there, back to the end). */
static int fetch_at(uint64_t va)
{
	int vec = EQ_TRY("lea 1f(%%rip), %%rcx\n\tjmp *%0", : : "r"(va) : "rcx", "memory");

	if (vec == 14 && eq_fault_rip != va)
		eq_fail("fetch at %#lx: the #PF's RIP is %#lx", va, eq_fault_rip);
	return vec;
}

static void paging(void)
{
	uint64_t pte = (uint64_t)(uintptr_t)page | PTE_P | PTE_RW | PTE_US;
	uint64_t efer = rdmsr(EFER);
	uint64_t cr0 = read_cr0();

	eq_pd[SCRATCH >> 21] = (uint64_t)(uintptr_t)scratch_pt | PTE_P | PTE_RW | PTE_US;
	invlpg(SCRATCH);
	set_pte(pte);
	report_pf("read of a present page", read_at(SCRATCH + 8));
	eq("accessed and dirty bits after a read => %#lx", scratch_pt[0] & (PTE_A | PTE_D));
	report_pf("write of a present page", write_at(SCRATCH + 8));
	eq("accessed and dirty bits after a write => %#lx", scratch_pt[0] & (PTE_A | PTE_D));
	eq("the byte written => %#x", page[8]);

	report_pf("read of a page not present", read_at(SCRATCH + 0x1234));
	report_pf("write of a page not present", write_at(SCRATCH + 0x1234));
	report_pf("read beyond the PDPT's present entries", read_at(0x100000123ul));
	report_pf("write beyond the PDPT's present entries", write_at(0x100000123ul));
	report_pf("fetch from a page not present", fetch_at(0x100000000ul));

	set_pte(pte & ~PTE_RW);
	write_cr0(cr0 | CR0_WP);
	report_pf("write of a read-only page with CR0.WP", write_at(SCRATCH + 16));
	write_cr0(cr0 & ~CR0_WP);
	report_pf("write of a read-only page without CR0.WP", write_at(SCRATCH + 16));
	write_cr0(cr0);
	set_pte(pte | 1ull << 51);
	report_pf("read through a PTE with reserved bit 51", read_at(SCRATCH + 24));
	set_pte(pte | PTE_XD);
	report_pf("read through a PTE with XD, EFER.NXE clear", read_at(SCRATCH + 24));
	wrmsr(EFER, efer | EFER_NXE);
	report_pf("read of an XD page with EFER.NXE", read_at(SCRATCH + 24));
	page[0] = 0xff;     /* jmp *%rcx */
	page[1] = 0xe1;
	report_pf("fetch from an XD page with EFER.NXE", fetch_at(SCRATCH));
	report_pf("fetch from a page not present with EFER.NXE", fetch_at(0x100000000ul));
	wrmsr(EFER, efer);
	set_pte(pte);
}

/* ---- x87 and SSE ---------------------------------------------------------- */

static void fpu(void)
{
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	uint16_t cw = 0x37b, sw = 0;   /* x87: ZE unmasked */
	uint32_t mxcsr = 0x1d80, one = 0x3f800000u;   /* SSE: ZE unmasked; 1.0f */

	write_cr0((cr0 | CR0_NE | CR0_MP) & ~(CR0_EM | CR0_TS));
	write_cr4(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT);
	asm volatile("fninit" : : : "memory");

	write_cr0(read_cr0() | CR0_TS);
	report("fninit with CR0.TS", EQ_TRY("fninit", : : : "memory"));
	report("fwait with CR0.TS and CR0.MP", EQ_TRY("fwait", : : : "memory"));
	write_cr0(read_cr0() & ~CR0_MP);
	report("fwait with CR0.TS, CR0.MP clear", EQ_TRY("fwait", : : : "memory"));
	report("movaps with CR0.TS", EQ_TRY("movaps %%xmm0, %%xmm1", : : : "memory"));
	write_cr0((read_cr0() & ~CR0_TS) | CR0_EM);
	report("fninit with CR0.EM", EQ_TRY("fninit", : : : "memory"));
	report("movaps with CR0.EM", EQ_TRY("movaps %%xmm0, %%xmm1", : : : "memory"));
	write_cr0((read_cr0() & ~CR0_EM) | CR0_MP);
	write_cr4(cr4 & ~CR4_OSFXSR);
	report("movaps without CR4.OSFXSR", EQ_TRY("movaps %%xmm0, %%xmm1", : : : "memory"));
	write_cr4(cr4 | CR4_OSFXSR | CR4_OSXMMEXCPT);

	/* The unmasked x87 fault is raised by the next waiting instruction
	 * (Vol. 1 8.6). */
	/* FDIVP ST(1), ST(0) as bytes: gas's AT&T fdivp is the reverse. */
	report("fdiv by 0 unmasked, then fwait", EQ_TRY("fninit\n\tfldcw %0\n\tfld1\n\tfldz\n\t"
							  ".byte 0xde, 0xf9\n\tfwait",
							  : : "m"(cw) : "memory"));
	asm volatile("fnstsw %0\n\tfninit" : "=m"(sw) : : "memory");
	eq("x87 status word after the fault => %#x", sw);

	report("divss by 0 unmasked", EQ_TRY("ldmxcsr %0\n\txorps %%xmm0, %%xmm0\n\t"
					     "movd %1, %%xmm1\n\tdivss %%xmm0, %%xmm1",
					     : : "m"(mxcsr), "r"(one) : "memory"));
	asm volatile("stmxcsr %0" : "=m"(mxcsr) : : "memory");
	eq("mxcsr after the fault => %#x", mxcsr);
	write_cr4(cr4 | CR4_OSFXSR);
	mxcsr = 0x1d80;
	report("divss by 0 unmasked without CR4.OSXMMEXCPT",
	       EQ_TRY("ldmxcsr %0\n\tdivss %%xmm0, %%xmm1", : : "m"(mxcsr) : "memory"));
	mxcsr = 0x1f80;
	asm volatile("ldmxcsr %0\n\tfninit" : : "m"(mxcsr) : "memory");
	write_cr4(cr4);
	write_cr0(cr0);
}

/* ---- delivery through the IDT -------------------------------------------- */

static volatile uint64_t soft_rip, soft_cs, soft_rflags, soft_ss, soft_count;

static void soft_handler(struct eq_frame *f)
{
	soft_rip = f->rip;
	soft_cs = f->cs;
	soft_rflags = f->rflags;
	soft_ss = f->ss;
	soft_count++;
}

static uint8_t *gate(unsigned v) { return &eq_idt[v * 16]; }

static void idt(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) small = {
		0x50 * 16 - 1, (uint64_t)(uintptr_t)eq_idt,
	};
	extern char eq_idtr[];
	uint64_t after;
	uint8_t saved;

	eq_set_handler(VEC_SOFT, soft_handler);
	asm volatile("int %1\n1:\tlea 1b(%%rip), %0" : "=r"(after) : "i"(VEC_SOFT) : "memory");
	eq("int $0x40 => handled once: %s, frame rip at the next instruction: %s, cs %#lx, ss %#lx, rflags %#lx",
	   soft_count == 1 ? "yes" : "no", soft_rip == after ? "yes" : "no", soft_cs, soft_ss,
	   soft_rflags);

	asm volatile("lidt %0" : : "m"(small) : "memory");
	report("int $0x60 beyond the IDT limit", EQ_TRY("int $0x60", : : : "memory"));
	asm volatile("lidt (%0)" : : "r"(eq_idtr) : "memory");

	saved = gate(VEC_SOFT)[5];
	gate(VEC_SOFT)[5] = saved & 0x7f;
	report("int $0x40 through a gate not present", EQ_TRY("int $0x40", : : : "memory"));
	gate(VEC_SOFT)[5] = (saved & 0xf0) | 0x5;   /* a task gate, not in IA-32e mode */
	report("int $0x40 through a gate of type 5", EQ_TRY("int $0x40", : : : "memory"));
	gate(VEC_SOFT)[5] = saved;

	saved = gate(3)[5];
	gate(3)[5] = saved & 0x7f;
	report("int3 through a #BP gate not present", EQ_TRY("int3", : : : "memory"));
	gate(3)[5] = saved;

	/* A benign exception meeting a fault in its delivery: the second
	 * is delivered (EXT set); two contributory ones (or a #PF and a
	 * contributory one) make #DF (Vol. 3A 7.15, interrupt 8, Table 7-5). */
	saved = gate(6)[5];
	gate(6)[5] = saved & 0x7f;
	report("ud2 through a #UD gate not present", EQ_TRY("ud2", : : : "memory"));
	gate(6)[5] = saved;
	saved = gate(13)[5];
	gate(13)[5] = saved & 0x7f;
	report_df("#GP through a #GP gate not present", read_at(0x0000800000000000ul));
	gate(13)[5] = saved;
	saved = gate(0)[5];
	gate(0)[5] = saved & 0x7f;
	uint32_t a = 1, d = 0;
	report_df("#DE through a #DE gate not present",
		  EQ_TRY("div %2", : "+a"(a), "+d"(d) : "r"(0u) : "memory"));
	gate(0)[5] = saved;
	saved = gate(14)[5];
	gate(14)[5] = saved & 0x7f;
	report_df("#PF through a #PF gate not present", read_at(0x100000000ul));
	gate(14)[5] = saved;
	saved = gate(6)[11];
	gate(6)[11] = 0x80;     /* offset 63:32: non-canonical */
	report("ud2 through a #UD gate with a non-canonical offset", EQ_TRY("ud2", : : : "memory"));
	gate(6)[11] = saved;
}

/* ---- interrupts from the local APIC -------------------------------------- */

static volatile uint32_t *apic(unsigned reg) { return (volatile uint32_t *)(APIC + reg); }

static void send_ipi(uint32_t icr)
{
	*apic(APIC_ICR) = icr;
	for (unsigned i = 0; i < 100000 && (*apic(APIC_ICR) & ICR_BUSY); i++)
		;
}

static void self_ipi(uint32_t vector) { send_ipi(ICR_SELF | vector); }

/* The self shorthand is for fixed interrupts only (Vol. 3A 12.6.1, the
 * ICR's destination shorthand): an NMI names this APIC's ID. */
static void self_nmi(void)
{
	*apic(APIC_ICR_HIGH) = *apic(APIC_ID) & 0xff000000u;
	send_ipi(ICR_NMI);
}

static void ipi_handler(struct eq_frame *f)
{
	soft_rip = f->rip;
	soft_count++;
	*apic(APIC_EOI) = 0;
}

static volatile unsigned nmi_count, nmi_inside;

static void nmi_handler(struct eq_frame *f)
{
	(void)f;
	if (++nmi_count == 1) {
		self_nmi();
		for (volatile unsigned i = 0; i < 1000; i++)
			;
		nmi_inside = nmi_count;
	}
}

/* "label", "label+2", "label-1": where an interrupt frame's RIP points. */
static const char *rel(long d)
{
	static char buf[32];

	if (!d)
		return "label";
	eq_sformat(buf, sizeof(buf), d < 0 ? "label-%ld" : "label+%ld", d < 0 ? -d : d);
	return buf;
}

/* Where the interrupt pending at STI was taken, from label 1 (after the
 * instruction that follows STI). */
#define AFTER_STI(insns)                                                    \
	({                                                                  \
		uint64_t l_;                                                \
		soft_count = 0;                                             \
		self_ipi(VEC_SOFT);                                         \
		asm volatile("lea 1f(%%rip), %0\n\tsti\n\t" insns "\n1:\tnop\n\tnop\n\tcli" \
			     : "=&r"(l_) : : "memory");                     \
		(long)(soft_rip - l_);                                      \
	})

static void interrupts(void)
{
	uint16_t ss = EQ_KDATA;

	outb(0x21, 0xff);   /* the PICs masked: the APIC's interrupts alone */
	outb(0xa1, 0xff);
	*apic(APIC_SVR) = 0x1ff;
	*apic(APIC_LVT_LINT0) |= 1u << 16;
	eq_set_handler(VEC_SOFT, ipi_handler);

	soft_count = 0;
	self_ipi(VEC_SOFT);
	eq("self-IPI with IF clear => delivered: %s", soft_count ? "yes" : "no");
	long at = AFTER_STI("nop");
	eq("self-IPI pending, then sti; nop => delivered %lu, at %s", soft_count, rel(at));
	at = AFTER_STI("nop\n\tnop");
	eq("self-IPI pending, then sti; nop; nop => delivered %lu, at %s", soft_count, rel(at));
	soft_count = 0;
	self_ipi(VEC_SOFT);
	uint64_t l;
	asm volatile("lea 1f(%%rip), %0\n\tsti\n\tmov %1, %%ss\n\tnop\n1:\tnop\n\tcli"
		     : "=&r"(l) : "r"(ss) : "memory");
	eq("self-IPI pending, then sti; mov ss; nop => delivered %lu, at %s", soft_count,
	   rel((long)(soft_rip - l)));
	soft_count = 0;
	self_ipi(VEC_SOFT);
	asm volatile("lea 1f(%%rip), %0\n\tsti\n\thlt\n1:\tcli" : "=&r"(l) : : "memory");
	eq("self-IPI pending, then sti; hlt => delivered %lu, at %s", soft_count,
	   rel((long)(soft_rip - l)));

	*apic(APIC_TPR) = 0x50;
	soft_count = 0;
	self_ipi(VEC_SOFT);
	asm volatile("sti\n\tnop\n\tnop\n\tcli" : : : "memory");
	eq("self-IPI of class 4 with TPR 0x50 => delivered %lu", soft_count);
	*apic(APIC_TPR) = 0;
	asm volatile("sti\n\tnop\n\tnop\n\tcli" : : : "memory");
	eq("then TPR 0 => delivered %lu", soft_count);

	eq_set_handler(2, nmi_handler);
	self_nmi();
	for (volatile unsigned i = 0; i < 1000 && nmi_count < 2; i++)
		;
	eq("self-NMI, and another sent from its handler => handled %u times, %u before the IRET",
	   nmi_count, nmi_inside);
	eq_set_handler(2, 0);
	eq_set_handler(VEC_SOFT, 0);
}

/* ---- CPL 3 --------------------------------------------------------------- */

enum user_check {
	U_HLT, U_CLI, U_IN, U_MOV_CR0, U_RDMSR, U_LGDT, U_INVLPG, U_WBINVD, U_SWAPGS,
	U_INT_DPL0, U_INT3, U_UD2, U_READ_SUPERVISOR, U_WRITE_READONLY, U_READ_ABSENT,
	U_FETCH_ABSENT, U_AC, U_AC_NO_AM, U_RDTSC, U_RDTSC_TSD, U_RDPMC,
};

static enum user_check user_check;
static int user_vec;
static uint64_t user_error, user_cr2, user_rflags;
static long user_at;

/* At CPL 3: no output; what EQ_TRY saw is kept for user(). */
static void user_main(void)
{
	int v = EQ_NONE;
	uint64_t x = 0;

	switch (user_check) {
	case U_HLT: v = EQ_TRY("hlt", : : : "memory"); break;
	case U_CLI: v = EQ_TRY("cli", : : : "memory"); break;
	case U_IN: v = EQ_TRY("inb $0x80, %%al", : : : "rax", "memory"); break;
	case U_MOV_CR0: v = EQ_TRY("mov %%cr0, %0", : "=r"(x) : : "memory"); break;
	case U_RDMSR: v = EQ_TRY("rdmsr", : : "c"(EFER) : "rax", "rdx", "memory"); break;
	case U_LGDT: v = EQ_TRY("lgdt (%%rsp)", : : : "memory"); break;
	case U_INVLPG: v = EQ_TRY("invlpg (%%rsp)", : : : "memory"); break;
	case U_WBINVD: v = EQ_TRY("wbinvd", : : : "memory"); break;
	case U_SWAPGS: v = EQ_TRY("swapgs", : : : "memory"); break;
	case U_INT_DPL0: v = EQ_TRY("int $0x40", : : : "memory"); break;
	case U_INT3: v = EQ_TRY("int3", : : : "memory"); break;
	case U_UD2: v = EQ_TRY("ud2", : : : "memory"); break;
	case U_READ_SUPERVISOR: v = read_at(SCRATCH + 8); break;
	case U_WRITE_READONLY: v = write_at(SCRATCH + 8); break;
	case U_READ_ABSENT: v = read_at(SCRATCH + 0x1000); break;
	case U_FETCH_ABSENT: v = EQ_TRY("jmp *%0", : : "r"(0x100000000ul) : "memory"); break;
	case U_AC:
	case U_AC_NO_AM:
		x = (uint64_t)(uintptr_t)page;
		v = EQ_TRY("pushf\n\torl $0x40000, (%%rsp)\n\tpopf\n\tmov 1(%0), %0",
			   : "+r"(x) : : "memory");
		asm volatile("pushf\n\tandl $~0x40000, (%%rsp)\n\tpopf" : : : "memory", "cc");
		break;
	case U_RDTSC:
	case U_RDTSC_TSD: v = EQ_TRY("rdtsc", : : : "rax", "rdx", "memory"); break;
	case U_RDPMC: v = EQ_TRY("rdpmc", : : "c"(0) : "rax", "rdx", "memory"); break;
	}
	(void)x;
	user_vec = v;
	user_error = eq_error;
	user_cr2 = eq_cr2;
	user_rflags = eq_fault_rflags;
	user_at = (long)(eq_fixup_hit - eq_fault_rip);
}

static void user(const char *what, enum user_check c)
{
	user_check = c;
	eq_user(user_main);
	eq_error = user_error;
	if (user_vec == EQ_NONE)
		eq("%s at CPL 3 => ok", what);
	else if (user_vec == 14)
		eq("%s at CPL 3 => %s, cr2 %#lx, rflags %#lx", what, eq_fault(user_vec), user_cr2,
		   user_rflags);
	else
		eq("%s at CPL 3 => %s at end-%ld, rflags %#lx", what, eq_fault(user_vec), user_at,
		   user_rflags);
}

static void cpl3(void)
{
	uint64_t pte = (uint64_t)(uintptr_t)page | PTE_P | PTE_RW | PTE_US;
	uint64_t cr0 = read_cr0(), cr4 = read_cr4(), efer = rdmsr(EFER);
	uint8_t saved;

	user("hlt", U_HLT);
	user("cli", U_CLI);
	/* The TSS's I/O map base (offset 0x66) is 0: the bitmap is the TSS
	 * itself, whose bit 0x80 (RSP1) is clear; then beyond the limit. */
	user("in from port 0x80, the I/O bitmap allowing it", U_IN);
	eq_tss[0x66] = 0x68;
	user("in from port 0x80, no I/O bitmap", U_IN);
	eq_tss[0x66] = 0;
	user("mov from cr0", U_MOV_CR0);
	user("rdmsr", U_RDMSR);
	user("lgdt", U_LGDT);
	user("invlpg", U_INVLPG);
	user("wbinvd", U_WBINVD);
	user("swapgs", U_SWAPGS);
	saved = gate(VEC_SOFT)[5];
	gate(VEC_SOFT)[5] = saved & ~0x60;      /* DPL 0 */
	user("int $0x40 through a DPL 0 gate", U_INT_DPL0);
	gate(VEC_SOFT)[5] = saved;
	user("int3", U_INT3);
	user("ud2", U_UD2);

	set_pte(pte & ~PTE_US);
	user("read of a supervisor page", U_READ_SUPERVISOR);
	set_pte(pte & ~PTE_RW);
	user("write of a read-only page", U_WRITE_READONLY);
	set_pte(pte);
	user("read of a page not present", U_READ_ABSENT);
	wrmsr(EFER, efer | EFER_NXE);
	user("fetch from a page not present with EFER.NXE", U_FETCH_ABSENT);
	wrmsr(EFER, efer);

	write_cr0(cr0 | CR0_AM);
	user("misaligned read with CR0.AM and RFLAGS.AC", U_AC);
	write_cr0(cr0 & ~CR0_AM);
	user("misaligned read with RFLAGS.AC, CR0.AM clear", U_AC_NO_AM);
	write_cr0(cr0);

	user("rdtsc", U_RDTSC);
	write_cr4(cr4 | CR4_TSD);
	user("rdtsc with CR4.TSD", U_RDTSC_TSD);
	write_cr4(cr4);
	user("rdpmc with CR4.PCE clear", U_RDPMC);
}

/* ---- compatibility mode -------------------------------------------------- */

/* In compatibility mode (KCODE32 while IA-32e mode is on) the 64-bit IDT
 * serves; instructions invalid in 64-bit mode are back (INTO, BOUND, LDS).
 * CM_TRY is EQ_TRY for 32-bit code: slot N keeps the vector, the error
 * code and where the frame's RIP pointed from the end of the try. */
struct cm_result { uint32_t vector, error, back; };
struct cm_result cm_res[8];
extern void cm_run(void);

#define CM_TRY(slot, insns)                                                 \
	"	movl $9f, eq_fixup\n	movl $0, eq_fixup + 4\n"           \
	"	movl $-1, eq_vector\n"                                      \
	insns "\n"                                                   \
	"9:	movl $0, eq_fixup\n"                                       \
	"	mov eq_vector, %eax\n	mov %eax, cm_res + " #slot " * 12\n"    \
	"	mov eq_error, %eax\n	mov %eax, cm_res + " #slot " * 12 + 4\n" \
	"	mov $9b, %eax\n	sub eq_fault_rip, %eax\n"                \
	"	mov %eax, cm_res + " #slot " * 12 + 8\n"

asm(".pushsection .text\n"
    ".code64\n"
    ".global cm_run\n"
    "cm_run:\n"
    "	push %rbx\n"
    "	push %rbp\n"
    "	mov %rsp, cm_rsp(%rip)\n"
    "	pushq $0x38\n"
    "	lea 1f(%rip), %rax\n"
    "	push %rax\n"
    "	lretq\n"
    ".code32\n"
    "1:\n"
    CM_TRY(0, "	xor %edx, %edx\n	mov $1, %eax\n	xor %ecx, %ecx\n	div %ecx")
    CM_TRY(1, "	mov $0x7f, %al\n	add $1, %al\n	into")
    CM_TRY(2, "	mov $30, %eax\n	bound %eax, cm_bounds")
    CM_TRY(3, "	ud2")
    CM_TRY(4, "	int3")
    CM_TRY(5, "	mov $0x78, %ax\n	mov %ax, %ds")
    CM_TRY(6, "	lds cm_farptr, %eax")
    CM_TRY(7, "	mov $0x10, %ax\n	mov %ax, %ds\n	mov 0x100000000, %eax")
    "	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	ljmp $0x08, $2f\n"
    ".code64\n"
    "2:	mov cm_rsp(%rip), %rsp\n"
    "	pop %rbp\n"
    "	pop %rbx\n"
    "	ret\n"
    ".popsection\n"
    ".pushsection .data\n"
    ".balign 8\n"
    "cm_bounds: .long 10, 20\n"
    "cm_farptr: .long 0\n .word 0x50\n"           /* EQ_SPARE0: not present */
    ".popsection\n"
    ".pushsection .bss\n"
    ".balign 8\n"
    "cm_rsp: .quad 0\n"
    ".popsection\n");

static void compatibility(void)
{
	static const char *const names[] = {
		"div by 0", "into with OF set", "bound out of range", "ud2", "int3",
		"mov ds, a selector beyond the GDT limit", "lds, a data segment not present",
		"read at 0x100000000 (a 32-bit address: 0)",
	};

	eq_gdt[EQ_SPARE0 / 8] = 0x00CF12000000FFFFul;   /* data, not present */
	cm_run();
	eq_gdt[EQ_SPARE0 / 8] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct cm_result *r = &cm_res[i];

		eq_error = r->error;
		if ((int)r->vector == EQ_NONE)
			eq("compatibility mode: %s => ok", names[i]);
		else
			eq("compatibility mode: %s => %s at end-%u", names[i], eq_fault((int)r->vector),
			   r->back);
	}
}

void eq_main(void)
{
	instructions();
	segments();
	paging();
	fpu();
	idt();
	interrupts();
	cpl3();
	compatibility();
}
