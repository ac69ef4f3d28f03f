/* Unit tests of src/emul/task.c: hardware task switches (SDM Vol. 3A 9.3)
 * on a fake vCPU in protected mode, paging off: a GDT at 0x1000, task A's
 * 32-bit TSS at 0x2000 (the current one), task B's at 0x3000, task C's
 * 16-bit TSS at 0x4000. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/task.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"

#define GDT 0x1000
#define TSS_A 0x2000
#define TSS_B 0x3000
#define TSS_C 0x4000
#define SEL_CODE 0x08
#define SEL_DATA 0x10
#define SEL_CODE3 0x18       /* DPL 3 */
#define SEL_A 0x28
#define SEL_B 0x30
#define SEL_TSS16 0x38
#define SEL_LDT 0x40
#define SEL_ABSENT 0x48      /* a TSS not present */

static struct vm *vm;
static struct vcpu *v;

static uint64_t tss_desc(uint32_t base, unsigned type)
{
	return 0x67 | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)(0x80 | type) << 40 |
	       (uint64_t)(base >> 24) << 56;
}

static uint64_t *gdt(unsigned sel) { return (uint64_t *)(fake_ram(vm) + GDT + (sel & ~7u)); }
static uint32_t *tss(uint32_t base) { return (uint32_t *)(fake_ram(vm) + base); }
static uint16_t *tss16(uint32_t base) { return (uint16_t *)(fake_ram(vm) + base); }

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1 << 20);
	v = &vm->vcpus[0];
	fake_protected_mode(v);
	*gdt(SEL_CODE) = 0x00cf9a000000ffffULL;
	*gdt(SEL_DATA) = 0x00cf92000000ffffULL;
	*gdt(SEL_CODE3) = 0x00cffa000000ffffULL;
	*gdt(SEL_A) = tss_desc(TSS_A, 11);
	*gdt(SEL_B) = tss_desc(TSS_B, 9);
	*gdt(SEL_TSS16) = (tss_desc(TSS_C, 1) & ~0xffffULL) | 0x2b;
	*gdt(SEL_LDT) = 0x0000820050000fffULL;      /* an LDT at 0x5000 */
	*gdt(SEL_ABSENT) = tss_desc(TSS_B, 9) & ~(1ULL << 47);
	fake_gdtr_base = GDT;
	fake_gdtr_limit = 0x4f;
	memset(fake_segs, 0, sizeof(fake_segs));
	fake_segs[VSEG_TR] = (struct vseg){ SEL_A, TSS_A, 0x67, 0x8b };
	fake_segs[VSEG_CS] = (struct vseg){ SEL_CODE, 0, 0xffffffff, 0xc09b };
	fake_segs[VSEG_SS] = (struct vseg){ SEL_DATA, 0, 0xffffffff, 0xc093 };
	fake_segs[VSEG_DS] = fake_segs[VSEG_SS];
	fake_segs[VSEG_LDTR] = (struct vseg){ .ar = VSEG_AR_UNUSABLE };
	/* Task B: starts at 0x5000 with its own registers. */
	uint32_t *b = tss(TSS_B);
	b[8] = 0x5000;          /* EIP */
	b[9] = 0x2;             /* EFLAGS */
	for (unsigned i = 0; i < 8; i++)
		b[10 + i] = 0x100 + i;
	b[14] = 0x8000;         /* ESP */
	b[18] = SEL_DATA;       /* ES */
	b[19] = SEL_CODE;       /* CS */
	b[20] = SEL_DATA;       /* SS */
	b[21] = SEL_DATA;       /* DS */
	/* Task C: a 16-bit TSS, its words (figure 9-11). */
	uint16_t *c = tss16(TSS_C);
	c[7] = 0x6000;          /* IP */
	c[8] = 0x0046;          /* FLAGS */
	for (unsigned i = 0; i < 8; i++)
		c[9 + i] = (uint16_t)(0x200 + i);
	c[13] = 0x7000;         /* SP */
	c[17] = SEL_DATA;       /* ES */
	c[18] = SEL_CODE;       /* CS */
	c[19] = SEL_DATA;       /* SS */
	c[20] = SEL_DATA;       /* DS */
	fake_hw_set(v, VREG_RIP, 0x4000);
	fake_hw_set(v, VREG_RFLAGS, 0x202);
	fake_hw_set(v, VREG_RSP, 0x9000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static enum vmexit_ret run(uint16_t sel, enum task_source src, uint32_t len)
{
	struct task_switch_request r = { sel, src, len, { 0 } };
	enum vmexit_ret ret;

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	ret = task_switch(v, &r);
	fake_entry(v);
	return ret;
}

static unsigned type(unsigned sel) { return (unsigned)(*gdt(sel) >> 40) & 0xf; }

static void assert_fault(uint8_t vector, uint32_t error)
{
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, vector);
	assert_int_equal(v->ev.exception.error, error);
}

