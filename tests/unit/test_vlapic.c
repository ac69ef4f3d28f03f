#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <hv/io.h>
#include <hv/errno.h>
#include <hv/vlapic.h>

#include "vms_test.h"

/* xAPIC offsets (SDM Vol. 3A Table 11-1) and x2APIC MSRs (Table 11-6). */
#define ID 0x20
#define VER 0x30
#define TPR 0x80
#define PPR 0xa0
#define EOI 0xb0
#define LDR 0xd0
#define DFR 0xe0
#define SVR 0xf0
#define ISR 0x100
#define TMR 0x180
#define IRR 0x200
#define ESR 0x280
#define ICR 0x300
#define ICR2 0x310
#define LVTT 0x320
#define LINT0 0x350
#define LVTERR 0x370
#define TMICT 0x380
#define TMCCT 0x390
#define TDCR 0x3e0
#define MSR(off) (0x800u + (off) / 16)
#define SELF_IPI 0x83f

#define BASE 0xfee00000ULL
#define EN (1ULL << 11)
#define EXTD (1ULL << 10)
#define BSP (1ULL << 8)
#define MASKED (1u << 16)
#define PERIODIC (1u << 17)
#define DEADLINE (2u << 17)

static uint64_t now_ns;
static int eoi_count;
static uint8_t eoi_last;
static int ipi_count;
static uint64_t ipi_last;

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return now_ns;
}

static void on_eoi(void *ctx, uint8_t vector)
{
	(void)ctx;
	eoi_count++;
	eoi_last = vector;
}

static void on_ipi(void *ctx, uint64_t icr)
{
	(void)ctx;
	ipi_count++;
	ipi_last = icr;
}

static void setup_apic(struct vlapic *v, uint32_t id, bool x2apic)
{
	struct vlapic_config cfg = {
		.apic_id = id,
		.bsp = id == 0,
		.x2apic = x2apic,
		.timer_hz = 1000000000ULL,
		.tsc_hz = 3000000000ULL,
		.clock = { fake_now, NULL },
		.eoi_level = on_eoi,
		.send_ipi = on_ipi,
	};

	now_ns = 0;
	eoi_count = ipi_count = 0;
	eoi_last = 0;
	ipi_last = 0;
	assert_int_equal(vlapic_init(v, &cfg), 0);
}

static uint32_t rd(struct vlapic *v, unsigned off)
{
	uint64_t val;

	assert_int_equal(vlapic_mmio_read(v, BASE + off, 4, &val), 0);
	return (uint32_t)val;
}

static void wr(struct vlapic *v, unsigned off, uint32_t val)
{
	assert_int_equal(vlapic_mmio_write(v, BASE + off, 4, val), 0);
}

static uint64_t msr_rd(struct vlapic *v, uint32_t msr)
{
	uint64_t val = 0;

	assert_int_equal(vlapic_msr_read(v, msr, &val), 0);
	return val;
}

static void msr_wr(struct vlapic *v, uint32_t msr, uint64_t val)
{
	assert_int_equal(vlapic_msr_write(v, msr, val), 0);
}

static bool vec_bit(struct vlapic *v, unsigned base, unsigned vec)
{
	return rd(v, base + vec / 32 * 16) >> (vec % 32) & 1;
}

/* Linux's setup_local_APIC() order, xAPIC: enable, flat LDR, TPR 0. */
static void linux_xapic_setup(struct vlapic *v)
{
	wr(v, SVR, 0x1ff);
	wr(v, DFR, 0xffffffff);
	wr(v, LDR, 1u << 24);
	wr(v, TPR, 0);
	wr(v, LVTERR, 0xfe);
	wr(v, ESR, 0);
	assert_int_equal(rd(v, ESR), 0);
}

static void x2apic_on(struct vlapic *v)
{
	assert_int_equal(vlapic_apic_base_write(v, BASE | EN | EXTD), 0);
	msr_wr(v, MSR(SVR), 0x1ff);
}

static void test_reset_state(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, true);
	assert_int_equal(vlapic_apic_base_read(&v), BASE | EN | BSP);
	assert_false(vlapic_x2apic(&v));
	assert_false(vlapic_enabled(&v));      /* SVR bit 8 clear */
	assert_int_equal(rd(&v, ID), 0);
	assert_int_equal(rd(&v, VER), 0x00050014);
	assert_int_equal(rd(&v, SVR), 0xff);
	assert_int_equal(rd(&v, DFR), 0xffffffff);
	for (unsigned off = 0x320; off <= 0x370; off += 0x10)
		assert_int_equal(rd(&v, off), MASKED);
	assert_int_equal(rd(&v, 0x2f0), 0);   /* no LVT CMCI: machine checks are hidden */
	assert_int_equal(rd(&v, TMCCT), 0);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	wr(&v, SVR, 0x1ff);
	assert_true(vlapic_enabled(&v));
}

static void test_init_checks(void **state)
{
	struct vlapic v;
	struct vlapic_config cfg = { .clock = { fake_now, NULL } };

	(void)state;
	assert_int_equal(vlapic_init(&v, &cfg), 0);
	assert_int_equal(v.cfg.timer_hz, VLAPIC_DEFAULT_HZ);
	assert_int_equal(vlapic_apic_base_read(&v), BASE | EN);   /* not the BSP */
	cfg.timer_hz = VLAPIC_MAX_HZ + 1;
	assert_int_not_equal(vlapic_init(&v, &cfg), 0);
	cfg.timer_hz = 0;
	cfg.apic_id = 0x100;                 /* needs x2APIC */
	assert_int_not_equal(vlapic_init(&v, &cfg), 0);
	cfg.x2apic = true;
	assert_int_equal(vlapic_init(&v, &cfg), 0);
	cfg.clock.now = NULL;
	assert_int_not_equal(vlapic_init(&v, &cfg), 0);
}

