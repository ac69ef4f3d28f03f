/* Unit tests for src/boot/loader_mb1.c: synthetic ELF32, ELF64 and a.out-kludge
 * Multiboot kernels (Multiboot spec 0.6.96, 3.1) loaded into a 16 MiB
 * guest RAM, and the boot information (3.3) checked at exact offsets. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <hv/errno.h>
#include <hv/loader_mb1.h>

#define RAM_SIZE  (16u << 20)
#define RAM_FILL  0xaa          /* what guest RAM holds before a load */
#define IMG_MAX   0x4000
#define MB_MAGIC  0x1BADB002u

/* The default kernel: text at file 0x100 -> 1 MiB, starting with the
 * Multiboot header; data at file 0x200 -> 0x101000 with 0xf80 bytes of bss. */
#define TEXT_OFF   0x100
#define TEXT_LEN   0x100
#define TEXT_PA    0x100000u
#define DATA_OFF   0x200
#define DATA_LEN   0x80
#define DATA_PA    0x101000u
#define DATA_MEM   0x1000
#define ENTRY      0x100010u
#define IMG_LEN    (DATA_OFF + DATA_LEN)

static uint8_t *RAM;
static struct guest_mem MEM;
static struct mb1_result RES;
static char ERR[256];

/* ---- image builder ------------------------------------------------------ */

struct tseg {
	uint32_t type;
	uint64_t offset, filesz, vaddr, paddr, memsz;
};

struct timg {
	uint8_t b[IMG_MAX];
	size_t len;
	bool is64;
	uint16_t machine;
	uint16_t phentsize;   /* 0: the standard size */
	uint64_t entry, phoff;
	unsigned nseg;
	struct tseg seg[4];
};

static struct timg T;

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

static void mb_header(uint8_t *p, uint32_t flags)
{
	put32(p, MB_MAGIC);
	put32(p + 4, flags);
	put32(p + 8, -(MB_MAGIC + flags));
}

static void emit_phdr(const struct timg *t, uint8_t *p, const struct tseg *s)
{
	put32(p, s->type);
	if (t->is64) {
		put32(p + 4, 5);                  /* p_flags R+X */
		put64(p + 8, s->offset);
		put64(p + 16, s->vaddr);
		put64(p + 24, s->paddr);
		put64(p + 32, s->filesz);
		put64(p + 40, s->memsz);
		put64(p + 48, 0x1000);
		return;
	}
	put32(p + 4, (uint32_t)s->offset);
	put32(p + 8, (uint32_t)s->vaddr);
	put32(p + 12, (uint32_t)s->paddr);
	put32(p + 16, (uint32_t)s->filesz);
	put32(p + 20, (uint32_t)s->memsz);
	put32(p + 24, 5);
	put32(p + 28, 0x1000);
}

/* Write the ELF header and program headers from t's fields. */
static void emit(struct timg *t)
{
	uint8_t *b = t->b;
	uint16_t phent = t->phentsize ? t->phentsize : (t->is64 ? 56 : 32);

	memcpy(b, "\x7f" "ELF", 4);
	b[4] = t->is64 ? 2 : 1;   /* EI_CLASS */
	b[5] = 1;                 /* EI_DATA: little-endian */
	b[6] = 1;                 /* EI_VERSION */
	memset(b + 7, 0, 9);
	put16(b + 16, 2);         /* ET_EXEC */
	put16(b + 18, t->machine);
	put32(b + 20, 1);
	if (t->is64) {
		put64(b + 24, t->entry);
		put64(b + 32, t->phoff);
		put64(b + 40, 0);
		put32(b + 48, 0);
		put16(b + 52, 64);
		put16(b + 54, phent);
		put16(b + 56, (uint16_t)t->nseg);
		put16(b + 58, 0);
		put16(b + 60, 0);
		put16(b + 62, 0);
	} else {
		put32(b + 24, (uint32_t)t->entry);
		put32(b + 28, (uint32_t)t->phoff);
		put32(b + 32, 0);
		put32(b + 36, 0);
		put16(b + 40, 52);
		put16(b + 42, phent);
		put16(b + 44, (uint16_t)t->nseg);
		put16(b + 46, 0);
		put16(b + 48, 0);
		put16(b + 50, 0);
	}
	for (unsigned i = 0; i < t->nseg; i++)
		if (t->phoff + (i + 1) * phent <= IMG_MAX)
			emit_phdr(t, b + t->phoff + i * phent, &t->seg[i]);
}

static void default_image(bool is64)
{
	memset(&T, 0, sizeof(T));
	T.is64 = is64;
	T.machine = is64 ? 62 : 3;
	T.entry = ENTRY;
	T.phoff = is64 ? 64 : 52;
	T.nseg = 2;
	T.seg[0] = (struct tseg){ 1, TEXT_OFF, TEXT_LEN, TEXT_PA, TEXT_PA, TEXT_LEN };
	T.seg[1] = (struct tseg){ 1, DATA_OFF, DATA_LEN, DATA_PA, DATA_PA, DATA_MEM };
	for (unsigned i = 0; i < TEXT_LEN + DATA_LEN; i++)
		T.b[TEXT_OFF + i] = (uint8_t)(i * 7 + 1);
	mb_header(T.b + TEXT_OFF, 0x3);   /* page-align modules, memory info */
	T.len = IMG_LEN;
	emit(&T);
}

