/* Unit tests of src/dev/acpi_build.c: build the guest's tables into a fake guest
 * RAM and walk them the way an OS does, by the specification's offsets
 * (ACPI 6.x chapter 5) rather than by the builder's structures; then hand
 * them to the host-side parser (src/boot/acpi.c) as a cross-check, with the DSDT
 * that iasl compiled from firmware/acpi/dsdt.asl. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <hv/acpi.h>
#include <hv/acpi_build.h>
#include <hv/errno.h>

#define RAM_SIZE 0x200000        /* 2 MiB of guest RAM */
#define BASE     0xE0000ULL
#define FILL     0xAA            /* what RAM holds before the build */

static uint8_t *ram;

static int setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	assert_non_null(ram);
	memset(ram, FILL, RAM_SIZE);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(ram);
	ram = NULL;
	return 0;
}

/* ---- reading the tables ------------------------------------------------------ */

static uint16_t rd16(uint64_t at)
{
	return (uint16_t)(ram[at] | ram[at + 1] << 8);
}

static uint32_t rd32(uint64_t at)
{
	return (uint32_t)rd16(at) | (uint32_t)rd16(at + 2) << 16;
}

static uint64_t rd64(uint64_t at)
{
	return (uint64_t)rd32(at) | (uint64_t)rd32(at + 4) << 32;
}

static uint8_t sum(uint64_t at, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + ram[at++]);
	return s;
}

/* A System Description Table (5.2.6): signature, sane Length inside RAM,
 * checksum, our OEM fields.  Returns its Length. */
static uint32_t check_table(uint64_t at, const char *sig, uint8_t rev)
{
	uint32_t len;

	assert_true(at > 0 && at + 36 <= RAM_SIZE);
	assert_memory_equal(ram + at, sig, 4);
	len = rd32(at + 4);
	assert_true(len >= 36 && at + len <= RAM_SIZE);
	assert_int_equal(ram[at + 8], rev);
	assert_int_equal(sum(at, len), 0);
	assert_memory_equal(ram + at + 10, "TINYHV", 6);
	return len;
}

static void default_cfg(struct acpi_guest_cfg *c, unsigned ncpus)
{
	acpi_guest_cfg_init(c, ncpus);
	c->dsdt = acpi_dsdt_aml;
	c->dsdt_len = acpi_dsdt_aml_len;
}

static void build(const struct acpi_guest_cfg *c, struct acpi_layout *l)
{
	assert_int_equal(acpi_build(ram, RAM_SIZE, BASE, c, l), 0);
}

static void build_default(unsigned ncpus, struct acpi_layout *l)
{
	struct acpi_guest_cfg c;

	default_cfg(&c, ncpus);
	build(&c, l);
}

/* ---- layout -------------------------------------------------------------------- */

