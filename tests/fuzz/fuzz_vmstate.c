/* Fuzz the state stream's reader (src/core/vmstate.c) and the device
 * sections it carries: the input is a stream as a machine would receive
 * it.  Each PIT, PIC and UART section is loaded into its model; a load
 * that succeeds must leave a model that runs (its ports, a tick) and that
 * saves a section which loads again. */
#include "fuzz.h"

#include <hv/vmstate.h>
#include <hv/vpic.h>
#include <hv/vpit.h>
#include <hv/vuart.h>

static uint64_t now_ns;
static struct vpit pit;
static struct vpic pic;
static struct vuart uart;
static uint8_t again[1024];

static uint64_t clock_now(void *ctx)
{
	(void)ctx;
	return now_ns;
}

static void line(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	(void)level;
	FZ_CHECK(irq < 16);
}

static void intr(void *ctx, bool level)
{
	(void)ctx;
	(void)level;
}

static void sink(void *ctx, char c)
{
	(void)ctx;
	(void)c;
}

static const struct vclock clock = { clock_now, NULL };
static const struct irq_sink irqs = { line, NULL };

/* Save what was loaded and load it again: it must go through. */
static void reload(void (*save)(struct vms_out *), int (*load)(struct vms_section *))
{
	struct vms_out o;
	struct vms_in in;
	struct vms_section s;
	int64_t n;

	vms_out_init(&o, again, sizeof(again));
	save(&o);
	n = vms_out_finish(&o);
	FZ_CHECK(n > 0);
	FZ_CHECK(vms_in_init(&in, again, (size_t)n) == 0);
	FZ_CHECK(vms_next(&in, &s) == 1);
	FZ_CHECK(load(&s) == 0);
	FZ_CHECK(vms_next(&in, &s) == 0);
}

static void save_pit(struct vms_out *o) { vpit_save(&pit, o); }
static int load_pit(struct vms_section *s) { return vpit_load(&pit, s); }
static void save_pic(struct vms_out *o) { vpic_save(&pic, o); }
static int load_pic(struct vms_section *s) { return vpic_load(&pic, s); }
static void save_uart(struct vms_out *o) { vuart_save(&uart, 0, o); }
static int load_uart(struct vms_section *s) { return vuart_load(&uart, s); }

static void run_pit(void)
{
	uint64_t v;

	vpit_next_event_ns(&pit);
	now_ns += 1000000;
	vpit_tick(&pit);
	for (uint64_t port = VPIT_BASE; port < VPIT_BASE + 3; port++)
		vpit_read(&pit, port, 1, &v);
	vpit_read(&pit, VPIT_PORT_B, 1, &v);
}

static void run_pic(void)
{
	uint64_t v;

	vpic_pending_vector(&pic);
	vpic_ack(&pic);
	vpic_read(&pic, 0x20, 1, &v);
	vpic_read(&pic, 0xa1, 1, &v);
	vpic_write(&pic, 0x20, 1, 0x20);
	vpic_write(&pic, 0xa0, 1, 0x20);
}

static void run_uart(void)
{
	uint64_t v;

	for (uint64_t port = 0x3f8; port < 0x400; port++)
		vuart_read(&uart, port, 1, &v);
	vuart_write(&uart, 0x3f8, 1, 'x');
	vuart_receive(&uart, 'y');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vms_in in;
	struct vms_section s;
	int rc;

	now_ns = 0;
	vpit_init(&pit, &clock, &irqs);
	vpic_init(&pic, intr, NULL);
	vuart_init(&uart, sink, NULL);
	vuart_set_irq(&uart, &irqs, 4);
	if (vms_in_init(&in, data, size))
		return 0;
	while ((rc = vms_next(&in, &s)) == 1) {
		if (s.type == VMS_PIT && vpit_load(&pit, &s) == 0) {
			run_pit();
			reload(save_pit, load_pit);
		} else if (s.type == VMS_PIC && vpic_load(&pic, &s) == 0) {
			run_pic();
			reload(save_pic, load_pic);
		} else if (s.type == VMS_UART && vuart_load(&uart, &s) == 0) {
			run_uart();
			reload(save_uart, load_uart);
		}
	}
	FZ_CHECK(rc == 0 || in.why);
	return 0;
}
