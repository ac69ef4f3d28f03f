/* Unit tests of src/emul/msr.c: RDMSR and WRMSR exits on a fake vCPU
 * (fake_arch.c).  An MSR the hypervisor does not emulate, a write to a
 * read-only one and a value with reserved bits set raise #GP(0) and the
 * instruction does not complete (VMEXIT_INJECTED: RIP stays, no register
 * changes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"

#define MSR_IA32_TSC_DEADLINE  0x6e0
#define MSR_X2APIC_TPR         0x808
#define JUNK_HIGH 0xdead000000000000ULL

static struct vm *vm;
static struct vcpu *v;

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(2 << 20);
	v = &vm->vcpus[0];
	fake_tsc_now = 1000;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

/* RDMSR: *val is EDX:EAX afterwards, whether it completed or not. */
static enum vmexit_ret rdmsr(uint32_t msr, uint64_t *val)
{
	enum vmexit_ret ret;

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	v->regs.gpr[GPR_RCX] = JUNK_HIGH | msr;
	v->regs.gpr[GPR_RAX] = v->regs.gpr[GPR_RDX] = 0x5555555555555555ULL;
	ret = msr_emulate_read(v);
	*val = (v->regs.gpr[GPR_RDX] << 32) | (uint32_t)v->regs.gpr[GPR_RAX];
	if (ret == VMEXIT_NEXT) {
		/* RDMSR clears the high halves of RAX and RDX. */
		assert_true(v->regs.gpr[GPR_RAX] <= UINT32_MAX);
		assert_true(v->regs.gpr[GPR_RDX] <= UINT32_MAX);
	}
	fake_entry(v);
	return ret;
}

static uint64_t rdmsr_ok(uint32_t msr)
{
	uint64_t val;

	assert_int_equal(rdmsr(msr, &val), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	return val;
}

/* WRMSR of EDX:EAX; the high halves of RAX and RDX do not count. */
static enum vmexit_ret wrmsr(uint32_t msr, uint64_t val)
{
	enum vmexit_ret ret;

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	v->regs.gpr[GPR_RCX] = JUNK_HIGH | msr;
	v->regs.gpr[GPR_RAX] = JUNK_HIGH | (uint32_t)val;
	v->regs.gpr[GPR_RDX] = JUNK_HIGH | (val >> 32);
	ret = msr_emulate_write(v);
	fake_entry(v);
	return ret;
}

static void assert_gp(enum vmexit_ret ret)
{
	assert_int_equal(ret, VMEXIT_INJECTED);
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, X86_GP);
	assert_true(v->ev.exception.has_error);
	assert_int_equal(v->ev.exception.error, 0);
}

static void assert_wrmsr_ok(uint32_t msr, uint64_t val)
{
	assert_int_equal(wrmsr(msr, val), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
}

/* MSRs not in the table, nor the platform's (there is none): #GP, and
 * EDX:EAX keep what they held. */
static void test_unknown_msr(void **state)
{
	static const uint32_t msrs[] = { 0x12345, 0xc0010000, MSR_IA32_STAR, MSR_IA32_APIC_BASE,
					 MSR_IA32_TSC_DEADLINE, MSR_X2APIC_TPR, 0x480 /* VMX_BASIC */ };
	uint64_t val;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		assert_gp(rdmsr(msrs[i], &val));
		assert_int_equal(v->regs.gpr[GPR_RAX], 0x5555555555555555ULL);
		assert_int_equal(v->regs.gpr[GPR_RDX], 0x5555555555555555ULL);
		assert_gp(wrmsr(msrs[i], 0));
	}
}

/* IA32_FEATURE_CONTROL: locked with VMX off; read-only, as a locked one
 * is (SDM Vol. 3C 24.7: WRMSR to it while locked is #GP). */