static void test_xapic_mmio(void **state)
{
	struct vlapic v;
	struct io_bus bus;
	uint64_t val;

	(void)state;
	setup_apic(&v, 3, false);
	io_bus_init(&bus);
	assert_int_equal(vlapic_attach(&v, &bus), 0);
	assert_int_equal(io_read(&bus, BASE + ID, 4, &val), 0);
	assert_int_equal(val, 3u << 24);
	linux_xapic_setup(&v);
	assert_true(vlapic_enabled(&v));

	assert_int_equal(rd(&v, LDR), 1u << 24);
	wr(&v, LDR, 0xffffffff);
	assert_int_equal(rd(&v, LDR), 0xff000000);
	wr(&v, DFR, 0);                       /* cluster model; 27:0 stay ones */
	assert_int_equal(rd(&v, DFR), 0x0fffffff);
	wr(&v, TPR, 0x1234);
	assert_int_equal(rd(&v, TPR), 0x34);
	assert_int_equal(rd(&v, PPR), 0x34);
	/* Read-only registers ignore writes. */
	wr(&v, VER, 0);
	wr(&v, ID, 0);
	wr(&v, PPR, 0);
	assert_int_equal(rd(&v, VER), 0x00050014);
	assert_int_equal(rd(&v, ID), 3u << 24);
	/* Reads of a part of the 32 bits get that part (ID is 0x03000000). */
	assert_int_equal(vlapic_mmio_read(&v, BASE + ID + 3, 1, &val), 0);
	assert_int_equal(val, 3);
	assert_int_equal(vlapic_mmio_read(&v, BASE + ID + 2, 2, &val), 0);
	assert_int_equal(val, 0x0300);
	/* Other widths, reads across the 32 bits, offsets beyond them and
	 * narrow writes: ignored, read 0. */
	assert_int_equal(vlapic_mmio_read(&v, BASE + TPR, 8, &val), 0);
	assert_int_equal(val, 0);
	assert_int_equal(vlapic_mmio_read(&v, BASE + ID + 3, 2, &val), 0);
	assert_int_equal(val, 0);
	assert_int_equal(vlapic_mmio_read(&v, BASE + TPR + 4, 4, &val), 0);
	assert_int_equal(val, 0);
	vlapic_mmio_write(&v, BASE + TPR, 2, 0x77);
	vlapic_mmio_write(&v, BASE + TPR + 8, 4, 0x77);
	assert_int_equal(rd(&v, TPR), 0x34);
	/* EOI is write-only: reads 0, no error. */
	assert_int_equal(rd(&v, EOI), 0);
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0);
	/* A reserved register (0x40, 0x3f0 = x2APIC SELF IPI, 0x400+) is an
	 * illegal register address error, seen after the next ESR write, and
	 * signalled through the LVT error entry. */
	assert_int_equal(rd(&v, 0x40), 0);
	wr(&v, 0x3f0, 0x40);
	wr(&v, 0x800, 1);
	assert_int_equal(vlapic_pending_vector(&v), 0xfe);
	assert_int_equal(rd(&v, ESR), 0);
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0x80);
	assert_false(vec_bit(&v, IRR, 0x40));
	/* x2APIC MSRs do not exist in xAPIC mode. */
	assert_int_not_equal(vlapic_msr_read(&v, MSR(ID), &val), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(TPR), 0), 0);
}

static void test_apic_base_transitions(void **state)
{
	struct vlapic v;
	uint64_t val;

	(void)state;
	setup_apic(&v, 0x25, true);
	assert_int_equal(vlapic_apic_base_read(&v), BASE | EN);
	/* EXTD without EN is the invalid state; reserved bits, relocation. */
	assert_int_not_equal(vlapic_apic_base_write(&v, BASE | EXTD), 0);
	assert_int_not_equal(vlapic_apic_base_write(&v, BASE | EN | (1ULL << 9)), 0);
	assert_int_not_equal(vlapic_apic_base_write(&v, BASE | EN | 1), 0);
	assert_int_not_equal(vlapic_apic_base_write(&v, 0xfed00000ULL | EN), 0);
	assert_int_not_equal(vlapic_apic_base_write(&v, (1ULL << 40) | BASE | EN), 0);
	assert_int_equal(vlapic_apic_base_read(&v), BASE | EN);
	/* BSP is the processor's own. */
	assert_int_equal(vlapic_apic_base_write(&v, BASE | EN | BSP), 0);
	assert_int_equal(vlapic_apic_base_read(&v), BASE | EN);

	/* xAPIC -> x2APIC keeps the registers (Linux: enable_x2apic()). */
	wr(&v, SVR, 0x1ff);
	wr(&v, TPR, 0x20);
	assert_int_equal(vlapic_apic_base_write(&v, BASE | EN | EXTD), 0);
	assert_true(vlapic_x2apic(&v));
	assert_int_equal(msr_rd(&v, MSR(TPR)), 0x20);
	assert_int_equal(msr_rd(&v, MSR(ID)), 0x25);
	/* The xAPIC page is gone. */
	assert_int_equal(vlapic_mmio_read(&v, BASE + TPR, 4, &val), 0);
	assert_int_equal(val, ~0ULL);
	wr(&v, TPR, 0x90);
	assert_int_equal(msr_rd(&v, MSR(TPR)), 0x20);

	/* x2APIC -> xAPIC directly: #GP, state unchanged. */
	assert_int_not_equal(vlapic_apic_base_write(&v, BASE | EN), 0);
	assert_true(vlapic_x2apic(&v));
	/* x2APIC -> disabled -> xAPIC: power-up state but the ID. */
	assert_int_equal(vlapic_apic_base_write(&v, BASE), 0);
	assert_false(vlapic_x2apic(&v));
	assert_false(vlapic_enabled(&v));
	assert_true(vlapic_accepts_pic(&v));
	assert_int_not_equal(vlapic_msr_read(&v, MSR(TPR), &val), 0);
	vlapic_accept_irq(&v, 0x40, false);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* disabled -> x2APIC: #GP. */
	assert_int_not_equal(vlapic_apic_base_write(&v, BASE | EN | EXTD), 0);
	assert_int_equal(vlapic_apic_base_write(&v, BASE | EN), 0);
	assert_int_equal(rd(&v, ID), 0x25u << 24);
	assert_int_equal(rd(&v, SVR), 0xff);
	assert_int_equal(rd(&v, TPR), 0);
	assert_int_equal(rd(&v, LVTT), MASKED);

	/* Without x2APIC support, EXTD is reserved. */
	setup_apic(&v, 1, false);
	assert_int_not_equal(vlapic_apic_base_write(&v, BASE | EN | EXTD), 0);
	assert_false(vlapic_x2apic(&v));
}

