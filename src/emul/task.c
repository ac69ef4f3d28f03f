/* Hardware task switches (hv/task.h), in the order of SDM Vol. 3A 9.3,
 * "Task Switching", with the 32-bit TSS of figure 9-2 or the 16-bit TSS of
 * figure 9-11 (9.6) on either side.
 *
 * The CPU has made the first checks before the VM exit (Vol. 3C 26.4.2:
 * the task gate's and the TSS descriptor's privilege, type, present bit
 * and limit); they are made again here, cheaply, so that the emulation
 * stands on its own.  Until TR is loaded a fault is the old task's (the
 * guest's registers and memory as they were, but for what was written
 * to the old TSS); after it, the new task's: its segment registers are
 * checked as the CPU checks them while it loads them (table 9-1), and a
 * failing one raises #TS, #NP or #SS in the new task. */
#include <hv/errno.h>
#include <hv/event.h>
#include <hv/guest_mem.h>
#include <hv/string.h>
#include <hv/task.h>
#include <hv/vm.h>
#include <hv/vmexit.h>
#include <hv/x86.h>

/* The 32-bit TSS in dwords (figure 9-2). */
enum {
	TSS_LINK = 0, TSS_CR3 = 7, TSS_EIP = 8, TSS_EFLAGS = 9, TSS_EAX = 10, TSS_ESP = 14,
	TSS_ES = 18, TSS_CS = 19, TSS_SS = 20, TSS_DS = 21, TSS_FS = 22, TSS_GS = 23,
	TSS_LDT = 24, TSS_T = 25, TSS_DWORDS = 26,
};
#define TSS32_MIN_LIMIT 0x67
/* The 16-bit TSS in words (figure 9-11): no CR3, FS, GS or T bit. */
enum {
	TSS16_LINK = 0, TSS16_IP = 7, TSS16_FLAGS = 8, TSS16_AX = 9, TSS16_ES = 17, TSS16_DS = 20,
	TSS16_LDT = 21, TSS16_WORDS = 22,
};
#define TSS16_MIN_LIMIT 0x2b

/* Descriptors (Vol. 3A 3.4.5). */
#define D_TYPE(d)       ((unsigned)((d) >> 40) & 0xf)
#define D_S(d)          (((d) >> 44) & 1)
#define D_DPL(d)        ((unsigned)((d) >> 45) & 3)
#define D_P(d)          (((d) >> 47) & 1)
#define D_ACCESSED      (1ULL << 40)
#define D_TSS_BUSY      (2ULL << 40)
#define TYPE_CODE       8
#define TYPE_CONFORMING 4       /* code */
#define TYPE_READ_WRITE 2       /* readable code, writable data */
#define TYPE_LDT        2
#define TYPE_TSS16      1       /* busy: 3 */
#define TYPE_TSS32      9       /* busy: 11 */

#define RFLAGS_NT       BIT(14)
#define RFLAGS_VM       BIT(17)
#define DR7_LOCAL       0x155ULL   /* L0-L3 and LE, cleared by a task switch (Vol. 3B 18.2.4) */
#define DR6_BT          BIT(15)
#define AR_V86          0xf3       /* present, DPL 3, data read/write accessed */

struct ts {
	struct vcpu *v;
	const struct task_switch_request *r;
	uint16_t ext;               /* the EXT bit of error codes: an external event */
	uint64_t gdt_base;
	uint32_t gdt_limit;
	struct vseg ldt;            /* the new task's, for selectors with TI */
	unsigned cpl;
	bool old16, new16;          /* 16-bit TSSs */
};

/* What the switch loads from the new TSS, of either format. */
struct tss_regs {
	uint32_t eip, eflags, gpr[8], ldt;
	uint16_t sel[6];            /* ES, CS, SS, DS, FS, GS: the vseg_id order */
	uint32_t cr3;
	bool has_cr3, trap;
};

static uint64_t d_base(uint64_t d) { return ((d >> 16) & 0xffffff) | ((d >> 56) << 24); }

