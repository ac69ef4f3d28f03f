/* The hypervisor shell (include/hv/shell.h): a command table, as ACRN's
 * debug shell and Xen's xl have, each command with its usage and one
 * line of help. */
#include <hv/arch.h>
#include <hv/config.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/guests.h>
#include <hv/log.h>
#include <hv/shell.h>
#include <hv/string.h>
#include <hv/vm.h>

#define MAX_WORDS 8
#define STOP_GRACE_S 30        /* stop's default grace time */
#define ERR_MAX 160

/* A command gets the words of its line, and the text after its name as
 * typed (start's options and guest command line). */
struct command {
	const char *name, *usage, *help;
	enum shell_result (*run)(const struct shell_env *env, unsigned argc, char **argv,
				 const char *rest);
};

static const struct command commands[];

/* Split line into words at spaces and tabs; *argc of them. */
static unsigned split(char *line, char **argv)
{
	unsigned argc = 0;

	for (char *p = line; *p && argc < MAX_WORDS;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return argc;
}

/* A number 0..max, all of s; false if not. */
static bool number(const char *s, unsigned max, unsigned *out)
{
	unsigned n = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (*s < '0' || *s > '9' || d > max || n > (max - d) / 10)
			return false;
		n = n * 10 + d;
	}
	*out = n;
	return true;
}

/* A VM named by its console id ("2") or its name ("linux"), which must be
 * one VM's.  NULL, with the error printed, if none. */
static struct vm *vm_arg(const struct shell_env *env, const char *arg)
{
	struct vm *vm, *found = NULL;
	unsigned id, n = 0;

	if (number(arg, 1000000, &id)) {
		vm = env->find(id);
		if (!vm)
			kprintf("shell: no vm %u ('vms' lists them)\n", id);
		return vm;
	}
	for (vm = env->next(0); vm; vm = env->next(vm->id)) {
		if (strcmp(vm->name, arg) == 0) {
			found = found ? found : vm;
			n++;
		}
	}
	if (n > 1)
		kprintf("shell: %u vms are named '%s': name one by its id\n", n, arg);
	else if (!found)
		kprintf("shell: no vm named '%s' ('vms' lists them)\n", arg);
	return n == 1 ? found : NULL;
}

static const char *state_of(const struct vm *vm)
{
	if (vm_ended(vm))
		return "ended";
	if (vm->debug.on)
		return vm->paused ? "gdb: stopped" : "gdb: running";
	if (vm->paused)
		return "paused";
	if (vm->vcpus[0].s3)
		return "asleep (S3)";
	return vm->state == VM_RUNNING ? "running" : "created";
}

/* The VM's virtio devices, when it has some. */
static void print_virtio(const struct vm *vm)
{
	const uint8_t *mac = vm->net.mac;

	if (!vm->virtio_rng && !vm->virtio_console && !vm->disk.name && !vm->net.sw &&
	    !vm->virtio_balloon)
		return;
	kprintf("      virtio:%s%s", vm->virtio_rng ? " rng" : "", vm->virtio_console ? " hvc" : "");
	if (vm->disk.name)
		kprintf(" disk=%s%s", vm->disk.name, vm->disk.read_only ? " (read-only)" : "");
	if (vm->net.sw)
		kprintf(" net=%s (%02x:%02x:%02x:%02x:%02x:%02x)", vm->net.sw->name, mac[0], mac[1],
			mac[2], mac[3], mac[4], mac[5]);
	if (vm->virtio_balloon)
		kprintf(" balloon (%lu MiB given)", (unsigned long)(vm->balloon_pages >> 8));
	kprintf("\n");
}

static enum shell_result cmd_vms(const struct shell_env *env, unsigned argc, char **argv,
				 const char *rest)
{
	UNUSED(argc);
	UNUSED(argv);
	UNUSED(rest);
	kprintf("  id  name              state        vCPUs on CPUs    RAM      devices exits\n");
	for (struct vm *vm = env->next(0); vm; vm = env->next(vm->id)) {
		char cpus[32] = "";
		uint64_t exits = 0;
		size_t n = 0;

		for (unsigned k = 0; k < vm->nr_vcpus && n + 4 < sizeof(cpus); k++) {
			cpus[n++] = k ? ',' : ' ';
			cpus[n++] = (char)('0' + vm->vcpus[k].cpu % 10);
			exits += env->exits(&vm->vcpus[k]);
		}
		cpus[n] = '\0';
		kprintf("  %-3u %-17s %-12s %u on%-10s %4lu MiB %-7s %lu\n", vm->id, vm->name,
			state_of(vm), vm->nr_vcpus, cpus, vm->ram_size >> 20,
			vm->platform ? "pc" : "uart", exits);
		print_virtio(vm);
		if (vm_ended(vm))
			kprintf("      (%s)\n", vm->end_detail);
	}
	return SHELL_STAY;
}

