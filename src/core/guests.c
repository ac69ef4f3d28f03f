/* Images, guests and the CPUs that run them (include/hv/guests.h).
 *
 * A guest is a live VM's launch: its image, options and CPUs, kept so
 * that the shell's reset can make it again.  Each physical CPU runs its
 * own run queue (hv/sched.h) and takes new vCPUs from an inbox that any
 * CPU fills (a VM made at boot or by the shell); the CPU's running vCPU is
 * asked to yield so that the newcomer is seen at once.  A CPU with nothing
 * to run sleeps until a kick. */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/console_in.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/gdb_vm.h>
#include <hv/guests.h>
#include <hv/loader_mb1.h>
#include <hv/log.h>
#include <hv/memory.h>
#include <hv/platform.h>
#include <hv/sched.h>
#include <hv/shell.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/vm.h>

#define MULTIBOOT_GUEST_MEM_MIB 32
#define LINUX_GUEST_MEM_MIB 256
#define MAX_CPUS 64                 /* cpus= masks are 64 bits */
#define POLL_MS 10                  /* console input without its interrupt */
#define SHELL_CPU 0                 /* runs the shell's lines: the boot CPU, always there */
#define BALLOON_MIN_MIB 16          /* what a balloon leaves the guest at least */

struct guest {
	bool used;
	const struct image *img;
	struct vm_options opts;
	char args[VM_CMDLINE_MAX];         /* opts.args points here */
	unsigned id;
	unsigned vcpu_cpu[MAX_VCPUS_PER_VM];
	bool console_input;                /* it takes the console's input first */
	bool in_turn;                      /* a boot guest that waits for its turn */
	bool handed;                       /* its vCPUs went to their CPUs */
	struct vm *vm;
	volatile bool reset;               /* the shell's reset: made again at its end */
};

struct cpu_sched {
	struct spinlock lock;              /* the inbox and running */
	struct vcpu *inbox[RUNQ_MAX];
	volatile unsigned nin;
	struct vcpu *running;
	unsigned vcpus;                    /* placed here and not yet done (atomic) */
	uint64_t busy_tsc;                 /* in vm_run_slice (this CPU writes it) */
};

static struct image images[BOOT_MAX_MODULES];
static unsigned nr_images, nr_waiting;
static struct disk_image disks[BOOT_MAX_MODULES];
static unsigned nr_disks;
/* The virtual switches, made when a VM first names one (net=NAME). */
#define MAX_SWITCHES 4
static struct vswitch switches[MAX_SWITCHES];
static unsigned nr_switches;
static struct spinlock switches_lock;
/* Guests in turn may outnumber the VMs that can exist at once. */
#define MAX_GUESTS BOOT_MAX_MODULES
static struct guest guests[MAX_GUESTS];
static struct spinlock guests_lock;        /* guests[].used, placement */
static struct cpu_sched cpus[MAX_CPUS];
static const struct config *config;
static bool console_irq;
static unsigned live;                      /* guests not yet over (atomic) */
static uint64_t start_tsc;

/* ---- images ---- */

/* A Linux bzImage carries "HdrS" at 0x202 (Linux boot protocol). */
static bool is_bzimage(const struct boot_module *m)
{
	const uint8_t *p = phys_to_virt(m->start);

	return m->end - m->start > 0x206 && !memcmp(p + 0x202, "HdrS", 4);
}

static bool module_named(const struct boot_module *m, const char *name)
{
	struct vm_options o;
	char err[8];

	return !vm_options_parse(m->cmdline, &o, err, sizeof(err)) && !strcmp(o.name, name);
}

/* A Linux kernel's initrd is the module named "initrd" after it; a
 * Multiboot kernel's boot modules are the modules named "module" after
 * it, whose strings (but the name) it gets. */
static bool is_initrd(const struct boot_module *m) { return module_named(m, "initrd"); }
static bool is_mb_module(const struct boot_module *m) { return module_named(m, "module"); }
static bool is_disk(const struct boot_module *m) { return module_named(m, "disk"); }

static bool has_blank(const char *s)
{
	while (*s && *s != ' ' && *s != '\t')
		s++;
	return *s != '\0';
}

