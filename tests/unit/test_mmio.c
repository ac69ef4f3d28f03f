/* Unit tests of src/emul/mmio.c: an EPT violation on guest-physical space
 * that holds no RAM, emulated against a device on the VM's MMIO bus by
 * fetching and decoding the instruction at CS:RIP, on a fake vCPU
 * (fake_arch.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/gwalk.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

#include "fake_arch.h"
#include "guest_pt.h"

#define DEV  0xfed00000ULL   /* the device's page; guest RAM is 1 MiB */
#define CODE 0x1000ULL       /* paging off: the code's address */

struct access {
	bool write;
	uint64_t gpa;
	unsigned size;
	uint64_t val;
};

static struct {
	struct access log[8];
	unsigned n;
} dev;

static int dev_read(void *d, uint64_t gpa, unsigned size, uint64_t *val)
{
	(void)d;
	*val = 0x8877665544332211ULL & (size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1);
	if (dev.n < 8)
		dev.log[dev.n++] = (struct access){ false, gpa, size, *val };
	return 0;
}

static int dev_write(void *d, uint64_t gpa, unsigned size, uint64_t val)
{
	(void)d;
	if (dev.n < 8)
		dev.log[dev.n++] = (struct access){ true, gpa, size, val };
	return 0;
}

static struct vm *vm;
static struct vcpu *v;

/* 32-bit protected mode, paging off, the device at DEV. */
static int setup(void **state)
{
	(void)state;
	memset(&dev, 0, sizeof(dev));
	vm = fake_vm(1 << 20);
	v = &vm->vcpus[0];
	fake_protected_mode(v);
	fake_hw_set(v, VREG_RIP, CODE);
	assert_int_equal(io_register(&vm->mmio, DEV, 0x1000, "test", dev_read, dev_write, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static void code(uint64_t gpa, const char *bytes, size_t len)
{
	memcpy(fake_ram(vm) + gpa, bytes, len);
}

static enum vmexit_ret emulate(struct mmio_request r)
{
	enum vmexit_ret ret;

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	ret = mmio_emulate(v, &r);
	fake_entry(v);
	return ret;
}

static enum vmexit_ret mmio(uint64_t gpa, bool write, bool fetch)
{
	return emulate((struct mmio_request){ .gpa = gpa, .write = write, .fetch = fetch });
}

static void assert_access(unsigned i, bool write, uint64_t gpa, unsigned size, uint64_t val)
{
	assert_true(i < dev.n);
	assert_int_equal(dev.log[i].write, write);
	assert_int_equal(dev.log[i].gpa, gpa);
	assert_int_equal(dev.log[i].size, size);
	assert_int_equal(dev.log[i].val, val);
}

static void assert_stopped(const char *why)
{
	assert_true(vm_ended(vm));
	assert_int_equal(vm->end, VM_END_ERROR);
	if (!strstr(vm->end_detail, why))
		fail_msg("VM ended with \"%s\", expected \"%s\" in it", vm->end_detail, why);
}

/* ---- MOV loads and stores, paging off ---- */

static void test_mov_load(void **state)
{
	(void)state;
	code(CODE, "\x8b\x03", 2);                 /* mov eax, [ebx] */
	v->regs.gpr[GPR_RAX] = 0xffffffffffffffffULL;
	v->regs.gpr[GPR_RBX] = DEV + 0x10;
	assert_int_equal(mmio(DEV + 0x10, false, false), VMEXIT_NEXT);
	assert_int_equal(dev.n, 1);
	assert_access(0, false, DEV + 0x10, 4, 0x44332211);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x44332211);
	/* EPT violations give no instruction length: the handler does. */
	assert_int_equal(v->insn_len, 2);
	assert_false(v->ev.exception.valid);
	/* mov al, [ebx + 4]: the rest of RAX stays. */
	code(CODE, "\x8a\x43\x04", 3);
	assert_int_equal(mmio(DEV + 0x14, false, false), VMEXIT_NEXT);
	assert_access(1, false, DEV + 0x14, 1, 0x11);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x44332211);
	assert_int_equal(v->insn_len, 3);
}

static void test_mov_store(void **state)
{
	(void)state;
	code(CODE, "\x89\x0b", 2);                 /* mov [ebx], ecx */
	v->regs.gpr[GPR_RCX] = 0x11111111cafebabeULL;
	assert_int_equal(mmio(DEV + 0x20, true, false), VMEXIT_NEXT);
	assert_access(0, true, DEV + 0x20, 4, 0xcafebabe);
	assert_int_equal(v->insn_len, 2);
	code(CODE, "\x66\x89\x0b", 3);             /* mov [ebx], cx */
	assert_int_equal(mmio(DEV + 0x24, true, false), VMEXIT_NEXT);
	assert_access(1, true, DEV + 0x24, 2, 0xbabe);
	assert_int_equal(v->insn_len, 3);
	code(CODE, "\xc6\x03\x5a", 3);             /* mov byte [ebx], 0x5a */
	assert_int_equal(mmio(DEV + 0x26, true, false), VMEXIT_NEXT);
	assert_access(2, true, DEV + 0x26, 1, 0x5a);
	assert_int_equal(dev.n, 3);
	assert_int_equal(v->regs.gpr[GPR_RCX], 0x11111111cafebabeULL);
}

static void test_cs_base(void **state)
{
	(void)state;
	/* The instruction is at CS.base + RIP. */
	fake_hw_set(v, VREG_CS_BASE, 0x5000);
	fake_hw_set(v, VREG_RIP, 0x10);
	code(0x5010, "\xa1\x08\x00\xd0\xfe", 5);   /* mov eax, [0xfed00008] */
	assert_int_equal(mmio(DEV + 8, false, false), VMEXIT_NEXT);
	assert_access(0, false, DEV + 8, 4, 0x44332211);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x44332211);
	assert_int_equal(v->insn_len, 5);
}

