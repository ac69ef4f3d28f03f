/* ACPI table parsing for power-off and reset.  Section numbers refer to the
 * ACPI 6.x specification.  Every multi-byte field is read byte by byte
 * (tables need not be aligned) and every offset is checked against the
 * length that was mapped, so malformed firmware tables cannot make us read
 * out of bounds. */
#include <hv/acpi.h>
#include <hv/bytes.h>
#include <hv/errno.h>
#include <hv/string.h>

#define ACPI_HDR_LEN 36                 /* System Description Table Header (5.2.6) */
#define ACPI_MAX_TABLE_LEN (16u << 20)  /* sanity cap: a garbage Length must not
					   make us checksum gigabytes of MMIO */

/* RSDP fields (5.2.5.3). */
#define RSDP_OEMID     9
#define RSDP_REVISION  15
#define RSDP_RSDT      16
#define RSDP_LENGTH    20
#define RSDP_XSDT      24

/* FADT fields (5.2.9). */
#define FADT_DSDT          40
#define FADT_SMI_CMD       48
#define FADT_ACPI_ENABLE   52
#define FADT_PM1A_CNT      64
#define FADT_PM1B_CNT      68
#define FADT_MIN_LEN       72   /* everything up to PM1b_CNT_BLK */
#define FADT_FLAGS         112
#define FADT_RESET_REG     116  /* Generic Address Structure (5.2.3.2) */
#define FADT_RESET_VALUE   128
#define FADT_X_DSDT        140
#define FADT_X_PM1A_CNT    172
#define FADT_X_PM1B_CNT    184
#define FADT_RESET_REG_SUP BIT(10)

/* MADT fields and interrupt controller structure types (5.2.12). */
#define MADT_LAPIC_ADDR    36
#define MADT_ENTRIES       44
#define MADT_LOCAL_APIC    0
#define MADT_IOAPIC        1
#define MADT_ISO           2     /* Interrupt Source Override */
#define MADT_LAPIC_OVERRIDE 5
#define MADT_LOCAL_X2APIC  9
#define MADT_CPU_ENABLED   BIT(0)
#define MADT_CPU_ONLINE_CAPABLE BIT(1)

#define GAS_LEN     12
#define GAS_SPACE   0
#define GAS_ADDRESS 4

/* AML opcodes (20.2). */
#define AML_ZERO_OP      0x00
#define AML_ONE_OP       0x01
#define AML_NAME_OP      0x08
#define AML_BYTE_PREFIX  0x0A
#define AML_WORD_PREFIX  0x0B
#define AML_DWORD_PREFIX 0x0C
#define AML_QWORD_PREFIX 0x0E
#define AML_PACKAGE_OP   0x12
#define AML_ROOT_CHAR    '\\'

#define SLP_TYP_MAX 7   /* SLP_TYPx is a 3-bit field of PM1x_CNT (4.8.3.2.1) */

/* ACPI checksums: all bytes of the structure sum to zero modulo 256. */
static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* ---- RSDP (5.2.5) --------------------------------------------------------- */

/* Validate an RSDP candidate of which avail bytes are readable.  Returns the
 * number of bytes worth keeping (20 or 36), or 0 if it is not a valid RSDP.
 * Revision 0 is ACPI 1.0 (20 bytes, one checksum); revision 2 and later add
 * Length, XsdtAddress and an extended checksum over Length bytes. */
static size_t rsdp_check(const uint8_t *p, size_t avail)
{
	uint32_t len;

	if (avail < ACPI_RSDP_V1_LEN || memcmp(p, "RSD PTR ", 8) != 0)
		return 0;
	if (sum8(p, ACPI_RSDP_V1_LEN) != 0)
		return 0;
	if (p[RSDP_REVISION] < 2)
		return ACPI_RSDP_V1_LEN;
	if (avail < ACPI_RSDP_V2_LEN)
		return 0;
	len = rd32(p + RSDP_LENGTH);
	if (len < ACPI_RSDP_V2_LEN || len > avail || sum8(p, len) != 0)
		return 0;
	return ACPI_RSDP_V2_LEN;
}

