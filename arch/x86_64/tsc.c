/* TSC frequency.  CPUID leaf 0x15 gives it exactly on recent Intel CPUs
 * (SDM Vol. 3B 19.7.3); otherwise it is measured against PIT channel 2,
 * whose 1.193182 MHz input is fixed on every PC: gate it on through port
 * 0x61, count down 10 ms in mode 0 and watch its output (bit 5 of 0x61). */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/tsc.h>
#include <hv/arch.h>

#define PIT_HZ          1193182ULL
#define PIT_CH2         0x42
#define PIT_MODE        0x43
#define PIT_CH2_GATE    0x61
#define CALIBRATE_MS    10

static uint64_t hz;

static uint64_t from_cpuid(void)
{
	struct cpuid_regs r;

	cpuid(0, 0, &r);
	if (r.eax < 0x15)
		return 0;
	cpuid(0x15, 0, &r);
	/* TSC = crystal (ECX) * EBX / EAX; zero fields mean "not enumerated". */
	if (!r.eax || !r.ebx || !r.ecx)
		return 0;
	return (uint64_t)r.ecx * r.ebx / r.eax;
}

static uint64_t from_pit(void)
{
	uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
	uint64_t start, end;
	uint32_t spins = 0;

	outb(PIT_CH2_GATE, (inb(PIT_CH2_GATE) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(PIT_MODE, 0xb0);                                   /* ch 2, lo/hi, mode 0 */
	outb(PIT_CH2, count & 0xff);
	outb(PIT_CH2, count >> 8);
	start = rdtsc();
	while (!(inb(PIT_CH2_GATE) & 0x20) && ++spins < 100000000)
		;
	end = rdtsc();
	return (end - start) * (1000 / CALIBRATE_MS);
}

uint64_t tsc_calibrate(void)
{
	hz = from_cpuid();
	if (!hz)
		hz = from_pit();
	if (!hz)
		hz = 1000000000ULL; /* never 0: callers divide by it */
	return hz;
}

uint64_t arch_tsc_hz(void) { return hz; }

uint64_t arch_tsc(void) { return rdtsc(); }
