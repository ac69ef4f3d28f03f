/* Fuzz the state stream's reader (src/core/vmstate.c) and the device
 * sections it carries: the input is a stream as a machine would receive
 * it.  Each PIT, PIC, UART, RTC, I/O APIC and local APIC section is
 * loaded into its model; a load
 * that succeeds must leave a model that runs (its ports, a tick) and that
 * saves a section which loads again. */
#include "fuzz.h"

#include <hv/vmstate.h>
#include <hv/vioapic.h>
#include <hv/vlapic.h>
#include <hv/vpic.h>
#include <hv/vpit.h>
#include <hv/vrtc.h>
#include <hv/vuart.h>

static uint64_t now_ns;
static struct vpit pit;
static struct vpic pic;
static struct vuart uart;
static struct vrtc rtc;
static struct vioapic ioapic;
static struct vlapic lapic;
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

static void deliver(void *ctx, uint8_t vector, uint8_t dest, bool level, uint8_t mode,
		    bool logical)
{
	(void)ctx;
	(void)vector;
	(void)dest;
	(void)level;
	(void)mode;
	(void)logical;
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

static void save_rtc(struct vms_out *o) { vrtc_save(&rtc, o); }
static int load_rtc(struct vms_section *s) { return vrtc_load(&rtc, s); }
static void save_ioapic(struct vms_out *o) { vioapic_save(&ioapic, o); }
static int load_ioapic(struct vms_section *s) { return vioapic_load(&ioapic, s); }

static void run_rtc(void)
{
	uint64_t v;

	vrtc_next_event_ns(&rtc);
	now_ns += 1000000000;
	vrtc_tick(&rtc);
	for (uint8_t i = 0; i < 0x0e; i++) {
		vrtc_write(&rtc, VRTC_BASE, 1, i);
		vrtc_read(&rtc, VRTC_BASE + 1, 1, &v);
	}
}

static void run_ioapic(void)
{
	vioapic_set_irq(&ioapic, 9, true);
	vioapic_eoi(&ioapic, 0x49);
	vioapic_set_irq(&ioapic, 9, false);
}

static void save_lapic(struct vms_out *o) { vlapic_save(&lapic, 0, o); }
static int load_lapic(struct vms_section *s) { return vlapic_load(&lapic, s); }

static void run_lapic(void)
{
	uint64_t v;
	int vec;

	vlapic_timer_next_ns(&lapic);
	now_ns += 1000000;
	vlapic_timer_tick(&lapic);
	vec = vlapic_pending_vector(&lapic);
	FZ_CHECK(vec < 0 || vec >= 16);
	if (vec >= 0)
		vlapic_ack(&lapic, (uint8_t)vec);
	for (uint64_t off = 0; off < VLAPIC_MMIO_SIZE; off += 16)
		vlapic_mmio_read(&lapic, VLAPIC_DEFAULT_BASE + off, 4, &v);
	vlapic_mmio_write(&lapic, VLAPIC_DEFAULT_BASE + 0xb0, 4, 0);
}

static void ipi(void *ctx, uint64_t icr)
{
	(void)ctx;
	(void)icr;
}

static void eoi_level(void *ctx, uint8_t vector)
{
	(void)ctx;
	(void)vector;
}

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

static const struct vlapic_config lapic_cfg = {
	.apic_id = 0, .bsp = true, .x2apic = true, .timer_hz = 1000000000ULL,
	.tsc_hz = 3000000000ULL, .clock = { clock_now, NULL }, .eoi_level = eoi_level,
	.send_ipi = ipi,
};

static const struct model {
	uint32_t type;
	int (*load)(struct vms_section *s);
	void (*save)(struct vms_out *o);
	void (*run)(void);
} models[] = {
	{ VMS_PIT, load_pit, save_pit, run_pit },
	{ VMS_PIC, load_pic, save_pic, run_pic },
	{ VMS_UART, load_uart, save_uart, run_uart },
	{ VMS_RTC, load_rtc, save_rtc, run_rtc },
	{ VMS_IOAPIC, load_ioapic, save_ioapic, run_ioapic },
	{ VMS_LAPIC, load_lapic, save_lapic, run_lapic },
};

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
	vrtc_init(&rtc, &clock, 1795610096ull, 64 << 20);
	vrtc_set_irq(&rtc, &irqs, 8);
	vioapic_init(&ioapic, deliver, NULL);
	FZ_CHECK(vlapic_init(&lapic, &lapic_cfg) == 0);
	if (vms_in_init(&in, data, size))
		return 0;
	while ((rc = vms_next(&in, &s)) == 1) {
		for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
			const struct model *m = &models[i];

			if (s.type == m->type && m->load(&s) == 0) {
				m->run();
				reload(m->save, m->load);
			}
		}
	}
	FZ_CHECK(rc == 0 || in.why);
	return 0;
}
