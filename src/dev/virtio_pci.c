/* The virtio PCI transport (include/hv/virtio_pci.h).  Section numbers are
 * those of VIRTIO 1.2; MSI-X is PCI Local Bus 3.0, 6.8.2. */
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/string.h>
#include <hv/virtio_pci.h>

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_DEVICE_BASE 0x1040   /* + device type: a modern-only device (4.1.2) */

/* BAR 0's regions, and the capabilities that point at them (4.1.4). */
#define BAR0_SIZE     0x4000
#define COMMON_OFF    0x0000
#define COMMON_LEN    0x38
#define ISR_OFF       0x1000
#define DEVICE_OFF    0x2000
#define NOTIFY_OFF    0x3000
#define NOTIFY_MULT   4
#define BAR1_SIZE     0x1000        /* the MSI-X table, then its PBA */
#define PBA_OFF       0x800

#define CAP_VENDOR    0x09
#define CAP_MSIX      0x11
#define CFG_COMMON    1
#define CFG_NOTIFY    2
#define CFG_ISR       3
#define CFG_DEVICE    4

#define CAP_COMMON_AT 0x40
#define CAP_NOTIFY_AT 0x50
#define CAP_ISR_AT    0x64
#define CAP_MSIX_AT   0x74
#define CAP_DEVICE_AT 0x80

#define MSIX_ENABLE   BIT(15)
#define MSIX_MASK_ALL BIT(14)
#define MSIX_VECTOR_MASKED 1
#define PCI_STATUS_INTERRUPT BIT(3)   /* INTx asserted (PCI 3.0 6.2.3) */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static unsigned vectors(const struct virtio_pci *vp) { return vp->ops->queues + 1; }

static uint64_t device_features(const struct virtio_pci *vp)
{
	return VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX | vp->features;
}

/* A virtio_pci_cap (4.1.4) at off, pointing at [offset, offset + len) of BAR 0. */
static void vendor_cap(uint8_t *cfg, unsigned off, unsigned next, unsigned len, uint8_t type,
		       uint32_t offset, uint32_t length)
{
	cfg[off] = CAP_VENDOR;
	cfg[off + 1] = (uint8_t)next;
	cfg[off + 2] = (uint8_t)len;
	cfg[off + 3] = type;
	cfg[off + 4] = 0;   /* BAR 0 */
	put32(&cfg[off + 8], offset);
	put32(&cfg[off + 12], length);
}

/* ---- interrupts ---- */

static bool msix_enabled(const struct virtio_pci *vp)
{
	return get16(&vp->func.cfg[CAP_MSIX_AT + 2]) & MSIX_ENABLE;
}

/* INTA follows the ISR while MSI-X is off and the command register lets
 * it (4.1.4.5.1; PCI 3.0 6.2.2: Interrupt Disable), shown in the status
 * register's Interrupt Status bit. */
static void update_intx(struct virtio_pci *vp)
{
	bool level = vp->isr && !msix_enabled(vp) &&
		     !(get16(&vp->func.cfg[PCI_COMMAND]) & PCI_COMMAND_INTX_DISABLE);

	if (!vp->host.intx || level == vp->intx_level)
		return;
	vp->intx_level = level;
	if (level)
		vp->func.cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		vp->func.cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	vp->host.intx(vp->host.ctx, vp->host.irq, level);
}

static void send_vector(struct virtio_pci *vp, uint16_t vec)
{
	uint16_t control = get16(&vp->func.cfg[CAP_MSIX_AT + 2]);
	const struct msix_entry *e;

	if (!(control & MSIX_ENABLE)) {
		update_intx(vp);
		return;
	}
	if (vec >= vectors(vp))
		return;   /* no vector: the ISR bit alone says it */
	if ((control & MSIX_MASK_ALL) || (vp->msix[vec].ctrl & MSIX_VECTOR_MASKED)) {
		vp->pending |= 1u << vec;   /* sent when unmasked (6.8.2.9) */
		return;
	}
	e = &vp->msix[vec];
	vp->pending &= ~(1u << vec);
	vp->host.msi(vp->host.ctx, (uint64_t)e->addr_hi << 32 | e->addr_lo, e->data);
}

