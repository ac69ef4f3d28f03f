/* Unit tests of the hypervisor shell (src/core/shell.c): lines fed to
 * shell_run() on two fake VMs, what it prints, and what its pause,
 * resume, kill and console commands do to the VMs and their vCPUs
 * (src/core/vm.c, vcpu.c; the scheduler skips a paused VM's vCPUs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/guests.h>
#include <hv/log.h>
#include <hv/sched.h>
#include <hv/shell.h>
#include <hv/vm.h>

#include "fake_arch.h"

static struct vm *vms[2];
static struct vm *focused;

static struct vm *find(unsigned id)
{
	for (unsigned i = 0; i < 2; i++)
		if (vms[i]->id == id)
			return vms[i];
	return NULL;
}

static struct vm *next(unsigned after)
{
	struct vm *best = NULL;

	for (unsigned i = 0; i < 2; i++)
		if (vms[i]->id > after && (!best || vms[i]->id < best->id))
			best = vms[i];
	return best;
}

static void focus(struct vm *vm) { focused = vm; }
static uint64_t exits(const struct vcpu *v) { return 100 + v->id; }

/* Two images, and what the guest calls were given. */
static struct boot_module modules[2] = { { 0x100000, 0x100000 + 8192, "" },
					 { 0x200000, 0x200000 + 4096, "" } };
static struct image images[2];
static char started[SHELL_LINE_MAX];
static int start_rc;
static struct vm *reset_vm, *stopped_vm;
static unsigned stop_grace, live_vms, powered_off, rebooted;

static const struct image *fake_image_next(const struct image *after)
{
	const struct image *n = after ? after + 1 : images;

	return n < images + 2 ? n : NULL;
}

static int start(const char *spec, unsigned *id, char *err, size_t errlen)
{
	strcpy(started, spec);
	*id = 3;
	if (start_rc)
		snprintf(err, errlen, "no image named 'x'");
	return start_rc;
}

static int reset(struct vm *vm, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	reset_vm = vm;
	return 0;
}

static int stop(struct vm *vm, unsigned grace_s, char *err, size_t errlen)
{
	stopped_vm = vm;
	stop_grace = grace_s;
	if (!vm->platform)
		snprintf(err, errlen, "vm %u (%s) has no ACPI power button", vm->id, vm->name);
	return vm->platform ? 0 : -1;
}

static struct vm *gdb_vm;
static bool gdb_stub = true;

static int gdb(struct vm *vm, char *err, size_t errlen)
{
	if (!gdb_stub) {
		snprintf(err, errlen, "no gdb stub: boot tinyhv with gdb=com2");
		return -1;
	}
	gdb_vm = vm;
	return 0;
}

static unsigned live(void) { return live_vms; }

/* CPU 0 runs vm 1 half of the time; CPU 1 is idle. */
static bool cpu_usage(unsigned cpu, struct cpu_usage *u)
{
	if (cpu > 1)
		return false;
	*u = (struct cpu_usage){ .vm = cpu ? NULL : vms[0], .running = cpu == 0,
				 .vcpus = cpu ? 0 : 1, .busy_tsc = cpu ? 0 : 500, .since_tsc = 0 };
	return true;
}

static uint64_t tsc(void) { return 1000; }
static uint64_t tsc_hz(void) { return 1000; }
static uint64_t free_pages(void) { return 1024 * 256; }   /* 1 GiB */
static void poweroff(void) { powered_off++; }
static void reboot(void) { rebooted++; }

static const struct shell_env env = {
	.find = find, .next = next, .focus = focus, .exits = exits,
	.image_next = fake_image_next, .start = start, .reset = reset, .stop = stop, .gdb = gdb,
	.live = live,
	.cpu_usage = cpu_usage, .tsc = tsc, .tsc_hz = tsc_hz, .free_pages = free_pages,
	.poweroff = poweroff, .reboot = reboot,
};

