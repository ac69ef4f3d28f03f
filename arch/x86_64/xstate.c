/* The guest's extended, debug and TPR state (arch/xstate.h).
 *
 * With XSAVE the whole image of every user state component the CPU has
 * (CPUID.(EAX=0DH,ECX=0):EDX:EAX) is saved and restored, with XCR0 set to
 * all of them meanwhile: a guest may have changed a component its own
 * XCR0 leaves out (PKRU through WRPKRU needs only CR4.PKE), and what is
 * not restored would leak into the next vCPU.  Without XSAVE, FXSAVE
 * covers x87, MXCSR and the XMM registers (CR4.OSFXSR is on in the host
 * for that, SDM Vol. 2A FXSAVE). */
#include <arch/cpu.h>
#include <arch/xstate.h>
#include <hv/errno.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/string.h>
#include <hv/x86.h>

#define FXSAVE_SIZE      512
#define FX_FCW           0        /* x87 control word */
#define FX_MXCSR         24
#define FCW_RESET        0x037f   /* SDM Vol. 3A table 9-1, after FINIT */
#define MXCSR_RESET      0x1f80   /* all exceptions masked */
#define XCR0_X87         1
#define XCR0_SSE         2
#define XCR0_AVX         4
#define CPUID_D1_XSAVEC  (1u << 1)  /* CPUID.(EAX=0DH,ECX=1):EAX */
#define XSAVE_EXT_START  576        /* the first component past the header */
#define YMM_HIGH_BYTES   16         /* YMM0's upper half */

static bool use_xsave;
static bool xsavec_sound;
static uint64_t all_components;   /* what XCR0 may hold on this CPU */
static uint64_t area_size;

/* In the compacted format the first extended component starts right
 * after the header, at 576 (SDM Vol. 1 13.4.3); Bochs 2.7's XSAVEC starts
 * it at 416 while its XRSTOR reads it at 576, so each save and restore of
 * a guest's state by XSAVEC (Linux's, at every task switch) would move
 * the AVX and AVX-512 registers by 160 bytes.  Tried once: with YMM0 all
 * ones, XSAVEC of x87|SSE|AVX must put YMM0's upper half at 576.  A CPU
 * without AVX has no component to misplace there. */
static bool probe_xsavec(void)
{
	static uint8_t area[1024] __attribute__((aligned(64)));
	struct cpuid_regs r;
	bool sound = true;

	cpuid(0xd, 1, &r);
	if (!(r.eax & CPUID_D1_XSAVEC))
		return false;
	if (!(all_components & XCR0_AVX))
		return true;
	memset(area, 0, sizeof(area));
	xsetbv(0, XCR0_X87 | XCR0_SSE | XCR0_AVX);
	__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
			 "xsavec64 (%0)\n\t"
			 "vpxor %%xmm0, %%xmm0, %%xmm0"
			 : : "r"(area), "a"(XCR0_X87 | XCR0_SSE | XCR0_AVX), "d"(0) : "memory");
	xsetbv(0, XCR0_X87);
	for (unsigned i = 0; i < YMM_HIGH_BYTES; i++)
		sound = sound && area[XSAVE_EXT_START + i] == 0xff;
	if (!sound)
		pr_warn("CPU: XSAVEC stores the compacted format where XRSTOR does not read it: "
			"hidden from guests");
	return sound;
}

bool xstate_xsavec_sound(void)
{
	return xsavec_sound;
}

void xstate_probe(void)
{
	struct cpuid_regs r;

	use_xsave = read_cr4() & CR4_OSXSAVE;
	area_size = FXSAVE_SIZE;
	if (!use_xsave)
		return;
	cpuid(0xd, 0, &r);
	all_components = ((uint64_t)r.edx << 32) | r.eax;
	area_size = r.ecx; /* the size for every component XCR0 may enable */
	xsavec_sound = probe_xsavec();
}

/* A zeroed image is the reset state but for the two words XRSTOR and
 * FXRSTOR always take from it; an XSAVE header of zeros (XSTATE_BV = 0)
 * puts every other component in its initial configuration (SDM Vol. 1
 * 13.8.1). */
int xstate_init(struct xstate *s)
{
	uint8_t *p;
	int rc;

	memset(s, 0, sizeof(*s));
	s->area_pages = (area_size + PAGE_SIZE - 1) / PAGE_SIZE;
	rc = page_alloc(s->area_pages, PAGE_SIZE, &s->area);
	if (rc)
		return rc;
	p = phys_to_virt(s->area);
	memset(p, 0, s->area_pages * PAGE_SIZE);
	*(uint16_t *)(p + FX_FCW) = FCW_RESET;
	*(uint32_t *)(p + FX_MXCSR) = MXCSR_RESET;
	s->dr6 = DR6_RESET;
	return 0;
}

void xstate_free(struct xstate *s)
{
	if (s->area)
		page_free(s->area, s->area_pages);
	s->area = 0;
}

static void write_debug(const uint64_t dr[4], uint64_t dr6)
{
	write_dr0(dr[0]);
	write_dr1(dr[1]);
	write_dr2(dr[2]);
	write_dr3(dr[3]);
	write_dr6(dr6);
}

void xstate_load(const struct xstate *s, uint64_t xcr0)
{
	void *p = phys_to_virt(s->area);

	if (use_xsave) {
		xsetbv(0, all_components);
		__asm__ volatile("xrstor64 (%0)" : : "r"(p), "a"(-1), "d"(-1) : "memory");
		xsetbv(0, xcr0);
	} else {
		__asm__ volatile("fxrstor64 (%0)" : : "r"(p) : "memory");
	}
	write_debug(s->dr, s->dr6);
	__asm__ volatile("mov %0, %%cr8" : : "r"(s->cr8));
}

void xstate_save(struct xstate *s)
{
	static const uint64_t clear[4];
	void *p = phys_to_virt(s->area);

	if (use_xsave) {
		xsetbv(0, all_components);
		__asm__ volatile("xsave64 (%0)" : : "r"(p), "a"(-1), "d"(-1) : "memory");
		xsetbv(0, XCR0_X87);
	} else {
		__asm__ volatile("fxsave64 (%0)" : : "r"(p) : "memory");
	}
	s->dr[0] = read_dr0();
	s->dr[1] = read_dr1();
	s->dr[2] = read_dr2();
	s->dr[3] = read_dr3();
	s->dr6 = read_dr6();
	__asm__ volatile("mov %%cr8, %0" : "=r"(s->cr8));
	write_debug(clear, DR6_RESET);
	__asm__ volatile("mov %0, %%cr8" : : "r"(0ULL));
}