/* ---- what is not emulated ---- */

static void test_no_device(void **state)
{
	(void)state;
	code(CODE, "\x8b\x03", 2);                 /* mov eax, [ebx] */
	vm->holes_stop = true;
	assert_int_equal(mmio(0xfec00000, false, false), VMEXIT_STOP);
	assert_stopped("no device there");
	assert_int_equal(dev.n, 0);
}

/* By default a hole is an open bus, as on a PC: a read gives all ones,
 * a write goes nowhere, and the guest goes on after the instruction. */
static void test_hole_open_bus(void **state)
{
	(void)state;
	code(CODE, "\x8b\x03", 2);                 /* mov eax, [ebx] */
	v->regs.gpr[GPR_RBX] = 0xfec00000;
	assert_int_equal(mmio(0xfec00000, false, false), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xffffffff);
	assert_int_equal(v->insn_len, 2);
	code(CODE, "\x89\x03", 2);                 /* mov [ebx], eax */
	assert_int_equal(mmio(0xfec00000, true, false), VMEXIT_NEXT);
	assert_false(vm_ended(vm));
	assert_int_equal(dev.n, 0);
	/* Running past the device's end into the hole: all ones as well. */
	code(CODE, "\x8b\x03", 2);
	v->regs.gpr[GPR_RBX] = DEV + 0xffe;
	assert_int_equal(mmio(DEV + 0xffe, false, false), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xffffffff);
	/* Code is never fetched from a hole. */
	fake_hw_set(v, VREG_RIP, 0xfec00000);
	assert_int_equal(mmio(0xfec00000, false, true), VMEXIT_STOP);
	assert_stopped("no device there");
}

/* Code cannot run from device memory: the VM stops and says so, nothing
 * is read from the device. */
static void test_fetch_from_device(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_RIP, DEV + 0x100);
	assert_int_equal(mmio(DEV + 0x100, false, true), VMEXIT_STOP);
	assert_stopped("code cannot run from device memory");
	assert_int_equal(dev.n, 0);
	assert_false(v->ev.exception.valid);
}

/* The same for a data access whose instruction is not in RAM (the guest
 * changed its tables since the CPU fetched it). */
static void test_data_access_with_rip_in_device(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_RIP, DEV + 0x200);
	assert_int_equal(mmio(DEV + 0x10, false, false), VMEXIT_STOP);
	assert_stopped("code cannot run from device memory");
	assert_int_equal(dev.n, 0);
}

static void test_fetch_from_nothing(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_RIP, 0xfec00000);
	assert_int_equal(mmio(0xfec00000, false, true), VMEXIT_STOP);
	assert_stopped("no device there");
}

static void test_page_walk_and_delivery(void **state)
{
	struct mmio_request walk = { .gpa = DEV, .page_walk = true };
	struct mmio_request deliver = { .gpa = DEV, .write = true, .in_delivery = true };

	(void)state;
	assert_int_equal(mmio_emulate(v, &walk), VMEXIT_STOP);
	assert_stopped("page-table access");
	vm->state = VM_RUNNING;
	vm->end = VM_END_NONE;
	assert_int_equal(mmio_emulate(v, &deliver), VMEXIT_STOP);
	assert_stopped("event delivery");
	assert_int_equal(dev.n, 0);
}

static void test_unsupported_instruction(void **state)
{
	(void)state;
	code(CODE, "\xd9\x03", 2);                 /* fld dword [ebx] */
	assert_int_equal(mmio(DEV, false, false), VMEXIT_STOP);
	assert_stopped("cannot be emulated");
	assert_int_equal(dev.n, 0);
}

/* MOVS has a second memory operand, which would need the guest's
 * segments and page tables: refused, and said so. */