/* A command on one VM that must not have ended: argv[1], with at most
 * max_args words in all. */
static struct vm *live_vm(const struct shell_env *env, unsigned argc, char **argv,
			  unsigned max_args, const char *usage)
{
	struct vm *vm;

	if (argc < 2 || argc > max_args) {
		kprintf("shell: usage: %s\n", usage);
		return NULL;
	}
	vm = vm_arg(env, argv[1]);
	if (vm && vm_ended(vm)) {
		kprintf("shell: vm %u (%s) has ended\n", vm->id, vm->name);
		return NULL;
	}
	return vm;
}

/* pause and resume: each refuses a VM already in the state it asks for. */
static enum shell_result set_paused(const struct shell_env *env, unsigned argc, char **argv,
				    bool pause)
{
	struct vm *vm = live_vm(env, argc, argv, 2, pause ? "pause VM" : "resume VM");

	if (!vm)
		return SHELL_STAY;
	if (vm->debug.on)
		kprintf("shell: vm %u (%s) is gdb's: it stops and goes on as gdb says ('detach' "
			"in gdb gives it back)\n", vm->id, vm->name);
	else if (vm->paused == pause)
		kprintf("shell: vm %u (%s) is %s\n", vm->id, vm->name,
			pause ? "paused already" : "not paused");
	else if (pause)
		vm_pause(vm);
	else
		vm_resume(vm);
	return SHELL_STAY;
}

static enum shell_result cmd_pause(const struct shell_env *env, unsigned argc, char **argv,
				   const char *rest)
{
	UNUSED(rest);
	return set_paused(env, argc, argv, true);
}

static enum shell_result cmd_resume(const struct shell_env *env, unsigned argc, char **argv,
				    const char *rest)
{
	UNUSED(rest);
	return set_paused(env, argc, argv, false);
}

static enum shell_result cmd_kill(const struct shell_env *env, unsigned argc, char **argv,
				  const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 2, "kill VM");

	UNUSED(rest);
	if (vm)
		vm_kill(vm);
	return SHELL_STAY;
}

static enum shell_result cmd_console(const struct shell_env *env, unsigned argc, char **argv,
				     const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 2, "console VM");

	UNUSED(rest);
	if (!vm)
		return SHELL_STAY;
	env->focus(vm);
	return SHELL_LEAVE;
}

/* ---- images and guests ---- */

static enum shell_result cmd_images(const struct shell_env *env, unsigned argc, char **argv,
				    const char *rest)
{
	UNUSED(argc);
	UNUSED(argv);
	UNUSED(rest);
	kprintf("  name              kind       size      start  vCPUs RAM      command line\n");
	for (const struct image *img = env->image_next(NULL); img; img = env->image_next(img)) {
		const struct vm_options *o = &img->opts;
		char mem[16] = "default";

		if (o->mem_mib)
			hv_snprintf(mem, sizeof(mem), "%u MiB", o->mem_mib);
		kprintf("  %-17s %-10s %5lu KiB %-6s %-5u %-8s %s\n", o->name,
			img->is_linux ? "Linux" : "Multiboot", (img->m->end - img->m->start) >> 10,
			o->wait ? "wait" : "boot", o->vcpus, mem, o->args);
	}
	for (const struct disk_image *d = env->disk_next ? env->disk_next(NULL) : NULL; d;
	     d = env->disk_next(d))
		kprintf("  %-17s %-10s %5lu KiB (a VM's disk=%s)\n", d->name, "disk",
			(d->m->end - d->m->start) >> 10, d->name);
	return SHELL_STAY;
}

static enum shell_result cmd_start(const struct shell_env *env, unsigned argc, char **argv,
				   const char *rest)
{
	char err[ERR_MAX];
	unsigned id;

	UNUSED(argv);
	if (argc < 2) {
		kprintf("shell: usage: start IMAGE[,option=value...] [guest command line]\n");
		return SHELL_STAY;
	}
	if (env->start(rest, &id, err, sizeof(err)))
		kprintf("shell: start: %s\n", err);
	else
		kprintf("shell: started vm %u\n", id);
	return SHELL_STAY;
}