static void send_pending(struct virtio_pci *vp)
{
	for (uint16_t v = 0; v < vectors(vp); v++)
		if (vp->pending & 1u << v)
			send_vector(vp, v);
}

void virtio_pci_interrupt(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->ops->queues || !virtq_should_interrupt(&vp->vq[q], &vp->host.mem))
		return;
	vp->isr |= 1;
	send_vector(vp, vp->queue_vector[q]);
}

void virtio_pci_report(struct virtio_pci *vp, const char *fmt, ...)
{
	char msg[200];
	size_t n;
	va_list ap;

	n = (size_t)hv_snprintf(msg, sizeof(msg), "%s: ", vp->ops->name);
	va_start(ap, fmt);
	hv_vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	vp->host.report(vp->host.ctx, msg);
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	virtio_pci_report(vp, "the driver broke a rule, the device needs a reset: %s", why);
	virtio_pci_config_changed(vp);   /* the driver looks at the status (4.1.5.3) */
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->isr |= 2;
	send_vector(vp, vp->config_vector);
}

void virtio_queue_drain(struct virtio_pci *vp, unsigned qn, struct virtq_chain *c,
			void (*serve)(struct virtio_pci *vp, struct virtq *q,
				      const struct virtq_chain *c))
{
	const struct gmem *m = &vp->host.mem;
	struct virtq *q = &vp->vq[qn];
	char err[120];
	int rc;

	do {
		while ((rc = virtq_pop(q, m, c, err, sizeof(err))) == 1)
			serve(vp, q, c);
		if (rc)
			break;
		virtq_want_notify(q, m, true);
		rc = virtq_pop(q, m, c, err, sizeof(err));
		if (rc == 1)
			serve(vp, q, c);
	} while (rc == 1);
	if (rc)
		virtio_pci_fail(vp, err);
	virtio_pci_interrupt(vp, qn);
}

bool virtio_queue_ready(const struct virtio_pci *vp, unsigned q)
{
	return q < vp->ops->queues && vp->queue_enabled[q] &&
	       (vp->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_NEEDS_RESET)) ==
		       VIRTIO_STATUS_DRIVER_OK;
}

/* ---- the common configuration (4.1.4.3) ---- */

static void reset(struct virtio_pci *vp)
{
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->driver_features = 0;
	vp->config_vector = VIRTIO_NO_VECTOR;
	vp->status = 0;
	vp->queue_select = 0;
	vp->isr = 0;
	update_intx(vp);
	vp->pending = 0;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vp->vq[q] = (struct virtq){ .size = VIRTQ_MAX_SIZE };
		vp->queue_vector[q] = VIRTIO_NO_VECTOR;
		vp->queue_enabled[q] = false;
	}
	for (unsigned v = 0; v < VIRTIO_MAX_QUEUES + 1; v++)
		vp->msix[v] = (struct msix_entry){ .ctrl = MSIX_VECTOR_MASKED };
	if (vp->ops->reset)
		vp->ops->reset(vp);
}

