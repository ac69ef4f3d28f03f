/* Unit tests of src/emul/cr.c: MOV to/from CR0, CR3, CR4, CLTS and LMSW
 * on a fake vCPU (fake_arch.c), checked against the SDM's rules (Vol. 2B
 * "MOV—Move to/from Control Registers", Vol. 3A 2.5, 4.1, 4.4.1, 10.8.5). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/platform.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"

#define AR_CODE32 (0xc09bULL)                 /* present, DPL 0, D/B = 1 */
#define AR_CODE64 (0xa09bULL)                 /* present, DPL 0, L = 1 */
#define PDPT_A    0x3000ULL                    /* two PAE PDPTs in guest RAM */
#define PDPT_B    0x4000ULL

static struct vm *vm;
static struct vcpu *v;

static void put64(uint64_t gpa, uint64_t val) { memcpy(fake_ram(vm) + gpa, &val, 8); }

/* 32-bit protected mode, paging off. */
static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1 << 20);
	v = &vm->vcpus[0];
	fake_protected_mode(v);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

/* IA-32e mode, 64-bit code, 4-level paging at CR3 0x10000. */
static void long_mode(void)
{
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_ET | CR0_PG);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	fake_hw_set(v, VREG_CR3, 0x10000);
	fake_hw_set(v, VREG_EFER, EFER_LME | EFER_LMA);
	fake_hw_set(v, VREG_CS_AR, AR_CODE64);
}

/* One VM exit for the access: the request's value is in RAX (RBX for
 * LMSW's operand is in the request), what it set reaches the hardware. */
static enum vmexit_ret cr_exit(uint8_t access, uint8_t cr, uint64_t val)
{
	struct cr_request r = { .access = access, .cr = cr, .gpr = GPR_RBX,
				.lmsw_src = (uint16_t)val };
	enum vmexit_ret ret;

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	v->regs.gpr[GPR_RBX] = val;
	ret = cr_emulate(v, &r);
	fake_entry(v);
	return ret;
}

static enum vmexit_ret mov_to(uint8_t cr, uint64_t val) { return cr_exit(CR_MOV_TO, cr, val); }

/* The control state in the hardware. */
struct snap {
	uint64_t r[VREG_COUNT];
};

static struct snap snap(void)
{
	struct snap s;

	for (int i = 0; i < VREG_COUNT; i++)
		s.r[i] = fake_hw(v, (enum vreg)i);
	return s;
}

static void assert_gp_unchanged(enum vmexit_ret ret, const struct snap *before)
{
	assert_int_equal(ret, VMEXIT_INJECTED);
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, X86_GP);
	assert_true(v->ev.exception.has_error);
	assert_int_equal(v->ev.exception.error, 0);
	for (int i = 0; i < VREG_COUNT; i++)
		assert_int_equal(fake_hw(v, (enum vreg)i), before->r[i]);
}

static void assert_ok(enum vmexit_ret ret)
{
	assert_int_equal(ret, VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
}

/* A write that faults, leaving every register as it was. */
static void expect_gp(uint8_t cr, uint64_t val)
{
	struct snap s = snap();

	assert_gp_unchanged(mov_to(cr, val), &s);
}

static void set_pdpt(uint64_t at, uint64_t e0, uint64_t e1, uint64_t e2, uint64_t e3)
{
	put64(at, e0);
	put64(at + 8, e1);
	put64(at + 16, e2);
	put64(at + 24, e3);
}

static void assert_pdptes(uint64_t e0, uint64_t e1, uint64_t e2, uint64_t e3)
{
	assert_int_equal(fake_hw(v, VREG_PDPTE0), e0);
	assert_int_equal(fake_hw(v, VREG_PDPTE1), e1);
	assert_int_equal(fake_hw(v, VREG_PDPTE2), e2);
	assert_int_equal(fake_hw(v, VREG_PDPTE3), e3);
}

/* ---- CR0 ---- */

static void test_cr0_fixed_and_reserved(void **state)
{
	(void)state;
	/* ET is hard-wired to 1: a write of 0 to it reads back 1. */
	assert_ok(mov_to(0, CR0_PE | CR0_MP | CR0_NE));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_MP | CR0_NE | CR0_ET);
	/* Bits 15:6, 17, 28:19 are reserved: a write of 1 there is ignored
	 * (not #GP: the equivalence guest cr showed bare Bochs does so). */
	assert_ok(mov_to(0, CR0_PE | BIT(6) | BIT(17) | BIT(28)));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_ET);
	/* Outside 64-bit mode the operand is 32 bits: bit 32 is not seen. */
	assert_ok(mov_to(0, BIT(32) | CR0_PE | CR0_WP));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_WP | CR0_ET);
}