/* A module "disk NAME" is a disk image the VMs' disk=NAME option names. */
static void read_disk(const struct boot_module *m, size_t i)
{
	struct disk_image *d = &disks[nr_disks];
	struct vm_options o;
	char err[8];

	vm_options_parse(m->cmdline, &o, err, sizeof(err));
	if (!*o.args || strlen(o.args) >= sizeof(d->name) || has_blank(o.args)) {
		pr_err("disk image (module %zu): refused: its string must be 'disk NAME', a name "
		       "of up to %zu characters", i, sizeof(d->name) - 1);
		return;
	}
	if (disk_image_find(o.args)) {
		pr_err("disk image %s (module %zu): refused: a disk image of that name exists",
		       o.args, i);
		return;
	}
	if (m->end - m->start < VIRTIO_BLK_SECTOR) {
		pr_err("disk image %s (module %zu): refused: %lu bytes, less than a sector", o.args,
		       i, (unsigned long)(m->end - m->start));
		return;
	}
	hv_strlcpy(d->name, o.args, sizeof(d->name));
	d->m = m;
	d->module = (unsigned)i;
	if ((m->end - m->start) % VIRTIO_BLK_SECTOR)
		pr_warn("disk image %s (module %zu): its last %lu bytes are no whole sector: "
			"the disk ends before them", d->name, i,
			(unsigned long)((m->end - m->start) % VIRTIO_BLK_SECTOR));
	nr_disks++;
}

const struct disk_image *disk_image_next(const struct disk_image *after)
{
	const struct disk_image *next = after ? after + 1 : disks;

	return next < disks + nr_disks ? next : NULL;
}

const struct disk_image *disk_image_find(const char *name)
{
	for (const struct disk_image *d = disk_image_next(NULL); d; d = disk_image_next(d))
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* The switch named name, made if none is: NULL when all exist. */
static struct vswitch *switch_get(const char *name)
{
	struct vswitch *sw = NULL;

	spin_lock(&switches_lock);
	for (unsigned i = 0; i < nr_switches && !sw; i++)
		if (!strcmp(switches[i].name, name))
			sw = &switches[i];
	if (!sw && nr_switches < MAX_SWITCHES) {
		sw = &switches[nr_switches++];
		vswitch_init(sw, name);
	}
	spin_unlock(&switches_lock);
	return sw;
}

/* What the options name exists (or, a switch, can be made): 0, or
 * HV_ENOENT with the reason. */
static int check_options(const struct vm_options *o, char *err, size_t errlen)
{
	if (o->disk[0] && !disk_image_find(o->disk)) {
		hv_snprintf(err, errlen, "no disk image named '%s' (a module 'disk %s')", o->disk,
			    o->disk);
		return HV_ENOENT;
	}
	if (o->balloon && o->vcpus > 1) {
		hv_snprintf(err, errlen, "balloon= needs vcpus=1 (the other CPUs' cached "
			    "translations of a page given up are not shot down)");
		return HV_EINVAL;
	}
	if (o->balloon && o->mem_mib && o->balloon_mib + BALLOON_MIN_MIB > o->mem_mib) {
		hv_snprintf(err, errlen, "balloon=%u leaves the guest less than %u MiB of its %u",
			    o->balloon_mib, BALLOON_MIN_MIB, o->mem_mib);
		return HV_EINVAL;
	}
	if (o->net[0] && !switch_get(o->net)) {
		hv_snprintf(err, errlen, "no switch '%s': all %u switches exist", o->net,
			    MAX_SWITCHES);
		return HV_ENOENT;
	}
	return 0;
}

/* mac=, else 02:74:68:76 ("thv", locally administered) and the VM's id. */
static void vm_mac(const struct vm_options *o, unsigned id, uint8_t mac[6])
{
	static const uint8_t none[6];

	if (memcmp(o->mac, none, 6)) {
		memcpy(mac, o->mac, 6);
		return;
	}
	mac[0] = 0x02;
	mac[1] = 0x74;
	mac[2] = 0x68;
	mac[3] = 0x76;
	mac[4] = (uint8_t)(id >> 8);
	mac[5] = (uint8_t)id;
}

static void read_images(const struct boot_info *bi)
{
	size_t mods_end = 0;       /* past the last boot module an image took */

	for (size_t i = 0; i < bi->module_count; i++)
		if (is_disk(&bi->modules[i]))
			read_disk(&bi->modules[i], i);
	for (size_t i = 0; i < bi->module_count; i++) {
		const struct boot_module *m = &bi->modules[i];
		struct image *img = &images[nr_images];
		char err[160];

		if (is_mb_module(m) && i >= mods_end)
			pr_warn("module %zu: a boot module named 'module' with no Multiboot guest "
				"before it: ignored", i);
		if (is_initrd(m) || is_mb_module(m))
			continue; /* belongs to the kernel before it */
		if (is_disk(m))
			continue; /* read before */
		if (vm_options_parse(m->cmdline, &img->opts, err, sizeof(err)) ||
		    check_options(&img->opts, err, sizeof(err))) {
			pr_err("guest %s (module %zu): refused: %s",
			       img->opts.name[0] ? img->opts.name : "?", i, err);
			continue;
		}
		img->m = m;
		img->module = (unsigned)i;
		img->is_linux = is_bzimage(m);
		img->initrd = img->is_linux && i + 1 < bi->module_count && is_initrd(m + 1) ? m + 1
											 : NULL;
		img->mods = m + 1;
		img->nmods = 0;
		while (!img->is_linux && i + 1 + img->nmods < bi->module_count &&
		       is_mb_module(&bi->modules[i + 1 + img->nmods]))
			img->nmods++;
		mods_end = i + 1 + img->nmods;
		nr_waiting += img->opts.wait;
		nr_images++;
	}
}

const struct image *image_next(const struct image *after)
{
	const struct image *next = after ? after + 1 : images;

	return next < images + nr_images ? next : NULL;
}

const struct image *image_find(const char *name)
{
	for (const struct image *img = image_next(NULL); img; img = image_next(img))
		if (!strcmp(img->opts.name, name))
			return img;
	return NULL;
}

/* ---- placement ---- */

/* The first n vCPUs of the guest leave their CPUs' counts. */
static void unplace(const struct guest *g, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		__atomic_sub_fetch(&cpus[g->vcpu_cpu[k]].vcpus, 1, __ATOMIC_ACQ_REL);
}

/* A CPU of its own if one is free (static partitioning, as Jailhouse
 * does), else the CPU of its allowed set with the fewest vCPUs, which it
 * shares with them (time-sliced, or in turn with guests_in_turn).  Under
 * guests_lock. */
static int place(struct guest *g, char *err, size_t errlen)
{
	uint64_t allowed = g->opts.cpus;

	if (g->opts.bare && g->img->is_linux) {
		hv_snprintf(err, errlen, "platform=none: a Linux guest needs the PC platform");
		return HV_EINVAL;
	}
	if (g->opts.bare && (g->opts.rng || g->opts.hvc)) {
		hv_snprintf(err, errlen, "%s: a virtio device needs the PC platform (its PCI bus)",
			    g->opts.rng ? "rng=1" : "hvc=1");
		return HV_EINVAL;
	}
	if (g->opts.vcpus > MAX_VCPUS_PER_VM) {
		hv_snprintf(err, errlen, "vcpus=%u: at most %u vCPUs per VM", g->opts.vcpus,
			    MAX_VCPUS_PER_VM);
		return HV_ERANGE;
	}
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		if (allowed & (1ULL << c) && !arch_cpu_online(c)) {
			hv_snprintf(err, errlen, "cpus=: CPU %u is not online", c);
			return HV_ERANGE;
		}
	}
	/* Each vCPU on the least loaded CPU it may use, one after another:
	 * the vCPUs of one guest spread over its CPUs.  With guests_in_turn
	 * a guest waits for one CPU: all its vCPUs share that one. */
	for (unsigned k = 0; k < g->opts.vcpus; k++) {
		int best = -1;

		for (unsigned c = 0; c < MAX_CPUS && !(k && config->guests_in_turn); c++) {
			if ((allowed && !(allowed & (1ULL << c))) || !arch_cpu_online(c))
				continue;
			if (best < 0 || cpus[c].vcpus < cpus[best].vcpus)
				best = (int)c;
		}
		g->vcpu_cpu[k] = best < 0 ? g->vcpu_cpu[0] : (unsigned)best;
		/* Guests in turn are not all on the queue at once. */
		if (!config->guests_in_turn && cpus[g->vcpu_cpu[k]].vcpus >= RUNQ_MAX) {
			hv_snprintf(err, errlen, "CPU %u holds %u vCPUs already, its most",
				    g->vcpu_cpu[k], RUNQ_MAX);
			unplace(g, k);
			return HV_EBUSY;
		}
		cpus[g->vcpu_cpu[k]].vcpus++;
	}
	return 0;
}

