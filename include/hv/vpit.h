/* A guest's 8254 programmable interval timer (ports 0x40-0x43) and the
 * part of the PC's system control port B (0x61) that belongs to it:
 * bit 0 gates channel 2, bit 5 reads channel 2's output.  Counters run
 * from a struct vclock at 1193182 Hz; channel 0's output drives IRQ 0
 * through a struct irq_sink.  The hypervisor arms a timer for
 * vpit_next_event_ns() and calls vpit_tick() when it fires. */
#ifndef HV_VPIT_H
#define HV_VPIT_H

#include <hv/io.h>
#include <hv/irq.h>
#include <hv/types.h>

#define VPIT_HZ        1193182u
#define VPIT_BASE      0x40
#define VPIT_PORT_B    0x61
#define VPIT_IRQ       0
#define VPIT_NO_EVENT  UINT64_MAX

struct vpit_channel {
	uint8_t ctrl;          /* RW, mode and BCD bits of the last control word */
	uint8_t mode;          /* 0-5 (6 and 7 are 2 and 3) */
	bool gate;
	bool loaded;           /* a full count was written since the control word */
	bool running;          /* the counting element is counting */
	bool triggered;        /* modes 1 and 5: a gate edge started the count */
	bool null_count;
	uint32_t count;        /* the initial count, 1-65536 */
	uint64_t tick_base;    /* ticks counted before run_since */
	uint64_t run_since;    /* vclock ns when counting (re)started */
	uint64_t delivered;    /* tick of the last output edge turned into an IRQ */
	bool write_msb_next;   /* read/write flip-flops of two-byte access */
	bool read_msb_next;
	uint8_t write_lsb;
	uint8_t latched[2];    /* latched count bytes, in read order */
	uint8_t latched_left;
	bool status_latched;
	uint8_t status;
};

struct vpit {
	struct vpit_channel ch[3];
	uint8_t port_b;        /* port 0x61 bits 0-3 as written */
	uint64_t irq_coalesced; /* channel 0 periods merged into one pulse */
	struct vclock clock;
	struct irq_sink irq;
};

/* Channels idle (mode 0, no count) until the guest programs them; gates of
 * channels 0 and 1 tied high, channel 2's gate low (port 0x61 bit 0). */
void vpit_init(struct vpit *pit, const struct vclock *clock, const struct irq_sink *irq);
/* Registers ports 0x40-0x43 and 0x61 on a port I/O bus. */
int vpit_attach(struct vpit *pit, struct io_bus *pio);
int vpit_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vpit_write(void *dev, uint64_t port, unsigned size, uint64_t val);

/* vclock time of channel 0's next rising output edge not yet delivered
 * (possibly in the past), or VPIT_NO_EVENT. */
uint64_t vpit_next_event_ns(struct vpit *pit);
/* Pulse IRQ 0 once if that edge has come; periods missed since are merged
 * into that one pulse (an edge-triggered PIC would merge them anyway). */
void vpit_tick(struct vpit *pit);

/* Its section of the state stream (VMS_PIT, hv/vmstate.h), and back:
 * 0, or HV_EINVAL for a section vpit_write could not have made (the PIT
 * is left as it was).  The IRQ is edge-triggered: no line state. */
struct vms_out;
struct vms_section;
void vpit_save(const struct vpit *pit, struct vms_out *o);
int vpit_load(struct vpit *pit, struct vms_section *s);

#endif
