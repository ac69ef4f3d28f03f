/* Fuzz the local APIC model (src/dev/vlapic.c): its xAPIC page, and as
 * events its MSRs (x2APIC registers, IA32_APIC_BASE, IA32_TSC_DEADLINE),
 * CR8, interrupts accepted and acknowledged; the tick fires the timer. */
#include "fuzz_dev.h"

#include <hv/vlapic.h>

static void eoi(void *ctx, uint8_t vector) { (void)ctx; (void)vector; }
static void ipi(void *ctx, uint64_t icr) { (void)ctx; (void)icr; }

static void event(void *dev, struct fz *f)
{
	struct vlapic *v = dev;
	uint8_t e = fz_u8(f);
	uint64_t val;

	switch (e % 9) {
	case 0:
		(void)vlapic_msr_read(v, 0x800 + fz_u8(f), &val);
		break;
	case 1: {
		uint32_t msr = 0x800 + fz_u8(f);
		(void)vlapic_msr_write(v, msr, fz_u64(f));
		break;
	}
	case 2:
		(void)vlapic_apic_base_write(v, fz_u64(f));
		(void)vlapic_apic_base_read(v);
		break;
	case 3:
		vlapic_tsc_deadline_write(v, fz_u64(f));
		(void)vlapic_tsc_deadline_read(v);
		break;
	case 4:
		vlapic_cr8_write(v, fz_u8(f) & 15);
		FZ_CHECK(vlapic_cr8_read(v) <= 15);
		break;
	case 5:
		vlapic_accept_irq(v, fz_u8(f), e & 0x80);
		break;
	case 6: {
		int vector = vlapic_pending_vector(v);
		FZ_CHECK(vector >= -1 && vector <= 255);
		if (vector >= 0)
			vlapic_ack(v, (uint8_t)vector);
		break;
	}
	default:
		(void)vlapic_enabled(v);
		(void)vlapic_x2apic(v);
		(void)vlapic_accepts_pic(v);
		(void)vlapic_timer_next_ns(v);
		break;
	}
}

static void tick(void *dev)
{
	struct vlapic *v = dev;

	if (vlapic_timer_next_ns(v) <= fz_now_ns)
		vlapic_timer_tick(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vlapic v;
	struct fz_dev d;
	struct fz f = { data, size };
	uint8_t cfg_byte = fz_u8(&f);
	struct vlapic_config cfg = {
		.apic_id = cfg_byte & 0x80 ? 0x1234 : (cfg_byte & 3),
		.bsp = cfg_byte & 4,
		.x2apic = cfg_byte & 8,
		.timer_hz = cfg_byte & 16 ? 1000000 : 0,
		.tsc_base = 12345,
		.clock = fz_clock,
		.eoi_level = cfg_byte & 32 ? eoi : NULL,
		.send_ipi = cfg_byte & 64 ? ipi : NULL,
	};

	fz_dev_reset(&d);
	memset(&v, 0, sizeof(v));
	if (vlapic_init(&v, &cfg) != 0)
		return 0;   /* an ID above 0xff without x2APIC */
	FZ_CHECK(vlapic_attach(&v, &d.bus) == 0);
	d.dev = &v;
	d.event = event;
	d.tick = tick;
	fz_dev_run(&d, &f);
	return 0;
}