static uint64_t common_read(const struct virtio_pci *vp, unsigned off, unsigned size)
{
	uint8_t img[COMMON_LEN] = { 0 };
	unsigned q = vp->queue_select;
	uint64_t val = 0;

	put32(&img[0x00], vp->device_feature_select);
	if (vp->device_feature_select < 2)
		put32(&img[0x04], (uint32_t)(device_features(vp) >> (32 * vp->device_feature_select)));
	put32(&img[0x08], vp->driver_feature_select);
	if (vp->driver_feature_select < 2)
		put32(&img[0x0c], (uint32_t)(vp->driver_features >> (32 * vp->driver_feature_select)));
	put16(&img[0x10], vp->config_vector);
	put16(&img[0x12], (uint16_t)vp->ops->queues);
	img[0x14] = vp->status;
	put16(&img[0x16], vp->queue_select);
	if (q < vp->ops->queues) {
		put16(&img[0x18], vp->vq[q].size);
		put16(&img[0x1a], vp->queue_vector[q]);
		put16(&img[0x1c], vp->queue_enabled[q]);
		put16(&img[0x1e], (uint16_t)q);   /* queue_notify_off */
		put64(&img[0x20], vp->vq[q].desc);
		put64(&img[0x28], vp->vq[q].avail);
		put64(&img[0x30], vp->vq[q].used);
	}
	for (unsigned i = 0; i < size && off + i < COMMON_LEN; i++)
		val |= (uint64_t)img[off + i] << (8 * i);
	return val;
}

/* FEATURES_OK only for features the device offered, VERSION_1 among
 * them (3.1.1, 6.1). */
static uint8_t status_write(struct virtio_pci *vp, uint8_t val)
{
	uint64_t f = vp->driver_features;

	if ((val & VIRTIO_STATUS_FEATURES_OK) && !(vp->status & VIRTIO_STATUS_FEATURES_OK) &&
	    ((f & ~device_features(vp)) || !(f & VIRTIO_F_VERSION_1)))
		val &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	return (uint8_t)((val & ~VIRTIO_STATUS_NEEDS_RESET) | (vp->status & VIRTIO_STATUS_NEEDS_RESET));
}

/* A device uses no buffer before DRIVER_OK (3.1.1, 2.7.13), so what a
 * driver made available and notified before (Linux's balloon primes its
 * stats queue so) is looked at when it comes. */
static void set_status(struct virtio_pci *vp, uint8_t val)
{
	bool was_live = vp->status & VIRTIO_STATUS_DRIVER_OK;

	vp->status = status_write(vp, val);
	if (was_live || !(vp->status & VIRTIO_STATUS_DRIVER_OK))
		return;
	for (unsigned q = 0; q < vp->ops->queues; q++)
		if (virtio_queue_ready(vp, q))
			vp->ops->notify(vp, q);
}

static void enable_queue(struct virtio_pci *vp, unsigned q)
{
	char err[120], msg[160];

	vp->vq[q].event_idx = vp->driver_features & VIRTIO_F_EVENT_IDX;
	virtq_reset(&vp->vq[q]);
	if (virtq_check(&vp->vq[q], &vp->host.mem, err, sizeof(err))) {
		hv_snprintf(msg, sizeof(msg), "queue %u: %s", q, err);
		virtio_pci_fail(vp, msg);
		return;
	}
	vp->queue_enabled[q] = true;
}

/* Half of a 64-bit address field: off's dword (or the whole with 8). */
static void set_addr(uint64_t *a, unsigned off, unsigned size, uint64_t val)
{
	if (size == 8)
		*a = val;
	else if (off & 4)
		*a = (*a & 0xffffffffULL) | (val << 32);
	else
		*a = (*a & ~0xffffffffULL) | (uint32_t)val;
}