static bool rsdp_take(const uint8_t *p, size_t avail, uint64_t phys,
		      struct acpi_rsdp *out)
{
	size_t len = rsdp_check(p, avail);

	if (len == 0)
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(out->bytes, p, len);
	out->len = len;
	out->phys = phys;
	return true;
}

/* The RSDP sits on a 16-byte boundary (5.2.5.1). */
static int scan_region(acpi_map_fn map, void *ctx, uint64_t base, size_t len,
		       struct acpi_rsdp *out)
{
	const uint8_t *p = map(ctx, base, len);
	size_t off;

	if (!p)
		return HV_ENOENT;
	for (off = 0; off + ACPI_RSDP_V1_LEN <= len; off += 16) {
		if (rsdp_take(p + off, len - off, base + off, out))
			return 0;
	}
	return HV_ENOENT;
}

/* 5.2.5.1: the real-mode segment of the EBDA is the word at 0x40E; the RSDP
 * may be in its first KiB.  The EBDA lies below the 640 KiB boundary, so a
 * segment pointing elsewhere is garbage and not worth scanning. */
static int scan_ebda(acpi_map_fn map, void *ctx, struct acpi_rsdp *out)
{
	const uint8_t *bda = map(ctx, 0x40E, 2);
	uint64_t base;

	if (!bda)
		return HV_ENOENT;
	base = (uint64_t)rd16(bda) << 4;
	if (base == 0 || base + 1024 > 0xA0000)
		return HV_ENOENT;
	return scan_region(map, ctx, base, 1024, out);
}

int acpi_find_rsdp(acpi_map_fn map, void *ctx, const uint8_t *tag,
		   size_t tag_len, struct acpi_rsdp *out)
{
	if (!out)
		return HV_EINVAL;
	/* The loader's copy is authoritative: on UEFI (5.2.5.2) the legacy BIOS
	 * areas hold nothing, or something stale. */
	if (tag_len > 0) {
		if (!tag || !rsdp_take(tag, tag_len, 0, out))
			return HV_EINVAL;
		return 0;
	}
	if (!map)
		return HV_EINVAL;
	if (scan_ebda(map, ctx, out) == 0)
		return 0;
	return scan_region(map, ctx, 0xE0000, 0x20000, out);
}

/* ---- System description tables (5.2.6 - 5.2.9) ---------------------------- */

static bool sig_at(acpi_map_fn map, void *ctx, uint64_t phys, const char *sig)
{
	const uint8_t *p;

	if (phys == 0)
		return false;
	p = map(ctx, phys, 4);
	return p && memcmp(p, sig, 4) == 0;
}

/* Map a whole table after checking its signature, Length and checksum. */
static int map_table(acpi_map_fn map, void *ctx, uint64_t phys,
		     const char *sig, const uint8_t **tbl, uint32_t *tbl_len)
{
	const uint8_t *p;
	uint32_t len;

	if (phys == 0)
		return HV_EINVAL;
	p = map(ctx, phys, ACPI_HDR_LEN);
	if (!p || memcmp(p, sig, 4) != 0)
		return HV_EINVAL;
	len = rd32(p + 4);
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_TABLE_LEN)
		return HV_EINVAL;
	p = map(ctx, phys, len);
	if (!p || sum8(p, len) != 0)
		return HV_EINVAL;
	*tbl = p;
	*tbl_len = len;
	return 0;
}

/* Walk an RSDT (5.2.7, 32-bit entries) or XSDT (5.2.8, 64-bit entries) for
 * the table with signature want.  Entries we cannot map are skipped rather
 * than fatal: some are legitimately out of the caller's reach. */
