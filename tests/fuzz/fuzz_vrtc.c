/* Fuzz the MC146818 RTC/CMOS model (src/dev/vrtc.c) through its ports,
 * with time passing (the alarm's ticks); events: vrtc_regs_to_epoch() on
 * its registers.  After a tick nothing is due: the next alarm is later,
 * and IRQ 8 is up exactly while the model says it raised it. */
#include "fuzz_dev.h"

#include <hv/vrtc.h>

static void event(void *dev, struct fz *f)
{
	struct vrtc *rtc = dev;

	(void)f;
	(void)vrtc_regs_to_epoch(rtc->cmos);
}

static void tick(void *dev)
{
	struct vrtc *rtc = dev;

	vrtc_tick(rtc);
	FZ_CHECK(vrtc_next_event_ns(rtc) > fz_now_ns);
	FZ_CHECK(fz_irq_level[8] == rtc->irq_raised);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vrtc rtc;
	struct fz_dev d;
	struct fz f = { data, size };
	/* The epoch is the host RTC's reading (arch_rtc_epoch(): at most
	 * the year 25755, binary 255 * 100 + 255), below 2^40 seconds. */
	uint64_t epoch = fz_u64(&f) % (1ULL << 40), ram = fz_u64(&f);

	fz_dev_reset(&d);
	memset(&rtc, 0, sizeof(rtc));
	vrtc_init(&rtc, &fz_clock, epoch, ram);
	vrtc_set_irq(&rtc, &fz_irq, 8);
	FZ_CHECK(vrtc_attach(&rtc, &d.bus) == 0);
	d.dev = &rtc;
	d.event = event;
	d.tick = tick;
	fz_dev_run(&d, &f);
	return 0;
}
