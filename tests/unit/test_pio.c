/* Unit tests of src/emul/pio.c: IN, OUT, INS and OUTS (with REP, DF and
 * the address size) through the VM's port-I/O bus on a fake vCPU
 * (fake_arch.c), against the SDM's instruction reference (Vol. 2A IN,
 * INS/INSB/INSW/INSD, Vol. 2B OUT, OUTS, REP). */
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

#define PORT 0x3f0
#define LOG_MAX 8192

/* A device of 8 ports that logs every access; reads return the port
 * number's low byte in each byte, unless it is told to fail. */
struct access {
	bool write;
	uint64_t port;
	unsigned size;
	uint64_t val;
};

static struct {
	struct access log[LOG_MAX];
	unsigned n;
	uint64_t next_read;   /* when non-zero: what reads return, incremented per read */
	bool fail;
} dev;

static int dev_read(void *d, uint64_t port, unsigned size, uint64_t *val)
{
	(void)d;
	*val = 0x12; /* a failing read may leave anything here */
	if (dev.fail)
		return HV_EIO;
	*val = dev.next_read ? dev.next_read++ : 0x8877665544332211ULL;
	if (dev.n < LOG_MAX)
		dev.log[dev.n++] = (struct access){ false, port, size, *val };
	return 0;
}

static int dev_write(void *d, uint64_t port, unsigned size, uint64_t val)
{
	(void)d;
	if (dev.n < LOG_MAX)
		dev.log[dev.n++] = (struct access){ true, port, size, val };
	return 0;
}

static struct vm *vm;
static struct vcpu *v;

/* 32-bit protected mode, paging off, the device at PORT. */
static int setup(void **state)
{
	(void)state;
	memset(&dev, 0, sizeof(dev));
	vm = fake_vm(1 << 20);
	v = &vm->vcpus[0];
	fake_protected_mode(v);
	assert_int_equal(io_register(&vm->pio, PORT, 8, "test", dev_read, dev_write, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vm);
	return 0;
}

static enum vmexit_ret pio(struct pio_request r)
{
	enum vmexit_ret ret;

	fake_exit(v);
	memset(&v->ev, 0, sizeof(v->ev));
	ret = pio_emulate(v, &r);
	fake_entry(v);
	return ret;
}

static struct pio_request in(uint16_t port, uint8_t size)
{
	return (struct pio_request){ .port = port, .size = size, .in = true };
}

static struct pio_request out(uint16_t port, uint8_t size)
{
	return (struct pio_request){ .port = port, .size = size };
}

/* INS or OUTS of size bytes with this address size, at linear gla. */
static struct pio_request str(bool is_in, uint8_t size, bool rep, uint8_t addr_size, uint64_t gla)
{
	return (struct pio_request){ .port = PORT, .size = size, .in = is_in, .string = true,
				     .rep = rep, .addr_size = addr_size, .gla = gla };
}

static void assert_access(unsigned i, bool write, uint64_t port, unsigned size, uint64_t val)
{
	assert_true(i < dev.n);
	assert_int_equal(dev.log[i].write, write);
	assert_int_equal(dev.log[i].port, port);
	assert_int_equal(dev.log[i].size, size);
	assert_int_equal(dev.log[i].val, val);
}

static void assert_pf(uint64_t addr, uint32_t error)
{
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, X86_PF);
	assert_int_equal(v->ev.exception.error, error);
	assert_int_equal(v->ev.pf_addr, addr);
}

/* ---- IN and OUT ---- */

static void test_out_sizes(void **state)
{
	(void)state;
	v->regs.gpr[GPR_RAX] = 0x1122334455667788ULL;
	assert_int_equal(pio(out(PORT, 1)), VMEXIT_NEXT);
	assert_int_equal(pio(out(PORT + 2, 2)), VMEXIT_NEXT);
	assert_int_equal(pio(out(PORT + 4, 4)), VMEXIT_NEXT);
	assert_int_equal(dev.n, 3);
	assert_access(0, true, PORT, 1, 0x88);
	assert_access(1, true, PORT + 2, 2, 0x7788);
	assert_access(2, true, PORT + 4, 4, 0x55667788);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x1122334455667788ULL);
}

