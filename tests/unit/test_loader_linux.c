/* Unit tests for src/boot/loader_linux.c: synthetic bzImage setup headers
 * (boot.rst "The Real-Mode Kernel Header") with a fake protected-mode
 * payload, loaded into a 64 MiB guest RAM; the zero page is checked field
 * by field at the offsets of zero-page.rst and bootparam.h, and the page
 * tables are walked as the CPU would. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <hv/errno.h>
#include <hv/loader_linux.h>

#define MIB        (1ULL << 20)
#define GIB        (1ULL << 30)
#define RAM_SIZE   (64 * MIB)
#define RAM_FILL   0xaa          /* what guest RAM holds before a load */

/* The default kernel: 4 setup sectors, then 0x3000 bytes of payload;
 * relocatable, 2 MiB aligned, preferring 16 MiB, 8 MiB init_size. */
#define SETUP_SECTS 4
#define SETUP_LEN   ((SETUP_SECTS + 1) * 512)
#define PM_LEN      0x3000
#define IMG_LEN     (SETUP_LEN + PM_LEN)
#define IMG_MAX     0x10000
#define PREF        0x1000000ULL
#define INIT_SIZE   0x800000ULL
#define KALIGN      0x200000u
#define HDR_END     0x26c        /* protocol 2.15: after kernel_info_offset */
#define INITRD_LEN  0x2345

static uint8_t *RAM;
static struct guest_mem MEM;
static struct linux_boot_result RES;
static struct linux_boot_cfg CFG;
static char ERR[256];
static uint8_t IMG[IMG_MAX];
static size_t IMG_SIZE;
static uint8_t INITRD[INITRD_LEN];

/* ---- helpers ------------------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* A setup header as a 2.15 x86-64 kernel has it, every field set to
 * something recognisable; bytes around the header are non-zero so that
 * copying too much or too little shows. */
static void make_image(void)
{
	uint8_t *b = IMG;

	memset(IMG, 0x11, SETUP_LEN);
	memset(IMG + SETUP_LEN, 0, sizeof(IMG) - SETUP_LEN);
	b[0x1ef] = 0xff;                 /* the sentinel, as header.S sets it */
	b[0x1f0] = 0x77;
	b[0x1f1] = SETUP_SECTS;
	put16(b + 0x1f2, 1);             /* root_flags */
	put32(b + 0x1f4, PM_LEN / 16);   /* syssize */
	put16(b + 0x1f8, 0);             /* ram_size */
	put16(b + 0x1fa, 0xffff);        /* vid_mode */
	put16(b + 0x1fc, 0);             /* root_dev */
	put16(b + 0x1fe, 0xaa55);        /* boot_flag */
	b[0x200] = 0xeb;                 /* jump: short, to 0x202 + 0x6a */
	b[0x201] = HDR_END - 0x202;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, 0x020f);        /* version */
	put32(b + 0x208, 0);             /* realmode_swtch */
	put16(b + 0x20c, 0x1000);        /* start_sys_seg */
	put16(b + 0x20e, 0x0400);        /* kernel_version */
	b[0x210] = 0;                    /* type_of_loader */
	b[0x211] = 0x01;                 /* loadflags: LOADED_HIGH */
	put16(b + 0x212, 0x8000);        /* setup_move_size */
	put32(b + 0x214, 0x100000);      /* code32_start */
	put32(b + 0x218, 0);             /* ramdisk_image */
	put32(b + 0x21c, 0);             /* ramdisk_size */
	put32(b + 0x220, 0);             /* bootsect_kludge */
	put16(b + 0x224, 0);             /* heap_end_ptr */
	b[0x226] = 0;
	b[0x227] = 0;
	put32(b + 0x228, 0);             /* cmd_line_ptr */
	put32(b + 0x22c, 0x7fffffff);    /* initrd_addr_max */
	put32(b + 0x230, KALIGN);        /* kernel_alignment */
	b[0x234] = 1;                    /* relocatable_kernel */
	b[0x235] = 21;                   /* min_alignment */
	put16(b + 0x236, 0x1b);          /* xloadflags: 64, above 4G, EFI */
	put32(b + 0x238, 2047);          /* cmdline_size */
	put32(b + 0x23c, 0);             /* hardware_subarch */
	put64(b + 0x240, 0);
	put32(b + 0x248, 0x3a8);         /* payload_offset */
	put32(b + 0x24c, 0x2000);        /* payload_length */
	put64(b + 0x250, 0);             /* setup_data */
	put64(b + 0x258, PREF);          /* pref_address */
	put32(b + 0x260, INIT_SIZE);     /* init_size */
	put32(b + 0x264, 0x190);         /* handover_offset */
	put32(b + 0x268, 0x2a40);        /* kernel_info_offset */
	memset(b + HDR_END, 0x5a, 0x400 - HDR_END);   /* setup code: not header */
	for (unsigned i = 0; i < PM_LEN; i++)
		b[SETUP_LEN + i] = (uint8_t)(i * 7 + 3);
	IMG_SIZE = IMG_LEN;
}

static int load(void)
{
	/* A heap copy of exactly IMG_SIZE bytes, so that the sanitizers see
	 * any read past the image. */
	void *copy = malloc(IMG_SIZE ? IMG_SIZE : 1);
	assert_non_null(copy);
	memcpy(copy, IMG, IMG_SIZE);
	CFG.kernel = copy;
	CFG.kernel_len = IMG_SIZE;
	memset(ERR, 'x', sizeof(ERR));
	int rc = linux_load(&MEM, &CFG, &RES, ERR, sizeof(ERR));
	free(copy);
	CFG.kernel = NULL;
	return rc;
}

