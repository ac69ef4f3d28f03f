/* Console input for several VMs (include/hv/console_in.h).  One lock
 * guards the router: the focus, the escape state and every VM's queue;
 * the VMs that poll take it in turn. */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/console_in.h>
#include <hv/shell.h>
#include <hv/spinlock.h>
#include <hv/string.h>
#include <hv/vm.h>

struct in_queue {
	struct vm *vm;             /* NULL: the slot's VM takes no input */
	uint8_t buf[CONSOLE_IN_QUEUE];
	unsigned head, count;
	uint64_t dropped;          /* typed while the queue was full */
};

static struct {
	struct spinlock lock;
	int (*host_getc)(void);
	const struct shell_env *shell_env;
	void (*shell_wake)(void);       /* a line waits: the shell's CPU should run it */
	struct in_queue q[MAX_VMS];     /* by VM table slot */
	struct vm *focus;
	bool escape;                    /* Ctrl-A seen: the next byte is a command */
	bool shell;                     /* the shell takes the typed lines */
	char line[SHELL_LINE_MAX];      /* the line being typed for it */
	unsigned len;
	volatile bool line_ready;       /* a line ends: console_in_run_shell() runs it */
	char ahead[SHELL_LINE_MAX];     /* typed while it runs: taken after it */
	unsigned ahead_len;
	bool wake;                      /* ... and the shell's CPU is to be told */
} in;

/* The shell's prompt and the echo of what is typed at it are a writer of
 * their own: what another CPU prints meanwhile (a VM's end) starts on a
 * line of its own. */
#define SHELL_WRITER ((const void *)in.line)

void console_in_init(int (*host_getc)(void), const struct shell_env *shell,
		     void (*shell_wake)(void))
{
	in.host_getc = host_getc;
	in.shell_env = shell;
	in.shell_wake = shell_wake;
}

static void set_focus(struct vm *vm)
{
	in.focus = vm;
	if (vm)
		kprintf("console: input goes to vm %u (%s); Ctrl-A then a VM number switches\n",
			vm->id, vm->name);
}

static struct in_queue *queue_of(const struct vm *vm)
{
	return vm && vm->slot < MAX_VMS && in.q[vm->slot].vm == vm ? &in.q[vm->slot] : NULL;
}

/* The VM with the smallest id above after (wrapping round), or NULL. */
static struct vm *next_vm(unsigned after)
{
	struct vm *best = NULL, *first = NULL;

	for (unsigned i = 0; i < MAX_VMS; i++) {
		struct vm *vm = in.q[i].vm;

		if (!vm)
			continue;
		if (!first || vm->id < first->id)
			first = vm;
		if (vm->id > after && (!best || vm->id < best->id))
			best = vm;
	}
	return best ? best : first;
}

static struct vm *vm_with_id(unsigned id)
{
	for (unsigned i = 0; i < MAX_VMS; i++)
		if (in.q[i].vm && in.q[i].vm->id == id)
			return in.q[i].vm;
	return NULL;
}

static void deliver(uint8_t c)
{
	struct in_queue *q = queue_of(in.focus);

	if (!q)
		return;
	if (q->count == CONSOLE_IN_QUEUE) {
		q->dropped++;
		return;
	}
	q->buf[(q->head + q->count++) % CONSOLE_IN_QUEUE] = c;
}

static void command(int c)
{
	struct vm *vm;

	if (c >= '1' && c <= '9') {
		vm = vm_with_id((unsigned)(c - '0'));
		if (vm)
			set_focus(vm);
		else
			kprintf("console: no vm %c\n", c);
	} else if (c == 'n') {
		vm = next_vm(in.focus ? in.focus->id : 0);
		if (vm)
			set_focus(vm);
	} else if (c == 'a' || c == CONSOLE_ESCAPE) {
		deliver(CONSOLE_ESCAPE);
	} else if (c == 's') {
		in.shell = true;
		in.len = 0;
		kprintf("\nconsole: the tinyhv shell ('help' lists its commands; Ctrl-A then a VM "
			"number, or 'exit', leaves it)\n");
		kprintf_as(SHELL_WRITER, SHELL_PROMPT);
		return;
	} else {
		kprintf("console: Ctrl-A then 1-9 (that VM gets the input), n (the next VM), "
			"a (a Ctrl-A for the VM), s (the shell)\n");
	}
	in.shell = false;
}

/* A byte typed for the shell: echoed, the line edited (backspace), and
 * at its end handed over (one line at a time: what comes while one
 * waits is dropped). */
static void shell_byte(int c)
{
	if (in.line_ready) {
		if (in.ahead_len < sizeof(in.ahead))
			in.ahead[in.ahead_len++] = (char)c;
		return;
	}
	if (c == '\r' || c == '\n') {
		kprintf_as(SHELL_WRITER, "\n");
		in.line[in.len] = '\0';
		in.len = 0;
		in.line_ready = true;
		in.wake = true;
	} else if ((c == 0x7f || c == '\b') && in.len) {
		in.len--;
		kprintf_as(SHELL_WRITER, "\b \b");
	} else if (c >= ' ' && c < 0x7f && in.len + 1 < SHELL_LINE_MAX) {
		in.line[in.len++] = (char)c;
		kprintf_as(SHELL_WRITER, "%c", c);
	}
}

