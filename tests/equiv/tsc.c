/* tests/equiv/tsc.c: the time-stamp counter and the XSAVE state.
 *
 * TSC (SDM Vol. 3B 19.17): writes to IA32_TSC set it and move
 * IA32_TSC_ADJUST by as much; writes to IA32_TSC_ADJUST move the TSC;
 * RDTSCP returns IA32_TSC_AUX.  The TSC's own value depends on when it is
 * read (on Bochs it counts instructions, and a VM exit adds some), so the
 * transcript says whether each value is where the SDM puts it, within a
 * margin, not the value.
 *
 * XSAVE (SDM Vol. 1 13): which XCR0 values XSETBV takes, and that XSAVE,
 * XSAVEOPT, XSAVEC and XSAVES with XRSTOR(S) carry every enabled
 * component's registers there and back. */
#include "equiv.h"

const char eq_area[] = "tsc";

#define TSC 0x10
#define TSC_ADJUST 0x3b
#define TSC_AUX 0xc0000103
#define XSS 0xda0
#define MARGIN (1ull << 24)     /* instructions between two reads, generously */

static const char *within(uint64_t v, uint64_t lo)
{
	return v >= lo && v - lo < MARGIN ? "yes" : "no";
}

static void tsc(void)
{
	uint64_t a = rdtsc(), b = rdtsc(), m, adj0, adj1, t0, t1, target;
	struct eq_cpuid ext = cpuid(0x80000001, 0);
	uint32_t aux;

	eq("rdtsc twice: the second is larger => %s", b > a ? "yes" : "no");
	m = rdmsr(TSC);
	eq("rdmsr TSC is within the margin after rdtsc => %s", within(m, b));

	adj0 = rdmsr(TSC_ADJUST);
	t0 = rdtsc();
	target = 1ull << 40;
	eq("wrmsr TSC <- 2^40 => %s", eq_fault(wrmsr_safe(TSC, target)));
	t1 = rdtsc();
	adj1 = rdmsr(TSC_ADJUST);
	eq("  rdtsc is within the margin after 2^40 => %s", within(t1, target));
	/* The adjustment moved by the write's step, target - (TSC then): a
	 * little less than target - t0 (SDM Vol. 3B 19.17.3). */
	eq("  TSC_ADJUST moved by 2^40 - TSC, within the margin => %s",
	   within(target - t0, adj1 - adj0));

	t0 = rdtsc();
	eq("wrmsr TSC_ADJUST <- itself + 2^32 => %s", eq_fault(wrmsr_safe(TSC_ADJUST, adj1 + (1ull << 32))));
	t1 = rdtsc();
	eq("  rdtsc moved by 2^32, within the margin => %s", within(t1, t0 + (1ull << 32)));
	eq("  rdmsr TSC_ADJUST => %s", rdmsr(TSC_ADJUST) == adj1 + (1ull << 32) ? "itself + 2^32" : "other");

	target = 0xffffffff00000000ull;
	eq("wrmsr TSC <- 0xffffffff00000000 => %s", eq_fault(wrmsr_safe(TSC, target)));
	eq("  rdtsc is within the margin after it => %s", within(rdtsc(), target));
	eq("wrmsr TSC_ADJUST <- 0 => %s", eq_fault(wrmsr_safe(TSC_ADJUST, 0)));

	eq("CPUID.80000001H:EDX => RDTSCP %u", ext.d >> 27 & 1);
	eq("wrmsr TSC_AUX <- 0x2a => %s", eq_fault(wrmsr_safe(TSC_AUX, 0x2a)));
	aux = 0;
	int vec = EQ_TRY("rdtscp", : "=c"(aux) : : "rax", "rdx", "memory");
	eq("rdtscp => %s, ECX %#x", eq_fault(vec), vec == EQ_NONE ? aux : 0);
	wrmsr_safe(TSC_AUX, 0);
}

/* ---- XSAVE ---------------------------------------------------------------- */

#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_OSXSAVE (1u << 18)
#define XSAVE_AREA 8192

static uint8_t area[2][XSAVE_AREA] __attribute__((aligned(64)));
static uint8_t pattern[16 * 32] __attribute__((aligned(32)));

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