static int setup(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 2; i++) {
		vms[i] = fake_vm(1 << 20);
		vms[i]->id = i + 1;
		vms[i]->state = VM_RUNNING;
		vms[i]->nr_vcpus = 1;
		vms[i]->ram_size = 64 << 20;
	}
	strcpy(vms[0]->name, "linux");
	strcpy(vms[1]->name, "echo");
	vms[0]->platform = &vms[0]->platform_storage;  /* not used: stop() is a fake */
	focused = NULL;
	images[0] = (struct image){ .m = &modules[0], .is_linux = true };
	images[1] = (struct image){ .m = &modules[1] };
	vm_options_parse("linux console=ttyS0", &images[0].opts, started, sizeof(started));
	vm_options_parse("echo,start=wait,mem=16,vcpus=2", &images[1].opts, started,
			 sizeof(started));
	started[0] = '\0';
	start_rc = 0;
	reset_vm = stopped_vm = gdb_vm = NULL;
	gdb_stub = true;
	stop_grace = live_vms = powered_off = rebooted = 0;
	memset(fake_exit_stats, 0, sizeof(fake_exit_stats));
	fake_console_clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vm_free(vms[0]);
	fake_vm_free(vms[1]);
	return 0;
}

/* Run line; what the console printed must contain want (the console
 * ends its lines with CR LF). */
static enum shell_result run(const char *line, const char *want)
{
	char buf[SHELL_LINE_MAX];
	enum shell_result r;

	strcpy(buf, line);
	fake_console_clear();
	r = shell_run(&env, buf);
	if (want && !strstr(fake_console(), want))
		fail_msg("'%s' printed\n%s\nwithout '%s'", line, fake_console(), want);
	return r;
}

static void test_help_and_errors(void **state)
{
	(void)state;
	assert_int_equal(run("help", "pause VM"), SHELL_STAY);
	assert_non_null(strstr(fake_console(), "kill VM"));
	run("  help   resume ", "let a paused VM run again");
	assert_null(strstr(fake_console(), "kill"));
	run("help nope", "shell: no command 'nope'");
	run("frobnicate 1", "shell: no command 'frobnicate' ('help' lists them)");
	assert_int_equal(run("", NULL), SHELL_STAY);
	assert_string_equal(fake_console(), "");
	run("pause", "shell: usage: pause VM");
	run("pause 9", "shell: no vm 9");
	run("kill nosuch", "shell: no vm named 'nosuch'");
	run("resume linux", "shell: vm 1 (linux) is not paused");
	assert_false(vm_ended(vms[0]) || vm_ended(vms[1]));
}

static void test_vms(void **state)
{
	(void)state;
	vms[1]->nr_vcpus = 2;
	vms[1]->vcpus[1].id = 1;
	vms[1]->vcpus[1].cpu = 1;
	run("vms", "  1   linux             running      1 on 0           64 MiB pc      100");
	assert_non_null(strstr(fake_console(),
			       "  2   echo              running      2 on 0,1         64 MiB uart    201"));
}

/* Pause: the VM's vCPUs are kicked; each, taking the news, yields its CPU
 * and is not picked again until the resume's kick. */
static void test_pause_and_resume(void **state)
{
	struct vcpu *v = &vms[0]->vcpus[0];
	struct runq q = { 0 };
	uint64_t wake;

	(void)state;
	assert_int_equal(runq_add(&q, v), 0);
	run("pause 1", "vm 1 (linux): paused");
	assert_true(v->remote != 0);
	assert_false(vcpu_take_remote(v));
	assert_true(v->paused);
	assert_true(v->req & VCPU_REQ_YIELD);
	assert_null(runq_pick(&q, 0, &wake));
	run("vms", "linux             paused");
	run("pause linux", "shell: vm 1 (linux) is paused already");
	run("resume linux", "vm 1 (linux): resumed");
	assert_true(v->remote != 0);
	assert_true(vcpu_take_remote(v));
	assert_false(v->paused);
	assert_ptr_equal(runq_pick(&q, 0, &wake), v);
}

