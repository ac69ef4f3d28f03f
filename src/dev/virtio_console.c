/* The virtio console device (include/hv/virtio_console.h). */
#include <hv/virtio_console.h>

#define RECEIVEQ  0    /* port 0's input (5.3.2) */
#define TRANSMITQ 1    /* port 0's output */

/* A chain on the transmit queue: its readable bytes printed. */
static void transmit(struct virtio_pci *vp, struct virtq *q, const struct virtq_chain *c)
{
	struct virtio_console *con = (struct virtio_console *)vp;   /* vp is its first member */
	uint64_t off = 0;
	char buf[64];
	size_t n;

	while ((n = virtq_read(&vp->host.mem, c, off, buf, sizeof(buf))) > 0) {
		for (size_t i = 0; i < n; i++)
			con->putc(con->putc_ctx, buf[i]);
		off += n;
	}
	con->written += off;
	virtq_push(q, &vp->host.mem, c->head, 0);
}

/* The receive queue's buffers wait: no input comes this way. */
static void console_notify(struct virtio_pci *vp, unsigned q)
{
	if (q == TRANSMITQ)
		virtio_queue_drain(vp, q, &((struct virtio_console *)vp)->chain, transmit);
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.type = VIRTIO_ID_CONSOLE,
	.features = 0,
	.queues = 2,
	.notify = console_notify,
};

void virtio_console_init(struct virtio_console *con, const struct virtio_host *host,
			 void (*putc)(void *ctx, char c), void *putc_ctx)
{
	virtio_pci_init(&con->vp, &console_ops, con, host);
	con->putc = putc;
	con->putc_ctx = putc_ctx;
	con->written = 0;
}
