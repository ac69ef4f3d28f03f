/* ACPI tables for a guest.  Section and table numbers refer to the ACPI 6.x
 * specification; the tables claim ACPI 6.0 (FADT 6.0, MADT revision 4).
 *
 * Each table is laid out as a packed structure whose size and field
 * offsets are checked at compile time against the specification, filled in
 * a local variable and copied into guest RAM; the checksums are computed
 * over the bytes in guest RAM.  x86 is little-endian, as ACPI is, so the
 * structures' integer fields already have the byte order the tables want. */
#include <hv/acpi_build.h>
#include <hv/errno.h>
#include <hv/string.h>

#define PACKED __attribute__((packed))

#define OEM_ID_DEFAULT   "TINYHV"
#define OEM_TABLE_ID     "TINYHV  "
#define OEM_REVISION     1
#define CREATOR_ID       "THV "
#define CREATOR_REVISION 1

#define FOUR_GIB (1ULL << 32)

/* ---- Table layouts ------------------------------------------------------------ */

/* Generic Address Structure (5.2.3.2). */
struct gas {
	uint8_t space_id;       /* 0 system memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;    /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} PACKED;
_Static_assert(sizeof(struct gas) == 12, "GAS is 12 bytes");

#define GAS_SYSTEM_MEMORY 0
#define GAS_SYSTEM_IO   1
#define GAS_ACCESS_BYTE 1
#define GAS_ACCESS_WORD 2
#define GAS_ACCESS_DWORD 3

/* Root System Description Pointer, revision 2 (5.2.5.3). */
struct rsdp {
	char signature[8];      /* "RSD PTR " */
	uint8_t checksum;       /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;       /* 2: ACPI 2.0 and later */
	uint32_t rsdt_address;
	uint32_t length;        /* 36 */
	uint64_t xsdt_address;
	uint8_t ext_checksum;   /* over all 36 bytes */
	uint8_t reserved[3];
} PACKED;
_Static_assert(sizeof(struct rsdp) == 36, "RSDP is 36 bytes");
_Static_assert(offsetof(struct rsdp, xsdt_address) == 24, "RSDP XsdtAddress");
_Static_assert(offsetof(struct rsdp, ext_checksum) == 32, "RSDP Extended Checksum");

#define RSDP_V1_LEN 20

/* System Description Table Header (5.2.6). */
struct sdt_header {
	char signature[4];
	uint32_t length;        /* of the whole table */
	uint8_t revision;
	uint8_t checksum;       /* the whole table sums to zero */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} PACKED;
_Static_assert(sizeof(struct sdt_header) == 36, "SDT header is 36 bytes");
_Static_assert(offsetof(struct sdt_header, checksum) == 9, "SDT Checksum");

/* XSDT (5.2.8) and RSDT (5.2.7) carry the same three entries. */
#define SDT_ENTRIES 3           /* FADT, MADT, HPET */

struct xsdt {
	struct sdt_header h;
	uint64_t entry[SDT_ENTRIES];   /* unaligned: the header is 36 bytes */
} PACKED;
_Static_assert(sizeof(struct xsdt) == 36 + 8 * SDT_ENTRIES, "XSDT size");

struct rsdt {
	struct sdt_header h;
	uint32_t entry[SDT_ENTRIES];
} PACKED;
_Static_assert(sizeof(struct rsdt) == 36 + 4 * SDT_ENTRIES, "RSDT size");

/* Fixed ACPI Description Table, revision 6 (5.2.9). */
struct fadt {
	struct sdt_header h;
	uint32_t firmware_ctrl;         /*  36: FACS (X_FIRMWARE_CTRL is 0) */
	uint32_t dsdt;                  /*  40 */
	uint8_t reserved0;              /*  44: was INT_MODEL */
	uint8_t preferred_pm_profile;   /*  45 */
	uint16_t sci_int;               /*  46 */
	uint32_t smi_cmd;               /*  48 */
	uint8_t acpi_enable;            /*  52 */
	uint8_t acpi_disable;           /*  53 */
	uint8_t s4bios_req;             /*  54 */
	uint8_t pstate_cnt;             /*  55 */
	uint32_t pm1a_evt_blk;          /*  56 */
	uint32_t pm1b_evt_blk;          /*  60 */
	uint32_t pm1a_cnt_blk;          /*  64 */
	uint32_t pm1b_cnt_blk;          /*  68 */
	uint32_t pm2_cnt_blk;           /*  72 */
	uint32_t pm_tmr_blk;            /*  76 */
	uint32_t gpe0_blk;              /*  80 */
	uint32_t gpe1_blk;              /*  84 */
	uint8_t pm1_evt_len;            /*  88 */
	uint8_t pm1_cnt_len;            /*  89 */
	uint8_t pm2_cnt_len;            /*  90 */
	uint8_t pm_tmr_len;             /*  91 */
	uint8_t gpe0_blk_len;           /*  92 */
	uint8_t gpe1_blk_len;           /*  93 */
	uint8_t gpe1_base;              /*  94 */
	uint8_t cst_cnt;                /*  95 */
	uint16_t p_lvl2_lat;            /*  96 */
	uint16_t p_lvl3_lat;            /*  98 */
	uint16_t flush_size;            /* 100 */
	uint16_t flush_stride;          /* 102 */
	uint8_t duty_offset;            /* 104 */
	uint8_t duty_width;             /* 105 */
	uint8_t day_alrm;               /* 106 */
	uint8_t mon_alrm;               /* 107 */
	uint8_t century;                /* 108 */
	uint16_t iapc_boot_arch;        /* 109 */
	uint8_t reserved1;              /* 111 */
	uint32_t flags;                 /* 112 */
	struct gas reset_reg;           /* 116 */
	uint8_t reset_value;            /* 128 */
	uint16_t arm_boot_arch;         /* 129 */
	uint8_t minor_version;          /* 131 */
	uint64_t x_firmware_ctrl;       /* 132 */
	uint64_t x_dsdt;                /* 140 */
	struct gas x_pm1a_evt_blk;      /* 148 */
	struct gas x_pm1b_evt_blk;      /* 160 */
	struct gas x_pm1a_cnt_blk;      /* 172 */
	struct gas x_pm1b_cnt_blk;      /* 184 */
	struct gas x_pm2_cnt_blk;       /* 196 */
	struct gas x_pm_tmr_blk;        /* 208 */
	struct gas x_gpe0_blk;          /* 220 */
	struct gas x_gpe1_blk;          /* 232 */
	struct gas sleep_control_reg;   /* 244: hardware-reduced only */
	struct gas sleep_status_reg;    /* 256: hardware-reduced only */
	uint64_t hypervisor_vendor_id;  /* 268 */
} PACKED;
_Static_assert(sizeof(struct fadt) == 276, "FADT 6.0 is 276 bytes");
_Static_assert(offsetof(struct fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK");
_Static_assert(offsetof(struct fadt, pm1a_cnt_blk) == 64, "FADT PM1a_CNT_BLK");
_Static_assert(offsetof(struct fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(offsetof(struct fadt, pm1_evt_len) == 88, "FADT PM1_EVT_LEN");
_Static_assert(offsetof(struct fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct fadt, flags) == 112, "FADT Flags");
_Static_assert(offsetof(struct fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(offsetof(struct fadt, minor_version) == 131, "FADT Minor Version");
_Static_assert(offsetof(struct fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK");
_Static_assert(offsetof(struct fadt, x_pm1a_cnt_blk) == 172, "FADT X_PM1a_CNT_BLK");
_Static_assert(offsetof(struct fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK");
_Static_assert(offsetof(struct fadt, hypervisor_vendor_id) == 268, "FADT Hypervisor Vendor Identity");

#define FADT_REVISION       6
#define FADT_MINOR_VERSION  0

/* FADT Flags (5.2.9). */
#define FADT_WBINVD         (1u << 0)
#define FADT_PROC_C1        (1u << 2)
#define FADT_SLP_BUTTON     (1u << 5)   /* 1: no fixed-feature sleep button */
#define FADT_FIX_RTC        (1u << 6)   /* 1: no RTC wake status in PM1 */
#define FADT_TMR_VAL_EXT    (1u << 8)
#define FADT_RESET_REG_SUP  (1u << 10)

/* IA-PC Boot Architecture Flags (5.2.9.3). */
#define IAPC_LEGACY_DEVICES (1u << 0)
#define IAPC_8042           (1u << 1)
#define IAPC_VGA_NOT_PRESENT (1u << 2)

/* P_LVL2_LAT > 100 and P_LVL3_LAT > 1000 mean "no C2/C3" (5.2.9). */
#define FADT_NO_C2_LAT      101
#define FADT_NO_C3_LAT      1001

/* Firmware ACPI Control Structure (5.2.10): no checksum, 64-byte
 * aligned, in memory the OS leaves alone. */
struct facs {
	char signature[4];              /* "FACS" */
	uint32_t length;                /* 64 */
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;                /* 2 */
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} PACKED;
_Static_assert(sizeof(struct facs) == 64, "FACS is 64 bytes");
_Static_assert(offsetof(struct facs, version) == 32, "FACS Version");

#define FACS_ALIGN   64
#define FACS_VERSION 2

/* Multiple APIC Description Table (5.2.12), revision 4 (6.0). */
struct madt {
	struct sdt_header h;
	uint32_t lapic_address;
	uint32_t flags;
} PACKED;
_Static_assert(sizeof(struct madt) == 44, "MADT fixed part is 44 bytes");

#define MADT_REVISION    4
#define MADT_PCAT_COMPAT (1u << 0)

/* Interrupt Controller Structure types (5.2.12). */
#define MADT_LAPIC       0
#define MADT_IOAPIC      1
#define MADT_ISO         2
#define MADT_LAPIC_NMI   4

/* Processor Local APIC Structure (5.2.12.2). */
struct madt_lapic {
	uint8_t type, length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;                 /* bit 0: Enabled */
} PACKED;
_Static_assert(sizeof(struct madt_lapic) == 8, "Processor Local APIC is 8 bytes");

#define MADT_LAPIC_ENABLED (1u << 0)

/* I/O APIC Structure (5.2.12.3). */
struct madt_ioapic {
	uint8_t type, length;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} PACKED;
_Static_assert(sizeof(struct madt_ioapic) == 12, "I/O APIC is 12 bytes");

/* Interrupt Source Override Structure (5.2.12.5). */
struct madt_iso {
	uint8_t type, length;
	uint8_t bus;                    /* 0: ISA */
	uint8_t source;                 /* bus-relative IRQ */
	uint32_t gsi;
	uint16_t flags;                 /* MPS INTI flags (5.2.12.5) */
} PACKED;
_Static_assert(sizeof(struct madt_iso) == 10, "Interrupt Source Override is 10 bytes");

/* Local APIC NMI Structure (5.2.12.7). */
struct madt_lapic_nmi {
	uint8_t type, length;
	uint8_t processor_uid;          /* 0xFF: all processors */
	uint16_t flags;
	uint8_t lint;
} PACKED;
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "Local APIC NMI is 6 bytes");

/* MPS INTI flags (5.2.12.5): polarity bits 1:0, trigger mode bits 3:2. */
#define INTI_POLARITY_HIGH (1u << 0)
#define INTI_TRIGGER_EDGE  (1u << 2)
#define INTI_TRIGGER_LEVEL (3u << 2)

#define ISA_BUS        0
#define PIT_IRQ        0
#define PIT_GSI        2        /* the PIT is on I/O APIC pin 2 */
#define ALL_PROCESSORS 0xFF
#define NMI_LINT       1        /* LINT1 is the NMI input, as on PCs */

#define MADT_OVERRIDES 2        /* IRQ 0 -> GSI 2, the SCI */

/* The HPET table (IA-PC HPET Specification 1.0a, 3.2.4). */
struct hpet_table {
	struct sdt_header h;
	uint32_t block_id;      /* the capabilities' low dword */
	struct gas base;        /* system memory */
	uint8_t number;
	uint16_t min_tick;      /* the least periodic-mode tick: 0, none stated */
	uint8_t page_protection;
} PACKED;
_Static_assert(sizeof(struct hpet_table) == 56, "HPET table is 56 bytes");

static size_t madt_size(unsigned ncpus)
{
	return sizeof(struct madt) + ncpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) +
	       MADT_OVERRIDES * sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
}

#define TABLE_ALIGN 16

/* ---- Helpers ---------------------------------------------------------------- */

/* ACPI checksums: the bytes sum to zero modulo 256 (5.2.5.3, 5.2.6). */
static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Make the n bytes at p sum to zero by setting p[at]. */
static void set_checksum(uint8_t *p, size_t n, size_t at)
{
	p[at] = 0;
	p[at] = (uint8_t)-sum8(p, n);
}

/* OEMID: six characters, blank-padded. */
static void oem_id6(char dst[6], const struct acpi_guest_cfg *cfg)
{
	const char *src = cfg->oem_id[0] ? cfg->oem_id : OEM_ID_DEFAULT;
	size_t i, n = strnlen(src, 6);

	for (i = 0; i < 6; i++)
		dst[i] = i < n ? src[i] : ' ';
}

static void header(struct sdt_header *h, const char sig[4], uint32_t len,
		   uint8_t rev, const struct acpi_guest_cfg *cfg)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	h->checksum = 0;            /* set once the table is in place */
	oem_id6(h->oem_id, cfg);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = CREATOR_REVISION;
}

static struct gas gas_io(uint16_t port, uint8_t len, uint8_t access)
{
	struct gas g = {
		.space_id = GAS_SYSTEM_IO,
		.bit_width = (uint8_t)(len * 8),
		.bit_offset = 0,
		.access_size = access,
		.address = port,
	};

	return g;
}

/* A port block must be there and end by 0xFFFF. */
static bool port_ok(uint16_t port, unsigned len)
{
	return port != 0 && (uint32_t)port + len <= 0x10000;
}

/* A DSDT as iasl produces it: header included, consistent Length, valid
 * checksum (5.2.11.1). */
static bool dsdt_ok(const uint8_t *d, size_t len)
{
	uint32_t hdr_len;

	if (!d || len < sizeof(struct sdt_header) || len > 0xFFFFFFFFu)
		return false;
	hdr_len = (uint32_t)d[4] | (uint32_t)d[5] << 8 |
		  (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
	return memcmp(d, "DSDT", 4) == 0 && hdr_len == len && sum8(d, len) == 0;
}

static int cfg_check(const struct acpi_guest_cfg *cfg)
{
	if (cfg->ncpus == 0)
		return HV_EINVAL;
	if (cfg->ncpus > ACPI_BUILD_MAX_CPUS)
		return HV_ERANGE;
	if (cfg->lapic_addr == 0 || cfg->ioapic_addr == 0 || cfg->hpet_addr == 0)
		return HV_EINVAL;
	if (!port_ok(cfg->pm1a_evt_port, ACPI_GUEST_PM1_EVT_LEN) ||
	    !port_ok(cfg->pm1a_cnt_port, ACPI_GUEST_PM1_CNT_LEN) ||
	    !port_ok(cfg->pm_tmr_port, ACPI_GUEST_PM_TMR_LEN))
		return HV_EINVAL;
	/* An ISA IRQ with an identity override of its own: not the PIT's
	 * IRQ 0 nor pin 2, which IRQ 0 is routed to. */
	if (cfg->sci_irq == PIT_IRQ || cfg->sci_irq == PIT_GSI ||
	    cfg->sci_irq > 15)
		return HV_EINVAL;
	if (!dsdt_ok(cfg->dsdt, cfg->dsdt_len))
		return HV_EINVAL;
	return 0;
}

/* ---- Public ----------------------------------------------------------------- */

void acpi_guest_cfg_init(struct acpi_guest_cfg *cfg, unsigned ncpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ncpus = ncpus;
	cfg->lapic_addr = ACPI_GUEST_LAPIC_ADDR;
	cfg->ioapic_addr = ACPI_GUEST_IOAPIC_ADDR;
	cfg->ioapic_id = 0;
	cfg->hpet_addr = ACPI_GUEST_HPET_ADDR;
	cfg->hpet_id = ACPI_GUEST_HPET_ID;
	cfg->pm1a_evt_port = ACPI_GUEST_PM1A_EVT;
	cfg->pm1a_cnt_port = ACPI_GUEST_PM1A_CNT;
	cfg->pm_tmr_port = ACPI_GUEST_PM_TMR;
	cfg->sci_irq = ACPI_GUEST_SCI_IRQ;
	cfg->have_8259 = true;
	cfg->pm_tmr_32bit = false;
}

int acpi_build_layout(uint64_t base, const struct acpi_guest_cfg *cfg,
		      struct acpi_layout *out)
{
	struct acpi_layout l;
	int rc;

	if (!cfg || !out || base % TABLE_ALIGN != 0)
		return HV_EINVAL;
	rc = cfg_check(cfg);
	if (rc)
		return rc;
	/* Bounded before any addition, so nothing below can wrap. */
	if (base >= FOUR_GIB)
		return HV_ERANGE;

	l.rsdp = base;
	l.xsdt = ALIGN_UP(l.rsdp + sizeof(struct rsdp), TABLE_ALIGN);
	l.rsdt = ALIGN_UP(l.xsdt + sizeof(struct xsdt), TABLE_ALIGN);
	l.fadt = ALIGN_UP(l.rsdt + sizeof(struct rsdt), TABLE_ALIGN);
	l.facs = ALIGN_UP(l.fadt + sizeof(struct fadt), FACS_ALIGN);
	l.madt = ALIGN_UP(l.facs + sizeof(struct facs), TABLE_ALIGN);
	l.hpet = ALIGN_UP(l.madt + madt_size(cfg->ncpus), TABLE_ALIGN);
	l.dsdt = ALIGN_UP(l.hpet + sizeof(struct hpet_table), TABLE_ALIGN);
	l.end = l.dsdt + cfg->dsdt_len;
	/* 32-bit table pointers (RSDT entries, FADT DSDT and FIRMWARE_CTRL)
	 * must reach every table. */
	if (l.end > FOUR_GIB)
		return HV_ERANGE;
	*out = l;
	return 0;
}

static void build_rsdp(uint8_t *ram, const struct acpi_layout *l,
		       const struct acpi_guest_cfg *cfg)
{
	struct rsdp r;
	uint8_t *p = ram + l->rsdp;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", 8);
	oem_id6(r.oem_id, cfg);
	r.revision = 2;
	r.rsdt_address = (uint32_t)l->rsdt;
	r.length = sizeof(r);
	r.xsdt_address = l->xsdt;
	memcpy(p, &r, sizeof(r));
	/* The ACPI 1.0 checksum covers the first 20 bytes; the extended one
	 * all of them, the first checksum included (5.2.5.3). */
	set_checksum(p, RSDP_V1_LEN, offsetof(struct rsdp, checksum));
	set_checksum(p, sizeof(r), offsetof(struct rsdp, ext_checksum));
}

/* Copy a table into place and seal it with its checksum. */
static void put_table(uint8_t *ram, uint64_t gpa, const void *t, size_t len)
{
	memcpy(ram + gpa, t, len);
	set_checksum(ram + gpa, len, offsetof(struct sdt_header, checksum));
}

static void build_xsdt_rsdt(uint8_t *ram, const struct acpi_layout *l,
			    const struct acpi_guest_cfg *cfg)
{
	struct xsdt x;
	struct rsdt r;

	memset(&x, 0, sizeof(x));
	header(&x.h, "XSDT", sizeof(x), 1, cfg);
	x.entry[0] = l->fadt;
	x.entry[1] = l->madt;
	x.entry[2] = l->hpet;
	put_table(ram, l->xsdt, &x, sizeof(x));

	memset(&r, 0, sizeof(r));
	header(&r.h, "RSDT", sizeof(r), 1, cfg);
	r.entry[0] = (uint32_t)l->fadt;
	r.entry[1] = (uint32_t)l->madt;
	r.entry[2] = (uint32_t)l->hpet;
	put_table(ram, l->rsdt, &r, sizeof(r));
}

static void build_hpet(uint8_t *ram, const struct acpi_layout *l,
		       const struct acpi_guest_cfg *cfg)
{
	struct hpet_table t;

	memset(&t, 0, sizeof(t));
	header(&t.h, "HPET", sizeof(t), 1, cfg);
	t.block_id = cfg->hpet_id;
	t.base.space_id = GAS_SYSTEM_MEMORY;
	t.base.address = cfg->hpet_addr;
	put_table(ram, l->hpet, &t, sizeof(t));
}

static void build_fadt(uint8_t *ram, const struct acpi_layout *l,
		       const struct acpi_guest_cfg *cfg)
{
	struct fadt f;

	memset(&f, 0, sizeof(f));
	header(&f.h, "FACP", sizeof(f), FADT_REVISION, cfg);
	/* 5.2.9: FIRMWARE_CTRL and X_FIRMWARE_CTRL are exclusive; the FACS
	 * is below 4 GiB, so the 32-bit field it is.  DSDT and X_DSDT may
	 * both be set, to the same table. */
	f.firmware_ctrl = (uint32_t)l->facs;
	f.dsdt = (uint32_t)l->dsdt;
	f.x_dsdt = l->dsdt;
	f.preferred_pm_profile = 0;             /* unspecified */
	f.sci_int = cfg->sci_irq;
	/* No SMI_CMD: the machine is always in ACPI mode (SCI_EN reads 1);
	 * ACPI_ENABLE/DISABLE are then meaningless and zero. */
	f.smi_cmd = 0;
	f.pm1a_evt_blk = cfg->pm1a_evt_port;
	f.pm1a_cnt_blk = cfg->pm1a_cnt_port;
	f.pm_tmr_blk = cfg->pm_tmr_port;
	f.pm1_evt_len = ACPI_GUEST_PM1_EVT_LEN;
	f.pm1_cnt_len = ACPI_GUEST_PM1_CNT_LEN;
	f.pm_tmr_len = ACPI_GUEST_PM_TMR_LEN;
	f.p_lvl2_lat = FADT_NO_C2_LAT;
	f.p_lvl3_lat = FADT_NO_C3_LAT;
	f.century = 0;                          /* no RTC century register */
	/* 5.2.9.3: ISA devices (PIC, PIT, RTC, COM1: dsdt.asl) and an 8042;
	 * no VGA to probe. */
	f.iapc_boot_arch = IAPC_LEGACY_DEVICES | IAPC_8042 | IAPC_VGA_NOT_PRESENT;
	/* PWR_BUTTON stays clear: a fixed-feature power button (PM1 bit 8)
	 * the hypervisor may press.  HW_REDUCED_ACPI stays clear too. */
	f.flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_FIX_RTC |
		  FADT_RESET_REG_SUP | (cfg->pm_tmr_32bit ? FADT_TMR_VAL_EXT : 0);
	f.reset_reg = gas_io(ACPI_GUEST_RESET_PORT, 1, GAS_ACCESS_BYTE);
	f.reset_value = ACPI_GUEST_RESET_VALUE;
	f.minor_version = FADT_MINOR_VERSION;
	/* The X_ blocks repeat the legacy ones; their bit widths must equal
	 * the *_LEN fields or OSes (ACPICA) complain and use the latter.
	 * PM1 registers are 16 bits wide, the timer 32. */
	f.x_pm1a_evt_blk = gas_io(cfg->pm1a_evt_port, ACPI_GUEST_PM1_EVT_LEN,
				  GAS_ACCESS_WORD);
	f.x_pm1a_cnt_blk = gas_io(cfg->pm1a_cnt_port, ACPI_GUEST_PM1_CNT_LEN,
				  GAS_ACCESS_WORD);
	f.x_pm_tmr_blk = gas_io(cfg->pm_tmr_port, ACPI_GUEST_PM_TMR_LEN,
				GAS_ACCESS_DWORD);
	put_table(ram, l->fadt, &f, sizeof(f));
}

static void build_facs(uint8_t *ram, const struct acpi_layout *l)
{
	struct facs f;

	memset(&f, 0, sizeof(f));
	memcpy(f.signature, "FACS", 4);
	f.length = sizeof(f);
	f.version = FACS_VERSION;
	/* No waking vector until the OS sets one for S3 (platform_wake reads
	 * it), and the global lock free. */
	memcpy(ram + l->facs, &f, sizeof(f));
}

static void build_madt(uint8_t *ram, const struct acpi_layout *l,
		       const struct acpi_guest_cfg *cfg)
{
	size_t len = madt_size(cfg->ncpus);
	uint8_t *p = ram + l->madt;
	size_t off = sizeof(struct madt);
	struct madt m;
	struct madt_ioapic io;
	struct madt_iso iso;
	struct madt_lapic_nmi nmi;
	unsigned i;

	memset(&m, 0, sizeof(m));
	header(&m.h, "APIC", (uint32_t)len, MADT_REVISION, cfg);
	m.lapic_address = cfg->lapic_addr;
	m.flags = cfg->have_8259 ? MADT_PCAT_COMPAT : 0;
	memcpy(p, &m, sizeof(m));

	/* One enabled processor per vCPU, UID = APIC ID = vCPU index, the
	 * bootstrap processor first: OSPM starts processors in MADT order
	 * (5.2.12). */
	for (i = 0; i < cfg->ncpus; i++) {
		struct madt_lapic c = {
			.type = MADT_LAPIC,
			.length = sizeof(c),
			.processor_uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = MADT_LAPIC_ENABLED,
		};

		memcpy(p + off, &c, sizeof(c));
		off += sizeof(c);
	}

	memset(&io, 0, sizeof(io));
	io.type = MADT_IOAPIC;
	io.length = sizeof(io);
	io.ioapic_id = cfg->ioapic_id;
	io.address = cfg->ioapic_addr;
	io.gsi_base = 0;
	memcpy(p + off, &io, sizeof(io));
	off += sizeof(io);

	/* 5.2.12.5: the PIT's IRQ 0 arrives on pin 2 (edge, active high as
	 * on ISA); the SCI is level-triggered, and active-high here. */
	memset(&iso, 0, sizeof(iso));
	iso.type = MADT_ISO;
	iso.length = sizeof(iso);
	iso.bus = ISA_BUS;
	iso.source = PIT_IRQ;
	iso.gsi = PIT_GSI;
	iso.flags = INTI_POLARITY_HIGH | INTI_TRIGGER_EDGE;
	memcpy(p + off, &iso, sizeof(iso));
	off += sizeof(iso);

	iso.source = cfg->sci_irq;
	iso.gsi = cfg->sci_irq;
	iso.flags = INTI_POLARITY_HIGH | INTI_TRIGGER_LEVEL;
	memcpy(p + off, &iso, sizeof(iso));
	off += sizeof(iso);

	/* 5.2.12.7: LINT1 of every processor is the NMI input. */
	memset(&nmi, 0, sizeof(nmi));
	nmi.type = MADT_LAPIC_NMI;
	nmi.length = sizeof(nmi);
	nmi.processor_uid = ALL_PROCESSORS;
	nmi.flags = 0;                          /* conforms to the bus */
	nmi.lint = NMI_LINT;
	memcpy(p + off, &nmi, sizeof(nmi));
	off += sizeof(nmi);

	set_checksum(p, off, offsetof(struct sdt_header, checksum));
}

int acpi_build(uint8_t *guest_ram, uint64_t ram_size, uint64_t base,
	       const struct acpi_guest_cfg *cfg, struct acpi_layout *out)
{
	struct acpi_layout l;
	int rc;

	if (!guest_ram)
		return HV_EINVAL;
	rc = acpi_build_layout(base, cfg, &l);
	if (rc)
		return rc;
	if (l.end > ram_size)
		return HV_ERANGE;

	memset(guest_ram + base, 0, (size_t)(l.end - base));
	build_rsdp(guest_ram, &l, cfg);
	build_xsdt_rsdt(guest_ram, &l, cfg);
	build_fadt(guest_ram, &l, cfg);
	build_facs(guest_ram, &l);
	build_madt(guest_ram, &l, cfg);
	build_hpet(guest_ram, &l, cfg);
	/* The DSDT as compiled: its own header and checksum (cfg_check). */
	memcpy(guest_ram + l.dsdt, cfg->dsdt, cfg->dsdt_len);
	if (out)
		*out = l;
	return 0;
}