static void test_feature_control(void **state)
{
	(void)state;
	assert_int_equal(rdmsr_ok(MSR_IA32_FEATURE_CONTROL), FEATURE_CONTROL_LOCK);
	assert_gp(wrmsr(MSR_IA32_FEATURE_CONTROL, FEATURE_CONTROL_LOCK));
	assert_gp(wrmsr(MSR_IA32_FEATURE_CONTROL, 0x5));
	assert_int_equal(rdmsr_ok(MSR_IA32_FEATURE_CONTROL), FEATURE_CONTROL_LOCK);
}

/* IA32_ARCH_CAPABILITIES: the host's value where the host has it (the
 * guest runs on this CPU), #GP otherwise; read-only.  The other
 * speculation controls (SPEC_CTRL, PRED_CMD, FLUSH_CMD) never exit where
 * the host has them; where they exit, they are #GP. */
static void test_arch_capabilities(void **state)
{
	uint64_t val;

	(void)state;
	assert_gp(rdmsr(MSR_IA32_ARCH_CAPABILITIES, &val));
	v->feat.arch_capabilities = true;
	v->feat.arch_capabilities_val = 0x123456789ULL;
	assert_int_equal(rdmsr_ok(MSR_IA32_ARCH_CAPABILITIES), 0x123456789ULL);
	assert_gp(wrmsr(MSR_IA32_ARCH_CAPABILITIES, 0));
	assert_gp(rdmsr(MSR_IA32_PRED_CMD, &val));
	assert_gp(rdmsr(MSR_IA32_FLUSH_CMD, &val));
	assert_gp(wrmsr(MSR_IA32_SPEC_CTRL, 1));
}

/* IA32_TSC reads the guest's TSC; a write sets it, through the TSC
 * offset, and IA32_TSC_ADJUST moves by as much (SDM Vol. 3B 18.17.3). */
static void test_tsc(void **state)
{
	(void)state;
	vm->tsc_offset = 0x100000000ULL;
	fake_tsc_now = 0x23456789a;
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 0x33456789aULL);
	assert_int_equal(v->regs.gpr[GPR_RDX], 3);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x3456789a);
	assert_wrmsr_ok(MSR_IA32_TSC, 5);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 5);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC_ADJUST), 5 - 0x33456789aULL);
	assert_int_equal(fake_hw(v, VREG_TSC_OFFSET), 5 - 0x23456789aULL);
	fake_tsc_now += 100;
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 105);
}

/* Every VM's TSC starts at 0 with the VM, not at the host's (a Multiboot
 * VM, with no platform, too: msr_probe found the host's TSC there). */
static void test_tsc_starts_at_zero(void **state)
{
	(void)state;
	vm->tsc_offset = 0;
	fake_tsc_now = 0x1c3953fcULL;   /* the host's TSC when the VM is made */
	vm_tsc_reset(vm);
	fake_tsc_now += 1234;
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 1234);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC_ADJUST), 0);
	/* What the vCPU's VMCS is given (RDTSC in the guest) agrees. */
	assert_int_equal(fake_tsc_now + vm->tsc_offset, 1234);
}

/* IA32_TSC_ADJUST: a write that changes it by X changes the TSC by X
 * (SDM Vol. 3B 18.17.3), through the VMCS's TSC offset. */
static void test_tsc_adjust(void **state)
{
	(void)state;
	vm->tsc_offset = 500;
	fake_hw_set(v, VREG_TSC_OFFSET, 500);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC_ADJUST), 0);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 1500);
	assert_wrmsr_ok(MSR_IA32_TSC_ADJUST, 1000);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC_ADJUST), 1000);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 2500);
	assert_int_equal(fake_hw(v, VREG_TSC_OFFSET), 1500);
	/* Negative: back by 1200 from 1000. */
	assert_wrmsr_ok(MSR_IA32_TSC_ADJUST, (uint64_t)-200);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC_ADJUST), (uint64_t)-200);
	assert_int_equal(rdmsr_ok(MSR_IA32_TSC), 1300);
	assert_int_equal(fake_hw(v, VREG_TSC_OFFSET), 300);
}