static enum shell_result cmd_reset(const struct shell_env *env, unsigned argc, char **argv,
				   const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 2, "reset VM");
	char err[ERR_MAX];

	UNUSED(rest);
	if (vm && env->reset(vm, err, sizeof(err)))
		kprintf("shell: reset: %s\n", err);
	return SHELL_STAY;
}

static enum shell_result cmd_stop(const struct shell_env *env, unsigned argc, char **argv,
				  const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 3, "stop VM [SECONDS]");
	unsigned grace = STOP_GRACE_S;
	char err[ERR_MAX];

	UNUSED(rest);
	if (!vm)
		return SHELL_STAY;
	if (argc == 3 && !number(argv[2], 3600, &grace)) {
		kprintf("shell: stop: '%s' is not a number of seconds (0..3600)\n", argv[2]);
		return SHELL_STAY;
	}
	if (env->stop(vm, grace, err, sizeof(err)))
		kprintf("shell: stop: %s\n", err);
	return SHELL_STAY;
}

static enum shell_result cmd_gdb(const struct shell_env *env, unsigned argc, char **argv,
				 const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 2, "gdb VM");
	char err[ERR_MAX];

	UNUSED(rest);
	if (vm && env->gdb(vm, err, sizeof(err)))
		kprintf("shell: gdb: %s\n", err);
	return SHELL_STAY;
}

static enum shell_result cmd_balloon(const struct shell_env *env, unsigned argc, char **argv,
				     const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 3, "balloon VM [MiB]");
	char err[ERR_MAX];
	unsigned mib = 0;

	UNUSED(rest);
	if (!vm)
		return SHELL_STAY;
	if (argc == 3 && !number(argv[2], 3072, &mib)) {
		kprintf("shell: balloon: '%s' is no number of MiB (0..3072)\n", argv[2]);
		return SHELL_STAY;
	}
	if (!env->balloon) {
		kprintf("shell: balloon: not here\n");
		return SHELL_STAY;
	}
	if (env->balloon(vm, argc == 3 ? (int64_t)mib : -1, err, sizeof(err)))
		kprintf("shell: balloon: %s\n", err);
	return SHELL_STAY;
}

static enum shell_result cmd_dirty(const struct shell_env *env, unsigned argc, char **argv,
				   const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 3, "dirty VM [on|pml|scan|off]");
	char err[ERR_MAX];

	UNUSED(rest);
	if (!vm)
		return SHELL_STAY;
	if (!env->dirty) {
		kprintf("shell: dirty: not here\n");
		return SHELL_STAY;
	}
	if (env->dirty(vm, argc == 3 ? argv[2] : NULL, err, sizeof(err)))
		kprintf("shell: dirty: %s\n", err);
	return SHELL_STAY;
}

/* ---- watching ---- */