/* A guest record for img with opts (its args copied), placed; NULL with
 * err if none is free or the placement fails. */
static struct guest *claim(const struct image *img, const struct vm_options *opts, char *err,
			   size_t errlen)
{
	struct guest *g = NULL;

	spin_lock(&guests_lock);
	for (unsigned i = 0; i < MAX_GUESTS && !g; i++)
		if (!guests[i].used)
			g = &guests[i];
	if (!g) {
		hv_snprintf(err, errlen, "all %u guests the hypervisor can hold exist", MAX_GUESTS);
		spin_unlock(&guests_lock);
		return NULL;
	}
	memset(g, 0, sizeof(*g));
	g->img = img;
	g->opts = *opts;
	hv_strlcpy(g->args, opts->args, sizeof(g->args));
	g->opts.args = g->args;
	if (place(g, err, errlen)) {
		spin_unlock(&guests_lock);
		return NULL;
	}
	g->used = true;
	__atomic_add_fetch(&live, 1, __ATOMIC_ACQ_REL);
	spin_unlock(&guests_lock);
	return g;
}

/* ---- making and ending VMs ---- */

static int load_image(struct vm *vm, const struct guest *g)
{
	const struct image *img = g->img;
	const struct boot_module *m = img->m, *initrd = img->initrd;
	const void *kernel = phys_to_virt(m->start);

	if (!img->is_linux) {
		struct mb1_module mods[MB1_MODS_MAX];
		struct vm_options o;
		char err[8];

		for (unsigned i = 0; i < img->nmods && i < MB1_MODS_MAX; i++) {
			const struct boot_module *b = &img->mods[i];

			vm_options_parse(b->cmdline, &o, err, sizeof(err));
			mods[i] = (struct mb1_module){ phys_to_virt(b->start), b->end - b->start,
						       o.args };
		}
		return vm_load_multiboot(vm, kernel, m->end - m->start, mods, img->nmods);
	}
	return vm_load_linux(vm, kernel, m->end - m->start,
			     initrd ? phys_to_virt(initrd->start) : NULL,
			     initrd ? initrd->end - initrd->start : 0);
}

