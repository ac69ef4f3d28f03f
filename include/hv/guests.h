/* Guests: the boot modules are images (a kernel, with its initrd or
 * Multiboot boot modules after it, and its module-line options); an image
 * becomes a VM at boot (start=boot, the default) or when the shell starts
 * it (start=wait, or any image again).  This module places each VM's
 * vCPUs on physical CPUs, hands them to the CPUs' run queues, and runs
 * every CPU's queue until the machine stops: when the last VM ends and no
 * image waits, it powers off (README, "Guests" and "The shell"). */
#ifndef HV_GUESTS_H
#define HV_GUESTS_H

#include <hv/bootinfo.h>
#include <hv/config.h>
#include <hv/types.h>

struct vm;

struct image {
	const struct boot_module *m;
	const struct boot_module *initrd;  /* a Linux kernel's, or NULL */
	const struct boot_module *mods;    /* a Multiboot kernel's boot modules */
	unsigned nmods;
	unsigned module;                   /* its module number */
	bool is_linux;                      /* a bzImage (else Multiboot) */
	struct vm_options opts;            /* from its module string */
};

/* Read the images from the boot modules (bad ones refused with a console
 * line) and make the VMs that start at boot; then every CPU runs its
 * queue.  Does not return. */
void guests_run(const struct boot_info *bi, const struct config *cfg, bool console_irq)
	__attribute__((noreturn));

/* The images, in module order (iteration from NULL); one by name. */
const struct image *image_next(const struct image *after);
const struct image *image_find(const char *name);

/* A disk image: a module whose string is "disk NAME". */
struct disk_image {
	char name[VM_OPT_NAME_MAX];
	const struct boot_module *m;
	unsigned module;
};
const struct disk_image *disk_image_next(const struct disk_image *after);
const struct disk_image *disk_image_find(const char *name);

/* From the shell, on any CPU.  spec is "IMAGE[,option=value...] [guest
 * command line]", options over the image's own (its command line if none
 * is given).  0 with *id the new VM's, or HV_E* with a one-line reason in
 * err. */
int guest_start(const char *spec, unsigned *id, char *err, size_t errlen);
/* Ends the VM now and makes it again from its image with the same
 * options, the same id and CPUs. */
int guest_reset(struct vm *vm, char *err, size_t errlen);
/* Presses the VM's ACPI power button; if it has not ended grace_s
 * seconds later, it is stopped (as kill does). */
int guest_stop(struct vm *vm, unsigned grace_s, char *err, size_t errlen);
/* The VM's balloon: a new target of mib MiB, or (mib < 0) its state and
 * the guest's statistics on the console. */
int guest_balloon(struct vm *vm, int64_t mib, char *err, size_t errlen);
int guest_dirty(struct vm *vm, const char *how, char *err, size_t errlen);
/* The gdb stub attaches to the VM when a debugger connects. */
int guest_gdb(struct vm *vm, char *err, size_t errlen);
/* A line typed at the shell waits: the boot CPU, which runs the shell
 * between its vCPUs' slices, leaves its guest or its sleep. */
void guests_shell_wake(void);
/* Guests whose VM has not ended (or, in turn, not yet been made). */
unsigned guests_live(void);

/* Per physical CPU: the vCPU it runs now (NULL: none or idle), how many
 * vCPUs it holds, and the host TSC ticks it spent running vCPUs since
 * guests_run began (and when that was). */
struct cpu_usage {
	const struct vm *vm;
	unsigned vcpu;
	bool running;
	unsigned vcpus;
	uint64_t busy_tsc, since_tsc;
};
bool guests_cpu_usage(unsigned cpu, struct cpu_usage *u);

/* main.c: the machine's end.  Power off (halt with poweroff=0), or reset. */
void hv_poweroff(void) __attribute__((noreturn));
void hv_reboot(void) __attribute__((noreturn));

#endif
