/* Unit tests for src/boot/multiboot2.c: synthetic Multiboot2 information
 * structures (spec 3.6) built by the helpers below. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <hv/bootinfo.h>
#include <hv/errno.h>

/* ---- builder ------------------------------------------------------------ */

struct mb {
	uint64_t words[4096];   /* 8-byte aligned, as the spec requires */
	size_t len;             /* bytes used */
};

static uint8_t *mb_bytes(struct mb *m)
{
	return (uint8_t *)m->words;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static void mb_begin(struct mb *m)
{
	memset(m, 0, sizeof(*m));
	m->len = 8;             /* total_size, reserved */
}

/* Append a tag with the given header size field and payload bytes, then pad
 * with `pad` up to 8-byte alignment.  Returns the tag's offset. */
static size_t mb_tag_sized(struct mb *m, uint32_t type, uint32_t size,
			   const void *payload, size_t plen, uint8_t pad)
{
	size_t off = m->len;
	uint8_t *b = mb_bytes(m);

	assert_true(off + 8 + plen + 8 <= sizeof(m->words));
	put32(b + off, type);
	put32(b + off + 4, size);
	if (plen)
		memcpy(b + off + 8, payload, plen);
	m->len = off + 8 + plen;
	while (m->len % 8)
		b[m->len++] = pad;
	return off;
}

static size_t mb_tag(struct mb *m, uint32_t type, const void *payload, size_t plen)
{
	return mb_tag_sized(m, type, (uint32_t)(8 + plen), payload, plen, 0);
}

static void mb_string(struct mb *m, uint32_t type, const char *s)
{
	mb_tag(m, type, s, strlen(s) + 1);
}

static void mb_module(struct mb *m, uint32_t start, uint32_t end, const char *s)
{
	uint8_t p[512];
	size_t n = strlen(s) + 1;

	assert_true(8 + n <= sizeof(p));
	put32(p, start);
	put32(p + 4, end);
	memcpy(p + 8, s, n);
	mb_tag(m, 3, p, 8 + n);
}

static void mb_meminfo(struct mb *m, uint32_t lower, uint32_t upper)
{
	uint8_t p[8];
	put32(p, lower);
	put32(p + 4, upper);
	mb_tag(m, 4, p, sizeof(p));
}

struct ent {
	uint64_t base, len;
	uint32_t type;
};

/* Memory map (3.6.8) with entries entry_size bytes apart; bytes beyond the
 * 24 standard ones are filled with 0xee to show they are skipped. */
static void mb_mmap(struct mb *m, uint32_t entry_size, const struct ent *e, size_t n)
{
	static uint8_t p[8 + 300 * 64];
	size_t plen = 8 + n * entry_size;

	assert_true(plen <= sizeof(p));
	memset(p, 0xee, sizeof(p));
	put32(p, entry_size);
	put32(p + 4, 0);
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = p + 8 + i * entry_size;
		put64(q, e[i].base);
		put64(q + 8, e[i].len);
		put32(q + 16, e[i].type);
		put32(q + 20, 0);
	}
	mb_tag(m, 6, p, plen);
}

/* The end tag, and total_size covering everything. */
static void mb_end(struct mb *m)
{
	mb_tag(m, 0, NULL, 0);
	put32(mb_bytes(m), (uint32_t)m->len);
}

/* Parse a copy in a heap block of exactly total_size bytes, so that the
 * sanitizers (and valgrind) see any read past the structure. */
static int parse_exact(const struct mb *m, struct boot_info *bi)
{
	uint32_t total;
	memcpy(&total, m->words, 4);
	size_t n = total < 8 ? 8 : total;
	void *copy = aligned_alloc(8, (n + 7) & ~(size_t)7);
	assert_non_null(copy);
	memcpy(copy, m->words, n);
	int rc = mb2_parse(copy, bi);
	if (rc == HV_OK) {
		assert_int_equal(bi->mbi_phys, (uintptr_t)copy);
		assert_int_equal(bi->mbi_size, total);
	}
	free(copy);
	return rc;
}

static struct mb M;
static struct boot_info BI;

/* A 36-byte ACPI 2.0 RSDP with recognisable contents. */
static void fake_rsdp(uint8_t *r, size_t len, uint8_t revision)
{
	for (size_t i = 0; i < len; i++)
		r[i] = (uint8_t)(0x40 + i);
	memcpy(r, "RSD PTR ", 8);
	r[15] = revision;
}

