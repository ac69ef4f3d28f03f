/* ACPI PM1a event/control blocks, PM timer and the 0xCF9 reset control. */
#include <hv/string.h>
#include <hv/vpm.h>

#define PM1_CNT_SCI_EN      0x0001
#define PM1_CNT_SLP_TYP(v)  (((v) >> 10) & 7)
#define PM1_CNT_SLP_EN      0x2000
#define PM1_STS_TMR         0x0001
#define PM_TMR_MASK         0xffffffu   /* 24-bit timer: FADT TMR_VAL_EXT clear */
#define RESET_CTL_SYS_RST   0x02        /* with RST_CPU: a hard reset */
#define RESET_CTL_RST_CPU   0x04

/* What raises the SCI in the working state (table 4.11, 4.12). */
#define SCI_EVENTS (VPM_STS_TMR | VPM_STS_PWRBTN | VPM_STS_RTC)

void vpm_init(struct vpm *pm, uint8_t s3_type, uint8_t s5_type, const struct vclock *clock,
	      vpm_event_fn event, void *ctx)
{
	memset(pm, 0, sizeof(*pm));
	pm->s3_type = s3_type;
	pm->s5_type = s5_type;
	pm->clock = *clock;
	pm->event = event;
	pm->event_ctx = ctx;
	/* ACPI mode is always on: there is no SMI_CMD to switch to it. */
	pm->pm1_cnt = PM1_CNT_SCI_EN;
}

void vpm_set_sci(struct vpm *pm, const struct irq_sink *sink, unsigned line)
{
	pm->sci = *sink;
	pm->sci_line = line;
}

/* The SCI is level-triggered: asserted while an enabled event's status
 * is set (4.8.3.1), never while asleep. */
static void update_sci(struct vpm *pm)
{
	bool level = !pm->sleeping && (pm->pm1_status & pm->pm1_enable & SCI_EVENTS);

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	irq_set(&pm->sci, pm->sci_line, level);
}

void vpm_status(struct vpm *pm, uint16_t bits)
{
	pm->pm1_status |= bits;
	update_sci(pm);
}

bool vpm_wake(struct vpm *pm)
{
	bool rtc = (pm->pm1_status & pm->pm1_enable & VPM_STS_RTC) != 0;

	if (!pm->sleeping || !(rtc || (pm->pm1_status & VPM_STS_PWRBTN)))
		return false;
	pm->sleeping = false;
	pm->pm1_status |= VPM_STS_WAK;
	update_sci(pm);
	return true;
}

int vpm_attach(struct vpm *pm, struct io_bus *pio)
{
	int rc = io_register(pio, VPM_PM1A_EVT_PORT, 4, "pm1a-evt", vpm_read, vpm_write, pm);

	rc = rc ? rc : io_register(pio, VPM_PM1A_CNT_PORT, 2, "pm1a-cnt", vpm_read, vpm_write, pm);
	/* 0xCF9 sits inside the PCI address register's ports: vpci hands
	 * byte accesses on to vpm_read/vpm_write (vpci_set_reset_control). */
	return rc ? rc : io_register(pio, VPM_PM_TMR_PORT, 4, "pm-timer", vpm_read, NULL, pm);
}

/* Ticks of the 3.579545 MHz timer since the VM started, without overflow
 * for centuries: split the nanoseconds into seconds and the rest. */
static uint32_t pm_timer(const struct vpm *pm)
{
	uint64_t ns = vclock_now(&pm->clock);
	uint64_t ticks = (ns / 1000000000ULL) * VPM_PM_TMR_HZ +
			 (ns % 1000000000ULL) * VPM_PM_TMR_HZ / 1000000000ULL;

	return (uint32_t)ticks & PM_TMR_MASK;
}

static uint64_t read_evt(const struct vpm *pm, unsigned off, unsigned size)
{
	uint32_t both = pm->pm1_status | (uint32_t)pm->pm1_enable << 16;

	both >>= 8 * off;
	return size >= 4 ? both : both & ((1u << (8 * size)) - 1);
}

int vpm_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	struct vpm *pm = dev;

	if (port >= VPM_PM1A_EVT_PORT && port < VPM_PM1A_EVT_PORT + 4)
		*val = read_evt(pm, (unsigned)(port - VPM_PM1A_EVT_PORT), size);
	else if (port == VPM_PM1A_CNT_PORT)
		*val = pm->pm1_cnt & (size == 1 ? 0xff : 0xffff);
	else if (port == VPM_PM1A_CNT_PORT + 1)
		*val = pm->pm1_cnt >> 8;
	else if (port == VPM_PM_TMR_PORT)
		*val = pm_timer(pm);
	else if (port == VPM_RESET_PORT)
		*val = pm->reset_ctl;
	else
		*val = ~0ULL;
	return 0;
}

static void write_cnt(struct vpm *pm, uint16_t v)
{
	/* SLP_EN is write-only; SCI_EN stays set (no legacy mode). */
	pm->pm1_cnt = (v & ~PM1_CNT_SLP_EN) | PM1_CNT_SCI_EN;
	if (!(v & PM1_CNT_SLP_EN) || pm->sleeping)
		return;
	if (PM1_CNT_SLP_TYP(v) == pm->s5_type) {
		pm->event(pm->event_ctx, VPM_POWER_OFF);
	} else if (PM1_CNT_SLP_TYP(v) == pm->s3_type) {
		/* 7.4.2.4 / 16.1.3: S3, memory kept, the processors off until
		 * a wake event; the platform stops the vCPUs. */
		pm->sleeping = true;
		update_sci(pm);
		pm->event(pm->event_ctx, VPM_SLEEP);
	}
	/* S1, S2 and S4 are not offered in the DSDT: ignored. */
}

static void write_evt(struct vpm *pm, unsigned off, unsigned size, uint64_t val)
{
	for (unsigned i = 0; i < size && off + i < 4; i++) {
		unsigned byte = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (byte < 2) /* status bits are write-1-to-clear */
			pm->pm1_status &= (uint16_t)~((unsigned)b << (8 * byte));
		else
			pm->pm1_enable = (uint16_t)((pm->pm1_enable & ~(0xffu << (8 * (byte - 2)))) |
						    (unsigned)b << (8 * (byte - 2)));
	}
	update_sci(pm);
}

int vpm_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	struct vpm *pm = dev;

	if (port >= VPM_PM1A_EVT_PORT && port < VPM_PM1A_EVT_PORT + 4) {
		write_evt(pm, (unsigned)(port - VPM_PM1A_EVT_PORT), size, val);
	} else if (port == VPM_PM1A_CNT_PORT) {
		write_cnt(pm, size == 1 ? (uint16_t)((pm->pm1_cnt & 0xff00) | (val & 0xff))
					: (uint16_t)val);
	} else if (port == VPM_PM1A_CNT_PORT + 1) {
		write_cnt(pm, (uint16_t)((pm->pm1_cnt & 0xff) | (val & 0xff) << 8));
	} else if (port == VPM_RESET_PORT) {
		/* 0xCF9: setting RST_CPU resets (Intel PCH datasheet, RST_CNT). */
		pm->reset_ctl = (uint8_t)val & 0x0e;
		if (val & RESET_CTL_RST_CPU)
			pm->event(pm->event_ctx, VPM_RESET);
	}
	return 0;
}
