/* virtio console device (VIRTIO 1.2, 5.3), one port and no features: the
 * guest's second console (Linux's hvc0).  What the guest writes on its
 * transmit queue goes to the hypervisor console as the VM's own lines
 * (vm_console, tagged with the VM's name), as the UART's output does; its
 * receive queue gets nothing (typed input goes to the UART). */
#ifndef HV_VIRTIO_CONSOLE_H
#define HV_VIRTIO_CONSOLE_H

#include <hv/virtio_pci.h>

struct virtio_console {
	struct virtio_pci vp;      /* first: the transport finds the device from it */
	struct virtq_chain chain;  /* the request being read */
	void (*putc)(void *ctx, char c);
	void *putc_ctx;
	uint64_t written;          /* bytes the guest wrote */
};

void virtio_console_init(struct virtio_console *con, const struct virtio_host *host,
			 void (*putc)(void *ctx, char c), void *putc_ctx);

#endif