static void test_x2apic_msrs(void **state)
{
	struct vlapic v;
	uint64_t val;

	(void)state;
	setup_apic(&v, 0x25, true);
	x2apic_on(&v);
	assert_true(vlapic_enabled(&v));
	assert_int_equal(msr_rd(&v, MSR(ID)), 0x25);
	assert_int_equal(msr_rd(&v, MSR(VER)), 0x00050014);
	/* Logical ID: cluster 0x25 >> 4 = 2, bit 0x25 & 15 = 5. */
	assert_int_equal(msr_rd(&v, MSR(LDR)), 2u << 16 | 1u << 5);
	assert_int_equal(msr_rd(&v, MSR(SVR)), 0x1ff);

	/* Read-only registers: WRMSR is #GP. */
	assert_int_not_equal(vlapic_msr_write(&v, MSR(ID), 0x25), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(VER), 0), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(LDR), 0), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(PPR), 0), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(ISR), 0), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(IRR + 0x70), 0), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(TMCCT), 0), 0);
	/* Reserved or xAPIC-only MSRs: #GP both ways. */
	static const uint32_t reserved[] = { 0x800, 0x801, 0x804, 0x807, 0x809, 0x80c, 0x80e,
					     0x829, 0x82e, 0x831, 0x83a, 0x83d, 0x840, 0x8ff };
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		assert_int_not_equal(vlapic_msr_read(&v, reserved[i], &val), 0);
		assert_int_not_equal(vlapic_msr_write(&v, reserved[i], 0), 0);
	}
	assert_int_not_equal(vlapic_msr_read(&v, 0x7ff, &val), 0);
	assert_int_not_equal(vlapic_msr_read(&v, 0x900, &val), 0);
	/* Write-only registers: RDMSR is #GP. */
	assert_int_not_equal(vlapic_msr_read(&v, MSR(EOI), &val), 0);
	assert_int_not_equal(vlapic_msr_read(&v, SELF_IPI, &val), 0);
	/* Reserved bits: EOI and ESR take only 0; bits 63:32 everywhere. */
	assert_int_not_equal(vlapic_msr_write(&v, MSR(EOI), 1), 0);
	msr_wr(&v, MSR(EOI), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(ESR), 1), 0);
	msr_wr(&v, MSR(ESR), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(TPR), 0x100), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(SVR), 1ULL << 32 | 0x1ff), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(SVR), 0x11ff), 0);  /* no EOI suppression */
	assert_int_not_equal(vlapic_msr_write(&v, MSR(LVTT), 1u << 20), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(LVTT), 0x400 | 0xef), 0); /* no delivery mode */
	assert_int_not_equal(vlapic_msr_write(&v, MSR(TDCR), 0x4), 0);
	assert_int_not_equal(vlapic_msr_write(&v, SELF_IPI, 0x130), 0);
	/* Read-only LVT bits (delivery status, remote IRR) are tolerated. */
	msr_wr(&v, MSR(LINT0), 0x700 | 1u << 14);
	assert_int_equal(msr_rd(&v, MSR(LINT0)), 0x700);
	assert_true(vlapic_accepts_pic(&v));
	msr_wr(&v, MSR(LINT0), MASKED | 0x700);
	assert_false(vlapic_accepts_pic(&v));
	/* TPR through its MSR and CR8. */
	msr_wr(&v, MSR(TPR), 0x3c);
	assert_int_equal(vlapic_cr8_read(&v), 3);
	vlapic_cr8_write(&v, 0xa);
	assert_int_equal(msr_rd(&v, MSR(TPR)), 0xa0);
	vlapic_cr8_write(&v, 0);

	/* SELF IPI (Linux's x2apic_send_IPI_self()). */
	msr_wr(&v, SELF_IPI, 0x33);
	assert_int_equal(vlapic_pending_vector(&v), 0x33);
	assert_int_equal(ipi_count, 0);
	/* 64-bit ICR: physical destination = own x2APIC ID. */
	msr_wr(&v, MSR(ICR), 0x25ULL << 32 | 0x44);
	assert_int_equal(vlapic_pending_vector(&v), 0x44);
	assert_int_equal(msr_rd(&v, MSR(ICR)), 0x25ULL << 32 | 0x44);
	assert_int_equal(ipi_count, 0);
	/* Another vCPU: the callback, in the same layout. */
	msr_wr(&v, MSR(ICR), 0x1234ULL << 32 | 0x45);
	assert_int_equal(ipi_count, 1);
	assert_int_equal(ipi_last, 0x1234ULL << 32 | 0x45);
	assert_int_equal(msr_rd(&v, MSR(IRR) + 2) & (1u << 5), 0);   /* 0x45 not here */
	assert_int_equal(msr_rd(&v, MSR(IRR) + 2) & (1u << 4), 1u << 4);   /* 0x44 is */
	/* No delivery status in x2APIC: bits 12, 13, 16, 17, 31:20 reserved. */
	assert_int_not_equal(vlapic_msr_write(&v, MSR(ICR), 1u << 12 | 0x45), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(ICR), 1u << 13 | 0x45), 0);
	assert_int_not_equal(vlapic_msr_write(&v, MSR(ICR), 1u << 20 | 0x45), 0);
	assert_int_equal(ipi_count, 1);
	/* x2APIC logical destination: cluster 2, bit 5; not cluster 1, nor
	 * another member of cluster 2. */
	msr_wr(&v, MSR(ICR), (1ULL << 16 | 1u << 5) << 32 | 1u << 11 | 0x47);
	msr_wr(&v, MSR(ICR), (2ULL << 16 | 1u << 4) << 32 | 1u << 11 | 0x48);
	assert_int_equal(vlapic_pending_vector(&v), 0x44);
	assert_int_equal(ipi_count, 3);
	msr_wr(&v, MSR(ICR), (2ULL << 16 | 1u << 5) << 32 | 1u << 11 | 0x46);
	assert_int_equal(vlapic_pending_vector(&v), 0x46);
}