static void test_kill(void **state)
{
	(void)state;
	run("pause echo", NULL);
	run("kill echo", NULL);
	assert_true(vm_ended(vms[1]));
	assert_int_equal(vms[1]->end, VM_END_KILLED);
	assert_true(vms[1]->vcpus[0].remote & VCPU_REMOTE_STOP);
	run("vms", "  2   echo              ended");
	assert_non_null(strstr(fake_console(), "(the shell's kill)"));
	run("kill 2", "shell: vm 2 (echo) has ended");
	assert_false(vm_ended(vms[0]));
}

static void test_console_and_exit(void **state)
{
	(void)state;
	assert_int_equal(run("console echo", NULL), SHELL_LEAVE);
	assert_ptr_equal(focused, vms[1]);
	assert_int_equal(run("console 7", "shell: no vm 7"), SHELL_STAY);
	assert_int_equal(run("exit", "shell: closed"), SHELL_LEAVE);
}

static void test_names(void **state)
{
	(void)state;
	strcpy(vms[1]->name, "linux");
	run("pause linux", "shell: 2 vms are named 'linux': name one by its id");
	assert_false(vms[0]->paused || vms[1]->paused);
	run("pause 2", "vm 2 (linux): paused");
	run("pause 01", "vm 1 (linux): paused");
}

static void test_images_and_start(void **state)
{
	(void)state;
	run("images", "  linux             Linux          8 KiB boot   1     default  console=ttyS0");
	assert_non_null(strstr(fake_console(),
			       "  echo              Multiboot      4 KiB wait   2     16 MiB"));
	run("start", "shell: usage: start IMAGE");
	assert_string_equal(started, "");
	run("start  echo,mem=8  hello   world ", "shell: started vm 3");
	assert_string_equal(started, "echo,mem=8  hello   world ");
	start_rc = -1;
	run("start x", "shell: start: no image named 'x'");
}

static void test_reset_and_stop(void **state)
{
	(void)state;
	run("reset", "shell: usage: reset VM");
	run("reset echo", NULL);
	assert_ptr_equal(reset_vm, vms[1]);
	run("stop linux", NULL);
	assert_ptr_equal(stopped_vm, vms[0]);
	assert_int_equal(stop_grace, 30);
	run("stop 1 5", NULL);
	assert_int_equal(stop_grace, 5);
	run("stop 1 soon", "shell: stop: 'soon' is not a number of seconds");
	run("stop 1 5 6", "shell: usage: stop VM [SECONDS]");
	run("stop echo", "shell: stop: vm 2 (echo) has no ACPI power button");
	vm_kill(vms[1]);
	stopped_vm = NULL;
	run("stop echo", "shell: vm 2 (echo) has ended");
	assert_null(stopped_vm);
}

static void test_stats(void **state)
{
	(void)state;
	vms[1]->nr_vcpus = 2;
	vms[1]->vcpus[1].id = 1;
	fake_exit_stats[0][1] = (struct exit_stats){ 10, 30, 10 };
	fake_exit_stats[1][1] = (struct exit_stats){ 30, 50, 0 };
	fake_exit_stats[1][2] = (struct exit_stats){ 4, 4, 0 };
	run("stats echo", "vm 2 (echo): 201 VM exits");
	assert_non_null(strstr(fake_console(), "  CPUID                          40    2.0   0.3  10 30"));
	assert_non_null(strstr(fake_console(), "  HLT                             4    1.0   0.0  0 4"));
	assert_null(strstr(fake_console(), "EXCEPTION_NMI"));
	run("stats echo hlt", "  HLT  ");
	assert_null(strstr(fake_console(), "CPUID"));
	run("stats echo 0", "  EXCEPTION_NMI                   0    0.0   0.0  0 0");
	run("stats echo VMCALL", "shell: stats: no exit reason 'VMCALL'");
	run("stats reset echo", "vm 2 (echo): exit counts back to 0");
	assert_int_equal(fake_exit_stats[1][1].exits, 0);
	assert_int_equal(fake_exit_stats[0][1].exits, 0);
	run("stats reset", "shell: usage: stats reset VM");
	run("stats", "shell: usage: stats VM [REASON]");
}

