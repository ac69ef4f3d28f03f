/* Unit tests of the virtio PCI transport (src/dev/virtio_pci.c) with the
 * entropy device (src/dev/virtio_rng.c): a driver's steps done by hand
 * through PCI configuration space and the BARs on an MMIO bus, the rings
 * in a guest RAM buffer; feature negotiation, the capability layout,
 * MSI-X table writes and masking, INTx, a request served, and the rules
 * whose breach puts the device into DEVICE_NEEDS_RESET.  Then the console
 * and the block device (src/dev/virtio_blk.c) in the same place. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/errno.h>
#include <hv/virtio_balloon.h>
#include <hv/virtio_blk.h>
#include <hv/virtio_console.h>
#include <hv/virtio_net.h>
#include <hv/virtio_rng.h>

#define RAM_SIZE 0x10000
#define BAR0 0xfe000000u
#define BAR1 0xfe004000u
#define SLOT 2
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define BUF   0x8000

static uint8_t *ram;
static struct vpci pci;
static struct io_bus pio, mmio;
static struct virtio_rng rng;
static unsigned msis, reports, intx_changes;
static bool intx_level;
static unsigned intx_irq;
static uint64_t msi_addr;
static uint32_t msi_data;
static char last_report[200];

static void msi(void *ctx, uint64_t addr, uint32_t data)
{
	(void)ctx;
	msis++;
	msi_addr = addr;
	msi_data = data;
}

static void intx(void *ctx, unsigned irq, bool level)
{
	(void)ctx;
	intx_changes++;
	intx_irq = irq;
	intx_level = level;
}

static void report(void *ctx, const char *msg)
{
	(void)ctx;
	reports++;
	strncpy(last_report, msg, sizeof(last_report) - 1);
}

static uint32_t cfg_read(unsigned reg, unsigned size)
{
	uint64_t v;

	vpci_write(&pci, 0xcf8, 4, 0x80000000u | SLOT << 11 | (reg & 0xfc));
	vpci_read(&pci, 0xcfc + (reg & 3), size, &v);
	return (uint32_t)v;
}

static void cfg_write(unsigned reg, unsigned size, uint32_t v)
{
	vpci_write(&pci, 0xcf8, 4, 0x80000000u | SLOT << 11 | (reg & 0xfc));
	vpci_write(&pci, 0xcfc + (reg & 3), size, v);
}

static uint64_t rd(uint64_t addr, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(io_read(&mmio, addr, size, &v), 0);
	return v;
}

static void wr(uint64_t addr, unsigned size, uint64_t v) { assert_int_equal(io_write(&mmio, addr, size, v), 0); }

static void put16(uint64_t gpa, uint16_t v) { memcpy(ram + gpa, &v, 2); }
static uint16_t get16(uint64_t gpa) { uint16_t v; memcpy(&v, ram + gpa, 2); return v; }
static uint32_t get32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

/* A fresh PCI bus on fresh port and MMIO buses. */
static void bus_init(void)
{
	vpci_init(&pci);
	io_bus_init(&pio);
	io_bus_init(&mmio);
	assert_int_equal(vpci_attach(&pci, &pio, &mmio), 0);
}

