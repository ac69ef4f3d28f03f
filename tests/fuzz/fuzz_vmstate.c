/* Fuzz the state stream's reader (src/core/vmstate.c) and the device
 * sections it carries: the input is a stream as a machine would receive
 * it.  Each PIT section is loaded into a PIT; a load that succeeds must
 * leave a PIT that runs (its next event, a tick, its ports) and that
 * saves a section which loads again. */
#include "fuzz.h"

#include <hv/vmstate.h>
#include <hv/vpit.h>

static uint64_t now_ns;

static uint64_t clock_now(void *ctx)
{
	(void)ctx;
	return now_ns;
}

static void line(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	(void)level;
	FZ_CHECK(irq == VPIT_IRQ);
}

static const struct vclock clock = { clock_now, NULL };
static const struct irq_sink sink = { line, NULL };

static uint8_t again[1024];

static void exercise(struct vpit *pit)
{
	struct vms_out o;
	struct vms_in in;
	struct vms_section s;
	uint64_t v;
	int64_t n;

	vpit_next_event_ns(pit);
	now_ns += 1000000;
	vpit_tick(pit);
	for (uint64_t port = VPIT_BASE; port < VPIT_BASE + 3; port++)
		vpit_read(pit, port, 1, &v);
	vpit_read(pit, VPIT_PORT_B, 1, &v);
	vms_out_init(&o, again, sizeof(again));
	vpit_save(pit, &o);
	n = vms_out_finish(&o);
	FZ_CHECK(n > 0);
	FZ_CHECK(vms_in_init(&in, again, (size_t)n) == 0);
	FZ_CHECK(vms_next(&in, &s) == 1);
	FZ_CHECK(vpit_load(pit, &s) == 0);
	FZ_CHECK(vms_next(&in, &s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vpit pit;
	struct vms_in in;
	struct vms_section s;
	int rc;

	now_ns = 0;
	memset(&pit, 0, sizeof(pit));
	vpit_init(&pit, &clock, &sink);
	if (vms_in_init(&in, data, size))
		return 0;
	while ((rc = vms_next(&in, &s)) == 1) {
		if (s.type == VMS_PIT && vpit_load(&pit, &s) == 0)
			exercise(&pit);
	}
	FZ_CHECK(rc == 0 || in.why);
	return 0;
}
