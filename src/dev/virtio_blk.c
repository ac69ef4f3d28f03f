/* The virtio block device (include/hv/virtio_blk.h).  Section numbers
 * are those of VIRTIO 1.2. */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/virtio_blk.h>

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX  BIT(2)
#define VIRTIO_BLK_F_RO       BIT(5)
#define VIRTIO_BLK_F_BLK_SIZE BIT(6)
#define VIRTIO_BLK_F_FLUSH    BIT(9)

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define HEADER 16          /* le32 type, le32 reserved, le64 sector */
#define CONFIG_LEN 24      /* capacity, size_max, seg_max, geometry, blk_size */

static struct virtio_blk *blk_of(struct virtio_pci *vp) { return (struct virtio_blk *)vp; }

static uint64_t capacity(const struct virtio_blk *b) { return b->disk->size / VIRTIO_BLK_SECTOR; }

/* struct virtio_blk_config (5.2.4), as far as BLK_SIZE. */
static void blk_config(const struct virtio_pci *vp, uint8_t *out)
{
	const struct virtio_blk *b = (const struct virtio_blk *)vp;
	uint64_t cap = capacity(b);
	uint32_t seg_max = VIRTQ_MAX_SIZE - 2, blk_size = VIRTIO_BLK_SECTOR;

	memcpy(out + 0, &cap, 8);
	memcpy(out + 12, &seg_max, 4);   /* the header and the status take two */
	memcpy(out + 20, &blk_size, 4);
}

/* Move len bytes between the disk at pos and the chain's buffers of one
 * kind from chain byte off on: into the guest's writable ones (a read),
 * or from its readable ones (a write). */
static int transfer(struct virtio_blk *b, const struct virtq_chain *c, bool read, uint64_t off,
		    uint64_t pos, uint64_t len)
{
	const struct gmem *m = &b->vp.host.mem;

	while (len) {
		size_t n;
		uint8_t *p = virtq_span(m, c, read, off, len, &n);
		int rc;

		if (!p)
			return HV_ERANGE;
		rc = read ? disk_read(b->disk, pos, p, n) : disk_write(b->disk, pos, p, n);
		if (rc)
			return rc;
		off += n;
		pos += n;
		len -= n;
	}
	return 0;
}

/* Whether [sector, + len bytes) is whole sectors inside the disk. */
static bool in_disk(const struct virtio_blk *b, uint64_t sector, uint64_t len)
{
	return len % VIRTIO_BLK_SECTOR == 0 && sector <= capacity(b) &&
	       len / VIRTIO_BLK_SECTOR <= capacity(b) - sector;
}

static uint8_t do_read(struct virtio_blk *b, const struct virtq_chain *c, uint64_t sector,
		       uint64_t len)
{
	if (!in_disk(b, sector, len) || transfer(b, c, true, 0, sector * VIRTIO_BLK_SECTOR, len))
		return VIRTIO_BLK_S_IOERR;
	b->reads++;
	b->read_bytes += len;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_write(struct virtio_blk *b, const struct virtq_chain *c, uint64_t sector,
			uint64_t len)
{
	int rc;

	if (b->disk->read_only || !in_disk(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	rc = transfer(b, c, false, HEADER, sector * VIRTIO_BLK_SECTOR, len);
	if (rc == HV_ENOMEM && !b->out_of_memory) {
		b->out_of_memory = true;
		virtio_pci_report(&b->vp, "no hypervisor memory left for the disk's writes: "
			       "they fail (I/O errors) from now on");
	}
	if (rc)
		return VIRTIO_BLK_S_IOERR;
	b->writes++;
	b->written_bytes += len;
	return VIRTIO_BLK_S_OK;
}

/* One request (5.2.6): the header the driver filled, its data, and the
 * status byte, the chain's last writable byte. */
static void serve(struct virtio_pci *vp, struct virtq *q, const struct virtq_chain *c)
{
	struct virtio_blk *b = blk_of(vp);
	const struct gmem *m = &vp->host.mem;
	uint8_t hdr[HEADER], status;
	uint32_t type;
	uint64_t sector, data_in = 0;

	if (c->writable == 0) {
		virtio_pci_fail(vp, "a request with no status byte");
		return;
	}
	if (virtq_read(m, c, 0, hdr, HEADER) < HEADER) {
		status = VIRTIO_BLK_S_IOERR;
	} else {
		memcpy(&type, hdr, 4);
		memcpy(&sector, hdr + 8, 8);
		switch (type) {
		case VIRTIO_BLK_T_IN:
			data_in = c->writable - 1;
			status = do_read(b, c, sector, data_in);
			break;
		case VIRTIO_BLK_T_OUT:
			status = do_write(b, c, sector, c->readable - HEADER);
			break;
		case VIRTIO_BLK_T_FLUSH:
			b->flushes++;
			status = VIRTIO_BLK_S_OK;
			break;
		case VIRTIO_BLK_T_GET_ID:
			data_in = c->writable - 1 < VIRTIO_BLK_ID_BYTES ? c->writable - 1
									: VIRTIO_BLK_ID_BYTES;
			virtq_write(m, c, 0, b->id, data_in);
			status = VIRTIO_BLK_S_OK;
			break;
		default:
			status = VIRTIO_BLK_S_UNSUPP;
			break;
		}
	}
	if (status == VIRTIO_BLK_S_IOERR)
		b->errors++;
	if (status != VIRTIO_BLK_S_OK)
		data_in = 0;
	virtq_write(m, c, c->writable - 1, &status, 1);
	virtq_push(q, m, c->head, (uint32_t)(data_in + 1));
}

static void blk_notify(struct virtio_pci *vp, unsigned q)
{
	virtio_queue_drain(vp, q, &blk_of(vp)->chain, serve);
}

static const struct virtio_dev_ops blk_ops = {
	.name = "virtio-blk",
	.type = VIRTIO_ID_BLOCK,
	.features = VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH,
	.queues = 1,
	.config_len = CONFIG_LEN,
	.config = blk_config,
	.notify = blk_notify,
};

void virtio_blk_init(struct virtio_blk *b, const struct virtio_host *host, struct disk *disk,
		     const char *id)
{
	virtio_pci_init(&b->vp, &blk_ops, b, host);
	if (disk->read_only)
		b->vp.features |= VIRTIO_BLK_F_RO;
	b->disk = disk;
	memset(b->id, 0, sizeof(b->id));
	hv_strlcpy(b->id, id, sizeof(b->id));
	b->reads = b->writes = b->flushes = b->errors = 0;
	b->read_bytes = b->written_bytes = 0;
	b->out_of_memory = false;
}