/* Load a heap copy of exactly t->len bytes, so that the sanitizers see any
 * read past the image. */
static int load_with(const struct timg *t, const char *cmdline, const char *name)
{
	void *copy = malloc(t->len ? t->len : 1);
	assert_non_null(copy);
	memcpy(copy, t->b, t->len);
	memset(ERR, 'x', sizeof(ERR));
	int rc = mb1_load(&MEM, copy, t->len, cmdline, name, &RES, ERR, sizeof(ERR));
	free(copy);
	return rc;
}

static int load(const struct timg *t)
{
	return load_with(t, "console=ttyS0 quiet", "tinyhv 0.1");
}

static bool ram_untouched(void)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (RAM[i] != RAM_FILL)
			return false;
	return true;
}

/* A rejected image: the exact message, and not a byte of RAM written. */
static void expect_fail(const struct timg *t, int rc, const char *msg)
{
	assert_int_equal(load(t), rc);
	assert_string_equal(ERR, msg);
	assert_true(ram_untouched());
	assert_int_equal(RES.entry, 0xdeadbeef);   /* *out left alone */
}

static int setup(void **state)
{
	(void)state;
	memset(RAM, RAM_FILL, RAM_SIZE);
	MEM = (struct guest_mem){ RAM, RAM_SIZE };
	memset(&RES, 0, sizeof(RES));
	RES.entry = 0xdeadbeef;
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

/* ---- successful loads --------------------------------------------------- */

static uint32_t info32(unsigned off)
{
	return get32(RAM + MB1_INFO_GPA + off);
}

static void check_mmap_entry(unsigned i, uint64_t base, uint64_t len, uint32_t type)
{
	const uint8_t *e = RAM + info32(48) + i * 24;

	assert_int_equal(get32(e), 20);        /* size, not counting itself */
	assert_int_equal(get64(e + 4), base);
	assert_int_equal(get64(e + 12), len);
	assert_int_equal(get32(e + 20), type);
}

static void check_info(uint32_t want_flags)
{
	assert_int_equal(RES.info_gpa, 0x1000);
	assert_int_equal(info32(0), want_flags);
	assert_int_equal(info32(4), 639);                   /* mem_lower, KiB */
	assert_int_equal(info32(8), (RAM_SIZE - 0x100000) / 1024);
	assert_int_equal(info32(12), 0);                    /* boot_device */
	assert_int_equal(info32(20), 0);                    /* mods_count */
	assert_int_equal(info32(44), 4 * 24);               /* mmap_length */
	assert_int_equal(info32(48), 0x1100);               /* mmap_addr */
	check_mmap_entry(0, 0, 0x9fc00, 1);
	check_mmap_entry(1, 0x9fc00, 0x400, 2);
	check_mmap_entry(2, 0xf0000, 0x10000, 2);
	check_mmap_entry(3, 0x100000, RAM_SIZE - 0x100000, 1);
	/* The rest of the info structure (116 bytes) is zero. */
	for (unsigned off = 52; off < 116; off += 4)
		if (off != 64)
			assert_int_equal(info32(off), 0);
	/* Nothing below the info area, nor between it and 1 MiB, was touched. */
	assert_int_equal(RAM[0xfff], RAM_FILL);
	assert_int_equal(RAM[0x8000], RAM_FILL);
	assert_int_equal(RAM[0xfffff], RAM_FILL);
}

static void check_default_kernel(void)
{
	assert_memory_equal(RAM + TEXT_PA, T.b + TEXT_OFF, TEXT_LEN);
	assert_memory_equal(RAM + DATA_PA, T.b + DATA_OFF, DATA_LEN);
	for (unsigned i = DATA_LEN; i < DATA_MEM; i++)
		assert_int_equal(RAM[DATA_PA + i], 0);           /* bss */
	assert_int_equal(RAM[TEXT_PA + TEXT_LEN], RAM_FILL); /* gap untouched */
	assert_int_equal(RAM[DATA_PA + DATA_MEM], RAM_FILL);
	assert_int_equal(RES.kernel_start, TEXT_PA);
	assert_int_equal(RES.kernel_end, DATA_PA + DATA_MEM);
}

static void test_elf32(void **state)
{
	(void)state;
	default_image(false);
	assert_int_equal(load(&T), HV_OK);
	assert_string_equal(ERR, "");
	assert_int_equal(RES.entry, ENTRY);
	check_default_kernel();
	check_info(0x245);   /* MEM, CMDLINE, MMAP, BOOT_LOADER_NAME */
	assert_int_equal(info32(16), 0x2000);
	assert_string_equal((char *)RAM + info32(16), "console=ttyS0 quiet");
	assert_int_equal(info32(64), 0x1200);
	assert_string_equal((char *)RAM + info32(64), "tinyhv 0.1");
}

static void test_elf64(void **state)
{
	(void)state;
	default_image(true);
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.entry, ENTRY);
	check_default_kernel();
	check_info(0x245);
	assert_string_equal((char *)RAM + info32(16), "console=ttyS0 quiet");
}

/* A higher-half kernel: linked at 0xc0100000, loaded at 1 MiB; the entry
 * is translated to its physical address. */