/* With the platform, a TSC_ADJUST write moves the local APIC's armed
 * TSC deadline with the guest's TSC: the deadline comes as many host
 * ticks sooner as the TSC moved on (SDM Vol. 3B 18.17.3). */
static void test_tsc_adjust_moves_the_tsc_deadline(void **state)
{
	uint64_t before, after;

	(void)state;
	fake_platform(vm);
	assert_wrmsr_ok(MSR_IA32_APIC_BASE, 0xfee00c00);     /* x2APIC */
	assert_wrmsr_ok(0x80f, 0x1ff);                        /* SVR: software-enabled */
	assert_wrmsr_ok(0x832, (2u << 17) | 0xec);            /* LVT timer: TSC deadline */
	assert_wrmsr_ok(MSR_IA32_TSC_DEADLINE, 5000);        /* guest TSC starts at 0 */
	before = platform_next_event_tsc(&vm->vcpus[0]);
	v->req = 0;
	assert_wrmsr_ok(MSR_IA32_TSC_ADJUST, 2000);
	assert_true(v->req & VCPU_REQ_TIMER);
	after = platform_next_event_tsc(&vm->vcpus[0]);
	assert_int_equal(before - after, 2000);
}

/* IA32_EFER (SDM Vol. 3A 10.8.5, Vol. 4 table 2-2): SCE, LME and NXE
 * round-trip; LMA is the processor's; other bits are reserved. */
static void test_efer(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_CR0, CR0_PE);
	fake_hw_set(v, VREG_EFER, 0);
	assert_wrmsr_ok(MSR_IA32_EFER, EFER_SCE | EFER_LME | EFER_NXE);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_SCE | EFER_LME | EFER_NXE);
	assert_int_equal(rdmsr_ok(MSR_IA32_EFER), EFER_SCE | EFER_LME | EFER_NXE);
	/* LMA is not written... */
	assert_wrmsr_ok(MSR_IA32_EFER, EFER_LME | EFER_LMA);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME);
	/* ...nor cleared. */
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_PG);
	fake_hw_set(v, VREG_EFER, EFER_LME | EFER_LMA);
	assert_wrmsr_ok(MSR_IA32_EFER, EFER_LME | EFER_SCE);
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME | EFER_LMA | EFER_SCE);
	/* Reserved bits: 1, 9, 12 (SVME on AMD), 63. */
	assert_gp(wrmsr(MSR_IA32_EFER, EFER_LME | BIT(1)));
	assert_gp(wrmsr(MSR_IA32_EFER, EFER_LME | BIT(9)));
	assert_gp(wrmsr(MSR_IA32_EFER, EFER_LME | BIT(12)));
	assert_gp(wrmsr(MSR_IA32_EFER, EFER_LME | BIT(63)));
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME | EFER_LMA | EFER_SCE);
}

/* EFER.LME may not change while CR0.PG = 1 (SDM Vol. 3A 10.8.5). */
static void test_efer_lme_with_paging(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_CR0, CR0_PE | CR0_PG);
	fake_hw_set(v, VREG_EFER, 0);
	assert_gp(wrmsr(MSR_IA32_EFER, EFER_LME));
	fake_hw_set(v, VREG_EFER, EFER_LME | EFER_LMA);
	assert_gp(wrmsr(MSR_IA32_EFER, 0));
	assert_int_equal(fake_hw(v, VREG_EFER), EFER_LME | EFER_LMA);
	/* Paging off: it may. */
	fake_hw_set(v, VREG_CR0, CR0_PE);
	fake_hw_set(v, VREG_EFER, EFER_LME);
	assert_wrmsr_ok(MSR_IA32_EFER, 0);
	assert_int_equal(fake_hw(v, VREG_EFER), 0);
}

