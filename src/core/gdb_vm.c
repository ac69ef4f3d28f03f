/* The gdb stub's target: a VM (include/hv/gdb_vm.h).
 *
 * The VM stops as a whole (all-stop): a breakpoint, the end of a step or
 * Ctrl-C pauses every vCPU (vm_hold), and the stop is reported once each
 * has left its CPU, its registers in its snapshot (vcpu->snap).  GDB reads
 * and changes those; what it changes goes back into the vCPU at its next
 * entry (vcpu_debug_enter).  Memory goes by linear address through the
 * guest's own page tables as the thread stopped (gwalk), or by
 * guest-physical address.  Software breakpoints are INT3 bytes written
 * into guest memory, whose #BP exits are the debugger's while it has any;
 * hardware breakpoints and watchpoints are the guest's DR0-DR3 and DR7,
 * set in every vCPU (the guest's own debug registers are lost meanwhile);
 * a step is the monitor trap flag on one vCPU. */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/event.h>
#include <hv/gdb.h>
#include <hv/gdb_vm.h>
#include <hv/gwalk.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/vm.h>

#define SW_BREAKS 64
#define HW_BREAKS 4                 /* DR0-DR3 */
#define RX_RING 8192                /* bytes from GDB not yet parsed */
#define INT3 0xcc
#define RFLAGS_RF BIT(16)           /* resume: no instruction breakpoint at the next one */
#define SIGINT 2
#define SIGTRAP 5
#define DR7_FIXED 0x400ULL          /* bit 10 reads as 1 (SDM Vol. 3B 18.2.4) */

struct sw_break {
	bool used;
	uint64_t addr, gpa;
	uint8_t orig;
};

struct hw_break {
	bool used;
	enum gdb_break type;
	uint64_t addr;
	unsigned len;
};

static struct {
	uint16_t port;
	struct gdb gdb;
	unsigned named;                 /* the id of the VM to attach to (0: none) */
	struct vm *vm;                  /* attached */
	unsigned vm_id;                 /* ... its id, to tell its slot's reuse */
	struct spinlock lock;           /* have_stop, stop: written by the vCPUs' CPUs */
	struct spinlock stub_lock;      /* the stub: CPU 0's poll, a VM's end elsewhere */
	bool have_stop;
	struct gdb_stop stop;
	bool stopping;                  /* waiting for every vCPU to leave its CPU */
	bool attaching;                 /* ... for the first time since the attach */
	bool told_no_vm;
	struct sw_break sw[SW_BREAKS];
	struct hw_break hw[HW_BREAKS];
	uint8_t ring[RX_RING];
	unsigned head, count;
} dbg;

/* ---- the VM's state as GDB sees it ---- */

static struct vcpu *thread_vcpu(unsigned thread)
{
	struct vm *vm = dbg.vm;

	return vm && thread >= 1 && thread <= vm->nr_vcpus ? &vm->vcpus[thread - 1] : NULL;
}

/* A vCPU that has not started (it waits for a start-up IPI) has no state
 * to show: zeros. */
static bool not_started(const struct vcpu *v) { return !v->arch || v->wait_sipi; }

static unsigned op_threads(void *t)
{
	UNUSED(t);
	return dbg.vm ? dbg.vm->nr_vcpus : 1;
}