static void test_tpr_ppr(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	vlapic_accept_irq(&v, 0x51, false);
	assert_true(vec_bit(&v, IRR, 0x51));
	assert_int_equal(vlapic_pending_vector(&v), 0x51);
	/* Same class as TPR: blocked (11.8.3.1). */
	wr(&v, TPR, 0x50);
	assert_int_equal(rd(&v, PPR), 0x50);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	wr(&v, TPR, 0x5f);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	wr(&v, TPR, 0x4f);
	assert_int_equal(vlapic_pending_vector(&v), 0x51);
	vlapic_cr8_write(&v, 6);
	assert_int_equal(rd(&v, TPR), 0x60);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	vlapic_cr8_write(&v, 0);
	vlapic_ack(&v, 0x51);
	assert_false(vec_bit(&v, IRR, 0x51));
	assert_true(vec_bit(&v, ISR, 0x51));
	/* PPR: the in-service class when above TPR, with bits 3:0 clear. */
	wr(&v, TPR, 0x23);
	assert_int_equal(rd(&v, PPR), 0x50);
	wr(&v, TPR, 0x73);
	assert_int_equal(rd(&v, PPR), 0x73);
	wr(&v, EOI, 0);
	wr(&v, TPR, 0);
	assert_int_equal(rd(&v, PPR), 0);
	assert_int_equal(vlapic_pending_vector(&v), -1);
}

static void test_nested_priorities(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	vlapic_accept_irq(&v, 0x31, false);
	vlapic_ack(&v, vlapic_pending_vector(&v));
	/* Same class as the one in service: waits. */
	vlapic_accept_irq(&v, 0x35, false);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* Higher class: nests. */
	vlapic_accept_irq(&v, 0x61, false);
	assert_int_equal(vlapic_pending_vector(&v), 0x61);
	vlapic_ack(&v, 0x61);
	assert_int_equal(rd(&v, PPR), 0x60);
	vlapic_accept_irq(&v, 0x41, false);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* EOI retires the highest in service: 0x61, then 0x41 may nest. */
	wr(&v, EOI, 0);
	assert_false(vec_bit(&v, ISR, 0x61));
	assert_true(vec_bit(&v, ISR, 0x31));
	assert_int_equal(rd(&v, PPR), 0x30);
	assert_int_equal(vlapic_pending_vector(&v), 0x41);
	vlapic_ack(&v, 0x41);
	wr(&v, EOI, 0);
	assert_true(vec_bit(&v, ISR, 0x31));
	assert_int_equal(vlapic_pending_vector(&v), -1);   /* 0x35 still waits */
	wr(&v, EOI, 0);
	assert_false(vec_bit(&v, ISR, 0x31));
	assert_int_equal(vlapic_pending_vector(&v), 0x35);
	vlapic_ack(&v, 0x35);
	wr(&v, EOI, 0);
	wr(&v, EOI, 0);                                    /* ISR empty: nothing */
	assert_int_equal(vlapic_pending_vector(&v), -1);
	assert_int_equal(eoi_count, 0);
	/* Acking a vector that is not pending changes nothing. */
	vlapic_ack(&v, 0x99);
	assert_false(vec_bit(&v, ISR, 0x99));
}

static void test_level_eoi(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	vlapic_accept_irq(&v, 0x40, true);
	assert_true(vec_bit(&v, TMR, 0x40));
	assert_int_equal(rd(&v, TMR + 0x20), 1);
	vlapic_ack(&v, 0x40);
	assert_int_equal(rd(&v, ISR + 0x20), 1);
	wr(&v, EOI, 0);
	assert_int_equal(eoi_count, 1);
	assert_int_equal(eoi_last, 0x40);
	/* Edge: no broadcast; acceptance clears TMR. */
	vlapic_accept_irq(&v, 0x40, false);
	assert_false(vec_bit(&v, TMR, 0x40));
	vlapic_ack(&v, 0x40);
	wr(&v, EOI, 0);
	assert_int_equal(eoi_count, 1);
	/* Level under an edge: each EOI goes to the right vector. */
	vlapic_accept_irq(&v, 0x38, false);
	vlapic_ack(&v, 0x38);
	vlapic_accept_irq(&v, 0x92, true);
	vlapic_ack(&v, 0x92);
	wr(&v, EOI, 0);
	assert_int_equal(eoi_count, 2);
	assert_int_equal(eoi_last, 0x92);
	wr(&v, EOI, 0);
	assert_int_equal(eoi_count, 2);
}

