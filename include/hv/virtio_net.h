/* The virtio network device (VIRTIO 1.2, 5.1): one receive and one
 * transmit queue, a port of a virtual switch (hv/vswitch.h).  Offered:
 * the MAC address (VIRTIO_NET_F_MAC) and the link status (always up,
 * VIRTIO_NET_F_STATUS); no checksum or segmentation offload, no
 * mergeable receive buffers, no control queue: the guest computes its
 * checksums, and sends and receives whole frames of up to 1518 bytes. */
#ifndef HV_VIRTIO_NET_H
#define HV_VIRTIO_NET_H

#include <hv/virtio_pci.h>
#include <hv/vswitch.h>

struct virtio_net {
	struct virtio_pci vp;      /* first: the transport finds the device from it */
	struct vswitch *sw;
	unsigned port;
	uint8_t mac[6];
	struct virtq_chain chain;  /* the frame being sent or received */
	uint8_t frame[VSWITCH_FRAME_MAX];
	uint64_t tx_frames, rx_frames, tx_bytes, rx_bytes;
	uint64_t tx_dropped, rx_dropped;   /* malformed, or no room in the buffer */
};

/* The device with the MAC address mac, on port of sw. */
void virtio_net_init(struct virtio_net *n, const struct virtio_host *host, const uint8_t mac[6],
		     struct vswitch *sw, unsigned port);
/* The frames waiting at its port into the guest's receive buffers, as
 * many as there are buffers for (the others wait for the driver's next
 * buffers). */
void virtio_net_receive(struct virtio_net *n);

#endif
