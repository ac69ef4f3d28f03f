/* A guest's MC146818 real-time clock and CMOS RAM (ports 0x70-0x71).
 * The time of day is a base (seconds since 1970, UTC) plus the vclock;
 * the guest sees it in BCD or binary, 24- or 12-hour, as register B
 * asks, and can set it.  CMOS bytes 0x0e-0x7f are plain memory, with the
 * memory-size bytes that SeaBIOS and Linux's early code read filled in as
 * QEMU does.  The alarm sets AF and, with AIE, raises IRQ 8 until
 * register C is read (what `rtcwake` and ACPI's RTC wake use); periodic
 * and update-ended interrupts are not raised (Linux boots without them). */
#ifndef HV_VRTC_H
#define HV_VRTC_H

#include <hv/io.h>
#include <hv/irq.h>
#include <hv/types.h>

#define VRTC_BASE      0x70
#define VRTC_CMOS_SIZE 128

/* Registers (MC146818 datasheet, "Address Map"). */
#define VRTC_SECONDS   0x00
#define VRTC_SEC_ALARM 0x01
#define VRTC_MINUTES   0x02
#define VRTC_MIN_ALARM 0x03
#define VRTC_HOURS     0x04
#define VRTC_HOUR_ALARM 0x05
#define VRTC_WEEKDAY   0x06
#define VRTC_DAY       0x07
#define VRTC_MONTH     0x08
#define VRTC_YEAR      0x09
#define VRTC_REG_A     0x0a
#define VRTC_REG_B     0x0b
#define VRTC_REG_C     0x0c
#define VRTC_REG_D     0x0d
#define VRTC_CENTURY   0x32  /* IBM PC convention, the ACPI FADT default */

#define VRTC_A_UIP     0x80
#define VRTC_B_SET     0x80
#define VRTC_B_AIE     0x20
#define VRTC_B_UIE     0x10
#define VRTC_B_DM_BIN  0x04
#define VRTC_B_24H     0x02
#define VRTC_C_IRQF    0x80
#define VRTC_C_AF      0x20
#define VRTC_C_UF      0x10
#define VRTC_D_VRT     0x80

struct vrtc {
	uint8_t index;
	uint8_t cmos[VRTC_CMOS_SIZE];  /* time registers: as frozen while SET */
	int64_t base_sec;              /* the time at vclock base_ns */
	uint64_t base_ns;
	uint64_t last_c_ns;            /* vclock at the last read of register C */
	uint64_t alarm_ns;             /* vclock of the next update the alarm matches */
	uint8_t flags;                 /* AF latched since register C was read */
	bool irq_raised;               /* IRQ 8 asserted: AF with AIE, until C is read */
	struct vclock clock;
	struct irq_sink irq;
	unsigned irq_line;
};

/* epoch_sec: the time at the vclock's present reading (the hypervisor
 * reads the host RTC once).  ram_bytes: guest RAM, contiguous from
 * guest-physical 0; what lies past 4 GiB is reported as high memory. */
void vrtc_init(struct vrtc *rtc, const struct vclock *clock, uint64_t epoch_sec,
	       uint64_t ram_bytes);
/* The line the alarm interrupt drives (ISA IRQ 8 on a PC). */
void vrtc_set_irq(struct vrtc *rtc, const struct irq_sink *sink, unsigned irq);
/* When the alarm interrupt is next due (vclock ns), or UINT64_MAX. */
uint64_t vrtc_next_event_ns(const struct vrtc *rtc);
/* Raise what is due by now. */
void vrtc_tick(struct vrtc *rtc);
/* Registers ports 0x70-0x71 on a port I/O bus. */
int vrtc_attach(struct vrtc *rtc, struct io_bus *pio);
int vrtc_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vrtc_write(void *dev, uint64_t port, unsigned size, uint64_t val);

/* Seconds since 1970 of the time in MC146818 registers: cmos is indexed
 * by register number (0x00-0x32 at least), in the format register B at
 * cmos[0x0b] says.  For turning a reading of the host's RTC into
 * vrtc_init()'s epoch_sec. */
int64_t vrtc_regs_to_epoch(const uint8_t *cmos);

/* Its section of the state stream (VMS_RTC, hv/vmstate.h), and back:
 * 0, or HV_EINVAL for a section the RTC could not have made (it is left
 * as it was).  The guest's time of day goes on from the saved one. */
struct vms_out;
struct vms_section;
void vrtc_save(const struct vrtc *rtc, struct vms_out *o);
int vrtc_load(struct vrtc *rtc, struct vms_section *s);

#endif
