/* Unit tests of src/boot/acpi.c: synthetic RSDP/RSDT/XSDT/FADT/DSDT images are
 * built in a fake physical memory and parsed through a map callback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hv/acpi.h>
#include <hv/errno.h>

/* ---- fake physical memory --------------------------------------------------- */

#define MEM_SIZE 0x200000
static uint8_t mem[MEM_SIZE];
static unsigned map_calls;

static const void *fake_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	map_calls++;
	if (phys > MEM_SIZE || len > MEM_SIZE - phys)
		return NULL;
	return mem + phys;
}

/* Table placement (all within MEM_SIZE). */
#define EBDA_SEG   0x9FC0
#define EBDA_BASE  0x9FC00
#define RSDT_AT    0x100000
#define XSDT_AT    0x101000
#define FADT_AT    0x102000
#define FADT2_AT   0x103000
#define DSDT_AT    0x104000
#define DSDT2_AT   0x108000
#define SSDT_AT    0x10C000
#define FAR_AWAY   0x100000000ULL   /* beyond the fake memory */

static int reset_mem(void **state)
{
	(void)state;
	memset(mem, 0, sizeof(mem));
	map_calls = 0;
	return 0;
}

static void wr16(uint64_t at, uint16_t v)
{
	mem[at] = (uint8_t)v;
	mem[at + 1] = (uint8_t)(v >> 8);
}

static void wr32(uint64_t at, uint32_t v)
{
	wr16(at, (uint16_t)v);
	wr16(at + 2, (uint16_t)(v >> 16));
}

static void wr64(uint64_t at, uint64_t v)
{
	wr32(at, (uint32_t)v);
	wr32(at + 4, (uint32_t)(v >> 32));
}

static uint32_t rd32(uint64_t at)
{
	return (uint32_t)mem[at] | (uint32_t)mem[at + 1] << 8 |
	       (uint32_t)mem[at + 2] << 16 | (uint32_t)mem[at + 3] << 24;
}

/* Set p[ck] so that the n bytes at p sum to zero. */
static void fix_checksum(uint8_t *p, size_t n, size_t ck)
{
	uint8_t s = 0;
	size_t i;

	p[ck] = 0;
	for (i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	p[ck] = (uint8_t)-s;
}

/* Recompute a table's checksum after editing it (header Length decides). */
static void seal(uint64_t at)
{
	fix_checksum(mem + at, rd32(at + 4), 9);
}

static void make_header(uint64_t at, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(mem + at, sig, 4);
	wr32(at + 4, len);
	mem[at + 8] = rev;
	memcpy(mem + at + 10, "BOCHS ", 6);
	memcpy(mem + at + 16, "BXPC    ", 8);
}

static void make_rsdt(uint64_t at, const uint32_t *entries, size_t n)
{
	size_t i;

	make_header(at, "RSDT", (uint32_t)(36 + 4 * n), 1);
	for (i = 0; i < n; i++)
		wr32(at + 36 + 4 * i, entries[i]);
	seal(at);
}

static void make_xsdt(uint64_t at, const uint64_t *entries, size_t n)
{
	size_t i;

	make_header(at, "XSDT", (uint32_t)(36 + 8 * n), 1);
	for (i = 0; i < n; i++)
		wr64(at + 36 + 8 * i, entries[i]);
	seal(at);
}

/* A FADT with the Bochs/QEMU PIIX4 values.  Callers may edit and reseal. */
static void make_fadt(uint64_t at, uint32_t len, uint32_t dsdt)
{
	make_header(at, "FACP", len, len >= 244 ? 3 : 1);
	wr32(at + 40, dsdt);
	wr32(at + 48, 0xB2);     /* SMI_CMD */
	mem[at + 52] = 0xF1;     /* ACPI_ENABLE */
	wr32(at + 64, 0xB004);   /* PM1a_CNT_BLK */
	seal(at);
}

static void make_dsdt(uint64_t at, const uint8_t *aml, size_t n)
{
	make_header(at, "DSDT", (uint32_t)(36 + n), 1);
	memcpy(mem + at + 36, aml, n);
	seal(at);
}

/* An RSDP of the given revision (20 or 36 bytes) with valid checksums. */
static size_t make_rsdp(uint8_t *p, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(p, 0, ACPI_RSDP_V2_LEN);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "BOCHS ", 6);
	p[15] = rev;
	p[16] = (uint8_t)rsdt;
	p[17] = (uint8_t)(rsdt >> 8);
	p[18] = (uint8_t)(rsdt >> 16);
	p[19] = (uint8_t)(rsdt >> 24);
	fix_checksum(p, ACPI_RSDP_V1_LEN, 8);
	if (rev < 2)
		return ACPI_RSDP_V1_LEN;
	p[20] = ACPI_RSDP_V2_LEN;
	for (int i = 0; i < 8; i++)
		p[24 + i] = (uint8_t)(xsdt >> (8 * i));
	fix_checksum(p, ACPI_RSDP_V2_LEN, 32);
	return ACPI_RSDP_V2_LEN;
}

