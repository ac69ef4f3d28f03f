/* The host's time stamp counter: its frequency, measured once at boot
 * (arch_tsc_hz() in hv/arch.h gives it to portable code). */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <hv/types.h>

/* Measure the TSC frequency (CPUID leaf 0x15 when it says, else 10 ms of
 * PIT channel 2).  Returns the frequency in Hz. */
uint64_t tsc_calibrate(void);

#endif