static int walk_sdt(acpi_map_fn map, void *ctx, uint64_t phys, const char *sig,
		    size_t entry_len, const char *want, const uint8_t **tbl, uint32_t *tbl_len)
{
	const uint8_t *t;
	uint32_t len;
	size_t off;
	int rc = map_table(map, ctx, phys, sig, &t, &len);

	if (rc)
		return rc;
	for (off = ACPI_HDR_LEN; off + entry_len <= len; off += entry_len) {
		uint64_t e = entry_len == 8 ? rd64(t + off) : rd32(t + off);

		if (sig_at(map, ctx, e, want))
			return map_table(map, ctx, e, want, tbl, tbl_len);
	}
	return HV_ENOENT;
}

/* 5.2.5.3: use the XSDT when the RSDP is revision 2+ and provides one; fall
 * back to the RSDT if the XSDT is unusable, as firmware bugs there exist. */
static int find_table(acpi_map_fn map, void *ctx, const uint8_t *rsdp, const char *want,
		      const uint8_t **tbl, uint32_t *tbl_len)
{
	uint32_t rsdt = rd32(rsdp + RSDP_RSDT);

	if (rsdp[RSDP_REVISION] >= 2 && rd64(rsdp + RSDP_XSDT) != 0) {
		int rc = walk_sdt(map, ctx, rd64(rsdp + RSDP_XSDT), "XSDT", 8, want, tbl,
				  tbl_len);

		if (rc != HV_EINVAL || rsdt == 0)
			return rc;
	}
	return walk_sdt(map, ctx, rsdt, "RSDT", 4, want, tbl, tbl_len);
}

/* PM1x_CNT_BLK is a 32-bit I/O port number.  5.2.9: on ACPI 2.0+ tables
 * X_PM1x_CNT_BLK may carry it instead; we use it only when the legacy field
 * is zero and it is in system I/O space, the only kind we can drive. */
static int fadt_pm1_port(const uint8_t *f, uint32_t len, size_t off,
			 size_t x_off, uint16_t *port)
{
	uint64_t a = rd32(f + off);

	if (a == 0 && len >= x_off + GAS_LEN &&
	    f[x_off + GAS_SPACE] == ACPI_SPACE_SYSTEM_IO)
		a = rd64(f + x_off + GAS_ADDRESS);
	if (a > 0xFFFF)
		return HV_EINVAL;
	*port = (uint16_t)a;
	return 0;
}

static void fadt_reset_reg(const uint8_t *f, uint32_t len, struct acpi_pm *out)
{
	/* RESET_REG is valid only if the FADT reaches RESET_VALUE and
	 * RESET_REG_SUP is set (5.2.9, 4.8.3.6). */
	if (len <= FADT_RESET_VALUE || !(rd32(f + FADT_FLAGS) & FADT_RESET_REG_SUP))
		return;
	out->reset_space = f[FADT_RESET_REG + GAS_SPACE];
	out->reset_addr = rd64(f + FADT_RESET_REG + GAS_ADDRESS);
	out->reset_value = f[FADT_RESET_VALUE];
	out->have_reset = out->reset_addr != 0;
}

static int parse_fadt(const uint8_t *f, uint32_t len, struct acpi_pm *out)
{
	int rc;

	if (len < FADT_MIN_LEN)
		return HV_EINVAL;
	rc = fadt_pm1_port(f, len, FADT_PM1A_CNT, FADT_X_PM1A_CNT, &out->pm1a_cnt);
	if (rc)
		return rc;
	rc = fadt_pm1_port(f, len, FADT_PM1B_CNT, FADT_X_PM1B_CNT, &out->pm1b_cnt);
	if (rc)
		return rc;
	out->smi_cmd = rd32(f + FADT_SMI_CMD);
	out->acpi_enable = f[FADT_ACPI_ENABLE];
	fadt_reset_reg(f, len, out);
	return 0;
}

