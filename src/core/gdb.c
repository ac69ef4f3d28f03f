/* The GDB remote-serial-protocol stub (include/hv/gdb.h).  Packets and
 * replies follow the GDB manual, appendix E "GDB Remote Serial
 * Protocol"; the register numbers are GDB's amd64 and i386 ones
 * (gdb/features/i386/64bit-core.xml, 32bit-core.xml), which the target
 * description sent to GDB states, with tinyhv's control registers as a
 * feature of their own. */
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/gdb.h>
#include <hv/string.h>
#include <hv/vcpu.h>

struct gdb_reg {
	const char *name;
	unsigned size;             /* bytes */
	enum gdb_reg_src src;
	unsigned n;                /* GPR, segment or control register number */
	const char *type;          /* in the target description */
	const char *feature;       /* NULL: the same as the register before */
};

#define CORE     "org.gnu.gdb.i386.core"
#define SEGMENTS "org.gnu.gdb.i386.segments"
#define CONTROL  "org.tinyhv.control"

#define X87                                                                                 \
	{ "st0", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st1", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st2", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st3", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st4", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st5", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st6", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "st7", 10, GDB_SRC_NONE, 0, "i387_ext", NULL },                              \
	{ "fctrl", 4, GDB_SRC_NONE, 0, "int", NULL }, { "fstat", 4, GDB_SRC_NONE, 0, "int", NULL }, \
	{ "ftag", 4, GDB_SRC_NONE, 0, "int", NULL }, { "fiseg", 4, GDB_SRC_NONE, 0, "int", NULL }, \
	{ "fioff", 4, GDB_SRC_NONE, 0, "int", NULL }, { "foseg", 4, GDB_SRC_NONE, 0, "int", NULL }, \
	{ "fooff", 4, GDB_SRC_NONE, 0, "int", NULL }, { "fop", 4, GDB_SRC_NONE, 0, "int", NULL }

/* The segment selectors, then the x87 registers: the same in both layouts. */
#define SEGS_AND_X87                                                                       \
	{ "cs", 4, GDB_SRC_SEG, VSEG_CS, "int32", NULL },                                     \
	{ "ss", 4, GDB_SRC_SEG, VSEG_SS, "int32", NULL },                                     \
	{ "ds", 4, GDB_SRC_SEG, VSEG_DS, "int32", NULL },                                     \
	{ "es", 4, GDB_SRC_SEG, VSEG_ES, "int32", NULL },                                     \
	{ "fs", 4, GDB_SRC_SEG, VSEG_FS, "int32", NULL },                                     \
	{ "gs", 4, GDB_SRC_SEG, VSEG_GS, "int32", NULL },                                     \
	X87

/* The x87 registers are not shown (the hypervisor keeps the guest's FPU
 * state in XSAVE form only while it is switched out): GDB prints them as
 * unavailable.  GDB requires them in the core feature. */
static const struct gdb_reg amd64_regs[] = {
	{ "rax", 8, GDB_SRC_GPR, GPR_RAX, "int64", CORE },
	{ "rbx", 8, GDB_SRC_GPR, GPR_RBX, "int64", NULL },
	{ "rcx", 8, GDB_SRC_GPR, GPR_RCX, "int64", NULL },
	{ "rdx", 8, GDB_SRC_GPR, GPR_RDX, "int64", NULL },
	{ "rsi", 8, GDB_SRC_GPR, GPR_RSI, "int64", NULL },
	{ "rdi", 8, GDB_SRC_GPR, GPR_RDI, "int64", NULL },
	{ "rbp", 8, GDB_SRC_GPR, GPR_RBP, "data_ptr", NULL },
	{ "rsp", 8, GDB_SRC_GPR, GPR_RSP, "data_ptr", NULL },
	{ "r8", 8, GDB_SRC_GPR, GPR_R8, "int64", NULL },
	{ "r9", 8, GDB_SRC_GPR, GPR_R9, "int64", NULL },
	{ "r10", 8, GDB_SRC_GPR, GPR_R10, "int64", NULL },
	{ "r11", 8, GDB_SRC_GPR, GPR_R11, "int64", NULL },
	{ "r12", 8, GDB_SRC_GPR, GPR_R12, "int64", NULL },
	{ "r13", 8, GDB_SRC_GPR, GPR_R13, "int64", NULL },
	{ "r14", 8, GDB_SRC_GPR, GPR_R14, "int64", NULL },
	{ "r15", 8, GDB_SRC_GPR, GPR_R15, "int64", NULL },
	{ "rip", 8, GDB_SRC_RIP, 0, "code_ptr", NULL },
	{ "eflags", 4, GDB_SRC_RFLAGS, 0, "int32", NULL },
	SEGS_AND_X87,
	{ "fs_base", 8, GDB_SRC_SEG_BASE, VSEG_FS, "int64", SEGMENTS },
	{ "gs_base", 8, GDB_SRC_SEG_BASE, VSEG_GS, "int64", NULL },
	{ "cr0", 8, GDB_SRC_CR, 0, "int64", CONTROL },
	{ "cr2", 8, GDB_SRC_CR, 2, "int64", NULL },
	{ "cr3", 8, GDB_SRC_CR, 3, "int64", NULL },
	{ "cr4", 8, GDB_SRC_CR, 4, "int64", NULL },
	{ "efer", 8, GDB_SRC_CR, 8, "int64", NULL },
};

