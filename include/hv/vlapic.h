/* A guest's local APIC (Intel SDM Vol. 3A chapter 11): the xAPIC register
 * page over MMIO and x2APIC mode over MSRs (11.12), interrupt acceptance
 * and priorities (11.8), EOI with the level-triggered broadcast, IPIs
 * (11.6) and the timer in one-shot, periodic and TSC-deadline mode
 * (11.5.4).  A pure register model: time comes from a struct vclock,
 * interrupts leave through callbacks, and the hypervisor
 *   - routes MMIO at VLAPIC_DEFAULT_BASE here (vlapic_attach()) and the
 *     MSRs 0x800-0x8ff, IA32_APIC_BASE and IA32_TSC_DEADLINE to the
 *     vlapic_msr_*(), vlapic_apic_base_*() and vlapic_tsc_deadline_*()
 *     functions, injecting #GP(0) when one returns nonzero;
 *   - before each VM entry calls vlapic_timer_tick(), then injects
 *     vlapic_pending_vector() when the guest can take it and tells the
 *     model with vlapic_ack();
 *   - arms a timer (the VMX preemption timer) for vlapic_timer_next_ns().
 *
 * Time: the vclock counts nanoseconds since the VM started.  The timer
 * counts down at timer_hz / divide (11.5.4); the guest learns timer_hz
 * from CPUID leaf 0x15 or measures it against the PIT.  The guest's TSC is
 * taken to read tsc_base at vclock time 0 and to run at tsc_hz: the
 * TSC-deadline functions take and return guest TSC values. */
#ifndef HV_VLAPIC_H
#define HV_VLAPIC_H

#include <hv/io.h>
#include <hv/irq.h>
#include <hv/types.h>

#define VLAPIC_DEFAULT_BASE      0xfee00000ULL   /* 11.4.4; relocation is refused */
#define VLAPIC_MMIO_SIZE         0x1000
#define VLAPIC_MSR_APIC_BASE     0x01b
#define VLAPIC_MSR_TSC_DEADLINE  0x6e0
#define VLAPIC_MSR_X2APIC_FIRST  0x800           /* 11.12.1.2: 0x800 + offset / 16 */
#define VLAPIC_MSR_X2APIC_LAST   0x8ff

#define VLAPIC_DEFAULT_HZ        1000000000ULL   /* timer_hz and tsc_hz when 0 */
/* Conversions compute a * b / c in 64 bits, exact while b * c < 2^64,
 * with b or c being 10^9: frequencies up to 16 GHz. */
#define VLAPIC_MAX_HZ            16000000000ULL
/* A periodic timer reloads no faster than this, so that a guest cannot
 * keep the CPU in VM exits (KVM limits it the same way). */
#define VLAPIC_MIN_PERIOD_NS     100000ULL
#define VLAPIC_NO_TIMER          UINT64_MAX

#define VLAPIC_NREGS             64   /* the 4 KiB page has one register per 16 bytes */

/* A level-triggered vector's EOI (11.8.5): the I/O APIC clears remote IRR. */
typedef void (*vlapic_eoi_fn)(void *ctx, uint8_t vector);
/* An IPI for other CPUs, in the x2APIC ICR layout (11.12.9): destination
 * in bits 63:32 (the 8-bit xAPIC destination outside x2APIC mode, whose
 * broadcast is 0xff), the ICR's low word below.  Fixed and lowest-priority
 * IPIs to this vCPU were accepted here already: the callback delivers to
 * the other vCPUs only.  Every IPI with another delivery mode (NMI, INIT,
 * SIPI, SMI) comes here, even one for this vCPU. */
typedef void (*vlapic_ipi_fn)(void *ctx, uint64_t icr);

struct vlapic_config {
	uint32_t apic_id;      /* the x2APIC ID; the xAPIC ID is its low 8 bits */
	bool bsp;              /* IA32_APIC_BASE.BSP */
	bool x2apic;           /* x2APIC mode offered (CPUID.01H:ECX[21]) */
	uint64_t timer_hz;     /* timer input before the divider; 0: VLAPIC_DEFAULT_HZ */
	uint64_t tsc_hz;       /* guest TSC rate; 0: VLAPIC_DEFAULT_HZ */
	uint64_t tsc_base;     /* guest TSC at vclock time 0 */
	struct vclock clock;
	vlapic_eoi_fn eoi_level;   /* NULL: no I/O APIC */
	void *eoi_ctx;
	vlapic_ipi_fn send_ipi;    /* NULL: IPIs to others are dropped */
	void *ipi_ctx;
};

struct vlapic {
	struct vlapic_config cfg;
	uint64_t apic_base;            /* IA32_APIC_BASE */
	uint32_t reg[VLAPIC_NREGS];    /* stored registers, by xAPIC offset / 16 */
	uint32_t esr_pending;          /* errors since the last ESR write (11.5.3) */
	uint64_t timer_deadline;       /* vclock ns of the next expiry, or VLAPIC_NO_TIMER */
	unsigned timer_shift;          /* log2 of the divide the count runs at */
	uint64_t tsc_deadline;         /* IA32_TSC_DEADLINE as written, 0 = disarmed */
};

/* Power-up state (11.4.7.1): xAPIC mode at VLAPIC_DEFAULT_BASE, software
 * disabled.  HV_EINVAL without a clock, HV_ERANGE for a frequency above
 * VLAPIC_MAX_HZ or an ID above 0xff without x2APIC. */
