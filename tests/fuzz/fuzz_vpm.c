/* Fuzz the ACPI power-management model (src/dev/vpm.c) through its
 * ports, with time passing (the PM timer); events: the power button or
 * the RTC alarm (vpm_status), a wake attempt (vpm_wake).  The SCI is up
 * exactly while awake with an enabled event's status set; a wake leaves
 * the machine awake with WAK_STS set. */
#include "fuzz_dev.h"

#include <hv/vpm.h>

static void pm_event(void *ctx, enum vpm_event ev)
{
	(void)ctx;
	FZ_CHECK(ev == VPM_POWER_OFF || ev == VPM_RESET || ev == VPM_SLEEP);
}

static void check_sci(const struct vpm *pm)
{
	uint16_t events = VPM_STS_TMR | VPM_STS_PWRBTN | VPM_STS_RTC;

	FZ_CHECK(fz_irq_level[9] == (!pm->sleeping && (pm->pm1_status & pm->pm1_enable & events)));
}

static void event(void *dev, struct fz *f)
{
	struct vpm *pm = dev;
	uint8_t what = fz_u8(f);

	if (what & 1) {
		vpm_status(pm, what & 2 ? VPM_STS_PWRBTN : VPM_STS_RTC);
	} else if (vpm_wake(pm)) {
		FZ_CHECK(!pm->sleeping);
		FZ_CHECK(pm->pm1_status & VPM_STS_WAK);
	}
	check_sci(pm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpm pm;
	struct fz_dev d;
	struct fz f = { data, size };
	uint8_t types = fz_u8(&f);

	fz_dev_reset(&d);
	memset(&pm, 0, sizeof(pm));
	vpm_init(&pm, types & 7, types >> 3 & 7, &fz_clock, pm_event, NULL);
	vpm_set_sci(&pm, &fz_irq, 9);
	FZ_CHECK(vpm_attach(&pm, &d.bus) == 0);
	d.dev = &pm;
	d.event = event;
	fz_dev_run(&d, &f);
	return 0;
}