static void guest_over(struct guest *g);

/* The guest's VM, made and loaded: 0, or HV_E* with the reason printed
 * (the guest is then over). */
static int make_vm(struct guest *g)
{
	uint32_t mib = g->opts.mem_mib ? g->opts.mem_mib : config->guest_mem_mib;
	struct vm *vm;
	int rc;

	if (!mib)
		mib = g->img->is_linux ? LINUX_GUEST_MEM_MIB : MULTIBOOT_GUEST_MEM_MIB;
	rc = vm_create(g->id, g->opts.name, g->opts.args, (uint64_t)mib << 20, &vm);
	if (rc == HV_EBUSY)
		pr_err("guest %s: not started: all %u VMs the hypervisor can hold exist",
		       g->opts.name, MAX_VMS);
	else if (rc)
		pr_err("guest %s: cannot create a VM with %u MiB: %s", g->opts.name, mib,
		       hv_strerror(rc));
	if (rc) {
		guest_over(g);
		return rc;
	}
	vm->stats_interval_tsc = (uint64_t)config->stats_interval_s * arch_tsc_hz();
	vm->cpu_limit_ms = config->cpu_limit_ms;
	vm_console_set_rate(&vm->console, config->console_rate, arch_tsc_hz());
	vm->entry_fail_test = vm->id == 1 ? config->entry_fail_test : ENTRY_FAIL_NONE;
	vm->input_polled = !console_irq;
	vm->bare = g->opts.bare;
	vm->holes_stop = g->opts.holes_stop;
	vm->virtio_rng = g->opts.rng;
	vm->virtio_console = g->opts.hvc;
	if (g->opts.disk[0]) {
		const struct disk_image *d = disk_image_find(g->opts.disk);   /* checked */

		vm->disk = (struct vm_disk){ d->name, phys_to_virt(d->m->start),
					     d->m->end - d->m->start, g->opts.disk_ro };
	}
	vm->virtio_balloon = g->opts.balloon;
	vm->balloon_mib = g->opts.balloon_mib;
	if (g->opts.net[0]) {
		vm->net.sw = switch_get(g->opts.net);   /* checked: it exists */
		vm_mac(&g->opts, vm->id, vm->net.mac);
	}
	vm->nr_vcpus = g->opts.vcpus;
	console_in_attach(vm, g->console_input);
	g->vm = vm;
	if (g->opts.gdb && gdb_vm_enabled())
		gdb_vm_name(vm);
	rc = load_image(vm, g);
	if (rc) {
		vm_end(vm, VM_END_ERROR, 0, "not started: the image could not be loaded");
		guest_over(g);
	}
	return rc;
}

static void vcpu_done(struct vcpu *v);

/* The vCPU joins its CPU's run queue: through the inbox, with the vCPU
 * running there asked to yield (or the idle CPU woken) so it is seen. */
static void hand(unsigned cpu, struct vcpu *v)
{
	struct cpu_sched *cs = &cpus[cpu];
	struct vcpu *running;
	bool full;

	spin_lock(&cs->lock);
	full = cs->nin == RUNQ_MAX;   /* never: place() keeps a CPU's vCPUs to RUNQ_MAX */
	if (!full)
		cs->inbox[cs->nin++] = v;
	running = cs->running;
	spin_unlock(&cs->lock);
	if (full) {
		vm_end(v->vm, VM_END_ERROR, 0, "CPU %u's run queue is full", cpu);
		vcpu_done(v);
		return;
	}
	if (running)
		vcpu_kick(running, VCPU_REMOTE_YIELD);
	else
		arch_cpu_kick(cpu);
}

/* The VM's vCPUs on their CPUs (as placed), and it starts. */
static void start_vm(struct guest *g)
{
	struct vm *vm = g->vm;

	vm->vcpus_queued = vm->nr_vcpus;
	g->handed = true;
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		vm->vcpus[k].cpu = g->vcpu_cpu[k];
	vm_start(vm, g->vcpu_cpu[0]);
	for (unsigned k = 0; k < vm->nr_vcpus; k++)
		hand(g->vcpu_cpu[k], &vm->vcpus[k]);
}