/* Name (_S5, Package (0x04) { 0x05, 0x06, Zero, Zero }) inside Scope (\) */
static const uint8_t aml_s5_bytes[] = {
	0x10, 0x10, 0x5C,                         /* ScopeOp PkgLength \ */
	0x08, '_', 'S', '5', '_',                 /* NameOp _S5_ */
	0x12, 0x08, 0x04,                         /* PackageOp PkgLength NumElements */
	0x0A, 0x05, 0x0A, 0x06, 0x00, 0x00,
	0xA3, 0xA3, 0xA3, 0xA3,                   /* Noops after it */
};

/* RSDT -> FADT -> DSDT, with an RSDP (revision rev) in *rsdp. */
static void std_tables(uint8_t rev, struct acpi_rsdp *rsdp)
{
	uint8_t raw[ACPI_RSDP_V2_LEN];
	uint32_t e = FADT_AT;
	size_t n;

	make_dsdt(DSDT_AT, aml_s5_bytes, sizeof(aml_s5_bytes));
	make_fadt(FADT_AT, 116, DSDT_AT);
	make_rsdt(RSDT_AT, &e, 1);
	n = make_rsdp(raw, rev, RSDT_AT, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, rsdp), 0);
}

static int parse(const struct acpi_rsdp *rsdp, struct acpi_pm *pm)
{
	return acpi_parse_pm(fake_map, NULL, rsdp, pm);
}

/* ---- RSDP ----------------------------------------------------------------------- */

static void test_tag_v1(void **state)
{
	struct acpi_rsdp r;
	uint8_t raw[ACPI_RSDP_V2_LEN];
	size_t n = make_rsdp(raw, 0, RSDT_AT, 0);

	(void)state;
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), 0);
	assert_int_equal(r.len, ACPI_RSDP_V1_LEN);
	assert_int_equal(r.phys, 0);
	assert_memory_equal(r.bytes, raw, ACPI_RSDP_V1_LEN);
	assert_int_equal(map_calls, 0);   /* the tag path never scans */
}

static void test_tag_v2(void **state)
{
	struct acpi_rsdp r;
	uint8_t raw[ACPI_RSDP_V2_LEN];
	size_t n = make_rsdp(raw, 2, RSDT_AT, XSDT_AT);

	(void)state;
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), 0);
	assert_int_equal(r.len, ACPI_RSDP_V2_LEN);
	assert_memory_equal(r.bytes, raw, ACPI_RSDP_V2_LEN);
}

static void test_tag_bad(void **state)
{
	struct acpi_rsdp r;
	uint8_t raw[ACPI_RSDP_V2_LEN];
	size_t n;

	(void)state;
	n = make_rsdp(raw, 0, RSDT_AT, 0);
	raw[16] ^= 1;                      /* first checksum broken */
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), HV_EINVAL);

	n = make_rsdp(raw, 2, RSDT_AT, XSDT_AT);
	raw[25] ^= 1;                      /* extended checksum broken */
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), HV_EINVAL);

	n = make_rsdp(raw, 2, RSDT_AT, XSDT_AT);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, 20, &r), HV_EINVAL);

	n = make_rsdp(raw, 0, RSDT_AT, 0);
	raw[0] = 'X';
	fix_checksum(raw, 20, 8);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), HV_EINVAL);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, NULL, n, &r), HV_EINVAL);
	assert_int_equal(map_calls, 0);    /* a bad tag does not fall back to scanning */
}

static void test_scan_ebda(void **state)
{
	struct acpi_rsdp r;

	(void)state;
	wr16(0x40E, EBDA_SEG);
	make_rsdp(mem + EBDA_BASE + 0x30, 2, RSDT_AT, XSDT_AT);
	/* A decoy in the BIOS area: the EBDA is searched first. */
	make_rsdp(mem + 0xF0000, 0, RSDT_AT, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.phys, EBDA_BASE + 0x30);
	assert_int_equal(r.len, ACPI_RSDP_V2_LEN);
}

