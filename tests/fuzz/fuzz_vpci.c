/* Fuzz the PCI configuration mechanism #1 model (src/dev/vpci.c) through
 * its ports; with the first input byte's bit 0, byte accesses to 0xCF9
 * go to the ACPI model's reset control register, as the platform wires
 * them (src/dev/platform.c). */
#include "fuzz_dev.h"

#include <hv/vpci.h>
#include <hv/vpm.h>

static void pm_event(void *ctx, enum vpm_event ev)
{
	(void)ctx;
	FZ_CHECK(ev == VPM_POWER_OFF || ev == VPM_RESET);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpci p;
	static struct vpm pm;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&p, 0, sizeof(p));
	vpci_init(&p);
	if (fz_u8(&f) & 1) {
		vpm_init(&pm, 1, 5, &fz_clock, pm_event, NULL);
		vpci_set_reset_control(&p, vpm_read, vpm_write, &pm);
	}
	FZ_CHECK(vpci_attach(&p, &d.bus) == 0);
	d.dev = &p;
	fz_dev_run(&d, &f);
	return 0;
}