static void test_software_disabled(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	/* Software-disabled at reset: fixed interrupts are not accepted and
	 * LVT mask bits cannot be cleared (11.4.7.2). */
	vlapic_accept_irq(&v, 0x30, false);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	wr(&v, LVTT, 0xef);
	assert_int_equal(rd(&v, LVTT), MASKED | 0xef);
	wr(&v, SVR, 0x1ff);
	wr(&v, LVTT, 0xef);
	wr(&v, LINT0, 0x700);
	assert_int_equal(rd(&v, LVTT), 0xef);
	assert_true(vlapic_accepts_pic(&v));
	vlapic_accept_irq(&v, 0x30, false);
	/* Disabling masks every LVT entry; pending IRR bits are held. */
	wr(&v, SVR, 0xff);
	assert_false(vlapic_enabled(&v));
	assert_int_equal(rd(&v, LVTT), MASKED | 0xef);
	assert_int_equal(rd(&v, LINT0), MASKED | 0x700);
	assert_false(vlapic_accepts_pic(&v));
	assert_int_equal(vlapic_pending_vector(&v), 0x30);
	/* Re-enabling leaves the masks set. */
	wr(&v, SVR, 0x1ff);
	assert_int_equal(rd(&v, LVTT), MASKED | 0xef);
}

static void test_oneshot_timer(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	/* Divide by 16 at 1 GHz: 16 ns a count. */
	wr(&v, TDCR, 0x3);
	wr(&v, LVTT, 0xef);
	now_ns = 100;
	wr(&v, TMICT, 1000);
	assert_int_equal(rd(&v, TMICT), 1000);
	assert_int_equal(rd(&v, TMCCT), 1000);
	assert_int_equal(vlapic_timer_next_ns(&v), 100 + 16000);
	now_ns = 100 + 8000;
	assert_int_equal(rd(&v, TMCCT), 500);
	now_ns += 16;
	assert_int_equal(rd(&v, TMCCT), 499);
	now_ns += 1;                              /* counts are rounded up */
	assert_int_equal(rd(&v, TMCCT), 499);
	now_ns = 100 + 16000 - 1;
	assert_int_equal(rd(&v, TMCCT), 1);
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	now_ns = 100 + 16000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), 0xef);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	assert_int_equal(rd(&v, TMCCT), 0);
	assert_int_equal(rd(&v, TMICT), 1000);
	vlapic_ack(&v, 0xef);
	wr(&v, EOI, 0);
	now_ns = 1000000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);   /* fired once */

	/* Rewriting the count restarts it; 0 stops it. */
	wr(&v, TMICT, 10);
	assert_int_equal(vlapic_timer_next_ns(&v), 1000000 + 160);
	wr(&v, TMICT, 0);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	now_ns += 1000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);

	/* An expiry the hypervisor has not ticked yet still fires when the
	 * guest restarts the count after it (Linux's lapic_next_event()). */
	wr(&v, TMICT, 10);
	now_ns += 500;
	wr(&v, TMICT, 10);
	assert_int_equal(vlapic_pending_vector(&v), 0xef);
	assert_int_equal(vlapic_timer_next_ns(&v), now_ns + 160);
}

static void test_periodic_timer(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	wr(&v, TDCR, 0xb);                        /* divide by 1 */
	wr(&v, LVTT, PERIODIC | 0xec);
	wr(&v, TMICT, 1000000);                   /* 1 ms */
	assert_int_equal(vlapic_timer_next_ns(&v), 1000000);
	now_ns = 1000000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), 0xec);
	assert_int_equal(vlapic_timer_next_ns(&v), 2000000);
	assert_int_equal(rd(&v, TMCCT), 1000000);
	now_ns = 1500000;
	assert_int_equal(rd(&v, TMCCT), 500000);
	vlapic_ack(&v, 0xec);
	wr(&v, EOI, 0);
	/* Ticked late: one interrupt, the next deadline stays on the grid. */
	now_ns = 4500000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), 0xec);
	assert_int_equal(vlapic_timer_next_ns(&v), 5000000);
	assert_int_equal(rd(&v, TMCCT), 500000);
	/* A new divide applies from the next reload. */
	wr(&v, TDCR, 0x0);                        /* divide by 2 */
	now_ns = 5000000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_timer_next_ns(&v), 7000000);
	/* Periodic to one-shot: the current period ends and nothing reloads. */
	wr(&v, LVTT, 0xec);
	now_ns = 7000000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	/* A tiny period is stretched to VLAPIC_MIN_PERIOD_NS. */
	wr(&v, LVTT, PERIODIC | 0xec);
	wr(&v, TMICT, 10);
	assert_int_equal(vlapic_timer_next_ns(&v), now_ns + VLAPIC_MIN_PERIOD_NS);
	assert_int_equal(rd(&v, TMCCT), 10);
}