static void test_elf32_higher_half_entry(void **state)
{
	(void)state;
	default_image(false);
	T.seg[0].vaddr = 0xc0100000;
	T.seg[1].vaddr = 0xc0101000;
	T.entry = 0xc0101f00;            /* in data's bss: still a loaded segment */
	emit(&T);
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.entry, 0x101f00);
	check_default_kernel();
}

static void test_elf64_higher_half_entry(void **state)
{
	(void)state;
	default_image(true);
	T.seg[0].vaddr = 0xffffffff80100000ull;
	T.seg[1].vaddr = 0xffffffff80101000ull;
	T.entry = 0xffffffff80100020ull;
	emit(&T);
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.entry, 0x100020);
}

static void test_no_strings(void **state)
{
	(void)state;
	default_image(false);
	assert_int_equal(load_with(&T, NULL, NULL), HV_OK);
	check_info(0x41);    /* MEM, MMAP */
	assert_int_equal(info32(16), 0);
	assert_int_equal(info32(64), 0);
	assert_int_equal(RAM[0x2000], 0);   /* the area is zeroed */
}

static void test_empty_cmdline(void **state)
{
	(void)state;
	default_image(false);
	assert_int_equal(load_with(&T, "", "x"), HV_OK);
	check_info(0x245);
	assert_string_equal((char *)RAM + info32(16), "");
}

static void test_longest_strings(void **state)
{
	(void)state;
	static char cmd[MB1_CMDLINE_MAX], name[MB1_LOADER_NAME_MAX];
	memset(cmd, 'c', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	default_image(false);
	assert_int_equal(load_with(&T, cmd, name), HV_OK);
	assert_string_equal((char *)RAM + info32(16), cmd);
	assert_string_equal((char *)RAM + info32(64), name);
	assert_int_equal(RAM[0x8000], RAM_FILL);
}

static void test_strings_too_long(void **state)
{
	(void)state;
	static char cmd[MB1_CMDLINE_MAX + 1], name[MB1_LOADER_NAME_MAX + 1];
	memset(cmd, 'c', sizeof(cmd) - 1);
	memset(name, 'n', sizeof(name) - 1);
	default_image(false);
	assert_int_equal(load_with(&T, cmd, NULL), HV_EINVAL);
	assert_string_equal(ERR, "command line is longer than the 24575 bytes reserved for it");
	assert_int_equal(load_with(&T, NULL, name), HV_EINVAL);
	assert_string_equal(ERR, "boot loader name is longer than the 255 bytes reserved for it");
	assert_true(ram_untouched());
}

/* Flag 2 (video mode) is tolerated, and optional bits 17-31 are ignored. */
static void test_tolerated_flags(void **state)
{
	(void)state;
	default_image(false);
	mb_header(T.b + TEXT_OFF, 0x7 | 0xfffe0000u);
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.entry, ENTRY);
}

/* A magic with a bad checksum (a stray constant) before the real header. */
static void test_skips_bad_checksum_before_header(void **state)
{
	(void)state;
	default_image(false);
	put32(T.b + 0x80, MB_MAGIC);
	put32(T.b + 0x84, 0);
	put32(T.b + 0x88, 0);
	assert_int_equal(load(&T), HV_OK);
}

/* The last place a header fits: bytes 8180..8191. */
static void test_header_at_end_of_search_area(void **state)
{
	(void)state;
	default_image(false);
	T.seg[0].filesz = T.seg[0].memsz = 0x2000;
	T.seg[1].offset = 0x2100;
	T.seg[1].paddr = T.seg[1].vaddr = 0x103000;
	T.len = 0x2100 + DATA_LEN;
	memset(T.b + TEXT_OFF, 0, 0x2000);
	memset(T.b + 0x2100, 0x5a, DATA_LEN);
	mb_header(T.b + 8180, 0);
	emit(&T);
	assert_int_equal(load(&T), HV_OK);
}

/* Images shorter than the search area: the header may end the file. */
static void test_header_ends_image(void **state)
{
	(void)state;
	default_image(false);
	T.nseg = 1;
	T.seg[0].filesz = 0x0c;
	T.len = TEXT_OFF + 0x0c;
	emit(&T);
	assert_int_equal(load(&T), HV_OK);
	assert_memory_equal(RAM + TEXT_PA, T.b + TEXT_OFF, 0x0c);
	assert_int_equal(RAM[TEXT_PA + 0x0c], 0);
	assert_int_equal(RES.kernel_end, TEXT_PA + TEXT_LEN);
}

/* Segments other than PT_LOAD, and empty PT_LOADs, are not loaded. */
static void test_other_segments_ignored(void **state)
{
	(void)state;
	default_image(false);
	T.nseg = 4;
	T.seg[2] = (struct tseg){ 4, 0xfffffff0u, 0x100, 0, 0x10, 0x100 };   /* PT_NOTE, bogus */
	T.seg[3] = (struct tseg){ 1, 0, 0, 0x5000, 0x5000, 0 };              /* empty PT_LOAD */
	T.len = IMG_LEN;
	emit(&T);
	assert_int_equal(load(&T), HV_OK);
	check_default_kernel();
}

static void test_error_buffer(void **state)
{
	(void)state;
	char small[8];
	default_image(false);
	T.entry = 0x200000;
	emit(&T);
	assert_int_equal(mb1_load(&MEM, T.b, T.len, NULL, NULL, &RES, small, sizeof(small)),
			 HV_EINVAL);
	assert_string_equal(small, "entry p");
	assert_int_equal(mb1_load(&MEM, T.b, T.len, NULL, NULL, &RES, NULL, 0), HV_EINVAL);
	assert_true(ram_untouched());
}