/* "x.y" for a/b without floating point. */
static void ratio(char *buf, size_t n, uint64_t a, uint64_t b)
{
	uint64_t tenths = b ? (a * 10 + b / 2) / b : 0;

	hv_snprintf(buf, n, "%lu.%lu", (unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
}

/* An exit reason by name (any case) or number; arch_exit_reasons() if
 * none is that. */
static unsigned reason_arg(const char *arg)
{
	unsigned r;

	if (number(arg, 1000, &r))
		return r < arch_exit_reasons() ? r : arch_exit_reasons();
	for (r = 0; r < arch_exit_reasons(); r++) {
		const char *name = arch_exit_reason_name(r);
		size_t i = 0;

		while (name[i] && arg[i] && (name[i] | 0x20) == (arg[i] | 0x20))
			i++;
		if (!name[i] && !arg[i])
			return r;
	}
	return r;
}

static void stats_row(const struct vm *vm, unsigned r)
{
	struct exit_stats s, sum = { 0 };
	char per[64] = "", rd[16], wr[16];
	size_t n = 0;

	for (unsigned k = 0; k < vm->nr_vcpus; k++) {
		arch_vcpu_exit_stats(&vm->vcpus[k], r, &s);
		sum.exits += s.exits;
		sum.reads += s.reads;
		sum.writes += s.writes;
		if (vm->nr_vcpus > 1 && n < sizeof(per))
			n += (size_t)hv_snprintf(per + n, sizeof(per) - n, " %lu", s.exits);
	}
	ratio(rd, sizeof(rd), sum.reads, sum.exits);
	ratio(wr, sizeof(wr), sum.writes, sum.exits);
	kprintf("  %-22s %10lu  %5s %5s %s\n", arch_exit_reason_name(r), sum.exits, rd, wr, per);
}

static enum shell_result cmd_stats(const struct shell_env *env, unsigned argc, char **argv,
				   const char *rest)
{
	bool reset = argc > 1 && !strcmp(argv[1], "reset");
	struct vm *vm;
	unsigned only = arch_exit_reasons();
	uint64_t total = 0;

	UNUSED(rest);
	if (reset) {
		vm = live_vm(env, argc - 1, argv + 1, 2, "stats reset VM");
		if (!vm)
			return SHELL_STAY;
		for (unsigned k = 0; k < vm->nr_vcpus; k++)
			arch_vcpu_stats_reset(&vm->vcpus[k]);
		kprintf("vm %u (%s): exit counts back to 0\n", vm->id, vm->name);
		return SHELL_STAY;
	}
	vm = live_vm(env, argc, argv, 3, "stats VM [REASON] | stats reset VM");
	if (!vm)
		return SHELL_STAY;
	if (argc == 3) {
		only = reason_arg(argv[2]);
		if (only == arch_exit_reasons()) {
			kprintf("shell: stats: no exit reason '%s' (a name such as CPUID, or a "
				"number)\n", argv[2]);
			return SHELL_STAY;
		}
	}
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		total += env->exits(&vm->vcpus[k]);
	kprintf("vm %u (%s): %lu VM exits\n", vm->id, vm->name, total);
	kprintf("  %-22s %10s  %5s %5s%s\n", "reason", "exits", "VMREAD", "VMWRITE",
		vm->nr_vcpus > 1 ? "  (per exit) by vCPU" : "  (per exit)");
	for (unsigned r = 0; r < arch_exit_reasons(); r++) {
		struct exit_stats s = { 0 };
		uint64_t exits = 0;

		for (unsigned k = 0; k < vm->nr_vcpus; k++) {
			arch_vcpu_exit_stats(&vm->vcpus[k], r, &s);
			exits += s.exits;
		}
		if (r == only || (only == arch_exit_reasons() && exits))
			stats_row(vm, r);
	}
	return SHELL_STAY;
}

static void print_seg(const char *name, const struct vseg *s)
{
	kprintf("  %-4s %04x base 0x%016lx limit 0x%08x ar 0x%05x\n", name, s->sel, s->base,
		s->limit, s->ar);
}

static void print_regs(const struct vm *vm, const struct vcpu *v)
{
	static const char *const gpr[GPR_COUNT] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
						    "rsi", "rdi", "r8",  "r9",  "r10", "r11",
						    "r12", "r13", "r14", "r15" };
	static const char *const seg[VSEG_COUNT] = { "es", "cs", "ss", "ds",
						     "fs", "gs", "ldtr", "tr" };
	const struct vcpu_snapshot *s = &v->snap;

	if (!v->arch) {
		kprintf("vm %u (%s) vCPU %u: not started (it waits for a start-up IPI)\n", vm->id,
			vm->name, v->id);
		return;
	}
	if (!__atomic_load_n(&s->valid, __ATOMIC_ACQUIRE)) {
		kprintf("vm %u (%s) vCPU %u: has not stopped yet; try again\n", vm->id, vm->name,
			v->id);
		return;
	}
	kprintf("vm %u (%s) vCPU %u:\n", vm->id, vm->name, v->id);
	for (unsigned n = 0; n < GPR_COUNT; n += 4)
		kprintf("  %-3s 0x%016lx  %-3s 0x%016lx  %-3s 0x%016lx  %-3s 0x%016lx\n", gpr[n],
			s->gpr[n], gpr[n + 1], s->gpr[n + 1], gpr[n + 2], s->gpr[n + 2], gpr[n + 3],
			s->gpr[n + 3]);
	kprintf("  rip 0x%016lx  rflags 0x%08lx  efer 0x%lx  dr7 0x%lx\n", s->rip, s->rflags,
		s->efer, s->dr7);
	kprintf("  cr0 0x%08lx  cr2 0x%016lx  cr3 0x%016lx  cr4 0x%08lx\n", s->cr0, s->cr2,
		s->cr3, s->cr4);
	for (unsigned i = 0; i < VSEG_COUNT; i++)
		print_seg(seg[i], &s->seg[i]);
	kprintf("  gdt  base 0x%016lx limit 0x%04x\n", s->gdt_base, s->gdt_limit);
}

static enum shell_result cmd_regs(const struct shell_env *env, unsigned argc, char **argv,
				  const char *rest)
{
	struct vm *vm = live_vm(env, argc, argv, 3, "regs VM [VCPU]");
	unsigned k;

	UNUSED(rest);
	if (!vm)
		return SHELL_STAY;
	if (!vm->paused) {
		kprintf("shell: regs: vm %u (%s) runs: 'pause' it first\n", vm->id, vm->name);
		return SHELL_STAY;
	}
	if (argc == 3) {
		if (!number(argv[2], 1000, &k) || k >= vm->nr_vcpus) {
			kprintf("shell: regs: vm %u (%s) has vCPUs 0..%u\n", vm->id, vm->name,
				vm->nr_vcpus - 1);
			return SHELL_STAY;
		}
		print_regs(vm, &vm->vcpus[k]);
		return SHELL_STAY;
	}
	for (k = 0; k < vm->nr_vcpus; k++)
		print_regs(vm, &vm->vcpus[k]);
	return SHELL_STAY;
}

static enum shell_result cmd_mem(const struct shell_env *env, unsigned argc, char **argv,
				 const char *rest)
{
	uint64_t ram = 0, extra = 0;

	UNUSED(argc);
	UNUSED(argv);
	UNUSED(rest);
	for (struct vm *vm = env->next(0); vm; vm = env->next(vm->id)) {
		uint64_t pages = arch_vm_pages(vm);

		kprintf("  vm %-3u %-17s RAM %5lu MiB; page tables, VMCSs and bitmaps %lu KiB; "
			"state and devices %zu KiB\n", vm->id, vm->name, vm->ram_size >> 20,
			(uint64_t)(pages * PAGE_SIZE >> 10), sizeof(*vm) >> 10);
		ram += vm->ram_size;
		extra += pages * PAGE_SIZE + sizeof(*vm);
	}
	kprintf("  free: %lu MiB; VMs: %lu MiB of RAM and %lu KiB beside it\n",
		(uint64_t)(env->free_pages() * PAGE_SIZE >> 20), ram >> 20, extra >> 10);
	return SHELL_STAY;
}

static enum shell_result cmd_cpus(const struct shell_env *env, unsigned argc, char **argv,
				  const char *rest)
{
	uint64_t now = env->tsc();

	UNUSED(argc);
	UNUSED(argv);
	UNUSED(rest);
	for (unsigned c = 0; c < 64; c++) {
		struct cpu_usage u;
		char share[16];

		if (!env->cpu_usage(c, &u))
			continue;
		ratio(share, sizeof(share), u.busy_tsc * 100, now - u.since_tsc);
		if (u.running)
			kprintf("  CPU %-2u %2u vCPUs; runs vm %u (%s) vCPU %u; %s%% of its time in "
				"vCPUs\n", c, u.vcpus, u.vm->id, u.vm->name, u.vcpu, share);
		else
			kprintf("  CPU %-2u %2u vCPUs; %s; %s%% of its time in vCPUs\n", c, u.vcpus,
				u.vcpus ? "none runs now" : "idle", share);
	}
	return SHELL_STAY;
}

/* ---- the hypervisor ---- */

static enum shell_result cmd_log(const struct shell_env *env, unsigned argc, char **argv,
				 const char *rest)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	enum log_level level;

	UNUSED(env);
	UNUSED(rest);
	if (argc == 1) {
		kprintf("log level: %s\n", names[log_get_level()]);
		return SHELL_STAY;
	}
	if (argc != 2 || !config_log_level(argv[1], &level)) {
		kprintf("shell: usage: log [error|warn|info|debug]\n");
		return SHELL_STAY;
	}
	log_set_level(level);
	kprintf("log level: %s\n", names[level]);
	return SHELL_STAY;
}

