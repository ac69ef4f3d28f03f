/* Multiboot2 information parser (Multiboot2 specification 2.0, section 3.6).
 *
 * The loader's structure is untrusted input: every length is checked
 * against the bytes that remain before anything is read, so a corrupt
 * structure yields HV_EINVAL instead of a read past its end.  Everything
 * worth keeping is copied into struct boot_info, after which the loader's
 * memory may be reused. */
#include <hv/bootinfo.h>
#include <hv/bytes.h>
#include <hv/errno.h>
#include <hv/string.h>

/* Tag types (spec 3.6.2 - 3.6.17). */
enum {
	MB2_TAG_END = 0,
	MB2_TAG_CMDLINE = 1,      /* 3.6.5 */
	MB2_TAG_LOADER = 2,       /* 3.6.9 */
	MB2_TAG_MODULE = 3,       /* 3.6.6 */
	MB2_TAG_MEMINFO = 4,      /* 3.6.3 */
	MB2_TAG_MMAP = 6,         /* 3.6.8 */
	MB2_TAG_EFI32 = 11,       /* 3.6.13 */
	MB2_TAG_EFI64 = 12,       /* 3.6.14 */
	MB2_TAG_ACPI_OLD = 14,    /* 3.6.16 */
	MB2_TAG_ACPI_NEW = 15,    /* 3.6.17 */
};

#define MB2_HEADER_SIZE   8   /* total_size, reserved (3.6.2) */
#define MB2_TAG_HDR_SIZE  8   /* type, size (3.6.2) */
#define MB2_MMAP_HDR_SIZE 8   /* entry_size, entry_version (3.6.8) */
#define MB2_MMAP_ENTRY    24  /* base_addr, length, type, reserved */
#define RSDP_V1_LEN       20  /* ACPI 1.0 RSDP */
#define RSDP_V2_LEN       36  /* ACPI 2.0+ RSDP (XSDP) */

/* Parse state beyond what struct boot_info records. */
struct mb2_state {
	struct boot_info *bi;
	bool rsdp_new;            /* rsdp came from the new (v2) tag */
};

/* Copy a string of at most avail bytes, truncating to the destination.
 * Not hv_strlcpy: that measures the whole source, and a string the loader
 * forgot to terminate would be read past the end of its tag. */
