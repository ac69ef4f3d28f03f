/* Unit tests of the PC platform with several vCPUs (src/dev/platform.c):
 * one local APIC each, IPIs between them through the x2APIC ICR (fixed
 * with physical and logical destinations and the shorthands, NMI, INIT,
 * start-up), and the I/O APIC's deliveries to the vCPU its destination
 * names.  What a CPU asks of another vCPU lands in that vCPU's remote
 * requests (vcpu_kick), which its own CPU takes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/acpi_build.h>
#include <hv/io.h>
#include <hv/platform.h>
#include <hv/vioapic.h>
#include <hv/vcpu.h>
#include <hv/vm.h>

#include "fake_arch.h"

#define NR 4
#define MSR_APIC_BASE  0x1b
#define MSR_SVR        0x80f
#define MSR_LDR        0x80d
#define MSR_ICR        0x830
#define APIC_EN_X2     (0xfee00000ULL | (1 << 11) | (1 << 10))

static struct vm *vm;

static int setup(void **state)
{
	(void)state;
	vm = fake_vm(1 << 20);
	vm->nr_vcpus = NR;
	for (unsigned k = 1; k < NR; k++)
		vcpu_init_waiting(&vm->vcpus[k], vm, k);
	fake_platform(vm);
	/* Every APIC in x2APIC mode and software-enabled. */
	for (unsigned k = 0; k < NR; k++) {
		struct vcpu *v = &vm->vcpus[k];

		assert_int_equal(platform_msr_write(v, MSR_APIC_BASE,
						    APIC_EN_X2 | (k == 0 ? 1 << 8 : 0)), 0);
		assert_int_equal(platform_msr_write(v, MSR_SVR, 0x1ff), 0);
		v->remote = 0;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static void send(unsigned from, uint32_t dest, uint32_t lo)
{
	assert_int_equal(platform_msr_write(&vm->vcpus[from], MSR_ICR, (uint64_t)dest << 32 | lo), 0);
}

static int pending(unsigned k) { return platform_pending_vector(&vm->vcpus[k]); }

static void test_fixed_physical(void **state)
{
	(void)state;
	send(0, 2, 0x40);                         /* fixed, physical, to APIC ID 2 */
	assert_int_equal(pending(2), 0x40);
	assert_true(vm->vcpus[2].remote & VCPU_REMOTE_EVENTS);
	for (unsigned k = 0; k < NR; k++)
		if (k != 2)
			assert_int_equal(pending(k), -1);
	assert_int_equal(vm->vcpus[1].remote, 0);
	send(3, 0, 0x41);                         /* an AP to the BSP */
	assert_int_equal(pending(0), 0x41);
}

static void test_shorthands(void **state)
{
	(void)state;
	send(1, 0, 0x50 | 3 << 18);               /* all but self */
	assert_int_equal(pending(0), 0x50);
	assert_int_equal(pending(1), -1);
	assert_int_equal(pending(2), 0x50);
	assert_int_equal(pending(3), 0x50);
	send(2, 0, 0x60 | 1 << 18);               /* self */
	assert_int_equal(pending(2), 0x60);
	assert_int_equal(pending(3), 0x50);
	send(3, 0, 0x70 | 2 << 18);               /* all, self included */
	for (unsigned k = 0; k < NR; k++)
		assert_int_equal(pending(k), 0x70);
	send(0, 0xffffffff, 0x80);                /* physical broadcast */
	for (unsigned k = 0; k < NR; k++)
		assert_int_equal(pending(k), 0x80);
}

/* x2APIC logical IDs (11.12.10.2): cluster ID << 16 | 1 << (ID & 15); all
 * four vCPUs are in cluster 0. */
static void test_logical(void **state)
{
	(void)state;
	send(0, 0x0000000a, 0x90 | 1 << 11);      /* logical, IDs 1 and 3 */
	assert_int_equal(pending(0), -1);
	assert_int_equal(pending(1), 0x90);
	assert_int_equal(pending(2), -1);
	assert_int_equal(pending(3), 0x90);
	send(0, 0x00010002, 0xa0 | 1 << 11);      /* cluster 1: nobody */
	for (unsigned k = 0; k < NR; k++)
		assert_true(pending(k) != 0xa0);
}

#define MSR_TPR        0x808
#define IOAPIC_TEST_BASE ACPI_GUEST_IOAPIC_ADDR

static unsigned count_pending(int vector)
{
	unsigned n = 0;

	for (unsigned k = 0; k < NR; k++)
		n += pending(k) == vector;
	return n;
}

/* Lowest priority (11.6.2.4): one target only, the one with the lowest
 * task priority class; among equals they take turns. */
static void test_lowest_priority_to_one(void **state)
{
	(void)state;
	send(0, 0x0000000e, 0xb0 | 1 << 8 | 1 << 11);   /* lowest, logical 1-3 */
	assert_int_equal(count_pending(0xb0), 1);
	assert_int_equal(pending(0), -1);
	/* TPR classes 3, 1 (2: 0x1f) and 2: vCPU 2 wins, again and again. */
	assert_int_equal(platform_msr_write(&vm->vcpus[1], MSR_TPR, 0x30), 0);
	assert_int_equal(platform_msr_write(&vm->vcpus[2], MSR_TPR, 0x1f), 0);
	assert_int_equal(platform_msr_write(&vm->vcpus[3], MSR_TPR, 0x20), 0);
	send(0, 0x0000000e, 0xc0 | 1 << 8 | 1 << 11);
	send(1, 0x0000000e, 0xc1 | 1 << 8 | 1 << 11);
	assert_int_equal(pending(2), 0xc1);
	assert_int_equal(count_pending(0xc1), 1);
	assert_int_equal(count_pending(0xc0), 0);   /* 2's 0xc1 hides it: check 1, 3 */
	assert_true(pending(1) != 0xc0 && pending(3) != 0xc0);
}

/* Among equal priorities the choice rotates: four IPIs to all four
 * (the sender included) reach each vCPU once. */
static void test_lowest_priority_rotates(void **state)
{
	(void)state;
	for (unsigned i = 0; i < NR; i++)
		send(1, 0, (0xd0 + i) | 1 << 8 | 2 << 18);  /* lowest, all incl. self */
	for (unsigned k = 0; k < NR; k++)
		assert_true(pending(k) >= 0xd0 && pending(k) < 0xd0 + NR);
	for (unsigned i = 0; i < NR; i++)
		assert_int_equal(count_pending((int)(0xd0 + i)), 1);
}

/* The I/O APIC's lowest priority goes to one of the vCPUs its logical
 * destination names, the one with the lowest task priority. */
static void test_ioapic_lowest_priority(void **state)
{
	struct vioapic *io = &vm->platform->ioapic;
	const unsigned pin = 9;

	(void)state;
	assert_int_equal(platform_msr_write(&vm->vcpus[1], MSR_TPR, 0x40), 0);
	assert_int_equal(platform_msr_write(&vm->vcpus[3], MSR_TPR, 0x40), 0);
	/* Redirection entry: vector 0xe0, lowest priority, logical, edge;
	 * destination (bits 63:56) 0x0a: x2APIC logical IDs 1 and 3 (the
	 * I/O APIC's 8 bits reach cluster 0's first eight). */
	assert_int_equal(io_write(&vm->mmio, IOAPIC_TEST_BASE, 4, 0x10 + 2 * pin), 0);
	assert_int_equal(io_write(&vm->mmio, IOAPIC_TEST_BASE + 0x10, 4, 0xe0 | 1 << 8 | 1 << 11), 0);
	assert_int_equal(io_write(&vm->mmio, IOAPIC_TEST_BASE, 4, 0x11 + 2 * pin), 0);
	assert_int_equal(io_write(&vm->mmio, IOAPIC_TEST_BASE + 0x10, 4, 0x0au << 24), 0);
	vioapic_set_irq(io, pin, true);
	vioapic_set_irq(io, pin, false);
	assert_int_equal(count_pending(0xe0), 1);
	assert_true(pending(1) == 0xe0 || pending(3) == 0xe0);
	assert_int_equal(pending(0), -1);
	assert_int_equal(pending(2), -1);
}

static void test_nmi_init_sipi(void **state)
{
	(void)state;
	send(0, 1, 4 << 8);                       /* NMI */
	assert_int_equal(vm->vcpus[1].remote, VCPU_REMOTE_NMI);
	send(0, 2, 5 << 8 | 1 << 14);             /* INIT, level assert */
	assert_int_equal(vm->vcpus[2].remote, VCPU_REMOTE_INIT);
	send(0, 3, 5 << 8 | 1 << 15);             /* INIT de-assert: nothing */
	assert_int_equal(vm->vcpus[3].remote, 0);
	send(0, 3, 6 << 8 | 0x9a);                /* start-up, vector 0x9a */
	assert_int_equal(vm->vcpus[3].remote, VCPU_REMOTE_SIPI);
	assert_int_equal(vm->vcpus[3].sipi_vector, 0x9a);
	send(0, 7, 4 << 8);                       /* an APIC ID nobody has */
	for (unsigned k = 0; k < NR; k++)
		assert_int_equal(vm->vcpus[k].remote & VCPU_REMOTE_NMI, k == 1 ? VCPU_REMOTE_NMI : 0);
}

/* A vCPU that waits for its start-up IPI takes none of the rest, and
 * sees the VM's end. */
static void test_waiting_vcpu_takes_remote(void **state)
{
	struct vcpu *v = &vm->vcpus[2];

	(void)state;
	assert_true(v->wait_sipi);
	send(0, 2, 4 << 8);
	assert_false(vcpu_take_remote(v));
	assert_true(v->wait_sipi);
	v->remote = VCPU_REMOTE_STOP;
	assert_false(vcpu_take_remote(v));
	assert_true(v->req & VCPU_REQ_STOP);
}

/* INIT to the first vCPU (the bootstrap processor) is a reset (SDM Vol.
 * 3A 9.1): the VM, which has no firmware to restart, ends. */
static void test_init_to_vcpu0_resets(void **state)
{
	struct vcpu *v = &vm->vcpus[0];

	(void)state;
	send(2, 0, 5 << 8 | 1 << 14);             /* INIT, level assert, to APIC ID 0 */
	assert_int_equal(v->remote, VCPU_REMOTE_INIT);
	assert_false(vcpu_take_remote(v));
	assert_true(v->req & VCPU_REQ_STOP);
	assert_true(vm_ended(vm));
	assert_int_equal(vm->end, VM_END_RESET);
	assert_string_equal(vm->end_detail, "reset (INIT IPI to vCPU 0)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fixed_physical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shorthands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logical, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lowest_priority_to_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lowest_priority_rotates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_lowest_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_to_vcpu0_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nmi_init_sipi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiting_vcpu_takes_remote, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
