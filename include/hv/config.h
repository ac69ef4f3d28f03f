/* Hypervisor options from the Multiboot2 command line: "key=value" words
 * separated by spaces.  Unknown keys and bad values are warned about by
 * name and the default is kept, so a typo never stops a boot. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <hv/types.h>
#include <hv/log.h>

enum entry_fail_test {
	ENTRY_FAIL_NONE,
	ENTRY_FAIL_STATE,   /* invalid guest state: VM entry fails, exit reason 33 */
	ENTRY_FAIL_CONTROL, /* invalid control field: VMLAUNCH fails, VM-instruction error 7 */
};

struct config {
	uint16_t console_port;     /* console=com1..com4|0xNNNN, default 0x3f8 */
	uint16_t gdb_port;         /* gdb=com1..com4|0xNNNN|off: the gdb stub's port (0: off) */
	uint32_t console_baud;     /* baud=N, default 115200 */
	enum log_level log_level;  /* loglevel=error|warn|info|debug|0..3 */
	bool shutdown_after_boot;  /* shutdown_after_boot[=0|1]: power off once bring-up ends */
	bool poweroff;             /* poweroff=0|1: power off when all VMs ended (default 1) */
	enum entry_fail_test entry_fail_test; /* entry_fail_test[=state|control]: the first VM
				    * gets an invalid guest state or control field
				    * (tests the failed-VM-entry reports) */
	bool fault_test;           /* fault_test: raise #UD in the hypervisor (tests the exception report) */
	bool nmi_test;             /* nmi_test: take an NMI in the hypervisor (it must go on) */
	bool spec_test;            /* spec_test: VERW before every VM entry, needed or not
				    * (tests the mitigating exit stub) */
	int64_t absent_cpu_test;   /* absent_cpu_test=APICID: start a CPU the MADT does not
				    * have too (tests the start-up timeout); -1: none */
	uint32_t stats_interval_s; /* stats_interval=S: print a running VM's exit counts every S
				    * seconds of its time (0, the default: never) */
	uint32_t console_rate;     /* console_rate=N: each VM shows at most N console lines a
				    * second, bursts of 10 s' worth (default 100; 0: no limit) */
	uint32_t cpu_limit_ms;     /* cpu_limit=MS: each VM stops after MS milliseconds of CPU
				    * time (0, the default: no limit) */
	bool guests_in_turn;       /* guests_in_turn: guests that share a CPU run one after
				    * another, each to its end, instead of time-sliced */
	uint32_t guest_mem_mib;    /* guest_mem=MiB: RAM of each guest, 2..3072; 0 (default): 32 for
				    * Multiboot guests, 256 for Linux */
};

/* A guest's options, from its Multiboot2 module string
 * "NAME[,key=value...] [guest command line]" (README, "Guests"). */
#define VM_OPT_NAME_MAX 32
struct vm_options {
	char name[VM_OPT_NAME_MAX];
	const char *args;          /* the guest's command line, in the module string */
	uint32_t mem_mib;          /* mem=MiB, 2..3072; 0: the default */
	uint32_t vcpus;            /* vcpus=N (1 until SMP guests) */
	uint64_t cpus;             /* cpus=LIST: the physical CPUs it may use (bits); 0: any */
	bool bare;                 /* platform=none: a bare machine (Multiboot guests) */
	bool holes_stop;           /* holes=stop: an access to no RAM and no device stops
				    * the VM; default holes=ones: reads all ones, writes
				    * dropped, as on a PC */
	bool wait;                 /* start=wait: the image waits for the shell's start;
				    * default start=boot: a VM at boot */
	bool gdb;                  /* gdb=1: the gdb stub debugs this VM */
	bool rng;                  /* rng=1: a virtio entropy device (PC platform) */
	bool hvc;                  /* hvc=1: a virtio console (PC platform) */
	char disk[VM_OPT_NAME_MAX]; /* disk=NAME: a virtio disk over the disk image NAME */
	bool disk_ro;              /* disk_ro=1: that disk read-only */
	char net[VM_OPT_NAME_MAX]; /* net=NAME: a virtio-net port on the virtual switch NAME */
	uint8_t mac[6];            /* mac=xx:xx:xx:xx:xx:xx; all zero: derived from the VM's id */
	bool balloon;              /* balloon=MiB: a virtio balloon, asking for MiB at start */
	uint32_t balloon_mib;
};

/* 0, or HV_EINVAL with a one-line reason in err. */
int vm_options_parse(const char *module_string, struct vm_options *o, char *err, size_t errlen);
/* The same syntax over options already set (the shell's "start NAME,..."
 * over the image's own): the name and the options given replace theirs,
 * and the command line too if s has one; on an error o may be half
 * changed (parse into a copy). */
int vm_options_apply(const char *s, struct vm_options *o, char *err, size_t errlen);

typedef void (*config_warn_fn)(void *ctx, const char *msg);

void config_defaults(struct config *cfg);
/* A log level: error, warn, info, debug or 0..3 (loglevel=, the shell's log). */
bool config_log_level(const char *value, enum log_level *level);

/* Parse cmdline into cfg (which holds defaults).  Every problem is reported
 * through warn() with a message naming the key; returns the number of
 * warnings. */
int config_parse(struct config *cfg, const char *cmdline, config_warn_fn warn, void *ctx);

#endif