static void test_jmp(void **state)
{
	(void)state;
	v->regs.gpr[GPR_RAX] = 0xaa;
	assert_int_equal(run(SEL_B, TASK_JMP, 7), VMEXIT_RETRY);
	assert_false(v->ev.exception.valid);
	/* The old task's state in its TSS: EIP past the JMP. */
	assert_int_equal(tss(TSS_A)[8], 0x4007);
	assert_int_equal(tss(TSS_A)[9], 0x202);
	assert_int_equal(tss(TSS_A)[10], 0xaa);
	assert_int_equal(tss(TSS_A)[14], 0x9000);
	assert_int_equal(tss(TSS_A)[19], SEL_CODE);
	/* Busy moves from A to B; no back link, no NT. */
	assert_int_equal(type(SEL_A), 9);
	assert_int_equal(type(SEL_B), 11);
	assert_int_equal(tss(TSS_B)[0], 0);
	/* The new task's registers; TR; CR0.TS; accessed bits. */
	assert_int_equal(fake_hw(v, VREG_RIP), 0x5000);
	assert_int_equal(fake_hw(v, VREG_RFLAGS), 0x2);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x100);
	assert_int_equal(fake_hw(v, VREG_RSP), 0x8000);
	assert_int_equal(fake_segs[VSEG_TR].sel, SEL_B);
	assert_int_equal(fake_segs[VSEG_TR].base, TSS_B);
	assert_int_equal(fake_segs[VSEG_TR].ar & 0xf, 11);
	assert_true(fake_hw(v, VREG_CR0) & CR0_TS);
	assert_int_equal(fake_segs[VSEG_CS].ar, 0xc09b);
	assert_true(*gdt(SEL_DATA) & (1ULL << 40));
	assert_true(fake_segs[VSEG_FS].ar & VSEG_AR_UNUSABLE);
	assert_true(fake_segs[VSEG_LDTR].ar & VSEG_AR_UNUSABLE);
}

static void test_call_and_iret(void **state)
{
	(void)state;
	assert_int_equal(run(SEL_B, TASK_CALL, 7), VMEXIT_RETRY);
	/* CALL: A stays busy, B gets busy, the back link and NT. */
	assert_int_equal(type(SEL_A), 11);
	assert_int_equal(type(SEL_B), 11);
	assert_int_equal(tss(TSS_B)[0], SEL_A);
	assert_int_equal(fake_hw(v, VREG_RFLAGS), 0x2 | 0x4000);
	/* IRET from B (NT set) to its back link: B available again, NT
	 * cleared in the EFLAGS B saves, A's state back. */
	fake_hw_set(v, VREG_RIP, 0x5010);
	assert_int_equal(run(SEL_A, TASK_IRET, 1), VMEXIT_RETRY);
	assert_false(v->ev.exception.valid);
	assert_int_equal(type(SEL_B), 9);
	assert_int_equal(type(SEL_A), 11);
	assert_int_equal(tss(TSS_B)[8], 0x5011);
	assert_int_equal(tss(TSS_B)[9], 0x2);
	assert_int_equal(fake_hw(v, VREG_RIP), 0x4007);
	assert_int_equal(fake_hw(v, VREG_RFLAGS), 0x202);
	assert_int_equal(fake_segs[VSEG_TR].sel, SEL_A);
}