static bool ram_untouched(void)
{
	for (size_t i = 0; i < MEM.size; i++)
		if (MEM.base[i] != RAM_FILL)
			return false;
	return true;
}

/* A rejected load: the exact message, the return code, not a byte of
 * RAM written, *out left alone. */
static void expect_fail(int rc, const char *msg)
{
	assert_int_equal(load(), rc);
	assert_string_equal(ERR, msg);
	assert_true(ram_untouched());
	assert_int_equal(RES.entry64, 0xdeadbeef);
}

static int setup(void **state)
{
	(void)state;
	memset(RAM, RAM_FILL, RAM_SIZE);
	MEM = (struct guest_mem){ RAM, RAM_SIZE };
	memset(&RES, 0, sizeof(RES));
	RES.entry64 = 0xdeadbeef;
	for (unsigned i = 0; i < INITRD_LEN; i++)
		INITRD[i] = (uint8_t)(i * 13 + 5);
	CFG = (struct linux_boot_cfg){
		.initrd = INITRD,
		.initrd_len = INITRD_LEN,
		.cmdline = "console=ttyS0 root=/dev/vda1 ro",
		.acpi_rsdp = 0xe0000,
	};
	make_image();
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	RAM = malloc(RAM_SIZE);
	return RAM ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(RAM);
	return 0;
}

static const uint8_t *zp(void)
{
	return MEM.base + LINUX_ZERO_PAGE_GPA;
}

