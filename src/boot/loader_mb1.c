/* Multiboot (version 1) kernel loader: Multiboot Specification 0.6.96,
 * sections 3.1 (OS image format), 3.2 (machine state) and 3.3 (boot
 * information), plus the ELF parts it relies on (System V gABI, "ELF
 * Header" and "Program Header"; i386 and x86-64 psABI for the machines).
 *
 * The image is untrusted.  Every offset and size it gives is checked in
 * 64-bit arithmetic written so that it cannot wrap ("a > len - b", never
 * "a + b > len"), against the image length before a byte is read and
 * against guest RAM before a byte is written.  The load runs in two
 * steps: plan (all checks, nothing written) and then copy, so a rejected
 * image leaves guest RAM as it was.  Layout and entry state: loader_mb1.h. */
#include <hv/bytes.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/loader_mb1.h>
#include <hv/loader_util.h>
#include <hv/string.h>

#define KIB  1024u
#define GIB4 (1ULL << 32)

/* 3.1.1: the header lies 32-bit aligned wholly within the first 8192 bytes
 * of the image; magic, flags and checksum are always present, the five
 * a.out kludge address fields (offsets 12-28) only with flag 16. */
#define MB1_SEARCH_LEN  8192u
#define MB1_HDR_MIN     12u
#define MB1_HDR_KLUDGE  32u

/* 3.1.2: bits 0-15 are requirements the loader must meet or refuse the
 * image; bits 16-31 are optional features it may ignore. */
#define MB1_F_PAGE_ALIGN  BIT(0)    /* modules page aligned: they always are */
#define MB1_F_MEMINFO     BIT(1)    /* mem_* fields: always given */
#define MB1_F_VIDEO       BIT(2)    /* video mode table: see check_flags() */
#define MB1_F_AOUT_KLUDGE BIT(16)
#define MB1_F_REQUIRED    0xffffu
#define MB1_F_KNOWN       (MB1_F_PAGE_ALIGN | MB1_F_MEMINFO | MB1_F_VIDEO)

/* 3.3: the information structure's flags and field offsets. */
#define MBI_F_MEM         BIT(0)
#define MBI_F_CMDLINE     BIT(2)
#define MBI_F_MODS        BIT(3)
#define MBI_F_MMAP        BIT(6)
#define MBI_F_LOADER_NAME BIT(9)
#define MBI_FLAGS         0
#define MBI_MEM_LOWER     4
#define MBI_MEM_UPPER     8
#define MBI_CMDLINE       16
#define MBI_MODS_COUNT    20
#define MBI_MODS_ADDR     24
#define MOD_ENTRY_LEN     16u       /* mod_start, mod_end, string, reserved */
#define PAGE              4096u
#define MBI_MMAP_LENGTH   44
#define MBI_MMAP_ADDR     48
#define MBI_LOADER_NAME   64

/* 3.3, memory map: each entry is a u32 size (of the rest of the entry,
 * not counting itself) then base_addr, length (u64) and type (u32). */
#define MMAP_ENTRY_LEN    24u
#define MMAP_AVAILABLE    1u
#define MMAP_RESERVED     2u

/* The PC low-memory picture the guest is told about: base memory up to
 * the (conventional) EBDA, then the EBDA, the VGA hole and the BIOS ROM. */
#define BASE_MEM_END      0x9fc00u
#define VGA_START         0xa0000u
#define BIOS_START        0xf0000u

/* ELF constants (gABI "ELF Header", "Program Header"; psABIs). */
#define EI_CLASS          4
#define EI_DATA           5
#define EI_VERSION        6
#define EI_NIDENT         16
#define ELFCLASS32        1
#define ELFCLASS64        2
#define ELFDATA2LSB       1
#define EV_CURRENT        1
#define ET_EXEC           2
#define EM_386            3
#define EM_X86_64         62
#define PT_LOAD           1
#define EHDR32_LEN        52u
#define EHDR64_LEN        64u
#define PHDR32_LEN        32u
#define PHDR64_LEN        56u

/* One load request. */
struct ld {
	const struct guest_mem *mem;
	const uint8_t *img;
	size_t len;
	const struct mb1_module *mods;
	unsigned nmods;
	uint64_t mod_gpa[MB1_MODS_MAX];   /* where each module goes (planned) */
	struct load_err err;
};

