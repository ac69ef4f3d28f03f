/* A virtual Ethernet switch between VMs: each VM's virtio-net device is a
 * port.  The switch learns which port each source MAC address is behind,
 * sends a frame for a known unicast address to that port alone, and
 * floods broadcasts, multicasts and unknown addresses to every other
 * port, as an IEEE 802.1D learning bridge does.  A frame is copied into
 * the queue of each port it goes to (memory the port's owner gives), and
 * the owner is woken to take it into its guest's receive buffers on its
 * own CPU, under its own VM's lock: no page is ever shared between VMs,
 * and no CPU holds two VMs' locks.  A full queue drops the frame (as a
 * switch whose output buffer is full does).  One lock guards a switch;
 * callers may hold their own VM's lock, never the other way round.
 * Portable and unit tested (tests/unit/test_vswitch.c). */
#ifndef HV_VSWITCH_H
#define HV_VSWITCH_H

#include <hv/spinlock.h>
#include <hv/types.h>

#define VSWITCH_NAME_MAX  32
#define VSWITCH_PORTS     8
#define VSWITCH_MACS      64         /* addresses learned at once */
#define VSWITCH_QUEUE     64         /* frames waiting at a port */
#define VSWITCH_FRAME_MIN 14         /* an Ethernet header */
#define VSWITCH_FRAME_MAX 1518       /* 1500 bytes of payload, a VLAN tag; no FCS */

struct vswitch_frame {
	uint16_t len;
	uint8_t data[VSWITCH_FRAME_MAX];
};

struct vswitch_port {
	bool used;
	struct vswitch_frame *queue;   /* VSWITCH_QUEUE frames */
	unsigned head, count;
	void (*wake)(void *ctx);       /* frames came: take them (vswitch_receive) soon */
	void *ctx;
	uint64_t sent, received, dropped;   /* frames: from it, to it, lost at its queue */
};

struct vswitch_mac {
	uint8_t addr[6];
	uint8_t port;
	bool used;
	uint64_t seen;                 /* the switch's frame count when last seen */
};

struct vswitch {
	char name[VSWITCH_NAME_MAX];
	struct spinlock lock;
	struct vswitch_port port[VSWITCH_PORTS];
	struct vswitch_mac table[VSWITCH_MACS];
	uint64_t frames;
};

void vswitch_init(struct vswitch *sw, const char *name);
/* A new port whose frames wait in queue (VSWITCH_QUEUE of them): its
 * number, or HV_EBUSY when every port is taken. */
int vswitch_attach(struct vswitch *sw, struct vswitch_frame *queue, void (*wake)(void *ctx),
		   void *ctx);
/* The port leaves: its queue and the addresses learned behind it are
 * forgotten (the caller may then free the queue). */
void vswitch_detach(struct vswitch *sw, unsigned port);
/* A frame from port (len VSWITCH_FRAME_MIN..MAX, else dropped): its
 * source learned, and it forwarded.  Returns the ports it was queued at. */
unsigned vswitch_send(struct vswitch *sw, unsigned port, const void *frame, size_t len);
/* The frames queued at port, oldest first, each handed to take, which
 * returns false to leave it (and the rest) queued, e.g. for want of a
 * receive buffer.  Returns the frames taken. */
unsigned vswitch_receive(struct vswitch *sw, unsigned port,
			 bool (*take)(void *ctx, const uint8_t *frame, size_t len), void *ctx);
/* Whether frames wait at port. */
bool vswitch_pending(struct vswitch *sw, unsigned port);

#endif