static uint32_t d_limit(uint64_t d)
{
	uint32_t l = (uint32_t)(d & 0xffff) | (uint32_t)((d >> 32) & 0xf0000);

	return (d & (1ULL << 55)) ? l << 12 | 0xfff : l;
}

static struct vseg d_seg(uint16_t sel, uint64_t d)
{
	return (struct vseg){ sel, d_base(d), d_limit(d), (uint32_t)(d >> 40) & 0xf0ff };
}

static void fault(struct ts *t, uint8_t vector, uint16_t sel)
{
	vcpu_queue_exception(t->v, vector, true, (uint32_t)(sel & 0xfffc) | t->ext);
}

/* Guest memory by linear address: 0, or HV_EFAULT with the fault queued
 * (HV_EIO, outside RAM, stops the VM in the caller). */
static int mem(int rc) { return rc == HV_ENOENT ? HV_EFAULT : rc; }

/* The descriptor of sel in the GDT, or with TI in the new task's LDT:
 * 0, HV_ERANGE beyond the table (or no LDT), HV_EFAULT, HV_EIO. */
static int read_desc(struct ts *t, uint16_t sel, uint64_t *d, uint64_t *at)
{
	uint64_t base = t->gdt_base;
	uint32_t limit = t->gdt_limit;

	if (sel & 4) {
		if (t->ldt.ar & VSEG_AR_UNUSABLE)
			return HV_ERANGE;
		base = t->ldt.base;
		limit = t->ldt.limit;
	}
	if ((uint32_t)(sel | 7) > limit)
		return HV_ERANGE;
	*at = base + (sel & ~7u);
	return mem(vcpu_read_gva(t->v, *at, d, sizeof(*d)));
}

static int write_desc(struct ts *t, uint64_t at, uint64_t d)
{
	return mem(vcpu_write_gva(t->v, at, &d, sizeof(d)));
}

/* ---- before the switch: the TSS descriptors ------------------------------- */

static bool is_tss16(unsigned type) { return (type & ~2u) == TYPE_TSS16; }

/* The new TSS's descriptor: a TSS, busy for IRET and available otherwise,
 * present, big enough for its format (table 9-1's first lines). */
static int check_new_tss(struct ts *t, uint64_t *d, uint64_t *at)
{
	uint16_t sel = t->r->selector;
	bool iret = t->r->source == TASK_IRET;
	uint8_t bad = (t->r->source == TASK_CALL || t->r->source == TASK_JMP) ? X86_GP : X86_TS;
	int rc = (sel & 4) ? HV_ERANGE : read_desc(t, sel, d, at);

	if (rc == HV_ERANGE) {
		fault(t, bad, sel);
		return HV_EFAULT;
	}
	if (rc)
		return rc;
	t->new16 = is_tss16(D_TYPE(*d));
	if (D_S(*d) || ((D_TYPE(*d) & ~2u) != TYPE_TSS32 && !t->new16) ||
	    !!(D_TYPE(*d) & 2) != iret) {
		fault(t, iret ? X86_TS : bad, sel);
		return HV_EFAULT;
	}
	if (!D_P(*d)) {
		fault(t, X86_NP, sel);
		return HV_EFAULT;
	}
	if (d_limit(*d) < (t->new16 ? TSS16_MIN_LIMIT : TSS32_MIN_LIMIT)) {
		fault(t, X86_TS, sel);
		return HV_EFAULT;
	}
	return 0;
}

/* The new task's state.  A 16-bit TSS holds the low halves: the upper
 * halves of the general registers are "modified and not maintained"
 * (9.6); they read 0xffff after the switch, as on Bochs (and the 386),
 * EIP's and EFLAGS's 0, and FS and GS are null. */