/* A #GP(0x18) through a task gate to the TSS of sel. */
static void gp_through_task_gate(uint16_t sel)
{
	struct task_switch_request r = {
		sel, TASK_GATE, 0,
		{ .valid = true, .type = EVENT_HW_EXCEPTION, .vector = 13, .has_error = true,
		  .error = 0x18 },
	};

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	assert_int_equal(task_switch(v, &r), VMEXIT_RETRY);
	fake_entry(v);
}

static void test_task_gate_with_error_code(void **state)
{
	(void)state;
	gp_through_task_gate(SEL_B);
	/* A fault: the old task resumes at the instruction; the error code
	 * on the new task's stack. */
	assert_int_equal(tss(TSS_A)[8], 0x4000);
	assert_int_equal(fake_hw(v, VREG_RSP), 0x7ffc);
	assert_int_equal(*(uint32_t *)(fake_ram(vm) + 0x7ffc), 0x18);
	assert_int_equal(tss(TSS_B)[0], SEL_A);
}

static void test_refused(void **state)
{
	(void)state;
	/* JMP to a busy TSS: #GP(selector), nothing switched. */
	*gdt(SEL_B) = tss_desc(TSS_B, 11);
	assert_int_equal(run(SEL_B, TASK_JMP, 7), VMEXIT_RETRY);
	assert_fault(X86_GP, SEL_B);
	assert_int_equal(fake_segs[VSEG_TR].sel, SEL_A);
	assert_int_equal(tss(TSS_A)[8], 0);
	/* IRET to an available TSS: #TS. */
	*gdt(SEL_B) = tss_desc(TSS_B, 9);
	assert_int_equal(run(SEL_B, TASK_IRET, 1), VMEXIT_RETRY);
	assert_fault(X86_TS, SEL_B);
	/* Not present: #NP; beyond the GDT: #GP for a JMP. */
	assert_int_equal(run(SEL_ABSENT, TASK_CALL, 7), VMEXIT_RETRY);
	assert_fault(X86_NP, SEL_ABSENT);
	assert_int_equal(run(0x78, TASK_JMP, 7), VMEXIT_RETRY);
	assert_fault(X86_GP, 0x78);
	assert_int_equal(fake_segs[VSEG_TR].sel, SEL_A);
	/* A 16-bit TSS below its minimum limit, 0x2b: #TS. */
	*gdt(SEL_TSS16) = (*gdt(SEL_TSS16) & ~0xffffULL) | 0x2a;
	assert_int_equal(run(SEL_TSS16, TASK_JMP, 7), VMEXIT_RETRY);
	assert_fault(X86_TS, SEL_TSS16);
}

/* To a 16-bit TSS and back (9.6): the low halves from its words, 0xffff
 * above them in the general registers, 0 above IP and FLAGS, FS and GS
 * null; the old 32-bit task saved whole, then the 16-bit one into
 * its words when it leaves. */