/* The Multiboot header as found in the image. */
struct mb1_hdr {
	size_t off;
	uint32_t flags;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

/* A program header, whichever ELF class it came from (or the a.out
 * kludge's single region). */
struct seg {
	uint32_t type;
	uint64_t offset, filesz, vaddr, paddr, memsz;
};

struct elf {
	bool is64;
	uint64_t entry, phoff;
	uint32_t phentsize, phnum;
};

/* What step two copies. */
struct plan {
	bool kludge;
	struct seg region;   /* kludge */
	struct elf elf;      /* otherwise */
};

/* ---- guest RAM and arguments ------------------------------------------- */

/* The info area and the 1 MiB floor for the kernel both need RAM above
 * 1 MiB; this also makes every fixed info address below valid. */
static int check_ram(struct ld *ld)
{
	const struct guest_mem *m = ld->mem;

	if (m->size <= MB1_KERNEL_MIN)
		return load_fail(&ld->err, HV_ERANGE, "guest RAM (%llu KiB) must be larger than 1 MiB",
				 (unsigned long long)(m->size / KIB));
	/* Copying from a buffer inside guest RAM could overwrite bytes of
	 * the image that are still to be read. */
	uintptr_t ram = (uintptr_t)m->base, img = (uintptr_t)ld->img;
	if (ld->len && img < ram + m->size && ram < img + ld->len)
		return load_fail(&ld->err, HV_EINVAL, "the image buffer overlaps guest RAM");
	return HV_OK;
}

/* The strings have fixed slots in the info area; truncating a command
 * line would silently change what the kernel does, so refuse instead. */
static int check_string(struct ld *ld, const char *what, const char *s, size_t max)
{
	if (s && strnlen(s, max) == max)
		return load_fail(&ld->err, HV_EINVAL, "%s is longer than the %zu bytes reserved for it",
				 what, max - 1);
	return HV_OK;
}

/* Where a region [start, start + size) of the kernel may go: inside guest
 * RAM, below 4 GiB (3.2: the kernel starts in 32-bit protected mode without
 * paging, so it cannot reach beyond), and at or above 1 MiB, clear of the
 * boot information and the PC's low-memory holes. */
static int check_range(struct ld *ld, const char *what, uint64_t start, uint64_t size)
{
	const char *unit;
	unsigned long long amount = load_ram_amount(ld->mem->size, &unit);

	if (size > UINT64_MAX - start)
		return load_fail(&ld->err, HV_ERANGE, "%s at 0x%llx of size 0x%llx wraps around the address space",
				 what, (unsigned long long)start, (unsigned long long)size);
	uint64_t end = start + size;
	if (end > ld->mem->size)
		return load_fail(&ld->err, HV_ERANGE, "%s [0x%llx-0x%llx) lies outside guest RAM (%llu %s)",
				 what, (unsigned long long)start, (unsigned long long)end,
				 amount, unit);
	if (end > GIB4)
		return load_fail(&ld->err, HV_EINVAL, "%s [0x%llx-0x%llx) lies above 4 GiB",
				 what, (unsigned long long)start, (unsigned long long)end);
	if (start < MB1_KERNEL_MIN)
		return load_fail(&ld->err, HV_EINVAL, "%s [0x%llx-0x%llx) starts below 1 MiB, where the boot information goes",
				 what, (unsigned long long)start, (unsigned long long)end);
	return HV_OK;
}

/* ---- Multiboot header (3.1) --------------------------------------------- */

static int parse_header(struct ld *ld, size_t off, size_t limit, struct mb1_hdr *h)
{
	const uint8_t *p = ld->img + off;

	h->off = off;
	h->flags = rd32(p + 4);
	if (!(h->flags & MB1_F_AOUT_KLUDGE))
		return HV_OK;
	if (MB1_HDR_KLUDGE > limit - off)
		return load_fail(&ld->err, HV_EINVAL,
				 "Multiboot header at offset 0x%zx sets flag 16 (a.out kludge) but its address fields are not within the first %u bytes of the image",
				 off, MB1_SEARCH_LEN);
	h->header_addr = rd32(p + 12);
	h->load_addr = rd32(p + 16);
	h->load_end_addr = rd32(p + 20);
	h->bss_end_addr = rd32(p + 24);
	h->entry_addr = rd32(p + 28);
	return HV_OK;
}

/* The first magic whose checksum holds wins: like GRUB, skip a magic with
 * a bad checksum, since the value may occur by chance in code or data
 * before the real header.  If no header is valid, report the first bad one. */
static int find_header(struct ld *ld, struct mb1_hdr *h)
{
	size_t limit = MIN(ld->len, (size_t)MB1_SEARCH_LEN);
	size_t bad_off = SIZE_MAX;
	uint32_t bad_sum = 0;

	for (size_t off = 0; MB1_HDR_MIN <= limit - off; off += 4) {
		const uint8_t *p = ld->img + off;
		if (rd32(p) != MB1_HEADER_MAGIC)
			continue;
		/* 3.1.2: magic + flags + checksum == 0 in u32 arithmetic. */
		uint32_t sum = rd32(p) + rd32(p + 4) + rd32(p + 8);
		if (sum == 0)
			return parse_header(ld, off, limit, h);
		if (bad_off == SIZE_MAX) {
			bad_off = off;
			bad_sum = sum;
		}
	}
	if (bad_off != SIZE_MAX)
		return load_fail(&ld->err, HV_EINVAL,
				 "Multiboot header checksum mismatch at offset 0x%zx (magic + flags + checksum = 0x%x, not 0)",
				 bad_off, bad_sum);
	return load_fail(&ld->err, HV_EINVAL, "no Multiboot header in the first %u bytes", MB1_SEARCH_LEN);
}

/* 3.1.2: a kernel that sets a requirement bit we do not know must not be
 * booted.  Bit 2 (video mode table) is a requirement too, but we leave the
 * VBE and framebuffer info flags (3.3 bits 11, 12) clear and the kernel
 * stays in whatever mode it finds; refusing every kernel that merely
 * prefers a graphics mode would help nobody. */
static int check_flags(struct ld *ld, const struct mb1_hdr *h)
{
	uint32_t unknown = h->flags & MB1_F_REQUIRED & ~(uint32_t)MB1_F_KNOWN;

	if (unknown)
		return load_fail(&ld->err, HV_EINVAL,
				 "unsupported Multiboot flags 0x%x (required features this loader cannot provide)",
				 unknown);
	return HV_OK;
}

/* ---- a.out kludge (3.1.3) ----------------------------------------------- */

/* The header's address fields describe one region: the file from
 * (header offset - (header_addr - load_addr)) goes to load_addr, up to
 * load_end_addr (0: to the end of the file), then zeroes up to
 * bss_end_addr (0: no bss). */
static int kludge_file(struct ld *ld, const struct mb1_hdr *h, struct seg *s)
{
	if (h->load_addr > h->header_addr)
		return load_fail(&ld->err, HV_EINVAL, "a.out kludge: load_addr 0x%x is above header_addr 0x%x",
				 h->load_addr, h->header_addr);
	uint32_t lead = h->header_addr - h->load_addr;
	if (lead > h->off)
		return load_fail(&ld->err, HV_EINVAL,
				 "a.out kludge: load_addr 0x%x is 0x%x bytes below header_addr, but the header is only 0x%zx bytes into the image",
				 h->load_addr, lead, h->off);
	s->type = PT_LOAD;
	s->offset = h->off - lead;
	s->paddr = s->vaddr = h->load_addr;
	uint64_t avail = ld->len - s->offset;
	if (!h->load_end_addr) {
		s->filesz = avail;
		return HV_OK;
	}
	if (h->load_end_addr < h->load_addr)
		return load_fail(&ld->err, HV_EINVAL, "a.out kludge: load_end_addr 0x%x is below load_addr 0x%x",
				 h->load_end_addr, h->load_addr);
	s->filesz = h->load_end_addr - h->load_addr;
	if (s->filesz > avail)
		return load_fail(&ld->err, HV_EINVAL,
				 "a.out kludge: load_end_addr 0x%x needs 0x%llx bytes from offset 0x%llx, past the end of the image (%zu bytes)",
				 h->load_end_addr, (unsigned long long)s->filesz,
				 (unsigned long long)s->offset, ld->len);
	return HV_OK;
}

static int plan_kludge(struct ld *ld, const struct mb1_hdr *h, struct seg *s,
		       struct mb1_result *r)
{
	int rc = kludge_file(ld, h, s);
	if (rc)
		return rc;
	s->memsz = s->filesz;
	if (h->bss_end_addr) {
		uint64_t load_end = s->paddr + s->filesz;
		if (h->bss_end_addr < load_end)
			return load_fail(&ld->err, HV_EINVAL,
					 "a.out kludge: bss_end_addr 0x%x is below the end of the loaded data 0x%llx",
					 h->bss_end_addr, (unsigned long long)load_end);
		s->memsz = h->bss_end_addr - s->paddr;
	}
	rc = check_range(ld, "a.out kludge image", s->paddr, s->memsz);
	if (rc)
		return rc;
	if (h->entry_addr < s->paddr || h->entry_addr - s->paddr >= s->memsz)
		return load_fail(&ld->err, HV_EINVAL, "entry point 0x%x is not inside a loaded segment",
				 h->entry_addr);
	r->entry = h->entry_addr;
	r->kernel_start = s->paddr;
	r->kernel_end = s->paddr + s->memsz;
	return HV_OK;
}

/* ---- ELF ---------------------------------------------------------------- */

/* e_ident: magic, class, data encoding, version (gABI "ELF Identification"). */
static int elf_ident(struct ld *ld, struct elf *e)
{
	const uint8_t *p = ld->img;

	if (ld->len < 4 || memcmp(p, "\x7f" "ELF", 4) != 0)
		return load_fail(&ld->err, HV_EINVAL,
				 "not an ELF file, and Multiboot flag 16 (a.out kludge) is clear");
	if (ld->len < EI_NIDENT)
		return load_fail(&ld->err, HV_EINVAL, "image too short for an ELF header (%zu bytes)", ld->len);
	if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
		return load_fail(&ld->err, HV_EINVAL, "unsupported ELF class %u (neither ELFCLASS32 nor ELFCLASS64)",
				 p[EI_CLASS]);
	if (p[EI_DATA] != ELFDATA2LSB)
		return load_fail(&ld->err, HV_EINVAL, "ELF data encoding %u is not little-endian (ELFDATA2LSB)",
				 p[EI_DATA]);
	if (p[EI_VERSION] != EV_CURRENT)
		return load_fail(&ld->err, HV_EINVAL, "ELF version %u is not EV_CURRENT (1)", p[EI_VERSION]);
	e->is64 = p[EI_CLASS] == ELFCLASS64;
	return HV_OK;
}

/* Multiboot 1 itself only speaks of ELF32 (3.1.3 "ELF format"); ELF64
 * x86-64 kernels are accepted as GRUB 2 does, provided everything they
 * load lies below 4 GiB (check_range). */
static int elf_header(struct ld *ld, struct elf *e)
{
	const uint8_t *p = ld->img;
	const char *cls = e->is64 ? "ELF64" : "ELF32";
	uint32_t want = e->is64 ? EM_X86_64 : EM_386;

	if (ld->len < (e->is64 ? EHDR64_LEN : EHDR32_LEN))
		return load_fail(&ld->err, HV_EINVAL, "image too short for an %s header (%zu bytes)", cls, ld->len);
	if (rd16(p + 16) != ET_EXEC)
		return load_fail(&ld->err, HV_EINVAL, "ELF type %u is not ET_EXEC (2)", rd16(p + 16));
	if (rd16(p + 18) != want)
		return load_fail(&ld->err, HV_EINVAL, "%s machine %u is not %s (%u)", cls, rd16(p + 18),
				 e->is64 ? "EM_X86_64" : "EM_386", want);
	if (e->is64) {
		e->entry = rd64(p + 24);
		e->phoff = rd64(p + 32);
		e->phentsize = rd16(p + 54);
		e->phnum = rd16(p + 56);
	} else {
		e->entry = rd32(p + 24);
		e->phoff = rd32(p + 28);
		e->phentsize = rd16(p + 42);
		e->phnum = rd16(p + 44);
	}
	return HV_OK;
}

static int elf_phdrs(struct ld *ld, const struct elf *e)
{
	uint32_t min = e->is64 ? PHDR64_LEN : PHDR32_LEN;

	if (!e->phnum)
		return load_fail(&ld->err, HV_EINVAL, "ELF file has no program headers");
	if (e->phentsize < min)
		return load_fail(&ld->err, HV_EINVAL, "ELF program header size %u is smaller than %u",
				 e->phentsize, min);
	/* phnum * phentsize < 2^32: both are 16-bit fields. */
	if (e->phoff > ld->len || (uint64_t)e->phnum * e->phentsize > ld->len - e->phoff)
		return load_fail(&ld->err, HV_EINVAL,
				 "ELF program header table (offset 0x%llx, %u entries of %u bytes) runs past the end of the image (%zu bytes)",
				 (unsigned long long)e->phoff, e->phnum, e->phentsize, ld->len);
	return HV_OK;
}

/* Program header i; the table is known to lie inside the image. */
static void elf_phdr(const struct ld *ld, const struct elf *e, uint32_t i, struct seg *s)
{
	const uint8_t *p = ld->img + e->phoff + (uint64_t)i * e->phentsize;

	s->type = rd32(p);
	if (e->is64) {
		s->offset = rd64(p + 8);
		s->vaddr = rd64(p + 16);
		s->paddr = rd64(p + 24);
		s->filesz = rd64(p + 32);
		s->memsz = rd64(p + 40);
		return;
	}
	s->offset = rd32(p + 4);
	s->vaddr = rd32(p + 8);
	s->paddr = rd32(p + 12);
	s->filesz = rd32(p + 16);
	s->memsz = rd32(p + 20);
}

/* A PT_LOAD segment goes to p_paddr: the kernel starts with paging off
 * (3.2), so physical addresses are what counts, as in GRUB. */
static int check_segment(struct ld *ld, uint32_t i, const struct seg *s)
{
	char what[32];

	if (s->filesz > s->memsz)
		return load_fail(&ld->err, HV_EINVAL, "ELF segment %u: p_filesz 0x%llx exceeds p_memsz 0x%llx",
				 i, (unsigned long long)s->filesz, (unsigned long long)s->memsz);
	if (s->offset > ld->len || s->filesz > ld->len - s->offset)
		return load_fail(&ld->err, HV_EINVAL,
				 "ELF segment %u: file bytes at offset 0x%llx of size 0x%llx run past the end of the image (%zu bytes)",
				 i, (unsigned long long)s->offset, (unsigned long long)s->filesz, ld->len);
	if (!s->memsz)
		return HV_OK;
	hv_snprintf(what, sizeof(what), "ELF segment %u", i);
	return check_range(ld, what, s->paddr, s->memsz);
}

/* e_entry is a virtual address.  For a kernel linked where it loads the
 * two agree; a higher-half kernel (linked at 0xc0100000, loaded at 1 MiB)
 * must be entered at the physical address, so translate through the
 * segment that contains the entry, as GRUB 2 does. */
static int elf_entry(struct ld *ld, const struct elf *e, struct mb1_result *r)
{
	struct seg s;

	for (uint32_t i = 0; i < e->phnum; i++) {
		elf_phdr(ld, e, i, &s);
		if (s.type != PT_LOAD || e->entry < s.vaddr || e->entry - s.vaddr >= s.memsz)
			continue;
		/* Below 4 GiB: check_range() held for this segment. */
		r->entry = (uint32_t)(s.paddr + (e->entry - s.vaddr));
		return HV_OK;
	}
	return load_fail(&ld->err, HV_EINVAL, "entry point 0x%llx is not inside a loaded segment",
			 (unsigned long long)e->entry);
}

static int plan_elf(struct ld *ld, struct elf *e, struct mb1_result *r)
{
	int rc;

	if ((rc = elf_ident(ld, e)) || (rc = elf_header(ld, e)) || (rc = elf_phdrs(ld, e)))
		return rc;
	r->kernel_start = UINT64_MAX;
	r->kernel_end = 0;
	for (uint32_t i = 0; i < e->phnum; i++) {
		struct seg s;
		elf_phdr(ld, e, i, &s);
		if (s.type != PT_LOAD)
			continue;
		if ((rc = check_segment(ld, i, &s)))
			return rc;
		if (!s.memsz)
			continue;
		r->kernel_start = MIN(r->kernel_start, s.paddr);
		r->kernel_end = MAX(r->kernel_end, s.paddr + s.memsz);
	}
	if (!r->kernel_end)
		return load_fail(&ld->err, HV_EINVAL, "ELF file has no PT_LOAD segment with memory to load");
	return elf_entry(ld, e, r);
}

/* ---- copying ------------------------------------------------------------ */

/* File bytes, then zeroes up to p_memsz (gABI: the bss part). */
static void copy_segment(const struct ld *ld, const struct seg *s)
{
	uint8_t *dst = ld->mem->base + s->paddr;

	memcpy(dst, ld->img + s->offset, s->filesz);
	memset(dst + s->filesz, 0, s->memsz - s->filesz);
}

static void copy_kernel(const struct ld *ld, const struct plan *p)
{
	struct seg s;

	if (p->kludge) {
		copy_segment(ld, &p->region);
		return;
	}
	for (uint32_t i = 0; i < p->elf.phnum; i++) {
		elf_phdr(ld, &p->elf, i, &s);
		if (s.type == PT_LOAD && s.memsz)
			copy_segment(ld, &s);
	}
}

/* ---- boot information (3.3) --------------------------------------------- */

static uint8_t *put_mmap(uint8_t *p, uint64_t base, uint64_t end, uint32_t type)
{
	wr32(p, MMAP_ENTRY_LEN - 4);   /* size excludes the size field itself */
	wr64(p + 4, base);
	wr64(p + 12, end - base);
	wr32(p + 20, type);
	return p + MMAP_ENTRY_LEN;
}

/* Returns mmap_length in bytes. */
static uint32_t build_mmap(uint8_t *ram, uint64_t ram_size)
{
	uint8_t *start = ram + MB1_MMAP_GPA, *p = start;

	p = put_mmap(p, 0, BASE_MEM_END, MMAP_AVAILABLE);
	p = put_mmap(p, BASE_MEM_END, VGA_START, MMAP_RESERVED);
	p = put_mmap(p, BIOS_START, MB1_KERNEL_MIN, MMAP_RESERVED);
	p = put_mmap(p, MB1_KERNEL_MIN, ram_size, MMAP_AVAILABLE);
	return (uint32_t)(p - start);
}

static void put_string(uint8_t *ram, uint8_t *info, unsigned field, uint32_t gpa,
		       const char *s)
{
	/* check_string() bounded it; the area is zeroed, so the NUL is there. */
	memcpy(ram + gpa, s, strlen(s));
	wr32(info + field, gpa);
}

static void build_info(const struct ld *ld, const char *cmdline, const char *loader_name)
{
	uint8_t *ram = ld->mem->base, *info = ram + MB1_INFO_GPA;
	uint64_t upper = (ld->mem->size - MB1_KERNEL_MIN) / KIB;
	uint32_t flags = MBI_F_MEM | MBI_F_MMAP;

	memset(ram + MB1_INFO_GPA, 0, MB1_AREA_END - MB1_INFO_GPA);
	/* mem_lower matches the memory map (639 KiB below the EBDA); mem_upper
	 * is all RAM from 1 MiB, which is contiguous here. */
	wr32(info + MBI_MEM_LOWER, BASE_MEM_END / KIB);
	wr32(info + MBI_MEM_UPPER, upper > UINT32_MAX ? UINT32_MAX : (uint32_t)upper);
	wr32(info + MBI_MMAP_LENGTH, build_mmap(ram, ld->mem->size));
	wr32(info + MBI_MMAP_ADDR, MB1_MMAP_GPA);
	if (cmdline) {
		put_string(ram, info, MBI_CMDLINE, MB1_CMDLINE_GPA, cmdline);
		flags |= MBI_F_CMDLINE;
	}
	if (loader_name) {
		put_string(ram, info, MBI_LOADER_NAME, MB1_LOADER_NAME_GPA, loader_name);
		flags |= MBI_F_LOADER_NAME;
	}
	wr32(info + MBI_FLAGS, flags);
}

/* ---- boot modules (3.3, "mods") ------------------------------------------- */

/* Each module from the first page boundary after what came before it (the
 * kernel, bss included, then the modules): page-aligned, as a kernel's
 * header flag 0 may ask and every kernel may rely on.  The strings must
 * fit the string area. */
static int plan_modules(struct ld *ld, uint64_t kernel_end)
{
	uint64_t at = ALIGN_UP(kernel_end, PAGE);
	size_t strings = 0;

	if (ld->nmods > MB1_MODS_MAX)
		return load_fail(&ld->err, HV_EINVAL, "%u boot modules: at most %u", ld->nmods,
				 MB1_MODS_MAX);
	for (unsigned i = 0; i < ld->nmods; i++) {
		const struct mb1_module *m = &ld->mods[i];
		size_t slen = m->string ? strlen(m->string) : 0;

		if (!m->data && m->len)
			return load_fail(&ld->err, HV_EINVAL, "boot module %u has no data", i);
		strings += slen + 1;
		if (strings > MB1_MOD_STRINGS_MAX)
			return load_fail(&ld->err, HV_ERANGE,
					 "the boot modules' strings are longer than %u bytes in all",
					 MB1_MOD_STRINGS_MAX);
		if (m->len > ld->mem->size || at > ld->mem->size - m->len || at + m->len > GIB4)
			return load_fail(&ld->err, HV_ERANGE,
					 "boot module %u (%zu bytes) does not fit in guest RAM after "
					 "0x%lx", i, m->len, at);
		ld->mod_gpa[i] = at;
		at = ALIGN_UP(at + m->len, PAGE);
	}
	return 0;
}

/* After build_info(): the modules, their structures and strings. */
static void copy_modules(const struct ld *ld)
{
	uint8_t *ram = ld->mem->base, *info = ram + MB1_INFO_GPA;
	uint32_t str = MB1_MOD_STRINGS_GPA;

	if (!ld->nmods)
		return;
	for (unsigned i = 0; i < ld->nmods; i++) {
		const struct mb1_module *m = &ld->mods[i];
		uint8_t *e = ram + MB1_MODS_GPA + i * MOD_ENTRY_LEN;
		size_t slen = m->string ? strlen(m->string) : 0;

		memcpy(ram + ld->mod_gpa[i], m->data, m->len);
		wr32(e, (uint32_t)ld->mod_gpa[i]);
		wr32(e + 4, (uint32_t)(ld->mod_gpa[i] + m->len));
		wr32(e + 8, str);
		memcpy(ram + str, m->string ? m->string : "", slen);   /* the area is zeroed */
		str += (uint32_t)slen + 1;
	}
	wr32(info + MBI_MODS_COUNT, ld->nmods);
	wr32(info + MBI_MODS_ADDR, MB1_MODS_GPA);
	wr32(info + MBI_FLAGS, rd32(info + MBI_FLAGS) | MBI_F_MODS);
}

/* ---- entry point -------------------------------------------------------- */

static int plan_load(struct ld *ld, const char *cmdline, const char *loader_name,
		     struct plan *p, struct mb1_result *r)
{
	struct mb1_hdr h = { 0 };
	int rc;