/* Everything the host has goes to the queues now: a command must work
 * even while the VM with the focus reads nothing. */
static void pump(void)
{
	int c;

	while (in.host_getc && (c = in.host_getc()) >= 0) {
		if (in.escape) {
			in.escape = false;
			command(c);
		} else if (c == CONSOLE_ESCAPE) {
			in.escape = true;
		} else if (in.shell) {
			shell_byte(c);
		} else {
			deliver((uint8_t)c);
		}
	}
}

void console_in_attach(struct vm *vm, bool focus)
{
	struct in_queue *q = &in.q[vm->slot];

	spin_lock(&in.lock);
	q->vm = vm;
	q->head = q->count = 0;
	q->dropped = 0;
	if (focus)
		set_focus(vm);
	spin_unlock(&in.lock);
}

void console_in_detach(struct vm *vm)
{
	struct in_queue *q;

	spin_lock(&in.lock);
	q = queue_of(vm);
	if (q) {
		if (q->dropped)
			kprintf("console: %lu bytes typed for vm %u (%s) were dropped (it read none)\n",
				q->dropped, vm->id, vm->name);
		q->vm = NULL;
		if (in.focus == vm) {
			struct vm *next = next_vm(vm->id);

			set_focus(next);
		}
	}
	spin_unlock(&in.lock);
}

/* After the lock: a line that has ended wakes the shell's CPU. */
static void wake_shell(void)
{
	bool wake;

	spin_lock(&in.lock);
	wake = in.wake;
	in.wake = false;
	spin_unlock(&in.lock);
	if (wake && in.shell_wake)
		in.shell_wake();
}

/* What was typed while a command ran, in order: to the shell, or to the
 * VM that has the focus if the command left the shell.  A line it ends
 * runs next (console_in_run_shell), on this CPU: no wake. */
static void take_ahead(void)
{
	char ahead[SHELL_LINE_MAX];
	unsigned n = in.ahead_len;

	memcpy(ahead, in.ahead, n);
	in.ahead_len = 0;
	for (unsigned i = 0; i < n; i++) {
		if (in.shell)
			shell_byte(ahead[i]);
		else
			deliver((uint8_t)ahead[i]);
	}
	in.wake = false;
}

bool console_in_shell_pending(void) { return __atomic_load_n(&in.line_ready, __ATOMIC_ACQUIRE); }

static void run_line(void)
{
	char line[SHELL_LINE_MAX];
	bool ready;

	spin_lock(&in.lock);
	ready = in.line_ready;
	if (ready)
		memcpy(line, in.line, sizeof(line));
	spin_unlock(&in.lock);
	if (!ready)
		return;
	if (shell_run(in.shell_env, line) == SHELL_LEAVE) {
		spin_lock(&in.lock);
		in.shell = false;
		spin_unlock(&in.lock);
	} else {
		kprintf_as(SHELL_WRITER, SHELL_PROMPT);
	}
	spin_lock(&in.lock);
	in.line_ready = false;
	take_ahead();
	spin_unlock(&in.lock);
}

/* A line typed ahead may end while one runs (take_ahead): it runs next. */
void console_in_run_shell(void)
{
	while (console_in_shell_pending())
		run_line();
}

int console_in_getc(struct vm *vm)
{
	struct in_queue *q;
	int c = -1;

	spin_lock(&in.lock);
	pump();
	q = queue_of(vm);
	if (q && q->count) {
		c = q->buf[q->head];
		q->head = (q->head + 1) % CONSOLE_IN_QUEUE;
		q->count--;
	}
	spin_unlock(&in.lock);
	wake_shell();
	return c;
}

void console_in_interrupt(void)
{
	struct vm *vm;
	unsigned cpu = 0;
	bool kick = false;

	spin_lock(&in.lock);
	pump();
	vm = in.focus;
	if (vm && queue_of(vm)->count && !vm->input_ready) {
		__atomic_store_n(&vm->input_ready, true, __ATOMIC_RELEASE);
		cpu = vm->cpu;
		kick = true;
	}
	spin_unlock(&in.lock);
	/* Its CPU leaves the guest and sees input_ready (vcpu_host_interrupt);
	 * on this CPU the exit that brought the interrupt sees it. */
	if (kick)
		arch_cpu_kick(cpu);
	wake_shell();
}

void console_in_poll(void) { console_in_interrupt(); }

unsigned console_in_focus(void)
{
	unsigned id;

	spin_lock(&in.lock);
	id = in.focus ? in.focus->id : 0;
	spin_unlock(&in.lock);
	return id;
}

void console_in_set_focus(struct vm *vm)
{
	spin_lock(&in.lock);
	if (queue_of(vm))
		set_focus(vm);
	else
		kprintf("console: vm %u (%s) takes no input\n", vm->id, vm->name);
	spin_unlock(&in.lock);
}

