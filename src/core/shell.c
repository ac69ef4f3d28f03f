/* The hypervisor shell (include/hv/shell.h): a command table, as ACRN's
 * debug shell and Xen's xl have, each command with its usage and one
 * line of help. */
#include <hv/console.h>
#include <hv/shell.h>
#include <hv/string.h>
#include <hv/vm.h>

#define MAX_WORDS 8

struct command {
	const char *name, *usage, *help;
	enum shell_result (*run)(const struct shell_env *env, unsigned argc, char **argv);
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

/* A VM named by its console id ("2") or its name ("linux"): the first of
 * that name.  NULL, with the error printed, if none. */
static struct vm *vm_arg(const struct shell_env *env, const char *arg)
{
	unsigned id = 0;
	const char *p = arg;
	struct vm *vm;

	while (*p >= '0' && *p <= '9' && id < 100000)
		id = id * 10 + (unsigned)(*p++ - '0');
	if (!*p && p != arg) {
		vm = env->find(id);
		if (!vm)
			kprintf("shell: no vm %u ('vms' lists them)\n", id);
		return vm;
	}
	for (vm = env->next(0); vm; vm = env->next(vm->id))
		if (strcmp(vm->name, arg) == 0)
			return vm;
	kprintf("shell: no vm named '%s' ('vms' lists them)\n", arg);
	return NULL;
}

static const char *state_of(const struct vm *vm)
{
	if (vm_ended(vm))
		return "ended";
	if (vm->paused)
		return "paused";
	if (vm->vcpus[0].s3)
		return "asleep (S3)";
	return vm->state == VM_RUNNING ? "running" : "created";
}

static enum shell_result cmd_vms(const struct shell_env *env, unsigned argc, char **argv)
{
	UNUSED(argc);
	UNUSED(argv);
	kprintf("  id  name              state        vCPUs on CPUs    RAM      exits\n");
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
		kprintf("  %-3u %-17s %-12s %u on%-10s %4lu MiB %lu\n", vm->id, vm->name, state_of(vm),
			vm->nr_vcpus, cpus, vm->ram_size >> 20, exits);
		if (vm_ended(vm))
			kprintf("      (%s)\n", vm->end_detail);
	}
	return SHELL_STAY;
}

/* A command on one VM that must not have ended. */
static struct vm *live_vm(const struct shell_env *env, unsigned argc, char **argv)
{
	struct vm *vm;

	if (argc != 2) {
		kprintf("shell: usage: %s VM\n", argv[0]);
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
	struct vm *vm = live_vm(env, argc, argv);

	if (!vm)
		return SHELL_STAY;
	if (vm->paused == pause)
		kprintf("shell: vm %u (%s) is %s\n", vm->id, vm->name,
			pause ? "paused already" : "not paused");
	else if (pause)
		vm_pause(vm);
	else
		vm_resume(vm);
	return SHELL_STAY;
}

static enum shell_result cmd_pause(const struct shell_env *env, unsigned argc, char **argv)
{
	return set_paused(env, argc, argv, true);
}

static enum shell_result cmd_resume(const struct shell_env *env, unsigned argc, char **argv)
{
	return set_paused(env, argc, argv, false);
}

static enum shell_result cmd_kill(const struct shell_env *env, unsigned argc, char **argv)
{
	struct vm *vm = live_vm(env, argc, argv);

	if (vm)
		vm_kill(vm);
	return SHELL_STAY;
}

static enum shell_result cmd_console(const struct shell_env *env, unsigned argc, char **argv)
{
	struct vm *vm = live_vm(env, argc, argv);

	if (!vm)
		return SHELL_STAY;
	env->focus(vm);
	return SHELL_LEAVE;
}

static enum shell_result cmd_exit(const struct shell_env *env, unsigned argc, char **argv)
{
	UNUSED(env);
	UNUSED(argc);
	UNUSED(argv);
	kprintf("shell: closed; the input goes where it went before\n");
	return SHELL_LEAVE;
}

static enum shell_result cmd_help(const struct shell_env *env, unsigned argc, char **argv)
{
	UNUSED(env);
	for (const struct command *c = commands; c->name; c++) {
		if (argc > 1 && strcmp(argv[1], c->name) != 0)
			continue;
		kprintf("  %-16s %s\n", c->usage, c->help);
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
	{ "vms", "vms", "every VM: id, name, state, vCPUs and their CPUs, RAM, VM exits", cmd_vms },
	{ "pause", "pause VM", "stop the VM's vCPUs where they are (its devices' time goes on)",
	  cmd_pause },
	{ "resume", "resume VM", "let a paused VM run again", cmd_resume },
	{ "kill", "kill VM", "end the VM now, as if it had stopped itself", cmd_kill },
	{ "console", "console VM", "typed input goes to the VM; the shell closes", cmd_console },
	{ "exit", "exit", "close the shell", cmd_exit },
	{ NULL, NULL, NULL, NULL },
};

enum shell_result shell_run(const struct shell_env *env, char *line)
{
	char *argv[MAX_WORDS + 1];
	unsigned argc = split(line, argv);

	if (!argc)
		return SHELL_STAY;
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(argv[0], c->name) == 0)
			return c->run(env, argc, argv);
	kprintf("shell: no command '%s' ('help' lists them)\n", argv[0]);
	return SHELL_STAY;
}