/* poweroff and reboot: refused while VMs live, unless forced. */
static bool may_end_machine(const struct shell_env *env, unsigned argc, char **argv)
{
	unsigned live = env->live();

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "force"))) {
		kprintf("shell: usage: %s [force]\n", argv[0]);
		return false;
	}
	if (live && argc == 1) {
		kprintf("shell: %s: %u VM%s still live%s; '%s force' ends %s\n", argv[0], live,
			live == 1 ? " is" : "s are", "", argv[0], live == 1 ? "it" : "them");
		return false;
	}
	kprintf("shell: %s%s\n", argv[0], live ? ", forced" : "");
	return true;
}

static enum shell_result cmd_poweroff(const struct shell_env *env, unsigned argc, char **argv,
				      const char *rest)
{
	UNUSED(rest);
	if (may_end_machine(env, argc, argv))
		env->poweroff();
	return SHELL_STAY;
}

static enum shell_result cmd_reboot(const struct shell_env *env, unsigned argc, char **argv,
				    const char *rest)
{
	UNUSED(rest);
	if (may_end_machine(env, argc, argv))
		env->reboot();
	return SHELL_STAY;
}

static enum shell_result cmd_exit(const struct shell_env *env, unsigned argc, char **argv,
				  const char *rest)
{
	UNUSED(env);
	UNUSED(argc);
	UNUSED(argv);
	UNUSED(rest);
	kprintf("shell: closed; the input goes where it went before\n");
	return SHELL_LEAVE;
}

