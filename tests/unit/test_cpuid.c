/* Unit tests of src/emul/cpuid.c: what a guest's CPUID returns, the fake
 * host's answers (fake_cpuid_set) filtered, on a fake vCPU (fake_arch.c).
 * The fake host's highest basic leaf is 0xd (fake_vm()). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	fake_cpuid_clear();
	vm = fake_vm(2 << 20);
	v = &vm->vcpus[0];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

/* One CPUID exit: the guest's EAX and ECX in, EAX..EDX out.  The high
 * halves of the registers hold junk that CPUID must clear. */
static struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	uint64_t *r = v->regs.gpr;

	fake_exit(v);
	r[GPR_RAX] = 0xdead000000000000ULL | leaf;
	r[GPR_RCX] = 0xdead000000000000ULL | subleaf;
	r[GPR_RBX] = r[GPR_RDX] = 0xdeaddeaddeaddeadULL;
	assert_int_equal(cpuid_emulate(v), VMEXIT_NEXT);
	assert_true(r[GPR_RAX] <= UINT32_MAX && r[GPR_RBX] <= UINT32_MAX);
	assert_true(r[GPR_RCX] <= UINT32_MAX && r[GPR_RDX] <= UINT32_MAX);
	return (struct cpuid_regs){ (uint32_t)r[GPR_RAX], (uint32_t)r[GPR_RBX], (uint32_t)r[GPR_RCX],
				    (uint32_t)r[GPR_RDX] };
}

static void assert_regs(struct cpuid_regs r, uint32_t eax, uint32_t ebx, uint32_t ecx,
			uint32_t edx)
{
	assert_int_equal(r.eax, eax);
	assert_int_equal(r.ebx, ebx);
	assert_int_equal(r.ecx, ecx);
	assert_int_equal(r.edx, edx);
}

/* Leaf 0: the vendor passes through; the maximum is raised to 0x15 for
 * the TSC leaf. */
static void test_leaf0(void **state)
{
	(void)state;
	fake_cpuid_set(0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
	assert_regs(cpuid(0, 0), 0x15, 0x756e6547, 0x6c65746e, 0x49656e69);
	/* A host with more leaves keeps its maximum. */
	v->feat.host_max_leaf = 0x1f;
	fake_cpuid_set(0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69);
	assert_int_equal(cpuid(0, 0).eax, 0x1f);
}

/* Leaf 1 on a host with every feature: what the guest may not use is
 * hidden, the hypervisor bit forced on. */
static void test_leaf1_features(void **state)
{
	struct cpuid_regs r;

	(void)state;
	fake_cpuid_set(1, 0, 0x000906ea, 0xff0f0800, 0xffffffff, 0xffffffff);
	fake_hw_set(v, VREG_CR4, 0);
	r = cpuid(1, 0);
	assert_int_equal(r.eax, 0x000906ea);
	/* MONITOR, DS-CPL, VMX, SMX, EST, TM2, PDCM, x2APIC, TSC deadline,
	 * OSXSAVE (CR4 is 0) hidden; hypervisor (31) stays on. */
	assert_int_equal(r.ecx, 0xffffffffu & ~0x092081f8u);
	/* MCE, APIC (no platform), MCA, DS, ACPI, TM, PBE hidden; MTRR
	 * stays (virtual MTRRs). */
	assert_int_equal(r.edx, 0xffffffffu & ~0xa0604280u);

	fake_cpuid_set(1, 0, 0x000906ea, 0, 0, 0);
	assert_int_equal(cpuid(1, 0).ecx, BIT(31));
}

/* CPUID.1:ECX.OSXSAVE[27] is the guest's CR4.OSXSAVE, not the host's. */
static void test_leaf1_osxsave_mirrors_cr4(void **state)
{
	(void)state;
	fake_cpuid_set(1, 0, 0, 0, BIT(26) | BIT(27), 0);
	fake_hw_set(v, VREG_CR4, 0);
	assert_int_equal(cpuid(1, 0).ecx, BIT(31) | BIT(26));
	fake_hw_set(v, VREG_CR4, CR4_OSXSAVE);
	assert_int_equal(cpuid(1, 0).ecx, BIT(31) | BIT(27) | BIT(26));
	/* Even on a host that does not report it. */
	fake_cpuid_set(1, 0, 0, 0, BIT(26), 0);
	assert_int_equal(cpuid(1, 0).ecx, BIT(31) | BIT(27) | BIT(26));
	/* Read through the register cache, once. */
	assert_int_equal(fake_hw_reads(v, VREG_CR4), 1);
}

/* EBX: the brand index and CLFLUSH size pass; one logical processor,
 * initial APIC ID = the vCPU's id. */
static void test_leaf1_apic_id(void **state)
{
	(void)state;
	fake_cpuid_set(1, 0, 0, 0x17103456, 0, 0);
	assert_int_equal(cpuid(1, 0).ebx, 0x00013456);
	v->id = 3;
	assert_int_equal(cpuid(1, 0).ebx, 0x03013456);
}

/* With the PC platform the guest has a local APIC: APIC, x2APIC and the
 * TSC-deadline timer are shown even where the host lacks them. */
static void test_leaf1_platform_lapic(void **state)
{
	struct cpuid_regs r;

	(void)state;
	fake_platform(vm);
	fake_cpuid_set(1, 0, 0, 0, 0, 0);
	r = cpuid(1, 0);
	assert_int_equal(r.ecx, BIT(31) | BIT(24) | BIT(21));
	assert_int_equal(r.edx, BIT(9));
}

/* MONITOR/MWAIT, thermal and power, performance monitoring: empty. */
static void test_hidden_leaves(void **state)
{
	static const uint32_t leaves[] = { 5, 6, 0xa };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		fake_cpuid_set(leaves[i], 0, 0x11111111, 0x22222222, 0x33333333, 0x44444444);
		assert_regs(cpuid(leaves[i], 0), 0, 0, 0, 0);
	}
}