static int read_tss(struct ts *t, uint64_t base, struct tss_regs *n)
{
	uint32_t d[TSS_DWORDS];
	uint16_t w[TSS16_WORDS];
	int rc;

	if (t->new16) {
		rc = mem(vcpu_read_gva(t->v, base, w, sizeof(w)));
		if (rc)
			return rc;
		*n = (struct tss_regs){ .eip = w[TSS16_IP], .eflags = w[TSS16_FLAGS],
					.ldt = w[TSS16_LDT] };
		for (unsigned i = 0; i < 8; i++)
			n->gpr[i] = 0xffff0000u | w[TSS16_AX + i];
		for (unsigned i = 0; i <= TSS16_DS - TSS16_ES; i++)
			n->sel[i] = w[TSS16_ES + i];
		return 0;
	}
	rc = mem(vcpu_read_gva(t->v, base, d, sizeof(d)));
	if (rc)
		return rc;
	*n = (struct tss_regs){ .eip = d[TSS_EIP], .eflags = d[TSS_EFLAGS], .ldt = d[TSS_LDT],
				.cr3 = d[TSS_CR3], .has_cr3 = true, .trap = d[TSS_T] & 1 };
	for (unsigned i = 0; i < 8; i++)
		n->gpr[i] = d[TSS_EAX + i];
	for (unsigned i = 0; i < 6; i++)
		n->sel[i] = (uint16_t)d[TSS_ES + i];
	return 0;
}

/* The old task's state into its TSS: EIP past what switched (an
 * instruction, or a software interrupt through a task gate), EFLAGS (NT
 * clear for IRET), the general registers and the selectors; into a 16-bit
 * TSS their low halves and no FS or GS. */
static int save_old(struct ts *t, const struct vseg *tr)
{
	struct vcpu *v = t->v;
	const struct task_switch_request *r = t->r;
	uint32_t s[TSS_GS - TSS_EIP + 1];
	uint16_t w[TSS16_DS - TSS16_IP + 1];
	uint64_t eip = vcpu_get(v, VREG_RIP), eflags = vcpu_get(v, VREG_RFLAGS);
	struct vseg seg;

	if (r->source != TASK_GATE)
		eip += r->insn_len;
	else if (r->event.type == EVENT_SW_INTERRUPT || r->event.type == EVENT_SW_EXCEPTION ||
		 r->event.type == EVENT_PRIV_SW_EXCEPTION)
		eip += r->event.insn_len;
	if (r->source == TASK_IRET)
		eflags &= ~RFLAGS_NT;
	s[0] = (uint32_t)eip;
	s[1] = (uint32_t)eflags;
	for (unsigned i = 0; i < 8; i++)
		s[2 + i] = (uint32_t)(i == GPR_RSP ? vcpu_get(v, VREG_RSP) : v->regs.gpr[i]);
	for (unsigned i = 0; i < 6; i++) {
		arch_vcpu_seg_read(v, (enum vseg_id)i, &seg);
		s[10 + i] = seg.sel;
	}
	if (!t->old16)
		return mem(vcpu_write_gva(v, tr->base + 4 * TSS_EIP, s, sizeof(s)));
	for (unsigned i = 0; i < ARRAY_SIZE(w); i++)
		w[i] = (uint16_t)s[i];
	return mem(vcpu_write_gva(v, tr->base + 2 * TSS16_IP, w, sizeof(w)));
}

/* ---- after it: the new task's registers ------------------------------------ */

static int load_ldt(struct ts *t, uint16_t sel)
{
	uint64_t d, at;
	int rc;

	t->ldt = (struct vseg){ .sel = sel, .ar = VSEG_AR_UNUSABLE };
	if ((sel & ~3u) == 0)
		goto done;
	t->ldt.ar = VSEG_AR_UNUSABLE;     /* the GDT alone, for its own descriptor */
	rc = (sel & 4) ? HV_ERANGE : read_desc(t, sel, &d, &at);
	if (rc == HV_ERANGE || (!rc && (D_S(d) || D_TYPE(d) != TYPE_LDT || !D_P(d)))) {
		fault(t, X86_TS, sel);
		return HV_EFAULT;
	}
	if (rc)
		return rc;
	t->ldt = d_seg(sel, d);
done:
	arch_vcpu_seg_write(t->v, VSEG_LDTR, &t->ldt);
	return 0;
}

/* Whether descriptor d may be loaded into s (table 9-1): 0, or the
 * exception's vector. */