/* ---- Multiboot header errors -------------------------------------------- */

static void test_no_header(void **state)
{
	(void)state;
	default_image(false);
	memset(T.b + TEXT_OFF, 0, 12);
	expect_fail(&T, HV_EINVAL, "no Multiboot header in the first 8192 bytes");
}

static void test_empty_image(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	expect_fail(&T, HV_EINVAL, "no Multiboot header in the first 8192 bytes");
	assert_int_equal(mb1_load(&MEM, NULL, 0, NULL, NULL, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, "no Multiboot header in the first 8192 bytes");
}

static void test_bad_checksum(void **state)
{
	(void)state;
	default_image(false);
	put32(T.b + TEXT_OFF + 8, get32(T.b + TEXT_OFF + 8) + 1);
	expect_fail(&T, HV_EINVAL,
		    "Multiboot header checksum mismatch at offset 0x100 (magic + flags + checksum = 0x1, not 0)");
}

static void test_header_misaligned(void **state)
{
	(void)state;
	default_image(false);
	memset(T.b + TEXT_OFF, 0, 12);
	mb_header(T.b + TEXT_OFF + 2, 0);
	expect_fail(&T, HV_EINVAL, "no Multiboot header in the first 8192 bytes");
}

static void test_header_beyond_8192(void **state)
{
	(void)state;
	default_image(false);
	T.seg[0].filesz = T.seg[0].memsz = 0x2100;
	T.seg[1].offset = 0x2200;
	T.seg[1].paddr = T.seg[1].vaddr = 0x103000;
	T.len = 0x2200 + DATA_LEN;
	memset(T.b + TEXT_OFF, 0, 0x2100);
	mb_header(T.b + 8192, 0);
	emit(&T);
	expect_fail(&T, HV_EINVAL, "no Multiboot header in the first 8192 bytes");
	/* Straddling the limit does not count either. */
	memset(T.b + 8192, 0, 12);
	mb_header(T.b + 8184, 0);
	expect_fail(&T, HV_EINVAL, "no Multiboot header in the first 8192 bytes");
}

static void test_header_cut_by_image_end(void **state)
{
	(void)state;
	default_image(false);
	T.len = TEXT_OFF + 8;   /* magic and flags, no checksum */
	expect_fail(&T, HV_EINVAL, "no Multiboot header in the first 8192 bytes");
}

static void test_unknown_required_flags(void **state)
{
	(void)state;
	default_image(false);
	mb_header(T.b + TEXT_OFF, 0x3 | 0x8 | 0x8000 | 0x20000);
	expect_fail(&T, HV_EINVAL,
		    "unsupported Multiboot flags 0x8008 (required features this loader cannot provide)");
}

/* ---- ELF errors --------------------------------------------------------- */

static void test_not_elf(void **state)
{
	(void)state;
	default_image(false);
	T.b[0] = 'M';
	T.b[1] = 'Z';
	expect_fail(&T, HV_EINVAL, "not an ELF file, and Multiboot flag 16 (a.out kludge) is clear");
}

static void test_bad_ident(void **state)
{
	(void)state;
	default_image(false);
	T.b[4] = 3;
	expect_fail(&T, HV_EINVAL, "unsupported ELF class 3 (neither ELFCLASS32 nor ELFCLASS64)");
	T.b[4] = 1;
	T.b[5] = 2;
	expect_fail(&T, HV_EINVAL, "ELF data encoding 2 is not little-endian (ELFDATA2LSB)");
	T.b[5] = 1;
	T.b[6] = 0;
	expect_fail(&T, HV_EINVAL, "ELF version 0 is not EV_CURRENT (1)");
}

static void test_too_short_for_header(void **state)
{
	(void)state;
	/* The Multiboot header must come first to get this far: put it at
	 * offset 16 of a 40-byte "ELF32" file. */
	memset(&T, 0, sizeof(T));
	memcpy(T.b, "\x7f" "ELF\x01\x01\x01", 7);
	mb_header(T.b + 16, 0);
	T.len = 40;
	expect_fail(&T, HV_EINVAL, "image too short for an ELF32 header (40 bytes)");
	T.b[4] = 2;
	T.len = 60;
	expect_fail(&T, HV_EINVAL, "image too short for an ELF64 header (60 bytes)");
}

static void test_wrong_type(void **state)
{
	(void)state;
	default_image(false);
	put16(T.b + 16, 3);   /* ET_DYN */
	expect_fail(&T, HV_EINVAL, "ELF type 3 is not ET_EXEC (2)");
}

static void test_wrong_machine(void **state)
{
	(void)state;
	default_image(false);
	T.machine = 62;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "ELF32 machine 62 is not EM_386 (3)");
	default_image(true);
	T.machine = 3;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "ELF64 machine 3 is not EM_X86_64 (62)");
}

