/* Fuzz the 16550 UART model (src/dev/vuart.c) through its ports; events:
 * a byte typed at the console. */
#include "fuzz_dev.h"

#include <hv/vuart.h>

static void sink(void *ctx, char c) { (void)ctx; (void)c; }

static void event(void *dev, struct fz *f)
{
	struct vuart *u = dev;
	bool full = vuart_rx_full(u);

	FZ_CHECK(vuart_receive(u, fz_u8(f)) == !full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vuart u;
	struct fz_dev d;
	struct fz f = { data, size };

	fz_dev_reset(&d);
	memset(&u, 0, sizeof(u));
	vuart_init(&u, sink, NULL);
	vuart_set_irq(&u, &fz_irq, 4);
	FZ_CHECK(vuart_attach(&u, &d.bus, VUART_COM1_BASE) == 0);
	d.dev = &u;
	d.event = event;
	fz_dev_run(&d, &f);
	return 0;
}