/* The x87, SSE and (with AVX) the YMM registers set to the pattern. */
static void load_registers(bool avx)
{
	asm volatile("fninit; fld1; fldpi; fldl2t" : : : "memory");
	if (avx)
		asm volatile("vmovdqu 0(%0), %%ymm0; vmovdqu 32(%0), %%ymm1; vmovdqu 64(%0), %%ymm2;"
			     "vmovdqu 96(%0), %%ymm3; vmovdqu 128(%0), %%ymm4; vmovdqu 160(%0), %%ymm5;"
			     "vmovdqu 192(%0), %%ymm6; vmovdqu 224(%0), %%ymm7; vmovdqu 256(%0), %%ymm8;"
			     "vmovdqu 288(%0), %%ymm9; vmovdqu 320(%0), %%ymm10; vmovdqu 352(%0), %%ymm11;"
			     "vmovdqu 384(%0), %%ymm12; vmovdqu 416(%0), %%ymm13; vmovdqu 448(%0), %%ymm14;"
			     "vmovdqu 480(%0), %%ymm15" : : "r"(pattern) : "memory");
	else
		asm volatile("movdqu 0(%0), %%xmm0; movdqu 32(%0), %%xmm1; movdqu 64(%0), %%xmm2;"
			     "movdqu 96(%0), %%xmm3; movdqu 128(%0), %%xmm4; movdqu 160(%0), %%xmm5;"
			     "movdqu 192(%0), %%xmm6; movdqu 224(%0), %%xmm7; movdqu 256(%0), %%xmm8;"
			     "movdqu 288(%0), %%xmm9; movdqu 320(%0), %%xmm10; movdqu 352(%0), %%xmm11;"
			     "movdqu 384(%0), %%xmm12; movdqu 416(%0), %%xmm13; movdqu 448(%0), %%xmm14;"
			     "movdqu 480(%0), %%xmm15" : : "r"(pattern) : "memory");
}

static void clear_registers(bool avx)
{
	asm volatile("fninit" : : : "memory");
	if (avx)
		asm volatile("vzeroall" : : : "memory");
	else
		asm volatile("pxor %%xmm0, %%xmm0; pxor %%xmm1, %%xmm1; pxor %%xmm8, %%xmm8;"
			     "pxor %%xmm15, %%xmm15" : : : "memory");
}

#define XSAVE_INSN(insn, buf, mask)                                                       \
	EQ_TRY(insn " (%0)", : : "r"(buf), "a"((uint32_t)(mask)), "d"((uint32_t)((mask) >> 32)) \
	       : "memory")

/* What an XSAVE image holds of the registers: the legacy region but the
 * x87 instruction and data pointers (bytes 8-23: where the last x87
 * instruction was, the same in both runs but not across the library's
 * code paths), and the AVX region. */
static void show_image(const char *trip, const char *what, const uint8_t *img, unsigned avx_off,
		       bool avx)
{
	eq("  %s: %s image: FCW, MXCSR, x87 and XMM registers => %#x %#x hash %#x", trip, what,
	   *(const uint16_t *)img, *(const uint32_t *)(img + 24), fnv(img + 32, 160 + 256));
	eq("  %s: %s image: XSTATE_BV XCOMP_BV => %#lx %#lx", trip, what, *(const uint64_t *)(img + 512),
	   *(const uint64_t *)(img + 520));
	if (avx)
		eq("  %s: %s image: upper YMM halves => hash %#x", trip, what, fnv(img + avx_off, 256));
}

enum save { XSAVE, XSAVEOPT, XSAVEC, XSAVES };

static int save_with(enum save how, void *buf, uint64_t mask)
{
	switch (how) {
	case XSAVE:
		return XSAVE_INSN("xsave", buf, mask);
	case XSAVEOPT:
		return XSAVE_INSN("xsaveopt", buf, mask);
	case XSAVEC:
		return XSAVE_INSN("xsavec", buf, mask);
	default:
		return XSAVE_INSN("xsaves", buf, mask);
	}
}