static void test_scan_bios_area(void **state)
{
	struct acpi_rsdp r;

	(void)state;
	wr16(0x40E, EBDA_SEG);             /* an EBDA without an RSDP */
	/* Skipped: misaligned, bad checksum, bad extended checksum. */
	make_rsdp(mem + 0xE0008, 0, RSDT_AT, 0);
	make_rsdp(mem + 0xE1000, 0, RSDT_AT, 0);
	mem[0xE1000 + 8] ^= 0x55;
	make_rsdp(mem + 0xE2000, 2, RSDT_AT, XSDT_AT);
	mem[0xE2000 + 32] ^= 0x55;
	make_rsdp(mem + 0xF5A30, 0, RSDT_AT, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.phys, 0xF5A30);
	assert_int_equal(r.len, ACPI_RSDP_V1_LEN);
}

static void test_scan_none(void **state)
{
	struct acpi_rsdp r;

	(void)state;
	wr16(0x40E, 0xFFFF);               /* nonsense EBDA segment: ignored */
	make_rsdp(mem + 0xFFFF0, 2, RSDT_AT, XSDT_AT);  /* would run past 1 MiB */
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, NULL, 0, &r), HV_ENOENT);
}

static void test_scan_then_parse(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;
	uint32_t e = FADT_AT;

	(void)state;
	make_dsdt(DSDT_AT, aml_s5_bytes, sizeof(aml_s5_bytes));
	make_fadt(FADT_AT, 116, DSDT_AT);
	make_rsdt(RSDT_AT, &e, 1);
	make_rsdp(mem + 0xFA000, 0, RSDT_AT, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, NULL, 0, &r), 0);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.pm1a_cnt, 0xB004);
	assert_true(pm.have_s5);
}

/* ---- RSDT / XSDT / FADT --------------------------------------------------------- */

static void test_rsdt_path(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	assert_int_equal(parse(&r, &pm), 0);
	assert_string_equal(pm.oem_id, "BOCHS");
	assert_int_equal(pm.revision, 0);
	assert_int_equal(pm.pm1a_cnt, 0xB004);
	assert_int_equal(pm.pm1b_cnt, 0);
	assert_int_equal(pm.smi_cmd, 0xB2);
	assert_int_equal(pm.acpi_enable, 0xF1);
	assert_true(pm.have_s5);
	assert_int_equal(pm.slp_typa, 5);
	assert_int_equal(pm.slp_typb, 6);
	assert_false(pm.have_reset);
}

/* Revision 2 RSDP: the XSDT wins over the RSDT, and other tables in the list
 * (including ones out of reach) are passed over. */
static void test_xsdt_path(void **state)
{
	uint8_t raw[ACPI_RSDP_V2_LEN];
	struct acpi_rsdp r;
	struct acpi_pm pm;
	uint32_t re = FADT_AT;
	uint64_t xe[3] = { FAR_AWAY, SSDT_AT, FADT2_AT };
	size_t n;

	(void)state;
	make_dsdt(DSDT_AT, aml_s5_bytes, sizeof(aml_s5_bytes));
	make_header(SSDT_AT, "SSDT", 36, 1);
	seal(SSDT_AT);
	make_fadt(FADT_AT, 116, DSDT_AT);
	make_fadt(FADT2_AT, 244, DSDT_AT);
	wr32(FADT2_AT + 64, 0x604);
	wr32(FADT2_AT + 68, 0x608);
	seal(FADT2_AT);
	make_rsdt(RSDT_AT, &re, 1);
	make_xsdt(XSDT_AT, xe, 3);
	n = make_rsdp(raw, 2, RSDT_AT, XSDT_AT);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), 0);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.revision, 2);
	assert_int_equal(pm.pm1a_cnt, 0x604);
	assert_int_equal(pm.pm1b_cnt, 0x608);
	assert_true(pm.have_s5);
}

