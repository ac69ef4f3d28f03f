/* Linux bzImage loader for the 64-bit boot protocol: Linux
 * Documentation/arch/x86/boot.rst ("The Real-Mode Kernel Header", "Details
 * of Header Fields", "Loading The Rest of The Kernel", "64-bit Boot
 * Protocol") and zero-page.rst (struct boot_params, whose layout is in
 * arch/x86/include/uapi/asm/bootparam.h).
 *
 * The image is untrusted.  Its header lies in the first 1 KiB, which is
 * checked to be there before anything is read; every address and size it
 * gives is checked in 64-bit arithmetic that cannot wrap, against guest
 * RAM, before a byte is written.  The load runs in two steps, plan (all
 * checks, nothing written) and build, so a rejected image leaves guest
 * RAM as it was.  Layout and entry state: loader_linux.h. */
#include <hv/bytes.h>
#include <hv/errno.h>
#include <hv/loader_linux.h>
#include <hv/loader_util.h>
#include <hv/string.h>

#define KIB  1024u
#define MIB  (1024u * 1024u)
#define GIB4 (1ULL << 32)

/* "The Real-Mode Kernel Header": field offsets in the image.  The zero
 * page holds the header at the same offsets (boot_params.hdr is at
 * 0x1f1), so each constant serves both. */
#define HDR_SETUP_SECTS     0x1f1
#define HDR_BOOT_FLAG       0x1fe
#define HDR_JUMP            0x200
#define HDR_HEADER          0x202
#define HDR_VERSION         0x206
#define HDR_TYPE_OF_LOADER  0x210
#define HDR_LOADFLAGS       0x211
#define HDR_CODE32_START    0x214
#define HDR_RAMDISK_IMAGE   0x218
#define HDR_RAMDISK_SIZE    0x21c
#define HDR_CMD_LINE_PTR    0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_KERNEL_ALIGN    0x230
#define HDR_RELOCATABLE     0x234
#define HDR_XLOADFLAGS      0x236
#define HDR_CMDLINE_SIZE    0x238
#define HDR_PREF_ADDRESS    0x258
#define HDR_INIT_SIZE       0x260
#define HDR_NEEDED_END      0x264   /* init_size is the last field read */
#define HDR_HOLE_END        0x290   /* boot_params: edd_mbr_sig_buffer */

#define SETUP_MIN           0x400u  /* boot sector + at least one sector */
#define SECTOR              512u
#define SETUP_SECTS_ZERO    4u      /* "if setup_sects is 0, the real value is 4" */
#define BOOT_FLAG           0xaa55u
#define HDRS_MAGIC          0x53726448u   /* "HdrS" */
#define PROTO_MIN           0x020cu /* 2.12: xloadflags, see check_header() */
#define LOADED_HIGH         BIT(0)
#define XLF_KERNEL_64       BIT(0)
#define LOADER_UNDEFINED    0xffu   /* type_of_loader: no assigned id */
#define ENTRY64_OFFSET      0x200u  /* "64-bit Boot Protocol": startup_64 */

/* zero-page.rst: boot_params fields outside the setup header. */
#define ZP_ACPI_RSDP_ADDR   0x070
#define ZP_EXT_RAMDISK_IMG  0x0c0
#define ZP_EXT_RAMDISK_SIZE 0x0c4
#define ZP_EXT_CMD_LINE_PTR 0x0c8
#define ZP_E820_ENTRIES     0x1e8
#define ZP_E820_TABLE       0x2d0
#define E820_ENTRY_LEN      20u     /* struct boot_e820_entry, packed */

/* The PC low-memory picture of the default memory map. */
#define BASE_MEM_END        0x9fc00u
#define VGA_START           0xa0000u
/* The upper BIOS area, 0xE0000-0xFFFFF: reserved, as the guest ACPI
 * tables are there (ACPI 6.0 5.2.5.1: the RSDP is found by scanning it). */
#define BIOS_START          0xe0000u

/* Page-table entries (Intel SDM vol. 3, 4.5): present, writable, and the
 * accessed (and, for 2 MiB leaves, dirty) bits preset so that the CPU
 * never has to write the tables. */