/* MOVS with one operand on the device and the other in RAM (paging off,
 * flat segments); between two devices it is refused. */
static void test_movs(void **state)
{
	(void)state;
	code(CODE, "\xa5", 1);                     /* movsd */
	v->regs.gpr[GPR_RSI] = DEV;
	v->regs.gpr[GPR_RDI] = 0x8000;
	assert_int_equal(mmio(DEV, false, false), VMEXIT_NEXT);
	assert_access(0, false, DEV, 4, 0x44332211);
	assert_memory_equal(fake_ram(vm) + 0x8000, "\x11\x22\x33\x44", 4);
	assert_int_equal(v->regs.gpr[GPR_RSI], DEV + 4);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0x8004);
	memcpy(fake_ram(vm) + 0x9000, "\xef\xbe\xad\xde", 4);
	v->regs.gpr[GPR_RSI] = 0x9000;
	v->regs.gpr[GPR_RDI] = DEV + 8;
	assert_int_equal(mmio(DEV + 8, true, false), VMEXIT_NEXT);
	assert_access(1, true, DEV + 8, 4, 0xdeadbeef);
	v->regs.gpr[GPR_RSI] = DEV;
	v->regs.gpr[GPR_RDI] = DEV + 8;
	assert_int_equal(mmio(DEV, false, false), VMEXIT_STOP);
	assert_stopped("MOVS between two devices is not emulated");
	assert_int_equal(dev.n, 3);   /* the source was read before the VM stopped */
}

/* An access that starts in the device's range and runs past its end. */
static void test_access_beyond_device(void **state)
{
	(void)state;
	code(CODE, "\x8b\x03", 2);                 /* mov eax, [ebx] */
	v->regs.gpr[GPR_RBX] = DEV + 0xffe;
	vm->holes_stop = true;
	assert_int_equal(mmio(DEV + 0xffe, false, false), VMEXIT_STOP);
	assert_stopped("MMIO access at guest-physical 0xfed00ffe (RIP 0x1000) goes beyond its device");
	assert_int_equal(dev.n, 0);
}

/* ---- 64-bit mode, paging on ---- */

static struct guest_pt pt;

#define CODE_LA 0x400000ULL   /* a code page at guest-physical 0x2000 */

static void paging(void)
{
	guest_pt_init(&pt, vm, 0x80000);
	guest_pt_map(&pt, CODE_LA, 0x2000, GPT_P | GPT_RW);
	guest_pt_long_mode(v, &pt);
}

static void test_64bit_load_store(void **state)
{
	(void)state;
	paging();
	fake_hw_set(v, VREG_RIP, CODE_LA + 0x10);
	code(0x2010, "\x48\x8b\x03", 3);           /* mov rax, [rbx] */
	assert_int_equal(mmio(DEV + 0x40, false, false), VMEXIT_NEXT);
	assert_access(0, false, DEV + 0x40, 8, 0x8877665544332211ULL);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x8877665544332211ULL);
	assert_int_equal(v->insn_len, 3);
	code(0x2010, "\xc7\x03\x78\x56\x34\x12", 6); /* mov dword [rbx], 0x12345678 */
	assert_int_equal(mmio(DEV + 0x48, true, false), VMEXIT_NEXT);
	assert_access(1, true, DEV + 0x48, 4, 0x12345678);
	assert_int_equal(v->insn_len, 6);
}

/* An instruction that ends on the last byte of its page: the page after
 * it does not translate, which is no fault of the instruction's. */
static void test_insn_at_page_end_before_unmapped_page(void **state)
{
	(void)state;
	paging();
	fake_hw_set(v, VREG_RIP, CODE_LA + 0xffd);
	code(0x2ffd, "\x48\x8b\x03", 3);           /* mov rax, [rbx] */
	assert_int_equal(mmio(DEV, false, false), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x8877665544332211ULL);
	assert_int_equal(v->insn_len, 3);
}

/* The same when the next page translates to guest-physical space with no
 * RAM (the CPU fetched the whole instruction, so it ends before). */
static void test_insn_at_page_end_before_non_ram_page(void **state)
{
	(void)state;
	paging();
	guest_pt_map(&pt, CODE_LA + 0x1000, 0x40000000, GPT_P | GPT_RW);
	fake_hw_set(v, VREG_RIP, CODE_LA + 0xffe);
	code(0x2ffe, "\x89\x0b", 2);               /* mov [rbx], ecx */
	v->regs.gpr[GPR_RCX] = 0x55;
	assert_int_equal(mmio(DEV, true, false), VMEXIT_NEXT);
	assert_false(vm_ended(vm));
	assert_false(v->ev.exception.valid);
	assert_access(0, true, DEV, 4, 0x55);
	assert_int_equal(v->insn_len, 2);
}