static void test_xsdt_zero_uses_rsdt(void **state)
{
	uint8_t raw[ACPI_RSDP_V2_LEN];
	struct acpi_rsdp r;
	struct acpi_pm pm;
	uint32_t re = FADT_AT;
	size_t n;

	(void)state;
	make_dsdt(DSDT_AT, aml_s5_bytes, sizeof(aml_s5_bytes));
	make_fadt(FADT_AT, 116, DSDT_AT);
	make_rsdt(RSDT_AT, &re, 1);
	n = make_rsdp(raw, 2, RSDT_AT, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), 0);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.pm1a_cnt, 0xB004);
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
	uint8_t raw[ACPI_RSDP_V2_LEN];
	struct acpi_rsdp r;
	struct acpi_pm pm;
	uint32_t re = FADT_AT;
	uint64_t xe = FADT2_AT;
	size_t n;

	(void)state;
	make_dsdt(DSDT_AT, aml_s5_bytes, sizeof(aml_s5_bytes));
	make_fadt(FADT_AT, 116, DSDT_AT);
	make_fadt(FADT2_AT, 116, DSDT_AT);
	wr32(FADT2_AT + 64, 0x604);
	seal(FADT2_AT);
	make_rsdt(RSDT_AT, &re, 1);
	make_xsdt(XSDT_AT, &xe, 1);
	mem[XSDT_AT + 36] ^= 0x10;         /* XSDT checksum now wrong */
	n = make_rsdp(raw, 2, RSDT_AT, XSDT_AT);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), 0);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.pm1a_cnt, 0xB004);

	/* ... but not when there is no RSDT to fall back to. */
	n = make_rsdp(raw, 2, 0, XSDT_AT);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, n, &r), 0);
	assert_int_equal(parse(&r, &pm), HV_EINVAL);
}

static void test_x_dsdt_preferred(void **state)
{
	static const uint8_t other[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01 };
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	make_dsdt(DSDT2_AT, other, sizeof(other));
	make_fadt(FADT_AT, 244, DSDT_AT);
	wr64(FADT_AT + 140, DSDT2_AT);
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_true(pm.have_s5);
	assert_int_equal(pm.slp_typa, 1);
	assert_int_equal(pm.slp_typb, 1);

	/* X_DSDT zero: DSDT it is. */
	wr64(FADT_AT + 140, 0);
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.slp_typa, 5);

	/* An X_DSDT-looking value beyond a short FADT's Length is ignored. */
	make_fadt(FADT_AT, 116, DSDT_AT);
	wr64(FADT_AT + 140, DSDT2_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.slp_typa, 5);
}

static void test_reset_register(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	make_fadt(FADT_AT, 129, DSDT_AT);
	wr32(FADT_AT + 112, 1u << 10);     /* RESET_REG_SUP */
	mem[FADT_AT + 116] = ACPI_SPACE_SYSTEM_IO;
	mem[FADT_AT + 117] = 8;
	wr64(FADT_AT + 120, 0xCF9);
	mem[FADT_AT + 128] = 0x06;
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_true(pm.have_reset);
	assert_int_equal(pm.reset_space, ACPI_SPACE_SYSTEM_IO);
	assert_int_equal(pm.reset_addr, 0xCF9);
	assert_int_equal(pm.reset_value, 0x06);

	wr32(FADT_AT + 112, 0);            /* flag clear: not usable */
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_false(pm.have_reset);

	wr32(FADT_AT + 112, 1u << 10);     /* FADT too short for RESET_VALUE */
	wr32(FADT_AT + 4, 128);
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_false(pm.have_reset);
}

static void test_x_pm1_fallback(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	make_fadt(FADT_AT, 244, DSDT_AT);
	wr32(FADT_AT + 64, 0);
	mem[FADT_AT + 172] = ACPI_SPACE_SYSTEM_IO;
	wr64(FADT_AT + 176, 0x1804);
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.pm1a_cnt, 0x1804);

	mem[FADT_AT + 172] = ACPI_SPACE_SYSTEM_MEMORY;   /* can't drive MMIO */
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.pm1a_cnt, 0);

	wr32(FADT_AT + 64, 0x10000);       /* not an I/O port */
	seal(FADT_AT);
	assert_int_equal(parse(&r, &pm), HV_EINVAL);
}

static void test_bad_table_checksums(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	mem[RSDT_AT + 20] ^= 1;
	assert_int_equal(parse(&r, &pm), HV_EINVAL);

	std_tables(0, &r);
	mem[FADT_AT + 30] ^= 1;
	assert_int_equal(parse(&r, &pm), HV_EINVAL);

	/* A broken DSDT only loses \_S5. */
	std_tables(0, &r);
	mem[DSDT_AT + 30] ^= 1;
	assert_int_equal(parse(&r, &pm), 0);
	assert_int_equal(pm.pm1a_cnt, 0xB004);
	assert_false(pm.have_s5);

	/* A caller-built RSDP is checked as well. */
	std_tables(0, &r);
	r.bytes[16] ^= 1;
	assert_int_equal(parse(&r, &pm), HV_EINVAL);
}

