/* Fuzz the HPET model (src/dev/vhpet.c) through its registers, with time
 * passing; the tick runs the timers whose comparators were reached, and
 * the next event must never be in the past after it. */
#include "fuzz_dev.h"

#include <hv/vhpet.h>

static void tick(void *dev)
{
	struct vhpet *h = dev;

	if (vhpet_next_event_ns(h) <= fz_now_ns)
		vhpet_tick(h);
	FZ_CHECK(vhpet_next_event_ns(h) > fz_now_ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vhpet h;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	vhpet_init(&h, &fz_clock, &fz_irq, &fz_irq);
	FZ_CHECK(vhpet_attach(&h, &d.bus) == 0);
	d.dev = &h;
	d.tick = tick;
	fz_dev_run(&d, &f);
	return 0;
}