static void check_e820(unsigned i, uint64_t addr, uint64_t size, uint32_t type)
{
	const uint8_t *e = zp() + 0x2d0 + i * 20;

	assert_int_equal(get64(e), addr);
	assert_int_equal(get64(e + 8), size);
	assert_int_equal(get32(e + 16), type);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* ---- a full load -------------------------------------------------------- */

static void test_result(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	assert_string_equal(ERR, "");
	assert_int_equal(RES.entry64, PREF + 0x200);
	assert_int_equal(RES.zero_page, 0x3000);
	assert_int_equal(RES.rsp, 0x3000);
	assert_int_equal(RES.cr3, 0x5000);
	assert_int_equal(RES.gdt_base, 0x1000);
	assert_int_equal(RES.mapped_end, 4 * GIB);
	assert_int_equal(RES.kernel_load, PREF);
	assert_int_equal(RES.kernel_end, PREF + INIT_SIZE);
	assert_int_equal(RES.initrd_addr, (RAM_SIZE - INITRD_LEN) & ~0xfffULL);
	assert_int_equal(RES.initrd_size, INITRD_LEN);
	assert_int_equal(RES.cmdline_addr, 0x4000);
	assert_int_equal(RES.protocol, 0x020f);
}

/* The setup header (0x1f1 up to 0x202 + the byte at 0x201) is copied
 * verbatim, except for the fields the loader writes. */
static void test_zero_page_header(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	const uint8_t *z = zp();
	assert_int_equal(z[0x1f1], 4);                        /* setup_sects */
	assert_int_equal(get16(z + 0x1f2), 1);                /* root_flags */
	assert_int_equal(get32(z + 0x1f4), PM_LEN / 16);      /* syssize */
	assert_int_equal(get16(z + 0x1fa), 0xffff);           /* vid_mode */
	assert_int_equal(get16(z + 0x1fe), 0xaa55);           /* boot_flag */
	assert_int_equal(z[0x200], 0xeb);
	assert_int_equal(z[0x201], 0x6a);
	assert_memory_equal(z + 0x202, "HdrS", 4);
	assert_int_equal(get16(z + 0x206), 0x020f);           /* version */
	assert_int_equal(get16(z + 0x20e), 0x0400);           /* kernel_version */
	assert_int_equal(z[0x210], 0xff);                     /* type_of_loader */
	assert_int_equal(z[0x211], 0x01);                     /* loadflags */
	assert_int_equal(get32(z + 0x214), PREF);             /* code32_start */
	assert_int_equal(get32(z + 0x218), RES.initrd_addr);  /* ramdisk_image */
	assert_int_equal(get32(z + 0x21c), INITRD_LEN);       /* ramdisk_size */
	assert_int_equal(get16(z + 0x224), 0);                /* heap_end_ptr */
	assert_int_equal(get32(z + 0x228), 0x4000);           /* cmd_line_ptr */
	assert_int_equal(get32(z + 0x22c), 0x7fffffff);       /* initrd_addr_max */
	assert_int_equal(get32(z + 0x230), KALIGN);           /* kernel_alignment */
	assert_int_equal(z[0x234], 1);                        /* relocatable_kernel */
	assert_int_equal(z[0x235], 21);                       /* min_alignment */
	assert_int_equal(get16(z + 0x236), 0x1b);             /* xloadflags */
	assert_int_equal(get32(z + 0x238), 2047);             /* cmdline_size */
	assert_int_equal(get32(z + 0x248), 0x3a8);            /* payload_offset */
	assert_int_equal(get64(z + 0x250), 0);                /* setup_data */
	assert_int_equal(get64(z + 0x258), PREF);             /* pref_address */
	assert_int_equal(get32(z + 0x260), INIT_SIZE);        /* init_size */
	assert_int_equal(get32(z + 0x264), 0x190);            /* handover_offset */
	assert_int_equal(get32(z + 0x268), 0x2a40);           /* kernel_info_offset */
	/* Past the header's end: the image's setup code is not copied. */
	assert_true(all_bytes(z + HDR_END, 0x290 - HDR_END, 0));
}

/* The loader's own fields outside the header, and zero everywhere else:
 * compared with a zero page built here from the documented offsets. */
static void test_zero_page_fields(void **state)
{
	(void)state;
	uint8_t want[4096] = { 0 };

	assert_int_equal(load(), HV_OK);
	const uint8_t *z = zp();
	assert_int_equal(get64(z + 0x070), 0xe0000);   /* acpi_rsdp_addr */
	assert_int_equal(get32(z + 0x0c0), 0);         /* ext_ramdisk_image */
	assert_int_equal(get32(z + 0x0c4), 0);         /* ext_ramdisk_size */
	assert_int_equal(get32(z + 0x0c8), 0);         /* ext_cmd_line_ptr */
	assert_int_equal(z[0x1e8], 4);                 /* e820_entries */
	assert_int_equal(z[0x1ef], 0);                 /* sentinel: not copied */
	assert_int_equal(z[0x1f0], 0);
	check_e820(0, 0, 0x9fc00, 1);
	check_e820(1, 0x9fc00, 0x400, 2);
	check_e820(2, 0xe0000, 0x20000, 2);
	check_e820(3, 0x100000, RAM_SIZE - 0x100000, 1);

	memcpy(want + 0x1f1, IMG + 0x1f1, HDR_END - 0x1f1);
	want[0x210] = 0xff;
	put32(want + 0x214, PREF);
	put32(want + 0x218, (uint32_t)RES.initrd_addr);
	put32(want + 0x21c, INITRD_LEN);
	put32(want + 0x228, 0x4000);
	put64(want + 0x070, 0xe0000);
	want[0x1e8] = 4;
	memcpy(want + 0x2d0, z + 0x2d0, 4 * 20);   /* checked above */
	assert_memory_equal(z, want, sizeof(want));
}

static void test_payload_initrd_cmdline(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	assert_memory_equal(RAM + PREF, IMG + SETUP_LEN, PM_LEN);
	/* The rest of the init_size range is the kernel's: not touched. */
	assert_int_equal(RAM[PREF - 1], RAM_FILL);
	assert_int_equal(RAM[PREF + PM_LEN], RAM_FILL);
	assert_memory_equal(RAM + RES.initrd_addr, INITRD, INITRD_LEN);
	assert_int_equal(RAM[RES.initrd_addr - 1], RAM_FILL);
	assert_int_equal(RES.initrd_addr % 4096, 0);
	assert_true(RES.initrd_addr >= RES.kernel_end);
	assert_string_equal((char *)RAM + 0x4000, CFG.cmdline);
	assert_true(all_bytes(RAM + 0x4000 + strlen(CFG.cmdline), 0x1000 - strlen(CFG.cmdline), 0));
}

/* Below 0x1000 (IVT, BIOS data) and from the end of the last page
 * directory up to 1 MiB nothing is written; the stack page is zero. */
static void test_low_memory(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	assert_true(all_bytes(RAM, 0x1000, RAM_FILL));
	assert_true(all_bytes(RAM + 0x2000, 0x1000, 0));
	assert_true(all_bytes(RAM + 0x7000 + 4 * 0x1000, 0x100000 - 0xb000, RAM_FILL));
}

/* ---- GDT and page tables ------------------------------------------------ */

struct desc {
	uint32_t base, limit;
	unsigned type, s, dpl, p, l, db, g;
};

static struct desc decode(uint64_t d)
{
	return (struct desc){
		.limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16),
		.base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24),
		.type = (d >> 40) & 0xf,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.p = (d >> 47) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = (d >> 55) & 1,
	};
}

static void test_gdt(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	const uint8_t *gdt = RAM + RES.gdt_base;
	assert_int_equal(LINUX_GDT_LIMIT, 4 * 8 - 1);
	assert_int_equal(get64(gdt), 0);
	assert_int_equal(get64(gdt + 8), 0);

	/* __BOOT_CS: flat, 64-bit code (L=1, D=0), execute/read. */
	uint64_t cs = get64(gdt + 0x10);
	struct desc c = decode(cs);
	assert_int_equal(c.base, 0);
	assert_int_equal(c.limit, 0xfffff);
	assert_int_equal(c.g, 1);
	assert_int_equal(c.p, 1);
	assert_int_equal(c.s, 1);
	assert_int_equal(c.dpl, 0);
	assert_int_equal(c.type & 0xa, 0xa);       /* code, readable */
	assert_int_equal(c.l, 1);
	assert_int_equal(c.db, 0);

	/* __BOOT_DS: flat 4 GiB, read/write data. */
	uint64_t ds = get64(gdt + 0x18);
	struct desc d = decode(ds);
	assert_int_equal(d.base, 0);
	assert_int_equal(d.limit, 0xfffff);
	assert_int_equal(d.g, 1);
	assert_int_equal(d.p, 1);
	assert_int_equal(d.s, 1);
	assert_int_equal(d.dpl, 0);
	assert_int_equal(d.type & 0xa, 0x2);       /* data, writable */
	assert_int_equal(d.db, 1);

	/* The VMCS access rights are the same descriptors' bits 40-55. */
	assert_int_equal(LINUX_BOOT_CS_AR, (cs >> 40) & 0xf0ff);
	assert_int_equal(LINUX_BOOT_DS_AR, (ds >> 40) & 0xf0ff);
	assert_true(all_bytes(gdt + 0x20, 0x1000 - 0x20, 0));
}