	if ((rc = check_ram(ld)) ||
	    (rc = check_string(ld, "command line", cmdline, MB1_CMDLINE_MAX)) ||
	    (rc = check_string(ld, "boot loader name", loader_name, MB1_LOADER_NAME_MAX)) ||
	    (rc = find_header(ld, &h)) || (rc = check_flags(ld, &h)))
		return rc;
	/* 3.1.3: with flag 16 the header's addresses are used "instead of the
	 * fields in the actual executable header", even for an ELF file. */
	p->kludge = h.flags & MB1_F_AOUT_KLUDGE;
	if (p->kludge)
		return plan_kludge(ld, &h, &p->region, r);
	return plan_elf(ld, &p->elf, r);
}

int mb1_load(const struct guest_mem *mem, const void *image, size_t image_len,
	     const char *cmdline, const char *loader_name,
	     struct mb1_result *out, char *err, size_t err_len)
{
	return mb1_load_modules(mem, image, image_len, cmdline, loader_name, NULL, 0, out, err,
				err_len);
}

int mb1_load_modules(const struct guest_mem *mem, const void *image, size_t image_len,
		     const char *cmdline, const char *loader_name, const struct mb1_module *mods,
		     unsigned nmods, struct mb1_result *out, char *err, size_t err_len)
{
	struct ld ld = { .mem = mem, .img = image, .len = image_len, .mods = mods, .nmods = nmods };
	struct mb1_result r = { 0 };
	struct plan p = { 0 };
	int rc;

	load_err_init(&ld.err, err, err_len);
	if (!mem || !mem->base || !out || (!image && image_len))
		return load_fail(&ld.err, HV_EINVAL, "mb1_load: missing guest memory, image or result");
	if (nmods && !mods)
		return load_fail(&ld.err, HV_EINVAL, "mb1_load: %u modules but no list", nmods);
	rc = plan_load(&ld, cmdline, loader_name, &p, &r);
	rc = rc ? rc : plan_modules(&ld, r.kernel_end);
	if (rc)
		return rc;
	copy_kernel(&ld, &p);
	build_info(&ld, cmdline, loader_name);
	copy_modules(&ld);
	r.info_gpa = MB1_INFO_GPA;
	*out = r;
	return HV_OK;
}
