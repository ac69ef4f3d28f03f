/* Fuzz the 8254 PIT model (src/dev/vpit.c) through its ports, with time
 * passing; the tick delivers channel 0's expired edges. */
#include "fuzz_dev.h"

#include <hv/vpit.h>

static void tick(void *dev)
{
	struct vpit *pit = dev;

	if (vpit_next_event_ns(pit) <= fz_now_ns)
		vpit_tick(pit);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpit pit;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&pit, 0, sizeof(pit));
	vpit_init(&pit, &fz_clock, &fz_irq);
	FZ_CHECK(vpit_attach(&pit, &d.bus) == 0);
	d.dev = &pit;
	d.tick = tick;
	fz_dev_run(&d, &f);
	return 0;
}
