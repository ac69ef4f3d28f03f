/* ACPI fixed hardware for a guest (ACPI 6.5, 4.8): the PM1a event and
 * control blocks and the PM timer, at the ports the guest's FADT names,
 * plus the chipset reset control register at 0xCF9.  A guest powers off by
 * writing SLP_EN with the \_S5 sleep type to PM1a_CNT, and resets through
 * 0xCF9 or the FADT reset register (also 0xCF9). */
#ifndef HV_VPM_H
#define HV_VPM_H

#include <hv/io.h>
#include <hv/irq.h>

#define VPM_PM1A_EVT_PORT 0x600   /* 4 bytes: status, enable */
#define VPM_PM1A_CNT_PORT 0x604   /* 2 bytes */
#define VPM_PM_TMR_PORT   0x608   /* 4 bytes */
#define VPM_RESET_PORT    0xcf9
#define VPM_PM_TMR_HZ     3579545ULL  /* ACPI 6.5, 4.8.3.3 */

enum vpm_event { VPM_POWER_OFF, VPM_RESET };
typedef void (*vpm_event_fn)(void *ctx, enum vpm_event ev);

struct vpm {
	uint16_t pm1_status, pm1_enable, pm1_cnt;
	uint8_t reset_ctl;
	uint8_t s5_type;           /* SLP_TYP of \_S5 in the guest's DSDT */
	struct vclock clock;
	vpm_event_fn event;
	void *event_ctx;
};

void vpm_init(struct vpm *pm, uint8_t s5_type, const struct vclock *clock, vpm_event_fn event,
	      void *ctx);
int vpm_attach(struct vpm *pm, struct io_bus *pio);
int vpm_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vpm_write(void *dev, uint64_t port, unsigned size, uint64_t val);

#endif