static int launch(struct guest *g)
{
	int rc;

	g->in_turn = false;
	g->handed = false;
	rc = make_vm(g);
	if (!rc)
		start_vm(g);
	return rc;
}

/* A guest has ended (its VM, if it had one, is reported and destroyed):
 * a reset makes it again; else the CPU that ends the last guest of all
 * switches the machine off, unless images wait for the shell. */
static void guest_over(struct guest *g)
{
	struct vm *vm = g->vm;
	bool focus = false;

	if (vm) {
		focus = console_in_focus() == vm->id;
		gdb_vm_end(vm);
		vm_report(vm);
		vm_destroy(vm);
		g->vm = NULL;
	}
	if (vm && g->reset) {
		g->reset = false;
		g->console_input = focus;
		spin_lock(&guests_lock);
		for (unsigned k = 0; k < g->opts.vcpus; k++)
			cpus[g->vcpu_cpu[k]].vcpus++;
		spin_unlock(&guests_lock);
		pr_info("vm %u (%s): reset by the shell: made again from its image", g->id,
			g->opts.name);
		launch(g);     /* a failure comes back here */
		return;
	}
	if (!g->handed)   /* the vCPUs placed never reached their CPUs */
		unplace(g, g->opts.vcpus);
	spin_lock(&guests_lock);
	g->used = false;
	spin_unlock(&guests_lock);
	if (__atomic_sub_fetch(&live, 1, __ATOMIC_ACQ_REL))
		return;
	if (!nr_waiting) {
		kprintf("all guests ended\n");
		hv_poweroff();
	}
	kprintf("all VMs ended; %u image%s wait%s for the shell's start (Ctrl-A s, then "
		"'images')\n", nr_waiting, nr_waiting == 1 ? "" : "s", nr_waiting == 1 ? "s" : "");
}

static struct guest *guest_of(const struct vm *vm)
{
	for (unsigned i = 0; i < MAX_GUESTS; i++)
		if (guests[i].used && guests[i].vm == vm)
			return &guests[i];
	return NULL;
}

/* One of the VM's vCPUs has left its CPU's run queue for good: the last
 * one out ends the guest. */
static void vcpu_done(struct vcpu *v)
{
	struct vm *vm = v->vm;

	__atomic_sub_fetch(&cpus[v->cpu].vcpus, 1, __ATOMIC_ACQ_REL);
	if (__atomic_sub_fetch(&vm->vcpus_queued, 1, __ATOMIC_ACQ_REL) == 0) {
		struct guest *g = guest_of(vm);

		if (g)   /* always: every VM is a guest's */
			guest_over(g);
	}
}

/* ---- the shell's requests ---- */

int guest_start(const char *spec, unsigned *id, char *err, size_t errlen)
{
	struct vm_options o;
	const struct image *img;
	struct guest *g;
	int rc = vm_options_parse(spec, &o, err, errlen);

	if (rc)
		return rc;
	img = image_find(o.name);
	if (!img) {
		hv_snprintf(err, errlen, "no image named '%s' ('images' lists them)", o.name);
		return HV_ENOENT;
	}
	o = img->opts;
	rc = vm_options_apply(spec, &o, err, errlen);
	if (!rc)
		rc = check_options(&o, err, errlen);
	if (rc)
		return rc;
	g = claim(img, &o, err, errlen);
	if (!g)
		return HV_EBUSY;
	g->id = vm_new_id();
	*id = g->id;
	rc = launch(g);
	if (rc)
		hv_snprintf(err, errlen, "could not make its VM: %s", hv_strerror(rc));
	return rc;
}

int guest_reset(struct vm *vm, char *err, size_t errlen)
{
	struct guest *g = guest_of(vm);

	if (!g) {
		hv_snprintf(err, errlen, "vm %u (%s) is no guest of an image", vm->id, vm->name);
		return HV_ENOENT;
	}
	g->reset = true;
	vm_end(vm, VM_END_KILLED, 0, "the shell's reset");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i], VCPU_REMOTE_STOP);
	return 0;
}

int guest_stop(struct vm *vm, unsigned grace_s, char *err, size_t errlen)
{
	if (!vm->platform) {
		hv_snprintf(err, errlen, "vm %u (%s) has no ACPI power button (platform=none): "
			    "'kill' it", vm->id, vm->name);
		return HV_EINVAL;
	}
	if (vm->paused || vm->vcpus[0].s3) {
		hv_snprintf(err, errlen, "vm %u (%s) is %s: it cannot see its power button; "
			    "'resume' or 'kill' it", vm->id, vm->name,
			    vm->paused ? "paused" : "asleep in S3");
		return HV_EBUSY;
	}
	__atomic_store_n(&vm->stop_deadline_tsc, arch_tsc() + grace_s * arch_tsc_hz(),
			 __ATOMIC_RELEASE);
	vm_tell(vm, VM_NEWS_POWER_BUTTON);   /* its own CPU presses it (vm_take_news) */
	kprintf("vm %u (%s): its power button pressed; stopped if still running in %u s\n",
		vm->id, vm->name, grace_s);
	return 0;
}

