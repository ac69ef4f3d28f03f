/* Fuzz the ACPI power-management model (src/dev/vpm.c) through its
 * ports, with time passing (the PM timer). */
#include "fuzz_dev.h"

#include <hv/vpm.h>

static void pm_event(void *ctx, enum vpm_event ev)
{
	(void)ctx;
	FZ_CHECK(ev == VPM_POWER_OFF || ev == VPM_RESET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpm pm;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&pm, 0, sizeof(pm));
	vpm_init(&pm, fz_u8(&f) & 7, &fz_clock, pm_event, NULL);
	FZ_CHECK(vpm_attach(&pm, &d.bus) == 0);
	d.dev = &pm;
	fz_dev_run(&d, &f);
	return 0;
}
