/* The host's CMOS real-time clock, read once to give guests the time. */
#ifndef ARCH_RTC_H
#define ARCH_RTC_H

#include <hv/types.h>

/* Seconds since 1970 (UTC as the RTC keeps it), or 0 if unreadable. */
uint64_t host_rtc_epoch(void);

#endif