int guest_balloon(struct vm *vm, int64_t mib, char *err, size_t errlen)
{
	uint64_t ram_mib = vm->ram_size >> 20;

	if (mib >= 0 && (uint64_t)mib + BALLOON_MIN_MIB > ram_mib) {
		hv_snprintf(err, errlen, "%ld MiB would leave vm %u (%s) less than %u MiB of its %lu",
			    (long)mib, vm->id, vm->name, BALLOON_MIN_MIB, (unsigned long)ram_mib);
		return HV_ERANGE;
	}
	if (!vm->virtio_balloon) {
		hv_snprintf(err, errlen, "vm %u (%s) has no balloon (the option balloon=MiB gives "
			    "one)", vm->id, vm->name);
		return HV_ENOENT;
	}
	/* Its own CPU changes the device (vm_take_news). */
	__atomic_store_n(&vm->balloon_request, mib, __ATOMIC_RELEASE);
	vm_tell(vm, VM_NEWS_BALLOON);
	return 0;
}

static int dirty_start(struct vm *vm, enum dirty_mode mode, char *err, size_t errlen)
{
	int rc = vm_dirty_start(vm, mode);

	if (rc == HV_ENOTSUP)
		hv_snprintf(err, errlen, "the CPU has %s", mode == DIRTY_PML ? "no page-modification log"
				       : mode == DIRTY_SCAN ? "no EPT dirty flags"
				       : "neither a page-modification log nor EPT dirty flags");
	else if (rc == HV_EBUSY)
		hv_snprintf(err, errlen, "vm %u (%s) logs already ('dirty %u off' first)", vm->id,
			    vm->name, vm->id);
	else if (rc)
		hv_snprintf(err, errlen, "vm %u (%s): %s", vm->id, vm->name, hv_strerror(rc));
	else
		kprintf("vm %u (%s): dirty-page logging on (%s), %lu pages of 4 KiB\n", vm->id,
			vm->name, dirty_mode_name(vm->dirty_mode),
			(unsigned long)(vm->ram_size / PAGE_SIZE));
	return rc;
}

/* From the shell's CPU, which runs no vCPU while it runs a command. */
int guest_dirty(struct vm *vm, const char *how, char *err, size_t errlen)
{
	if (!how)
		how = vm->dirty_mode == DIRTY_OFF ? "on" : "look";
	if (!strcmp(how, "on"))
		return dirty_start(vm, DIRTY_OFF, err, errlen);
	if (!strcmp(how, "pml"))
		return dirty_start(vm, DIRTY_PML, err, errlen);
	if (!strcmp(how, "scan"))
		return dirty_start(vm, DIRTY_SCAN, err, errlen);
	if (!strcmp(how, "off")) {
		if (vm->dirty_mode == DIRTY_OFF) {
			hv_snprintf(err, errlen, "vm %u (%s) does not log", vm->id, vm->name);
			return HV_EINVAL;
		}
		vm_dirty_stop(vm);
		kprintf("vm %u (%s): dirty-page logging off\n", vm->id, vm->name);
		return 0;
	}
	if (strcmp(how, "look")) {
		hv_snprintf(err, errlen, "'%s': on, pml, scan or off", how);
		return HV_EINVAL;
	}
	kprintf("vm %u (%s): %lu pages written since the last look (%s)\n", vm->id, vm->name,
		(unsigned long)vm_dirty_take(vm), dirty_mode_name(vm->dirty_mode));
	return 0;
}

int guest_gdb(struct vm *vm, char *err, size_t errlen)
{
	if (!gdb_vm_enabled()) {
		hv_snprintf(err, errlen, "no gdb stub: boot tinyhv with gdb=com2 (README, "
			    "\"Debugging a guest with gdb\")");
		return HV_ENOTSUP;
	}
	gdb_vm_name(vm);
	return 0;
}

unsigned guests_live(void)
{
	unsigned n = 0;

	spin_lock(&guests_lock);
	for (unsigned i = 0; i < MAX_GUESTS; i++)
		n += guests[i].used && (!guests[i].vm || !vm_ended(guests[i].vm));
	spin_unlock(&guests_lock);
	return n;
}

