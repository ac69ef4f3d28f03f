/* Fuzz the virtio PCI transport (src/dev/virtio_pci.c) with one of its
 * devices as a hostile driver would: the input is a byte choosing the
 * device (% 5: the entropy device, virtio_rng.c; the block device,
 * virtio_blk.c over a 16 KiB disk, src/core/disk.c, writable or
 * read-only; the network device, virtio_net.c on a switch with a peer
 * port; the balloon, virtio_balloon.c over a model of the VM's pages),
 * a u16 whose low 14 bits are the length of the start of guest RAM (16
 * KiB, where it may lay out rings) given next, then a stream of
 * operations:
 * configuration-space writes and reads through 0xCF8/0xCFC, BAR 0 and
 * BAR 1 accesses at the addresses the BAR registers hold (the device is
 * set up at 0xfe000000 and 0xfe004000, memory decoding on, but the
 * stream may move or disable them), RAM pokes, and host events (a frame
 * from the peer, of a length and bytes given; a balloon target, or the
 * shell's look at it).  Properties: nothing
 * outside RAM is touched (ASan: the rest of the block is poisoned), an
 * MSI goes out only while MSI-X is enabled and neither the function nor
 * its entry is masked, the device needs a reset at most once per
 * enabling, the entropy device never hands back more bytes than the
 * chain's writable ones (checked by virtq's own checks), the disk's image
 * is never written and its pages all come back, the balloon's count of
 * pages given is the model's. */
#include "fuzz.h"

#include <hv/virtio_balloon.h>
#include <hv/virtio_blk.h>
#include <hv/virtio_net.h>
#include <hv/virtio_rng.h>
#include <stdlib.h>

#define RAM  0x4000u
#define BAR0 0xfe000000u
#define BAR1 0xfe004000u
#define SLOT 2
#define MSIX_CAP 0x74

static struct vpci pci;
static struct io_bus pio, mmio;
static struct virtio_rng rng;
static struct virtio_blk blk;
static struct virtio_net net;
static struct vswitch sw;
static struct vswitch_frame net_queue[VSWITCH_QUEUE], peer_queue[VSWITCH_QUEUE];
static struct virtio_balloon balloon;
static bool page_given[RAM / 4096];
static unsigned pages_given;
static struct virtio_pci *vp;   /* the device under test */

enum { DEV_RNG, DEV_BLK, DEV_BLK_RO, DEV_NET, DEV_BALLOON, DEVICES };

static void wake(void *ctx) { (void)ctx; }

static bool drop(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	FZ_CHECK(len >= VSWITCH_FRAME_MIN && len <= VSWITCH_FRAME_MAX && frame);
	return true;
}

static int give(void *ctx, uint64_t pfn)
{
	(void)ctx;
	if (pfn >= RAM / 4096 || page_given[pfn])
		return -1;
	page_given[pfn] = true;
	pages_given++;
	return 0;
}

static int take(void *ctx, uint64_t pfn)
{
	(void)ctx;
	if (pfn >= RAM / 4096 || !page_given[pfn])
		return -1;
	page_given[pfn] = false;
	pages_given--;
	return 0;
}

static uint64_t free_pages(void *ctx) { (void)ctx; return 1234; }

/* A host event for the device: a frame from the peer, a balloon target
 * or a look at it. */
static void host_event(struct fz *f, unsigned dev)
{
	uint8_t frame[VSWITCH_FRAME_MAX];
	size_t len;

	if (dev == DEV_NET) {
		len = fz_u16(f) % (VSWITCH_FRAME_MAX + 1);
		memset(frame, 0, len);
		fz_bytes(f, frame, len);
		vswitch_send(&sw, 1, frame, len);
		virtio_net_receive(&net);
		vswitch_receive(&sw, 1, drop, NULL);
	} else if (dev == DEV_BALLOON) {
		uint8_t t = fz_u8(f);

		if (t == 0xff)
			virtio_balloon_show(&balloon);
		else
			virtio_balloon_set_target(&balloon, t);
	}
}
static struct disk disk;
static uint8_t image[0x4000];
static unsigned pages;

#define PAGES_MAX 8   /* the disk's copies: what the hypervisor can spare */

static void *alloc(void *ctx, uint64_t n)
{
	(void)ctx;
	if (pages + n > PAGES_MAX)
		return NULL;
	pages += (unsigned)n;
	return calloc(n, DISK_BLOCK);
}

static void release(void *ctx, void *p, uint64_t n)
{
	(void)ctx;
	FZ_CHECK(pages >= n);
	pages -= (unsigned)n;
	free(p);
}

/* INTA only while MSI-X is off. */
static void intx(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	FZ_CHECK(irq == 20);
	FZ_CHECK(!level || !(vp->func.cfg[MSIX_CAP + 3] & 0x80));
}

