/* Fuzz the i8042 keyboard controller model (src/dev/vkbc.c) through its
 * ports (0x60, 0x64, and System Control Port A, 0x92). */
#include "fuzz_dev.h"

#include <hv/vkbc.h>

static void reset(void *ctx, const char *how) { (void)ctx; FZ_CHECK(how != NULL); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vkbc k;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&k, 0, sizeof(k));
	vkbc_init(&k, &fz_irq, reset, NULL);
	FZ_CHECK(vkbc_attach(&k, &d.bus) == 0);
	d.dev = &k;
	fz_dev_run(&d, &f);
	return 0;
}
