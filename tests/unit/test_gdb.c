/* Unit tests of the gdb stub's protocol (src/core/gdb.c): packets fed a
 * byte at a time to a fake target of two threads, and the bytes sent
 * back, framing and checksums included. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/gdb.h>
#include <hv/vcpu.h>

static struct gdb g;
static char sent[16384];
static size_t nsent;
static struct vcpu_snapshot regs[2];
static uint8_t mem[256];            /* guest memory at MEM_BASE */
#define MEM_BASE 0x1000
static unsigned resumed_step, resumes, interrupts, detaches;
static struct { enum gdb_break type; uint64_t addr; unsigned len; bool insert; int calls; } bp;

static void send(void *ctx, const char *buf, size_t len)
{
	(void)ctx;
	assert_true(nsent + len < sizeof(sent));
	memcpy(sent + nsent, buf, len);
	nsent += len;
	sent[nsent] = '\0';
}

static unsigned threads(void *t) { (void)t; return 2; }

static int get_regs(void *t, unsigned thread, struct vcpu_snapshot *out)
{
	(void)t;
	if (thread < 1 || thread > 2)
		return HV_ENOENT;
	*out = regs[thread - 1];
	return 0;
}

static int write_reg(void *t, unsigned thread, enum gdb_reg_src src, unsigned n, uint64_t val)
{
	struct vcpu_snapshot *s = &regs[thread - 1];

	(void)t;
	if (src == GDB_SRC_GPR)
		s->gpr[n] = val;
	else if (src == GDB_SRC_RIP)
		s->rip = val;
	else if (src == GDB_SRC_RFLAGS)
		s->rflags = val;
	return 0;
}

static int read(void *t, unsigned thread, uint64_t addr, void *buf, size_t len)
{
	(void)t;
	(void)thread;
	if (addr < MEM_BASE || addr + len > MEM_BASE + sizeof(mem))
		return HV_EFAULT;
	memcpy(buf, mem + addr - MEM_BASE, len);
	return 0;
}

static int write(void *t, unsigned thread, uint64_t addr, const void *buf, size_t len)
{
	(void)t;
	(void)thread;
	if (addr < MEM_BASE || addr + len > MEM_BASE + sizeof(mem))
		return HV_EFAULT;
	memcpy(mem + addr - MEM_BASE, buf, len);
	return 0;
}

static int read_phys(void *t, uint64_t addr, void *buf, size_t len) { return read(t, 1, addr, buf, len); }

static int breakpoint(void *t, unsigned thread, enum gdb_break type, uint64_t addr, unsigned len,
		      bool insert)
{
	(void)t;
	(void)thread;
	bp.type = type;
	bp.addr = addr;
	bp.len = len;
	bp.insert = insert;
	bp.calls++;
	return type == GDB_WATCH_READ ? HV_ENOTSUP : 0;
}

static void resume(void *t, unsigned step) { (void)t; resumes++; resumed_step = step; }
static void interrupt(void *t) { (void)t; interrupts++; }
static void detach(void *t) { (void)t; detaches++; }

static const struct gdb_ops ops = { threads, get_regs, write_reg, read, write, read_phys,
				    breakpoint, resume, interrupt, detach };

static int setup(void **state)
{
	(void)state;
	gdb_init(&g, &ops, NULL, send, NULL);
	gdb_set_long_mode(&g, true);
	nsent = 0;
	sent[0] = '\0';
	memset(regs, 0, sizeof(regs));
	regs[0].gpr[GPR_RAX] = 0x1122334455667788ULL;
	regs[0].gpr[GPR_RBX] = 0xb;
	regs[0].rip = 0x100000;
	regs[0].rflags = 0x202;
	regs[0].seg[VSEG_CS].sel = 0x10;
	regs[1].gpr[GPR_RAX] = 0xaabbccdd;
	for (unsigned i = 0; i < sizeof(mem); i++)
		mem[i] = (uint8_t)i;
	resumed_step = resumes = interrupts = detaches = 0;
	memset(&bp, 0, sizeof(bp));
	return 0;
}