/* 5.2.9: X_DSDT, when present and nonzero, supersedes DSDT. */
static uint64_t fadt_dsdt(const uint8_t *f, uint32_t len)
{
	if (len >= FADT_X_DSDT + 8 && rd64(f + FADT_X_DSDT) != 0)
		return rd64(f + FADT_X_DSDT);
	return rd32(f + FADT_DSDT);
}

/* A missing or broken DSDT costs us only \_S5, not the reset register, so
 * it leaves have_s5 false instead of failing the whole parse. */
static void find_s5(acpi_map_fn map, void *ctx, const uint8_t *f, uint32_t len,
		    struct acpi_pm *out)
{
	const uint8_t *dsdt;
	uint32_t dsdt_len;

	if (map_table(map, ctx, fadt_dsdt(f, len), "DSDT", &dsdt, &dsdt_len))
		return;
	out->have_s5 = acpi_aml_find_s5(dsdt + ACPI_HDR_LEN,
					dsdt_len - ACPI_HDR_LEN,
					&out->slp_typa, &out->slp_typb) == 0;
}

/* OEMID is six blank-padded characters; keep it printable for the log. */
static void copy_oem_id(char dst[7], const uint8_t *src)
{
	int i, end = 0;

	for (i = 0; i < 6; i++) {
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) ? (char)src[i] : '?';
		if (src[i] != ' ' && src[i] != 0)
			end = i + 1;
	}
	dst[end] = '\0';
}

/* The arguments of a parse: out (of out_len bytes) is cleared first, so
 * that a failed parse leaves it empty. */
static bool parse_args_ok(acpi_map_fn map, const struct acpi_rsdp *rsdp, void *out,
			  size_t out_len)
{
	if (!out)
		return false;
	memset(out, 0, out_len);
	return map && rsdp && rsdp->len <= sizeof(rsdp->bytes) &&
	       rsdp_check(rsdp->bytes, rsdp->len) != 0;
}

int acpi_parse_pm(acpi_map_fn map, void *ctx, const struct acpi_rsdp *rsdp,
		  struct acpi_pm *out)
{
	const uint8_t *fadt;
	uint32_t fadt_len;
	int rc;

	if (!parse_args_ok(map, rsdp, out, sizeof(*out)))
		return HV_EINVAL;
	copy_oem_id(out->oem_id, rsdp->bytes + RSDP_OEMID);
	out->revision = rsdp->bytes[RSDP_REVISION];

	rc = find_table(map, ctx, rsdp->bytes, "FACP", &fadt, &fadt_len);
	if (rc)
		return rc;
	rc = parse_fadt(fadt, fadt_len, out);
	if (rc)
		return rc;
	find_s5(map, ctx, fadt, fadt_len, out);
	return 0;
}

/* ---- The MADT: which CPUs the machine has (5.2.12) ------------------------ */

/* One Processor Local APIC (type 0, 8 bytes: UID, APIC ID, flags) or
 * Processor Local x2APIC (type 9, 16 bytes: APIC ID at 4, flags at 8)
 * structure.  A CPU is usable when Enabled (bit 0) is set, or Online
 * Capable (bit 1, ACPI 6.3): one that firmware left off but that the OS,
 * here the hypervisor that owns the machine, may start. */
static void madt_take_cpu(const uint8_t *e, struct acpi_cpus *out)
{
	uint32_t id, flags;

	if (e[0] == MADT_LOCAL_APIC) {
		id = e[3];
		flags = rd32(e + 4);
	} else {
		id = rd32(e + 4);
		flags = rd32(e + 8);
	}
	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE)))
		return;
	for (unsigned i = 0; i < out->count; i++)
		if (out->apic_id[i] == id)
			return; /* listed both as an APIC and as an x2APIC */
	if (out->count == ACPI_MAX_CPUS) {
		out->dropped++;
		return;
	}
	out->apic_id[out->count++] = id;
}

