/* The virtio PCI transport, modern only (VIRTIO 1.2, 4.1): a PCI function
 * 1af4:(1040 + device type) with the vendor-specific capabilities that
 * point into BAR 0 (common configuration at 0x0000, ISR at 0x1000,
 * device configuration at 0x2000, queue notifications at 0x3000, 4 bytes
 * a queue) and an MSI-X table in BAR 1 (its PBA at 0x800), which the
 * guest's local APICs receive; while MSI-X is off, the INTA line (to an
 * I/O APIC pin the platform chooses) is asserted while the ISR has a bit
 * set (4.1.4.5).  A device model (virtio_rng.c, ...) gives its type,
 * features, queues and configuration bytes and is told of notifications;
 * the transport negotiates features (VIRTIO_F_VERSION_1 required), keeps
 * the queues (hv/virtq.h), interrupts the driver, and puts the device
 * into DEVICE_NEEDS_RESET, with one console line, when the driver breaks
 * a rule.  Departure: no VIRTIO_PCI_CAP_PCI_CFG window. */
#ifndef HV_VIRTIO_PCI_H
#define HV_VIRTIO_PCI_H

#include <hv/virtq.h>
#include <hv/vpci.h>

#define VIRTIO_MAX_QUEUES 4
#define VIRTIO_NO_VECTOR  0xffff

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

/* Feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC BIT(28)
#define VIRTIO_F_EVENT_IDX     BIT(29)
#define VIRTIO_F_VERSION_1     (1ULL << 32)

/* Device types (5). */
#define VIRTIO_ID_NET     1
#define VIRTIO_ID_BLOCK   2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG     4
#define VIRTIO_ID_BALLOON 5

struct virtio_pci;

struct virtio_dev_ops {
	uint16_t type;             /* VIRTIO_ID_* */
	const char *name;          /* for the console: "virtio-blk" */
	uint64_t features;         /* the device's own, beside the transport's */
	unsigned queues;           /* 1..VIRTIO_MAX_QUEUES */
	unsigned config_len;       /* bytes of device configuration, up to 256 (0: none) */
	/* The device configuration as the driver reads it now, and a write
	 * to it (may be NULL: writes are ignored). */
	void (*config)(const struct virtio_pci *vp, uint8_t *out);
	void (*config_write)(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t val);
	/* The driver notified queue q (or the device may go on with it). */
	void (*notify)(struct virtio_pci *vp, unsigned q);
	void (*reset)(struct virtio_pci *vp);   /* may be NULL */
};

/* What the transport needs of the VM: its RAM, a way to send an MSI
 * (address and data as the table holds them), the console, and an
 * interrupt line (NULL: none, the interrupt pin reads 0). */
struct virtio_host {
	struct gmem mem;
	void (*msi)(void *ctx, uint64_t addr, uint32_t data);
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	void (*intx)(void *ctx, unsigned irq, bool level);
	unsigned irq;              /* the line's I/O APIC pin, in PCI_INTERRUPT_LINE */
};

struct msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

struct virtio_pci {
	struct vpci_func func;
	const struct virtio_dev_ops *ops;
	uint64_t features;         /* the device's own: ops's, and what its model adds */
	struct virtio_host host;
	void *dev;                 /* the device model's state */
	/* Common configuration (4.1.4.3). */
	uint32_t device_feature_select, driver_feature_select;
	uint64_t driver_features;
	uint16_t config_vector;
	uint8_t status;
	uint16_t queue_select;
	struct virtq vq[VIRTIO_MAX_QUEUES];
	uint16_t queue_vector[VIRTIO_MAX_QUEUES];
	bool queue_enabled[VIRTIO_MAX_QUEUES];
	uint8_t isr;
	bool intx_level;           /* INTA asserted */
	struct msix_entry msix[VIRTIO_MAX_QUEUES + 1];
	uint32_t pending;          /* MSI-X vectors held by a mask */
};

/* Build the PCI function for ops; vpci_add() it into the bus. */
void virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops, void *dev,
		     const struct virtio_host *host);
/* The features both sides agreed on (after FEATURES_OK). */
static inline uint64_t virtio_features(const struct virtio_pci *vp) { return vp->driver_features; }
/* The device used entries of queue q: interrupt the driver if it wants. */
void virtio_pci_interrupt(struct virtio_pci *vp, unsigned q);
/* Every chain available on queue q handed to serve (which returns it
 * with virtq_push), then avail_event moved on and one more look for a
 * chain made meanwhile (EVENT_IDX: the driver notifies only past it,
 * 2.7.10); a malformed ring fails the device; the driver interrupted if it
 * wants.  c holds each chain (the device's: 4 KiB, not the stack's). */
void virtio_queue_drain(struct virtio_pci *vp, unsigned q, struct virtq_chain *c,
			void (*serve)(struct virtio_pci *vp, struct virtq *q,
				      const struct virtq_chain *c));
/* One console line about the device, its name first. */
void virtio_pci_report(struct virtio_pci *vp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The device configuration changed: the driver is told (4.1.4.5). */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* The driver broke a rule: DEVICE_NEEDS_RESET, one console line. */
void virtio_pci_fail(struct virtio_pci *vp, const char *why);
/* Whether queue q may be used: the driver is ready (DRIVER_OK), the
 * queue enabled, the device not needing a reset. */
bool virtio_queue_ready(const struct virtio_pci *vp, unsigned q);

#endif