#define PTE_ADDR 0x000ffffffffff000ULL

/* The 4-level walk of Intel SDM vol. 3, 4.5, for a present, writable,
 * supervisor mapping.  Returns false where a level is not present. */
static bool walk(uint64_t va, uint64_t *pa)
{
	uint64_t e = get64(MEM.base + RES.cr3 + 8 * ((va >> 39) & 511));

	if (!(e & 1))
		return false;
	assert_int_equal(e & 0x82, 0x02);           /* RW, no PS in a PML4E */
	assert_true((e & PTE_ADDR) + 4096 <= MEM.size);
	e = get64(MEM.base + (e & PTE_ADDR) + 8 * ((va >> 30) & 511));
	if (!(e & 1))
		return false;
	assert_int_equal(e & 0x82, 0x02);           /* no 1 GiB pages */
	assert_true((e & PTE_ADDR) + 4096 <= MEM.size);
	e = get64(MEM.base + (e & PTE_ADDR) + 8 * ((va >> 21) & 511));
	if (!(e & 1))
		return false;
	assert_int_equal(e & 0x86, 0x82);           /* 2 MiB page, RW, supervisor */
	assert_int_equal(e & (1ULL << 63), 0);      /* executable */
	*pa = (e & 0x000fffffffe00000ULL) | (va & 0x1fffff);
	return true;
}

static void expect_identity(uint64_t va)
{
	uint64_t pa = ~0ULL;

	assert_true(walk(va, &pa));
	assert_int_equal(pa, va);
}

static void expect_unmapped(uint64_t va)
{
	uint64_t pa;

	assert_false(walk(va, &pa));
}

/* boot.rst "64-bit Boot Protocol": the kernel's init_size range, the zero
 * page and the command line identity-mapped; here also the initrd, the
 * GDT, the stack, and all of the first 4 GiB. */
static void test_page_tables(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	expect_identity(0);
	expect_identity(RES.gdt_base);
	expect_identity(RES.rsp - 8);
	expect_identity(RES.zero_page);
	expect_identity(RES.zero_page + 4095);
	expect_identity(RES.cmdline_addr);
	expect_identity(RES.entry64);
	expect_identity(RES.kernel_load);
	expect_identity(RES.kernel_end - 1);
	expect_identity(RES.initrd_addr);
	expect_identity(RES.initrd_addr + RES.initrd_size - 1);
	expect_identity(0xfec00000);                 /* I/O APIC */
	expect_identity(0xfee00000);                 /* local APIC */
	expect_identity(4 * GIB - 1);
	expect_unmapped(4 * GIB);
	expect_unmapped(512 * GIB);
	for (uint64_t a = 0; a < 4 * GIB; a += 2 * MIB)
		expect_identity(a + 0x1234);
	/* Only PML4[0] and PDPT[0..3] are present. */
	for (unsigned i = 1; i < 512; i++)
		assert_int_equal(get64(RAM + 0x5000 + 8 * i), 0);
	for (unsigned i = 4; i < 512; i++)
		assert_int_equal(get64(RAM + 0x6000 + 8 * i), 0);
}

/* ---- larger guests ------------------------------------------------------ */

/* A sparse guest RAM: only the pages the loader writes get memory. */
static uint8_t *map_big(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void test_big_ram(void **state)
{
	(void)state;
	uint64_t size = 5 * GIB + 2 * MIB;
	uint8_t *big = map_big(size);
	if (!big)
		skip();
	MEM = (struct guest_mem){ big, size };
	assert_int_equal(load(), HV_OK);
	/* The map covers all RAM, rounded up to a GiB. */
	assert_int_equal(RES.mapped_end, 6 * GIB);
	expect_identity(5 * GIB + 2 * MIB - 1);
	expect_identity(6 * GIB - 1);
	expect_unmapped(6 * GIB);
	/* The initrd stays at or below initrd_addr_max, not at RAM's end. */
	assert_int_equal(RES.initrd_addr, (0x80000000ULL - INITRD_LEN) & ~0xfffULL);
	assert_memory_equal(big + RES.initrd_addr, INITRD, INITRD_LEN);
	check_e820(3, 0x100000, size - 0x100000, 1);

	/* A kernel range that would cross 4 GiB. */
	memset(&RES, 0, sizeof(RES));
	RES.entry64 = 0xdeadbeef;
	put64(IMG + 0x258, 0xffe00000);
	assert_int_equal(load(), HV_EINVAL);
	assert_string_equal(ERR, "kernel range [0xffe00000-0x100600000) crosses 4 GiB");
	munmap(big, size);
}

static void test_huge_ram_map_capped(void **state)
{
	(void)state;
	uint64_t size = 100 * GIB;
	uint8_t *big = map_big(size);
	if (!big)
		skip();
	MEM = (struct guest_mem){ big, size };
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.mapped_end, 64 * GIB);
	expect_identity(64 * GIB - 1);
	expect_unmapped(64 * GIB);
	/* The last page directory ends the area. */
	assert_int_equal(get64(big + 0x6000 + 8 * 63) & PTE_ADDR, 0x7000 + 63 * 0x1000);
	assert_int_equal(0x7000 + 64 * 0x1000, LINUX_AREA_END);
	assert_true(LINUX_AREA_END <= 0x9fc00);
	munmap(big, size);
}

