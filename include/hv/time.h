/* Conversions between a counter's ticks and nanoseconds, exact for any
 * uptime (no overflow of ticks * 1e9). */
#ifndef HV_TIME_H
#define HV_TIME_H

#include <hv/types.h>

#define NS_PER_S 1000000000ULL

static inline uint64_t ticks_to_ns(uint64_t ticks, uint64_t hz)
{
	return ticks / hz * NS_PER_S + ticks % hz * NS_PER_S / hz;
}

static inline uint64_t ns_to_ticks(uint64_t ns, uint64_t hz)
{
	return ns / NS_PER_S * hz + ns % NS_PER_S * hz / NS_PER_S;
}

#endif