static int op_regs(void *t, unsigned thread, struct vcpu_snapshot *out)
{
	struct vcpu *v = thread_vcpu(thread);

	UNUSED(t);
	if (!v)
		return HV_ENOENT;
	if (not_started(v)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	if (!__atomic_load_n(&v->snap.valid, __ATOMIC_ACQUIRE))
		return HV_EBUSY;
	*out = v->snap;
	return 0;
}

static int op_write_reg(void *t, unsigned thread, enum gdb_reg_src src, unsigned n, uint64_t val)
{
	struct vcpu *v = thread_vcpu(thread);

	UNUSED(t);
	if (!v || not_started(v) || !v->snap.valid)
		return HV_ENOENT;
	if (src == GDB_SRC_GPR && n < GPR_COUNT)
		v->snap.gpr[n] = val;
	else if (src == GDB_SRC_RIP)
		v->snap.rip = val;
	else if (src == GDB_SRC_RFLAGS)
		v->snap.rflags = val;
	else
		return HV_EINVAL;
	v->snap.dirty = true;
	return 0;
}

static int read_gpa(void *opaque, uint64_t gpa, void *dst, size_t len)
{
	return vm_read_gpa(opaque, gpa, dst, len);
}

/* The thread's page walk, as it stopped; no A/D flags are set. */
static int walk_of(unsigned thread, struct gwalk_ctx *w)
{
	struct vcpu *v = thread_vcpu(thread);
	const struct vcpu_snapshot *s;

	if (!v || not_started(v) || !v->snap.valid)
		return HV_ENOENT;
	s = &v->snap;
	*w = (struct gwalk_ctx){ .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer,
				 .maxphyaddr = v->feat.maxphyaddr ? v->feat.maxphyaddr : 52,
				 .read_gpa = read_gpa, .opaque = v->vm };
	return 0;
}

static int translate(unsigned thread, uint64_t addr, uint64_t *gpa)
{
	struct gwalk_ctx w;
	struct gwalk_fault f;
	int rc = walk_of(thread, &w);

	if (!rc && gwalk_translate(&w, addr, 0, gpa, &f))
		rc = HV_EFAULT;
	return rc;
}

static int op_read(void *t, unsigned thread, uint64_t addr, void *buf, size_t len)
{
	struct gwalk_ctx w;
	struct gwalk_fault f;
	int rc = walk_of(thread, &w);

	UNUSED(t);
	if (!rc && gwalk_copy_from_guest(&w, addr, buf, len, 0, &f))
		rc = HV_EFAULT;
	/* GDB sees the bytes its breakpoints replaced. */
	for (unsigned i = 0; !rc && i < SW_BREAKS; i++)
		if (dbg.sw[i].used && dbg.sw[i].addr - addr < len)
			((uint8_t *)buf)[dbg.sw[i].addr - addr] = dbg.sw[i].orig;
	return rc;
}

/* Written whatever the guest's page protection says (GDB patches code). */
static int op_write(void *t, unsigned thread, uint64_t addr, const void *buf, size_t len)
{
	const uint8_t *src = buf;

	UNUSED(t);
	while (len) {
		size_t chunk = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
		uint64_t gpa;
		int rc = translate(thread, addr, &gpa);

		if (chunk > len)
			chunk = len;
		if (!rc)
			rc = vm_write_gpa(dbg.vm, gpa, src, chunk);
		if (rc)
			return rc;
		addr += chunk;
		src += chunk;
		len -= chunk;
	}
	return 0;
}

static int op_read_phys(void *t, uint64_t addr, void *buf, size_t len)
{
	UNUSED(t);
	return dbg.vm ? vm_read_gpa(dbg.vm, addr, buf, len) : HV_ENOENT;
}

/* ---- breakpoints ---- */

static struct sw_break *sw_find(uint64_t addr)
{
	for (unsigned i = 0; i < SW_BREAKS; i++)
		if (dbg.sw[i].used && dbg.sw[i].addr == addr)
			return &dbg.sw[i];
	return NULL;
}

static void sw_update(void)
{
	bool any = false;

	for (unsigned i = 0; i < SW_BREAKS; i++)
		any |= dbg.sw[i].used;
	dbg.vm->debug.sw_breaks = any;
}

static int sw_break(unsigned thread, uint64_t addr, bool insert)
{
	struct sw_break *b = sw_find(addr);
	const uint8_t int3 = INT3;
	uint64_t gpa;
	int rc;

	if (!insert) {
		if (b) {
			vm_write_gpa(dbg.vm, b->gpa, &b->orig, 1);
			b->used = false;
			sw_update();
		}
		return 0;
	}
	if (b)
		return 0;
	for (unsigned i = 0; i < SW_BREAKS && !b; i++)
		if (!dbg.sw[i].used)
			b = &dbg.sw[i];
	if (!b)
		return HV_ENOMEM;
	rc = translate(thread, addr, &gpa);
	rc = rc ? rc : vm_read_gpa(dbg.vm, gpa, &b->orig, 1);
	rc = rc ? rc : vm_write_gpa(dbg.vm, gpa, &int3, 1);
	if (rc)
		return rc;
	*b = (struct sw_break){ true, addr, gpa, b->orig };
	sw_update();
	return 0;
}

/* DR7's R/W and LEN fields (SDM Vol. 3B 18.2.4): execute 00, write 01,
 * read or write 11; 1, 2, 8, 4 bytes 00, 01, 10, 11. */
static uint64_t dr7_bits(const struct hw_break *b, unsigned slot)
{
	unsigned rw = b->type == GDB_HW_BREAK ? 0 : b->type == GDB_WATCH_WRITE ? 1 : 3;
	unsigned len = b->len == 2 ? 1 : b->len == 8 ? 2 : b->len == 4 ? 3 : 0;

	return BIT(2 * slot) | (uint64_t)rw << (16 + 4 * slot) | (uint64_t)len << (18 + 4 * slot);
}

static void hw_update(void)
{
	struct vm_debug *d = &dbg.vm->debug;

	d->dr7 = DR7_FIXED;
	for (unsigned i = 0; i < HW_BREAKS; i++) {
		d->dr[i] = dbg.hw[i].used ? dbg.hw[i].addr : 0;
		if (dbg.hw[i].used)
			d->dr7 |= dr7_bits(&dbg.hw[i], i);
	}
	d->dr_owned = true;
}

static int hw_break(enum gdb_break type, uint64_t addr, unsigned len, bool insert)
{
	bool exec = type == GDB_HW_BREAK;
	int free_slot = -1;

	if (exec)
		len = 1;   /* GDB gives the instruction's "kind" */
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return HV_EINVAL;
	if (addr & (len - 1))
		return HV_EINVAL;   /* DR0-DR3 match aligned ranges only */
	for (unsigned i = 0; i < HW_BREAKS; i++) {
		struct hw_break *b = &dbg.hw[i];

		if (b->used && b->type == type && b->addr == addr && b->len == len) {
			if (!insert)
				b->used = false;
			hw_update();
			return 0;
		}
		if (!b->used && free_slot < 0)
			free_slot = (int)i;
	}
	if (!insert)
		return 0;
	if (free_slot < 0)
		return HV_ENOMEM;
	dbg.hw[free_slot] = (struct hw_break){ true, type, addr, len };
	hw_update();
	return 0;
}

static int op_breakpoint(void *t, unsigned thread, enum gdb_break type, uint64_t addr,
			 unsigned len, bool insert)
{
	UNUSED(t);
	if (!dbg.vm)
		return HV_ENOENT;
	return type == GDB_SW_BREAK ? sw_break(thread, addr, insert)
				    : hw_break(type, addr, len, insert);
}

/* ---- running and stopping ---- */

static void op_resume(void *t, unsigned step_thread)
{
	struct vcpu *step = thread_vcpu(step_thread);
	struct vm *vm = dbg.vm;

	UNUSED(t);
	if (!vm)
		return;
	/* A vCPU stopped by an instruction breakpoint goes past it (RF). */
	if (dbg.have_stop && dbg.stop.why == GDB_STOP_HWBREAK) {
		struct vcpu *v = thread_vcpu(dbg.stop.thread);

		if (v && v->snap.valid) {
			v->snap.rflags |= RFLAGS_RF;
			v->snap.dirty = true;
		}
	}
	spin_lock(&dbg.lock);
	dbg.have_stop = false;
	spin_unlock(&dbg.lock);
	if (step && !not_started(step))
		step->debug_step = true;
	vm_hold(vm, false);
}

/* The first stop of the VM since it was resumed: every vCPU stops. */
static void debug_stop(struct vcpu *v, unsigned signal, enum gdb_why why, uint64_t addr)
{
	struct vm *vm = v ? v->vm : dbg.vm;

	if (!vm || !vm->debug.on)
		return;
	spin_lock(&dbg.lock);
	if (!dbg.have_stop) {
		dbg.have_stop = true;
		dbg.stop = (struct gdb_stop){ v ? v->id + 1 : 1, signal, why, addr };
	}
	spin_unlock(&dbg.lock);
	vm_hold(vm, true);
}

static void op_interrupt(void *t)
{
	UNUSED(t);
	debug_stop(NULL, SIGINT, GDB_STOP_SIGNAL, 0);
}

/* The debugger leaves: its breakpoints go, the VM runs on. */
static void release_vm(void)
{
	struct vm *vm = dbg.vm;

	for (unsigned i = 0; i < SW_BREAKS; i++)
		if (dbg.sw[i].used)
			sw_break(1, dbg.sw[i].addr, false);
	memset(dbg.hw, 0, sizeof(dbg.hw));
	hw_update();
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		vm->vcpus[k].debug_step = false;   /* a trap flag of ours goes at its #DB */
	vm->debug.on = false;
	dbg.vm = NULL;
	dbg.have_stop = false;
	dbg.stopping = false;
}

static void op_detach(void *t)
{
	struct vm *vm = dbg.vm;

	UNUSED(t);
	if (!vm)
		return;
	release_vm();
	vm_hold(vm, false);
	kprintf("gdb: detached from vm %u (%s); it runs on\n", vm->id, vm->name);
}

static const struct gdb_ops vm_ops = {
	.threads = op_threads,
	.regs = op_regs,
	.write_reg = op_write_reg,
	.read = op_read,
	.write = op_write,
	.read_phys = op_read_phys,
	.breakpoint = op_breakpoint,
	.resume = op_resume,
	.interrupt = op_interrupt,
	.detach = op_detach,
};

/* ---- the exits that are the debugger's ---- */

bool debug_exception(struct vcpu *v, const struct exception_request *r)
{
	const struct vm_debug *d = &v->vm->debug;

	if (!d->on)
		return false;
	if (r->event.vector == X86_BP && r->event.type == EVENT_SW_EXCEPTION) {
		uint64_t la = vcpu_get(v, VREG_CS_BASE) + vcpu_get(v, VREG_RIP);

		if (!vcpu_long_mode(v))
			la &= 0xffffffffULL;
		if (!sw_find(la))
			return false;   /* the guest's own INT3 */
		debug_stop(v, SIGTRAP, GDB_STOP_SWBREAK, 0);
		return true;
	}
	if (r->event.vector != X86_DB || r->event.type != EVENT_HW_EXCEPTION)
		return false;
	/* The end of a step by the trap flag (vcpu_debug_enter). */
	if (v->debug_step && (r->dr6 & DR6_BS)) {
		if (v->debug_tf)
			vcpu_set(v, VREG_RFLAGS, vcpu_get(v, VREG_RFLAGS) & ~(uint64_t)RFLAGS_TF);
		v->debug_step = v->debug_tf = false;
		debug_stop(v, SIGTRAP, GDB_STOP_SIGNAL, 0);
		return true;
	}
	if (!d->dr_owned)
		return false;
	for (unsigned i = 0; i < HW_BREAKS; i++) {
		const struct hw_break *b = &dbg.hw[i];

		if (!b->used || !(r->dr6 & BIT(i)))
			continue;
		if (b->type == GDB_HW_BREAK)
			debug_stop(v, SIGTRAP, GDB_STOP_HWBREAK, 0);
		else
			debug_stop(v, SIGTRAP, GDB_STOP_WATCH, b->addr);
		return true;
	}
	return false;
}

enum vmexit_ret debug_mtf_exit(struct vcpu *v)
{
	if (!v->debug_step)
		return VMEXIT_RETRY;
	v->debug_step = false;
	arch_vcpu_debug_update(v);
	if (v->vm->debug.on)
		debug_stop(v, SIGTRAP, GDB_STOP_SIGNAL, 0);
	return VMEXIT_RETRY;
}

/* ---- the port ---- */

static void send(void *ctx, const char *buf, size_t len)
{
	UNUSED(ctx);
	for (size_t i = 0; i < len; i++)
		arch_uart_putc(dbg.port, buf[i]);
}

bool gdb_vm_init(uint16_t port)
{
	if (!port)
		return false;
	if (!arch_uart_present(port)) {
		kprintf("gdb: no serial port answers at 0x%x: no gdb stub\n", port);
		return false;
	}
	arch_uart_init(port, 115200);
	dbg.port = port;
	gdb_init(&dbg.gdb, &vm_ops, NULL, send, NULL);
	kprintf("gdb: the stub listens on the serial port at 0x%x (the shell's 'gdb VM' names "
		"the VM)\n", port);
	return true;
}

bool gdb_vm_enabled(void) { return dbg.port != 0; }

void gdb_vm_name(const struct vm *vm)
{
	dbg.named = vm->id;
	dbg.told_no_vm = false;
	kprintf("gdb: 'target remote' attaches to vm %u (%s)\n", vm->id, vm->name);
}

static bool all_stopped(const struct vm *vm)
{
	for (unsigned k = 0; k < vm->nr_vcpus; k++) {
		const struct vcpu *v = &vm->vcpus[k];

		if (!not_started(v) && !__atomic_load_n(&v->snap.valid, __ATOMIC_ACQUIRE))
			return false;
	}
	return true;
}

static void attach(struct vm *vm)
{
	dbg.vm = vm;
	dbg.vm_id = vm->id;
	memset(dbg.sw, 0, sizeof(dbg.sw));
	memset(dbg.hw, 0, sizeof(dbg.hw));
	vm->debug = (struct vm_debug){ .on = true };
	dbg.have_stop = false;
	debug_stop(NULL, SIGTRAP, GDB_STOP_SIGNAL, 0);
	dbg.stopping = true;
	dbg.attaching = true;
	kprintf("gdb: a debugger attached to vm %u (%s); it stops\n", vm->id, vm->name);
}

/* The attached VM ended (or its slot holds another VM now): GDB hears
 * that the process exited. */
static void vm_gone(void)
{
	struct vm *vm = dbg.vm;
	unsigned status = vm->id == dbg.vm_id ? (unsigned)(vm->end_status & 0xff) : 0;

	dbg.vm = NULL;
	dbg.stopping = false;
	dbg.have_stop = false;
	dbg.named = 0;
	gdb_exited(&dbg.gdb, status);
	kprintf("gdb: vm %u ended; the debugger is told\n", dbg.vm_id);
}

static void take_bytes(void)
{
	int c;

	while (dbg.count < RX_RING && (c = arch_uart_getc(dbg.port)) >= 0) {
		dbg.ring[(dbg.head + dbg.count) % RX_RING] = (uint8_t)c;
		dbg.count++;
	}
}

void gdb_vm_end(struct vm *vm)
{
	if (!dbg.port)
		return;
	spin_lock(&dbg.stub_lock);
	if (dbg.vm == vm)
		vm_gone();
	spin_unlock(&dbg.stub_lock);
}

static void poll(void)
{
	struct vm *vm;

	take_bytes();
	if (dbg.vm && (dbg.vm->id != dbg.vm_id || dbg.vm->state != VM_RUNNING))
		vm_gone();
	if (!dbg.vm && dbg.count) {
		vm = dbg.named ? vm_find_id(dbg.named) : NULL;
		if (vm && !vm_ended(vm))
			attach(vm);
		else if (!dbg.told_no_vm) {
			kprintf("gdb: a debugger is talking, but no VM is named ('gdb VM' in the "
				"shell)\n");
			dbg.told_no_vm = true;
		}
	}
	if (dbg.vm && !dbg.stopping && dbg.gdb.running && dbg.have_stop)
		dbg.stopping = true;
	if (dbg.stopping) {
		if (!all_stopped(dbg.vm))
			return;
		dbg.stopping = false;
		/* GDB asks for the register layout once, after it attached. */
		if (dbg.attaching)
			gdb_set_long_mode(&dbg.gdb, dbg.vm->vcpus[0].snap.efer & EFER_LMA);
		dbg.attaching = false;
		gdb_stopped(&dbg.gdb, &dbg.stop);
	}
	while (dbg.count && !dbg.stopping) {
		uint8_t c = dbg.ring[dbg.head];

		dbg.head = (dbg.head + 1) % RX_RING;
		dbg.count--;
		gdb_input(&dbg.gdb, c);
	}
}

void gdb_vm_poll(void)
{
	if (!dbg.port)
		return;
	spin_lock(&dbg.stub_lock);
	poll();
	spin_unlock(&dbg.stub_lock);
}