static void test_cr0_high_bits_in_64bit_mode(void **state)
{
	(void)state;
	long_mode();
	expect_gp(0, CR0_PE | CR0_ET | CR0_PG | BIT(32));
	expect_gp(0, CR0_PE | CR0_ET | CR0_PG | BIT(63));
	assert_ok(mov_to(0, CR0_PE | CR0_ET | CR0_PG | CR0_WP));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_ET | CR0_PG | CR0_WP);
}

static void test_cr0_combinations(void **state)
{
	(void)state;
	/* PG without PE, NW without CD: #GP. */
	fake_hw_set(v, VREG_CR0, CR0_ET);
	expect_gp(0, CR0_PG);
	expect_gp(0, CR0_PE | CR0_NW);
	assert_ok(mov_to(0, CR0_PE | CR0_CD | CR0_NW));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_CD | CR0_NW | CR0_ET);
	assert_ok(mov_to(0, CR0_PE | CR0_CD));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_CD | CR0_ET);
	/* 32-bit paging: nothing to load, nothing else changes. */
	fake_hw_set(v, VREG_PDPTE0, 0x1234);
	assert_ok(mov_to(0, CR0_PE | CR0_PG));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_PG | CR0_ET);
	assert_int_equal(fake_hw(v, VREG_EFER), 0);
	assert_int_equal(fake_hw(v, VREG_PDPTE0), 0x1234);
}

static void test_clts_lmsw(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_ET | CR0_TS | CR0_MP | CR0_PG | CR0_WP);
	assert_ok(cr_exit(CR_CLTS, 0, 0));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_ET | CR0_MP | CR0_PG | CR0_WP);
	/* LMSW loads MP, EM, TS but cannot clear PE; bits above 3 are not
	 * loaded. */
	assert_ok(cr_exit(CR_LMSW, 0, CR0_TS | CR0_EM | 0xfff0));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_ET | CR0_EM | CR0_TS | CR0_PG | CR0_WP);
	/* It can set PE. */
	fake_hw_set(v, VREG_CR0, CR0_ET);
	assert_ok(cr_exit(CR_LMSW, 0, CR0_PE));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_ET);
}

static void test_mov_from_cr(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_CR4, CR4_PSE | CR4_PGE);
	assert_ok(cr_exit(CR_MOV_FROM, 4, 0));
	assert_int_equal(v->regs.gpr[GPR_RBX], CR4_PSE | CR4_PGE);
	long_mode();
	fake_hw_set(v, VREG_CR3, 0x12345678000ULL);
	assert_ok(cr_exit(CR_MOV_FROM, 3, 0));
	assert_int_equal(v->regs.gpr[GPR_RBX], 0x12345678000ULL);
	/* Compatibility mode: 32 bits. */
	fake_hw_set(v, VREG_CS_AR, AR_CODE32);
	assert_ok(cr_exit(CR_MOV_FROM, 3, 0));
	assert_int_equal(v->regs.gpr[GPR_RBX], 0x45678000ULL);
}

/* ---- CR4 ---- */

static void test_cr4_reserved_and_owned(void **state)
{
	(void)state;
	/* VMXE is the hypervisor's (VMX fixes it to 1 in the real CR4; the
	 * guest cannot have it) and bits the CPU lacks are reserved. */
	expect_gp(4, CR4_VMXE);
	expect_gp(4, CR4_LA57);
	expect_gp(4, BIT(22));
	assert_ok(mov_to(4, CR4_PSE | CR4_PGE | CR4_OSXSAVE));
	assert_int_equal(fake_hw(v, VREG_CR4), CR4_PSE | CR4_PGE | CR4_OSXSAVE);
}

static void test_cr4_in_ia32e_mode(void **state)
{
	(void)state;
	long_mode();
	v->feat.cr4_valid |= CR4_LA57;
	/* Bits 63:32 are reserved. */
	expect_gp(4, CR4_PAE | BIT(32));
	/* IA-32e mode keeps PAE and its paging depth. */
	expect_gp(4, 0);
	expect_gp(4, CR4_PAE | CR4_LA57);
	/* PCIDE needs PCID 0 in CR3... */
	fake_hw_set(v, VREG_CR3, 0x10001);
	expect_gp(4, CR4_PAE | CR4_PCIDE);
	fake_hw_set(v, VREG_CR3, 0x10000);
	assert_ok(mov_to(4, CR4_PAE | CR4_PCIDE));
	assert_int_equal(fake_hw(v, VREG_CR4), CR4_PAE | CR4_PCIDE);
}