static void test_leaf7(void **state)
{
	(void)state;
	fake_cpuid_set(7, 0, 2, 0xffffffff, 0xffffffff, 0xffffffff);
	fake_cpuid_set(7, 1, 0, 0xffffffff, 0xffffffff, 0xffffffff);
	/* SGX, INVPCID (no feat.invpcid), PT; WAITPKG, SGX-LC;
	 * CORE_CAPABILITIES.  The speculation controls the host has are
	 * the guest's (MD_CLEAR, IBRS/IBPB, STIBP, L1D_FLUSH,
	 * ARCH_CAPABILITIES, SSBD). */
	assert_regs(cpuid(7, 0), 2, ~(uint32_t)(BIT(2) | BIT(10) | BIT(25)),
		    ~(uint32_t)(BIT(5) | BIT(30)), ~(uint32_t)BIT(30));
	v->feat.invpcid = true;
	assert_int_equal(cpuid(7, 0).ebx, ~(uint32_t)(BIT(2) | BIT(25)));
	/* Other sub-leaves pass through. */
	assert_regs(cpuid(7, 1), 0, 0xffffffff, 0xffffffff, 0xffffffff);
}

/* Leaf 0xD: XSAVES hidden, XSAVEC too where the host's is unsound; the
 * sizes recomputed from the component sub-leaves (AVX at 576, 256 bytes;
 * opmask at 1088, 64 bytes, aligned) whatever the host says. */
static void test_leaf_d_xsave(void **state)
{
	(void)state;
	fake_cpuid_set(0xd, 0, 0x27, 0x1234, 0x5678, 0);
	fake_cpuid_set(0xd, 1, 0xf, 0x1234, 0, 0);
	fake_cpuid_set(0xd, 2, 256, 576, 0, 0);
	fake_cpuid_set(0xd, 5, 64, 1088, BIT(1), 0);
	/* XSAVEC where the host stores it wrongly (Bochs 2.7): hidden. */
	assert_int_equal(cpuid(0xd, 1).eax, 0x5);
	v->feat.xsavec = true;
	/* A host without XSAVE in use: nothing to correct but XSAVES. */
	assert_regs(cpuid(0xd, 0), 0x27, 0x1234, 0x5678, 0);
	assert_regs(cpuid(0xd, 1), 0x7, 0x1234, 0, 0);

	v->feat.xsave = true;
	fake_hw_set(v, VREG_XCR0, 0x7);
	assert_regs(cpuid(0xd, 0), 0x27, 832, 1152, 0);
	assert_regs(cpuid(0xd, 1), 0x7, 832, 0, 0);
	fake_hw_set(v, VREG_XCR0, 0x27);
	assert_int_equal(cpuid(0xd, 0).ebx, 1152);
	/* 832, aligned to 64, + 64. */
	assert_int_equal(cpuid(0xd, 1).ebx, 896);
	assert_regs(cpuid(0xd, 2), 256, 576, 0, 0);
}

/* Leaf 0x15: the TSC frequency as a 1/1 ratio over the "crystal", though
 * the host's leaves end at 0xd. */
static void test_tsc_leaf(void **state)
{
	(void)state;
	assert_regs(cpuid(0x15, 0), 1, 1, (uint32_t)FAKE_TSC_HZ, 0);
	/* The same on a host that has the leaf. */
	v->feat.host_max_leaf = 0x16;
	fake_cpuid_set(0x15, 0, 2, 200, 24000000, 0);
	assert_regs(cpuid(0x15, 0), 1, 1, (uint32_t)FAKE_TSC_HZ, 0);
}

/* Leaves between the host's maximum and the one we raised it to are
 * empty, whatever the host's CPUID answers there. */
static void test_between_host_max_and_tsc_leaf(void **state)
{
	(void)state;
	fake_cpuid_set(0xe, 0, 1, 2, 3, 4);
	fake_cpuid_set(0x14, 0, 1, 2, 3, 4);
	assert_regs(cpuid(0xe, 0), 0, 0, 0, 0);
	assert_regs(cpuid(0x14, 0), 0, 0, 0, 0);
}

