/* Virtual machines.  A VM owns its guest-physical memory (one contiguous
 * host block mapped at guest-physical 0 through its own second-level page
 * tables, which the arch keeps in vm->arch with the intercept bitmaps),
 * its device models and its vCPUs (hv/vcpu.h).  Nothing else in the
 * hypervisor holds guest state. */
#ifndef HV_VM_H
#define HV_VM_H

#include <hv/config.h>
#include <hv/dirty.h>
#include <hv/io.h>
#include <hv/platform.h>
#include <hv/spinlock.h>
#include <hv/types.h>
#include <hv/vcpu.h>
#include <hv/vm_console.h>
#include <hv/vuart.h>

#define MAX_VMS 16
#define VM_NAME_MAX 32
#define VM_CMDLINE_MAX 256
#define MAX_VCPUS_PER_VM 8

struct vm_arch;

enum vm_state { VM_FREE, VM_CREATED, VM_RUNNING, VM_ENDED };

/* How a VM ended: printed on the console, one line per VM. */
enum vm_end {
	VM_END_NONE,
	VM_END_HYPERCALL,
	VM_END_DEBUG_EXIT,
	VM_END_TRIPLE_FAULT,
	VM_END_POWER_OFF,
	VM_END_ERROR,      /* the guest did something the hypervisor cannot emulate */
	VM_END_ENTRY_FAILED,
	VM_END_HALTED,      /* HLT with no way to wake up again */
	VM_END_RESET,       /* the guest reset its machine */
	VM_END_CPU_LIMIT,   /* it used up its CPU time (cpu_limit=) */
	VM_END_KILLED,      /* the shell's kill */
};

/* A debugger's hold on the VM (src/core/gdb_vm.c): what every vCPU's
 * next entry applies (vcpu_debug_enter). */
struct vm_debug {
	volatile bool on;          /* attached: #BP and MTF exits are the debugger's */
	bool sw_breaks;            /* INT3s of its own are in guest memory: #BP exits */
	bool dr_owned;             /* the debug registers are its (the guest's own lost) */
	uint64_t dr[4], dr7;       /* its hardware breakpoints and watchpoints */
};

struct vm {
	unsigned id;
	unsigned slot;             /* index in the VM table (the arch's VPID is slot + 1) */
	enum vm_state state;
	char name[VM_NAME_MAX];
	char cmdline[VM_CMDLINE_MAX];

	uint64_t ram_size;
	paddr_t ram_hpa;           /* host-physical base of guest RAM */
	struct gmem mem;           /* guest RAM as the hypervisor reaches it (hv/gmem.h) */
	uint64_t balloon_pages;    /* given to the hypervisor by its balloon (balloon.c) */
	struct vm_arch *arch;      /* second-level page tables, intercept bitmaps */
	/* The dirty-page log (vm_dirty_start): the pages written since the
	 * last take; what that take returned; the pages holding both. */
	struct dirty_log dirty;
	uint64_t *dirty_taken;
	paddr_t dirty_pa;
	uint64_t dirty_alloc;
	enum dirty_mode dirty_mode;
	/* Bumped by vm_sync_vcpus: each vCPU syncs before its next entry. */
	volatile uint32_t sync_gen;

	struct io_bus pio;         /* port I/O devices */
	struct io_bus mmio;        /* MMIO devices (guest-physical ranges with no RAM) */
	struct vuart uart;
	struct vm_console console;         /* what the guest prints (UART, HC_PRINT) */
	uint64_t tsc_offset;               /* guest TSC = host TSC + this (SDM 25.6.5) */
	uint64_t tsc_adjust;               /* IA32_TSC_ADJUST as the guest wrote it */
	uint64_t stats_interval_tsc;       /* 0: no periodic statistics */
	uint32_t cpu_limit_ms;             /* cpu_limit=: CPU time each vCPU may use, 0: none */
	uint64_t stop_deadline_tsc;        /* the shell's stop: killed then (vCPU 0's timer) */
	unsigned cpu;                      /* the physical CPU its vCPU runs on */
	volatile bool input_ready;         /* console input came for it (console_in.c) */
	volatile bool paused;              /* the shell's pause: its vCPUs do not run */
	bool input_polled;                 /* no console interrupt: the platform polls */
	bool bare;                         /* platform=none: no PC platform (Multiboot) */
	bool holes_stop;                   /* holes=stop: no open bus (src/emul/mmio.c) */
	bool virtio_rng;                   /* rng=1: a virtio entropy device */
	bool virtio_console;               /* hvc=1: a virtio console */
	struct vm_disk {                   /* disk=NAME: a virtio disk over that image */
		const char *name;          /* NULL: none */
		const void *image;
		uint64_t size;
		bool read_only;            /* disk_ro=1 */
	} disk;
	struct vm_net {                    /* net=NAME: a virtio-net port on that switch */
		struct vswitch *sw;        /* NULL: none */
		uint8_t mac[6];
	} net;
	volatile unsigned news;            /* VM_NEWS_*: work for its own CPU (vm_tell) */
	volatile int64_t balloon_request;  /* VM_NEWS_BALLOON: a target in MiB, or -1: show */
	bool virtio_balloon;               /* balloon=MiB: a virtio balloon ... */
	uint32_t balloon_mib;              /* ... asking for MiB at start */
	enum entry_fail_test entry_fail_test; /* start with an invalid guest state or control */
	struct platform *platform;         /* NULL: no PC platform (platform=none) */
	struct platform platform_storage;