static void test_cr4_pcide_outside_ia32e_mode(void **state)
{
	(void)state;
	/* ... and IA-32e mode (SDM Vol. 3A 4.10.1). */
	expect_gp(4, CR4_PCIDE);
	fake_hw_set(v, VREG_EFER, EFER_LME);
	expect_gp(4, CR4_PAE | CR4_PCIDE);
}

/* ---- CR3 ---- */

static void test_cr3_in_ia32e_mode(void **state)
{
	(void)state;
	long_mode();
	/* Bits from MAXPHYADDR (39 in the fake) up are reserved. */
	expect_gp(3, BIT(39) | 0x20000);
	/* Bit 63 is reserved without PCIDs... */
	expect_gp(3, BIT(63) | 0x20000);
	/* ... and with them asks not to flush; it is not stored. */
	fake_hw_set(v, VREG_CR4, CR4_PAE | CR4_PCIDE);
	assert_ok(mov_to(3, BIT(63) | 0x20005));
	assert_int_equal(fake_hw(v, VREG_CR3), 0x20005);
	assert_ok(mov_to(3, 0x7f00001000ULL));
	assert_int_equal(fake_hw(v, VREG_CR3), 0x7f00001000ULL);
}

/* ---- PAE paging's PDPTEs ---- */

static void pae_paging_on(void)
{
	set_pdpt(PDPT_A, 0x5001, 0, 0x6001, 0x7000 | BIT(1)); /* not present: not checked */
	fake_hw_set(v, VREG_CR3, PDPT_A);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	assert_ok(mov_to(0, CR0_PE | CR0_PG));
	assert_pdptes(0x5001, 0, 0x6001, 0x7000 | BIT(1));
}

static void test_pae_pdptes_loaded(void **state)
{
	(void)state;
	pae_paging_on();
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_PG | CR0_ET);
	/* MOV to CR3 loads from its new PDPT; CR3 bits 4:0 are not address. */
	set_pdpt(PDPT_B, 0x8001, 0x9001, 0, 0xa001);
	assert_ok(mov_to(3, PDPT_B | 0x18));
	assert_int_equal(fake_hw(v, VREG_CR3), PDPT_B | 0x18);
	assert_pdptes(0x8001, 0x9001, 0, 0xa001);
}

static void test_pae_pdpte_reserved_bits(void **state)
{
	static const uint64_t bad[] = { BIT(1), BIT(2), BIT(5), BIT(6), BIT(7), BIT(8), BIT(39),
					BIT(63) };

	(void)state;
	pae_paging_on();
	/* A present PDPTE with a reserved bit: #GP, and neither CR3 nor any
	 * PDPTE register changes. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_pdpt(PDPT_B, 0x8001, 0x9001, 0xa001 | bad[i], 0);
		expect_gp(3, PDPT_B);
	}
	/* Bits 11:9 (ignored) and 4:3 (PWT, PCD) are not reserved. */
	set_pdpt(PDPT_B, 0x8001 | 0xe00 | 0x18, 0, 0, 0);
	assert_ok(mov_to(3, PDPT_B));
	assert_pdptes(0x8001 | 0xe00 | 0x18, 0, 0, 0);
}

static void test_pae_failed_cr0_write_commits_nothing(void **state)
{
	struct snap s;

	(void)state;
	set_pdpt(PDPT_A, 0x5001, 0x6001 | BIT(5), 0, 0);
	fake_hw_set(v, VREG_CR3, PDPT_A);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	fake_hw_set(v, VREG_PDPTE0, 0x1111);
	s = snap();
	assert_gp_unchanged(mov_to(0, CR0_PE | CR0_PG), &s);
	assert_int_equal(fake_hw(v, VREG_PDPTE0), 0x1111);
	/* PAE enabled in CR4 with paging on: loaded and checked as well. */
	fake_hw_set(v, VREG_CR4, 0);
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_PG | CR0_ET);
	expect_gp(4, CR4_PAE);
	put64(PDPT_A + 8, 0x6001);
	assert_ok(mov_to(4, CR4_PAE));
	assert_pdptes(0x5001, 0x6001, 0, 0);
}