/* An Interrupt Source Override (5.2.12.5): bus 0 (ISA), source IRQ, GSI,
 * MPS INTI flags: polarity in bits 1:0 (3: active low), trigger mode in
 * bits 3:2 (3: level); 0 in either means the bus's own (ISA: active high,
 * edge). */
static void madt_take_override(const uint8_t *e, struct acpi_cpus *out)
{
	uint8_t irq = e[3];
	uint16_t inti = rd16(e + 8);

	if (e[2] != 0 || irq >= ACPI_ISA_IRQS)
		return;
	out->isa_gsi[irq] = rd32(e + 4);
	out->isa_flags[irq] = (uint8_t)(((inti & 3) == 3 ? ACPI_IRQ_ACTIVE_LOW : 0) |
					(((inti >> 2) & 3) == 3 ? ACPI_IRQ_LEVEL : 0));
}

int acpi_parse_madt(acpi_map_fn map, void *ctx, const struct acpi_rsdp *rsdp,
		    struct acpi_cpus *out)
{
	const uint8_t *t;
	uint32_t len;
	int rc;

	if (!parse_args_ok(map, rsdp, out, sizeof(*out)))
		return HV_EINVAL;
	rc = find_table(map, ctx, rsdp->bytes, "APIC", &t, &len);
	if (rc)
		return rc;
	if (len < MADT_ENTRIES)
		return HV_EINVAL;
	out->lapic_addr = rd32(t + MADT_LAPIC_ADDR);
	for (unsigned i = 0; i < ACPI_ISA_IRQS; i++)
		out->isa_gsi[i] = i;
	/* Interrupt controller structures: type, length, body (5.2.12.1); a
	 * length under 2 or one running past the table is malformed. */
	for (size_t off = MADT_ENTRIES; off + 2 <= len; off += t[off + 1]) {
		uint8_t type = t[off], elen = t[off + 1];

		if (elen < 2 || off + elen > len)
			return HV_EINVAL;
		if ((type == MADT_LOCAL_APIC && elen >= 8) || (type == MADT_LOCAL_X2APIC && elen >= 16))
			madt_take_cpu(t + off, out);
		else if (type == MADT_LAPIC_OVERRIDE && elen >= 12)
			out->lapic_addr = rd64(t + off + 4);
		else if (type == MADT_IOAPIC && elen >= 12 && !out->ioapic_addr) {
			out->ioapic_addr = rd32(t + off + 4);
			out->ioapic_gsi_base = rd32(t + off + 8);
		} else if (type == MADT_ISO && elen >= 10)
			madt_take_override(t + off, out);
	}
	return out->count ? 0 : HV_ENOENT;
}

/* ---- \_S5 in AML (7.4.2, 20.2) --------------------------------------------- */

/* PkgLength (20.2.4): bits 7-6 of the lead byte count the bytes that follow
 * (0-3).  With none, bits 5-0 are the length; otherwise bits 3-0 are the low
 * nybble, bits 5-4 must be zero, and each following byte adds 8 more bits.
 * The length counts the PkgLength bytes themselves. */
static int aml_pkg_length(const uint8_t *aml, size_t len, size_t pos,
			  size_t *pkg_len, size_t *enc_len)
{
	uint8_t lead;
	size_t follow, i, v;

	if (pos >= len)
		return HV_EINVAL;
	lead = aml[pos];
	follow = lead >> 6;
	if (follow > len - pos - 1)
		return HV_EINVAL;
	if (follow == 0) {
		v = lead & 0x3F;
	} else {
		if (lead & 0x30)
			return HV_EINVAL;
		v = lead & 0x0F;
		for (i = 0; i < follow; i++)
			v |= (size_t)aml[pos + 1 + i] << (4 + 8 * i);
	}
	*pkg_len = v;
	*enc_len = follow + 1;
	return 0;
}

static int aml_read_le(const uint8_t *aml, size_t end, size_t *pos, size_t n,
		       uint64_t *v)
{
	size_t i;

	if (n > end - *pos)
		return HV_EINVAL;
	*v = 0;
	for (i = 0; i < n; i++)
		*v |= (uint64_t)aml[*pos + i] << (8 * i);
	*pos += n;
	return 0;
}

