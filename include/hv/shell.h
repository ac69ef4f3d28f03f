/* The hypervisor shell (README, "The shell"): Ctrl-A then s on the console
 * opens it (console_in.c collects the typed line and hands it here); a
 * command table with one-line help, acting on VMs through struct
 * shell_env, so that the unit tests run it on fake VMs.  Output goes to
 * the console (kprintf); an error is one line and changes nothing. */
#ifndef HV_SHELL_H
#define HV_SHELL_H

#include <hv/types.h>

struct vm;
struct vcpu;
struct image;
struct cpu_usage;

#define SHELL_LINE_MAX 128
#define SHELL_PROMPT   "tinyhv> "

struct shell_env {
	struct vm *(*find)(unsigned id);        /* a VM by console id, or NULL */
	struct vm *(*next)(unsigned after);     /* the VM with the smallest id above after */
	void (*focus)(struct vm *vm);           /* console input goes to it */
	uint64_t (*exits)(const struct vcpu *v); /* its VM exits so far */
	/* Images and guests (hv/guests.h). */
	const struct image *(*image_next)(const struct image *after);
	const struct disk_image *(*disk_next)(const struct disk_image *after);   /* may be NULL */
	int (*start)(const char *spec, unsigned *id, char *err, size_t errlen);
	int (*reset)(struct vm *vm, char *err, size_t errlen);
	int (*stop)(struct vm *vm, unsigned grace_s, char *err, size_t errlen);
	int (*gdb)(struct vm *vm, char *err, size_t errlen);
	int (*balloon)(struct vm *vm, int64_t mib, char *err, size_t errlen);   /* may be NULL */
	/* Dirty-page logging (hv/vm.h): how is "on", "pml", "scan", "off" or
	 * NULL (on if off, else how many pages were written since the last
	 * look); it says what it did on the console. */
	int (*dirty)(struct vm *vm, const char *how, char *err, size_t errlen);   /* may be NULL */
	unsigned (*live)(void);
	bool (*cpu_usage)(unsigned cpu, struct cpu_usage *u);
	/* The machine: the host TSC and its rate, free pages, the end. */
	uint64_t (*tsc)(void);
	uint64_t (*tsc_hz)(void);
	uint64_t (*free_pages)(void);
	void (*poweroff)(void);
	void (*reboot)(void);
};

enum shell_result {
	SHELL_STAY,     /* the shell stays open: prompt again */
	SHELL_LEAVE,    /* the console went back to a VM */
};

/* Run one command line (modified in place: split into words). */
enum shell_result shell_run(const struct shell_env *env, char *line);

/* The environment of the running hypervisor (guests.c: vm.c's table,
 * console_in.c, the arch's exit counts, the guests). */
extern const struct shell_env shell_hv_env;

#endif