static enum shell_result cmd_help(const struct shell_env *env, unsigned argc, char **argv,
				  const char *rest)
{
	UNUSED(env);
	UNUSED(rest);
	for (const struct command *c = commands; c->name; c++) {
		if (argc > 1 && strcmp(argv[1], c->name) != 0)
			continue;
		kprintf("  %-22s %s\n", c->usage, c->help);
		if (argc > 1)
			return SHELL_STAY;
	}
	if (argc > 1)
		kprintf("shell: no command '%s' ('help' lists them)\n", argv[1]);
	else
		kprintf("  VM is a vm's id or name.  Ctrl-A then a VM number leaves the shell too.\n");
	return SHELL_STAY;
}

static const struct command commands[] = {
	{ "help", "help [COMMAND]", "what the commands do", cmd_help },
	{ "vms", "vms", "every VM: id, name, state, vCPUs and their CPUs, RAM, devices, VM exits",
	  cmd_vms },
	{ "images", "images", "the boot modules VMs start from, and their options", cmd_images },
	{ "start", "start IMAGE[,opt=val...] [ARGS]",
	  "a new VM from an image, with options as on a module line", cmd_start },
	{ "stop", "stop VM [SECONDS]",
	  "press the VM's power button; kill it if it runs SECONDS (30) later", cmd_stop },
	{ "kill", "kill VM", "end the VM now, as if it had stopped itself", cmd_kill },
	{ "reset", "reset VM", "end the VM and start it again from its image", cmd_reset },
	{ "pause", "pause VM", "stop the VM's vCPUs where they are (its devices' time goes on)",
	  cmd_pause },
	{ "resume", "resume VM", "let a paused VM run again", cmd_resume },
	{ "console", "console VM", "typed input goes to the VM; the shell closes", cmd_console },
	{ "stats", "stats VM [REASON]",
	  "VM exits by reason and vCPU, VMREADs and VMWRITEs ('stats reset VM': to 0)", cmd_stats },
	{ "regs", "regs VM [VCPU]", "a paused VM's registers", cmd_regs },
	{ "gdb", "gdb VM", "the gdb stub's 'target remote' attaches to the VM", cmd_gdb },
	{ "balloon", "balloon VM [MiB]", "ask the VM's balloon for MiB of its RAM (0: all back); "
	  "without MiB, its state and the guest's memory", cmd_balloon },
	{ "dirty", "dirty VM [on|pml|scan|off]",
	  "log the pages the VM writes (by the CPU's page-modification log or its EPT dirty "
	  "flags); then how many it wrote since the last look", cmd_dirty },
	{ "mem", "mem", "free memory, and what each VM holds", cmd_mem },
	{ "cpus", "cpus", "the physical CPUs: their vCPUs, what runs, time in vCPUs", cmd_cpus },
	{ "log", "log [LEVEL]", "the console's log level: error, warn, info or debug", cmd_log },
	{ "poweroff", "poweroff [force]", "switch the machine off (force: VMs live)",
	  cmd_poweroff },
	{ "reboot", "reboot [force]", "reset the machine (force: VMs live)", cmd_reboot },
	{ "exit", "exit", "close the shell", cmd_exit },
	{ NULL, NULL, NULL, NULL },
};

enum shell_result shell_run(const struct shell_env *env, char *line)
{
	char *argv[MAX_WORDS + 1], rest[SHELL_LINE_MAX];
	const char *p = line;
	unsigned argc;

	/* The text after the command's name, before split() cuts it up. */
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	hv_strlcpy(rest, p, sizeof(rest));
	argc = split(line, argv);
	if (!argc)
		return SHELL_STAY;
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(argv[0], c->name) == 0)
			return c->run(env, argc, argv, rest);
	kprintf("shell: no command '%s' ('help' lists them)\n", argv[0]);
	return SHELL_STAY;
}