	struct vcpu vcpus[MAX_VCPUS_PER_VM];
	unsigned nr_vcpus;                 /* set before loading: vcpus= */
	unsigned vcpus_queued;             /* on run queues still (atomic) */
	/* The lock of what the vCPUs share: the platform's device models
	 * (docs/ARCHITECTURE.md, "Locking"); end_lock: how it ended. */
	struct spinlock lock;
	struct spinlock end_lock;

	struct vm_debug debug;

	enum vm_end end;
	uint64_t end_status;
	char end_detail[160];
};

/* vm.c: life cycle */
/* id: the VM's console id, from vm_new_id() (0: a new one now). */
unsigned vm_new_id(void);
int vm_create(unsigned id, const char *name, const char *cmdline, uint64_t ram_size,
	      struct vm **out);
struct mb1_module;
/* A Multiboot kernel with nmods boot modules (hv/loader_mb1.h). */
int vm_load_multiboot(struct vm *vm, const void *image, size_t len, const struct mb1_module *mods,
		      unsigned nmods);
/* A Linux bzImage with an optional initrd on the PC platform. */
int vm_load_linux(struct vm *vm, const void *kernel, size_t kernel_len, const void *initrd,
		  size_t initrd_len);
/* The VM starts, its first vCPU on CPU cpu (for the console): its CPU
 * time counts from each vCPU's first slice.  vm_run_slice() runs a vCPU until the VM ends
 * (true) or the vCPU yields the CPU to another of its run queue (false). */
void vm_start(struct vm *vm, unsigned cpu);
bool vm_run_slice(struct vcpu *v);
/* Console input waits for the VM: into its UART (and its interrupt). */
void vm_take_input(struct vm *vm);
/* Work for the VM's own devices that another CPU found (the VM's lock is
 * no lock for a VM with one vCPU, so only its CPU may touch them): the
 * CPU is kicked and does it (vm_take_news) before it enters the guest
 * again. */
#define VM_NEWS_FRAMES  1u   /* frames came at its switch port */
#define VM_NEWS_BALLOON 2u   /* the shell's balloon request (balloon_request) */
#define VM_NEWS_POWER_BUTTON 4u   /* the shell's stop */
void vm_tell(struct vm *vm, unsigned news);
void vm_take_news(struct vm *vm);
/* vm_tell(vm, VM_NEWS_FRAMES), as a switch port's wake-up. */
void vm_frames_came(void *vm);
void vm_destroy(struct vm *vm);
/* End the VM: the vCPU loop stops at the next check; first reason wins. */
void vm_end(struct vm *vm, enum vm_end how, uint64_t status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void vm_report(struct vm *vm);
/* From any CPU (the shell): pause stops the VM's vCPUs at their next exit
 * (each kicked) until resume; kill ends it. */
/* The VM's second-level tables or logging changed: every vCPU drains its
 * page-modification log, applies the VM's logging mode and drops its
 * CPU's cached translations of the VM before it next enters the guest.
 * Returns once every vCPU now in guest mode has (from any CPU but one
 * that runs a vCPU of this VM; no lock held). */
void vm_sync_vcpus(struct vm *vm);
/* Dirty-page logging (src/core/vm_dirty.c, hv/dirty.h): start it (mode
 * DIRTY_OFF: the best the CPU has), 0 or HV_EBUSY (already on),
 * HV_ENOTSUP (the CPU lacks the mode), HV_ENOMEM; take what was written
 * since the start or the last take into vm->dirty_taken, returning how
 * many pages; stop (what it allocated is freed; the guest's RAM stays
 * mapped with 4 KiB pages).  From the shell's CPU, as vm_sync_vcpus. */
int vm_dirty_start(struct vm *vm, enum dirty_mode mode);
uint64_t vm_dirty_take(struct vm *vm);
void vm_dirty_stop(struct vm *vm);
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
/* The same without a console line (the debugger's stops). */
void vm_hold(struct vm *vm, bool paused);
void vm_kill(struct vm *vm);
/* The VM of a console id, or NULL; the VM with the smallest id above
 * after, or NULL (iteration: from 0). */
struct vm *vm_find_id(unsigned id);
struct vm *vm_next_id(unsigned after);
/* The devices of an SMP guest are shared by CPUs (vm->lock); a one-vCPU
 * VM's are touched by its own CPU alone and need no lock. */
static inline void vm_lock(struct vm *vm)
{
	if (vm->nr_vcpus > 1)
		spin_lock(&vm->lock);
}

static inline void vm_unlock(struct vm *vm)
{
	if (vm->nr_vcpus > 1)
		spin_unlock(&vm->lock);
}

static inline bool vm_ended(const struct vm *vm)
{
	return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_ENDED;
}

/* The guest's TSC from 0 (vm_create does it): vm->tsc_offset = -now. */
void vm_tsc_reset(struct vm *vm);

/* Guest-physical memory access for emulation; HV_ERANGE outside RAM. */
bool vm_gpa_in_ram(const struct vm *vm, gpa_t gpa, size_t len);
int vm_read_gpa(struct vm *vm, gpa_t gpa, void *dst, size_t len);
int vm_write_gpa(struct vm *vm, gpa_t gpa, const void *src, size_t len);

#endif