#define PTE_TABLE           0x023ULL    /* P | RW | A */
#define PTE_LARGE           0x0e3ULL    /* P | RW | A | D | PS */
#define PT_ENTRIES          512u

/* One load request. */
struct ld {
	const struct guest_mem *mem;
	const struct linux_boot_cfg *cfg;
	const uint8_t *img;
	struct load_err err;
};

/* What the build step writes, all checked. */
struct plan {
	uint16_t version;
	uint32_t setup_len;      /* real-mode part: (setup_sects + 1) * 512 */
	uint32_t hdr_len;        /* bytes of setup header copied from 0x1f1 */
	uint64_t pm_len;         /* protected-mode part: the rest of the file */
	uint64_t load, end;      /* kernel: copied at load, may use up to end */
	uint64_t initrd;         /* its address; 0 without one */
	size_t cmdline_len;
	unsigned gib;            /* GiB identity-mapped */
};

/* ---- arguments ---------------------------------------------------------- */

static bool overlaps_ram(const struct guest_mem *m, const void *buf, size_t len)
{
	uintptr_t ram = (uintptr_t)m->base, p = (uintptr_t)buf;

	return len && p < ram + m->size && ram < p + len;
}

static int check_args(struct ld *ld)
{
	const struct linux_boot_cfg *c = ld->cfg;
	const struct guest_mem *m = ld->mem;

	if (c->initrd_len && !c->initrd)
		return load_fail(&ld->err, HV_EINVAL, "linux_load: initrd_len is %zu but initrd is NULL",
				 c->initrd_len);
	if (c->e820_count && !c->e820)
		return load_fail(&ld->err, HV_EINVAL, "linux_load: e820_count is %u but e820 is NULL",
				 c->e820_count);
	/* The low area and the 1 MiB kernel floor both need RAM above 1 MiB;
	 * this also makes every fixed address of the layout valid. */
	if (m->size <= LINUX_KERNEL_MIN)
		return load_fail(&ld->err, HV_ERANGE, "guest RAM (%llu KiB) must be larger than 1 MiB",
				 (unsigned long long)(m->size / KIB));
	/* Copying from a buffer inside guest RAM could overwrite bytes of it
	 * that are still to be read. */
	if (overlaps_ram(m, c->kernel, c->kernel_len))
		return load_fail(&ld->err, HV_EINVAL, "the kernel image buffer overlaps guest RAM");
	if (overlaps_ram(m, c->initrd, c->initrd_len))
		return load_fail(&ld->err, HV_EINVAL, "the initrd buffer overlaps guest RAM");
	return HV_OK;
}

/* ---- setup header ("The Real-Mode Kernel Header") ----------------------- */

static int check_magic(struct ld *ld)
{
	size_t len = ld->cfg->kernel_len;

	/* The loader "may choose to load only the first two sectors (1K)
	 * and then examine the bootup sector size": the header lies there. */
	if (len < SETUP_MIN)
		return load_fail(&ld->err, HV_EINVAL,
				 "kernel image of %zu bytes is too short for a bzImage (at least 1 KiB of setup)",
				 len);
	if (rd16(ld->img + HDR_BOOT_FLAG) != BOOT_FLAG)
		return load_fail(&ld->err, HV_EINVAL,
				 "not a Linux kernel image (boot_flag at 0x1fe is 0x%04x, not 0xaa55)",
				 rd16(ld->img + HDR_BOOT_FLAG));
	if (rd32(ld->img + HDR_HEADER) != HDRS_MAGIC)
		return load_fail(&ld->err, HV_EINVAL, "not a Linux kernel image (no HdrS signature)");
	return HV_OK;
}

/* The 64-bit entry is only promised by XLF_KERNEL_64 in xloadflags, a
 * field of protocol 2.12 (Linux 3.8); in older headers its offset is
 * padding.  So 2.12 is the real minimum here, and it also guarantees
 * every other field read: cmdline_size (2.06), pref_address and init_size
 * (2.10). */