/* ---- placement ---------------------------------------------------------- */

static void test_no_initrd(void **state)
{
	(void)state;
	CFG.initrd = NULL;
	CFG.initrd_len = 0;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.initrd_addr, 0);
	assert_int_equal(RES.initrd_size, 0);
	assert_int_equal(get32(zp() + 0x218), 0);
	assert_int_equal(get32(zp() + 0x21c), 0);
	assert_int_equal(get32(zp() + 0x0c0), 0);
	assert_int_equal(get32(zp() + 0x0c4), 0);
	assert_true(all_bytes(RAM + RES.kernel_end, RAM_SIZE - RES.kernel_end, RAM_FILL));
}

/* An initrd with a non-NULL buffer but no bytes is no initrd. */
static void test_empty_initrd(void **state)
{
	(void)state;
	CFG.initrd_len = 0;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.initrd_addr, 0);
	assert_int_equal(get32(zp() + 0x218), 0);
}

/* initrd_addr_max inside the kernel's range: the initrd goes below it. */
static void test_initrd_below_kernel(void **state)
{
	(void)state;
	put32(IMG + 0x22c, 0x17fffff);
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.initrd_addr, (PREF - INITRD_LEN) & ~0xfffULL);
	assert_memory_equal(RAM + RES.initrd_addr, INITRD, INITRD_LEN);
	assert_int_equal(get32(zp() + 0x218), RES.initrd_addr);
}

/* No room above the kernel (32 MiB RAM, kernel up to 24 MiB): below. */
static void test_initrd_too_big_for_above(void **state)
{
	(void)state;
	size_t len = 12 * MIB;
	uint8_t *rd = malloc(len);
	assert_non_null(rd);
	memset(rd, 0x3c, len);
	MEM.size = 32 * MIB;
	CFG.initrd = rd;
	CFG.initrd_len = len;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.initrd_addr, 4 * MIB);
	assert_int_equal(get32(zp() + 0x21c), len);
	assert_true(all_bytes(RAM + 4 * MIB, len, 0x3c));
	assert_int_equal(RAM[16 * MIB], IMG[SETUP_LEN]);
	free(rd);
}

/* initrd_addr_max is the highest byte the initrd may occupy. */
static void test_initrd_addr_max_exact(void **state)
{
	(void)state;
	put32(IMG + 0x22c, 0x2000000 + 0x3000 - 1);   /* 32 MiB + 12 KiB, minus 1 */
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.initrd_addr, 0x2000000);  /* 0x2345 bytes below 0x2003000, page aligned */
	assert_true(RES.initrd_addr + INITRD_LEN - 1 <= 0x2002fff);
}

static void test_initrd_does_not_fit(void **state)
{
	(void)state;
	size_t len = 48 * MIB;
	uint8_t *rd = calloc(1, len);
	assert_non_null(rd);
	CFG.initrd = rd;
	CFG.initrd_len = len;
	expect_fail(HV_ERANGE,
		    "initrd of 50331648 bytes does not fit below 0x4000000 (kernel at [0x1000000-0x1800000))");
	free(rd);
}

static void test_pref_address_zero(void **state)
{
	(void)state;
	put64(IMG + 0x258, 0);
	assert_int_equal(load(), HV_OK);
	/* Loaded at 1 MiB; the runtime start is aligned up to 2 MiB. */
	assert_int_equal(RES.kernel_load, 0x100000);
	assert_int_equal(RES.entry64, 0x100200);
	assert_int_equal(RES.kernel_end, 0x200000 + INIT_SIZE);
	assert_memory_equal(RAM + 0x100000, IMG + SETUP_LEN, PM_LEN);
	assert_int_equal(get32(zp() + 0x214), 0x100000);
}

/* "runtime_start = align_up(load_address, kernel_alignment)". */
static void test_unaligned_pref_address(void **state)
{
	(void)state;
	put64(IMG + 0x258, 0x1100000);
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.kernel_load, 0x1100000);
	assert_int_equal(RES.entry64, 0x1100200);
	assert_int_equal(RES.kernel_end, 0x1200000 + INIT_SIZE);
}

/* Not relocatable: runs at pref_address; kernel_alignment is ignored. */
static void test_not_relocatable(void **state)
{
	(void)state;
	IMG[0x234] = 0;
	put32(IMG + 0x230, 3);
	put64(IMG + 0x258, 0x1100000);
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.kernel_load, 0x1100000);
	assert_int_equal(RES.kernel_end, 0x1100000 + INIT_SIZE);
}

/* The payload itself always counts, whatever init_size says. */
static void test_init_size_below_payload(void **state)
{
	(void)state;
	put32(IMG + 0x260, 0x1000);
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.kernel_end, PREF + PM_LEN);
	assert_int_equal(RES.initrd_addr, (RAM_SIZE - INITRD_LEN) & ~0xfffULL);
}

/* A kernel filling RAM exactly fits. */
static void test_kernel_fills_ram(void **state)
{
	(void)state;
	CFG.initrd_len = 0;
	MEM.size = PREF + INIT_SIZE;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.kernel_end, MEM.size);
}

/* ---- header variants ---------------------------------------------------- */

