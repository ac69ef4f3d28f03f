/* Fuzz the I/O APIC model (src/dev/vioapic.c) through its MMIO page;
 * events: drive a pin, or an EOI from a local APIC. */
#include "fuzz_dev.h"

#include <hv/vioapic.h>

static void deliver(void *ctx, uint8_t vector, uint8_t dest, bool level,
		    uint8_t delivery_mode, bool logical)
{
	(void)ctx; (void)vector; (void)dest; (void)level; (void)logical;
	FZ_CHECK(delivery_mode <= 7);
}

static void event(void *dev, struct fz *f)
{
	struct vioapic *io = dev;
	uint8_t e = fz_u8(f);

	if (e & 0x80)
		vioapic_eoi(io, fz_u8(f));
	else
		vioapic_set_irq(io, e & 31, e & 0x40);   /* 24-31: ignored */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vioapic io;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&io, 0, sizeof(io));
	vioapic_init(&io, deliver, NULL);
	FZ_CHECK(vioapic_attach(&io, &d.bus, VIOAPIC_BASE) == 0);
	d.dev = &io;
	d.event = event;
	fz_dev_run(&d, &f);
	return 0;
}