/* Send "$data#cc" (the right checksum) and return what came back. */
static const char *packet(const char *data)
{
	unsigned sum = 0;
	char frame[8192];

	for (const char *p = data; *p; p++)
		sum += (uint8_t)*p;
	snprintf(frame, sizeof(frame), "$%s#%02x", data, sum & 0xff);
	nsent = 0;
	sent[0] = '\0';
	for (const char *p = frame; *p; p++)
		gdb_input(&g, (uint8_t)*p);
	return sent;
}

/* The reply's data: "+$DATA#cc" checked and unwrapped. */
static const char *reply(const char *data)
{
	static char out[16384];
	const char *r = packet(data), *hash;
	unsigned sum = 0, got;

	if (r[0] == '+')
		r++;
	assert_int_equal(r[0], '$');
	hash = strrchr(r, '#');
	assert_non_null(hash);
	memcpy(out, r + 1, (size_t)(hash - r - 1));
	out[hash - r - 1] = '\0';
	for (const char *p = out; *p; p++)
		sum += (uint8_t)*p;
	sscanf(hash + 1, "%2x", &got);
	assert_int_equal(got, sum & 0xff);
	return out;
}

static void test_framing(void **state)
{
	(void)state;
	assert_string_equal(packet("?"), "+$T05thread:1;#d7");
	nsent = 0;
	for (const char *p = "$?#00"; *p; p++)   /* a bad checksum: NAK, no reply */
		gdb_input(&g, (uint8_t)*p);
	assert_string_equal(sent, "-");
	nsent = 0;
	for (const char *p = "$?#zz"; *p; p++)   /* not hex */
		gdb_input(&g, (uint8_t)*p);
	assert_string_equal(sent, "-");
	nsent = 0;
	gdb_input(&g, '$');
	for (int i = 0; i < GDB_PACKET_MAX + 10; i++)   /* too long: NAK */
		gdb_input(&g, 'm');
	gdb_input(&g, '#');
	gdb_input(&g, '0');
	gdb_input(&g, '0');
	assert_string_equal(sent, "-");
	nsent = 0;
	gdb_input(&g, 0x03);    /* Ctrl-C while stopped: nothing */
	assert_int_equal(interrupts, 0);
	assert_string_equal(reply("vMustReplyEmpty"), "");
	assert_string_equal(reply("QStartNoAckMode"), "OK");
	assert_string_equal(packet("?"), "$T05thread:1;#d7");   /* no '+' any more */
}

