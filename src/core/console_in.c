/* Console input for several VMs (include/hv/console_in.h).  One lock
 * guards the router: the focus, the escape state and every VM's queue;
 * the VMs that poll take it in turn. */
#include <hv/arch.h>
#include <hv/console.h>
#include <hv/console_in.h>
#include <hv/spinlock.h>
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
	struct in_queue q[MAX_VMS];     /* by VM table slot */
	struct vm *focus;
	bool escape;                    /* Ctrl-A seen: the next byte is a command */
} in;

void console_in_init(int (*host_getc)(void)) { in.host_getc = host_getc; }

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
	} else {
		kprintf("console: Ctrl-A then 1-9 (that VM gets the input), n (the next VM), "
			"a (a Ctrl-A for the VM)\n");
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
}

unsigned console_in_focus(void)
{
	unsigned id;

	spin_lock(&in.lock);
	id = in.focus ? in.focus->id : 0;
	spin_unlock(&in.lock);
	return id;
}
