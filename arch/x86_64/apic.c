/* The host's local APIC (include/arch/apic.h). */
#include <arch/apic.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/percpu.h>
#include <hv/errno.h>

/* Register offsets in the xAPIC page; the x2APIC MSR of a register is
 * 0x800 + offset / 16 (11.12.1.2). */
#define APIC_ID        0x020
#define APIC_EOI       0x0b0
#define APIC_LVT_TIMER 0x320
#define LVT_MASKED          BIT(16)
#define LVT_TSC_DEADLINE    (2u << 17)     /* timer mode (11.5.4.1) */
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define APIC_SVR       0x0f0
#define APIC_ICR_LO    0x300
#define APIC_ICR_HI    0x310
#define X2APIC_MSR(off) (0x800u + (off) / 16)

#define SVR_ENABLE          BIT(8)
#define SPURIOUS_VECTOR     0xff
#define ICR_DELIVERY_PENDING BIT(12)   /* xAPIC only (11.6.1) */
#define ICR_SEND_POLLS      1000000u

static bool x2apic;
static bool tsc_deadline;             /* CPUID.01H:ECX[24]: the host timer */
static volatile uint32_t *xapic;      /* the MMIO page, identity-mapped */

static uint32_t apic_read(unsigned off)
{
	return x2apic ? (uint32_t)rdmsr(X2APIC_MSR(off)) : xapic[off / 4];
}

static void apic_write(unsigned off, uint32_t v)
{
	if (x2apic)
		wrmsr(X2APIC_MSR(off), v);
	else
		xapic[off / 4] = v;
}

void apic_choose_mode(void)
{
	struct cpuid_regs r;

	cpuid(1, 0, &r);
	x2apic = r.ecx & BIT(21);       /* CPUID.01H:ECX.x2APIC */
	tsc_deadline = r.ecx & BIT(24);
	xapic = (volatile uint32_t *)(uintptr_t)(rdmsr(MSR_IA32_APIC_BASE) & 0xfffff000ULL);
}

bool apic_x2apic(void) { return x2apic; }

/* xAPIC to x2APIC is one write with EN and EXTD set (11.12.5); firmware
 * leaves every APIC enabled in xAPIC mode. */
void apic_init_cpu(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EN;

	if (x2apic)
		base |= APIC_BASE_EXTD;
	wrmsr(MSR_IA32_APIC_BASE, base);
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	/* Each CPU's timer: TSC-deadline mode, disarmed until
	 * apic_timer_at() arms it. */
	apic_write(APIC_LVT_TIMER, tsc_deadline ? LVT_TSC_DEADLINE | VECTOR_TIMER : LVT_MASKED);
	this_cpu()->apic_id = apic_id();
}

bool apic_timer_at(uint64_t tsc)
{
	if (!tsc_deadline)
		return false;
	wrmsr(MSR_IA32_TSC_DEADLINE, tsc);   /* 0 disarms (11.5.4.1) */
	return true;
}

/* 11.12.5.1: the x2APIC ID is the whole register; the xAPIC's is bits
 * 31:24. */
void apic_eoi(void) { apic_write(APIC_EOI, 0); }

uint32_t apic_id(void)
{
	return x2apic ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
}

int apic_send_ipi(uint32_t dest, uint32_t icr_lo)
{
	if (x2apic) {
		/* One 64-bit write, destination in 63:32 (11.12.9). */
		wrmsr(X2APIC_MSR(APIC_ICR_LO), (uint64_t)dest << 32 | icr_lo);
		return 0;
	}
	apic_write(APIC_ICR_HI, dest << 24);
	apic_write(APIC_ICR_LO, icr_lo);
	for (unsigned i = 0; i < ICR_SEND_POLLS; i++) {
		if (!(apic_read(APIC_ICR_LO) & ICR_DELIVERY_PENDING))
			return 0;
		cpu_relax();
	}
	return HV_EBUSY;
}
