/* Unit tests of the hypervisor shell (src/core/shell.c): lines fed to
 * shell_run() on two fake VMs, what it prints, and what its pause,
 * resume, kill and console commands do to the VMs and their vCPUs
 * (src/core/vm.c, vcpu.c; the scheduler skips a paused VM's vCPUs). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

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

static const struct shell_env env = { find, next, focus, exits };

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
	focused = NULL;
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
	run("vms", "  1   linux             running      1 on 0           64 MiB 100");
	assert_non_null(strstr(fake_console(), "  2   echo              running      2 on 0,1         64 MiB 201"));
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

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_help_and_errors), T(test_vms), T(test_pause_and_resume), T(test_kill),
		T(test_console_and_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