/* IA32_PAT: each entry a valid memory type (SDM Vol. 3A 13.12.2). */
static void test_pat(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_PAT, 0x0007040600070406ULL);
	assert_int_equal(rdmsr_ok(MSR_IA32_PAT), 0x0007040600070406ULL);
	assert_wrmsr_ok(MSR_IA32_PAT, 0x0105060700010407ULL);
	assert_int_equal(fake_hw(v, VREG_PAT), 0x0105060700010407ULL);
	assert_int_equal(rdmsr_ok(MSR_IA32_PAT), 0x0105060700010407ULL);
	/* 2, 3 and 8-0xff are reserved, in any entry. */
	assert_gp(wrmsr(MSR_IA32_PAT, 0x0205060700010407ULL));
	assert_gp(wrmsr(MSR_IA32_PAT, 0x0105060700010403ULL));
	assert_gp(wrmsr(MSR_IA32_PAT, 0x0105060708010407ULL));
	assert_gp(wrmsr(MSR_IA32_PAT, 0x01050607000104ffULL));
	assert_int_equal(fake_hw(v, VREG_PAT), 0x0105060700010407ULL);
}

/* SYSENTER_CS keeps 32 bits; SYSENTER_ESP and _EIP must be canonical
 * (SDM Vol. 2B WRMSR). */
static void test_sysenter(void **state)
{
	(void)state;
	assert_wrmsr_ok(MSR_IA32_SYSENTER_CS, 0x1234567800000010ULL);
	assert_int_equal(fake_hw(v, VREG_SYSENTER_CS), 0x10);
	assert_int_equal(rdmsr_ok(MSR_IA32_SYSENTER_CS), 0x10);
	assert_wrmsr_ok(MSR_IA32_SYSENTER_ESP, 0xffff800000001000ULL);
	assert_int_equal(rdmsr_ok(MSR_IA32_SYSENTER_ESP), 0xffff800000001000ULL);
	assert_wrmsr_ok(MSR_IA32_SYSENTER_EIP, 0x00007ffffffff000ULL);
	assert_int_equal(rdmsr_ok(MSR_IA32_SYSENTER_EIP), 0x00007ffffffff000ULL);
	assert_gp(wrmsr(MSR_IA32_SYSENTER_ESP, 0x0000800000000000ULL));
	assert_gp(wrmsr(MSR_IA32_SYSENTER_EIP, 0xfff0800000000000ULL));
	assert_int_equal(fake_hw(v, VREG_SYSENTER_ESP), 0xffff800000001000ULL);
	assert_int_equal(fake_hw(v, VREG_SYSENTER_EIP), 0x00007ffffffff000ULL);
}

/* What a guest's kernel reads and writes at boot: IA32_MISC_ENABLE, the
 * machine-check MSRs, microcode and debug control. */