static void common_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t val)
{
	unsigned q = vp->queue_select;
	bool queue = q < vp->ops->queues;
	bool live = queue && vp->queue_enabled[q];   /* a live queue's setup is fixed (4.1.4.3.2) */

	switch (off) {
	case 0x00: vp->device_feature_select = (uint32_t)val; break;
	case 0x08: vp->driver_feature_select = (uint32_t)val; break;
	case 0x0c:
		if (vp->driver_feature_select < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK)) {
			unsigned shift = 32 * vp->driver_feature_select;

			vp->driver_features = (vp->driver_features & ~(0xffffffffULL << shift)) |
					      (uint64_t)(uint32_t)val << shift;
		}
		break;
	case 0x10: vp->config_vector = val < vectors(vp) ? (uint16_t)val : VIRTIO_NO_VECTOR; break;
	case 0x14:
		if ((uint8_t)val == 0)
			reset(vp);
		else
			set_status(vp, (uint8_t)val);
		break;
	case 0x16: vp->queue_select = (uint16_t)val; break;
	case 0x18:
		if (queue && !live)
			vp->vq[q].size = (uint16_t)val;   /* checked when the queue is enabled */
		break;
	case 0x1a:
		if (queue)
			vp->queue_vector[q] = val < vectors(vp) ? (uint16_t)val : VIRTIO_NO_VECTOR;
		break;
	case 0x1c:
		if (queue && !live && (val & 1))
			enable_queue(vp, q);
		break;
	case 0x20: case 0x24:
		if (queue && !live)
			set_addr(&vp->vq[q].desc, off, size, val);
		break;
	case 0x28: case 0x2c:
		if (queue && !live)
			set_addr(&vp->vq[q].avail, off, size, val);
		break;
	case 0x30: case 0x34:
		if (queue && !live)
			set_addr(&vp->vq[q].used, off, size, val);
		break;
	default: break;   /* read-only fields, and the rest */
	}
}

/* ---- BAR 0 ---- */

static int bar0_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	struct virtio_pci *vp = dev;
	uint64_t off = addr - vp->func.bar[0].mapped;

	*val = 0;
	if (off < COMMON_LEN) {
		*val = common_read(vp, (unsigned)off, size);
	} else if (off == ISR_OFF) {
		*val = vp->isr;   /* read to clear, and INTA deasserted (4.1.4.5) */
		vp->isr = 0;
		update_intx(vp);
	} else if (off >= DEVICE_OFF && off - DEVICE_OFF < vp->ops->config_len) {
		uint8_t img[256] = { 0 };

		vp->ops->config(vp, img);
		for (unsigned i = 0; i < size && off - DEVICE_OFF + i < vp->ops->config_len; i++)
			*val |= (uint64_t)img[off - DEVICE_OFF + i] << (8 * i);
	}
	return 0;
}

static int bar0_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct virtio_pci *vp = dev;
	uint64_t off = addr - vp->func.bar[0].mapped;
	unsigned q;

	if (off < COMMON_LEN) {
		common_write(vp, (unsigned)off, size, val);
		return 0;
	}
	if (off >= DEVICE_OFF && off - DEVICE_OFF < vp->ops->config_len) {
		if (vp->ops->config_write)
			vp->ops->config_write(vp, (unsigned)(off - DEVICE_OFF), size, val);
		return 0;
	}
	if (off < NOTIFY_OFF || (off - NOTIFY_OFF) % NOTIFY_MULT)
		return 0;
	q = (unsigned)((off - NOTIFY_OFF) / NOTIFY_MULT);
	if (virtio_queue_ready(vp, q))
		vp->ops->notify(vp, q);
	return 0;
}

/* ---- BAR 1: the MSI-X table and PBA ---- */

static int bar1_read(void *dev, uint64_t addr, unsigned size, uint64_t *val)
{
	struct virtio_pci *vp = dev;
	uint64_t off = addr - vp->func.bar[1].mapped;

	*val = 0;
	if (off >= PBA_OFF) {
		*val = off == PBA_OFF ? vp->pending : 0;
	} else if (off / 16 < vectors(vp) && size == 4) {
		const uint32_t *e = &vp->msix[off / 16].addr_lo;

		*val = e[(off % 16) / 4];
	}
	return 0;
}

static int bar1_write(void *dev, uint64_t addr, unsigned size, uint64_t val)
{
	struct virtio_pci *vp = dev;
	uint64_t off = addr - vp->func.bar[1].mapped;
	uint32_t *e;

	if (off >= PBA_OFF || off / 16 >= vectors(vp))
		return 0;
	e = &vp->msix[off / 16].addr_lo;
	if (size == 8 && off % 8 == 0) {
		e[(off % 16) / 4] = (uint32_t)val;
		e[(off % 16) / 4 + 1] = (uint32_t)(val >> 32);
	} else if (size == 4) {
		e[(off % 16) / 4] = (uint32_t)val;
	}
	send_pending(vp);   /* an entry unmasked */
	return 0;
}