static void test_masked_timer(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	wr(&v, TDCR, 0xb);
	wr(&v, LVTT, MASKED | 0xef);
	wr(&v, TMICT, 100);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	now_ns = 50;
	assert_int_equal(rd(&v, TMCCT), 50);     /* still counts */
	now_ns = 200;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* Unmasking after the expiry does not fire it late. */
	wr(&v, LVTT, 0xef);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	assert_int_equal(rd(&v, TMCCT), 0);
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* Masked periodic: keeps counting, never interrupts. */
	wr(&v, LVTT, MASKED | PERIODIC | 0xef);
	wr(&v, TMICT, 200000);
	now_ns += 1000000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* Software disable masks the timer too. */
	wr(&v, LVTT, PERIODIC | 0xef);
	wr(&v, SVR, 0xff);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	now_ns += 1000000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);
}

static void test_tsc_deadline(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, true);                  /* TSC at 3 GHz */
	x2apic_on(&v);
	/* Other modes: the MSR reads 0 and ignores writes. */
	vlapic_tsc_deadline_write(&v, 3000);
	assert_int_equal(vlapic_tsc_deadline_read(&v), 0);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);

	/* Linux's lapic_timer_set_oneshot() with TSC deadline. */
	msr_wr(&v, MSR(LVTT), DEADLINE | 0xec);
	msr_wr(&v, MSR(TMICT), 1000);             /* ignored */
	assert_int_equal(msr_rd(&v, MSR(TMICT)), 0);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	vlapic_tsc_deadline_write(&v, 3000);
	assert_int_equal(vlapic_tsc_deadline_read(&v), 3000);
	assert_int_equal(vlapic_timer_next_ns(&v), 1000);
	assert_int_equal(msr_rd(&v, MSR(TMCCT)), 0);
	now_ns = 999;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	now_ns = 1000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), 0xec);
	assert_int_equal(vlapic_tsc_deadline_read(&v), 0);   /* disarmed */
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	vlapic_ack(&v, 0xec);
	msr_wr(&v, MSR(EOI), 0);
	now_ns = 5000;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), -1);

	/* IA32_TSC_ADJUST moved the guest's TSC: an armed deadline follows
	 * (the TSC read 1500 at vclock 0, so 3000 comes at 500 ns; after a
	 * negative adjustment, -3000, at 2000 ns). */
	now_ns = 0;
	vlapic_tsc_deadline_write(&v, 3000);
	vlapic_set_tsc_base(&v, 1500);
	assert_int_equal(vlapic_timer_next_ns(&v), 500);
	vlapic_set_tsc_base(&v, (uint64_t)-3000);
	assert_int_equal(vlapic_timer_next_ns(&v), 2000);
	vlapic_set_tsc_base(&v, 0);
	assert_int_equal(vlapic_timer_next_ns(&v), 1000);
	vlapic_tsc_deadline_write(&v, 0);
	now_ns = 5000;

	/* Rounded up: TSC 3001 is reached at 1000.33 ns, so 1001. */
	vlapic_tsc_deadline_write(&v, 3001);
	assert_int_equal(vlapic_timer_next_ns(&v), 1001);
	/* A deadline in the past fires at the next tick. */
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_pending_vector(&v), 0xec);
	vlapic_ack(&v, 0xec);
	msr_wr(&v, MSR(EOI), 0);
	/* 0 disarms. */
	vlapic_tsc_deadline_write(&v, 30000000);
	vlapic_tsc_deadline_write(&v, 0);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	/* Leaving TSC-deadline mode disarms it and clears the MSR. */
	vlapic_tsc_deadline_write(&v, 30000000);
	msr_wr(&v, MSR(LVTT), 0xec);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	msr_wr(&v, MSR(LVTT), DEADLINE | 0xec);
	assert_int_equal(vlapic_tsc_deadline_read(&v), 0);
	/* Entering it stops a one-shot count. */
	msr_wr(&v, MSR(LVTT), 0xec);
	msr_wr(&v, MSR(TMICT), 1000);
	msr_wr(&v, MSR(LVTT), DEADLINE | 0xec);
	assert_int_equal(vlapic_timer_next_ns(&v), VLAPIC_NO_TIMER);
	assert_int_equal(msr_rd(&v, MSR(TMICT)), 0);
	/* Masked: expires silently, disarmed all the same. */
	msr_wr(&v, MSR(LVTT), MASKED | DEADLINE | 0xec);
	vlapic_tsc_deadline_write(&v, 1);
	now_ns += 10;
	vlapic_timer_tick(&v);
	assert_int_equal(vlapic_tsc_deadline_read(&v), 0);
	assert_int_equal(vlapic_pending_vector(&v), -1);

	/* A guest TSC that read tsc_base when the VM started. */
	v.cfg.tsc_base = 1000000;
	msr_wr(&v, MSR(LVTT), DEADLINE | 0xec);
	vlapic_tsc_deadline_write(&v, 1000000 + 3000);
	assert_int_equal(vlapic_timer_next_ns(&v), 1000);
	vlapic_tsc_deadline_write(&v, 999999);
	assert_int_equal(vlapic_timer_next_ns(&v), 0);
	assert_int_equal(vlapic_tsc_deadline_read(&v), 0);   /* fired */
	assert_int_equal(vlapic_pending_vector(&v), 0xec);
}