static int check_header(struct ld *ld, struct plan *p)
{
	const uint8_t *img = ld->img;
	uint32_t hdr_end = HDR_HEADER + img[HDR_JUMP + 1];

	p->version = (uint16_t)rd16(img + HDR_VERSION);
	if (p->version < PROTO_MIN)
		return load_fail(&ld->err, HV_EINVAL,
				 "boot protocol %u.%02u is too old (need 2.12+ for the 64-bit entry point)",
				 p->version >> 8, p->version & 0xffu);
	/* "The end of setup header can be calculated as 0x0202 + byte value
	 * at offset 0x0201"; it must reach the last field we read. */
	if (hdr_end < HDR_NEEDED_END)
		return load_fail(&ld->err, HV_EINVAL,
				 "setup header ends at 0x%x, before the init_size field (0x%x)",
				 hdr_end, HDR_NEEDED_END);
	/* boot_params has room for the header up to 0x290 only (the
	 * "hole" of zero-page.rst); copy no more, as kexec does. */
	p->hdr_len = MIN(hdr_end, (uint32_t)HDR_HOLE_END) - HDR_SETUP_SECTS;
	if (!(img[HDR_LOADFLAGS] & LOADED_HIGH))
		return load_fail(&ld->err, HV_EINVAL, "not a bzImage (LOADED_HIGH clear in loadflags)");
	if (!(rd16(img + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return load_fail(&ld->err, HV_EINVAL, "kernel is not 64-bit capable (XLF_KERNEL_64 clear)");
	return HV_OK;
}

/* "Loading The Rest of The Kernel": the protected-mode kernel starts at
 * (setup_sects + 1) * 512 in the file and runs to its end. */
static int plan_setup(struct ld *ld, struct plan *p)
{
	uint32_t sects = ld->img[HDR_SETUP_SECTS];
	size_t len = ld->cfg->kernel_len;

	if (!sects)
		sects = SETUP_SECTS_ZERO;
	p->setup_len = (sects + 1) * SECTOR;
	if (p->setup_len >= len)
		return load_fail(&ld->err, HV_EINVAL,
				 "kernel image of %zu bytes has no protected-mode code after its %u bytes of setup (setup_sects %u)",
				 len, p->setup_len, sects);
	p->pm_len = len - p->setup_len;
	return HV_OK;
}

/* ---- placement ---------------------------------------------------------- */

/* pref_address ("a relocating bootloader should attempt to load at this
 * address") is where an x86-64 kernel runs anyway: its startup_64 raises
 * any lower runtime address to LOAD_PHYSICAL_ADDR, which is what
 * pref_address holds.  So there is no point in a lower fallback: the
 * kernel goes at pref_address or not at all.  A header without one gets
 * the bzImage default of 1 MiB. */
static int kernel_load_addr(struct ld *ld, uint64_t *load)
{
	uint64_t pref = rd64(ld->img + HDR_PREF_ADDRESS);

	*load = pref ? pref : LINUX_KERNEL_MIN;
	if (*load < LINUX_KERNEL_MIN)
		return load_fail(&ld->err, HV_EINVAL,
				 "kernel's preferred load address 0x%llx is below 1 MiB",
				 (unsigned long long)pref);
	if (*load >= GIB4)
		return load_fail(&ld->err, HV_EINVAL,
				 "kernel's preferred load address 0x%llx is above 4 GiB",
				 (unsigned long long)pref);
	return HV_OK;
}

/* init_size: "the amount of linear contiguous memory starting at the
 * kernel runtime start address that the kernel needs", where the runtime
 * start is align_up(load, kernel_alignment) if relocatable_kernel, else
 * pref_address (= load here).  The kernel may use [load, end). */
static int kernel_end_addr(struct ld *ld, struct plan *p)
{
	const uint8_t *img = ld->img;
	uint32_t align = rd32(img + HDR_KERNEL_ALIGN);
	uint64_t start = p->load;

	if (img[HDR_RELOCATABLE]) {
		if (!align || (align & (align - 1)))
			return load_fail(&ld->err, HV_EINVAL,
					 "kernel_alignment 0x%x is not a power of two", align);
		start = ALIGN_UP(p->load, align);
	}
	/* load < 4 GiB and align <= 2^31: no wrap anywhere here. */
	p->end = MAX(start + rd32(img + HDR_INIT_SIZE), p->load + p->pm_len);
	return HV_OK;
}

static int plan_kernel(struct ld *ld, struct plan *p)
{
	uint64_t ram = ld->mem->size;
	const char *unit;
	int rc;

	if ((rc = kernel_load_addr(ld, &p->load)) || (rc = kernel_end_addr(ld, p)))
		return rc;
	if (p->end > ram) {
		unsigned long long amount = load_ram_amount(ram, &unit);
		return load_fail(&ld->err, HV_ERANGE,
				 "kernel does not fit in guest RAM (needs %llu MiB at 0x%llx; guest RAM is %llu %s)",
				 (unsigned long long)((p->end - p->load + MIB - 1) / MIB),
				 (unsigned long long)p->load, amount, unit);
	}
	/* code32_start is 32 bits, and XLF_CAN_BE_LOADED_ABOVE_4G is not
	 * worth relying on for a range that starts below 4 GiB. */
	if (p->end > GIB4)
		return load_fail(&ld->err, HV_EINVAL, "kernel range [0x%llx-0x%llx) crosses 4 GiB",
				 (unsigned long long)p->load, (unsigned long long)p->end);
	return HV_OK;
}

/* The highest page-aligned start for len bytes ending at or below top and
 * starting at or above floor. */
static bool fit_below(uint64_t top, uint64_t len, uint64_t floor, uint64_t *addr)
{
	if (len > top || ALIGN_DOWN(top - len, PAGE_SIZE) < floor)
		return false;
	*addr = ALIGN_DOWN(top - len, PAGE_SIZE);
	return true;
}

/* The initrd goes as high as it may (initrd_addr_max: "the maximum
 * address that may be occupied", so the highest byte) as GRUB does, away
 * from the kernel's decompression area; above the kernel's init_size
 * range if there is room, else below it, but never below 1 MiB. */
static int plan_initrd(struct ld *ld, struct plan *p)
{
	uint64_t len = ld->cfg->initrd_len;
	uint64_t max = (uint64_t)rd32(ld->img + HDR_INITRD_ADDR_MAX) + 1;
	uint64_t top = MIN(max, ld->mem->size);

	p->initrd = 0;
	if (!len)
		return HV_OK;
	if (fit_below(top, len, p->end, &p->initrd) ||
	    fit_below(MIN(top, p->load), len, LINUX_KERNEL_MIN, &p->initrd))
		return HV_OK;
	return load_fail(&ld->err, HV_ERANGE,
			 "initrd of %llu bytes does not fit below 0x%llx (kernel at [0x%llx-0x%llx))",
			 (unsigned long long)len, (unsigned long long)top,
			 (unsigned long long)p->load, (unsigned long long)p->end);
}

/* "The Kernel Command Line": at most cmdline_size characters plus the
 * NUL.  The kernel would truncate a longer one; that silently changes
 * what it does, so refuse instead. */
static int plan_cmdline(struct ld *ld, struct plan *p)
{
	const char *s = ld->cfg->cmdline;
	uint32_t kmax = rd32(ld->img + HDR_CMDLINE_SIZE);

	p->cmdline_len = s ? strlen(s) : 0;
	if (p->cmdline_len > kmax)
		return load_fail(&ld->err, HV_EINVAL,
				 "command line of %zu bytes is longer than the kernel's cmdline_size (%u)",
				 p->cmdline_len, kmax);
	if (p->cmdline_len >= LINUX_CMDLINE_MAX)
		return load_fail(&ld->err, HV_EINVAL,
				 "command line of %zu bytes is longer than the %u bytes reserved for it",
				 p->cmdline_len, LINUX_CMDLINE_MAX - 1);
	return HV_OK;
}

/* A RAM entry beyond guest RAM would hand the kernel memory that is not
 * there. */
static int check_e820(struct ld *ld)
{
	const struct linux_boot_cfg *c = ld->cfg;
	uint64_t ram = ld->mem->size;

	if (c->e820_count > LINUX_E820_MAX)
		return load_fail(&ld->err, HV_EINVAL, "e820 map has %u entries; the zero page holds %u",
				 c->e820_count, LINUX_E820_MAX);
	for (unsigned i = 0; i < c->e820_count; i++) {
		const struct linux_e820 *e = &c->e820[i];
		if (e->type != LINUX_E820_RAM)
			continue;
		if (e->addr > ram || e->size > ram - e->addr)
			return load_fail(&ld->err, HV_ERANGE,
					 "e820 entry %u (RAM at 0x%llx, size 0x%llx) lies outside guest RAM",
					 i, (unsigned long long)e->addr, (unsigned long long)e->size);
	}
	return HV_OK;
}

/* All of guest RAM, rounded up to a GiB, at least the 4 GiB that hold
 * the local and I/O APICs, at most what the page-directory area holds. */
static unsigned map_gib(uint64_t ram)
{
	uint64_t gib = (ram + PAGE_1G - 1) / PAGE_1G;

	return (unsigned)MIN(MAX(gib, (uint64_t)LINUX_MAP_MIN_GIB), (uint64_t)LINUX_MAP_MAX_GIB);
}

static int plan_load(struct ld *ld, struct plan *p)
{
	int rc;

	if ((rc = check_args(ld)) || (rc = check_magic(ld)) || (rc = check_header(ld, p)) ||
	    (rc = plan_setup(ld, p)) || (rc = plan_kernel(ld, p)) ||
	    (rc = plan_initrd(ld, p)) || (rc = plan_cmdline(ld, p)) || (rc = check_e820(ld)))
		return rc;
	p->gib = map_gib(ld->mem->size);
	return HV_OK;
}

/* ---- building ----------------------------------------------------------- */

/* "64-bit Boot Protocol": __BOOT_CS (0x10) and __BOOT_DS (0x18), both
 * flat 4 GiB; the first two slots stay null. */
static void build_gdt(uint8_t *ram)
{
	uint8_t *gdt = ram + LINUX_GDT_GPA;

	wr64(gdt + LINUX_BOOT_CS, LINUX_GDT_CODE64);
	wr64(gdt + LINUX_BOOT_DS, LINUX_GDT_DATA);
}

/* One PML4 entry, one PDPT entry per GiB, 2 MiB pages: identity. */
static void build_page_tables(uint8_t *ram, unsigned gib)
{
	wr64(ram + LINUX_PML4_GPA, LINUX_PDPT_GPA | PTE_TABLE);
	for (uint64_t g = 0; g < gib; g++) {
		uint64_t pd = LINUX_PD_GPA + g * PAGE_SIZE;
		wr64(ram + LINUX_PDPT_GPA + 8 * g, pd | PTE_TABLE);
		for (uint64_t i = 0; i < PT_ENTRIES; i++)
			wr64(ram + pd + 8 * i, (g * PAGE_1G + i * PAGE_2M) | PTE_LARGE);
	}
}

static uint8_t *put_e820(uint8_t *p, uint64_t addr, uint64_t end, uint32_t type)
{
	wr64(p, addr);
	wr64(p + 8, end - addr);
	wr32(p + 16, type);
	return p + E820_ENTRY_LEN;
}

/* Returns the number of entries written. */
static unsigned build_e820(const struct ld *ld, uint8_t *zp)
{
	const struct linux_boot_cfg *c = ld->cfg;
	uint8_t *p = zp + ZP_E820_TABLE;

	for (unsigned i = 0; i < c->e820_count; i++) {
		const struct linux_e820 *e = &c->e820[i];
		p = put_e820(p, e->addr, e->addr + e->size, e->type);
	}
	if (c->e820_count)
		return c->e820_count;
	p = put_e820(p, 0, BASE_MEM_END, LINUX_E820_RAM);
	p = put_e820(p, BASE_MEM_END, VGA_START, LINUX_E820_RESERVED);
	p = put_e820(p, BIOS_START, LINUX_KERNEL_MIN, LINUX_E820_RESERVED);
	put_e820(p, LINUX_KERNEL_MIN, ld->mem->size, LINUX_E820_RAM);
	return 4;
}

/* "64-bit Boot Protocol": a zeroed boot_params, the setup header copied
 * in from the image (nothing before 0x1f1: the sentinel at 0x1ef must
 * stay 0 or the kernel wipes fields), then the loader's fields. */
static void build_zero_page(const struct ld *ld, const struct plan *p)
{
	uint8_t *zp = ld->mem->base + LINUX_ZERO_PAGE_GPA;
	uint64_t initrd_len = p->initrd ? ld->cfg->initrd_len : 0;

	memcpy(zp + HDR_SETUP_SECTS, ld->img + HDR_SETUP_SECTS, p->hdr_len);
	zp[HDR_SETUP_SECTS] = (uint8_t)(p->setup_len / SECTOR - 1);
	zp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	/* "After loading, the boot loader must set the code32_start field
	 * to point to the loaded code" (relocatable_kernel). */
	wr32(zp + HDR_CODE32_START, (uint32_t)p->load);
	wr32(zp + HDR_RAMDISK_IMAGE, (uint32_t)p->initrd);
	wr32(zp + HDR_RAMDISK_SIZE, (uint32_t)initrd_len);
	wr32(zp + ZP_EXT_RAMDISK_IMG, (uint32_t)(p->initrd >> 32));
	wr32(zp + ZP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_len >> 32));
	/* Set even for an empty command line: a zero cmd_line_ptr means a
	 * pre-2.02 loader to the kernel. */
	wr32(zp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_GPA);
	wr32(zp + ZP_EXT_CMD_LINE_PTR, 0);
	wr64(zp + ZP_ACPI_RSDP_ADDR, ld->cfg->acpi_rsdp);
	zp[ZP_E820_ENTRIES] = (uint8_t)build_e820(ld, zp);
}

static void build(const struct ld *ld, const struct plan *p)
{
	uint8_t *ram = ld->mem->base;
	const struct linux_boot_cfg *c = ld->cfg;

	memset(ram + LINUX_GDT_GPA, 0, LINUX_PD_GPA + p->gib * PAGE_SIZE - LINUX_GDT_GPA);
	build_gdt(ram);
	build_page_tables(ram, p->gib);
	build_zero_page(ld, p);
	/* The area is zeroed, so the NUL is already there. */
	if (p->cmdline_len)
		memcpy(ram + LINUX_CMDLINE_GPA, c->cmdline, p->cmdline_len);
	memcpy(ram + p->load, ld->img + p->setup_len, p->pm_len);
	if (p->initrd)
		memcpy(ram + p->initrd, c->initrd, c->initrd_len);
}

/* ---- entry point -------------------------------------------------------- */

int linux_load(const struct guest_mem *mem, const struct linux_boot_cfg *cfg,
	       struct linux_boot_result *out, char *err, size_t err_len)
{
	struct ld ld = { .mem = mem, .cfg = cfg };
	struct plan p = { 0 };
	int rc;

	load_err_init(&ld.err, err, err_len);
	if (!mem || !mem->base || !cfg || !cfg->kernel || !out)
		return load_fail(&ld.err, HV_EINVAL, "linux_load: missing guest memory, kernel or result");
	ld.img = cfg->kernel;
	rc = plan_load(&ld, &p);
	if (rc)
		return rc;
	build(&ld, &p);
	*out = (struct linux_boot_result){
		.entry64 = p.load + ENTRY64_OFFSET,
		.zero_page = LINUX_ZERO_PAGE_GPA,
		.rsp = LINUX_STACK_TOP,
		.cr3 = LINUX_PML4_GPA,
		.gdt_base = LINUX_GDT_GPA,
		.mapped_end = (uint64_t)p.gib * PAGE_1G,
		.kernel_load = p.load,
		.kernel_end = p.end,
		.initrd_addr = p.initrd,
		.initrd_size = p.initrd ? cfg->initrd_len : 0,
		.cmdline_addr = LINUX_CMDLINE_GPA,
		.protocol = p.version,
	};
	return HV_OK;
}