/* MSI-X enable and function mask live in the capability: an unmask sends
 * what waited.  INTA follows MSI-X enable and the command register. */
static void config_written(struct vpci_func *f, unsigned off, unsigned size)
{
	struct virtio_pci *vp = (struct virtio_pci *)f;   /* func is its first member */

	if (off < CAP_MSIX_AT + 4 && off + size > CAP_MSIX_AT + 2)
		send_pending(vp);
	update_intx(vp);
}

void virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops, void *dev,
		     const struct virtio_host *host)
{
	uint8_t *cfg = vp->func.cfg;

	memset(vp, 0, sizeof(*vp));
	vp->ops = ops;
	vp->features = ops->features;
	vp->dev = dev;
	vp->host = *host;
	put16(&cfg[PCI_VENDOR_ID], VIRTIO_VENDOR);
	put16(&cfg[PCI_DEVICE_ID], (uint16_t)(VIRTIO_DEVICE_BASE + ops->type));
	put16(&cfg[PCI_STATUS], PCI_STATUS_CAP_LIST);
	cfg[PCI_REVISION] = 1;   /* modern (4.1.2.1) */
	put16(&cfg[PCI_CLASS + 1], 0x00ff);   /* unclassified device, other */
	put16(&cfg[PCI_SUBSYS_VENDOR], VIRTIO_VENDOR);
	put16(&cfg[PCI_SUBSYS_ID], 0x0040);
	cfg[PCI_CAP_PTR] = CAP_COMMON_AT;
	vendor_cap(cfg, CAP_COMMON_AT, CAP_NOTIFY_AT, 16, CFG_COMMON, COMMON_OFF, COMMON_LEN);
	vendor_cap(cfg, CAP_NOTIFY_AT, CAP_ISR_AT, 20, CFG_NOTIFY, NOTIFY_OFF,
		   NOTIFY_MULT * VIRTIO_MAX_QUEUES);
	put32(&cfg[CAP_NOTIFY_AT + 16], NOTIFY_MULT);   /* notify_off_multiplier */
	vendor_cap(cfg, CAP_ISR_AT, CAP_MSIX_AT, 16, CFG_ISR, ISR_OFF, 4);
	cfg[CAP_MSIX_AT] = CAP_MSIX;
	cfg[CAP_MSIX_AT + 1] = ops->config_len ? CAP_DEVICE_AT : 0;
	if (ops->config_len)
		vendor_cap(cfg, CAP_DEVICE_AT, 0, 16, CFG_DEVICE, DEVICE_OFF, ops->config_len);
	put16(&cfg[CAP_MSIX_AT + 2], (uint16_t)(vectors(vp) - 1));   /* table size - 1 */
	put32(&cfg[CAP_MSIX_AT + 4], 0 | 1);          /* table at 0 of BAR 1 */
	put32(&cfg[CAP_MSIX_AT + 8], PBA_OFF | 1);    /* PBA at 0x800 of BAR 1 */
	vp->func.wmask[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	vp->func.wmask[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	vp->func.wmask[PCI_INTERRUPT_LINE] = 0xff;
	if (host->intx) {
		cfg[PCI_INTERRUPT_LINE] = (uint8_t)host->irq;
		cfg[PCI_INTERRUPT_PIN] = 1;   /* INTA */
	}
	vp->func.wmask[CAP_MSIX_AT + 3] = (MSIX_ENABLE | MSIX_MASK_ALL) >> 8;
	vpci_set_bar(&vp->func, 0, BAR0_SIZE, "virtio", bar0_read, bar0_write, vp);
	vpci_set_bar(&vp->func, 1, BAR1_SIZE, "virtio-msix", bar1_read, bar1_write, vp);
	vp->func.written = config_written;
	reset(vp);
}