/* "If this field is 0, the real value is 4"; the loader writes 4. */
static void test_setup_sects_zero(void **state)
{
	(void)state;
	IMG[0x1f1] = 0;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(zp()[0x1f1], 4);
	assert_memory_equal(RAM + PREF, IMG + SETUP_LEN, PM_LEN);
}

static void test_setup_sects_one(void **state)
{
	(void)state;
	IMG[0x1f1] = 1;
	assert_int_equal(load(), HV_OK);
	assert_memory_equal(RAM + PREF, IMG + 0x400, IMG_LEN - 0x400);
	assert_int_equal(RAM[PREF + IMG_LEN - 0x400], RAM_FILL);
}

/* A jump byte claiming a longer header: copied up to boot_params' hole
 * end (0x290), never over edd_mbr_sig_buffer. */
static void test_header_length_capped(void **state)
{
	(void)state;
	IMG[0x201] = 0xff;
	assert_int_equal(load(), HV_OK);
	assert_memory_equal(zp() + 0x26c, IMG + 0x26c, 0x290 - 0x26c);
	assert_true(all_bytes(zp() + 0x290, 0x2d0 - 0x290, 0));
}

/* A 2.12 header ends after init_size at 0x264: enough. */
static void test_protocol_2_12(void **state)
{
	(void)state;
	put16(IMG + 0x206, 0x020c);
	IMG[0x201] = 0x264 - 0x202;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(RES.protocol, 0x020c);
	assert_true(all_bytes(zp() + 0x264, 0x290 - 0x264, 0));
}

