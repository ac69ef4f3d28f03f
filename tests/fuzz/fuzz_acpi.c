/* Fuzz the parser of the host's ACPI tables (src/boot/acpi.c).  Input: a
 * selector byte, then either an AML byte stream for acpi_aml_find_s5()
 * (selector 0), or the RSDP copy a Multiboot2 tag would give (its length
 * in the selector) followed by "physical memory" from address 0 up, where
 * the RSDT/XSDT, FADT and DSDT are looked for.
 *
 * Every mapping is a fresh heap block of exactly the bytes asked for, so
 * that ASan sees a read past what the parser mapped; mutated tables would
 * almost never pass their checksums, so the map callback sets the checksum
 * of anything that looks like a table of the length mapped, and the
 * harness those of the RSDP copy. */
#include "fuzz.h"

#include <string.h>

#include <hv/acpi.h>
#include <hv/errno.h>

#define MAX_MAPS 64

struct phys {
	const uint8_t *bytes;
	size_t len;
	void *maps[MAX_MAPS];
	unsigned nmaps;
};

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t s = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	p[at] = (uint8_t)-s;
}

static const void *map(void *ctx, uint64_t phys, size_t len)
{
	struct phys *m = ctx;

	if (phys > m->len || len > m->len - phys || len == 0 || m->nmaps == MAX_MAPS)
		return NULL;
	uint8_t *p = malloc(len);
	memcpy(p, m->bytes + phys, len);
	/* A whole system description table: header Length == len. */
	if (len >= 36 && get32(p + 4) == len)
		fix_sum(p, len, 9);
	m->maps[m->nmaps++] = p;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t sel = fz_u8(&f);

	if (sel == 0) {
		uint8_t *aml = malloc(f.n ? f.n : 1);
		size_t len = fz_bytes(&f, aml, f.n);
		uint16_t a = 0, b = 0;
		int rc = acpi_aml_find_s5(aml, len, &a, &b);
		FZ_CHECK(rc == 0 || rc == HV_ENOENT || rc == HV_EINVAL);
		free(aml);
		return 0;
	}

	/* The RSDP copy: 0 (scan memory), else up to 40 bytes. */
	size_t tag_len = sel % 41;
	uint8_t *tag = malloc(tag_len ? tag_len : 1);
	tag_len = fz_bytes(&f, tag, tag_len);
	if (tag_len >= 20)
		fix_sum(tag, 20, 8);
	if (tag_len >= 36 && get32(tag + 20) == tag_len)
		fix_sum(tag, tag_len, 32);
	else if (tag_len >= 36 && get32(tag + 20) >= 36 && get32(tag + 20) <= tag_len)
		fix_sum(tag, get32(tag + 20), 32);

	struct phys m = { .bytes = f.p, .len = f.n };
	struct acpi_rsdp rsdp;
	struct acpi_pm pm;
	int rc = acpi_find_rsdp(map, &m, tag_len ? tag : NULL, tag_len, &rsdp);
	FZ_CHECK(rc == 0 || rc == HV_ENOENT || rc == HV_EINVAL);
	if (rc == 0) {
		FZ_CHECK(rsdp.len == 20 || rsdp.len == 36);
		rc = acpi_parse_pm(map, &m, &rsdp, &pm);
		FZ_CHECK(rc == 0 || rc == HV_ENOENT || rc == HV_EINVAL);
		if (rc == 0)
			FZ_CHECK(memchr(pm.oem_id, '\0', sizeof(pm.oem_id)) != NULL);
	}
	for (unsigned i = 0; i < m.nmaps; i++)
		free(m.maps[i]);
	free(tag);
	return 0;
}