/* An integer package element (ComputationalData, 20.2.3).  A bare byte is
 * not valid AML, but hand-written tables use it and the caller's range
 * check rejects anything that is really another opcode. */
static int aml_integer(const uint8_t *aml, size_t end, size_t *pos, uint64_t *v)
{
	uint8_t op;

	if (*pos >= end)
		return HV_EINVAL;
	op = aml[(*pos)++];
	switch (op) {
	case AML_ZERO_OP:      *v = 0; return 0;
	case AML_ONE_OP:       *v = 1; return 0;
	case AML_BYTE_PREFIX:  return aml_read_le(aml, end, pos, 1, v);
	case AML_WORD_PREFIX:  return aml_read_le(aml, end, pos, 2, v);
	case AML_DWORD_PREFIX: return aml_read_le(aml, end, pos, 4, v);
	case AML_QWORD_PREFIX: return aml_read_le(aml, end, pos, 8, v);
	default:               *v = op; return 0;
	}
}

/* DefPackage := PackageOp PkgLength NumElements PackageElementList
 * (20.2.5.4); \_S5's first two elements are SLP_TYPa and SLP_TYPb (7.4.2). */
static int aml_s5_package(const uint8_t *aml, size_t len, size_t pos,
			  uint16_t *slp_typa, uint16_t *slp_typb)
{
	size_t pkg_len, enc_len, end;
	uint64_t a, b;
	int rc;

	if (pos >= len || aml[pos++] != AML_PACKAGE_OP)
		return HV_EINVAL;
	rc = aml_pkg_length(aml, len, pos, &pkg_len, &enc_len);
	if (rc)
		return rc;
	if (pkg_len <= enc_len || pkg_len > len - pos)
		return HV_EINVAL;   /* no room for NumElements, or past the end */
	end = pos + pkg_len;
	pos += enc_len;
	if (aml[pos++] < 2)
		return HV_EINVAL;   /* NumElements */
	if (aml_integer(aml, end, &pos, &a) || aml_integer(aml, end, &pos, &b))
		return HV_EINVAL;
	if (a > SLP_TYP_MAX || b > SLP_TYP_MAX)
		return HV_EINVAL;
	*slp_typa = (uint16_t)a;
	*slp_typb = (uint16_t)b;
	return 0;
}

/* DefName := NameOp NameString DataRefObject (20.2.5.1); the NameString is
 * "_Sx_", possibly with a root prefix. */
static bool aml_is_name_def(const uint8_t *aml, size_t i)
{
	if (i >= 1 && aml[i - 1] == AML_NAME_OP)
		return true;
	return i >= 2 && aml[i - 1] == AML_ROOT_CHAR && aml[i - 2] == AML_NAME_OP;
}

int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint16_t *slp_typa,
		     uint16_t *slp_typb)
{
	return acpi_aml_find_sleep(aml, len, 5, slp_typa, slp_typb);
}

int acpi_aml_find_sleep(const uint8_t *aml, size_t len, unsigned state, uint16_t *slp_typa,
			uint16_t *slp_typb)
{
	char name[4] = { '_', 'S', (char)('0' + state), '_' };
	int rc = HV_ENOENT;
	size_t i;

	if (!aml || !slp_typa || !slp_typb || state > 5)
		return HV_EINVAL;
	/* Without an AML interpreter, a byte search is the usual shortcut; a
	 * candidate that does not decode is skipped in favour of a later one. */
	for (i = 0; i + 4 <= len; i++) {
		if (memcmp(aml + i, name, 4) != 0 || !aml_is_name_def(aml, i))
			continue;
		if (aml_s5_package(aml, len, i + 4, slp_typa, slp_typb) == 0)
			return 0;
		rc = HV_EINVAL;
	}
	return rc;
}