/* Conversions are exact (rounded up) and do not overflow. */
static void test_deadline_math(void **state)
{
	static const uint64_t hz[] = { 1, 999999937ULL, 2100000007ULL, 3000000000ULL, VLAPIC_MAX_HZ };
	static const uint64_t tsc[] = { 1, 2, 1000000007ULL, 1ULL << 40, 0x123456789abcdefULL,
					1ULL << 62, UINT64_MAX };
	struct vlapic v;
	struct vlapic_config cfg = { .clock = { fake_now, NULL } };

	(void)state;
	now_ns = 0;
	for (size_t i = 0; i < sizeof(hz) / sizeof(hz[0]); i++) {
		cfg.tsc_hz = hz[i];
		assert_int_equal(vlapic_init(&v, &cfg), 0);
		wr(&v, SVR, 0x1ff);
		wr(&v, LVTT, DEADLINE | 0xec);
		for (size_t j = 0; j < sizeof(tsc) / sizeof(tsc[0]); j++) {
			unsigned __int128 p = (unsigned __int128)tsc[j] * 1000000000ULL;
			unsigned __int128 want = (p + hz[i] - 1) / hz[i];

			vlapic_tsc_deadline_write(&v, tsc[j]);
			if (want >= UINT64_MAX)
				assert_int_equal(vlapic_timer_next_ns(&v), UINT64_MAX);
			else
				assert_int_equal(vlapic_timer_next_ns(&v), (uint64_t)want);
		}
	}
}

static void test_ipis(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	/* Self shorthand, fixed (Linux's __default_send_IPI_shortcut()). */
	wr(&v, ICR, 1u << 18 | 0x60);
	assert_true(vec_bit(&v, IRR, 0x60));
	assert_int_equal(ipi_count, 0);
	assert_int_equal(rd(&v, ICR) & (1u << 12), 0);    /* never busy */
	/* Physical destination: this APIC, then another. */
	wr(&v, ICR2, 0);
	wr(&v, ICR, 0x61);
	assert_true(vec_bit(&v, IRR, 0x61));
	assert_int_equal(ipi_count, 0);
	wr(&v, ICR2, 1u << 24);
	wr(&v, ICR, 0x62);
	assert_false(vec_bit(&v, IRR, 0x62));
	assert_int_equal(ipi_count, 1);
	assert_int_equal(ipi_last, 1ULL << 32 | 0x62);
	assert_int_equal(rd(&v, ICR2), 1u << 24);
	/* All excluding self; all including self; physical broadcast. */
	wr(&v, ICR, 3u << 18 | 0x63);
	assert_false(vec_bit(&v, IRR, 0x63));
	assert_int_equal(ipi_count, 2);
	wr(&v, ICR, 2u << 18 | 0x64);
	assert_true(vec_bit(&v, IRR, 0x64));
	assert_int_equal(ipi_count, 3);
	wr(&v, ICR2, 0xffu << 24);
	wr(&v, ICR, 0x65);
	assert_true(vec_bit(&v, IRR, 0x65));
	assert_int_equal(ipi_count, 4);
	assert_int_equal(ipi_last, 0xffULL << 32 | 0x65);
	/* Logical flat: LDR bit 0 is ours; others may share a bit. */
	wr(&v, ICR2, 0x01u << 24);
	wr(&v, ICR, 1u << 11 | 0x66);
	assert_true(vec_bit(&v, IRR, 0x66));
	assert_int_equal(ipi_count, 5);
	wr(&v, ICR2, 0x06u << 24);
	wr(&v, ICR, 1u << 11 | 0x67);
	assert_false(vec_bit(&v, IRR, 0x67));
	assert_int_equal(ipi_count, 6);
	/* Lowest priority, even naming this APIC: the callback arbitrates
	 * (this APIC may win there); nothing is taken here. */
	wr(&v, ICR2, 0x01u << 24);
	wr(&v, ICR, 1u << 11 | 1u << 8 | 0x68);
	assert_false(vec_bit(&v, IRR, 0x68));
	assert_int_equal(ipi_count, 7);
	assert_int_equal(ipi_last, 0x01ULL << 32 | 1u << 11 | 1u << 8 | 0x68);
	/* NMI, INIT, SIPI: always the callback, even for this APIC. */
	wr(&v, ICR, 1u << 18 | 4u << 8);
	assert_int_equal(ipi_count, 8);
	assert_int_equal(ipi_last, 0x01ULL << 32 | 1u << 18 | 4u << 8);
	wr(&v, ICR2, 1u << 24);
	wr(&v, ICR, 5u << 8 | 1u << 14);
	wr(&v, ICR, 6u << 8 | 0x9a);
	assert_int_equal(ipi_count, 10);
	assert_int_equal(ipi_last, 1ULL << 32 | 6u << 8 | 0x9a);
	assert_false(vec_bit(&v, IRR, 0x9a));
	/* A fixed IPI with an illegal vector is not sent (11.5.3). */
	wr(&v, ICR, 1u << 18 | 0x05);
	wr(&v, ICR, 0x07);
	assert_int_equal(ipi_count, 10);
	assert_false(vec_bit(&v, IRR, 0x05));
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0x20);
	/* No callback: IPIs to others are dropped; lowest priority naming
	 * this APIC is taken here. */
	v.cfg.send_ipi = NULL;
	wr(&v, ICR, 3u << 18 | 0x69);
	assert_int_equal(ipi_count, 10);
	wr(&v, ICR2, 0x01u << 24);
	wr(&v, ICR, 1u << 11 | 1u << 8 | 0x6a);
	assert_true(vec_bit(&v, IRR, 0x6a));
}

static void test_cluster_logical(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 5, false);
	linux_xapic_setup(&v);
	wr(&v, DFR, 0x0fffffff);                  /* cluster model */
	wr(&v, LDR, 0x32u << 24);                 /* cluster 3, member bit 1 */
	wr(&v, ICR2, 0x33u << 24);
	wr(&v, ICR, 1u << 11 | 0x70);
	assert_true(vec_bit(&v, IRR, 0x70));
	wr(&v, ICR2, 0x23u << 24);                /* cluster 2 */
	wr(&v, ICR, 1u << 11 | 0x71);
	assert_false(vec_bit(&v, IRR, 0x71));
	wr(&v, ICR2, 0x34u << 24);                /* cluster 3, other member */
	wr(&v, ICR, 1u << 11 | 0x72);
	assert_false(vec_bit(&v, IRR, 0x72));
}