static void test_pae_pdpt_outside_ram(void **state)
{
	(void)state;
	pae_paging_on();
	expect_gp(3, 0x7ffff000); /* no RAM there to load from */
}

/* SDM Vol. 3A 4.4.1: MOV to CR0 or CR4 loads the PDPTEs only when it
 * changes CR0.CD, NW or PG, or CR4.PAE, PGE, PSE or SMEP. */
static void test_pae_pdptes_reloaded_only_on_listed_bits(void **state)
{
	(void)state;
	pae_paging_on();
	/* The guest changes its PDPT in memory (even to an entry the CPU
	 * would refuse) without reloading. */
	set_pdpt(PDPT_A, 0x5001 | BIT(7), 0, 0, 0);
	assert_ok(cr_exit(CR_CLTS, 0, 0));
	assert_ok(mov_to(0, CR0_PE | CR0_PG | CR0_TS | CR0_MP | CR0_WP));
	assert_ok(cr_exit(CR_LMSW, 0, CR0_PE | CR0_EM));
	assert_ok(mov_to(4, CR4_PAE | CR4_OSXSAVE));
	assert_pdptes(0x5001, 0, 0x6001, 0x7000 | BIT(1));
	assert_int_equal(fake_hw(v, VREG_CR4), CR4_PAE | CR4_OSXSAVE);
	/* Those bits reload, and fault on the bad entry. */
	expect_gp(4, CR4_PAE | CR4_OSXSAVE | CR4_PGE);
	expect_gp(4, CR4_PAE | CR4_OSXSAVE | CR4_PSE);
	expect_gp(4, CR4_PAE | CR4_OSXSAVE | BIT(20)); /* SMEP */
	expect_gp(0, CR0_PE | CR0_PG | CR0_CD);
	set_pdpt(PDPT_A, 0x5001, 0xb001, 0, 0);
	assert_ok(mov_to(4, CR4_PAE | CR4_OSXSAVE | CR4_PGE));
	assert_pdptes(0x5001, 0xb001, 0, 0);
	set_pdpt(PDPT_A, 0xc001, 0, 0, 0);
	assert_ok(mov_to(0, CR0_PE | CR0_PG | CR0_CD));
	assert_pdptes(0xc001, 0, 0, 0);
}

/* ---- IA-32e mode activation and deactivation ---- */

static void test_ia32e_activation(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_EFER, EFER_LME);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	fake_hw_set(v, VREG_CR3, 0x10000);
	fake_hw_set(v, VREG_PDPTE0, 0x1111);
	put64(0x10000, BIT(7) | 1); /* a PML4E, not a PDPTE: never checked as one */
	/* Without PAE: #GP (SDM Vol. 3A 10.8.5). */
	fake_hw_set(v, VREG_CR4, 0);
	expect_gp(0, CR0_PE | CR0_PG);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	assert_ok(mov_to(0, CR0_PE | CR0_PG));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_PG | CR0_ET);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME | EFER_LMA);
	assert_int_equal(fake_hw(v, VREG_PDPTE0), 0x1111);
}

/* SDM Vol. 2B MOV to CR0: #GP(0) "if an attempt is made to activate
 * IA-32e mode and the current CS has the L bit set". */
static void test_ia32e_activation_with_cs_l(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_EFER, EFER_LME);
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	fake_hw_set(v, VREG_CR3, 0x10000);
	fake_hw_set(v, VREG_CS_AR, AR_CODE64);
	expect_gp(0, CR0_PE | CR0_PG);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME);
	/* Without LME, CS.L does not matter. */
	fake_hw_set(v, VREG_EFER, 0);
	set_pdpt(0x10000, 0, 0, 0, 0);
	assert_ok(mov_to(0, CR0_PE | CR0_PG));
	assert_int_equal(fake_hw(v, VREG_EFER), 0);
}

static void test_ia32e_deactivation(void **state)
{
	(void)state;
	long_mode();
	/* Not from 64-bit code. */
	expect_gp(0, CR0_PE | CR0_ET);
	/* Not with PCIDs on, even in compatibility mode. */
	fake_hw_set(v, VREG_CS_AR, AR_CODE32);
	fake_hw_set(v, VREG_CR4, CR4_PAE | CR4_PCIDE);
	expect_gp(0, CR0_PE | CR0_ET);
	/* From compatibility mode: paging and IA-32e mode go off. */
	fake_hw_set(v, VREG_CR4, CR4_PAE);
	assert_ok(mov_to(0, CR0_PE | CR0_ET));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_ET);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME);
}

