/* The virtio network device (include/hv/virtio_net.h).  Section numbers
 * are those of VIRTIO 1.2. */
#include <hv/string.h>
#include <hv/virtio_net.h>

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_MAC    BIT(5)
#define VIRTIO_NET_F_STATUS BIT(16)
#define VIRTIO_NET_S_LINK_UP 1

#define RECEIVEQ  0
#define TRANSMITQ 1
/* struct virtio_net_hdr (5.1.6): 12 bytes with VIRTIO_F_VERSION_1, whose
 * last field, num_buffers, the device sets to 1 on receive (5.1.6.3.2). */
#define HDR_LEN 12
#define HDR_NUM_BUFFERS 10
#define CONFIG_LEN 8   /* mac[6], status */

static struct virtio_net *net_of(struct virtio_pci *vp) { return (struct virtio_net *)vp; }

static void net_config(const struct virtio_pci *vp, uint8_t *out)
{
	const struct virtio_net *n = (const struct virtio_net *)vp;

	memcpy(out, n->mac, 6);
	out[6] = VIRTIO_NET_S_LINK_UP;
	out[7] = 0;
}

/* A chain on the transmit queue: the header (nothing in it this device
 * acts on: no offloads were offered), then the frame, onto the switch. */
static void transmit(struct virtio_pci *vp, struct virtq *q, const struct virtq_chain *c)
{
	struct virtio_net *n = net_of(vp);
	const struct gmem *m = &vp->host.mem;
	uint64_t len = c->readable > HDR_LEN ? c->readable - HDR_LEN : 0;

	if (len < VSWITCH_FRAME_MIN || len > VSWITCH_FRAME_MAX) {
		n->tx_dropped++;
	} else {
		virtq_read(m, c, HDR_LEN, n->frame, len);
		vswitch_send(n->sw, n->port, n->frame, len);
		n->tx_frames++;
		n->tx_bytes += len;
	}
	virtq_push(q, m, c->head, 0);
}

/* One frame from the switch into the next receive buffer: false when the
 * driver has given none (the frame waits). */
static bool take(void *ctx, const uint8_t *frame, size_t len)
{
	struct virtio_net *n = ctx;
	struct virtio_pci *vp = &n->vp;
	const struct gmem *m = &vp->host.mem;
	struct virtq *q = &vp->vq[RECEIVEQ];
	uint8_t hdr[HDR_LEN] = { 0 };
	char err[120];
	int rc;

	if (!virtio_queue_ready(vp, RECEIVEQ))
		return false;
	rc = virtq_pop(q, m, &n->chain, err, sizeof(err));
	if (rc < 0)
		virtio_pci_fail(vp, err);
	if (rc != 1) {
		virtq_want_notify(q, m, true);   /* tell us when buffers come */
		return false;
	}
	if (n->chain.writable < HDR_LEN + len) {
		/* 5.1.6.3.1: the driver SHOULD give 1526 bytes: the frame is
		 * lost, the buffer goes back empty. */
		n->rx_dropped++;
		virtq_push(q, m, n->chain.head, 0);
		return true;
	}
	hdr[HDR_NUM_BUFFERS] = 1;
	virtq_write(m, &n->chain, 0, hdr, HDR_LEN);
	virtq_write(m, &n->chain, HDR_LEN, frame, len);
	virtq_push(q, m, n->chain.head, (uint32_t)(HDR_LEN + len));
	n->rx_frames++;
	n->rx_bytes += len;
	return true;
}

void virtio_net_receive(struct virtio_net *n)
{
	if (vswitch_receive(n->sw, n->port, take, n))
		virtio_pci_interrupt(&n->vp, RECEIVEQ);
}

static void net_notify(struct virtio_pci *vp, unsigned q)
{
	if (q == TRANSMITQ)
		virtio_queue_drain(vp, q, &net_of(vp)->chain, transmit);
	else
		virtio_net_receive(net_of(vp));   /* new receive buffers: frames may wait */
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.type = VIRTIO_ID_NET,
	.features = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS,
	.queues = 2,
	.config_len = CONFIG_LEN,
	.config = net_config,
	.notify = net_notify,
};

void virtio_net_init(struct virtio_net *n, const struct virtio_host *host, const uint8_t mac[6],
		     struct vswitch *sw, unsigned port)
{
	virtio_pci_init(&n->vp, &net_ops, n, host);
	memcpy(n->mac, mac, 6);
	n->sw = sw;
	n->port = port;
	n->tx_frames = n->rx_frames = n->tx_bytes = n->rx_bytes = 0;
	n->tx_dropped = n->rx_dropped = 0;
}