static uint8_t seg_check(const struct ts *t, enum vseg_id s, uint16_t sel, uint64_t d)
{
	unsigned type = D_TYPE(d), dpl = D_DPL(d), rpl = sel & 3;
	bool code = type & TYPE_CODE;

	if (!D_S(d))
		return X86_TS;
	if (s == VSEG_CS) {
		if (!code || ((type & TYPE_CONFORMING) ? dpl > rpl : dpl != rpl))
			return X86_TS;
		return D_P(d) ? 0 : X86_NP;
	}
	if (s == VSEG_SS) {
		if (code || !(type & TYPE_READ_WRITE) || dpl != t->cpl || rpl != t->cpl)
			return X86_TS;
		return D_P(d) ? 0 : X86_SS;
	}
	if (code && !(type & TYPE_READ_WRITE))
		return X86_TS;
	if ((!code || !(type & TYPE_CONFORMING)) && (dpl < t->cpl || dpl < rpl))
		return X86_TS;
	return D_P(d) ? 0 : X86_NP;
}

static int load_seg(struct ts *t, enum vseg_id s, uint16_t sel)
{
	uint64_t d, at;
	uint8_t vec;
	int rc;

	if ((sel & ~3u) == 0) {
		if (s == VSEG_CS || s == VSEG_SS) {
			fault(t, X86_TS, sel);
			return HV_EFAULT;
		}
		arch_vcpu_seg_write(t->v, s, &(struct vseg){ .sel = sel, .ar = VSEG_AR_UNUSABLE });
		return 0;
	}
	rc = read_desc(t, sel, &d, &at);
	if (rc == HV_ERANGE) {
		fault(t, X86_TS, sel);
		return HV_EFAULT;
	}
	if (rc)
		return rc;
	vec = seg_check(t, s, sel, d);
	if (vec) {
		fault(t, vec, sel);
		return HV_EFAULT;
	}
	if (!(d & D_ACCESSED)) {
		d |= D_ACCESSED;
		rc = write_desc(t, at, d);
		if (rc)
			return rc;
	}
	struct vseg seg = d_seg(sel, d);

	arch_vcpu_seg_write(t->v, s, &seg);
	return 0;
}

/* The segment registers: virtual-8086 ones from the selectors alone, or
 * CS (whose RPL is the new CPL), SS, then the data segments. */
static int load_segs(struct ts *t, const struct tss_regs *n)
{
	static const enum vseg_id order[] = { VSEG_CS, VSEG_SS, VSEG_DS, VSEG_ES, VSEG_FS,
					      VSEG_GS };
	int rc;

	if (n->eflags & RFLAGS_VM) {
		for (unsigned i = 0; i < 6; i++) {
			uint16_t sel = n->sel[i];

			arch_vcpu_seg_write(t->v, (enum vseg_id)i,
					    &(struct vseg){ sel, (uint64_t)sel << 4, 0xffff, AR_V86 });
		}
		return 0;
	}
	t->cpl = n->sel[VSEG_CS] & 3;
	for (unsigned i = 0; i < 6; i++) {
		rc = load_seg(t, order[i], n->sel[order[i]]);
		if (rc)
			return rc;
	}
	return 0;
}

/* An exception through a task gate with an error code: onto the new
 * task's stack (Vol. 3A 7.12.2), a dword for a 32-bit TSS, a word for a
 * 16-bit one. */
static int push_error(struct ts *t)
{
	struct vseg ss;
	unsigned size = t->new16 ? 2 : 4;
	uint64_t esp = vcpu_get(t->v, VREG_RSP) - size;
	uint32_t err = t->r->event.error;
	int rc;

	arch_vcpu_seg_read(t->v, VSEG_SS, &ss);
	if (!(ss.ar & SEG_AR_DB))
		esp &= 0xffff;
	rc = mem(vcpu_write_gva(t->v, ss.base + (uint32_t)esp, &err, size));
	if (!rc)
		vcpu_set(t->v, VREG_RSP, (uint32_t)esp);
	return rc;
}

/* Commit: from here on the new task is the guest's.  A 16-bit TSS has no
 * CR3: paging goes on with the old task's (9.6). */