/* ---- tests -------------------------------------------------------------- */

static void test_minimal(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_end(&M);
	assert_int_equal(M.len, 16);
	memset(&BI, 0xa5, sizeof(BI));
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.cmdline, "");
	assert_string_equal(BI.loader, "");
	assert_int_equal(BI.mmap_count, 0);
	assert_int_equal(BI.module_count, 0);
	assert_false(BI.mmap_truncated);
	assert_false(BI.modules_truncated);
	assert_int_equal(BI.rsdp_len, 0);
	assert_false(BI.efi);
	assert_int_equal(BI.mem_lower_kb, 0);
	assert_int_equal(boot_ram_bytes(&BI), 0);
}

static void test_mbi_address_recorded(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_string(&M, 1, "x");
	mb_end(&M);
	assert_int_equal(mb2_parse(M.words, &BI), HV_OK);
	assert_int_equal(BI.mbi_phys, (uintptr_t)M.words);
	assert_int_equal(BI.mbi_size, 32);
}

static void test_cmdline_and_loader(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_string(&M, 2, "GRUB 2.12");
	mb_string(&M, 1, "console=com2 loglevel=debug");
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.cmdline, "console=com2 loglevel=debug");
	assert_string_equal(BI.loader, "GRUB 2.12");
}

static void test_cmdline_truncated(void **state)
{
	(void)state;
	char big[3000];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	mb_begin(&M);
	mb_string(&M, 1, big);
	mb_string(&M, 2, big);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(strlen(BI.cmdline), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(strlen(BI.loader), BOOT_NAME_MAX - 1);
	assert_int_equal(BI.cmdline[0], 'a');
}

static void test_unterminated_string_stays_in_tag(void **state)
{
	(void)state;
	/* "abc" without NUL, padding bytes 'X': the copy must stop at the
	 * tag's end, not run into the padding. */
	mb_begin(&M);
	mb_tag_sized(&M, 1, 8 + 3, "abc", 3, 'X');
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.cmdline, "abc");

	/* An empty string tag (no bytes at all) gives "". */
	mb_begin(&M);
	mb_tag(&M, 2, NULL, 0);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.loader, "");
}

static void test_modules(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_module(&M, 0x200000, 0x2345ab, "/boot/guest.bin entry=0x1000");
	mb_module(&M, 0x400000, 0x400000, "");
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.module_count, 2);
	assert_false(BI.modules_truncated);
	assert_int_equal(BI.modules[0].start, 0x200000);
	assert_int_equal(BI.modules[0].end, 0x2345ab);
	assert_string_equal(BI.modules[0].cmdline, "/boot/guest.bin entry=0x1000");
	assert_int_equal(BI.modules[1].start, 0x400000);
	assert_int_equal(BI.modules[1].end, 0x400000);
	assert_string_equal(BI.modules[1].cmdline, "");
}

static void test_module_string_truncated(void **state)
{
	(void)state;
	char s[300];
	memset(s, 'm', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	mb_begin(&M);
	mb_module(&M, 0x1000, 0x2000, s);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(strlen(BI.modules[0].cmdline), BOOT_NAME_MAX - 1);
}

static void test_too_many_modules(void **state)
{
	(void)state;
	mb_begin(&M);
	for (uint32_t i = 0; i < BOOT_MAX_MODULES + 3; i++)
		mb_module(&M, 0x100000 * (i + 1), 0x100000 * (i + 1) + 0x10, "mod");
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.module_count, BOOT_MAX_MODULES);
	assert_true(BI.modules_truncated);
	assert_int_equal(BI.modules[BOOT_MAX_MODULES - 1].start,
			 0x100000 * BOOT_MAX_MODULES);
}

static void test_bad_modules(void **state)
{
	(void)state;
	/* end before start */
	mb_begin(&M);
	mb_module(&M, 0x3000, 0x2000, "backwards");
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* too short for mod_start/mod_end */
	uint8_t p[4] = { 0 };
	mb_begin(&M);
	mb_tag(&M, 3, p, sizeof(p));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
}

static void test_meminfo(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_meminfo(&M, 639, 523264);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.mem_lower_kb, 639);
	assert_int_equal(BI.mem_upper_kb, 523264);

	uint8_t p[4] = { 1, 2, 3, 4 };
	mb_begin(&M);
	mb_tag(&M, 4, p, sizeof(p));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
}