static void test_16bit_tss(void **state)
{
	(void)state;
	assert_int_equal(run(SEL_TSS16, TASK_CALL, 7), VMEXIT_RETRY);
	assert_false(v->ev.exception.valid);
	assert_int_equal(tss(TSS_A)[8], 0x4007);
	assert_int_equal(type(SEL_TSS16), 3);
	assert_int_equal(tss16(TSS_C)[0], SEL_A);
	assert_int_equal(fake_hw(v, VREG_RIP), 0x6000);
	assert_int_equal(fake_hw(v, VREG_RFLAGS), 0x4046);     /* NT */
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xffff0200);
	assert_int_equal(fake_hw(v, VREG_RSP), 0xffff7000);
	assert_int_equal(fake_segs[VSEG_TR].ar & 0xf, 3);
	assert_int_equal(fake_segs[VSEG_CS].sel, SEL_CODE);
	assert_true(fake_segs[VSEG_FS].ar & VSEG_AR_UNUSABLE);
	assert_true(fake_segs[VSEG_GS].ar & VSEG_AR_UNUSABLE);
	/* IRET back to A: C's state into its words, C available again. */
	v->regs.gpr[GPR_RAX] = 0x12345678;
	fake_hw_set(v, VREG_RIP, 0x6010);
	assert_int_equal(run(SEL_A, TASK_IRET, 1), VMEXIT_RETRY);
	assert_false(v->ev.exception.valid);
	assert_int_equal(tss16(TSS_C)[7], 0x6011);
	assert_int_equal(tss16(TSS_C)[8], 0x0046);               /* NT cleared */
	assert_int_equal(tss16(TSS_C)[9], 0x5678);
	assert_int_equal(tss16(TSS_C)[18], SEL_CODE);
	assert_int_equal(tss16(TSS_C)[21], 0);                   /* the LDT word untouched */
	assert_int_equal(type(SEL_TSS16), 1);
	assert_int_equal(fake_hw(v, VREG_RIP), 0x4007);
	assert_int_equal(fake_segs[VSEG_TR].sel, SEL_A);
}

/* An exception with an error code through a task gate to a 16-bit TSS
 * pushes a word (7.12.2). */
static void test_16bit_tss_error_code(void **state)
{
	(void)state;
	*gdt(SEL_DATA) = 0x008f92000000ffffULL;                  /* 16-bit stack */
	gp_through_task_gate(SEL_TSS16);
	assert_false(v->ev.exception.valid);
	assert_int_equal(fake_hw(v, VREG_RSP) & 0xffff, 0x6ffe);
	assert_int_equal(*(uint16_t *)(fake_ram(vm) + 0x6ffe), 0x18);
	assert_int_equal(*(uint16_t *)(fake_ram(vm) + 0x7000), 0);
}

static void test_bad_segment_in_new_task(void **state)
{
	(void)state;
	/* CS of DPL 3 with RPL 0: #TS(CS) raised in the new task. */
	tss(TSS_B)[19] = SEL_CODE3;
	tss(TSS_B)[24] = SEL_LDT;
	assert_int_equal(run(SEL_B, TASK_JMP, 7), VMEXIT_RETRY);
	assert_fault(X86_TS, SEL_CODE3);
	assert_int_equal(fake_segs[VSEG_TR].sel, SEL_B);
	assert_int_equal(fake_segs[VSEG_LDTR].sel, SEL_LDT);
	assert_int_equal(fake_segs[VSEG_LDTR].base, 0x5000);
	assert_int_equal(fake_hw(v, VREG_RIP), 0x5000);
}

static void test_v86_task(void **state)
{
	(void)state;
	tss(TSS_B)[9] = 0x20002;        /* VM */
	tss(TSS_B)[19] = 0x1234;
	assert_int_equal(run(SEL_B, TASK_JMP, 7), VMEXIT_RETRY);
	assert_false(v->ev.exception.valid);
	assert_int_equal(fake_segs[VSEG_CS].sel, 0x1234);
	assert_int_equal(fake_segs[VSEG_CS].base, 0x12340);
	assert_int_equal(fake_segs[VSEG_CS].limit, 0xffff);
	assert_int_equal(fake_segs[VSEG_CS].ar, 0xf3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_jmp),
		T(test_call_and_iret),
		T(test_task_gate_with_error_code),
		T(test_refused),
		T(test_bad_segment_in_new_task),
		T(test_v86_task),
		T(test_16bit_tss),
		T(test_16bit_tss_error_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