bool guests_cpu_usage(unsigned cpu, struct cpu_usage *u)
{
	struct cpu_sched *cs;

	if (cpu >= MAX_CPUS || !arch_cpu_online(cpu))
		return false;
	cs = &cpus[cpu];
	spin_lock(&cs->lock);
	u->running = cs->running != NULL;
	u->vm = cs->running ? cs->running->vm : NULL;
	u->vcpu = cs->running ? cs->running->id : 0;
	spin_unlock(&cs->lock);
	u->vcpus = __atomic_load_n(&cs->vcpus, __ATOMIC_RELAXED);
	u->busy_tsc = __atomic_load_n(&cs->busy_tsc, __ATOMIC_RELAXED);
	u->since_tsc = start_tsc;
	return true;
}

static uint64_t vcpu_exits(const struct vcpu *v) { return arch_vcpu_exit_count(v); }

const struct shell_env shell_hv_env = {
	.find = vm_find_id,
	.next = vm_next_id,
	.focus = console_in_set_focus,
	.exits = vcpu_exits,
	.image_next = image_next,
	.disk_next = disk_image_next,
	.balloon = guest_balloon,
	.dirty = guest_dirty,
	.start = guest_start,
	.reset = guest_reset,
	.stop = guest_stop,
	.gdb = guest_gdb,
	.live = guests_live,
	.cpu_usage = guests_cpu_usage,
	.tsc = arch_tsc,
	.tsc_hz = arch_tsc_hz,
	.free_pages = memory_free_pages,
	.poweroff = hv_poweroff,
	.reboot = hv_reboot,
};

/* ---- each CPU's loop ---- */

/* Something for a queued vCPU that does not run now: console input, a
 * request of another CPU (an IPI, its VM's end). */
static bool news_for(const struct vcpu *v)
{
	return v->remote || v->vm->input_ready || v->vm->news;
}

/* Work for the CPU beside its queue: new vCPUs, or (the boot CPU) a line
 * typed at the shell. */
static bool work_waits(unsigned cpu)
{
	return cpus[cpu].nin || (cpu == SHELL_CPU && console_in_shell_pending());
}

/* The boot CPU looks at the gdb stub's port every POLL_MS: it comes back
 * from its vCPUs and its sleep that often. */
static bool polls(unsigned cpu)
{
	return cpu == SHELL_CPU && (!console_irq || gdb_vm_enabled());
}

static uint64_t poll_deadline(void) { return arch_tsc() + POLL_MS * (arch_tsc_hz() / 1000); }

void guests_shell_wake(void)
{
	struct cpu_sched *cs = &cpus[SHELL_CPU];
	struct vcpu *running;

	spin_lock(&cs->lock);
	running = cs->running;
	spin_unlock(&cs->lock);
	if (running)
		vcpu_kick(running, VCPU_REMOTE_YIELD);
	else
		arch_cpu_kick(SHELL_CPU);
}

/* New vCPUs from the inbox join the queue. */
static void take_inbox(struct cpu_sched *cs, struct runq *q)
{
	if (!cs->nin)
		return;
	spin_lock(&cs->lock);
	for (unsigned i = 0; i < cs->nin; i++) {
		if (runq_add(q, cs->inbox[i])) { /* never: RUNQ_MAX >= MAX_VMS */
			vm_end(cs->inbox[i]->vm, VM_END_ERROR, 0, "CPU's run queue is full");
			vcpu_done(cs->inbox[i]);
		}
	}
	cs->nin = 0;
	spin_unlock(&cs->lock);
}

/* All of the CPU's vCPUs sleep (halted, or waiting for a start-up IPI)
 * until wake, or until news comes for one of them or a new one. */
static void wait_for_sleepers(unsigned cpu, struct runq *q, uint64_t wake)
{
	if (!wake)
		wake = UINT64_MAX;  /* all wait for a start-up IPI: only news wakes them */
	if (polls(cpu) && poll_deadline() < wake)
		wake = poll_deadline();
	while (arch_tsc() < wake && !work_waits(cpu)) {
		for (unsigned i = 0; i < q->n; i++)
			if (news_for(q->v[i]))
				return;
		arch_cpu_wait(wake);
	}
}

/* Nothing to run: wait for a kick.  The boot CPU takes the console's
 * input itself when it comes without an interrupt (the shell). */
static void idle(unsigned cpu)
{
	if (work_waits(cpu))
		return;
	if (!polls(cpu)) {
		arch_cpu_wait(UINT64_MAX);
		return;
	}
	if (!console_irq)
		console_in_poll();
	arch_cpu_wait(poll_deadline());
}

/* Before choosing: the news of the vCPUs that do not run (their own CPU
 * is this one, so their state is this CPU's to change); the vCPUs whose
 * VM ended leave the queue. */
static void take_news(struct runq *q)
{
	for (unsigned i = 0; i < q->n;) {
		struct vcpu *v = q->v[i];

		if (v->vm->input_ready || v->vm->news)
			v->wake_tsc = 0;
		if (v->remote)
			vcpu_take_remote(v);
		if (vm_ended(v->vm)) {
			runq_remove(q, v);
			vcpu_done(v);
			continue;
		}
		i++;
	}
}