static void test_null_cmdline(void **state)
{
	(void)state;
	CFG.cmdline = NULL;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(get32(zp() + 0x228), 0x4000);   /* set all the same */
	assert_true(all_bytes(RAM + 0x4000, 0x1000, 0));
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_cmdline_limits(void **state)
{
	(void)state;
	char *ok = repeat('a', 2047), *bad = repeat('b', 2048);

	CFG.cmdline = ok;
	assert_int_equal(load(), HV_OK);
	assert_string_equal((char *)RAM + 0x4000, ok);
	free(ok);

	memset(RAM, RAM_FILL, RAM_SIZE);
	RES.entry64 = 0xdeadbeef;
	CFG.cmdline = bad;
	expect_fail(HV_EINVAL, "command line of 2048 bytes is longer than the kernel's cmdline_size (2047)");
	free(bad);

	/* A kernel allowing more than the slot holds. */
	put32(IMG + 0x238, 0x10000);
	ok = repeat('c', 4095);
	bad = repeat('d', 4096);
	CFG.cmdline = ok;
	assert_int_equal(load(), HV_OK);
	assert_string_equal((char *)RAM + 0x4000, ok);
	assert_int_equal(RAM[0x5000 - 1], 0);
	memset(RAM, RAM_FILL, RAM_SIZE);
	RES.entry64 = 0xdeadbeef;
	CFG.cmdline = bad;
	expect_fail(HV_EINVAL, "command line of 4096 bytes is longer than the 4095 bytes reserved for it");
	free(ok);
	free(bad);
}

/* A second load over the first leaves nothing of the first behind in the
 * low area. */
static void test_reload(void **state)
{
	(void)state;
	assert_int_equal(load(), HV_OK);
	CFG.cmdline = "x";
	CFG.acpi_rsdp = 0;
	assert_int_equal(load(), HV_OK);
	assert_string_equal((char *)RAM + 0x4000, "x");
	assert_true(all_bytes(RAM + 0x4002, 0x1000 - 2, 0));
	assert_int_equal(get64(zp() + 0x070), 0);
}

/* ---- memory map --------------------------------------------------------- */

static void test_e820_given(void **state)
{
	(void)state;
	const struct linux_e820 map[] = {
		{ 0, 0x9f000, LINUX_E820_RAM },
		{ 0x100000, RAM_SIZE - 0x100000 - 0x10000, LINUX_E820_RAM },
		{ RAM_SIZE - 0x10000, 0x10000, LINUX_E820_ACPI },
		{ 0xfec00000, 0x1000, LINUX_E820_RESERVED },   /* outside RAM: fine */
	};
	CFG.e820 = map;
	CFG.e820_count = 4;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(zp()[0x1e8], 4);
	for (unsigned i = 0; i < 4; i++)
		check_e820(i, map[i].addr, map[i].size, map[i].type);
	assert_true(all_bytes(zp() + 0x2d0 + 4 * 20, 0xa00 - 4 * 20, 0));
}

static void test_e820_full(void **state)
{
	(void)state;
	struct linux_e820 map[128];
	for (unsigned i = 0; i < 128; i++)
		map[i] = (struct linux_e820){ i * 0x10000ULL, 0x10000, 1 + i % 5 };
	CFG.e820 = map;
	CFG.e820_count = 128;
	assert_int_equal(load(), HV_OK);
	assert_int_equal(zp()[0x1e8], 128);
	check_e820(127, 127 * 0x10000ULL, 0x10000, 1 + 127 % 5);
	assert_true(all_bytes(zp() + 0xcd0, 0x1000 - 0xcd0, 0));
}

static void test_e820_errors(void **state)
{
	(void)state;
	struct linux_e820 map[129] = { { 0, 0x1000, 1 } };
	CFG.e820 = map;
	CFG.e820_count = 129;
	expect_fail(HV_EINVAL, "e820 map has 129 entries; the zero page holds 128");

	map[1] = (struct linux_e820){ 0x100000, RAM_SIZE, LINUX_E820_RAM };
	CFG.e820_count = 2;
	expect_fail(HV_ERANGE, "e820 entry 1 (RAM at 0x100000, size 0x4000000) lies outside guest RAM");
	map[1] = (struct linux_e820){ ~0ULL - 0xfff, 0x2000, LINUX_E820_RAM };
	expect_fail(HV_ERANGE,
		    "e820 entry 1 (RAM at 0xfffffffffffff000, size 0x2000) lies outside guest RAM");

	CFG.e820 = NULL;
	expect_fail(HV_EINVAL, "linux_load: e820_count is 2 but e820 is NULL");
}

/* ---- rejected images ---------------------------------------------------- */

static void test_too_short(void **state)
{
	(void)state;
	IMG_SIZE = 1023;
	expect_fail(HV_EINVAL, "kernel image of 1023 bytes is too short for a bzImage (at least 1 KiB of setup)");
	IMG_SIZE = 0;
	expect_fail(HV_EINVAL, "kernel image of 0 bytes is too short for a bzImage (at least 1 KiB of setup)");
}

static void test_bad_magic(void **state)
{
	(void)state;
	put16(IMG + 0x1fe, 0x55aa);
	expect_fail(HV_EINVAL, "not a Linux kernel image (boot_flag at 0x1fe is 0x55aa, not 0xaa55)");
	make_image();
	memcpy(IMG + 0x202, "HdrT", 4);
	expect_fail(HV_EINVAL, "not a Linux kernel image (no HdrS signature)");
}

static void test_old_protocol(void **state)
{
	(void)state;
	put16(IMG + 0x206, 0x0205);
	expect_fail(HV_EINVAL, "boot protocol 2.05 is too old (need 2.12+ for the 64-bit entry point)");
	put16(IMG + 0x206, 0x020b);
	expect_fail(HV_EINVAL, "boot protocol 2.11 is too old (need 2.12+ for the 64-bit entry point)");
}

static void test_header_too_short(void **state)
{
	(void)state;
	IMG[0x201] = 0x30;
	expect_fail(HV_EINVAL, "setup header ends at 0x232, before the init_size field (0x264)");
}

static void test_not_bzimage(void **state)
{
	(void)state;
	IMG[0x211] = 0x80;
	expect_fail(HV_EINVAL, "not a bzImage (LOADED_HIGH clear in loadflags)");
}

static void test_not_64bit(void **state)
{
	(void)state;
	put16(IMG + 0x236, 0x1a);
	expect_fail(HV_EINVAL, "kernel is not 64-bit capable (XLF_KERNEL_64 clear)");
}

static void test_no_protected_mode_code(void **state)
{
	(void)state;
	IMG[0x1f1] = 30;
	expect_fail(HV_EINVAL,
		    "kernel image of 14848 bytes has no protected-mode code after its 15872 bytes of setup (setup_sects 30)");
	IMG[0x1f1] = 4;
	IMG_SIZE = SETUP_LEN;
	expect_fail(HV_EINVAL,
		    "kernel image of 2560 bytes has no protected-mode code after its 2560 bytes of setup (setup_sects 4)");
}

static void test_bad_alignment(void **state)
{
	(void)state;
	put32(IMG + 0x230, 0x300000);
	expect_fail(HV_EINVAL, "kernel_alignment 0x300000 is not a power of two");
	put32(IMG + 0x230, 0);
	expect_fail(HV_EINVAL, "kernel_alignment 0x0 is not a power of two");
}

static void test_bad_pref_address(void **state)
{
	(void)state;
	put64(IMG + 0x258, 0x80000);
	expect_fail(HV_EINVAL, "kernel's preferred load address 0x80000 is below 1 MiB");
	put64(IMG + 0x258, 0x100000000ULL);
	expect_fail(HV_EINVAL, "kernel's preferred load address 0x100000000 is above 4 GiB");
	put64(IMG + 0x258, ~0ULL);
	expect_fail(HV_EINVAL, "kernel's preferred load address 0xffffffffffffffff is above 4 GiB");
}

static void test_kernel_does_not_fit(void **state)
{
	(void)state;
	MEM.size = 20 * MIB;
	expect_fail(HV_ERANGE, "kernel does not fit in guest RAM (needs 8 MiB at 0x1000000; guest RAM is 20 MiB)");
	MEM.size = PREF + INIT_SIZE - 1;
	expect_fail(HV_ERANGE,
		    "kernel does not fit in guest RAM (needs 8 MiB at 0x1000000; guest RAM is 25165823 bytes)");
	/* Huge init_size near pref_address at the top of 4 GiB. */
	MEM.size = RAM_SIZE;
	put64(IMG + 0x258, 0xfff00000);
	put32(IMG + 0x260, 0xffffffff);
	expect_fail(HV_ERANGE,
		    "kernel does not fit in guest RAM (needs 4097 MiB at 0xfff00000; guest RAM is 64 MiB)");
}

static void test_ram_too_small(void **state)
{
	(void)state;
	MEM.size = 0x100000;
	expect_fail(HV_ERANGE, "guest RAM (1024 KiB) must be larger than 1 MiB");
	MEM.size = 0;
	expect_fail(HV_ERANGE, "guest RAM (0 KiB) must be larger than 1 MiB");
}

static void test_buffers_inside_ram(void **state)
{
	(void)state;
	memcpy(RAM + 32 * MIB, IMG, IMG_LEN);
	CFG.kernel = RAM + 32 * MIB;
	CFG.kernel_len = IMG_LEN;
	assert_int_equal(linux_load(&MEM, &CFG, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, "the kernel image buffer overlaps guest RAM");

	CFG.initrd = RAM + RAM_SIZE - 16;
	CFG.initrd_len = 32;
	assert_int_equal(load(), HV_EINVAL);
	assert_string_equal(ERR, "the initrd buffer overlaps guest RAM");
	assert_int_equal(RES.entry64, 0xdeadbeef);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	static const char *const missing = "linux_load: missing guest memory, kernel or result";
	uint8_t k[16] = { 0 };

	assert_int_equal(linux_load(NULL, &CFG, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, missing);
	assert_int_equal(linux_load(&MEM, NULL, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, missing);
	CFG.kernel = NULL;
	assert_int_equal(linux_load(&MEM, &CFG, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, missing);
	CFG.kernel = k;
	assert_int_equal(linux_load(&MEM, &CFG, NULL, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, missing);
	struct guest_mem nobase = { NULL, RAM_SIZE };
	assert_int_equal(linux_load(&nobase, &CFG, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, missing);

	CFG.initrd = NULL;
	expect_fail(HV_EINVAL, "linux_load: initrd_len is 9029 but initrd is NULL");
}

/* The error buffer: optional, and always terminated when it has room. */
static void test_error_buffer(void **state)
{
	(void)state;
	char small[8];

	memcpy(IMG + 0x202, "Nope", 4);
	void *copy = malloc(IMG_LEN);
	assert_non_null(copy);
	memcpy(copy, IMG, IMG_LEN);
	CFG.kernel = copy;
	CFG.kernel_len = IMG_LEN;
	assert_int_equal(linux_load(&MEM, &CFG, &RES, NULL, 0), HV_EINVAL);
	assert_int_equal(linux_load(&MEM, &CFG, &RES, small, sizeof(small)), HV_EINVAL);
	assert_string_equal(small, "not a L");
	small[0] = 'q';
	assert_int_equal(linux_load(&MEM, &CFG, &RES, small, 0), HV_EINVAL);
	assert_int_equal(small[0], 'q');
	free(copy);
	/* And a success clears a stale message. */
	make_image();
	assert_int_equal(load(), HV_OK);
	assert_string_equal(ERR, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_result, setup),
		cmocka_unit_test_setup(test_zero_page_header, setup),
		cmocka_unit_test_setup(test_zero_page_fields, setup),
		cmocka_unit_test_setup(test_payload_initrd_cmdline, setup),
		cmocka_unit_test_setup(test_low_memory, setup),
		cmocka_unit_test_setup(test_gdt, setup),
		cmocka_unit_test_setup(test_page_tables, setup),
		cmocka_unit_test_setup(test_big_ram, setup),
		cmocka_unit_test_setup(test_huge_ram_map_capped, setup),
		cmocka_unit_test_setup(test_no_initrd, setup),
		cmocka_unit_test_setup(test_empty_initrd, setup),
		cmocka_unit_test_setup(test_initrd_below_kernel, setup),
		cmocka_unit_test_setup(test_initrd_too_big_for_above, setup),
		cmocka_unit_test_setup(test_initrd_addr_max_exact, setup),
		cmocka_unit_test_setup(test_initrd_does_not_fit, setup),
		cmocka_unit_test_setup(test_pref_address_zero, setup),
		cmocka_unit_test_setup(test_unaligned_pref_address, setup),
		cmocka_unit_test_setup(test_not_relocatable, setup),
		cmocka_unit_test_setup(test_init_size_below_payload, setup),
		cmocka_unit_test_setup(test_kernel_fills_ram, setup),
		cmocka_unit_test_setup(test_setup_sects_zero, setup),
		cmocka_unit_test_setup(test_setup_sects_one, setup),
		cmocka_unit_test_setup(test_header_length_capped, setup),
		cmocka_unit_test_setup(test_protocol_2_12, setup),
		cmocka_unit_test_setup(test_null_cmdline, setup),
		cmocka_unit_test_setup(test_cmdline_limits, setup),
		cmocka_unit_test_setup(test_reload, setup),
		cmocka_unit_test_setup(test_e820_given, setup),
		cmocka_unit_test_setup(test_e820_full, setup),
		cmocka_unit_test_setup(test_e820_errors, setup),
		cmocka_unit_test_setup(test_too_short, setup),
		cmocka_unit_test_setup(test_bad_magic, setup),
		cmocka_unit_test_setup(test_old_protocol, setup),
		cmocka_unit_test_setup(test_header_too_short, setup),
		cmocka_unit_test_setup(test_not_bzimage, setup),
		cmocka_unit_test_setup(test_not_64bit, setup),
		cmocka_unit_test_setup(test_no_protected_mode_code, setup),
		cmocka_unit_test_setup(test_bad_alignment, setup),
		cmocka_unit_test_setup(test_bad_pref_address, setup),
		cmocka_unit_test_setup(test_kernel_does_not_fit, setup),
		cmocka_unit_test_setup(test_ram_too_small, setup),
		cmocka_unit_test_setup(test_buffers_inside_ram, setup),
		cmocka_unit_test_setup(test_bad_arguments, setup),
		cmocka_unit_test_setup(test_error_buffer, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
