/* Fuzz the virtio PCI transport (src/dev/virtio_pci.c) with the entropy
 * device (virtio_rng.c) or the block device (virtio_blk.c over a 16 KiB
 * disk, src/core/disk.c) as a hostile driver would: the input is a u16
 * whose bit 15 chooses the block device, bit 14 makes its disk read-only,
 * and whose low 14 bits are the length of the start of guest RAM (16 KiB,
 * where it may lay out rings) given next, then a stream of operations:
 * configuration-space writes and reads through 0xCF8/0xCFC, BAR 0 and
 * BAR 1 accesses at the addresses the BAR registers hold (the device is
 * set up at 0xfe000000 and 0xfe004000, memory decoding on, but the
 * stream may move or disable them), and RAM pokes.  Properties: nothing
 * outside RAM is touched (ASan: the rest of the block is poisoned), an
 * MSI goes out only while MSI-X is enabled and neither the function nor
 * its entry is masked, the device needs a reset at most once per
 * enabling, and the entropy device never hands back more bytes than the
 * chain's writable ones (checked by virtq's own checks). */
#include "fuzz.h"

#include <hv/virtio_blk.h>
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
static struct virtio_pci *vp;   /* the device under test */
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
	uint16_t head = fz_u16(&f);

	memset(ram, 0, RAM);
	fz_bytes(&f, ram, head & 0x3fff);
	vpci_init(&pci);
	io_bus_init(&pio);
	io_bus_init(&mmio);
	FZ_CHECK(vpci_attach(&pci, &pio, &mmio) == 0);
	if (head & 0x8000) {
		for (unsigned i = 0; i < sizeof(image); i++)
			image[i] = (uint8_t)i;
		FZ_CHECK(disk_init(&disk, image, sizeof(image), head & 0x4000, &mem) == 0);
		virtio_blk_init(&blk, &host, &disk, "fuzz");
		vp = &blk.vp;
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
		switch (fz_u8(&f) % 7) {
		case 0: cfg_access(&f, true); break;
		case 1: cfg_access(&f, false); break;
		case 2: bar_access(&f, 0, true); break;
		case 3: bar_access(&f, 0, false); break;
		case 4: bar_access(&f, 1, true); break;
		case 5: bar_access(&f, 1, false); break;
		case 6: ram[fz_u16(&f) % RAM] = fz_u8(&f); break;
		}
	}
	if (head & 0x8000) {
		FZ_CHECK(pages == 1 + disk.written || (disk.read_only && pages == 0));
		disk_fini(&disk);
		FZ_CHECK(pages == 0);
		for (unsigned i = 0; i < sizeof(image); i++)
			FZ_CHECK(image[i] == (uint8_t)i);   /* the image is never written */
	}
	return 0;
}