/* Past the maximum a real CPU repeats its highest basic leaf: the host's
 * answer (a topology leaf, say) would reach the guest unfiltered.  Every
 * leaf below the hypervisor and extended ranges that the host lacks is
 * empty. */
static void test_beyond_max_leaf(void **state)
{
	static const uint32_t leaves[] = { 0x16, 0x1f, 0x20, 0x3fffffff, 0x40010000, 0x7fffffff };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		fake_cpuid_set(leaves[i], 0, 1, 1, 0x100, 0x2a);
		assert_regs(cpuid(leaves[i], 0), 0, 0, 0, 0);
	}
	/* On a host that has it, leaf 0x1F is the filtered one. */
	v->feat.host_max_leaf = 0x1f;
	assert_regs(cpuid(0x1f, 0), 0, 1, 0x100, 0);
	assert_regs(cpuid(0x20, 0), 0, 0, 0, 0);
}

/* Leaves 0xB and 0x1F describe one thread of one core whose x2APIC ID is
 * leaf 1's initial APIC ID, not the host's topology (SDM Vol. 2A CPUID,
 * Vol. 3A 10.9.1). */
static void test_topology_leaves(void **state)
{
	static const uint32_t leaves[] = { 0xb, 0x1f };

	(void)state;
	v->feat.host_max_leaf = 0x1f;
	v->id = 2;
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		uint32_t l = leaves[i];

		/* A host with 2 threads per core and 8 cores, at x2APIC ID 0x2a. */
		fake_cpuid_set(l, 0, 1, 2, 0x100, 0x2a);
		fake_cpuid_set(l, 1, 4, 16, 0x201, 0x2a);
		fake_cpuid_set(l, 2, 0, 0, 0x002, 0x2a);
		/* SMT: one logical processor, shift 0. */
		assert_regs(cpuid(l, 0), 0, 1, 0x100, 2);
		/* Core: one logical processor, shift 0. */
		assert_regs(cpuid(l, 1), 0, 1, 0x201, 2);
		/* Then invalid levels, ECX[7:0] echoing the sub-leaf. */
		assert_regs(cpuid(l, 2), 0, 0, 2, 2);
		assert_regs(cpuid(l, 0x1ff), 0, 0, 0xff, 2);
	}
	/* The same ID as leaf 1's. */
	assert_int_equal(cpuid(1, 0).ebx >> 24, 2);
}

/* 0x40000000: the maximum hypervisor leaf and "TinyHVTinyHV". */
static void test_hypervisor_leaves(void **state)
{
	(void)state;
	fake_cpuid_set(0x40000000, 0, 1, 2, 3, 4);
	assert_regs(cpuid(0x40000000, 0), 0x40000010, 0x796e6954, 0x69545648, 0x5648796e);
	assert_memory_equal(&v->regs.gpr[GPR_RBX], "Tiny", 4);
	assert_memory_equal(&v->regs.gpr[GPR_RCX], "HVTi", 4);
	assert_memory_equal(&v->regs.gpr[GPR_RDX], "nyHV", 4);
	assert_regs(cpuid(0x40000001, 0), 0, 0, 0, 0);
	/* The timing leaf: TSC and APIC timer in kHz. */
	assert_regs(cpuid(0x40000010, 0), FAKE_TSC_HZ / 1000, FAKE_TSC_HZ / 1000, 0, 0);
	/* The rest of the range: empty, never the host's. */
	fake_cpuid_set(0x4000ffff, 0, 1, 2, 3, 4);
	assert_regs(cpuid(0x40000011, 0), 0, 0, 0, 0);
	assert_regs(cpuid(0x4000ffff, 0), 0, 0, 0, 0);
}

/* Extended leaves pass through; RDTSCP only where the guest may use it. */
static void test_extended_leaves(void **state)
{
	(void)state;
	fake_cpuid_set(0x80000000, 0, 0x80000008, 0, 0, 0);
	fake_cpuid_set(0x80000001, 0, 0, 0, 0x121, 0x2c100800);
	fake_cpuid_set(0x80000008, 0, 0x3027, 0, 0, 0);
	assert_regs(cpuid(0x80000000, 0), 0x80000008, 0, 0, 0);
	assert_regs(cpuid(0x80000001, 0), 0, 0, 0x121, 0x24100800);
	v->feat.rdtscp = true;
	assert_regs(cpuid(0x80000001, 0), 0, 0, 0x121, 0x2c100800);
	assert_regs(cpuid(0x80000008, 0), 0x3027, 0, 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leaf0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf1_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf1_osxsave_mirrors_cr4, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf1_apic_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf1_platform_lapic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf7, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf_d_xsave, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_between_host_max_and_tsc_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beyond_max_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topology_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hypervisor_leaves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extended_leaves, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