static void test_queries(void **state)
{
	const char *r;

	(void)state;
	r = reply("qSupported:multiprocess+;swbreak+");
	assert_non_null(strstr(r, "PacketSize=1000"));
	assert_non_null(strstr(r, "qXfer:features:read+"));
	assert_non_null(strstr(r, "swbreak+"));
	assert_string_equal(reply("qfThreadInfo"), "m1,2");
	assert_string_equal(reply("qsThreadInfo"), "l");
	assert_string_equal(reply("qAttached"), "1");
	assert_string_equal(reply("Hg2"), "OK");
	assert_string_equal(reply("qC"), "QC2");
	assert_string_equal(reply("Hg3"), "E01");
	assert_string_equal(reply("Hc-1"), "OK");
	assert_string_equal(reply("T2"), "OK");
	assert_string_equal(reply("T5"), "E01");
	r = reply("qXfer:features:read:target.xml:0,fff");
	assert_int_equal(r[0], 'l');
	assert_non_null(strstr(r, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(r, "<feature name=\"org.gnu.gdb.i386.core\">"));
	assert_non_null(strstr(r, "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\"/>"));
	assert_non_null(strstr(r, "<reg name=\"fop\" bitsize=\"32\" type=\"int\" regnum=\"39\"/>"));
	assert_non_null(strstr(r, "<reg name=\"cr3\""));
	r = reply("qXfer:features:read:target.xml:0,10");
	assert_int_equal(r[0], 'm');
	assert_int_equal(strlen(r), 0x11);
	assert_string_equal(reply("qXfer:features:read:target.xml:ffff,10"), "l");
	assert_string_equal(reply("qXfer:features:read:other.xml:0,10"), "");
	assert_string_equal(reply("qXfer:features:read:target.xml:zz"), "E01");
	gdb_set_long_mode(&g, false);
	r = reply("qXfer:features:read:target.xml:0,fff");
	assert_non_null(strstr(r, "<architecture>i386</architecture>"));
	assert_non_null(strstr(r, "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\" regnum=\"8\"/>"));
	assert_string_equal(reply("qUnknownThing"), "");
}

static void test_registers(void **state)
{
	const char *r;

	(void)state;
	r = reply("g");
	/* rax little-endian, rbx, then rcx... rip at byte 128, eflags at 136. */
	assert_memory_equal(r, "8877665544332211" "0b00000000000000", 32);
	assert_memory_equal(r + 256, "0000100000000000" "02020000" "10000000", 32);
	assert_memory_equal(r + 2 * 164, "xxxxxxxxxxxxxxxxxxxx", 20);   /* st0: unavailable */
	assert_string_equal(reply("p10"), "0000100000000000");
	assert_string_equal(reply("p99"), "");
	assert_string_equal(reply("pzz"), "E01");
	assert_string_equal(reply("P0=efbeadde00000000"), "OK");
	assert_int_equal(regs[0].gpr[GPR_RAX], 0xdeadbeef);
	assert_string_equal(reply("P10=0010200000000000"), "OK");
	assert_int_equal(regs[0].rip, 0x201000);
	assert_string_equal(reply("P12=10000000"), "OK");     /* cs: its own value */
	assert_string_equal(reply("P12=18000000"), "E01");    /* another: read only */
	assert_string_equal(reply("P0=12"), "E01");           /* too short */
	assert_string_equal(reply("Hg2"), "OK");
	assert_memory_equal(reply("g"), "ddccbbaa00000000", 16);
	/* G writes all: rcx changes, the rest is as read. */
	r = reply("g");
	{
		char all[4096];

		strcpy(all, "G");
		strcat(all, r);
		memcpy(all + 1 + 32, "0500000000000000", 16);   /* rcx */
		assert_string_equal(reply(all), "OK");
	}
	assert_int_equal(regs[1].gpr[GPR_RCX], 5);
	assert_int_equal(regs[1].gpr[GPR_RAX], 0xaabbccdd);
	gdb_set_long_mode(&g, false);
	assert_string_equal(reply("Hg1"), "OK");
	r = reply("g");
	assert_memory_equal(r, "efbeadde" "00000000", 16);      /* eax, ecx */
	assert_string_equal(reply("P0=01000000"), "OK");        /* eax: the upper half stays */
	assert_int_equal(regs[0].gpr[GPR_RAX], 1);
}

static void test_memory(void **state)
{
	(void)state;
	assert_string_equal(reply("m1000,4"), "00010203");
	assert_string_equal(reply("m10fe,2"), "feff");
	assert_string_equal(reply("m10ff,2"), "E14");
	assert_string_equal(reply("m1000"), "E01");
	assert_string_equal(reply("mxyz,4"), "E01");
	assert_string_equal(reply("m12345678901234567,1"), "E01");   /* more than 64 bits */
	assert_int_equal(strlen(reply("m1000,100")), 512);
	assert_string_equal(reply("M1004,2:abcd"), "OK");
	assert_int_equal(mem[4], 0xab);
	assert_int_equal(mem[5], 0xcd);
	assert_string_equal(reply("M1004,2:ab"), "E01");
	assert_string_equal(reply("M1004,1:zz"), "E01");
	assert_string_equal(reply("M2000,1:00"), "E14");
	assert_string_equal(reply("X1000,1:a"), "");   /* binary writes: GDB falls back to M */
	packet("qRcmd,706879732031303032203132");   /* "phys 1002 12": O packets, then OK */
	if (!strstr(sent, "$O303030303030303030303030313030323a20303220303320616220636420"))
		fail_msg("sent: %s", sent);
	assert_non_null(strstr(sent, "$OK#9a"));
	packet("qRcmd,7068797320323030302031");    /* phys 2000 1: not RAM */
	assert_non_null(strstr(sent, "$E14#"));
}

static void test_breakpoints_and_running(void **state)
{
	(void)state;
	assert_string_equal(reply("Z0,1000,1"), "OK");
	assert_int_equal(bp.type, GDB_SW_BREAK);
	assert_int_equal(bp.addr, 0x1000);
	assert_true(bp.insert);
	assert_string_equal(reply("z2,1008,4"), "OK");
	assert_int_equal(bp.type, GDB_WATCH_WRITE);
	assert_int_equal(bp.len, 4);
	assert_false(bp.insert);
	assert_string_equal(reply("Z3,1008,4"), "");    /* not supported by the target */
	assert_string_equal(reply("Z9,1008,4"), "");
	assert_string_equal(reply("Z0,1000"), "E01");
	assert_string_equal(reply("Z0,1000,1;X1,0"), "OK");
	/* continue: no reply until the stop */
	assert_string_equal(packet("c"), "+");
	assert_int_equal(resumes, 1);
	assert_int_equal(resumed_step, 0);
	nsent = 0;
	gdb_input(&g, 0x03);
	assert_int_equal(interrupts, 1);
	gdb_stopped(&g, &(struct gdb_stop){ 2, 2, GDB_STOP_SIGNAL, 0 });
	assert_string_equal(sent, "$T02thread:2;#d5");
	nsent = 0;
	sent[0] = '\0';
	gdb_stopped(&g, &(struct gdb_stop){ 1, 5, GDB_STOP_SIGNAL, 0 });   /* none owed */
	assert_string_equal(sent, "");
	assert_string_equal(packet("s"), "+");
	assert_int_equal(resumed_step, 1);      /* Hg after the stop: thread 1 */
	gdb_stopped(&g, &(struct gdb_stop){ 1, 5, GDB_STOP_SWBREAK, 0 });
	assert_non_null(strstr(sent, "T05thread:1;swbreak:;"));
	assert_string_equal(reply("vCont?"), "vCont;c;C;s;S");
	assert_string_equal(packet("vCont;s:2;c"), "+");
	assert_int_equal(resumed_step, 2);
	gdb_stopped(&g, &(struct gdb_stop){ 2, 5, GDB_STOP_WATCH, 0x1008 });
	assert_non_null(strstr(sent, "T05thread:2;watch:1008;"));
	assert_string_equal(reply("vCont;x"), "E01");
	assert_string_equal(reply("vCont;s:9"), "E01");
	assert_string_equal(packet("vCont;c"), "+");
	assert_int_equal(resumed_step, 0);
	gdb_exited(&g, 0);
	assert_non_null(strstr(sent, "$W00#"));
}

static void test_detach(void **state)
{
	(void)state;
	assert_string_equal(reply("D"), "OK");
	assert_int_equal(detaches, 1);
	assert_string_equal(packet("k"), "+");   /* kill: the VM runs on, undebugged */
	assert_int_equal(detaches, 2);
	packet("qRcmd,7a7a");   /* unknown: the help */
	assert_non_null(strstr(sent, "$OK#9a"));
	assert_non_null(strstr(sent, "$O74696e7968762"));
	assert_string_equal(reply("qRcmd,7"), "E01");
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_framing), T(test_queries), T(test_registers), T(test_memory),
		T(test_breakpoints_and_running), T(test_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