/* The device's BARs where the tests look, memory decoding on. */
static void bars_on(void)
{
	cfg_write(PCI_BAR0, 4, BAR0);
	cfg_write(PCI_BAR0 + 4, 4, BAR1);
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

static int setup(void **state)
{
	struct virtio_host host;

	(void)state;
	ram = calloc(1, RAM_SIZE);
	assert_non_null(ram);
	host = (struct virtio_host){ { ram, RAM_SIZE, NULL }, msi, report, NULL, intx, 18 };
	bus_init();
	virtio_rng_init(&rng, &host);
	assert_int_equal(vpci_add(&pci, SLOT, &rng.vp.func), 0);
	msis = reports = intx_changes = 0;
	intx_level = false;
	bars_on();
	return 0;
}

static struct virtio_console con;
static char printed[256];
static size_t nprinted;

static void con_putc(void *ctx, char c)
{
	(void)ctx;
	if (nprinted + 1 < sizeof(printed))
		printed[nprinted++] = c;
	printed[nprinted] = '\0';
}

/* The console instead of the entropy device, at the same place. */
static int setup_console(void **state)
{
	struct virtio_host host;

	setup(state);
	host = (struct virtio_host){ { ram, RAM_SIZE, NULL }, msi, report, NULL, NULL, 0 };
	bus_init();
	virtio_console_init(&con, &host, con_putc, NULL);
	assert_int_equal(vpci_add(&pci, SLOT, &con.vp.func), 0);
	nprinted = 0;
	printed[0] = '\0';
	bars_on();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

/* The capabilities a driver walks (4.1.4): common, notify, ISR; MSI-X. */
static void test_identity_and_caps(void **state)
{
	unsigned at, seen = 0;

	(void)state;
	assert_int_equal(cfg_read(PCI_VENDOR_ID, 4), 0x10441af4);   /* 1af4:1044, entropy */
	assert_int_equal(cfg_read(PCI_REVISION, 1), 1);
	assert_true(cfg_read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (at = cfg_read(PCI_CAP_PTR, 1); at; at = cfg_read(at + 1, 1)) {
		uint8_t id = (uint8_t)cfg_read(at, 1);

		if (id == 0x09) {
			uint8_t type = (uint8_t)cfg_read(at + 3, 1);

			assert_int_equal(cfg_read(at + 4, 1), 0);   /* BAR 0 */
			seen |= 1u << type;
			if (type == 2)
				assert_int_equal(cfg_read(at + 16, 4), 4);   /* notify_off_multiplier */
		} else {
			assert_int_equal(id, 0x11);
			assert_int_equal(cfg_read(at + 2, 2) & 0x7ff, 1);   /* two vectors */
			assert_int_equal(cfg_read(at + 4, 4), 0x000 | 1);
			assert_int_equal(cfg_read(at + 8, 4), 0x800 | 1);
			seen |= 1u << 8;
		}
	}
	assert_int_equal(seen, 1u << 1 | 1u << 2 | 1u << 3 | 1u << 8);
	assert_int_equal(cfg_read(PCI_BAR0, 4), BAR0);
	assert_int_equal(rd(BAR0 + 0x12, 2), 1);   /* num_queues */
	assert_int_equal(cfg_read(PCI_INTERRUPT_PIN, 1), 1);   /* INTA */
	assert_int_equal(cfg_read(PCI_INTERRUPT_LINE, 1), 18);
}

static void test_features(void **state)
{
	(void)state;
	wr(BAR0 + 0x00, 4, 1);
	assert_int_equal(rd(BAR0 + 0x04, 4), 1);   /* VERSION_1 in the high word */
	wr(BAR0 + 0x00, 4, 0);
	assert_int_equal(rd(BAR0 + 0x04, 4), VIRTIO_F_INDIRECT_DESC | VIRTIO_F_EVENT_IDX);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* Without VERSION_1: FEATURES_OK does not stick. */
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_false(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	/* A feature not offered: the same. */
	wr(BAR0 + 0x08, 4, 1);
	wr(BAR0 + 0x0c, 4, 1);
	wr(BAR0 + 0x08, 4, 0);
	wr(BAR0 + 0x0c, 4, BIT(5));
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_false(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	wr(BAR0 + 0x0c, 4, VIRTIO_F_EVENT_IDX);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(virtio_features(&rng.vp), VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	/* Fixed once accepted; a status of 0 resets all. */
	wr(BAR0 + 0x0c, 4, 0);
	assert_int_equal(virtio_features(&rng.vp), VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	wr(BAR0 + 0x14, 1, 0);
	assert_int_equal(rd(BAR0 + 0x14, 1), 0);
	assert_int_equal(virtio_features(&rng.vp), 0);
}

/* The driver's setup of queue 0 and vector 1, with the low feature bits
 * given (VERSION_1 always). */
static void driver_setup_with(uint16_t qsize, uint32_t features)
{
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(BAR0 + 0x08, 4, 0);
	wr(BAR0 + 0x0c, 4, features);
	wr(BAR0 + 0x08, 4, 1);
	wr(BAR0 + 0x0c, 4, 1);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	wr(BAR0 + 0x16, 2, 0);
	assert_int_equal(rd(BAR0 + 0x18, 2), VIRTQ_MAX_SIZE);
	wr(BAR0 + 0x18, 2, qsize);
	wr(BAR0 + 0x20, 4, DESC);
	wr(BAR0 + 0x24, 4, 0);
	wr(BAR0 + 0x28, 8, AVAIL);
	wr(BAR0 + 0x30, 4, USED);
	wr(BAR0 + 0x10, 2, 0);                  /* config vector 0 */
	wr(BAR0 + 0x1a, 2, 1);                  /* queue vector 1 */
	assert_int_equal(rd(BAR0 + 0x1a, 2), 1);
	wr(BAR1 + 0, 8, 0xfee00000);            /* vector 0: APIC 0, vector 0x40 */
	wr(BAR1 + 8, 4, 0x40);
	wr(BAR1 + 12, 4, 0);
	wr(BAR1 + 16 + 0, 4, 0xfee01000);       /* vector 1: APIC 1, vector 0x41 */
	wr(BAR1 + 16 + 4, 4, 0);
	wr(BAR1 + 16 + 8, 4, 0x41);
	wr(BAR1 + 16 + 12, 4, 0);               /* unmasked */
	cfg_write(0x74 + 2, 2, 1u << 15);       /* MSI-X on */
	wr(BAR0 + 0x1c, 2, 1);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void driver_setup(uint16_t qsize) { driver_setup_with(qsize, 0); }

static void offer(uint16_t head, uint32_t len)
{
	uint16_t idx = get16(AVAIL + 2);
	uint64_t addr = BUF;
	uint16_t flags = VIRTQ_DESC_F_WRITE;

	memcpy(ram + DESC + 16 * head, &addr, 8);
	memcpy(ram + DESC + 16 * head + 8, &len, 4);
	memcpy(ram + DESC + 16 * head + 12, &flags, 2);
	put16(AVAIL + 4 + 2 * (idx % 8), head);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
}

/* MSI-X off: INTA is asserted while the ISR has a bit, dropped when the
 * ISR is read (4.1.4.5.1), and held down by the command register's
 * Interrupt Disable or by MSI-X on. */
static void test_intx(void **state)
{
	(void)state;
	driver_setup(8);
	cfg_write(0x74 + 2, 2, 0);              /* MSI-X off */
	offer(0, 8);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(msis, 0);
	assert_int_equal(intx_changes, 1);
	assert_true(intx_level);
	assert_int_equal(intx_irq, 18);
	assert_true(cfg_read(PCI_STATUS, 2) & BIT(3));   /* Interrupt Status */
	assert_int_equal(rd(BAR0 + 0x1000, 1), 1);
	assert_false(intx_level);
	assert_false(cfg_read(PCI_STATUS, 2) & BIT(3));
	/* Interrupt Disable: the ISR says it, the line does not, until the
	 * driver lets it. */
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	offer(1, 8);
	wr(BAR0 + 0x3000, 2, 0);
	assert_false(intx_level);
	cfg_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_true(intx_level);
	/* MSI-X on: the line drops, and the next request goes by message. */
	cfg_write(0x74 + 2, 2, 1u << 15);
	assert_false(intx_level);
	rd(BAR0 + 0x1000, 1);
	offer(2, 8);
	wr(BAR0 + 0x3000, 2, 0);
	assert_false(intx_level);
	assert_int_equal(msis, 1);
	/* A reset drops it too. */
	cfg_write(0x74 + 2, 2, 0);
	assert_true(intx_level);
	wr(BAR0 + 0x14, 1, 0);
	assert_false(intx_level);
	assert_int_equal(get16(USED + 2), 3);
}

static void test_request(void **state)
{
	unsigned zeros = 0;

	(void)state;
	driver_setup(8);
	assert_int_equal(rd(BAR0 + 0x1c, 2), 1);
	offer(3, 100);
	wr(BAR0 + 0x3000, 2, 0);                /* notify queue 0 */
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 4), 3);
	assert_int_equal(get32(USED + 8), 100);
	for (unsigned i = 0; i < 100; i++)
		zeros += ram[BUF + i] == 0;
	assert_true(zeros < 10);                /* random bytes, not zeros */
	assert_int_equal(ram[BUF + 100], 0);    /* nothing past the buffer */
	assert_int_equal(msis, 1);
	assert_int_equal(msi_addr, 0xfee01000);
	assert_int_equal(msi_data, 0x41);
	assert_int_equal(rd(BAR0 + 0x1000, 1), 1);   /* ISR, read to clear */
	assert_int_equal(rd(BAR0 + 0x1000, 1), 0);
	assert_int_equal(rng.served, 100);
	/* Masked: pending in the PBA, sent at the unmask. */
	wr(BAR1 + 16 + 12, 4, 1);
	offer(2, 16);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(msis, 1);
	assert_int_equal(rd(BAR1 + 0x800, 4), 2);
	wr(BAR1 + 16 + 12, 4, 0);
	assert_int_equal(msis, 2);
	assert_int_equal(rd(BAR1 + 0x800, 4), 0);
	/* The whole function masked, then not. */
	cfg_write(0x74 + 2, 2, 3u << 14);
	offer(2, 16);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(msis, 2);
	cfg_write(0x74 + 2, 2, 1u << 15);
	assert_int_equal(msis, 3);
	/* The driver asks for no interrupts. */
	put16(AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	offer(2, 16);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(msis, 3);
	assert_int_equal(get16(USED + 2), 4);
}

/* Buffers made available and notified before DRIVER_OK wait for it
 * (3.1.1: no buffer is used before), then are served. */
static void test_notify_before_driver_ok(void **state)
{
	(void)state;
	driver_setup(8);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	offer(0, 16);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(get16(USED + 2), 0);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(msis, 1);
}

/* With EVENT_IDX the device keeps avail_event at the next entry it will
 * take, or the driver would stop notifying it (2.7.10). */
static void test_event_idx(void **state)
{
	(void)state;
	driver_setup_with(8, VIRTIO_F_EVENT_IDX);
	assert_int_equal(virtio_features(&rng.vp), VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX);
	offer(0, 8);
	offer(1, 8);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(get16(USED + 2), 2);
	assert_int_equal(get16(USED + 4 + 8 * 8), 2);   /* avail_event */
	put16(AVAIL + 4 + 2 * 8, 1);                    /* used_event: after entry 1 */
	assert_int_equal(msis, 1);
	offer(2, 8);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(get16(USED + 4 + 8 * 8), 3);
	assert_int_equal(msis, 1);                      /* entry 2 is past used_event + 1 */
}

static void test_needs_reset(void **state)
{
	(void)state;
	/* A queue size that is not a power of 2: refused at enable. */
	driver_setup(6);
	assert_int_equal(reports, 1);
	assert_non_null(strstr(last_report, "queue 0: queue size 6"));
	assert_true(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(rd(BAR0 + 0x1c, 2), 0);
	assert_int_equal(msis, 1);              /* the configuration change, vector 0 */
	assert_int_equal(msi_data, 0x40);
	assert_int_equal(rd(BAR0 + 0x1000, 1), 2);
	/* Nothing is served meanwhile; a reset starts over. */
	offer(0, 16);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(get16(USED + 2), 0);
	wr(BAR0 + 0x14, 1, 0);
	assert_int_equal(rd(BAR0 + 0x14, 1), 0);
	memset(ram, 0, RAM_SIZE);
	driver_setup(8);
	assert_false(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* A malformed ring at the notify: a buffer outside RAM. */
	offer(1, 16);
	{
		uint64_t far = RAM_SIZE;

		memcpy(ram + DESC + 16, &far, 8);
	}
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(reports, 2);
	assert_non_null(strstr(last_report, "outside RAM"));
	assert_true(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* A queue's setup is fixed while it is enabled; a vector past the
	 * table reads back as none. */
	wr(BAR0 + 0x20, 4, 0x4000);
	assert_int_equal(rd(BAR0 + 0x20, 4), DESC);
	wr(BAR0 + 0x1a, 2, 7);
	assert_int_equal(rd(BAR0 + 0x1a, 2), VIRTIO_NO_VECTOR);
	/* A notify for a queue the device does not have. */
	wr(BAR0 + 0x3000 + 4 * 3, 2, 3);
}

/* What the guest writes on the transmit queue (1) is printed; the
 * receive queue (0) keeps its buffers. */
static void test_console(void **state)
{
	const char *text = "hello, hvc0\n";
	uint64_t addr = BUF;
	uint32_t len = (uint32_t)strlen(text);
	uint16_t flags = 0;

	(void)state;
	assert_int_equal(cfg_read(PCI_VENDOR_ID, 4), 0x10431af4);   /* 1af4:1043, console */
	assert_int_equal(rd(BAR0 + 0x12, 2), 2);
	driver_setup(8);                        /* queue 0: the receive queue */
	wr(BAR0 + 0x16, 2, 1);                  /* queue 1: transmit */
	wr(BAR0 + 0x18, 2, 8);
	wr(BAR0 + 0x20, 8, DESC + 0x400);
	wr(BAR0 + 0x28, 8, AVAIL + 0x400);
	wr(BAR0 + 0x30, 8, USED + 0x400);
	wr(BAR0 + 0x1c, 2, 1);
	memcpy(ram + BUF, text, len);
	memcpy(ram + DESC + 0x400, &addr, 8);
	memcpy(ram + DESC + 0x400 + 8, &len, 4);
	memcpy(ram + DESC + 0x400 + 12, &flags, 2);
	put16(AVAIL + 0x400 + 4, 0);
	put16(AVAIL + 0x400 + 2, 1);
	wr(BAR0 + 0x3000 + 4, 2, 1);
	assert_string_equal(printed, text);
	assert_int_equal(get16(USED + 0x400 + 2), 1);
	assert_int_equal(get32(USED + 0x400 + 8), 0);   /* nothing written back */
	assert_int_equal(con.written, len);
	/* A receive buffer waits. */
	offer(0, 16);
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(get16(USED + 2), 0);
}

/* ---- the block device ---- */

#define IMAGE_SIZE (64 * 1024 + 512)   /* the last sector beyond a whole block */
static uint8_t *image;
static struct disk disk;
static struct virtio_blk blk;
static unsigned pages_held;

static void *mem_alloc(void *ctx, uint64_t pages)
{
	(void)ctx;
	pages_held += (unsigned)pages;
	return calloc(pages, 4096);
}

static void mem_free(void *ctx, void *p, uint64_t pages)
{
	(void)ctx;
	pages_held -= (unsigned)pages;
	free(p);
}

static int setup_blk_as(bool read_only)
{
	struct disk_mem mem = { mem_alloc, mem_free, NULL };
	struct virtio_host host;

	setup(NULL);
	image = malloc(IMAGE_SIZE);
	assert_non_null(image);
	for (unsigned i = 0; i < IMAGE_SIZE; i++)
		image[i] = (uint8_t)(i / 512 + i);
	pages_held = 0;
	assert_int_equal(disk_init(&disk, image, IMAGE_SIZE, read_only, &mem), 0);
	host = (struct virtio_host){ { ram, RAM_SIZE, NULL }, msi, report, NULL, intx, 20 };
	bus_init();
	virtio_blk_init(&blk, &host, &disk, "test-disk");
	assert_int_equal(vpci_add(&pci, SLOT, &blk.vp.func), 0);
	bars_on();
	return 0;
}

static int setup_blk(void **state) { (void)state; return setup_blk_as(false); }
static int setup_blk_ro(void **state) { (void)state; return setup_blk_as(true); }

static int teardown_blk(void **state)
{
	disk_fini(&disk);
	assert_int_equal(pages_held, 0);
	free(image);
	return teardown(state);
}

#define HDR    0x4000
#define DATA   0x5000
#define STATUS 0x4800

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	memcpy(ram + DESC + 16 * i, &addr, 8);
	memcpy(ram + DESC + 16 * i + 8, &len, 4);
	memcpy(ram + DESC + 16 * i + 12, &flags, 2);
	memcpy(ram + DESC + 16 * i + 14, &next, 2);
}

/* One request: header, len bytes of data at DATA (the device's to write
 * for a read), the status byte; returns the status, *used the length the
 * device returned. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, bool data_in, uint32_t *used)
{
	uint16_t idx = get16(AVAIL + 2);
	uint16_t dflags = VIRTQ_DESC_F_NEXT | (data_in ? VIRTQ_DESC_F_WRITE : 0);

	memcpy(ram + HDR, &type, 4);
	memset(ram + HDR + 4, 0, 4);
	memcpy(ram + HDR + 8, &sector, 8);
	ram[STATUS] = 0xee;
	desc(0, HDR, 16, VIRTQ_DESC_F_NEXT, len ? 1 : 2);
	desc(1, DATA, len, dflags, 2);
	desc(2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	put16(AVAIL + 4 + 2 * (idx % 8), 0);
	put16(AVAIL + 2, (uint16_t)(idx + 1));
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(get16(USED + 2), (uint16_t)(idx + 1));
	*used = get32(USED + 4 + 8 * (idx % 8) + 4);
	return ram[STATUS];
}

/* The device configuration capability (4.1.4.6) and what it holds
 * (5.2.4): the capacity in sectors, seg_max, blk_size. */
static void test_blk_config(void **state)
{
	unsigned at, devcfg = 0;

	(void)state;
	assert_int_equal(cfg_read(PCI_VENDOR_ID, 4), 0x10421af4);   /* 1af4:1042, block */
	for (at = cfg_read(PCI_CAP_PTR, 1); at; at = cfg_read(at + 1, 1))
		if (cfg_read(at, 1) == 0x09 && cfg_read(at + 3, 1) == 4)
			devcfg = cfg_read(at + 8, 4);
	assert_int_equal(devcfg, 0x2000);
	assert_int_equal(rd(BAR0 + devcfg, 8), IMAGE_SIZE / 512);
	assert_int_equal(rd(BAR0 + devcfg, 4), IMAGE_SIZE / 512);
	assert_int_equal(rd(BAR0 + devcfg + 12, 4), VIRTQ_MAX_SIZE - 2);
	assert_int_equal(rd(BAR0 + devcfg + 20, 4), 512);
	assert_int_equal(rd(BAR0 + devcfg + 24, 4), 0);   /* past the configuration */
	wr(BAR0, 4, 0);
	assert_int_equal(rd(BAR0 + 4, 4), BIT(2) | BIT(6) | BIT(9) | VIRTIO_F_INDIRECT_DESC |
						   VIRTIO_F_EVENT_IDX);
}

static void test_blk_requests(void **state)
{
	uint8_t want[1024];
	uint32_t used;

	(void)state;
	driver_setup(8);
	/* A read of sectors 3-4. */
	assert_int_equal(request(0, 3, 1024, true, &used), 0);
	assert_int_equal(used, 1025);
	assert_memory_equal(ram + DATA, image + 3 * 512, 1024);
	/* A write to sectors 7-8 (across a block boundary), read back;
	 * the image stays as it was. */
	for (unsigned i = 0; i < 1024; i++)
		ram[DATA + i] = want[i] = (uint8_t)(0x5a ^ i);
	assert_int_equal(request(1, 7, 1024, false, &used), 0);
	assert_int_equal(used, 1);
	assert_int_equal(pages_held, 1 + 2);   /* the table, two blocks */
	memset(ram + DATA, 0, 1024);
	assert_int_equal(request(0, 7, 1024, true, &used), 0);
	assert_memory_equal(ram + DATA, want, 1024);
	assert_int_equal(image[7 * 512], (uint8_t)(7 + 7 * 512));
	/* The last sector, then one past it; a length of no whole sector. */
	assert_int_equal(request(0, IMAGE_SIZE / 512 - 1, 512, true, &used), 0);
	assert_int_equal(request(0, IMAGE_SIZE / 512 - 1, 1024, true, &used), 1);
	assert_int_equal(used, 1);
	assert_int_equal(request(1, IMAGE_SIZE / 512, 512, false, &used), 1);
	assert_int_equal(request(0, ~0ull, 512, true, &used), 1);
	assert_int_equal(request(0, 0, 100, true, &used), 1);
	/* Flush, get ID, and a type the device does not know. */
	assert_int_equal(request(4, 0, 0, false, &used), 0);
	assert_int_equal(request(8, 0, 20, true, &used), 0);
	assert_int_equal(used, 21);
	assert_memory_equal(ram + DATA, "test-disk\0", 10);
	assert_int_equal(request(11, 0, 0, false, &used), 2);
	assert_int_equal(blk.reads, 3);
	assert_int_equal(blk.writes, 1);
	assert_int_equal(blk.errors, 4);
	assert_int_equal(reports, 0);
	/* A request with no status byte: the driver broke a rule. */
	desc(0, HDR, 16, 0, 0);
	put16(AVAIL + 4 + 2 * (get16(AVAIL + 2) % 8), 0);
	put16(AVAIL + 2, (uint16_t)(get16(AVAIL + 2) + 1));
	wr(BAR0 + 0x3000, 2, 0);
	assert_int_equal(reports, 1);
	assert_non_null(strstr(last_report, "virtio-blk: the driver broke a rule"));
	assert_true(rd(BAR0 + 0x14, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_blk_read_only(void **state)
{
	uint32_t used;

	(void)state;
	wr(BAR0, 4, 0);
	assert_true(rd(BAR0 + 4, 4) & BIT(5));   /* VIRTIO_BLK_F_RO */
	driver_setup(8);
	assert_int_equal(request(1, 0, 512, false, &used), 1);
	assert_int_equal(request(0, 0, 512, true, &used), 0);
	assert_memory_equal(ram + DATA, image, 512);
	assert_int_equal(pages_held, 0);
}

/* ---- the network device ---- */

static struct virtio_net net;
static struct vswitch sw;
static struct vswitch_frame net_queue[VSWITCH_QUEUE], peer_queue[VSWITCH_QUEUE];
static unsigned net_wakes, peer_wakes;

static void net_wake(void *ctx) { (*(unsigned *)ctx)++; }

static int setup_net(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x74, 0x68, 0x76, 0x00, 0x01 };
	struct virtio_host host;
	int port;

	setup(state);
	vswitch_init(&sw, "lan");
	net_wakes = peer_wakes = 0;
	port = vswitch_attach(&sw, net_queue, net_wake, &net_wakes);
	assert_int_equal(port, 0);
	assert_int_equal(vswitch_attach(&sw, peer_queue, net_wake, &peer_wakes), 1);
	host = (struct virtio_host){ { ram, RAM_SIZE, NULL }, msi, report, NULL, intx, 21 };
	bus_init();
	virtio_net_init(&net, &host, mac, &sw, (unsigned)port);
	assert_int_equal(vpci_add(&pci, SLOT, &net.vp.func), 0);
	bars_on();
	return 0;
}

static uint8_t peer_frame[VSWITCH_FRAME_MAX];
static size_t peer_len;

static bool peer_take(void *ctx, const uint8_t *f, size_t len)
{
	(void)ctx;
	memcpy(peer_frame, f, len);
	peer_len = len;
	return true;
}

/* The transmit queue (1) at 0x400 past the receive queue's rings. */
static void net_setup(void)
{
	driver_setup(8);
	wr(BAR0 + 0x16, 2, 1);
	wr(BAR0 + 0x18, 2, 8);
	wr(BAR0 + 0x20, 8, DESC + 0x400);
	wr(BAR0 + 0x28, 8, AVAIL + 0x400);
	wr(BAR0 + 0x30, 8, USED + 0x400);
	wr(BAR0 + 0x1a, 2, 1);
	wr(BAR0 + 0x1c, 2, 1);
}

static void test_net_config(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(PCI_VENDOR_ID, 4), 0x10411af4);   /* 1af4:1041, network */
	assert_int_equal(rd(BAR0 + 0x12, 2), 2);
	assert_int_equal(rd(BAR0 + 0x2000, 4), 0x76687402);         /* the MAC */
	assert_int_equal(rd(BAR0 + 0x2004, 2), 0x0100);
	assert_int_equal(rd(BAR0 + 0x2006, 2), 1);                  /* link up */
	wr(BAR0, 4, 0);
	assert_int_equal(rd(BAR0 + 4, 4), BIT(5) | BIT(16) | VIRTIO_F_INDIRECT_DESC |
						   VIRTIO_F_EVENT_IDX);
}

static void test_net_transmit(void **state)
{
	uint64_t addr = BUF;
	uint32_t len = 12 + 60;
	uint16_t flags = 0;

	(void)state;
	net_setup();
	memset(ram + BUF, 0, 12);                  /* the header */
	memset(ram + BUF + 12, 0xff, 6);           /* broadcast */
	memcpy(ram + BUF + 18, net.mac, 6);
	ram[BUF + 12 + 59] = 0x77;
	memcpy(ram + DESC + 0x400, &addr, 8);
	memcpy(ram + DESC + 0x400 + 8, &len, 4);
	memcpy(ram + DESC + 0x400 + 12, &flags, 2);
	put16(AVAIL + 0x400 + 4, 0);
	put16(AVAIL + 0x400 + 2, 1);
	wr(BAR0 + 0x3000 + 4, 2, 1);
	assert_int_equal(get16(USED + 0x400 + 2), 1);
	assert_int_equal(peer_wakes, 1);
	assert_int_equal(vswitch_receive(&sw, 1, peer_take, NULL), 1);
	assert_int_equal(peer_len, 60);
	assert_int_equal(peer_frame[59], 0x77);
	assert_int_equal(net.tx_frames, 1);
	/* A frame shorter than an Ethernet header is dropped. */
	len = 12 + 10;
	memcpy(ram + DESC + 0x400 + 8, &len, 4);
	put16(AVAIL + 0x400 + 4 + 2, 0);
	put16(AVAIL + 0x400 + 2, 2);
	wr(BAR0 + 0x3000 + 4, 2, 1);
	assert_int_equal(get16(USED + 0x400 + 2), 2);
	assert_int_equal(net.tx_dropped, 1);
	assert_false(vswitch_pending(&sw, 1));
}

/* A frame from the peer waits for a receive buffer, then fills it: the
 * header (num_buffers 1), then the frame. */
static void test_net_receive(void **state)
{
	uint8_t f[60] = { 0 };

	(void)state;
	net_setup();
	memcpy(f, net.mac, 6);
	f[6] = 0x02;
	f[59] = 0x42;
	assert_int_equal(vswitch_send(&sw, 1, f, sizeof(f)), 1);
	assert_int_equal(net_wakes, 1);
	virtio_net_receive(&net);                  /* no buffer yet: it waits */
	assert_int_equal(get16(USED + 2), 0);
	assert_true(vswitch_pending(&sw, 0));
	offer(0, 1526);
	wr(BAR0 + 0x3000, 2, 0);                   /* the driver's new buffer */
	assert_int_equal(get16(USED + 2), 1);
	assert_int_equal(get32(USED + 8), 12 + 60);
	assert_int_equal(get16(BUF + 10), 1);      /* num_buffers */
	assert_memory_equal(ram + BUF + 12, f, 60);
	assert_int_equal(msis, 1);
	assert_false(vswitch_pending(&sw, 0));
	/* A buffer too small for the frame: it goes back empty, the frame
	 * is lost. */
	offer(1, 40);
	assert_int_equal(vswitch_send(&sw, 1, f, sizeof(f)), 1);
	virtio_net_receive(&net);
	assert_int_equal(get16(USED + 2), 2);
	assert_int_equal(get32(USED + 8 + 8), 0);
	assert_int_equal(net.rx_dropped, 1);
	assert_int_equal(net.rx_frames, 1);
}

/* ---- the balloon ---- */

static struct virtio_balloon balloon;
static uint64_t given_pfns[64], taken_pfns[64];
static unsigned ngiven, ntaken;

static int give(void *ctx, uint64_t pfn)
{
	(void)ctx;
	if (pfn >= RAM_SIZE / 4096)
		return HV_ERANGE;
	given_pfns[ngiven++ % 64] = pfn;
	return 0;
}

static int take(void *ctx, uint64_t pfn)
{
	(void)ctx;
	taken_pfns[ntaken++ % 64] = pfn;
	return 0;
}

static uint64_t free_pages(void *ctx) { (void)ctx; return 1000 * 256; }

static int setup_balloon(void **state)
{
	struct balloon_ops ops = { give, take, free_pages, NULL };
	struct virtio_host host;

	setup(state);
	ngiven = ntaken = 0;
	host = (struct virtio_host){ { ram, RAM_SIZE, NULL }, msi, report, NULL, intx, 22 };
	bus_init();
	virtio_balloon_init(&balloon, &host, &ops, 4);
	assert_int_equal(vpci_add(&pci, SLOT, &balloon.vp.func), 0);
	bars_on();
	return 0;
}

/* Queue q (0 inflate, 1 deflate, 2 stats) at 0x400 * q past queue 0's
 * rings, 8 entries. */
static void balloon_queue(unsigned q)
{
	wr(BAR0 + 0x16, 2, q);
	wr(BAR0 + 0x18, 2, 8);
	wr(BAR0 + 0x20, 8, DESC + 0x400 * q);
	wr(BAR0 + 0x28, 8, AVAIL + 0x400 * q);
	wr(BAR0 + 0x30, 8, USED + 0x400 * q);
	wr(BAR0 + 0x1a, 2, 1);
	wr(BAR0 + 0x1c, 2, 1);
}

/* One readable buffer of len bytes at buf on queue q, notified. */
static void balloon_send(unsigned q, uint64_t buf, uint32_t len, bool writable)
{
	uint16_t idx = get16(AVAIL + 0x400 * q + 2), flags = writable ? VIRTQ_DESC_F_WRITE : 0;
	uint64_t d = DESC + 0x400 * q + 16 * (idx % 8);

	memcpy(ram + d, &buf, 8);
	memcpy(ram + d + 8, &len, 4);
	memcpy(ram + d + 12, &flags, 2);
	put16(AVAIL + 0x400 * q + 4 + 2 * (idx % 8), (uint16_t)(idx % 8));
	put16(AVAIL + 0x400 * q + 2, (uint16_t)(idx + 1));
	wr(BAR0 + 0x3000 + 4 * q, 2, q);
}

static void test_balloon(void **state)
{
	uint32_t pfns[4] = { 3, 4, 5, 999 };
	uint8_t stats[2 * 10] = { 0 };
	uint64_t memtot = 200ull << 20, memfree = 50ull << 20;

	(void)state;
	assert_int_equal(cfg_read(PCI_VENDOR_ID, 4), 0x10451af4);   /* 1af4:1045, balloon */
	assert_int_equal(rd(BAR0 + 0x12, 2), 3);
	assert_int_equal(rd(BAR0 + 0x2000, 4), 4);                  /* num_pages */
	wr(BAR0, 4, 0);
	assert_int_equal(rd(BAR0 + 4, 4) & 3, 3);                   /* MUST_TELL_HOST, STATS_VQ */
	driver_setup(8);
	balloon_queue(1);
	balloon_queue(2);
	/* Inflate: four page numbers, one of them not the VM's. */
	memcpy(ram + BUF, pfns, sizeof(pfns));
	balloon_send(0, BUF, sizeof(pfns), false);
	assert_int_equal(ngiven, 3);
	assert_int_equal(given_pfns[2], 5);
	assert_int_equal(balloon.given, 3);
	assert_int_equal(balloon.refused, 1);
	assert_int_equal(get16(USED + 2), 1);
	wr(BAR0 + 0x2004, 4, 3);                                   /* the driver's actual */
	assert_int_equal(rd(BAR0 + 0x2004, 4), 3);
	assert_int_equal(rd(BAR0 + 0x2000, 4), 4);                  /* num_pages: read-only */
	/* One more: at the target, said once. */
	reports = 0;
	pfns[0] = 6;
	memcpy(ram + BUF, pfns, 4);
	balloon_send(0, BUF, 4, false);
	assert_int_equal(balloon.given, 4);
	assert_int_equal(reports, 1);
	assert_non_null(strstr(last_report, "virtio-balloon: at its target: 0 MiB given by the guest"));
	assert_non_null(strstr(last_report, "free memory 1024000 KiB"));
	/* A new target: the driver hears of it (the configuration vector). */
	msis = 0;
	virtio_balloon_set_target(&balloon, 0);
	assert_int_equal(rd(BAR0 + 0x2000, 4), 0);
	assert_int_equal(msis, 1);
	assert_int_equal(msi_data, 0x40);
	memcpy(ram + BUF, pfns, 4);
	balloon_send(1, BUF, 4, false);
	assert_int_equal(ntaken, 1);
	assert_int_equal(taken_pfns[0], 6);
	assert_int_equal(balloon.given, 3);
	/* A stats buffer primed before DRIVER_OK (as Linux's driver does) is
	 * taken when DRIVER_OK comes. */
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	balloon_send(2, BUF + 0x100, 20, false);
	assert_false(balloon.stats_held);
	wr(BAR0 + 0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
	assert_true(balloon.stats_held);
	virtio_balloon_show(&balloon);
	assert_false(balloon.stats_held);
	/* Statistics: the buffer is kept until the shell asks; then it goes
	 * back and the next one is printed. */
	stats[0] = 5;
	memcpy(stats + 2, &memtot, 8);
	stats[10] = 4;
	memcpy(stats + 12, &memfree, 8);
	memcpy(ram + BUF + 0x100, stats, sizeof(stats));
	balloon_send(2, BUF + 0x100, sizeof(stats), false);
	assert_int_equal(get16(USED + 0x800 + 2), 1);
	assert_true(balloon.stats_held);
	virtio_balloon_show(&balloon);
	assert_int_equal(get16(USED + 0x800 + 2), 2);
	reports = 0;
	balloon_send(2, BUF + 0x100, sizeof(stats), false);
	assert_int_equal(reports, 1);
	assert_non_null(strstr(last_report, "total 200 MiB, free 50 MiB"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_and_caps), T(test_features), T(test_request), T(test_event_idx), T(test_notify_before_driver_ok),
		T(test_needs_reset), T(test_intx),
		cmocka_unit_test_setup_teardown(test_console, setup_console, teardown),
		cmocka_unit_test_setup_teardown(test_blk_config, setup_blk, teardown_blk),
		cmocka_unit_test_setup_teardown(test_blk_requests, setup_blk, teardown_blk),
		cmocka_unit_test_setup_teardown(test_blk_read_only, setup_blk_ro, teardown_blk),
		cmocka_unit_test_setup_teardown(test_net_config, setup_net, teardown),
		cmocka_unit_test_setup_teardown(test_net_transmit, setup_net, teardown),
		cmocka_unit_test_setup_teardown(test_net_receive, setup_net, teardown),
		cmocka_unit_test_setup_teardown(test_balloon, setup_balloon, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