static void copy_string(char *dst, size_t size, const uint8_t *src, size_t avail)
{
	size_t n = strnlen((const char *)src, avail);

	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* 3.6.6: u32 mod_start, u32 mod_end, then the module's string. */
static int parse_module(struct boot_info *bi, const uint8_t *p, uint32_t len)
{
	if (len < 8)
		return HV_EINVAL;
	uint32_t start = rd32(p), end = rd32(p + 4);
	if (end < start)
		return HV_EINVAL;
	if (bi->module_count == BOOT_MAX_MODULES) {
		bi->modules_truncated = true;
		return HV_OK;
	}
	struct boot_module *m = &bi->modules[bi->module_count++];
	m->start = start;
	m->end = end;
	copy_string(m->cmdline, sizeof(m->cmdline), p + 8, len - 8);
	return HV_OK;
}

/* 3.6.3: u32 mem_lower, u32 mem_upper, both in KiB. */
static int parse_meminfo(struct boot_info *bi, const uint8_t *p, uint32_t len)
{
	if (len < 8)
		return HV_EINVAL;
	bi->mem_lower_kb = rd32(p);
	bi->mem_upper_kb = rd32(p + 4);
	return HV_OK;
}

/* 3.6.8: entries are entry_size bytes apart so that later versions can
 * append fields; we read the first 24 bytes of each. */
static int parse_mmap(struct boot_info *bi, const uint8_t *p, uint32_t len)
{
	if (len < MB2_MMAP_HDR_SIZE)
		return HV_EINVAL;
	uint32_t entry_size = rd32(p);
	if (entry_size < MB2_MMAP_ENTRY)
		return HV_EINVAL;

	/* "entry_size <= len - off" cannot overflow, unlike off + entry_size. */
	for (uint32_t off = MB2_MMAP_HDR_SIZE; entry_size <= len - off; off += entry_size) {
		if (bi->mmap_count == BOOT_MAX_MMAP) {
			bi->mmap_truncated = true;
			return HV_OK;
		}
		struct boot_mmap_entry *e = &bi->mmap[bi->mmap_count++];
		e->base = rd64(p + off);
		e->len = rd64(p + off + 8);
		e->type = rd32(p + off + 16);
	}
	return HV_OK;
}

/* 3.6.16/3.6.17: a copy of the RSDP.  The new (ACPI 2.0+) one is preferred
 * because it carries the XSDT address, whatever order the tags come in. */
static int parse_rsdp(struct mb2_state *st, const uint8_t *p, uint32_t len, bool is_new)
{
	struct boot_info *bi = st->bi;

	if (len < RSDP_V1_LEN)
		return HV_EINVAL;
	if (!is_new && st->rsdp_new)
		return HV_OK;
	bi->rsdp_len = is_new ? MIN(len, (uint32_t)RSDP_V2_LEN) : RSDP_V1_LEN;
	memcpy(bi->rsdp, p, bi->rsdp_len);
	st->rsdp_new = is_new;
	return HV_OK;
}

/* Dispatch one tag; p/len are its payload after the 8-byte header. */
static int parse_tag(struct mb2_state *st, uint32_t type, const uint8_t *p, uint32_t len)
{
	struct boot_info *bi = st->bi;

	switch (type) {
	case MB2_TAG_CMDLINE:
		copy_string(bi->cmdline, sizeof(bi->cmdline), p, len);
		return HV_OK;
	case MB2_TAG_LOADER:
		copy_string(bi->loader, sizeof(bi->loader), p, len);
		return HV_OK;
	case MB2_TAG_MODULE:
		return parse_module(bi, p, len);
	case MB2_TAG_MEMINFO:
		return parse_meminfo(bi, p, len);
	case MB2_TAG_MMAP:
		return parse_mmap(bi, p, len);
	case MB2_TAG_EFI32:
	case MB2_TAG_EFI64:
		bi->efi = true;
		return HV_OK;
	case MB2_TAG_ACPI_OLD:
		return parse_rsdp(st, p, len, false);
	case MB2_TAG_ACPI_NEW:
		return parse_rsdp(st, p, len, true);
	}
	return HV_OK;   /* the OS may ignore any tag (3.6.1) */
}

int mb2_parse(const void *mbi, struct boot_info *out)
{
	const uint8_t *base = mbi;
	struct mb2_state st = { .bi = out, .rsdp_new = false };

	if (!mbi || !out)
		return HV_EINVAL;
	memset(out, 0, sizeof(*out));

	/* 3.6.2: the fixed part plus at least the 8-byte end tag. */
	uint32_t total = rd32(base);
	if (total < MB2_HEADER_SIZE + MB2_TAG_HDR_SIZE)
		return HV_EINVAL;
	out->mbi_phys = (uintptr_t)mbi;
	out->mbi_size = total;

	/* Each tag starts 8-byte aligned; its size excludes the padding.
	 * 64-bit offsets so that adding the padding cannot wrap. */
	uint64_t off = MB2_HEADER_SIZE;
	while (off + MB2_TAG_HDR_SIZE <= total) {
		uint32_t type = rd32(base + off), size = rd32(base + off + 4);
		if (size < MB2_TAG_HDR_SIZE || size > total - off)
			return HV_EINVAL;
		if (type == MB2_TAG_END)
			return HV_OK;
		int rc = parse_tag(&st, type, base + off + MB2_TAG_HDR_SIZE,
				   size - MB2_TAG_HDR_SIZE);
		if (rc)
			return rc;
		off += ALIGN_UP((uint64_t)size, 8);
	}
	return HV_EINVAL;   /* ran out of bytes before the end tag */
}

uint64_t boot_ram_bytes(const struct boot_info *bi)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < bi->mmap_count; i++) {
		if (bi->mmap[i].type != MMAP_AVAILABLE)
			continue;
		/* Saturate: a bogus map must not wrap to a small total. */
		if (bi->mmap[i].len > UINT64_MAX - sum)
			return UINT64_MAX;
		sum += bi->mmap[i].len;
	}
	return sum;
}