static void run_slice(unsigned cpu, struct runq *q, struct vcpu *v)
{
	struct cpu_sched *cs = &cpus[cpu];
	uint64_t quantum = SCHED_QUANTUM_MS * (arch_tsc_hz() / 1000);
	uint64_t t0 = arch_tsc();
	bool over;

	v->slice_end = q->n > 1 || cs->nin || (gdb_vm_enabled() && cpu == SHELL_CPU) ? t0 + quantum
										  : 0;
	spin_lock(&cs->lock);
	cs->running = v;
	spin_unlock(&cs->lock);
	over = vm_run_slice(v);
	spin_lock(&cs->lock);
	cs->running = NULL;
	spin_unlock(&cs->lock);
	__atomic_add_fetch(&cs->busy_tsc, arch_tsc() - t0, __ATOMIC_RELAXED);
	if (over) {
		runq_remove(q, v);
		vcpu_done(v);
	}
}

/* Run the CPU's vCPUs: a slice each in turn while more than one can run
 * (hv/sched.h).  until_empty: return when none is left (guests_in_turn);
 * else for ever. */
static void serve(unsigned cpu, struct runq *q, bool until_empty)
{
	struct cpu_sched *cs = &cpus[cpu];

	for (;;) {
		uint64_t wake;
		struct vcpu *v;

		if (cpu == SHELL_CPU && console_in_shell_pending())
			console_in_run_shell();
		if (cpu == SHELL_CPU)
			gdb_vm_poll();
		take_inbox(cs, q);
		take_news(q);
		if (!q->n && !cs->nin) {
			if (until_empty)
				return;
			idle(cpu);
			continue;
		}
		v = runq_pick(q, arch_tsc(), &wake);
		if (v)
			run_slice(cpu, q, v);
		else if (q->n)
			wait_for_sleepers(cpu, q, wake);
	}
}

/* guests_in_turn: each of the CPU's boot guests to its end, in module
 * order (its VM made only then); an SMP guest's vCPUs share the CPU
 * (place put them all there). */
static void run_in_turn(unsigned cpu, struct runq *q)
{
	for (unsigned i = 0; i < MAX_GUESTS; i++) {
		struct guest *g = &guests[i];

		if (!g->used || !g->in_turn || g->vcpu_cpu[0] != cpu || launch(g))
			continue;
		serve(cpu, q, true);
	}
}

static void cpu_work(unsigned cpu)
{
	static struct runq queues[MAX_CPUS];
	struct runq *q = &queues[cpu];

	if (config->guests_in_turn)
		run_in_turn(cpu, q);
	serve(cpu, q, false);
}

/* The boot guests: one per image that does not wait; the console's input
 * goes first to the first Linux guest, else to the first guest. */
static unsigned plan_boot_guests(void)
{
	struct guest *first = NULL, *first_linux = NULL;
	unsigned n = 0;

	for (const struct image *img = image_next(NULL); img; img = image_next(img)) {
		struct guest *g;
		char err[160];

		if (img->opts.wait)
			continue;
		g = claim(img, &img->opts, err, sizeof(err));
		if (!g) {
			pr_err("guest %s (module %u): refused: %s", img->opts.name, img->module,
			       err);
			continue;
		}
		g->id = vm_new_id();
		g->in_turn = config->guests_in_turn;
		if (!first)
			first = g;
		if (img->is_linux && !first_linux)
			first_linux = g;
		n++;
	}
	if (first_linux)
		first_linux->console_input = true;
	else if (first)
		first->console_input = true;
	return n;
}

void guests_run(const struct boot_info *bi, const struct config *cfg, bool irq)
{
	unsigned n;

	config = cfg;
	console_irq = irq;
	start_tsc = arch_tsc();
	if (bi->module_count == 0) {
		pr_info("no guests to run (no Multiboot2 modules)");
		hv_poweroff();
	}
	read_images(bi);
	n = plan_boot_guests();
	if (n == 0 && !nr_waiting) {
		pr_err("no guests to run: every module was refused");
		hv_poweroff();
	}
	if (n == 0)
		kprintf("no VM starts at boot; %u image%s wait%s for the shell's start (Ctrl-A s, "
			"then 'images')\n", nr_waiting, nr_waiting == 1 ? "" : "s",
			nr_waiting == 1 ? "s" : "");
	/* The boot CPU makes every boot guest's VM before any CPU runs one,
	 * so that the vCPUs of an SMP guest find their VM on whichever CPU
	 * they are. */
	for (unsigned i = 0; i < MAX_GUESTS && !cfg->guests_in_turn; i++)
		if (guests[i].used && !guests[i].vm)
			launch(&guests[i]);
	for (unsigned c = 1; c < arch_cpu_max(); c++)
		arch_cpu_release(c, cpu_work);
	cpu_work(0);
	arch_cpu_idle_forever();
}