static void test_truncated_tables(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	wr32(RSDT_AT + 4, 20);             /* shorter than a header */
	seal(RSDT_AT);
	assert_int_equal(parse(&r, &pm), HV_EINVAL);

	std_tables(0, &r);
	make_fadt(FADT_AT, 66, DSDT_AT);   /* ends inside PM1a_CNT_BLK */
	assert_int_equal(parse(&r, &pm), HV_EINVAL);

	std_tables(0, &r);
	make_header(MEM_SIZE - 64, "FACP", 116, 1);   /* runs past memory */
	wr32(RSDT_AT + 36, MEM_SIZE - 64);
	seal(RSDT_AT);
	assert_int_equal(parse(&r, &pm), HV_EINVAL);

	std_tables(0, &r);
	wr32(RSDT_AT + 36, (uint32_t)MEM_SIZE - 2);   /* header itself cut off */
	seal(RSDT_AT);
	assert_int_equal(parse(&r, &pm), HV_ENOENT);

	std_tables(0, &r);
	wr32(RSDT_AT + 4, 0xFFFFFFF0u);    /* absurd Length */
	assert_int_equal(parse(&r, &pm), HV_EINVAL);

	/* DSDT whose \_S5 package runs past the table end: no \_S5. */
	std_tables(0, &r);
	make_dsdt(DSDT_AT, aml_s5_bytes, 12);
	assert_int_equal(parse(&r, &pm), 0);
	assert_false(pm.have_s5);
}

static void test_no_fadt(void **state)
{
	struct acpi_rsdp r;
	struct acpi_pm pm;
	uint32_t e[2] = { SSDT_AT, 0 };

	(void)state;
	std_tables(0, &r);
	make_header(SSDT_AT, "SSDT", 36, 1);
	seal(SSDT_AT);
	make_rsdt(RSDT_AT, e, 2);
	assert_int_equal(parse(&r, &pm), HV_ENOENT);
}

static void test_no_s5(void **state)
{
	static const uint8_t aml[] = {
		0x14, 0x08, '_', 'P', 'T', 'S', 0x01, 0xA3, 0xA3, /* Method(_PTS) */
		0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x01, 0x0A, 0x02,
	};
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	std_tables(0, &r);
	make_dsdt(DSDT_AT, aml, sizeof(aml));
	assert_int_equal(parse(&r, &pm), 0);
	assert_false(pm.have_s5);
	assert_int_equal(pm.pm1a_cnt, 0xB004);
}

/* ---- \_S5 decoding ---------------------------------------------------------- */

static int find_s5(const uint8_t *aml, size_t n, uint16_t *a, uint16_t *b)
{
	/* An exact-size heap copy, so that AddressSanitizer would catch any
	 * read past the end. */
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, aml, n);
	rc = acpi_aml_find_s5(copy, n, a, b);
	free(copy);
	return rc;
}

static void test_s5_byte_prefix(void **state)
{
	uint16_t a = 99, b = 99;

	(void)state;
	assert_int_equal(find_s5(aml_s5_bytes, sizeof(aml_s5_bytes), &a, &b), 0);
	assert_int_equal(a, 5);
	assert_int_equal(b, 6);
}