static void msi(void *ctx, uint64_t addr, uint32_t data)
{
	uint16_t control = (uint16_t)(vp->func.cfg[MSIX_CAP + 2] | vp->func.cfg[MSIX_CAP + 3] << 8);
	bool found = false;

	(void)ctx;
	FZ_CHECK(control & 0x8000);
	FZ_CHECK(!(control & 0x4000));
	for (unsigned v = 0; v < VIRTIO_MAX_QUEUES + 1; v++) {
		const struct msix_entry *e = &vp->msix[v];

		found |= !(e->ctrl & 1) && e->addr_lo == (uint32_t)addr &&
			 e->addr_hi == (uint32_t)(addr >> 32) && e->data == data;
	}
	FZ_CHECK(found);
}

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	FZ_CHECK(msg[0]);
}

static void cfg_access(struct fz *f, bool write)
{
	uint8_t reg = fz_u8(f);
	unsigned size = 1u << (fz_u8(f) % 3);
	uint64_t v;

	vpci_write(&pci, 0xcf8, 4, 0x80000000u | SLOT << 11 | (reg & 0xfc));
	if (write)
		vpci_write(&pci, 0xcfc + (reg & 3), size, fz_u32(f));
	else
		vpci_read(&pci, 0xcfc + (reg & 3), size, &v);
}

static void bar_access(struct fz *f, unsigned bar, bool write)
{
	uint64_t base = vp->func.bar[bar].mapped;
	uint16_t off = fz_u16(f);
	unsigned size = 1u << (fz_u8(f) & 3);
	uint64_t v = fz_u64(f);

	if (!base)
		return;
	off %= vp->func.bar[bar].size;
	if (write)
		io_write(&mmio, base + off, size, v);
	else
		io_read(&mmio, base + off, size, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t *ram = fz_ram(RAM);
	struct virtio_host host = { { ram, RAM, NULL }, msi, report, NULL, intx, 20 };
	struct disk_mem mem = { alloc, release, NULL };
	struct balloon_ops bops = { give, take, free_pages, NULL };
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	unsigned dev = fz_u8(&f) % DEVICES;
	uint16_t head = fz_u16(&f);

	memset(ram, 0, RAM);
	fz_bytes(&f, ram, head & 0x3fff);
	vpci_init(&pci);
	io_bus_init(&pio);
	io_bus_init(&mmio);
	FZ_CHECK(vpci_attach(&pci, &pio, &mmio) == 0);
	if (dev == DEV_BLK || dev == DEV_BLK_RO) {
		for (unsigned i = 0; i < sizeof(image); i++)
			image[i] = (uint8_t)i;
		FZ_CHECK(disk_init(&disk, image, sizeof(image), dev == DEV_BLK_RO, &mem) == 0);
		virtio_blk_init(&blk, &host, &disk, "fuzz");
		vp = &blk.vp;
	} else if (dev == DEV_NET) {
		vswitch_init(&sw, "fuzz");
		FZ_CHECK(vswitch_attach(&sw, net_queue, wake, NULL) == 0);
		FZ_CHECK(vswitch_attach(&sw, peer_queue, wake, NULL) == 1);
		virtio_net_init(&net, &host, mac, &sw, 0);
		vp = &net.vp;
	} else if (dev == DEV_BALLOON) {
		memset(page_given, 0, sizeof(page_given));
		pages_given = 0;
		virtio_balloon_init(&balloon, &host, &bops, 2);
		vp = &balloon.vp;
	} else {
		virtio_rng_init(&rng, &host);
		vp = &rng.vp;
	}
	FZ_CHECK(vpci_add(&pci, SLOT, &vp->func) == 0);
	vpci_write(&pci, 0xcf8, 4, 0x80000000u | SLOT << 11 | PCI_BAR0);
	vpci_write(&pci, 0xcfc, 4, BAR0);
	vpci_write(&pci, 0xcf8, 4, 0x80000000u | SLOT << 11 | (PCI_BAR0 + 4));
	vpci_write(&pci, 0xcfc, 4, BAR1);
	vpci_write(&pci, 0xcf8, 4, 0x80000000u | SLOT << 11 | PCI_COMMAND);
	vpci_write(&pci, 0xcfc, 2, PCI_COMMAND_MEMORY);
	for (unsigned step = 0; step < 256 && fz_left(&f); step++) {
		switch (fz_u8(&f) % 8) {
		case 0: cfg_access(&f, true); break;
		case 1: cfg_access(&f, false); break;
		case 2: bar_access(&f, 0, true); break;
		case 3: bar_access(&f, 0, false); break;
		case 4: bar_access(&f, 1, true); break;
		case 5: bar_access(&f, 1, false); break;
		case 6: ram[fz_u16(&f) % RAM] = fz_u8(&f); break;
		case 7: host_event(&f, dev); break;
		}
	}
	if (dev == DEV_BALLOON)
		FZ_CHECK(balloon.given == pages_given);
	if (dev == DEV_BLK || dev == DEV_BLK_RO) {
		FZ_CHECK(pages == 1 + disk.written || (disk.read_only && pages == 0));
		disk_fini(&disk);
		FZ_CHECK(pages == 0);
		for (unsigned i = 0; i < sizeof(image); i++)
			FZ_CHECK(image[i] == (uint8_t)i);   /* the image is never written */
	}
	return 0;
}