static void test_pg_clear_with_pcide(void **state)
{
	(void)state;
	/* SDM Vol. 2B MOV to CR0: #GP(0) on clearing PG while CR4.PCIDE = 1. */
	long_mode();
	fake_hw_set(v, VREG_CR4, CR4_PAE | CR4_PCIDE);
	fake_hw_set(v, VREG_CS_AR, AR_CODE32);
	expect_gp(0, CR0_PE);
	/* Other CR0 changes are fine. */
	assert_ok(mov_to(0, CR0_PE | CR0_PG | CR0_WP));
	assert_int_equal(fake_hw(v, VREG_CR0), CR0_PE | CR0_PG | CR0_WP | CR0_ET);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME | EFER_LMA);
}

/* CR8 exits (CR8-load and CR8-store exiting): it is the virtual local
 * APIC's TPR[7:4], never the CPU's (SDM Vol. 3A 11.8.6); bits 63:4 are
 * reserved (#GP).  A lower TPR may make an interrupt deliverable. */
static void test_cr8_is_the_virtual_tpr(void **state)
{
	uint64_t val;

	(void)state;
	fake_platform(vm);
	long_mode();
	assert_ok(mov_to(8, 0xa));
	assert_int_equal(platform_cr8_read(&vm->vcpus[0]), 0xa);
	assert_true(v->req & VCPU_REQ_EVENTS);
	assert_ok(cr_exit(CR_MOV_FROM, 8, 0));
	val = v->regs.gpr[GPR_RBX];
	assert_int_equal(val, 0xa);
	expect_gp(8, 0x10);
	assert_int_equal(platform_cr8_read(&vm->vcpus[0]), 0xa);
	assert_ok(mov_to(8, 0));
	assert_int_equal(platform_cr8_read(&vm->vcpus[0]), 0);
}

/* XSETBV's rules (SDM Vol. 1 13.3, Vol. 2C XSETBV): checked before the
 * value reaches the CPU, where a bad one would fault in the hypervisor. */
static void test_xcr0_rules(void **state)
{
	const uint64_t all = 0x600ffULL; /* x87..AVX-512 and the AMX pair, no PKRU */

	(void)state;
	assert_true(xcr0_valid(0x1, all));
	assert_true(xcr0_valid(0x3, all));
	assert_true(xcr0_valid(0x7, all));
	assert_true(xcr0_valid(0xe7, all));
	assert_true(xcr0_valid(0x1f, all));
	assert_true(xcr0_valid(0x60003, all));
	assert_false(xcr0_valid(0x0, all));        /* x87 is always on */
	assert_false(xcr0_valid(0x2, all));
	assert_false(xcr0_valid(0x5, all));        /* AVX without SSE */
	assert_false(xcr0_valid(0xb, all));        /* BNDREGS without BNDCSR */
	assert_false(xcr0_valid(0x13, all));       /* BNDCSR without BNDREGS */
	assert_false(xcr0_valid(0x67, all));       /* part of the AVX-512 triple */
	assert_false(xcr0_valid(0xe3, all));       /* AVX-512 without AVX */
	assert_false(xcr0_valid(0x20003, all));    /* TILECFG without TILEDATA */
	assert_false(xcr0_valid(0x40003, all));    /* TILEDATA without TILECFG */
	assert_false(xcr0_valid(0x7, 0x3));        /* a component the CPU lacks */
	assert_false(xcr0_valid(0x203, all));      /* PKRU, not in this CPU's set */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cr0_fixed_and_reserved),
		T(test_cr0_high_bits_in_64bit_mode),
		T(test_cr0_combinations),
		T(test_clts_lmsw),
		T(test_mov_from_cr),
		T(test_cr4_reserved_and_owned),
		T(test_cr4_in_ia32e_mode),
		T(test_cr4_pcide_outside_ia32e_mode),
		T(test_cr3_in_ia32e_mode),
		T(test_pae_pdptes_loaded),
		T(test_pae_pdpte_reserved_bits),
		T(test_pae_failed_cr0_write_commits_nothing),
		T(test_pae_pdpt_outside_ram),
		T(test_pae_pdptes_reloaded_only_on_listed_bits),
		T(test_ia32e_activation),
		T(test_ia32e_activation_with_cs_l),
		T(test_ia32e_deactivation),
		T(test_pg_clear_with_pcide),
		T(test_cr8_is_the_virtual_tpr),
		T(test_xcr0_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