static const struct gdb_reg i386_regs[] = {
	{ "eax", 4, GDB_SRC_GPR, GPR_RAX, "int32", CORE },
	{ "ecx", 4, GDB_SRC_GPR, GPR_RCX, "int32", NULL },
	{ "edx", 4, GDB_SRC_GPR, GPR_RDX, "int32", NULL },
	{ "ebx", 4, GDB_SRC_GPR, GPR_RBX, "int32", NULL },
	{ "esp", 4, GDB_SRC_GPR, GPR_RSP, "data_ptr", NULL },
	{ "ebp", 4, GDB_SRC_GPR, GPR_RBP, "data_ptr", NULL },
	{ "esi", 4, GDB_SRC_GPR, GPR_RSI, "int32", NULL },
	{ "edi", 4, GDB_SRC_GPR, GPR_RDI, "int32", NULL },
	{ "eip", 4, GDB_SRC_RIP, 0, "code_ptr", NULL },
	{ "eflags", 4, GDB_SRC_RFLAGS, 0, "int32", NULL },
	SEGS_AND_X87,
	{ "cr0", 4, GDB_SRC_CR, 0, "int32", CONTROL },
	{ "cr2", 4, GDB_SRC_CR, 2, "int32", NULL },
	{ "cr3", 4, GDB_SRC_CR, 3, "int32", NULL },
	{ "cr4", 4, GDB_SRC_CR, 4, "int32", NULL },
};

static const struct gdb_reg *reg_table(const struct gdb *g, unsigned *n)
{
	*n = g->long_mode ? ARRAY_SIZE(amd64_regs) : ARRAY_SIZE(i386_regs);
	return g->long_mode ? amd64_regs : i386_regs;
}

/* ---- packets out ---- */

static const char hexdigits[] = "0123456789abcdef";

static void send_packet(struct gdb *g, const char *data, size_t len)
{
	uint8_t sum = 0;
	size_t n = 0;

	g->out[n++] = '$';
	for (size_t i = 0; i < len && n + 4 < sizeof(g->out); i++) {
		g->out[n++] = data[i];
		sum = (uint8_t)(sum + (uint8_t)data[i]);
	}
	g->out[n++] = '#';
	g->out[n++] = hexdigits[sum >> 4];
	g->out[n++] = hexdigits[sum & 15];
	g->send(g->send_ctx, g->out, n);
}

static void reply(struct gdb *g, const char *s) { send_packet(g, s, strlen(s)); }

static void reply_error(struct gdb *g, int rc)
{
	reply(g, rc == HV_ERANGE || rc == HV_EFAULT ? "E14" : rc == HV_ENOENT ? "E02" : "E01");
}

/* A growing reply in pkt-sized storage. */
struct buf {
	char *p;
	size_t n, cap;
};

static void put_hex(struct buf *b, const uint8_t *bytes, size_t len)
{
	for (size_t i = 0; i < len && b->n + 2 < b->cap; i++) {
		b->p[b->n++] = hexdigits[bytes[i] >> 4];
		b->p[b->n++] = hexdigits[bytes[i] & 15];
	}
}