static void test_program_header_table(void **state)
{
	(void)state;
	default_image(false);
	T.nseg = 0;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "ELF file has no program headers");

	default_image(false);
	T.phentsize = 16;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "ELF program header size 16 is smaller than 32");

	default_image(false);
	T.phoff = IMG_LEN - 32;   /* the second entry runs off the end */
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF program header table (offset 0x260, 2 entries of 32 bytes) runs past the end of the image (640 bytes)");

	default_image(true);
	put64(T.b + 32, 0xffffffffffffffc0ull);   /* phoff + table wraps */
	expect_fail(&T, HV_EINVAL,
		    "ELF program header table (offset 0xffffffffffffffc0, 2 entries of 56 bytes) runs past the end of the image (640 bytes)");

	default_image(false);
	put16(T.b + 44, 0xffff);   /* 65535 * 32 bytes */
	expect_fail(&T, HV_EINVAL,
		    "ELF program header table (offset 0x34, 65535 entries of 32 bytes) runs past the end of the image (640 bytes)");
}

static void test_no_loadable_segment(void **state)
{
	(void)state;
	default_image(false);
	T.seg[0].type = 4;
	T.seg[1].memsz = T.seg[1].filesz = 0;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "ELF file has no PT_LOAD segment with memory to load");
}

static void test_filesz_above_memsz(void **state)
{
	(void)state;
	default_image(false);
	T.seg[1].memsz = 0x40;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "ELF segment 1: p_filesz 0x80 exceeds p_memsz 0x40");
}

static void test_segment_past_image(void **state)
{
	(void)state;
	default_image(false);
	T.seg[1].filesz = DATA_LEN + 1;
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF segment 1: file bytes at offset 0x200 of size 0x81 run past the end of the image (640 bytes)");

	default_image(false);
	T.seg[0].offset = 0x1000;   /* beyond the file */
	T.seg[0].filesz = 0;
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF segment 0: file bytes at offset 0x1000 of size 0x0 run past the end of the image (640 bytes)");
}

/* offset + filesz wraps: 32-bit fields in 64-bit arithmetic, and 64-bit
 * fields whose sum wraps past 2^64. */
static void test_segment_offset_overflow(void **state)
{
	(void)state;
	default_image(false);
	T.seg[1].offset = 0xfffffff0u;
	T.seg[1].filesz = 0x20;
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF segment 1: file bytes at offset 0xfffffff0 of size 0x20 run past the end of the image (640 bytes)");

	default_image(true);
	T.seg[1].offset = 0x200;
	T.seg[1].filesz = 0xfffffffffffffe80ull;   /* 0x200 + this wraps to 0x80 */
	T.seg[1].memsz = 0xfffffffffffffe80ull;
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF segment 1: file bytes at offset 0x200 of size 0xfffffffffffffe80 run past the end of the image (640 bytes)");
}

static void test_segment_outside_ram(void **state)
{
	(void)state;
	default_image(false);
	T.seg[1].paddr = 0xfff000;
	T.seg[1].memsz = 0x2000;
	emit(&T);
	expect_fail(&T, HV_ERANGE, "ELF segment 1 [0xfff000-0x1001000) lies outside guest RAM (16 MiB)");

	/* paddr + memsz wraps in 32 bits: caught in 64-bit arithmetic. */
	T.seg[1].paddr = 0xfffff000u;
	emit(&T);
	expect_fail(&T, HV_ERANGE, "ELF segment 1 [0xfffff000-0x100001000) lies outside guest RAM (16 MiB)");

	/* An odd RAM size is reported in KiB. */
	MEM.size = RAM_SIZE - 0x400;
	T.seg[1].paddr = 0xffe000;
	emit(&T);
	expect_fail(&T, HV_ERANGE, "ELF segment 1 [0xffe000-0x1000000) lies outside guest RAM (16383 KiB)");
}

static void test_segment_wraps(void **state)
{
	(void)state;
	default_image(true);
	T.seg[1].paddr = 0xfffffffffffff000ull;
	T.seg[1].memsz = 0x2000;
	emit(&T);
	expect_fail(&T, HV_ERANGE,
		    "ELF segment 1 at 0xfffffffffffff000 of size 0x2000 wraps around the address space");
}

/* With more than 4 GiB of guest RAM a segment may fit in RAM yet be out of
 * a 32-bit kernel's reach.  The RAM here is only a claim: the load fails
 * before anything is written, which is part of what is checked. */
static void test_segment_above_4g(void **state)
{
	(void)state;
	MEM.size = 8ull << 30;
	default_image(true);
	T.seg[1].paddr = 0xfffff000u;
	T.seg[1].memsz = 0x2000;
	emit(&T);
	/* Straight from T.b (static data, outside the heap and mmap areas),
	 * so that no heap copy can fall inside the claimed 8 GiB. */
	assert_int_equal(mb1_load(&MEM, T.b, T.len, NULL, NULL, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, "ELF segment 1 [0xfffff000-0x100001000) lies above 4 GiB");
	assert_true(ram_untouched());
}

static void test_segment_below_1m(void **state)
{
	(void)state;
	default_image(false);
	T.seg[1].paddr = 0xff000;
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF segment 1 [0xff000-0x100000) starts below 1 MiB, where the boot information goes");
	T.seg[1].paddr = 0x1000;
	emit(&T);
	expect_fail(&T, HV_EINVAL,
		    "ELF segment 1 [0x1000-0x2000) starts below 1 MiB, where the boot information goes");
}

static void test_entry_outside_segments(void **state)
{
	(void)state;
	default_image(false);
	T.entry = 0x200000;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "entry point 0x200000 is not inside a loaded segment");
	T.entry = DATA_PA + DATA_MEM;   /* one past the end */
	emit(&T);
	expect_fail(&T, HV_EINVAL, "entry point 0x102000 is not inside a loaded segment");
	/* Physically inside, but e_entry is virtual and the segment is not
	 * linked there. */
	T.seg[0].vaddr = 0xc0100000;
	T.seg[1].vaddr = 0xc0101000;
	T.entry = ENTRY;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "entry point 0x100010 is not inside a loaded segment");
}