static void test_errors(void **state)
{
	struct vlapic v;

	(void)state;
	setup_apic(&v, 0, false);
	linux_xapic_setup(&v);
	/* An illegal vector received: logged, signalled on the LVT error
	 * entry, never in IRR (11.5.2). */
	vlapic_accept_irq(&v, 5, false);
	assert_false(vec_bit(&v, IRR, 5));
	assert_int_equal(vlapic_pending_vector(&v), 0xfe);
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0x40);
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0);
	/* An illegal LVT error vector does not loop. */
	wr(&v, LVTERR, 0x03);
	vlapic_accept_irq(&v, 1, false);
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0x40);
	vlapic_ack(&v, 0xfe);
	wr(&v, EOI, 0);
	assert_int_equal(vlapic_pending_vector(&v), -1);
	/* A timer with an illegal vector logs an error, no interrupt; a
	 * masked LVT error entry signals nothing. */
	wr(&v, LVTERR, MASKED | 0xfe);
	wr(&v, LVTT, 0x0f);
	wr(&v, TMICT, 1);
	now_ns = 1000;
	vlapic_timer_tick(&v);
	assert_false(vec_bit(&v, IRR, 0x0f));
	assert_int_equal(vlapic_pending_vector(&v), -1);
	wr(&v, ESR, 0);
	assert_int_equal(rd(&v, ESR), 0x40);
}

/* Saved with a periodic timer a third of the way through its period, a
 * vector requested and one in service, loaded into a fresh local APIC
 * whose clock has another origin: the same registers, the same current
 * count, the next expiry as far ahead, the same vector next. */
static void test_state_round_trip(void **state)
{
	struct vlapic v, w;
	struct vms_out *o;
	struct vms_section sec;
	const uint8_t *payload;
	uint8_t copy[512];
	size_t n;

	(void)state;
	setup_apic(&v, 0, true);
	wr(&v, SVR, 0x1ff);
	wr(&v, TDCR, 0xb);                       /* divide by 1 */
	wr(&v, LVTT, PERIODIC | 0xec);
	wr(&v, TMICT, 3000);                     /* 3 us at 1 GHz: the minimum period instead */
	vlapic_accept_irq(&v, 0x51, false);
	vlapic_ack(&v, 0x51);                    /* in service */
	vlapic_accept_irq(&v, 0x61, true);       /* requested, level */
	now_ns = 40000;
	o = vms_test_out();
	vlapic_save(&v, 0, o);
	payload = vms_test_payload(o, &n);
	assert_int_equal(n, 8 + 4 + 1 + 8 + 8 + 64 * 4);

	setup_apic(&w, 0, true);
	now_ns = 9000000;
	sec = vms_test_section(VMS_LAPIC, 0, payload, n);
	assert_int_equal(vlapic_load(&w, &sec), 0);
	assert_memory_equal(w.reg, v.reg, sizeof(v.reg));
	assert_int_equal(vlapic_timer_next_ns(&w), 9000000 + 100000 - 40000);
	assert_int_equal(vlapic_pending_vector(&w), 0x61);
	assert_true(vec_bit(&w, TMR, 0x61));
	assert_true(vec_bit(&w, ISR, 0x51));
	now_ns = 9000000 + 60000;
	vlapic_timer_tick(&w);
	assert_true(vec_bit(&w, IRR, 0xec));

	/* Malformed: refused, w as it was. */
	memcpy(copy, payload, n);
	copy[29 + 0x20 * 4] = 0x20;              /* vector 5 requested */
	sec = vms_test_section(VMS_LAPIC, 0, copy, n);
	assert_int_equal(vlapic_load(&w, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[29 + 0x32 * 4 + 1] |= 0x10;         /* LVT timer: delivery status */
	sec = vms_test_section(VMS_LAPIC, 0, copy, n);
	assert_int_equal(vlapic_load(&w, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[1] &= 0xfe;                         /* BSP clear: not this vCPU's */
	sec = vms_test_section(VMS_LAPIC, 0, copy, n);
	assert_int_equal(vlapic_load(&w, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[1] = 0x05;                          /* x2APIC bit without enable */
	sec = vms_test_section(VMS_LAPIC, 0, copy, n);
	assert_int_equal(vlapic_load(&w, &sec), HV_EINVAL);
	sec = vms_test_section(VMS_LAPIC, 0, payload, n - 1);
	assert_int_equal(vlapic_load(&w, &sec), HV_EINVAL);
	memcpy(copy, payload, n);
	copy[1] = 0x0d;                          /* x2APIC mode ... */
	setup_apic(&w, 0, false);                /* ... where none is offered */
	sec = vms_test_section(VMS_LAPIC, 0, copy, n);
	assert_int_equal(vlapic_load(&w, &sec), HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_xapic_mmio),
		cmocka_unit_test(test_apic_base_transitions),
		cmocka_unit_test(test_x2apic_msrs),
		cmocka_unit_test(test_tpr_ppr),
		cmocka_unit_test(test_nested_priorities),
		cmocka_unit_test(test_level_eoi),
		cmocka_unit_test(test_software_disabled),
		cmocka_unit_test(test_oneshot_timer),
		cmocka_unit_test(test_periodic_timer),
		cmocka_unit_test(test_masked_timer),
		cmocka_unit_test(test_tsc_deadline),
		cmocka_unit_test(test_deadline_math),
		cmocka_unit_test(test_ipis),
		cmocka_unit_test(test_cluster_logical),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