static void put_str(struct buf *b, const char *s)
{
	while (*s && b->n + 1 < b->cap)
		b->p[b->n++] = *s++;
}

/* ---- parsing ---- */


/* A hex number at *p (at least one digit, at most 16), *p moved past it. */
static bool parse_hex(const char **p, uint64_t *out)
{
	uint64_t v = 0;
	unsigned n = 0;

	for (int d; (d = hv_hexval(**p)) >= 0; (*p)++, n++) {
		if (n == 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return n > 0;
}

/* "ADDR,LEN" then end (or the character stop). */
static bool parse_addr_len(const char **p, uint64_t *addr, uint64_t *len, char stop)
{
	return parse_hex(p, addr) && *(*p)++ == ',' && parse_hex(p, len) && **p == stop;
}

/* len bytes of hex at p into out: false for odd or non-hex input. */
static bool unhex(const char *p, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi = hv_hexval(p[2 * i]), lo = hi < 0 ? -1 : hv_hexval(p[2 * i + 1]);

		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* A thread id: "-1" and "0" are any thread (the first). */
static bool parse_thread(const struct gdb *g, const char *p, unsigned *thread)
{
	uint64_t t;

	if (p[0] == '-' && p[1] == '1' && !p[2]) {
		*thread = 1;
		return true;
	}
	if (!parse_hex(&p, &t) || *p)
		return false;
	*thread = t ? (unsigned)t : 1;
	return t <= g->ops->threads(g->t);
}

/* ---- registers ---- */

static uint64_t reg_value(const struct gdb_reg *r, const struct vcpu_snapshot *s)
{
	switch (r->src) {
	case GDB_SRC_GPR: return s->gpr[r->n];
	case GDB_SRC_RIP: return s->rip;
	case GDB_SRC_RFLAGS: return s->rflags;
	case GDB_SRC_SEG: return s->seg[r->n].sel;
	case GDB_SRC_SEG_BASE: return s->seg[r->n].base;
	case GDB_SRC_CR:
		return r->n == 0 ? s->cr0 : r->n == 2 ? s->cr2 : r->n == 3 ? s->cr3 :
		       r->n == 4 ? s->cr4 : s->efer;
	default: return 0;
	}
}

/* One register into b: little-endian hex, or "xx" per byte where it is
 * not available. */
static void put_reg(struct buf *b, const struct gdb_reg *r, const struct vcpu_snapshot *s)
{
	uint64_t v = reg_value(r, s);
	uint8_t bytes[8];

	if (r->src == GDB_SRC_NONE) {
		for (unsigned i = 0; i < r->size; i++)
			put_str(b, "xx");
		return;
	}
	for (unsigned i = 0; i < r->size && i < 8; i++)
		bytes[i] = (uint8_t)(v >> (8 * i));
	put_hex(b, bytes, r->size);
}

static bool writable(const struct gdb_reg *r)
{
	return r->src == GDB_SRC_GPR || r->src == GDB_SRC_RIP || r->src == GDB_SRC_RFLAGS;
}

/* Register r's new value from hex (little-endian): only GPRs, RIP and
 * RFLAGS change; a write of another register's own value is accepted
 * (GDB's G writes them all). */
static int write_reg(struct gdb *g, const struct gdb_reg *r, const char *hex,
		     const struct vcpu_snapshot *s)
{
	uint8_t bytes[10];
	uint64_t v = 0;

	if (!unhex(hex, r->size, bytes))
		return r->src == GDB_SRC_NONE ? 0 : HV_EINVAL;   /* "xx": left alone */
	for (unsigned i = 0; i < r->size && i < 8; i++)
		v |= (uint64_t)bytes[i] << (8 * i);
	if (!writable(r)) {
		uint64_t mask = r->size >= 8 ? ~0ULL : (1ULL << (8 * r->size)) - 1;

		return r->src == GDB_SRC_NONE || (reg_value(r, s) & mask) == v ? 0 : HV_EINVAL;
	}
	if (r->size == 4 && r->src == GDB_SRC_GPR)   /* i386: the upper halves stay */
		v |= reg_value(r, s) & ~0xffffffffULL;
	return g->ops->write_reg(g->t, g->g_thread, r->src, r->n, v);
}

static void cmd_read_regs(struct gdb *g)
{
	struct vcpu_snapshot s;
	struct buf b = { g->pkt, 0, sizeof(g->pkt) };
	unsigned n;
	const struct gdb_reg *regs = reg_table(g, &n);
	int rc = g->ops->regs(g->t, g->g_thread, &s);

	if (rc) {
		reply_error(g, rc);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		put_reg(&b, &regs[i], &s);
	send_packet(g, b.p, b.n);
}

static void cmd_write_regs(struct gdb *g, const char *hex)
{
	struct vcpu_snapshot s;
	unsigned n;
	const struct gdb_reg *regs = reg_table(g, &n);
	int rc = g->ops->regs(g->t, g->g_thread, &s);

	for (unsigned i = 0; i < n && !rc && *hex; i++) {
		if (strlen(hex) < 2 * regs[i].size) {
			rc = HV_EINVAL;
			break;
		}
		rc = write_reg(g, &regs[i], hex, &s);
		hex += 2 * regs[i].size;
	}
	if (rc)
		reply_error(g, rc);
	else
		reply(g, "OK");
}

/* p N and P N=V. */
static void cmd_one_reg(struct gdb *g, const char *p, bool write)
{
	struct vcpu_snapshot s;
	struct buf b = { g->pkt, 0, sizeof(g->pkt) };
	unsigned n;
	const struct gdb_reg *regs = reg_table(g, &n);
	uint64_t num;
	int rc;

	if (!parse_hex(&p, &num) || (write ? *p++ != '=' : *p != '\0')) {
		reply(g, "E01");
		return;
	}
	if (num >= n) {
		reply(g, write ? "E01" : "");   /* no such register */
		return;
	}
	rc = g->ops->regs(g->t, g->g_thread, &s);
	if (!rc && write)
		rc = strlen(p) == 2 * regs[num].size ? write_reg(g, &regs[num], p, &s) : HV_EINVAL;
	if (rc) {
		reply_error(g, rc);
		return;
	}
	if (write) {
		reply(g, "OK");
		return;
	}
	put_reg(&b, &regs[num], &s);
	send_packet(g, b.p, b.n);
}

/* ---- memory ---- */

#define MEM_MAX ((GDB_PACKET_MAX - 8) / 2)

static void cmd_read_mem(struct gdb *g, const char *p)
{
	uint8_t data[MEM_MAX];
	struct buf b = { g->pkt, 0, sizeof(g->pkt) };
	uint64_t addr, len;
	int rc;

	if (!parse_addr_len(&p, &addr, &len, '\0')) {
		reply(g, "E01");
		return;
	}
	if (len > MEM_MAX)
		len = MEM_MAX;   /* a shorter reply is allowed: GDB asks for the rest */
	rc = g->ops->read(g->t, g->g_thread, addr, data, len);
	if (rc) {
		reply_error(g, rc);
		return;
	}
	put_hex(&b, data, len);
	send_packet(g, b.p, b.n);
}

static void cmd_write_mem(struct gdb *g, const char *p)
{
	uint8_t data[MEM_MAX];
	uint64_t addr, len;
	int rc;

	if (!parse_addr_len(&p, &addr, &len, ':') || len > MEM_MAX || strlen(p + 1) != 2 * len ||
	    !unhex(p + 1, len, data)) {
		reply(g, "E01");
		return;
	}
	rc = g->ops->write(g->t, g->g_thread, addr, data, len);
	if (rc)
		reply_error(g, rc);
	else
		reply(g, "OK");
}

/* ---- breakpoints, running ---- */

static void cmd_breakpoint(struct gdb *g, const char *p, bool insert)
{
	uint64_t type, addr, kind;
	int rc;

	/* TYPE,ADDR,KIND, and maybe ";cond..." (conditions are GDB's to
	 * evaluate: not offered in qSupported). */
	if (!parse_hex(&p, &type) || *p++ != ',' || !parse_hex(&p, &addr) || *p++ != ',' ||
	    !parse_hex(&p, &kind) || (*p && *p != ';')) {
		reply(g, "E01");
		return;
	}
	if (type > GDB_WATCH_ACCESS) {
		reply(g, "");
		return;
	}
	rc = g->ops->breakpoint(g->t, g->g_thread, (enum gdb_break)type, addr, (unsigned)kind, insert);
	if (rc == HV_ENOTSUP)
		reply(g, "");
	else if (rc)
		reply_error(g, rc);
	else
		reply(g, "OK");
}

static void resume(struct gdb *g, unsigned step_thread)
{
	g->running = true;
	g->ops->resume(g->t, step_thread);
}

/* vCont;ACTION[:THREAD]...: a step for one thread (the others continue),
 * or continue all. */
static void cmd_vcont(struct gdb *g, const char *p)
{
	unsigned step = 0;

	if (!strcmp(p, "?")) {
		reply(g, "vCont;c;C;s;S");
		return;
	}
	if (*p++ != ';') {
		reply(g, "E01");
		return;
	}
	while (*p) {
		char action = *p++;
		unsigned thread = 0;
		uint64_t sig;

		if (action != 'c' && action != 'C' && action != 's' && action != 'S') {
			reply(g, "E01");
			return;
		}
		if ((action == 'C' || action == 'S') && !parse_hex(&p, &sig)) {
			reply(g, "E01");
			return;
		}
		if (*p == ':') {
			char id[24];
			size_t n = 0;

			for (p++; *p && *p != ';' && n + 1 < sizeof(id); p++)
				id[n++] = *p;
			id[n] = '\0';
			if (!parse_thread(g, id, &thread)) {
				reply(g, "E01");
				return;
			}
		}
		if ((action == 's' || action == 'S') && !step)
			step = thread ? thread : g->g_thread;
		if (*p == ';')
			p++;
	}
	resume(g, step);
}

static void stop_reply(struct gdb *g, const struct gdb_stop *s)
{
	char r[80];
	int n = hv_snprintf(r, sizeof(r), "T%02xthread:%x;", s->signal, s->thread);

	if (s->why == GDB_STOP_SWBREAK)
		hv_snprintf(r + n, sizeof(r) - (size_t)n, "swbreak:;");
	else if (s->why == GDB_STOP_HWBREAK)
		hv_snprintf(r + n, sizeof(r) - (size_t)n, "hwbreak:;");
	else if (s->why == GDB_STOP_WATCH)
		hv_snprintf(r + n, sizeof(r) - (size_t)n, "watch:%lx;", s->addr);
	reply(g, r);
}

void gdb_stopped(struct gdb *g, const struct gdb_stop *s)
{
	g->last = *s;
	g->g_thread = s->thread;
	if (!g->running)
		return;
	g->running = false;
	stop_reply(g, s);
}

/* ---- queries ---- */

/* The target description (GDB manual, "Target Descriptions"). */
static size_t target_xml(const struct gdb *g, char *out, size_t cap)
{
	struct buf b = { out, 0, cap };
	unsigned n;
	const struct gdb_reg *regs = reg_table(g, &n);

	put_str(&b, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		    "<target version=\"1.0\"><architecture>");
	put_str(&b, g->long_mode ? "i386:x86-64" : "i386");
	put_str(&b, "</architecture>");
	for (unsigned i = 0; i < n; i++) {
		char line[160];

		if (regs[i].feature) {
			if (i)
				put_str(&b, "</feature>");
			put_str(&b, "<feature name=\"");
			put_str(&b, regs[i].feature);
			put_str(&b, "\">");
		}
		hv_snprintf(line, sizeof(line), "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"/>",
			    regs[i].name, regs[i].size * 8, regs[i].type, i);
		put_str(&b, line);
	}
	put_str(&b, "</feature></target>");
	return b.n;
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void cmd_xfer(struct gdb *g, const char *p)
{
	char *xml = g->xml;
	uint64_t off, len;
	size_t total = target_xml(g, xml, sizeof(g->xml));
	const char *annex = "features:read:target.xml:";

	if (strncmp(p, annex, strlen(annex))) {
		reply(g, "");
		return;
	}
	p += strlen(annex);
	if (!parse_addr_len(&p, &off, &len, '\0')) {
		reply(g, "E01");
		return;
	}
	if (off >= total) {
		reply(g, "l");
		return;
	}
	if (len > GDB_PACKET_MAX - 8)
		len = GDB_PACKET_MAX - 8;
	if (len > total - off)
		len = total - off;
	g->pkt[0] = off + len < total ? 'm' : 'l';
	memcpy(g->pkt + 1, xml + off, len);
	send_packet(g, g->pkt, len + 1);
}

/* An "O" packet: text for GDB's console. */
static void console_out(struct gdb *g, const char *text)
{
	struct buf b = { g->pkt, 0, sizeof(g->pkt) };

	put_str(&b, "O");
	put_hex(&b, (const uint8_t *)text, strlen(text));
	send_packet(g, b.p, b.n);
}

/* monitor COMMAND (qRcmd): "phys ADDR LEN" reads guest-physical memory. */
static void cmd_monitor(struct gdb *g, const char *hex)
{
	char cmd[128], line[96];
	size_t len = strlen(hex) / 2;
	uint64_t addr, n;
	const char *p;
	uint8_t data[256];

	if (strlen(hex) % 2 || len >= sizeof(cmd) || !unhex(hex, len, (uint8_t *)cmd)) {
		reply(g, "E01");
		return;
	}
	cmd[len] = '\0';
	p = cmd + 5;
	if (strncmp(cmd, "phys ", 5) || !parse_hex(&p, &addr) || *p++ != ' ' || !parse_hex(&p, &n) ||
	    *p || n == 0 || n > sizeof(data)) {
		console_out(g, "tinyhv monitor commands:\n"
			       "  phys ADDR LEN   guest-physical memory (hex ADDR, LEN <= 100)\n");
		reply(g, "OK");
		return;
	}
	if (g->ops->read_phys(g->t, addr, data, n)) {
		hv_snprintf(line, sizeof(line), "phys: 0x%lx..0x%lx is not guest RAM\n", addr,
			    addr + n - 1);
		console_out(g, line);
		reply(g, "E14");
		return;
	}
	for (uint64_t i = 0; i < n; i += 16) {
		struct buf b = { line, 0, sizeof(line) };
		char head[24];

		hv_snprintf(head, sizeof(head), "%016lx:", addr + i);
		put_str(&b, head);
		for (uint64_t j = i; j < n && j < i + 16; j++) {
			put_str(&b, " ");
			put_hex(&b, &data[j], 1);
		}
		put_str(&b, "\n");
		line[b.n] = '\0';
		console_out(g, line);
	}
	reply(g, "OK");
}

static void cmd_threads(struct gdb *g)
{
	struct buf b = { g->pkt, 0, sizeof(g->pkt) };

	put_str(&b, "m");
	for (unsigned t = 1; t <= g->ops->threads(g->t); t++) {
		char id[16];

		hv_snprintf(id, sizeof(id), "%s%x", t > 1 ? "," : "", t);
		put_str(&b, id);
	}
	send_packet(g, b.p, b.n);
}

static void cmd_query(struct gdb *g, const char *p)
{
	char r[32];

	if (!strncmp(p, "qSupported", 10)) {
		/* A new debugger (the last went without a detach): acks again. */
		g->no_ack = false;
		reply(g, "PacketSize=1000;qXfer:features:read+;swbreak+;hwbreak+;"
			 "QStartNoAckMode+;vContSupported+");
	} else if (!strncmp(p, "qXfer:", 6))
		cmd_xfer(g, p + 6);
	else if (!strcmp(p, "qAttached"))
		reply(g, "1");
	else if (!strcmp(p, "qfThreadInfo"))
		cmd_threads(g);
	else if (!strcmp(p, "qsThreadInfo"))
		reply(g, "l");
	else if (!strcmp(p, "qC")) {
		hv_snprintf(r, sizeof(r), "QC%x", g->g_thread);
		reply(g, r);
	} else if (!strncmp(p, "qRcmd,", 6))
		cmd_monitor(g, p + 6);
	else
		reply(g, "");
}

/* ---- one packet ---- */

static void packet(struct gdb *g, const char *p)
{
	unsigned thread;

	switch (p[0]) {
	case '?': stop_reply(g, &g->last); break;
	case 'g': cmd_read_regs(g); break;
	case 'G': cmd_write_regs(g, p + 1); break;
	case 'p': cmd_one_reg(g, p + 1, false); break;
	case 'P': cmd_one_reg(g, p + 1, true); break;
	case 'm': cmd_read_mem(g, p + 1); break;
	case 'M': cmd_write_mem(g, p + 1); break;
	case 'Z': cmd_breakpoint(g, p + 1, true); break;
	case 'z': cmd_breakpoint(g, p + 1, false); break;
	case 'c': case 'C': resume(g, 0); break;
	case 's': case 'S': resume(g, g->g_thread); break;
	case 'q': cmd_query(g, p); break;
	case 'Q':
		if (strcmp(p, "QStartNoAckMode")) {
			reply(g, "");
			break;
		}
		reply(g, "OK");
		g->no_ack = true;
		break;
	case 'H':
		if ((p[1] == 'g' || p[1] == 'c') && parse_thread(g, p + 2, &thread)) {
			if (p[1] == 'g')
				g->g_thread = thread;
			reply(g, "OK");
		} else {
			reply(g, "E01");
		}
		break;
	case 'T':
		reply(g, parse_thread(g, p + 1, &thread) ? "OK" : "E01");
		break;
	case 'v':
		if (!strncmp(p, "vCont", 5))
			cmd_vcont(g, p + 5);
		else
			reply(g, "");
		break;
	case 'D':
	case 'k':
		if (p[0] == 'D')
			reply(g, "OK");
		g->running = false;
		g->connected = false;
		g->no_ack = false;
		g->ops->detach(g->t);
		break;
	default: reply(g, ""); break;
	}
}

/* ---- bytes in ---- */

void gdb_init(struct gdb *g, const struct gdb_ops *ops, void *t,
	      void (*send)(void *ctx, const char *buf, size_t len), void *send_ctx)
{
	memset(g, 0, sizeof(*g));
	g->ops = ops;
	g->t = t;
	g->send = send;
	g->send_ctx = send_ctx;
	g->g_thread = 1;
	g->last = (struct gdb_stop){ .thread = 1, .signal = 5 };
}

void gdb_set_long_mode(struct gdb *g, bool long_mode) { g->long_mode = long_mode; }

void gdb_exited(struct gdb *g, unsigned status)
{
	char r[8];

	if (!g->connected)
		return;
	hv_snprintf(r, sizeof(r), "W%02x", status & 0xff);
	reply(g, r);
	g->running = false;
	g->connected = false;
	g->no_ack = false;
}

static void packet_end(struct gdb *g)
{
	bool good = !g->overflow && g->sum == g->got_sum;

	if (!g->no_ack)
		g->send(g->send_ctx, good ? "+" : "-", 1);
	g->rx = GDB_RX_IDLE;
	if (!good)
		return;
	g->in[g->len] = '\0';
	g->connected = true;
	packet(g, g->in);
}

void gdb_input(struct gdb *g, uint8_t c)
{
	int d;

	switch (g->rx) {
	case GDB_RX_IDLE:
		if (c == '$') {
			g->rx = GDB_RX_DATA;
			g->len = 0;
			g->sum = 0;
			g->overflow = false;
		} else if (c == 0x03 && g->running) {
			g->ops->interrupt(g->t);
		}
		return;   /* '+', '-' and anything else between packets */
	case GDB_RX_DATA:
		if (c == '#') {
			g->rx = GDB_RX_SUM1;
			return;
		}
		g->sum = (uint8_t)(g->sum + c);
		if (g->len + 1 < sizeof(g->in))
			g->in[g->len++] = (char)c;
		else
			g->overflow = true;
		return;
	case GDB_RX_SUM1:
	case GDB_RX_SUM2:
		d = hv_hexval((char)c);
		if (d < 0) {
			g->overflow = true;   /* a bad checksum digit: NAK */
			d = 0;
		}
		if (g->rx == GDB_RX_SUM1) {
			g->got_sum = (uint8_t)(d << 4);
			g->rx = GDB_RX_SUM2;
			return;
		}
		g->got_sum = (uint8_t)(g->got_sum | d);
		packet_end(g);
		return;
	}
}