static void test_s5_zero_one_ops(void **state)
{
	/* Name (\_S5, Package () { Zero, One }) with a root prefix */
	static const uint8_t aml[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x01 };
	uint16_t a = 99, b = 99;

	(void)state;
	assert_int_equal(find_s5(aml, sizeof(aml), &a, &b), 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
}

static void test_s5_bare_and_wide_constants(void **state)
{
	static const uint8_t bare[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x07, 0x03, 0x00, 0x00 };
	static const uint8_t wide[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x0A, 0x02,
					0x0B, 0x02, 0x00, 0x0C, 0x04, 0x00, 0x00, 0x00 };
	uint16_t a, b;

	(void)state;
	assert_int_equal(find_s5(bare, sizeof(bare), &a, &b), 0);
	assert_int_equal(a, 7);
	assert_int_equal(b, 3);
	assert_int_equal(find_s5(wide, sizeof(wide), &a, &b), 0);
	assert_int_equal(a, 2);
	assert_int_equal(b, 4);
}

static void test_s5_multibyte_pkglength(void **state)
{
	uint8_t aml[400];
	uint16_t a, b;
	size_t n;

	(void)state;
	/* Two-byte PkgLength of 300 = 0x12C: lead 0x4C, then 0x12.  The tail
	 * is filled with Zero elements standing in for a bigger package. */
	memset(aml, 0, sizeof(aml));
	memcpy(aml, "\x08_S5_\x12\x4C\x12\x04\x0A\x07\x0A\x03", 13);
	n = 6 + 300;
	assert_int_equal(find_s5(aml, n, &a, &b), 0);
	assert_int_equal(a, 7);
	assert_int_equal(b, 3);
	assert_int_equal(find_s5(aml, n - 1, &a, &b), HV_EINVAL);   /* cut short */

	/* Three- and four-byte encodings of a small length (10 bytes). */
	memcpy(aml, "\x08_S5_\x12\x8A\x00\x00\x02\x0A\x01\x0A\x02", 14);
	assert_int_equal(find_s5(aml, 16, &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	memcpy(aml, "\x08_S5_\x12\xCA\x00\x00\x00\x02\x0A\x04\x0A\x05", 15);
	assert_int_equal(find_s5(aml, 16, &a, &b), 0);
	assert_int_equal(a, 4);
	assert_int_equal(b, 5);

	/* Bits 5-4 of a multi-byte lead byte are reserved (20.2.4). */
	memcpy(aml, "\x08_S5_\x12\x7A\x00\x02\x0A\x01\x0A\x02", 13);
	assert_int_equal(find_s5(aml, 16, &a, &b), HV_EINVAL);

	/* Lead byte promises more bytes than there are. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\xC0\x00", 8, &a, &b), HV_EINVAL);
}

static void test_s5_malformed(void **state)
{
	uint16_t a, b;

	(void)state;
	/* Name at the very end, no package. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_", 5, &a, &b), HV_EINVAL);
	/* Not a package. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x0A\x05", 7, &a, &b), HV_EINVAL);
	/* BytePrefix without its byte at the end of the package. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\x04\x02\x0A\x05\x0A", 11, &a, &b), HV_EINVAL);
	/* PkgLength too small to hold NumElements. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\x01\x02\x00\x00", 10, &a, &b), HV_EINVAL);
	/* Fewer than two elements. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\x03\x01\x00", 9, &a, &b), HV_EINVAL);
	/* SLP_TYP is three bits. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\x06\x02\x0A\x08\x0A\x00", 11, &a, &b), HV_EINVAL);
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\x04\x02\xFF\x00", 10, &a, &b), HV_EINVAL);
	/* Package length past the buffer. */
	assert_int_equal(find_s5((const uint8_t *)"\x08_S5_\x12\x3F\x02\x00\x00", 10, &a, &b), HV_EINVAL);
	assert_int_equal(acpi_aml_find_s5(NULL, 0, &a, &b), HV_EINVAL);
}

static void test_s5_not_a_definition(void **state)
{
	/* A reference (Store(_S5_...)), then a broken definition, then the
	 * good one: the first decodable definition wins. */
	static const uint8_t aml[] = {
		0x70, '_', 'S', '5', '_', 0x60,
		0x08, '_', 'S', '5', '_', 0x0A, 0x05,
		0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x00,
	};
	uint16_t a = 99, b = 99;

	(void)state;
	assert_int_equal(find_s5(aml, 6, &a, &b), HV_ENOENT);
	assert_int_equal(find_s5(aml, sizeof(aml), &a, &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 0);
	assert_int_equal(find_s5(aml, 0, &a, &b), HV_ENOENT);
}

/* Random and mutated inputs: only the three documented results, and (under
 * AddressSanitizer) no out-of-bounds reads. */
static void test_s5_fuzz(void **state)
{
	uint32_t seed = 12345;
	uint8_t buf[64];
	uint16_t a, b;
	int i, rc;
	size_t j, n;

	(void)state;
	for (i = 0; i < 200000; i++) {
		n = (size_t)(i % 40);
		if (i & 1) {
			memcpy(buf, "\x08_S5_\x12", 6);
			j = 6;
		} else {
			j = 0;
		}
		for (; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = (uint8_t)(seed >> 16);
		}
		rc = find_s5(buf, n, &a, &b);
		assert_true(rc == 0 || rc == HV_ENOENT || rc == HV_EINVAL);
		if (rc == 0)
			assert_true(a <= 7 && b <= 7);
	}
}

/* ---- MADT (5.2.12) ---------------------------------------------------------------- */

#define MADT_AT 0x110000

/* A MADT whose structures are the bytes given; an RSDT lists the FADT and
 * it; *rsdp is a revision-0 RSDP. */
static void madt_tables(const uint8_t *entries, size_t n, struct acpi_rsdp *rsdp)
{
	uint8_t raw[ACPI_RSDP_V2_LEN];
	uint32_t e[2] = { FADT_AT, MADT_AT };
	size_t len;

	make_fadt(FADT_AT, 116, DSDT_AT);
	make_header(MADT_AT, "APIC", (uint32_t)(44 + n), 3);
	wr32(MADT_AT + 36, 0xFEE00000);
	memcpy(mem + MADT_AT + 44, entries, n);
	seal(MADT_AT);
	make_rsdt(RSDT_AT, e, 2);
	len = make_rsdp(raw, 0, RSDT_AT, 0);
	assert_int_equal(acpi_find_rsdp(fake_map, NULL, raw, len, rsdp), 0);
}

static void test_madt_cpus(void **state)
{
	/* Local APICs 0 and 1 enabled, 2 disabled, 3 online capable; an I/O
	 * APIC between them; x2APIC 0x100 enabled and x2APIC 1 (again). */
	static const uint8_t e[] = {
		0, 8, 0, 0, 1, 0, 0, 0,
		0, 8, 1, 1, 1, 0, 0, 0,
		1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0,
		0, 8, 2, 2, 0, 0, 0, 0,
		0, 8, 3, 3, 2, 0, 0, 0,
		9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0,
		9, 16, 0, 0, 0x01, 0x00, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0,
	};
	struct acpi_rsdp rsdp;
	struct acpi_cpus cpus;

	(void)state;
	madt_tables(e, sizeof(e), &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &cpus), 0);
	assert_int_equal(cpus.count, 4);
	assert_int_equal(cpus.apic_id[0], 0);
	assert_int_equal(cpus.apic_id[1], 1);
	assert_int_equal(cpus.apic_id[2], 3);
	assert_int_equal(cpus.apic_id[3], 0x100);
	assert_int_equal(cpus.lapic_addr, 0xFEE00000);
	assert_int_equal(cpus.dropped, 0);
	assert_int_equal(cpus.ioapic_addr, 0xfec00000);
	assert_int_equal(cpus.ioapic_gsi_base, 0);
	assert_int_equal(cpus.isa_gsi[4], 4);      /* no override: identity */
	assert_int_equal(cpus.isa_flags[4], 0);
}

static void test_madt_overrides(void **state)
{
	/* One CPU; an I/O APIC with GSI base 0x10; IRQ 0 -> GSI 2 (bus
	 * defaults); IRQ 9 -> GSI 9, level, active high (INTI 0xd); IRQ 4 ->
	 * GSI 20, active low edge (INTI 0x3); bus 1 and IRQ 16 ignored. */
	static const uint8_t e[] = {
		0, 8, 0, 0, 1, 0, 0, 0,
		1, 12, 3, 0, 0, 0, 0xc0, 0xfe, 0x10, 0, 0, 0,
		1, 12, 4, 0, 0, 0x10, 0xc0, 0xfe, 0x30, 0, 0, 0,
		2, 10, 0, 0, 2, 0, 0, 0, 0, 0,
		2, 10, 0, 9, 9, 0, 0, 0, 0xd, 0,
		2, 10, 0, 4, 20, 0, 0, 0, 0x3, 0,
		2, 10, 1, 5, 7, 0, 0, 0, 0, 0,
		2, 10, 0, 16, 7, 0, 0, 0, 0, 0,
	};
	struct acpi_rsdp rsdp;
	struct acpi_cpus m;

	(void)state;
	madt_tables(e, sizeof(e), &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &m), 0);
	assert_int_equal(m.ioapic_addr, 0xfec00000);   /* the first one */
	assert_int_equal(m.ioapic_gsi_base, 0x10);
	assert_int_equal(m.isa_gsi[0], 2);
	assert_int_equal(m.isa_flags[0], 0);
	assert_int_equal(m.isa_gsi[9], 9);
	assert_int_equal(m.isa_flags[9], ACPI_IRQ_LEVEL);
	assert_int_equal(m.isa_gsi[4], 20);
	assert_int_equal(m.isa_flags[4], ACPI_IRQ_ACTIVE_LOW);
	assert_int_equal(m.isa_gsi[5], 5);
}

static void test_madt_override_and_many(void **state)
{
	uint8_t e[12 + 8 * (ACPI_MAX_CPUS + 2)];
	struct acpi_rsdp rsdp;
	struct acpi_cpus cpus;
	size_t n = 0;

	(void)state;
	/* Local APIC Address Override (type 5) */
	e[n++] = 5; e[n++] = 12; e[n++] = 0; e[n++] = 0;
	for (int i = 0; i < 8; i++)
		e[n++] = (uint8_t)(i == 3 ? 0xfd : 0);
	for (unsigned i = 0; i < ACPI_MAX_CPUS + 2; i++) {
		uint8_t cpu[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };

		memcpy(e + n, cpu, 8);
		n += 8;
	}
	madt_tables(e, n, &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &cpus), 0);
	assert_int_equal(cpus.count, ACPI_MAX_CPUS);
	assert_int_equal(cpus.dropped, 2);
	assert_int_equal(cpus.lapic_addr, 0xfd000000);
}

static void test_madt_malformed(void **state)
{
	static const uint8_t zero_len[] = { 0, 8, 0, 0, 1, 0, 0, 0, 0, 0 };
	static const uint8_t past_end[] = { 0, 8, 0, 0, 1, 0, 0, 0, 0, 9, 1, 1, 1, 0, 0, 0 };
	static const uint8_t none[] = { 0, 8, 0, 0, 0, 0, 0, 0 };
	struct acpi_rsdp rsdp;
	struct acpi_cpus cpus;

	(void)state;
	madt_tables(zero_len, sizeof(zero_len), &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &cpus), HV_EINVAL);
	madt_tables(past_end, sizeof(past_end), &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &cpus), HV_EINVAL);
	madt_tables(none, sizeof(none), &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &cpus), HV_ENOENT);
	/* No MADT at all */
	std_tables(0, &rsdp);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, &rsdp, &cpus), HV_ENOENT);
	assert_int_equal(acpi_parse_madt(fake_map, NULL, NULL, &cpus), HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tag_v1, reset_mem),
		cmocka_unit_test_setup(test_tag_v2, reset_mem),
		cmocka_unit_test_setup(test_tag_bad, reset_mem),
		cmocka_unit_test_setup(test_scan_ebda, reset_mem),
		cmocka_unit_test_setup(test_scan_bios_area, reset_mem),
		cmocka_unit_test_setup(test_scan_none, reset_mem),
		cmocka_unit_test_setup(test_scan_then_parse, reset_mem),
		cmocka_unit_test_setup(test_rsdt_path, reset_mem),
		cmocka_unit_test_setup(test_xsdt_path, reset_mem),
		cmocka_unit_test_setup(test_xsdt_zero_uses_rsdt, reset_mem),
		cmocka_unit_test_setup(test_bad_xsdt_falls_back_to_rsdt, reset_mem),
		cmocka_unit_test_setup(test_x_dsdt_preferred, reset_mem),
		cmocka_unit_test_setup(test_reset_register, reset_mem),
		cmocka_unit_test_setup(test_x_pm1_fallback, reset_mem),
		cmocka_unit_test_setup(test_bad_table_checksums, reset_mem),
		cmocka_unit_test_setup(test_truncated_tables, reset_mem),
		cmocka_unit_test_setup(test_no_fadt, reset_mem),
		cmocka_unit_test_setup(test_no_s5, reset_mem),
		cmocka_unit_test(test_s5_byte_prefix),
		cmocka_unit_test(test_s5_zero_one_ops),
		cmocka_unit_test(test_s5_bare_and_wide_constants),
		cmocka_unit_test(test_s5_multibyte_pkglength),
		cmocka_unit_test(test_s5_malformed),
		cmocka_unit_test(test_s5_not_a_definition),
		cmocka_unit_test(test_s5_fuzz),
		cmocka_unit_test_setup(test_madt_cpus, reset_mem),
		cmocka_unit_test_setup(test_madt_override_and_many, reset_mem),
		cmocka_unit_test_setup(test_madt_overrides, reset_mem),
		cmocka_unit_test_setup(test_madt_malformed, reset_mem),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