static const struct ent QEMU_MAP[] = {
	{ 0x0, 0x9fc00, MMAP_AVAILABLE },
	{ 0x9fc00, 0x400, MMAP_RESERVED },
	{ 0xf0000, 0x10000, MMAP_RESERVED },
	{ 0x100000, 0x7ee0000, MMAP_AVAILABLE },
	{ 0x7fe0000, 0x20000, MMAP_RESERVED },
	{ 0xfffc0000, 0x40000, MMAP_RESERVED },
	{ 0x100000000ull, 0x80000000ull, MMAP_AVAILABLE },
	{ 0x180000000ull, 0x1000, MMAP_ACPI_RECLAIMABLE },
};

static void check_qemu_map(void)
{
	assert_int_equal(BI.mmap_count, 8);
	assert_false(BI.mmap_truncated);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(BI.mmap[i].base, QEMU_MAP[i].base);
		assert_int_equal(BI.mmap[i].len, QEMU_MAP[i].len);
		assert_int_equal(BI.mmap[i].type, QEMU_MAP[i].type);
	}
	assert_int_equal(boot_ram_bytes(&BI), 0x9fc00 + 0x7ee0000 + 0x80000000ull);
}

static void test_mmap_24(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_mmap(&M, 24, QEMU_MAP, 8);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	check_qemu_map();
}

static void test_mmap_larger_entries(void **state)
{
	(void)state;
	/* Future versions may append fields (3.6.8): honour entry_size. */
	mb_begin(&M);
	mb_mmap(&M, 40, QEMU_MAP, 8);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	check_qemu_map();

	/* Odd (non multiple of 8) sizes are still read at the right places. */
	mb_begin(&M);
	mb_mmap(&M, 25, QEMU_MAP, 8);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	check_qemu_map();
}

static void test_mmap_bad_entry_size(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_mmap(&M, 16, QEMU_MAP, 2);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	mb_begin(&M);
	mb_mmap(&M, 0, QEMU_MAP, 0);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* Tag too short for entry_size/entry_version. */
	uint8_t p[4] = { 24, 0, 0, 0 };
	mb_begin(&M);
	mb_tag(&M, 6, p, sizeof(p));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* A huge entry_size means no entry fits: empty map, no overflow. */
	uint8_t q[8 + 24];
	memset(q, 0, sizeof(q));
	put32(q, 0xfffffff8u);
	mb_begin(&M);
	mb_tag(&M, 6, q, sizeof(q));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.mmap_count, 0);
}

static void test_mmap_partial_trailing_entry_ignored(void **state)
{
	(void)state;
	/* Two full entries and 16 stray bytes: only the full ones count. */
	uint8_t p[8 + 2 * 24 + 16];
	memset(p, 0, sizeof(p));
	put32(p, 24);
	put64(p + 8, 0x1000);
	put64(p + 16, 0x2000);
	put32(p + 24, 1);
	put64(p + 32, 0x100000);
	put64(p + 40, 0x300000);
	put32(p + 48, 1);
	put64(p + 56, 0xdead0000);
	mb_begin(&M);
	mb_tag(&M, 6, p, sizeof(p));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.mmap_count, 2);
	assert_int_equal(BI.mmap[1].base, 0x100000);
	assert_int_equal(boot_ram_bytes(&BI), 0x302000);
}

static void test_mmap_truncated(void **state)
{
	(void)state;
	static struct ent many[BOOT_MAX_MMAP + 10];
	for (size_t i = 0; i < BOOT_MAX_MMAP + 10; i++) {
		many[i].base = i * 0x10000;
		many[i].len = 0x1000;
		many[i].type = MMAP_AVAILABLE;
	}
	mb_begin(&M);
	mb_mmap(&M, 24, many, BOOT_MAX_MMAP + 10);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.mmap_count, BOOT_MAX_MMAP);
	assert_true(BI.mmap_truncated);
	assert_int_equal(BI.mmap[BOOT_MAX_MMAP - 1].base, (BOOT_MAX_MMAP - 1) * 0x10000);
	assert_int_equal(boot_ram_bytes(&BI), BOOT_MAX_MMAP * 0x1000);
}

static void test_acpi_old(void **state)
{
	(void)state;
	uint8_t r[20];
	fake_rsdp(r, sizeof(r), 0);
	mb_begin(&M);
	mb_tag(&M, 14, r, sizeof(r));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.rsdp_len, 20);
	assert_memory_equal(BI.rsdp, r, 20);
}