/* Save the pattern with HOW, clear the registers, restore them (XRSTORS
 * for XSAVES' image, XRSTOR for the others, which reads the compacted
 * form too), and save them again with XSAVE: both images must hold the
 * pattern. */
static void round_trip(enum save how, uint64_t xcr0, bool avx, unsigned avx_off)
{
	static const char *const names[] = { "xsave", "xsaveopt", "xsavec", "xsaves" };
	/* The compacted form puts AVX right after the header when the
	 * components below it are x87 and SSE only (SDM Vol. 1 13.4.3). */
	bool compact = how == XSAVEC || how == XSAVES;
	int vec;

	memset(area[0], 0, XSAVE_AREA);
	memset(area[1], 0, XSAVE_AREA);
	load_registers(avx);
	vec = save_with(how, area[0], xcr0);
	eq("%s with XCR0 %#lx => %s", names[how], xcr0, eq_fault(vec));
	if (vec != EQ_NONE)
		return;
	show_image(names[how], names[how], area[0], compact ? 576 : avx_off, avx);
	clear_registers(avx);
	if (how == XSAVES)
		vec = XSAVE_INSN("xrstors", area[0], xcr0);
	else
		vec = XSAVE_INSN("xrstor", area[0], xcr0);
	eq("  %s: %s of its image => %s", names[how], how == XSAVES ? "xrstors" : "xrstor",
	   eq_fault(vec));
	vec = XSAVE_INSN("xsave", area[1], xcr0);
	eq("  %s: xsave after the restore => %s", names[how], eq_fault(vec));
	show_image(names[how], "restored", area[1], avx_off, avx);
}

static void xsave(void)
{
	struct eq_cpuid one = cpuid(1, 0), d0, d1, d2;
	bool avx;
	unsigned avx_off;
	uint64_t supported, xcr0;

	eq("CPUID.1:ECX => XSAVE %u AVX %u", one.c >> 26 & 1, one.c >> 28 & 1);
	if (!(one.c & 1u << 26))
		return;
	d0 = cpuid(0xd, 0);
	d1 = cpuid(0xd, 1);
	d2 = cpuid(0xd, 2);
	eq("CPUID.(0DH,0) => EAX %#x EDX %#x ECX %#x", d0.a, d0.d, d0.c);
	eq("CPUID.(0DH,1) => EAX %#x", d1.a);
	eq("CPUID.(0DH,2) => EAX %#x EBX %#x", d2.a, d2.b);
	supported = (uint64_t)d0.d << 32 | d0.a;
	avx = supported & 4 && one.c & 1u << 28;
	avx_off = d2.b;

	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	eq("xgetbv before CR4.OSXSAVE => %s", eq_fault(EQ_TRY("xgetbv", : : "c"(0) : "rax", "rdx", "memory")));
	write_cr4(read_cr4() | CR4_OSXSAVE);
	eq("xgetbv XCR0 => %#lx", xgetbv(0));

	static const uint64_t tries[] = { 1, 0, 2, 3, 5, 7, 1ull << 9 | 3, 1ull << 63 | 3 };
	for (unsigned i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		eq("xsetbv XCR0 <- %#lx => %s", tries[i], eq_fault(xsetbv_safe(0, tries[i])));
		eq("  xgetbv XCR0 after xsetbv %#lx => %#lx", tries[i], xgetbv(0));
	}
	eq("xsetbv XCR1 <- 0 => %s", eq_fault(xsetbv_safe(1, 0)));
	int vec = EQ_TRY("xgetbv", : : "c"(1) : "rax", "rdx", "memory");
	eq("xgetbv XCR1 => %s", eq_fault(vec));

	xcr0 = supported & (avx ? 7 : 3);
	xsetbv_safe(0, xcr0);
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 1);
	round_trip(XSAVE, xcr0, avx, avx_off);
	round_trip(XSAVEOPT, xcr0, avx, avx_off);
	round_trip(XSAVEC, xcr0, avx, avx_off);
	eq("wrmsr XSS <- 0 => %s", eq_fault(wrmsr_safe(XSS, 0)));
	round_trip(XSAVES, xcr0, avx, avx_off);
}

void eq_main(void)
{
	tsc();
	xsave();
}
