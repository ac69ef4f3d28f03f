/* Fuzz the 8259A pair model (src/dev/vpic.c) through its ports; events:
 * drive an input line, or INTA (which must agree with the pending vector). */
#include "fuzz_dev.h"

#include <hv/vpic.h>

static void intr(void *ctx, bool level) { (void)ctx; (void)level; }

static void event(void *dev, struct fz *f)
{
	struct vpic *pic = dev;
	uint8_t e = fz_u8(f);

	if (e & 0x80) {
		int pending = vpic_pending_vector(pic);
		int vector = vpic_ack(pic);
		FZ_CHECK(vector >= -1 && vector <= 255);
		FZ_CHECK((pending < 0) == (vector < 0));
	} else {
		vpic_set_irq(pic, e & 15, e & 0x40);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpic pic;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&pic, 0, sizeof(pic));
	vpic_init(&pic, intr, NULL);
	FZ_CHECK(vpic_attach(&pic, &d.bus) == 0);
	d.dev = &pic;
	d.event = event;
	fz_dev_run(&d, &f);
	return 0;
}