static void test_acpi_new(void **state)
{
	(void)state;
	uint8_t r[36];
	fake_rsdp(r, sizeof(r), 2);
	mb_begin(&M);
	mb_tag(&M, 15, r, sizeof(r));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, r, 36);

	/* Longer than 36 bytes: only the RSDP itself is kept. */
	uint8_t big[48];
	fake_rsdp(big, sizeof(big), 2);
	mb_begin(&M);
	mb_tag(&M, 15, big, sizeof(big));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, big, 36);
}

static void test_acpi_new_preferred_either_order(void **state)
{
	(void)state;
	uint8_t v1[20], v2[36];
	fake_rsdp(v1, sizeof(v1), 0);
	v1[9] = 0x11;             /* make the two copies differ */
	fake_rsdp(v2, sizeof(v2), 2);

	mb_begin(&M);
	mb_tag(&M, 14, v1, sizeof(v1));
	mb_tag(&M, 15, v2, sizeof(v2));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, v2, 36);

	mb_begin(&M);
	mb_tag(&M, 15, v2, sizeof(v2));
	mb_tag(&M, 14, v1, sizeof(v1));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_int_equal(BI.rsdp_len, 36);
	assert_memory_equal(BI.rsdp, v2, 36);
}

static void test_acpi_too_short(void **state)
{
	(void)state;
	uint8_t r[19] = { 0 };
	mb_begin(&M);
	mb_tag(&M, 14, r, sizeof(r));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	mb_begin(&M);
	mb_tag(&M, 15, r, sizeof(r));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
}

static void test_efi_tags(void **state)
{
	(void)state;
	uint8_t p32[4] = { 0x78, 0x56, 0x34, 0x12 };
	uint8_t p64[8] = { 0 };

	mb_begin(&M);
	mb_tag(&M, 11, p32, sizeof(p32));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_true(BI.efi);

	mb_begin(&M);
	mb_tag(&M, 12, p64, sizeof(p64));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_true(BI.efi);

	mb_begin(&M);
	mb_string(&M, 1, "no efi here");
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_false(BI.efi);
}

static void test_unknown_tags_skipped(void **state)
{
	(void)state;
	uint8_t junk[13];
	memset(junk, 0xff, sizeof(junk));

	mb_begin(&M);
	mb_tag(&M, 21, junk, sizeof(junk));  /* odd size: padded to 8 */
	mb_tag(&M, 8, junk, 5);
	mb_tag(&M, 0x7fffffff, NULL, 0);
	mb_string(&M, 1, "after junk");
	mb_meminfo(&M, 1, 2);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.cmdline, "after junk");
	assert_int_equal(BI.mem_upper_kb, 2);
}

static void test_everything_together(void **state)
{
	(void)state;
	uint8_t r[36];
	fake_rsdp(r, sizeof(r), 2);
	mb_begin(&M);
	mb_string(&M, 1, "loglevel=debug");
	mb_string(&M, 2, "GRUB 2.06");
	mb_meminfo(&M, 639, 130048);
	mb_mmap(&M, 24, QEMU_MAP, 8);
	mb_module(&M, 0x800000, 0x801000, "guest");
	mb_tag(&M, 15, r, sizeof(r));
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.cmdline, "loglevel=debug");
	assert_string_equal(BI.loader, "GRUB 2.06");
	assert_int_equal(BI.mem_lower_kb, 639);
	check_qemu_map();
	assert_int_equal(BI.module_count, 1);
	assert_string_equal(BI.modules[0].cmdline, "guest");
	assert_int_equal(BI.rsdp_len, 36);
}

/* ---- malformed structures ----------------------------------------------- */

static void test_null_arguments(void **state)
{
	(void)state;
	mb_begin(&M);
	mb_end(&M);
	assert_int_equal(mb2_parse(NULL, &BI), HV_EINVAL);
	assert_int_equal(mb2_parse(M.words, NULL), HV_EINVAL);
}

static void test_total_size_too_small(void **state)
{
	(void)state;
	for (uint32_t total = 0; total < 16; total++) {
		mb_begin(&M);
		mb_end(&M);
		put32(mb_bytes(&M), total);
		assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
	}
}