static void test_layout(void **state)
{
	struct acpi_guest_cfg c;
	struct acpi_layout l, l2;
	const uint64_t *t[] = { &l.rsdp, &l.xsdt, &l.rsdt, &l.fadt, &l.facs,
				&l.madt, &l.hpet, &l.dsdt, &l.end };
	size_t i;

	(void)state;
	default_cfg(&c, 4);
	assert_int_equal(acpi_build_layout(BASE, &c, &l), 0);
	assert_int_equal(l.rsdp, BASE);
	for (i = 0; i + 1 < sizeof(t) / sizeof(t[0]); i++) {
		assert_true(*t[i] < *t[i + 1]);
		assert_int_equal(*t[i] % 16, 0);
	}
	assert_int_equal(l.facs % 64, 0);
	assert_int_equal(l.end, l.dsdt + acpi_dsdt_aml_len);
	/* Room for each table before the next (sizes from the spec). */
	assert_true(l.xsdt >= l.rsdp + 36);
	assert_true(l.rsdt >= l.xsdt + 36 + 3 * 8);
	assert_true(l.fadt >= l.rsdt + 36 + 3 * 4);
	assert_true(l.facs >= l.fadt + 276);
	assert_true(l.madt >= l.facs + 64);
	assert_true(l.hpet >= l.madt + 44 + 4 * 8 + 12 + 2 * 10 + 6);
	assert_true(l.dsdt >= l.hpet + 56);

	/* acpi_build reports the same layout. */
	build(&c, &l2);
	assert_memory_equal(&l, &l2, sizeof(l));

	/* Everything, even for the most CPUs, stays in the BIOS area that
	 * OSes scan for the RSDP. */
	default_cfg(&c, ACPI_BUILD_MAX_CPUS);
	assert_int_equal(acpi_build_layout(BASE, &c, &l), 0);
	assert_true(l.end <= 0x100000);

	/* The FACS stays 64-byte aligned for any 16-byte aligned base. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(acpi_build_layout(BASE + 16 * i, &c, &l), 0);
		assert_int_equal(l.facs % 64, 0);
		assert_int_equal(l.rsdp, BASE + 16 * i);
	}
}

/* Only [base, end) is written. */
static void test_writes_only_its_range(void **state)
{
	struct acpi_layout l;
	size_t i;

	(void)state;
	build_default(2, &l);
	for (i = 0; i < BASE; i++)
		if (ram[i] != FILL)
			fail_msg("byte 0x%zx written", i);
	for (i = l.end; i < RAM_SIZE; i++)
		if (ram[i] != FILL)
			fail_msg("byte 0x%zx written", i);
	/* Padding between tables is zeroed, not left as it was. */
	for (i = l.rsdp + 36; i < l.xsdt; i++)
		assert_int_equal(ram[i], 0);
}

/* ---- RSDP, XSDT, RSDT ---------------------------------------------------------- */

static void test_rsdp(void **state)
{
	struct acpi_layout l;
	uint64_t r;

	(void)state;
	build_default(1, &l);
	r = l.rsdp;
	assert_memory_equal(ram + r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);                /* ACPI 1.0 checksum */
	assert_int_equal(ram[r + 15], 2);               /* Revision */
	assert_int_equal(rd32(r + 20), 36);             /* Length */
	assert_int_equal(sum(r, 36), 0);                /* extended checksum */
	assert_memory_equal(ram + r + 9, "TINYHV", 6);  /* OEMID */
	assert_int_equal(rd32(r + 16), l.rsdt);         /* RsdtAddress */
	assert_int_equal(rd64(r + 24), l.xsdt);         /* XsdtAddress */
	assert_int_equal(ram[r + 33] | ram[r + 34] | ram[r + 35], 0);
}

static void test_xsdt_rsdt(void **state)
{
	struct acpi_layout l;
	uint32_t len;

	(void)state;
	build_default(2, &l);
	len = check_table(l.xsdt, "XSDT", 1);
	assert_int_equal(len, 36 + 3 * 8);
	assert_int_equal(rd64(l.xsdt + 36), l.fadt);
	assert_int_equal(rd64(l.xsdt + 44), l.madt);
	assert_int_equal(rd64(l.xsdt + 52), l.hpet);
	assert_memory_equal(ram + rd64(l.xsdt + 36), "FACP", 4);
	assert_memory_equal(ram + rd64(l.xsdt + 44), "APIC", 4);
	assert_memory_equal(ram + rd64(l.xsdt + 52), "HPET", 4);

	len = check_table(l.rsdt, "RSDT", 1);
	assert_int_equal(len, 36 + 3 * 4);
	assert_int_equal(rd32(l.rsdt + 36), l.fadt);
	assert_int_equal(rd32(l.rsdt + 40), l.madt);
	assert_int_equal(rd32(l.rsdt + 44), l.hpet);
}

/* The HPET table (IA-PC HPET Specification 1.0a, 3.2.4). */
static void test_hpet(void **state)
{
	struct acpi_layout l;

	(void)state;
	build_default(1, &l);
	assert_int_equal(check_table(l.hpet, "HPET", 1), 56);
	assert_int_equal(rd32(l.hpet + 36), 0x8086a201);    /* Event Timer Block ID */
	assert_int_equal(ram[l.hpet + 40], 0);              /* system memory */
	assert_int_equal(rd64(l.hpet + 44), 0xfed00000);    /* Base Address */
	assert_int_equal(ram[l.hpet + 52], 0);              /* HPET Number */
}

/* ---- FADT, FACS, DSDT ---------------------------------------------------------- */

static void assert_gas_io(uint64_t at, uint8_t width, uint8_t access, uint64_t port)
{
	assert_int_equal(ram[at], 1);           /* system I/O space */
	assert_int_equal(ram[at + 1], width);   /* Register Bit Width */
	assert_int_equal(ram[at + 2], 0);       /* Register Bit Offset */
	assert_int_equal(ram[at + 3], access);  /* Access Size */
	assert_int_equal(rd64(at + 4), port);
}

static void assert_gas_zero(uint64_t at)
{
	size_t i;

	for (i = 0; i < 12; i++)
		assert_int_equal(ram[at + i], 0);
}

static void test_fadt(void **state)
{
	struct acpi_layout l;
	uint64_t f;
	uint32_t flags;

	(void)state;
	build_default(2, &l);
	f = l.fadt;
	assert_int_equal(check_table(f, "FACP", 6), 276);
	assert_int_equal(ram[f + 131], 0);              /* FADT Minor Version: 6.0 */
	assert_int_equal(rd32(f + 36), l.facs);         /* FIRMWARE_CTRL */
	assert_int_equal(rd64(f + 132), 0);             /* X_FIRMWARE_CTRL: exclusive */
	assert_int_equal(rd32(f + 40), l.dsdt);         /* DSDT */
	assert_int_equal(rd64(f + 140), l.dsdt);        /* X_DSDT */
	assert_int_equal(rd16(f + 46), 9);              /* SCI_INT */
	assert_int_equal(rd32(f + 48), 0);              /* SMI_CMD: always ACPI mode */
	assert_int_equal(ram[f + 52], 0);               /* ACPI_ENABLE */
	assert_int_equal(ram[f + 53], 0);               /* ACPI_DISABLE */
	assert_int_equal(rd32(f + 56), 0x600);          /* PM1a_EVT_BLK */
	assert_int_equal(rd32(f + 60), 0);              /* PM1b_EVT_BLK */
	assert_int_equal(rd32(f + 64), 0x604);          /* PM1a_CNT_BLK */
	assert_int_equal(rd32(f + 68), 0);              /* PM1b_CNT_BLK */
	assert_int_equal(rd32(f + 72), 0);              /* PM2_CNT_BLK */
	assert_int_equal(rd32(f + 76), 0x608);          /* PM_TMR_BLK */
	assert_int_equal(rd32(f + 80), 0);              /* GPE0_BLK */
	assert_int_equal(rd32(f + 84), 0);              /* GPE1_BLK */
	assert_int_equal(ram[f + 88], 4);               /* PM1_EVT_LEN */
	assert_int_equal(ram[f + 89], 2);               /* PM1_CNT_LEN */
	assert_int_equal(ram[f + 90], 0);               /* PM2_CNT_LEN */
	assert_int_equal(ram[f + 91], 4);               /* PM_TMR_LEN */
	assert_int_equal(ram[f + 92], 0);               /* GPE0_BLK_LEN */
	assert_true(rd16(f + 96) > 100);                /* P_LVL2_LAT: no C2 */
	assert_true(rd16(f + 98) > 1000);               /* P_LVL3_LAT: no C3 */
	assert_int_equal(rd16(f + 109), 0x7);           /* legacy, 8042, no VGA */
	flags = rd32(f + 112);
	assert_true(flags & (1u << 0));                 /* WBINVD */
	assert_true(flags & (1u << 2));                 /* PROC_C1 */
	assert_false(flags & (1u << 4));                /* fixed power button */
	assert_true(flags & (1u << 5));                 /* SLP_BUTTON: none */
	assert_false(flags & (1u << 8));                /* 24-bit PM timer */
	assert_true(flags & (1u << 10));                /* RESET_REG_SUP */
	assert_false(flags & (1u << 20));               /* not HW_REDUCED_ACPI */
	assert_gas_io(f + 116, 8, 1, 0xCF9);            /* RESET_REG */
	assert_int_equal(ram[f + 128], 0x06);           /* RESET_VALUE */
	assert_gas_io(f + 148, 32, 2, 0x600);           /* X_PM1a_EVT_BLK */
	assert_gas_zero(f + 160);                       /* X_PM1b_EVT_BLK */
	assert_gas_io(f + 172, 16, 2, 0x604);           /* X_PM1a_CNT_BLK */
	assert_gas_zero(f + 184);                       /* X_PM1b_CNT_BLK */
	assert_gas_zero(f + 196);                       /* X_PM2_CNT_BLK */
	assert_gas_io(f + 208, 32, 3, 0x608);           /* X_PM_TMR_BLK */
	assert_gas_zero(f + 220);                       /* X_GPE0_BLK */
	assert_gas_zero(f + 232);                       /* X_GPE1_BLK */
	assert_gas_zero(f + 244);                       /* SLEEP_CONTROL_REG */
	assert_gas_zero(f + 256);                       /* SLEEP_STATUS_REG */

	/* The contract constants agree with the table. */
	assert_int_equal(ACPI_GUEST_RESET_PORT, 0xCF9);
	assert_int_equal(ACPI_GUEST_RESET_VALUE, ram[f + 128]);
}

static void test_fadt_options(void **state)
{
	struct acpi_guest_cfg c;
	struct acpi_layout l;

	(void)state;
	default_cfg(&c, 1);
	c.pm_tmr_32bit = true;
	c.sci_irq = 11;
	c.pm1a_evt_port = 0xB000;
	c.pm1a_cnt_port = 0xB004;
	c.pm_tmr_port = 0xFFFC;                         /* last 4 ports */
	memcpy(c.oem_id, "ABC", 4);
	build(&c, &l);
	assert_int_equal(sum(l.fadt, 276), 0);
	assert_memory_equal(ram + l.fadt + 10, "ABC   ", 6);
	assert_memory_equal(ram + l.rsdp + 9, "ABC   ", 6);
	assert_true(rd32(l.fadt + 112) & (1u << 8));    /* TMR_VAL_EXT */
	assert_int_equal(rd16(l.fadt + 46), 11);
	assert_int_equal(rd32(l.fadt + 56), 0xB000);
	assert_int_equal(rd32(l.fadt + 64), 0xB004);
	assert_int_equal(rd32(l.fadt + 76), 0xFFFC);
	assert_gas_io(l.fadt + 172, 16, 2, 0xB004);
	assert_gas_io(l.fadt + 208, 32, 3, 0xFFFC);

	/* A six-character OEMID fills the field. */
	memcpy(c.oem_id, "OEMID6", 7);
	build(&c, &l);
	assert_memory_equal(ram + l.madt + 10, "OEMID6", 6);
	assert_int_equal(sum(l.madt, rd32(l.madt + 4)), 0);
}

static void test_facs(void **state)
{
	struct acpi_layout l;
	size_t i;

	(void)state;
	build_default(1, &l);
	assert_int_equal(l.facs % 64, 0);
	assert_memory_equal(ram + l.facs, "FACS", 4);
	assert_int_equal(rd32(l.facs + 4), 64);
	assert_int_equal(ram[l.facs + 32], 2);          /* Version */
	assert_int_equal(rd32(l.facs + 12), 0);         /* no waking vector */
	assert_int_equal(rd32(l.facs + 16), 0);         /* Global Lock free */
	for (i = 33; i < 64; i++)
		assert_int_equal(ram[l.facs + i], 0);
}

static void test_dsdt(void **state)
{
	struct acpi_layout l;
	uint16_t a = 99, b = 99;

	(void)state;
	build_default(1, &l);
	assert_int_equal(check_table(l.dsdt, "DSDT", 2), acpi_dsdt_aml_len);
	assert_memory_equal(ram + l.dsdt, acpi_dsdt_aml, acpi_dsdt_aml_len);

	/* The compiled \_S5 is what the header promises the PM model. */
	assert_int_equal(acpi_aml_find_s5(acpi_dsdt_aml + 36, acpi_dsdt_aml_len - 36,
					  &a, &b), 0);
	assert_int_equal(a, ACPI_GUEST_SLP_TYP_S5);
	assert_int_equal(b, ACPI_GUEST_SLP_TYP_S5);
	/* And \_S3, suspend to RAM. */
	assert_int_equal(acpi_aml_find_sleep(acpi_dsdt_aml + 36, acpi_dsdt_aml_len - 36, 3,
					     &a, &b), 0);
	assert_int_equal(a, ACPI_GUEST_SLP_TYP_S3);
	assert_int_equal(b, ACPI_GUEST_SLP_TYP_S3);
	assert_int_equal(acpi_aml_find_sleep(acpi_dsdt_aml + 36, acpi_dsdt_aml_len - 36, 4,
					     &a, &b), HV_ENOENT);
}

/* ---- MADT ---------------------------------------------------------------------- */

struct madt_seen {
	unsigned lapics, ioapics, overrides, nmis;
	uint8_t last_apic_id;
	bool irq0_to_2, sci_level;
};

/* Walk the interrupt controller structures (5.2.12) checking each one. */
static void walk_madt(uint64_t m, const struct acpi_guest_cfg *c, struct madt_seen *s)
{
	uint32_t len = check_table(m, "APIC", 4);
	uint64_t off = 44;

	memset(s, 0, sizeof(*s));
	assert_int_equal(rd32(m + 36), 0xFEE00000u);   /* Local Interrupt Controller Address */
	assert_int_equal(rd32(m + 40), c->have_8259 ? 1 : 0);   /* PCAT_COMPAT */
	while (off < len) {
		uint64_t e = m + off;
		uint8_t type = ram[e], elen = ram[e + 1];

		assert_true(elen >= 2 && off + elen <= len);
		switch (type) {
		case 0:         /* Processor Local APIC */
			assert_int_equal(elen, 8);
			/* The bootstrap processor first, then in order. */
			assert_int_equal(ram[e + 2], s->lapics);        /* UID */
			assert_int_equal(ram[e + 3], s->lapics);        /* APIC ID */
			assert_int_equal(rd32(e + 4), 1);               /* Enabled */
			s->last_apic_id = ram[e + 3];
			s->lapics++;
			break;
		case 1:         /* I/O APIC */
			assert_int_equal(elen, 12);
			assert_int_equal(ram[e + 2], c->ioapic_id);
			assert_int_equal(ram[e + 3], 0);
			assert_int_equal(rd32(e + 4), 0xFEC00000u);
			assert_int_equal(rd32(e + 8), 0);               /* GSI base */
			s->ioapics++;
			break;
		case 2:         /* Interrupt Source Override */
			assert_int_equal(elen, 10);
			assert_int_equal(ram[e + 2], 0);                /* ISA */
			if (ram[e + 3] == 0) {
				assert_int_equal(rd32(e + 4), 2);
				assert_int_equal(rd16(e + 8), 0x5);     /* edge, high */
				s->irq0_to_2 = true;
			} else {
				assert_int_equal(ram[e + 3], c->sci_irq);
				assert_int_equal(rd32(e + 4), c->sci_irq);
				assert_int_equal(rd16(e + 8), 0xD);     /* level, high */
				s->sci_level = true;
			}
			s->overrides++;
			break;
		case 4:         /* Local APIC NMI */
			assert_int_equal(elen, 6);
			assert_int_equal(ram[e + 2], 0xFF);             /* all processors */
			assert_int_equal(rd16(e + 3), 0);
			assert_int_equal(ram[e + 5], 1);                /* LINT1 */
			s->nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", type);
		}
		off += elen;
	}
	assert_int_equal(off, len);
}

static void test_madt(void **state)
{
	struct acpi_guest_cfg c;
	struct acpi_layout l;
	struct madt_seen s;

	(void)state;
	default_cfg(&c, 4);
	c.ioapic_id = 4;
	build(&c, &l);
	walk_madt(l.madt, &c, &s);
	assert_int_equal(s.lapics, 4);
	assert_int_equal(s.last_apic_id, 3);
	assert_int_equal(s.ioapics, 1);
	assert_int_equal(s.overrides, 2);
	assert_true(s.irq0_to_2);
	assert_true(s.sci_level);
	assert_int_equal(s.nmis, 1);
	assert_int_equal(rd32(l.madt + 4), 44 + 4 * 8 + 12 + 2 * 10 + 6);

	/* No 8259, one CPU, another SCI. */
	default_cfg(&c, 1);
	c.have_8259 = false;
	c.sci_irq = 10;
	build(&c, &l);
	walk_madt(l.madt, &c, &s);
	assert_int_equal(s.lapics, 1);
	assert_true(s.sci_level);

	/* The most CPUs: APIC IDs 0-254. */
	default_cfg(&c, ACPI_BUILD_MAX_CPUS);
	build(&c, &l);
	walk_madt(l.madt, &c, &s);
	assert_int_equal(s.lapics, 255);
	assert_int_equal(s.last_apic_id, 254);
}

/* ---- cross-check with the host's ACPI parser (src/boot/acpi.c) ----------------------- */

static const void *ram_map(void *ctx, uint64_t phys, size_t len)
{
	(void)ctx;
	if (phys > RAM_SIZE || len > RAM_SIZE - phys)
		return NULL;
	return ram + phys;
}

static void assert_pm(const struct acpi_pm *pm)
{
	assert_string_equal(pm->oem_id, "TINYHV");
	assert_int_equal(pm->revision, 2);
	assert_int_equal(pm->pm1a_cnt, 0x604);
	assert_int_equal(pm->pm1b_cnt, 0);
	assert_int_equal(pm->smi_cmd, 0);
	assert_true(pm->have_s5);
	assert_int_equal(pm->slp_typa, ACPI_GUEST_SLP_TYP_S5);
	assert_true(pm->have_reset);
	assert_int_equal(pm->reset_space, ACPI_SPACE_SYSTEM_IO);
	assert_int_equal(pm->reset_addr, 0xCF9);
	assert_int_equal(pm->reset_value, 0x06);
}

static void test_parser_finds_tables(void **state)
{
	struct acpi_layout l;
	struct acpi_rsdp r;
	struct acpi_pm pm;

	(void)state;
	memset(ram, 0, RAM_SIZE);       /* no EBDA pointer, no stray RSDP */
	build_default(2, &l);

	/* By scanning 0xE0000-0xFFFFF, as a BIOS-booted OS would. */
	assert_int_equal(acpi_find_rsdp(ram_map, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.phys, l.rsdp);
	assert_int_equal(r.len, 36);
	assert_int_equal(acpi_parse_pm(ram_map, NULL, &r, &pm), 0);
	assert_pm(&pm);

	/* From a loader's copy (Multiboot2 ACPI new tag). */
	assert_int_equal(acpi_find_rsdp(ram_map, NULL, ram + l.rsdp, 36, &r), 0);
	assert_int_equal(acpi_parse_pm(ram_map, NULL, &r, &pm), 0);
	assert_pm(&pm);

	/* The RSDT is good on its own: break the XSDT and the parser falls
	 * back to it. */
	ram[l.xsdt + 9] ^= 0xFF;
	assert_int_equal(acpi_parse_pm(ram_map, NULL, &r, &pm), 0);
	assert_pm(&pm);
}

/* ---- errors --------------------------------------------------------------------- */

/* acpi_build fails with rc and leaves RAM untouched. */
static void assert_build_fails(const struct acpi_guest_cfg *c, uint64_t ram_size,
			       uint64_t base, int rc)
{
	struct acpi_layout l;
	size_t i;

	memset(ram, FILL, RAM_SIZE);
	assert_int_equal(acpi_build(ram, ram_size, base, c, &l), rc);
	for (i = 0; i < RAM_SIZE; i++)
		if (ram[i] != FILL)
			fail_msg("byte 0x%zx written by a failed build", i);
}

static void test_bad_placement(void **state)
{
	struct acpi_guest_cfg c;
	struct acpi_layout l;
	uint64_t size, top;

	(void)state;
	default_cfg(&c, 2);
	assert_int_equal(acpi_build_layout(BASE, &c, &l), 0);

	/* The RSDP must be on a 16-byte boundary (5.2.5.1). */
	assert_build_fails(&c, RAM_SIZE, BASE + 8, HV_EINVAL);
	assert_build_fails(&c, RAM_SIZE, BASE + 1, HV_EINVAL);
	/* Tables past the end of RAM, by one byte or entirely. */
	assert_build_fails(&c, l.end - 1, BASE, HV_ERANGE);
	assert_build_fails(&c, RAM_SIZE, RAM_SIZE - 16, HV_ERANGE);
	assert_build_fails(&c, RAM_SIZE, RAM_SIZE, HV_ERANGE);
	assert_int_equal(acpi_build(ram, l.end, BASE, &c, NULL), 0);   /* exactly fits */

	/* Tables must end below 4 GiB, whatever the RAM size.  BASE and
	 * top are 64-byte aligned, so the layouts from both are alike. */
	size = l.end - BASE;
	top = ((1ULL << 32) - size) & ~63ULL;
	assert_int_equal(acpi_build_layout(top, &c, &l), 0);
	assert_true(l.end <= 1ULL << 32);
	assert_int_equal(acpi_build_layout(top + 64, &c, &l), HV_ERANGE);
	assert_int_equal(acpi_build_layout(1ULL << 32, &c, &l), HV_ERANGE);
	assert_int_equal(acpi_build_layout(0xFFFFFFFFFFFFFFF0ULL, &c, &l), HV_ERANGE);
	assert_build_fails(&c, ~0ULL, 1ULL << 32, HV_ERANGE);

	/* NULL arguments. */
	assert_int_equal(acpi_build(NULL, RAM_SIZE, BASE, &c, &l), HV_EINVAL);
	assert_build_fails(NULL, RAM_SIZE, BASE, HV_EINVAL);
	assert_int_equal(acpi_build_layout(BASE, &c, NULL), HV_EINVAL);
	assert_int_equal(acpi_build_layout(BASE, NULL, &l), HV_EINVAL);
}

static void test_bad_cfg(void **state)
{
	struct acpi_guest_cfg c;
	uint8_t *bad;

	(void)state;
	default_cfg(&c, 0);
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, ACPI_BUILD_MAX_CPUS + 1);
	assert_build_fails(&c, RAM_SIZE, BASE, HV_ERANGE);

	default_cfg(&c, 1);
	c.lapic_addr = 0;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, 1);
	c.ioapic_addr = 0;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);

	/* Port blocks: present, and within the 64 KiB I/O space. */
	default_cfg(&c, 1);
	c.pm1a_cnt_port = 0;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, 1);
	c.pm1a_evt_port = 0xFFFD;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, 1);
	c.pm_tmr_port = 0xFFFE;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, 1);
	c.pm1a_cnt_port = 0xFFFE;                       /* 2 ports: fits */
	assert_int_equal(acpi_build(ram, RAM_SIZE, BASE, &c, NULL), 0);

	/* The SCI: an ISA IRQ, neither the PIT's nor its pin. */
	default_cfg(&c, 1);
	c.sci_irq = 0;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	c.sci_irq = 2;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	c.sci_irq = 16;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);

	/* The DSDT: present, a DSDT, Length matching, checksum right. */
	default_cfg(&c, 1);
	c.dsdt = NULL;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, 1);
	c.dsdt_len = 35;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	default_cfg(&c, 1);
	c.dsdt_len = acpi_dsdt_aml_len - 1;
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);

	bad = malloc(acpi_dsdt_aml_len);
	assert_non_null(bad);
	default_cfg(&c, 1);
	c.dsdt = bad;
	memcpy(bad, acpi_dsdt_aml, acpi_dsdt_aml_len);
	bad[40] ^= 1;                                   /* checksum now off */
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	memcpy(bad, acpi_dsdt_aml, acpi_dsdt_aml_len);
	memcpy(bad, "SSDT", 4);
	assert_build_fails(&c, RAM_SIZE, BASE, HV_EINVAL);
	memcpy(bad, acpi_dsdt_aml, acpi_dsdt_aml_len);
	assert_int_equal(acpi_build(ram, RAM_SIZE, BASE, &c, NULL), 0);
	free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_only_its_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsdt_rsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hpet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_facs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parser_finds_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cfg, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