static void test_in_sizes(void **state)
{
	(void)state;
	/* IN AL and IN AX keep the rest of RAX; IN EAX zero-extends. */
	v->regs.gpr[GPR_RAX] = 0xaaaaaaaaaaaaaaaaULL;
	assert_int_equal(pio(in(PORT, 1)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xaaaaaaaaaaaaaa11ULL);
	assert_int_equal(pio(in(PORT, 2)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xaaaaaaaaaaaa2211ULL);
	assert_int_equal(pio(in(PORT + 4, 4)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x44332211ULL);
	assert_int_equal(dev.n, 3);
	assert_access(0, false, PORT, 1, 0x8877665544332211ULL);
	assert_access(2, false, PORT + 4, 4, 0x8877665544332211ULL);
}

static void test_unclaimed_ports(void **state)
{
	(void)state;
	v->regs.gpr[GPR_RAX] = 0x1234567812345678ULL;
	assert_int_equal(pio(in(0x80, 1)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x12345678123456ffULL);
	assert_int_equal(pio(in(0x80, 2)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x123456781234ffffULL);
	assert_int_equal(pio(in(0x80, 4)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xffffffffULL);
	/* Writes go nowhere; an access only half inside the device is not
	 * the device's. */
	assert_int_equal(pio(out(0x80, 4)), VMEXIT_NEXT);
	assert_int_equal(pio(out(PORT + 6, 4)), VMEXIT_NEXT);
	assert_int_equal(pio(in(PORT - 1, 2)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xffffffffULL);
	assert_int_equal(dev.n, 0);
	assert_false(vm_ended(vm));
}

static void test_device_without_read(void **state)
{
	(void)state;
	assert_int_equal(io_register(&vm->pio, 0x60, 1, "wo", NULL, dev_write, NULL), 0);
	v->regs.gpr[GPR_RAX] = 0;
	assert_int_equal(pio(in(0x60, 1)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xff);
}

/* A device whose read fails gives all ones, like an unclaimed port, not
 * whatever its callback left behind. */
static void test_failed_device_read(void **state)
{
	(void)state;
	dev.fail = true;
	v->regs.gpr[GPR_RAX] = 0x1111111111111111ULL;
	assert_int_equal(pio(in(PORT, 1)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x11111111111111ffULL);
	assert_int_equal(pio(in(PORT, 2)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0x111111111111ffffULL);
	assert_int_equal(pio(in(PORT, 4)), VMEXIT_NEXT);
	assert_int_equal(v->regs.gpr[GPR_RAX], 0xffffffffULL);
	/* INS stores all ones too. */
	v->regs.gpr[GPR_RDI] = 0x2000;
	assert_int_equal(pio(str(true, 2, false, 4, 0x2000)), VMEXIT_NEXT);
	assert_int_equal(fake_ram(vm)[0x2000], 0xff);
	assert_int_equal(fake_ram(vm)[0x2001], 0xff);
	assert_int_equal(fake_ram(vm)[0x2002], 0);
}

/* ---- INS and OUTS, paging off ---- */

static void test_outs_rep(void **state)
{
	(void)state;
	memcpy(fake_ram(vm) + 0x2000, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	v->regs.gpr[GPR_RSI] = 0x2000;
	v->regs.gpr[GPR_RCX] = 3;
	assert_int_equal(pio(str(false, 2, true, 4, 0x2000)), VMEXIT_NEXT);
	assert_int_equal(dev.n, 3);
	assert_access(0, true, PORT, 2, 0x0201);
	assert_access(1, true, PORT, 2, 0x0403);
	assert_access(2, true, PORT, 2, 0x0605);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x2006);
	assert_int_equal(v->regs.gpr[GPR_RCX], 0);
	/* Without REP: one element, RCX untouched. */
	v->regs.gpr[GPR_RCX] = 7;
	assert_int_equal(pio(str(false, 1, false, 4, 0x2006)), VMEXIT_NEXT);
	assert_access(3, true, PORT, 1, 0x07);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x2007);
	assert_int_equal(v->regs.gpr[GPR_RCX], 7);
}

static void test_ins_rep_df(void **state)
{
	(void)state;
	/* DF = 1: backwards from RDI. */
	fake_hw_set(v, VREG_RFLAGS, 2 | RFLAGS_DF);
	dev.next_read = 0xa1b1c1d1;
	v->regs.gpr[GPR_RDI] = 0x2008;
	v->regs.gpr[GPR_RCX] = 3;
	assert_int_equal(pio(str(true, 4, true, 4, 0x2008)), VMEXIT_NEXT);
	assert_int_equal(dev.n, 3);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0x1ffc);
	assert_int_equal(v->regs.gpr[GPR_RCX], 0);
	assert_memory_equal(fake_ram(vm) + 0x2000, "\xd3\xc1\xb1\xa1\xd2\xc1\xb1\xa1\xd1\xc1\xb1\xa1",
			    12);
	/* Nothing below the last element. */
	assert_int_equal(fake_ram(vm)[0x1fff], 0);
}

static void test_rep_count_zero(void **state)
{
	(void)state;
	v->regs.gpr[GPR_RDI] = 0x2000;
	v->regs.gpr[GPR_RCX] = 0xffff00000000ULL; /* ECX = 0 */
	assert_int_equal(pio(str(true, 1, true, 4, 0x2000)), VMEXIT_NEXT);
	assert_int_equal(dev.n, 0);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0x2000);
}

static void test_rep_long_string_in_chunks(void **state)
{
	(void)state;
	/* 5000 elements: part of them per exit, the instruction re-executed
	 * for the rest (VMEXIT_RETRY) with RCX and RSI where they got to. */
	v->regs.gpr[GPR_RSI] = 0x10000;
	v->regs.gpr[GPR_RCX] = 5000;
	assert_int_equal(pio(str(false, 1, true, 4, 0x10000)), VMEXIT_RETRY);
	assert_true(dev.n > 0 && dev.n < 5000);
	assert_int_equal(v->regs.gpr[GPR_RCX], 5000 - dev.n);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x10000 + dev.n);
	while (v->regs.gpr[GPR_RCX]) {
		unsigned before = dev.n;
		enum vmexit_ret ret = pio(str(false, 1, true, 4, v->regs.gpr[GPR_RSI]));

		assert_true(dev.n > before);
		assert_int_equal(ret, v->regs.gpr[GPR_RCX] ? VMEXIT_RETRY : VMEXIT_NEXT);
	}
	assert_int_equal(dev.n, 5000);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x10000 + 5000);
}

/* 16-bit address size: SI/DI and CX wrap at 64 KiB and the rest of the
 * registers stays; the element's address is the segment base plus the
 * wrapped offset (SDM Vol. 2A INS: ES:(E)DI; Vol. 1 3.3.7). */
static void test_string_16bit_address_wraps(void **state)
{
	(void)state;
	dev.next_read = 0x41;
	v->regs.gpr[GPR_RDI] = 0xdead0000ffffULL;  /* ES base 0x10000, DI = 0xffff */
	v->regs.gpr[GPR_RCX] = 0xbeef00000002ULL;
	assert_int_equal(pio(str(true, 1, true, 2, 0x10000 + 0xffff)), VMEXIT_NEXT);
	assert_int_equal(fake_ram(vm)[0x1ffff], 0x41);
	assert_int_equal(fake_ram(vm)[0x10000], 0x42);
	assert_int_equal(fake_ram(vm)[0x20000], 0);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0xdead00000001ULL);
	assert_int_equal(v->regs.gpr[GPR_RCX], 0xbeef00000000ULL);
	/* Backwards through 0 as well (OUTS, DS base 0x30000, SI = 1). */
	fake_hw_set(v, VREG_RFLAGS, 2 | RFLAGS_DF);
	fake_ram(vm)[0x30001] = 0x51;
	fake_ram(vm)[0x30000] = 0x52;
	fake_ram(vm)[0x3ffff] = 0x53;
	v->regs.gpr[GPR_RSI] = 0x70001;
	v->regs.gpr[GPR_RCX] = 3;
	assert_int_equal(pio(str(false, 1, true, 2, 0x30000 + 1)), VMEXIT_NEXT);
	assert_access(2, true, PORT, 1, 0x51);
	assert_access(3, true, PORT, 1, 0x52);
	assert_access(4, true, PORT, 1, 0x53);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x7fffe);
}

static void test_string_outside_ram(void **state)
{
	(void)state;
	v->regs.gpr[GPR_RDI] = 0x200000;
	fake_hw_set(v, VREG_RIP, 0x1234);
	assert_int_equal(pio(str(true, 1, false, 4, 0x200000)), VMEXIT_STOP);
	assert_true(vm_ended(vm));
	assert_int_equal(vm->end, VM_END_ERROR);
	assert_string_equal(vm->end_detail, "string I/O on port 0x3f0 with a buffer outside guest "
					    "RAM (linear 0x200000), at RIP 0x1234");
}

/* ---- with paging ---- */

static struct guest_pt pt;

static void paging(void)
{
	guest_pt_init(&pt, vm, 0x80000);
	guest_pt_map(&pt, 0x400000, 0x2000, GPT_P | GPT_RW);
	guest_pt_map(&pt, 0x401000, 0x3000, GPT_P);           /* read-only */
	/* 0x402000 is not mapped */
	guest_pt_long_mode(v, &pt);
}

/* INS checks that the destination can be written before it reads the
 * port (SDM Vol. 2A INS: a read from a device may have side effects). */
static void test_ins_checks_destination_first(void **state)
{
	(void)state;
	paging();
	v->regs.gpr[GPR_RDI] = 0x401000;
	assert_int_equal(pio(str(true, 1, false, 8, 0x401000)), VMEXIT_INJECTED);
	assert_pf(0x401000, GWALK_PF_P | GWALK_PF_W);
	assert_int_equal(dev.n, 0);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0x401000);
	v->regs.gpr[GPR_RDI] = 0x402000;
	assert_int_equal(pio(str(true, 4, false, 8, 0x402000)), VMEXIT_INJECTED);
	assert_pf(0x402000, GWALK_PF_W);
	assert_int_equal(dev.n, 0);
	/* An element across into the read-only page. */
	v->regs.gpr[GPR_RDI] = 0x400ffe;
	assert_int_equal(pio(str(true, 4, false, 8, 0x400ffe)), VMEXIT_INJECTED);
	assert_pf(0x401000, GWALK_PF_P | GWALK_PF_W);
	assert_int_equal(dev.n, 0);
	assert_int_equal(fake_ram(vm)[0x2ffe], 0);
}

static void test_rep_ins_faults_midway(void **state)
{
	(void)state;
	paging();
	/* The elements before the fault are done and the registers say so:
	 * the guest's handler returns to the instruction for the rest. */
	dev.next_read = 0x61;
	v->regs.gpr[GPR_RDI] = 0x400ffe;
	v->regs.gpr[GPR_RCX] = 4;
	assert_int_equal(pio(str(true, 1, true, 8, 0x400ffe)), VMEXIT_INJECTED);
	assert_pf(0x401000, GWALK_PF_P | GWALK_PF_W);
	assert_int_equal(dev.n, 2);
	assert_int_equal(fake_ram(vm)[0x2ffe], 0x61);
	assert_int_equal(fake_ram(vm)[0x2fff], 0x62);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0x401000);
	assert_int_equal(v->regs.gpr[GPR_RCX], 2);
}

static void test_outs_source_fault(void **state)
{
	(void)state;
	paging();
	v->regs.gpr[GPR_RSI] = 0x402000;
	assert_int_equal(pio(str(false, 2, false, 8, 0x402000)), VMEXIT_INJECTED);
	assert_pf(0x402000, 0);
	assert_int_equal(dev.n, 0);
	/* A read-only page is a fine source. */
	fake_ram(vm)[0x3010] = 0x77;
	v->regs.gpr[GPR_RSI] = 0x401010;
	assert_int_equal(pio(str(false, 1, false, 8, 0x401010)), VMEXIT_NEXT);
	assert_access(0, true, PORT, 1, 0x77);
}

/* 32-bit address size in 64-bit mode (addr32 prefix): ECX, EDI and ESI
 * are used and written as 32-bit registers, zero-extended (SDM Vol. 1
 * 3.4.1.1), and EDI wraps from 0xffffffff to 0. */
static void test_string_32bit_address_in_64bit_mode(void **state)
{
	(void)state;
	paging();
	guest_pt_map(&pt, 0xfffff000, 0x4000, GPT_P | GPT_RW);
	guest_pt_map(&pt, 0, 0x5000, GPT_P | GPT_RW);
	dev.next_read = 0x71;
	v->regs.gpr[GPR_RDI] = 0x12345678fffffffeULL;
	v->regs.gpr[GPR_RCX] = 0x9abcdef000000003ULL;
	assert_int_equal(pio(str(true, 1, true, 4, 0xfffffffe)), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	assert_int_equal(fake_ram(vm)[0x4ffe], 0x71);
	assert_int_equal(fake_ram(vm)[0x4fff], 0x72);
	assert_int_equal(fake_ram(vm)[0x5000], 0x73);
	assert_int_equal(v->regs.gpr[GPR_RDI], 1);
	assert_int_equal(v->regs.gpr[GPR_RCX], 0);
	/* OUTS without REP: ESI zero-extends too. */
	fake_ram(vm)[0x2010] = 0x99;
	v->regs.gpr[GPR_RSI] = 0xffffffff00400010ULL;
	assert_int_equal(pio(str(false, 1, false, 4, 0x400010)), VMEXIT_NEXT);
	assert_access(3, true, PORT, 1, 0x99);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x400011);
}

/* ---- I/O and data breakpoints (Vol. 3B 18.2.4, 18.3.1.2) ---- */

#define DR7_L0 BIT(0)
#define DR7_IO0 (2ULL << 16)        /* R/W0 = 10: I/O */
#define DR7_ACCESS1_LEN4 (0xfULL << 20)   /* R/W1 = 11, LEN1 = 11 */

static void assert_db(uint64_t b_bits)
{
	assert_true(v->ev.exception.valid);
	assert_int_equal(v->ev.exception.vector, X86_DB);
	assert_int_equal(fake_hw(v, VREG_DR6) & 0xf, b_bits);
}

static void test_io_breakpoint(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_DR6, 0xffff0ff0);
	fake_hw_set(v, VREG_DR0, PORT + 2);
	fake_hw_set(v, VREG_DR7, 0x400 | DR7_L0 | DR7_IO0);
	/* Without CR4.DE, R/W 10 means nothing. */
	assert_int_equal(pio(out(PORT + 2, 1)), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	fake_hw_set(v, VREG_CR4, CR4_DE);
	assert_int_equal(pio(out(PORT + 1, 1)), VMEXIT_NEXT);
	assert_false(v->ev.exception.valid);
	/* A word at PORT + 1 covers PORT + 2: the access happens, then #DB. */
	assert_int_equal(pio(in(PORT + 1, 2)), VMEXIT_NEXT);
	assert_db(1);
	assert_int_equal(dev.n, 3);
}

static void test_rep_outs_breakpoint_stops_after_the_element(void **state)
{
	(void)state;
	memcpy(fake_ram(vm) + 0x2000, "\x01\x02\x03\x04", 4);
	fake_hw_set(v, VREG_CR4, CR4_DE);
	fake_hw_set(v, VREG_DR0, PORT);
	fake_hw_set(v, VREG_DR7, 0x400 | DR7_L0 | DR7_IO0);
	v->regs.gpr[GPR_RSI] = 0x2000;
	v->regs.gpr[GPR_RCX] = 3;
	/* One element moved, the #DB queued, RIP left at the instruction
	 * for the other two. */
	assert_int_equal(pio(str(false, 1, true, 4, 0x2000)), VMEXIT_INJECTED);
	assert_db(1);
	assert_int_equal(dev.n, 1);
	assert_int_equal(v->regs.gpr[GPR_RCX], 2);
	assert_int_equal(v->regs.gpr[GPR_RSI], 0x2001);
	/* The last element: RIP moves on, the #DB still comes. */
	v->regs.gpr[GPR_RCX] = 1;
	assert_int_equal(pio(str(false, 1, true, 4, 0x2001)), VMEXIT_NEXT);
	assert_db(1);
}

static void test_ins_data_breakpoint_on_the_buffer(void **state)
{
	(void)state;
	fake_hw_set(v, VREG_DR1, 0x2004);
	fake_hw_set(v, VREG_DR7, 0x400 | BIT(2) | DR7_ACCESS1_LEN4);
	v->regs.gpr[GPR_RDI] = 0x2000;
	v->regs.gpr[GPR_RCX] = 4;
	/* Words to 0x2000, 0x2002, 0x2004: the third one meets DR1 (an
	 * access breakpoint: INS writes its buffer). */
	assert_int_equal(pio(str(true, 2, true, 4, 0x2000)), VMEXIT_INJECTED);
	assert_db(2);
	assert_int_equal(dev.n, 3);
	assert_int_equal(v->regs.gpr[GPR_RCX], 1);
	assert_int_equal(v->regs.gpr[GPR_RDI], 0x2006);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_out_sizes),
		T(test_in_sizes),
		T(test_unclaimed_ports),
		T(test_device_without_read),
		T(test_failed_device_read),
		T(test_outs_rep),
		T(test_ins_rep_df),
		T(test_rep_count_zero),
		T(test_rep_long_string_in_chunks),
		T(test_string_16bit_address_wraps),
		T(test_string_outside_ram),
		T(test_ins_checks_destination_first),
		T(test_rep_ins_faults_midway),
		T(test_outs_source_fault),
		T(test_string_32bit_address_in_64bit_mode),
		T(test_io_breakpoint),
		T(test_rep_outs_breakpoint_stops_after_the_element),
		T(test_ins_data_breakpoint_on_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