static void test_missing_end_tag(void **state)
{
	(void)state;
	/* Tags but no end tag: total_size stops after the last tag. */
	mb_begin(&M);
	mb_string(&M, 1, "cmd");
	mb_meminfo(&M, 1, 2);
	put32(mb_bytes(&M), (uint32_t)M.len);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* total_size cutting the end tag in half. */
	mb_begin(&M);
	mb_string(&M, 1, "cmd");
	mb_end(&M);
	put32(mb_bytes(&M), (uint32_t)M.len - 4);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* Only the fixed part and 8 bytes of a non-end tag. */
	mb_begin(&M);
	mb_tag(&M, 21, NULL, 0);
	put32(mb_bytes(&M), (uint32_t)M.len);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
}

static void test_tag_size_below_header(void **state)
{
	(void)state;
	for (uint32_t size = 0; size < 8; size++) {
		mb_begin(&M);
		mb_tag_sized(&M, 1, size, "abcdefgh", 8, 0);
		mb_end(&M);
		assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
	}
	/* An end tag with size 0 is just as malformed. */
	mb_begin(&M);
	mb_tag_sized(&M, 0, 0, NULL, 0, 0);
	put32(mb_bytes(&M), (uint32_t)M.len);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
}

static void test_tag_size_past_total(void **state)
{
	(void)state;
	/* A cmdline tag claiming to be longer than the whole structure. */
	mb_begin(&M);
	size_t off = mb_tag(&M, 1, "hello", 6);
	mb_end(&M);
	put32(mb_bytes(&M) + off + 4, (uint32_t)M.len);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* A huge size that would wrap 32-bit arithmetic. */
	put32(mb_bytes(&M) + off + 4, 0xfffffff9u);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);

	/* An mmap tag whose size runs over the end tag: its entries must not
	 * be read past total_size. */
	mb_begin(&M);
	off = M.len;
	mb_mmap(&M, 24, QEMU_MAP, 2);
	mb_end(&M);
	put32(mb_bytes(&M) + off + 4, 8 + 8 + 3 * 24);
	assert_int_equal(parse_exact(&M, &BI), HV_EINVAL);
}

static void test_end_tag_before_garbage(void **state)
{
	(void)state;
	/* Whatever follows the end tag is not looked at. */
	mb_begin(&M);
	mb_string(&M, 1, "first");
	mb_tag(&M, 0, NULL, 0);
	mb_tag_sized(&M, 1, 3, "zz", 2, 0);     /* malformed, after the end */
	put32(mb_bytes(&M), (uint32_t)M.len);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_string_equal(BI.cmdline, "first");
}

static void test_ram_bytes_saturates(void **state)
{
	(void)state;
	static const struct ent huge[] = {
		{ 0, 0xffffffffffff0000ull, MMAP_AVAILABLE },
		{ 0, 0x20000, MMAP_AVAILABLE },
	};
	mb_begin(&M);
	mb_mmap(&M, 24, huge, 2);
	mb_end(&M);
	assert_int_equal(parse_exact(&M, &BI), HV_OK);
	assert_true(boot_ram_bytes(&BI) == UINT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_mbi_address_recorded),
		cmocka_unit_test(test_cmdline_and_loader),
		cmocka_unit_test(test_cmdline_truncated),
		cmocka_unit_test(test_unterminated_string_stays_in_tag),
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_module_string_truncated),
		cmocka_unit_test(test_too_many_modules),
		cmocka_unit_test(test_bad_modules),
		cmocka_unit_test(test_meminfo),
		cmocka_unit_test(test_mmap_24),
		cmocka_unit_test(test_mmap_larger_entries),
		cmocka_unit_test(test_mmap_bad_entry_size),
		cmocka_unit_test(test_mmap_partial_trailing_entry_ignored),
		cmocka_unit_test(test_mmap_truncated),
		cmocka_unit_test(test_acpi_old),
		cmocka_unit_test(test_acpi_new),
		cmocka_unit_test(test_acpi_new_preferred_either_order),
		cmocka_unit_test(test_acpi_too_short),
		cmocka_unit_test(test_efi_tags),
		cmocka_unit_test(test_unknown_tags_skipped),
		cmocka_unit_test(test_everything_together),
		cmocka_unit_test(test_null_arguments),
		cmocka_unit_test(test_total_size_too_small),
		cmocka_unit_test(test_missing_end_tag),
		cmocka_unit_test(test_tag_size_below_header),
		cmocka_unit_test(test_tag_size_past_total),
		cmocka_unit_test(test_end_tag_before_garbage),
		cmocka_unit_test(test_ram_bytes_saturates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