/* One that goes on into that page cannot be fetched: the VM stops, and no
 * #PF is made up for it. */
static void test_insn_crossing_into_non_ram_page(void **state)
{
	(void)state;
	paging();
	guest_pt_map(&pt, CODE_LA + 0x1000, 0x40000000, GPT_P | GPT_RW);
	fake_hw_set(v, VREG_RIP, CODE_LA + 0xffe);
	code(0x2ffe, "\xc7\x03", 2);               /* mov dword [rbx], imm32 ... */
	assert_int_equal(mmio(DEV, true, false), VMEXIT_STOP);
	assert_stopped("code cannot run from device memory");
	assert_false(v->ev.exception.valid);
	assert_int_equal(dev.n, 0);
}

/* An instruction that does go on into the page that does not translate:
 * the #PF is the guest's, on that page, as an instruction fetch. */
static void test_insn_crossing_into_unmapped_page(void **state)
{
	(void)state;
	paging();
	fake_hw_set(v, VREG_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	fake_hw_set(v, VREG_RIP, CODE_LA + 0xffe);
	code(0x2ffe, "\xc7\x03", 2);               /* mov dword [rbx], imm32 ... */
	assert_int_equal(mmio(DEV, true, false), VMEXIT_INJECTED);
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, X86_PF);
	assert_int_equal(v->ev.exception.error, GWALK_PF_I);
	assert_int_equal(v->ev.pf_addr, CODE_LA + 0x1000);
	assert_int_equal(dev.n, 0);
	assert_false(vm_ended(vm));
}

/* The code page itself gone (the guest changed its tables since): #PF at
 * RIP. */
static void test_code_page_unmapped(void **state)
{
	(void)state;
	paging();
	fake_hw_set(v, VREG_RIP, 0x600ff8);
	assert_int_equal(mmio(DEV, false, false), VMEXIT_INJECTED);
	assert_int_equal(v->ev.exception.vector, X86_PF);
	assert_int_equal(v->ev.exception.error, 0);
	assert_int_equal(v->ev.pf_addr, 0x600ff8);
	assert_int_equal(dev.n, 0);
}

/* A data breakpoint on a device register traps after the emulated access
 * (Vol. 3B 18.3.1.2), with the linear address the exit reports. */
static enum vmexit_ret mmio_at(uint64_t gpa, uint64_t gla, bool write)
{
	return emulate((struct mmio_request){ .gpa = gpa, .write = write, .gla_valid = true,
					      .gla = gla });
}

static void test_data_breakpoint(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_DR6, 0xffff0ff0);
	fake_hw_set(v, VREG_DR2, DEV + 0x10);
	/* L2, R/W2 = 01 (writes), LEN2 = 11 (4 bytes). */
	fake_hw_set(v, VREG_DR7, 0x400 | BIT(4) | (0xdULL << 24));
	code(CODE, "\x8b\x03", 2);                 /* mov eax, [ebx]: a read */
	v->regs.gpr[GPR_RBX] = DEV + 0x10;
	assert_int_equal(mmio_at(DEV + 0x10, DEV + 0x10, false), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	code(CODE, "\x89\x0b", 2);                 /* mov [ebx], ecx: a write */
	assert_int_equal(mmio_at(DEV + 0x10, DEV + 0x10, true), VMEXIT_NEXT);
	assert_int_equal(dev.n, 2);
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, X86_DB);
	assert_int_equal(fake_hw(v, VREG_DR6), 0xffff0ff4);
	/* add [ebx], ecx: reported as a read by the exit, written all the same. */
	code(CODE, "\x01\x0b", 2);
	assert_int_equal(mmio_at(DEV + 0x10, DEV + 0x10, false), VMEXIT_NEXT);
	assert_true(v->ev.exception.valid);
	/* cmp [ebx], ecx only reads; an access elsewhere meets nothing. */
	code(CODE, "\x39\x0b", 2);
	assert_int_equal(mmio_at(DEV + 0x10, DEV + 0x10, false), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	code(CODE, "\x89\x0b", 2);
	assert_int_equal(mmio_at(DEV + 0x14, DEV + 0x14, true), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mov_load),
		T(test_mov_store),
		T(test_cs_base),
		T(test_no_device),
		T(test_hole_open_bus),
		T(test_fetch_from_device),
		T(test_data_access_with_rip_in_device),
		T(test_fetch_from_nothing),
		T(test_page_walk_and_delivery),
		T(test_unsupported_instruction),
		T(test_movs),
		T(test_access_beyond_device),
		T(test_64bit_load_store),
		T(test_insn_at_page_end_before_unmapped_page),
		T(test_insn_at_page_end_before_non_ram_page),
		T(test_insn_crossing_into_non_ram_page),
		T(test_insn_crossing_into_unmapped_page),
		T(test_code_page_unmapped),
		T(test_data_breakpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