int vlapic_init(struct vlapic *v, const struct vlapic_config *cfg);
/* Registers the xAPIC page [VLAPIC_DEFAULT_BASE, +4 KiB) on a MMIO bus. */
int vlapic_attach(struct vlapic *v, struct io_bus *mmio);
/* xAPIC MMIO: 32-bit accesses at 16-byte aligned offsets; other accesses
 * read 0 and write nothing.  Outside xAPIC mode reads are all ones. */
int vlapic_mmio_read(void *dev, uint64_t addr, unsigned size, uint64_t *val);
int vlapic_mmio_write(void *dev, uint64_t addr, unsigned size, uint64_t val);

/* x2APIC MSRs 0x800-0x8ff (11.12.1.2, 11.12.1.3).  Nonzero: inject #GP(0)
 * (not in x2APIC mode, a reserved MSR, RDMSR of a write-only or WRMSR of a
 * read-only register, reserved bits set). */
int vlapic_msr_read(struct vlapic *v, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vlapic *v, uint32_t msr, uint64_t val);

/* IA32_APIC_BASE (11.4.4, 11.12.5): nonzero on write means #GP(0): the
 * invalid state EXTD without EN, x2APIC -> xAPIC, disabled -> x2APIC,
 * EXTD without x2APIC support, reserved bits, another base address.
 * Disabling resets every register but the ID. */
uint64_t vlapic_apic_base_read(const struct vlapic *v);
int vlapic_apic_base_write(struct vlapic *v, uint64_t val);

/* IA32_TSC_DEADLINE (11.5.4.1): reads 0 and ignores writes unless the LVT
 * timer is in TSC-deadline mode; 0 disarms; cleared when it fires. */
uint64_t vlapic_tsc_deadline_read(struct vlapic *v);
void vlapic_tsc_deadline_write(struct vlapic *v, uint64_t tsc);
/* The guest's TSC at vclock time 0 moved (IA32_TSC_ADJUST, SDM Vol. 3B
 * 18.17.3): an armed deadline is mapped to vclock time again. */
void vlapic_set_tsc_base(struct vlapic *v, uint64_t tsc_base);

/* Does an IPI's or I/O APIC's destination (physical: the APIC ID or the
 * broadcast; logical: flat or cluster model) name this APIC (11.6.2)? */
bool vlapic_matches(const struct vlapic *v, uint32_t dest, bool logical);
/* The TPR: what lowest-priority arbitration compares (11.6.2.4: since
 * the Pentium 4 the chipset chooses by each processor's task priority). */
uint8_t vlapic_task_priority(const struct vlapic *v);
/* ICR fields for the IPI callback's routing (11.6.1). */
#define VLAPIC_ICR_DM(lo)        ((lo) >> 8 & 7)
#define VLAPIC_ICR_LOGICAL       BIT(11)
#define VLAPIC_ICR_LEVEL_ASSERT  BIT(14)
#define VLAPIC_ICR_SHORTHAND(lo) ((lo) >> 18 & 3)
enum { VLAPIC_DM_FIXED, VLAPIC_DM_LOWEST, VLAPIC_DM_SMI, VLAPIC_DM_NMI = 4, VLAPIC_DM_INIT,
       VLAPIC_DM_STARTUP };
enum { VLAPIC_SH_NONE, VLAPIC_SH_SELF, VLAPIC_SH_ALL, VLAPIC_SH_OTHERS };

/* A fixed interrupt from the I/O APIC or an MSI (11.8.4): sets IRR, and TMR
 * when level-triggered.  Dropped while the APIC is disabled. */
void vlapic_accept_irq(struct vlapic *v, uint8_t vector, bool level);
/* The highest IRR vector whose priority class is above PPR's, or -1. */
int vlapic_pending_vector(const struct vlapic *v);
/* The vector was injected: IRR -> ISR. */
void vlapic_ack(struct vlapic *v, uint8_t vector);

/* vclock ns of the next timer interrupt, VLAPIC_NO_TIMER if none (the
 * timer is disarmed or masked).  May lie in the past. */
uint64_t vlapic_timer_next_ns(const struct vlapic *v);
/* Fire the timer if its time has come: a periodic timer reloads, others
 * disarm; expiries missed since merge into one interrupt. */
void vlapic_timer_tick(struct vlapic *v);

/* CR8 is TPR[7:4] (11.8.6). */
uint64_t vlapic_cr8_read(const struct vlapic *v);
void vlapic_cr8_write(struct vlapic *v, uint64_t cr8);

/* Globally (IA32_APIC_BASE.EN) and software (SVR bit 8) enabled. */
bool vlapic_enabled(const struct vlapic *v);
bool vlapic_x2apic(const struct vlapic *v);
/* Whether the 8259 PIC's INTR reaches the CPU: the APIC is globally
 * disabled, or LINT0 is unmasked in ExtINT mode (11.5.1). */
bool vlapic_accepts_pic(const struct vlapic *v);

/* Its section of the state stream (VMS_LAPIC, instance: the vCPU;
 * hv/vmstate.h), and back: 0, or HV_EINVAL for registers the local APIC
 * could not hold or another BSP bit or x2APIC offer than this one's (it
 * is left as it was).  Its configuration (ID, clocks) is the loading
 * VM's own. */
struct vms_out;
struct vms_section;
void vlapic_save(const struct vlapic *v, unsigned vcpu, struct vms_out *o);
int vlapic_load(struct vlapic *v, struct vms_section *s);

#endif
