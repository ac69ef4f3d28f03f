/* ACPI fixed hardware for a guest (ACPI 6.5, 4.8): the PM1a event and
 * control blocks and the PM timer, at the ports the guest's FADT names,
 * plus the chipset reset control register at 0xCF9.  A guest powers off by
 * writing SLP_EN with the \_S5 sleep type to PM1a_CNT, sleeps (S3,
 * suspend to RAM) with the \_S3 type, and resets through 0xCF9 or the
 * FADT reset register (also 0xCF9).  The power button and RTC status bits
 * are set by the platform (vpm_status); with their enable bits they raise
 * the SCI in the working state and, asleep, wake the machine (vpm_wake). */
#ifndef HV_VPM_H
#define HV_VPM_H

#include <hv/io.h>
#include <hv/irq.h>

#define VPM_PM1A_EVT_PORT 0x600   /* 4 bytes: status, enable */
#define VPM_PM1A_CNT_PORT 0x604   /* 2 bytes */
#define VPM_PM_TMR_PORT   0x608   /* 4 bytes */
#define VPM_RESET_PORT    0xcf9
#define VPM_PM_TMR_HZ     3579545ULL  /* ACPI 6.5, 4.8.3.3 */

/* PM1 status bits (ACPI 6.5, table 4.11); the enable bits are alike. */
#define VPM_STS_TMR       0x0001
#define VPM_STS_PWRBTN    0x0100
#define VPM_STS_RTC       0x0400
#define VPM_STS_WAK       0x8000

enum vpm_event { VPM_POWER_OFF, VPM_RESET, VPM_SLEEP };
typedef void (*vpm_event_fn)(void *ctx, enum vpm_event ev);

struct vpm {
	uint16_t pm1_status, pm1_enable, pm1_cnt;
	uint8_t reset_ctl;
	uint8_t s3_type, s5_type;  /* SLP_TYP of \_S3 and \_S5 in the guest's DSDT */
	bool sleeping;             /* in S3, until vpm_wake */
	bool sci_level;
	struct vclock clock;
	vpm_event_fn event;
	void *event_ctx;
	struct irq_sink sci;
	unsigned sci_line;
};

void vpm_init(struct vpm *pm, uint8_t s3_type, uint8_t s5_type, const struct vclock *clock,
	      vpm_event_fn event, void *ctx);
/* The SCI's line (the FADT's SCI_INT); without one no SCI is raised. */
void vpm_set_sci(struct vpm *pm, const struct irq_sink *sink, unsigned line);
/* A fixed event's hardware sets its status bits (VPM_STS_PWRBTN, _RTC). */
void vpm_status(struct vpm *pm, uint16_t bits);
/* Asleep: whether an event wakes the machine now (the power button
 * always, the RTC alarm with RTC_EN: ACPI 6.5, 4.8.3.1.1); if so, WAK_STS
 * is set and the machine is awake.  False when not asleep. */
bool vpm_wake(struct vpm *pm);
int vpm_attach(struct vpm *pm, struct io_bus *pio);
int vpm_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vpm_write(void *dev, uint64_t port, unsigned size, uint64_t val);

#endif