static void test_regs(void **state)
{
	struct vcpu *v = &vms[0]->vcpus[0];

	(void)state;
	run("regs linux", "shell: regs: vm 1 (linux) runs: 'pause' it first");
	vms[0]->paused = true;      /* fake_vm's vCPU 0 has an arch part: it has started */
	run("regs linux", "vm 1 (linux) vCPU 0: has not stopped yet; try again");
	v->snap.gpr[GPR_RAX] = 0x1234;
	v->snap.gpr[GPR_R15] = 0xfeed;
	v->snap.rip = 0x100000;
	v->snap.cr3 = 0x5000;
	v->snap.seg[VSEG_CS] = (struct vseg){ 0x10, 0, 0xffffffff, 0xc09b };
	v->snap.valid = true;
	run("regs linux 0", "  rax 0x0000000000001234");
	assert_non_null(strstr(fake_console(), "r15 0x000000000000feed"));
	assert_non_null(strstr(fake_console(), "rip 0x0000000000100000"));
	assert_non_null(strstr(fake_console(), "cr3 0x0000000000005000"));
	assert_non_null(strstr(fake_console(), "  cs   0010 base 0x0000000000000000 limit 0xffffffff ar 0x0c09b"));
	run("regs linux 1", "shell: regs: vm 1 (linux) has vCPUs 0..0");
	vms[1]->nr_vcpus = 2;
	vms[1]->paused = true;
	vms[1]->vcpus[1].id = 1;
	run("regs echo 1", "vm 2 (echo) vCPU 1: not started (it waits for a start-up IPI)");
}

static void test_mem_cpus_log(void **state)
{
	(void)state;
	run("mem", "  vm 1   linux             RAM    64 MiB; page tables, VMCSs and bitmaps 28 KiB");
	assert_non_null(strstr(fake_console(), "  free: 1024 MiB; VMs: 128 MiB of RAM"));
	run("cpus", "  CPU 0   1 vCPUs; runs vm 1 (linux) vCPU 0; 50.0% of its time in vCPUs");
	assert_non_null(strstr(fake_console(), "  CPU 1   0 vCPUs; idle; 0.0% of its time"));
	run("log", "log level: ");
	run("log debug", "log level: debug");
	assert_int_equal(log_get_level(), LOG_DEBUG);
	run("log 1", "log level: warn");
	run("log loud", "shell: usage: log [error|warn|info|debug]");
	assert_int_equal(log_get_level(), LOG_WARN);
	log_set_level(LOG_INFO);
}

static void test_poweroff_and_reboot(void **state)
{
	(void)state;
	live_vms = 2;
	run("poweroff", "shell: poweroff: 2 VMs are still live; 'poweroff force' ends them");
	run("reboot", "shell: reboot: 2 VMs are still live; 'reboot force' ends them");
	run("reboot now", "shell: usage: reboot [force]");
	assert_int_equal(powered_off + rebooted, 0);
	run("poweroff force", "shell: poweroff, forced");
	assert_int_equal(powered_off, 1);
	live_vms = 0;
	run("reboot", "shell: reboot");
	assert_int_equal(rebooted, 1);
}

static void test_gdb(void **state)
{
	(void)state;
	run("gdb", "shell: usage: gdb VM");
	run("gdb echo", NULL);
	assert_ptr_equal(gdb_vm, vms[1]);
	gdb_stub = false;
	run("gdb linux", "shell: gdb: no gdb stub: boot tinyhv with gdb=com2");
	run("help gdb", "gdb VM");
	vms[1]->debug.on = true;
	run("pause echo", "shell: vm 2 (echo) is gdb's");
	assert_false(vms[1]->paused);
	run("vms", "  2   echo              gdb: running ");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_help_and_errors), T(test_vms), T(test_pause_and_resume), T(test_kill),
		T(test_console_and_exit), T(test_names), T(test_images_and_start),
		T(test_reset_and_stop), T(test_stats), T(test_regs), T(test_mem_cpus_log),
		T(test_poweroff_and_reboot), T(test_gdb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
