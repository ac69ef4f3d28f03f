/* A guest's pair of 8259A programmable interrupt controllers, as wired in
 * a PC: the master at ports 0x20-0x21 with the slave's INT output on its
 * IR2, the slave at 0xa0-0xa1, and the PIIX/ICH edge/level control
 * registers (ELCR) at 0x4d0-0x4d1.  A pure register model: devices drive
 * input lines with vpic_set_irq(), and the vCPU side asks for the vector
 * to inject (vpic_pending_vector) and acknowledges it (vpic_ack) the way
 * the CPU's INTA cycles do. */
#ifndef HV_VPIC_H
#define HV_VPIC_H

#include <hv/io.h>
#include <hv/types.h>

#define VPIC_MASTER_BASE 0x20
#define VPIC_SLAVE_BASE  0xa0
#define VPIC_ELCR_BASE   0x4d0
#define VPIC_CASCADE_IRQ 2

/* Called when the master's INT output (to the CPU's INTR pin) changes, so
 * that the hypervisor can open an interrupt window.  May be NULL. */
typedef void (*vpic_intr_fn)(void *ctx, bool level);

struct vpic_chip {
	uint8_t irr;          /* interrupt request register */
	uint8_t isr;          /* in-service register */
	uint8_t imr;          /* interrupt mask register (OCW1) */
	uint8_t elcr;         /* 1 = level-triggered input */
	uint8_t elcr_mask;    /* inputs whose trigger mode can be changed */
	uint8_t lines;        /* current input levels, for edge detection */
	uint8_t vector_base;  /* ICW2, T7-T3 */
	uint8_t icw3;
	uint8_t lowest;       /* the input with the lowest priority (rotation) */
	uint8_t init_step;    /* next ICW expected on the data port, 0 = none */
	bool icw4_needed, single, auto_eoi, rotate_on_aeoi;
	bool special_mask, read_isr, poll;
};

struct vpic {
	struct vpic_chip chip[2];  /* [0] master, [1] slave */
	bool intr;                 /* the master's INT output */
	vpic_intr_fn intr_fn;
	void *intr_ctx;
};

/* Power-on state: uninitialised chips with all inputs unmasked and edge
 * triggered, as after a reset (the guest's ICW sequence sets them up). */
void vpic_init(struct vpic *pic, vpic_intr_fn intr, void *ctx);
/* Registers 0x20-0x21, 0xa0-0xa1 and 0x4d0-0x4d1 on a port I/O bus. */
int vpic_attach(struct vpic *pic, struct io_bus *pio);
int vpic_read(void *dev, uint64_t port, unsigned size, uint64_t *val);
int vpic_write(void *dev, uint64_t port, unsigned size, uint64_t val);

/* Drive input irq (0-15; 8-15 are the slave's) to level. */
void vpic_set_irq(struct vpic *pic, unsigned irq, bool level);
/* The vector the next INTA would return, or -1 when INT is low. */
int vpic_pending_vector(struct vpic *pic);
/* The INTA cycles: move the highest request to in-service (unless auto-EOI)
 * and return its vector; -1 (and no change) when nothing is pending. */
int vpic_ack(struct vpic *pic);

/* Its section of the state stream (VMS_PIC, hv/vmstate.h), and back:
 * 0, or HV_EINVAL for registers the 8259As could not hold (the PIC is
 * left as it was); INTR is driven as the loaded registers say. */
struct vms_out;
struct vms_section;
void vpic_save(const struct vpic *pic, struct vms_out *o);
int vpic_load(struct vpic *pic, struct vms_section *s);

#endif