static void test_entry_in_non_load_segment(void **state)
{
	(void)state;
	default_image(false);
	T.nseg = 3;
	T.seg[2] = (struct tseg){ 4, 0, 0, 0x300000, 0x300000, 0x1000 };
	T.entry = 0x300010;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "entry point 0x300010 is not inside a loaded segment");
}

static void test_elf64_entry_above_4g(void **state)
{
	(void)state;
	default_image(true);
	T.entry = 0x100000010ull;
	emit(&T);
	expect_fail(&T, HV_EINVAL, "entry point 0x100000010 is not inside a loaded segment");
}

/* ---- guest RAM and arguments -------------------------------------------- */

static void test_ram_too_small(void **state)
{
	(void)state;
	default_image(false);
	MEM.size = 0x100000;
	expect_fail(&T, HV_ERANGE, "guest RAM (1024 KiB) must be larger than 1 MiB");
}

static void test_image_inside_ram(void **state)
{
	(void)state;
	default_image(false);
	memcpy(RAM + 0x800000, T.b, T.len);
	assert_int_equal(mb1_load(&MEM, RAM + 0x800000, T.len, NULL, NULL, &RES, ERR, sizeof(ERR)),
			 HV_EINVAL);
	assert_string_equal(ERR, "the image buffer overlaps guest RAM");
}

