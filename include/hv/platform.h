/* The virtual PC a Linux guest needs (src/dev/platform.c): PIC, PIT, RTC,
 * I/O APIC, local APIC, PCI host bridge, ACPI PM, keyboard controller and
 * UART interrupts, wired together.  The exit path calls these few
 * functions; for a VM without a platform (Multiboot test guests) they do
 * nothing. */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <hv/types.h>
#include <hv/vhpet.h>
#include <hv/vioapic.h>
#include <hv/vkbc.h>
#include <hv/vlapic.h>
#include <hv/virtio_balloon.h>
#include <hv/virtio_blk.h>
#include <hv/virtio_console.h>
#include <hv/virtio_net.h>
#include <hv/virtio_rng.h>
#include <hv/vpci.h>
#include <hv/vpic.h>
#include <hv/vpit.h>
#include <hv/vpm.h>
#include <hv/vrtc.h>

struct vm;
struct vcpu;

/* Local APICs: one per vCPU (the VM's MAX_VCPUS_PER_VM is this). */
#define PLATFORM_MAX_VCPUS 8

/* Host console input reaches the guest's UART this often.  The host UART
 * holds 16 bytes, which at 115200 baud (11.5 bytes a millisecond) fill in
 * 1.4 ms: a slower poll loses the rest of anything pasted or typed ahead. */
#define PLATFORM_CONSOLE_POLL_NS 1000000ULL

/* What the platform needs of the host: its clock and console input. */
struct platform_host {
	uint64_t (*tsc)(void);       /* the host's time-stamp counter */
	uint64_t tsc_hz;             /* its frequency, never 0 */
	int (*console_getc)(struct vm *vm); /* a byte typed for the VM, or -1 */
	uint64_t rtc_epoch;          /* the host's wall-clock time, seconds since 1970 */
};

#define PLATFORM_PCI_RNG_SLOT 2
#define PLATFORM_PCI_CONSOLE_SLOT 3
#define PLATFORM_PCI_BLK_SLOT 4
#define PLATFORM_PCI_NET_SLOT 5
#define PLATFORM_PCI_BALLOON_SLOT 6
/* A PCI device's INTA: I/O APIC pin 16 + its slot, one pin each, as the
 * DSDT's _PRT says (firmware/acpi/dsdt.asl). */
#define PLATFORM_PCI_GSI(slot) (16 + (slot))

struct platform {
	struct platform_host host;
	struct vpic pic;
	struct vpit pit;
	struct vrtc rtc;
	struct vioapic ioapic;
	struct vlapic lapic[PLATFORM_MAX_VCPUS];
	struct vpci pci;
	struct vpm pm;
	struct vkbc kbc;
	struct vhpet hpet;
	struct virtio_rng rng;     /* with the VM option rng=1 */
	struct virtio_console hvc; /* with hvc=1 */
	struct disk disk;          /* with disk=NAME */
	struct virtio_blk blk;
	struct virtio_net net;     /* with net=NAME */
	struct vswitch_frame *net_queue;   /* its switch port's frames (hypervisor pages) */
	struct virtio_balloon balloon;     /* with balloon=MiB */
	uint64_t tsc_start;        /* the VM's time zero */
	uint64_t facs;             /* guest-physical: the FACS, its waking vector */
	unsigned lowest_last;      /* the vCPU that won the last lowest-priority arbitration */
	uint64_t next_poll_ns;     /* next look at the host console */
	bool console_input;        /* this VM reads the host console */
};

/* Build the platform into vm (devices on its buses, ACPI tables in its
 * RAM at ACPI_GUEST_TABLES_BASE).  *rsdp receives the tables' address. */
int platform_init(struct vm *vm, const struct platform_host *host, bool console_input,
		  uint64_t *rsdp);
/* What the platform holds besides the VM's own structure (the disk's
 * written blocks) given back; with the VM. */
void platform_fini(struct vm *vm);
/* Frames waiting at the VM's switch port into its guest's buffers. */
void platform_take_frames(struct vm *vm);
/* The balloon's new target (mib >= 0), or its state on the console and
 * fresh statistics asked of the guest (mib < 0): 0, or HV_ENOENT (no
 * balloon). */
int platform_balloon(struct vm *vm, int64_t mib);

/* Each entry point below takes the VM's lock (vm_lock: an SMP guest's
 * device models are shared by its vCPUs, which may run on several CPUs).
 * The vCPU says whose local APIC; the shared timers (PIT, console poll)
 * and the PIC's ExtINT are the first vCPU's. */

/* The highest-priority interrupt ready for injection into v, or -1. */
int platform_pending_vector(struct vcpu *v);
/* The vector was injected: move it in service (LAPIC ISR / PIC INTA). */
void platform_ack_vector(struct vcpu *v, int vector);
/* TSC value of v's next timer event (LAPIC timer, PIT, HPET, console poll), or 0. */
uint64_t platform_next_event_tsc(struct vcpu *v);
/* Run v's timers that are due. */
void platform_tick(struct vcpu *v);
/* MSRs the platform owns (APIC base, x2APIC registers, TSC deadline):
 * 0, HV_ENOENT when not a platform MSR, or another error for #GP. */
int platform_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int platform_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
bool platform_has_lapic(const struct vm *vm);
/* The guest's TSC moved by IA32_TSC_ADJUST: it read adjust at the VM's
 * start, which the local APICs' TSC-deadline timers must know. */
void platform_tsc_adjusted(struct vm *vm, uint64_t adjust);
/* ACPI S3 (suspend to RAM): the guest's SLP_EN with \_S3's type kicks
 * every vCPU with VCPU_REMOTE_SLEEP; the first vCPU then asks, whenever
 * it may run, whether a wake event came (the power button, which console
 * input for the VM presses, or the RTC alarm with RTC_EN).  Returns
 * PLATFORM_ASLEEP (*next_tsc: when the RTC alarm is due, or 0), or 0:
 * awake, the devices reset and *start where the OS resumes (the FACS's
 * waking vector), or HV_ENOENT (no waking vector) or HV_ERANGE (one that
 * cannot be reached). */
#define PLATFORM_ASLEEP 1
struct vcpu_start;
int platform_wake(struct vm *vm, bool button, struct vcpu_start *start, uint64_t *next_tsc);
/* The shell's stop presses the power button: PWRBTN_STS, and the SCI if
 * the guest enabled it (ACPI 6.5, 4.8.2.2.1.1).  Under vm_lock. */
void platform_power_button(struct vm *vm);
/* CR8, v's local APIC's task priority (0 without a platform). */
uint64_t platform_cr8_read(struct vcpu *v);
void platform_cr8_write(struct vcpu *v, uint64_t cr8);

#endif
