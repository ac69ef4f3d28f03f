/* The host's time stamp counter: its frequency, measured once at boot
 * against the PIT, and conversions for device models' clocks. */
#ifndef ARCH_TSC_H
#define ARCH_TSC_H

#include <hv/types.h>

/* Measure the TSC frequency (CPUID leaf 0x15 when it says, else 10 ms of
 * PIT channel 2).  Returns the frequency in Hz. */
uint64_t tsc_calibrate(void);
uint64_t tsc_hz(void);
/* TSC ticks to nanoseconds and back, without overflow for any uptime. */
uint64_t tsc_to_ns(uint64_t ticks);
uint64_t ns_to_tsc(uint64_t ns);

#endif