static void test_fixed_msrs(void **state)
{
	uint64_t val;

	(void)state;
	assert_int_equal(rdmsr_ok(MSR_IA32_MISC_ENABLE), 1);   /* fast strings */
	/* Its writable bits keep what is written (fast strings, thermal
	 * control, EIST, MONITOR, xTPR); the rest are ignored. */
	assert_wrmsr_ok(MSR_IA32_MISC_ENABLE, 0x850089);
	assert_int_equal(rdmsr_ok(MSR_IA32_MISC_ENABLE), 0x850009);
	assert_wrmsr_ok(MSR_IA32_MISC_ENABLE, 0);
	assert_int_equal(rdmsr_ok(MSR_IA32_MISC_ENABLE), 0);
	/* Machine-check architecture: no banks, nothing to report. */
	assert_int_equal(rdmsr_ok(MSR_IA32_MCG_CAP), 0);
	assert_gp(wrmsr(MSR_IA32_MCG_CAP, 0));
	assert_int_equal(rdmsr_ok(MSR_IA32_MCG_STATUS), 0);
	assert_wrmsr_ok(MSR_IA32_MCG_STATUS, 0);
	assert_gp(wrmsr(MSR_IA32_MCG_STATUS, 1));
	assert_gp(rdmsr(0x17b, &val));                         /* MCG_CTL: CAP.CTL_P clear */
	assert_int_equal(rdmsr_ok(MSR_IA32_PLATFORM_ID), 0);
	assert_gp(wrmsr(MSR_IA32_PLATFORM_ID, 0));             /* read-only */
	assert_int_equal(rdmsr_ok(MSR_IA32_BIOS_SIGN_ID), 0);  /* no microcode */
	assert_wrmsr_ok(MSR_IA32_BIOS_SIGN_ID, 0);
	assert_int_equal(rdmsr_ok(MSR_IA32_DEBUGCTL), 0);
	assert_wrmsr_ok(MSR_IA32_DEBUGCTL, 0);
	assert_wrmsr_ok(MSR_IA32_DEBUGCTL, 3);                 /* LBR, BTF: the CPU's */
	assert_int_equal(rdmsr_ok(MSR_IA32_DEBUGCTL), 3);
	assert_int_equal(fake_hw(v, VREG_DEBUGCTL), 3);
	assert_gp(wrmsr(MSR_IA32_DEBUGCTL, 1ULL << 7));        /* BTS: no DS */
	assert_gp(wrmsr(MSR_IA32_DEBUGCTL, 1ULL << 63));
	assert_int_equal(rdmsr_ok(MSR_IA32_DEBUGCTL), 3);
	/* MTRRs: virtual (test_mtrr.c), here only that msr.c reaches them. */
	assert_int_equal(rdmsr_ok(0xfe), 0x508);
	assert_gp(wrmsr(0xfe, 0x508));
	assert_wrmsr_ok(0x2ff, 0x806);
	assert_int_equal(rdmsr_ok(0x2ff), 0x806);
	assert_gp(wrmsr(0x2ff, 0x802));
}

/* With the PC platform, IA32_APIC_BASE and the x2APIC MSRs are the local
 * APIC's (SDM Vol. 3A 11.4.4, 11.12.5). */
static void test_apic_base(void **state)
{
	(void)state;
	fake_platform(vm);
	/* xAPIC at its default address, enabled, BSP. */
	assert_int_equal(rdmsr_ok(MSR_IA32_APIC_BASE), 0xfee00900);
	/* x2APIC MSRs are #GP in xAPIC mode (11.12.1.2). */
	assert_gp(wrmsr(MSR_X2APIC_TPR, 0x20));
	/* Reserved bits, relocation: #GP, nothing changes. */
	assert_gp(wrmsr(MSR_IA32_APIC_BASE, 0xfee00901));
	assert_gp(wrmsr(MSR_IA32_APIC_BASE, 0xfed00900));
	assert_int_equal(rdmsr_ok(MSR_IA32_APIC_BASE), 0xfee00900);
	/* To x2APIC mode: the interrupts and timer may have changed. */
	v->req = 0;
	assert_wrmsr_ok(MSR_IA32_APIC_BASE, 0xfee00c00);
	assert_int_equal(v->req & (VCPU_REQ_EVENTS | VCPU_REQ_TIMER),
			 VCPU_REQ_EVENTS | VCPU_REQ_TIMER);
	assert_int_equal(rdmsr_ok(MSR_IA32_APIC_BASE), 0xfee00d00);
	assert_wrmsr_ok(MSR_X2APIC_TPR, 0x20);
	assert_int_equal(rdmsr_ok(MSR_X2APIC_TPR), 0x20);
	/* x2APIC -> xAPIC is not a valid transition. */
	assert_gp(wrmsr(MSR_IA32_APIC_BASE, 0xfee00900));
	assert_int_equal(rdmsr_ok(MSR_IA32_APIC_BASE), 0xfee00d00);
	/* The table's MSRs are still there behind the platform's. */
	assert_int_equal(rdmsr_ok(MSR_IA32_FEATURE_CONTROL), FEATURE_CONTROL_LOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_msr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feature_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_adjust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_adjust_moves_the_tsc_deadline, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_efer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_efer_lme_with_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tsc_starts_at_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysenter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apic_base, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arch_capabilities, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