static void test_null_arguments(void **state)
{
	(void)state;
	struct guest_mem none = { NULL, RAM_SIZE };
	const char *msg = "mb1_load: missing guest memory, image or result";

	default_image(false);
	assert_int_equal(mb1_load(NULL, T.b, T.len, NULL, NULL, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, msg);
	assert_int_equal(mb1_load(&none, T.b, T.len, NULL, NULL, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_int_equal(mb1_load(&MEM, NULL, 10, NULL, NULL, &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_int_equal(mb1_load(&MEM, T.b, T.len, NULL, NULL, NULL, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, msg);
	assert_true(ram_untouched());
}

/* ---- a.out kludge (3.1.3) ----------------------------------------------- */

/* A flat binary: 0x40 bytes of code, the header at 0x40, more code up to
 * 0x200; loaded at 2 MiB with bss to 2 MiB + 0x3000. */
#define K_PA   0x200000u
#define K_LEN  0x200u

static void kludge_image(uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	memset(&T, 0, sizeof(T));
	for (unsigned i = 0; i < K_LEN; i++)
		T.b[i] = (uint8_t)(i * 13 + 5);
	mb_header(T.b + 0x40, 0x10003);
	put32(T.b + 0x4c, K_PA + 0x40);   /* header_addr */
	put32(T.b + 0x50, K_PA);          /* load_addr */
	put32(T.b + 0x54, load_end);
	put32(T.b + 0x58, bss_end);
	put32(T.b + 0x5c, entry);
	T.len = K_LEN;
}

static void test_kludge(void **state)
{
	(void)state;
	kludge_image(K_PA + K_LEN, K_PA + 0x3000, K_PA + 0x80);
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.entry, K_PA + 0x80);
	assert_int_equal(RES.kernel_start, K_PA);
	assert_int_equal(RES.kernel_end, K_PA + 0x3000);
	assert_memory_equal(RAM + K_PA, T.b, K_LEN);
	for (unsigned i = K_LEN; i < 0x3000; i++)
		assert_int_equal(RAM[K_PA + i], 0);
	assert_int_equal(RAM[K_PA + 0x3000], RAM_FILL);
	assert_int_equal(RAM[K_PA - 1], RAM_FILL);
	check_info(0x245);
}

/* load_end_addr 0: the whole file from the load offset; bss_end_addr 0:
 * no bss.  Here the load starts 0x20 bytes into the file. */
static void test_kludge_defaults(void **state)
{
	(void)state;
	kludge_image(0, 0, K_PA + 0x100);
	put32(T.b + 0x4c, K_PA + 0x20);   /* header_addr: text starts at file 0x20 */
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.kernel_end, K_PA + K_LEN - 0x20);
	assert_memory_equal(RAM + K_PA, T.b + 0x20, K_LEN - 0x20);
	assert_int_equal(RAM[K_PA + K_LEN - 0x20], RAM_FILL);
}

/* Flag 16 wins over the ELF headers (3.1.3), as in GRUB. */
static void test_kludge_preferred_over_elf(void **state)
{
	(void)state;
	default_image(false);
	mb_header(T.b + TEXT_OFF, 0x10000);
	put32(T.b + TEXT_OFF + 12, 0x300000 + TEXT_OFF);   /* file 0 -> 3 MiB */
	put32(T.b + TEXT_OFF + 16, 0x300000);
	put32(T.b + TEXT_OFF + 20, 0);
	put32(T.b + TEXT_OFF + 24, 0);
	put32(T.b + TEXT_OFF + 28, 0x300000);
	assert_int_equal(load(&T), HV_OK);
	assert_int_equal(RES.entry, 0x300000);
	assert_memory_equal(RAM + 0x300000, T.b, T.len);
	assert_int_equal(RAM[TEXT_PA], RAM_FILL);
}

static void test_kludge_errors(void **state)
{
	(void)state;
	kludge_image(0, 0, K_PA);
	put32(T.b + 0x50, K_PA + 0x44);
	expect_fail(&T, HV_EINVAL, "a.out kludge: load_addr 0x200044 is above header_addr 0x200040");

	kludge_image(0, 0, K_PA);
	put32(T.b + 0x50, K_PA - 0x10);
	expect_fail(&T, HV_EINVAL,
		    "a.out kludge: load_addr 0x1ffff0 is 0x50 bytes below header_addr, but the header is only 0x40 bytes into the image");

	kludge_image(K_PA - 1, 0, K_PA);
	expect_fail(&T, HV_EINVAL, "a.out kludge: load_end_addr 0x1fffff is below load_addr 0x200000");

	kludge_image(K_PA + K_LEN + 1, 0, K_PA);
	expect_fail(&T, HV_EINVAL,
		    "a.out kludge: load_end_addr 0x200201 needs 0x201 bytes from offset 0x0, past the end of the image (512 bytes)");

	kludge_image(K_PA + 0x100, K_PA + 0xff, K_PA);
	expect_fail(&T, HV_EINVAL,
		    "a.out kludge: bss_end_addr 0x2000ff is below the end of the loaded data 0x200100");

	kludge_image(K_PA + 0x100, K_PA + 0x1000, K_PA + 0x1000);
	expect_fail(&T, HV_EINVAL, "entry point 0x201000 is not inside a loaded segment");

	kludge_image(K_PA + 0x100, 0xffffffffu, K_PA);
	expect_fail(&T, HV_ERANGE, "a.out kludge image [0x200000-0xffffffff) lies outside guest RAM (16 MiB)");

	kludge_image(0, 0, 0x80000);
	put32(T.b + 0x4c, 0x80040);
	put32(T.b + 0x50, 0x80000);
	expect_fail(&T, HV_EINVAL,
		    "a.out kludge image [0x80000-0x80200) starts below 1 MiB, where the boot information goes");
}

/* The five address fields must also lie within the search area. */
static void test_kludge_header_truncated(void **state)
{
	(void)state;
	memset(&T, 0, sizeof(T));
	mb_header(T.b + 0x100, 0x10000);
	T.len = 0x100 + 20;
	expect_fail(&T, HV_EINVAL,
		    "Multiboot header at offset 0x100 sets flag 16 (a.out kludge) but its address fields are not within the first 8192 bytes of the image");
	T.len = 0x3000;
	memset(T.b + 0x100, 0, 12);
	mb_header(T.b + 8172, 0x10000);   /* 8172 + 32 > 8192 */
	expect_fail(&T, HV_EINVAL,
		    "Multiboot header at offset 0x1fec sets flag 16 (a.out kludge) but its address fields are not within the first 8192 bytes of the image");
}

/* ---- boot modules -------------------------------------------------------- */

static void test_modules(void **state)
{
	static const char a[] = "first module's bytes";
	static uint8_t b[5000];
	struct mb1_module mods[3] = {
		{ a, sizeof(a), "module one two" },
		{ b, sizeof(b), NULL },
		{ a, 0, "empty" },
	};
	const uint8_t *e;

	(void)state;
	memset(b, 0x5c, sizeof(b));
	default_image(false);
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, mods, 3, &RES, ERR,
					  sizeof(ERR)), HV_OK);
	assert_int_equal(RES.kernel_end, DATA_PA + DATA_MEM);
	assert_memory_equal(RAM + TEXT_PA, T.b + TEXT_OFF, TEXT_LEN);
	assert_int_equal(info32(0), 0x41 | 0x8);      /* MEM, MMAP, MODS */
	assert_int_equal(info32(20), 3);
	assert_int_equal(info32(24), MB1_MODS_GPA);
	e = RAM + MB1_MODS_GPA;
	/* The kernel ends at DATA_PA + DATA_MEM (0x102000): the modules
	 * follow on page boundaries. */
	assert_int_equal(get32(e), 0x102000);
	assert_int_equal(get32(e + 4), 0x102000 + sizeof(a));
	assert_string_equal((char *)RAM + get32(e + 8), "module one two");
	assert_int_equal(get32(e + 12), 0);
	assert_memory_equal(RAM + 0x102000, a, sizeof(a));
	assert_int_equal(get32(e + 16), 0x103000);
	assert_int_equal(get32(e + 20), 0x103000 + sizeof(b));
	assert_string_equal((char *)RAM + get32(e + 24), "");
	assert_memory_equal(RAM + 0x103000, b, sizeof(b));
	assert_int_equal(get32(e + 32), 0x105000);
	assert_int_equal(get32(e + 36), 0x105000);
	assert_string_equal((char *)RAM + get32(e + 40), "empty");
	assert_int_equal(RAM[0x105000], RAM_FILL);     /* nothing past the last */
}

static void test_modules_rejected(void **state)
{
	static char longstr[MB1_MOD_STRINGS_MAX + 1];
	struct mb1_module big = { RAM + 0, RAM_SIZE - 0x102000 + 1, "big" };
	struct mb1_module fits = { RAM + 0, RAM_SIZE - 0x102000, "fits" };
	struct mb1_module many[MB1_MODS_MAX + 1];
	struct mb1_module named = { "x", 1, longstr };
	struct mb1_module nodata = { NULL, 10, "nodata" };
	static uint8_t *copy;

	(void)state;
	default_image(false);
	/* The module buffers here point into guest RAM only to have sizes
	 * that large; they are rejected before anything is copied. */
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, &big, 1, &RES, ERR,
					  sizeof(ERR)), HV_ERANGE);
	assert_string_equal(ERR, "boot module 0 (15720449 bytes) does not fit in guest RAM after 0x102000");
	assert_true(ram_untouched());
	memset(many, 0, sizeof(many));
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, many, MB1_MODS_MAX + 1,
					  &RES, ERR, sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, "17 boot modules: at most 16");
	memset(longstr, 'm', sizeof(longstr) - 1);
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, &named, 1, &RES, ERR,
					  sizeof(ERR)), HV_ERANGE);
	assert_string_equal(ERR, "the boot modules' strings are longer than 3072 bytes in all");
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, &nodata, 1, &RES, ERR,
					  sizeof(ERR)), HV_EINVAL);
	assert_string_equal(ERR, "boot module 0 has no data");
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, NULL, 1, &RES, ERR,
					  sizeof(ERR)), HV_EINVAL);
	assert_true(ram_untouched());
	assert_int_equal(RES.entry, 0xdeadbeef);
	/* Exactly to the end of RAM is fine (from a buffer outside RAM). */
	copy = malloc(fits.len);
	assert_non_null(copy);
	memset(copy, 1, fits.len);
	fits.data = copy;
	assert_int_equal(mb1_load_modules(&MEM, T.b, T.len, NULL, NULL, &fits, 1, &RES, ERR,
					  sizeof(ERR)), HV_OK);
	assert_int_equal(RAM[RAM_SIZE - 1], 1);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_elf32, setup),
		cmocka_unit_test_setup(test_elf64, setup),
		cmocka_unit_test_setup(test_elf32_higher_half_entry, setup),
		cmocka_unit_test_setup(test_elf64_higher_half_entry, setup),
		cmocka_unit_test_setup(test_no_strings, setup),
		cmocka_unit_test_setup(test_empty_cmdline, setup),
		cmocka_unit_test_setup(test_longest_strings, setup),
		cmocka_unit_test_setup(test_strings_too_long, setup),
		cmocka_unit_test_setup(test_tolerated_flags, setup),
		cmocka_unit_test_setup(test_skips_bad_checksum_before_header, setup),
		cmocka_unit_test_setup(test_header_at_end_of_search_area, setup),
		cmocka_unit_test_setup(test_header_ends_image, setup),
		cmocka_unit_test_setup(test_other_segments_ignored, setup),
		cmocka_unit_test_setup(test_error_buffer, setup),
		cmocka_unit_test_setup(test_no_header, setup),
		cmocka_unit_test_setup(test_empty_image, setup),
		cmocka_unit_test_setup(test_bad_checksum, setup),
		cmocka_unit_test_setup(test_header_misaligned, setup),
		cmocka_unit_test_setup(test_header_beyond_8192, setup),
		cmocka_unit_test_setup(test_header_cut_by_image_end, setup),
		cmocka_unit_test_setup(test_unknown_required_flags, setup),
		cmocka_unit_test_setup(test_not_elf, setup),
		cmocka_unit_test_setup(test_bad_ident, setup),
		cmocka_unit_test_setup(test_too_short_for_header, setup),
		cmocka_unit_test_setup(test_wrong_type, setup),
		cmocka_unit_test_setup(test_wrong_machine, setup),
		cmocka_unit_test_setup(test_program_header_table, setup),
		cmocka_unit_test_setup(test_no_loadable_segment, setup),
		cmocka_unit_test_setup(test_filesz_above_memsz, setup),
		cmocka_unit_test_setup(test_segment_past_image, setup),
		cmocka_unit_test_setup(test_segment_offset_overflow, setup),
		cmocka_unit_test_setup(test_segment_outside_ram, setup),
		cmocka_unit_test_setup(test_segment_wraps, setup),
		cmocka_unit_test_setup(test_segment_above_4g, setup),
		cmocka_unit_test_setup(test_segment_below_1m, setup),
		cmocka_unit_test_setup(test_entry_outside_segments, setup),
		cmocka_unit_test_setup(test_entry_in_non_load_segment, setup),
		cmocka_unit_test_setup(test_elf64_entry_above_4g, setup),
		cmocka_unit_test_setup(test_ram_too_small, setup),
		cmocka_unit_test_setup(test_image_inside_ram, setup),
		cmocka_unit_test_setup(test_null_arguments, setup),
		cmocka_unit_test_setup(test_kludge, setup),
		cmocka_unit_test_setup(test_kludge_defaults, setup),
		cmocka_unit_test_setup(test_kludge_preferred_over_elf, setup),
		cmocka_unit_test_setup(test_kludge_errors, setup),
		cmocka_unit_test_setup(test_kludge_header_truncated, setup),
		cmocka_unit_test_setup(test_modules, setup),
		cmocka_unit_test_setup(test_modules_rejected, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