static int switch_to(struct ts *t, const struct tss_regs *n)
{
	struct vcpu *v = t->v;
	uint64_t eflags = n->eflags | BIT(1);
	int rc;

	if (t->r->source == TASK_CALL || t->r->source == TASK_GATE)
		eflags |= RFLAGS_NT;
	vcpu_set(v, VREG_CR0, vcpu_get(v, VREG_CR0) | CR0_TS);
	vcpu_set(v, VREG_DR7, vcpu_get(v, VREG_DR7) & ~DR7_LOCAL);
	vcpu_set(v, VREG_RIP, n->eip);
	vcpu_set(v, VREG_RFLAGS, eflags);
	for (unsigned i = 0; i < 8; i++)
		v->regs.gpr[i] = n->gpr[i];
	vcpu_set(v, VREG_RSP, n->gpr[GPR_RSP]);
	if (n->has_cr3 && (vcpu_get(v, VREG_CR0) & CR0_PG) && cr_load_cr3(v, n->cr3)) {
		vcpu_queue_gp(v);
		return HV_EFAULT;
	}
	rc = load_ldt(t, (uint16_t)n->ldt);
	rc = rc ? rc : load_segs(t, n);
	if (!rc && t->r->source == TASK_GATE && t->r->event.has_error)
		rc = push_error(t);
	if (!rc && n->trap) {
		vcpu_set(v, VREG_DR6, vcpu_get(v, VREG_DR6) | DR6_BT);
		vcpu_queue_exception(v, X86_DB, false, 0);
	}
	return rc;
}

static int do_switch(struct ts *t)
{
	struct vcpu *v = t->v;
	enum task_source src = t->r->source;
	struct tss_regs n;
	uint64_t nd, nat, od, oat;
	struct vseg tr;
	int rc;

	arch_vcpu_gdtr(v, &t->gdt_base, &t->gdt_limit);
	arch_vcpu_seg_read(v, VSEG_TR, &tr);
	t->old16 = is_tss16(tr.ar & 0xf);
	rc = check_new_tss(t, &nd, &nat);
	rc = rc ? rc : read_tss(t, d_base(nd), &n);
	rc = rc ? rc : read_desc(t, tr.sel, &od, &oat);
	if (rc == HV_ERANGE) {
		fault(t, X86_TS, tr.sel);
		return HV_EFAULT;
	}
	rc = rc ? rc : save_old(t, &tr);
	if (!rc && (src == TASK_JMP || src == TASK_IRET))
		rc = write_desc(t, oat, od & ~D_TSS_BUSY);
	if (!rc && src != TASK_IRET) {
		nd |= D_TSS_BUSY;
		rc = write_desc(t, nat, nd);
	}
	/* The back link is a word in both formats (the 32-bit TSS's upper
	 * half is reserved and left alone). */
	if (!rc && (src == TASK_CALL || src == TASK_GATE))
		rc = mem(vcpu_write_gva(v, d_base(nd) + TSS_LINK, &tr.sel, sizeof(tr.sel)));
	if (rc)
		return rc;
	tr = d_seg(t->r->selector, nd);
	arch_vcpu_seg_write(v, VSEG_TR, &tr);
	return switch_to(t, &n);
}

int task_switch(struct vcpu *v, const struct task_switch_request *r)
{
	struct ts t = { .v = v, .r = r, .ldt = { .ar = VSEG_AR_UNUSABLE } };
	int rc;

	if (r->source == TASK_GATE && r->event.type != EVENT_SW_INTERRUPT &&
	    r->event.type != EVENT_SW_EXCEPTION && r->event.type != EVENT_PRIV_SW_EXCEPTION)
		t.ext = 1;
	rc = do_switch(&t);
	if (rc == HV_EIO) {
		vm_end(v->vm, VM_END_ERROR, 0, "task switch to TSS selector 0x%x at RIP 0x%lx: a "
		       "descriptor table or TSS outside guest RAM", r->selector, vcpu_get(v, VREG_RIP));
		return VMEXIT_STOP;
	}
	return VMEXIT_RETRY;
}
