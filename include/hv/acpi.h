/* The little of ACPI the hypervisor needs to switch the machine off or reset
 * it: find the RSDP, walk RSDT/XSDT to the FADT, read the PM1 control and
 * reset registers, and pull SLP_TYPa/b out of the DSDT's \_S5 package.
 * Section numbers refer to the ACPI 6.x specification.
 *
 * Pure parsing: physical memory is reached only through the caller's map
 * callback, so the host unit tests can feed synthetic tables.  Nothing here
 * touches hardware. */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <hv/types.h>

#define ACPI_RSDP_V1_LEN 20   /* ACPI 1.0 RSDP: up to and including RsdtAddress */
#define ACPI_RSDP_V2_LEN 36   /* ACPI 2.0+ RSDP with Length/XsdtAddress */

/* Return a pointer through which len bytes at physical address phys can be
 * read, or NULL when they cannot.  Every pointer handed out must stay valid
 * until the acpi_* call that asked for it returns. */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t phys, size_t len);

/* A validated copy of the RSDP (5.2.5.3). */
struct acpi_rsdp {
	uint8_t bytes[ACPI_RSDP_V2_LEN];
	size_t len;            /* 20 (revision 0) or 36 (revision >= 2) */
	uint64_t phys;         /* where it was found; 0 if from the loader's tag */
};

/* Generic Address Structure address space IDs (5.2.3.2). */
#define ACPI_SPACE_SYSTEM_MEMORY 0
#define ACPI_SPACE_SYSTEM_IO     1

/* What power-off and reset need, from the FADT (5.2.9) and \_S5 (7.4.2). */
struct acpi_pm {
	uint16_t pm1a_cnt, pm1b_cnt;   /* I/O ports; pm1b_cnt 0 if absent */
	uint16_t slp_typa, slp_typb;   /* \_S5 values for PM1x_CNT.SLP_TYP */
	uint32_t smi_cmd;              /* 0: no legacy-mode switch */
	uint8_t acpi_enable;           /* value to write to smi_cmd */
	bool have_s5;                  /* slp_typa/b are valid */
	uint8_t reset_space;           /* ACPI_SPACE_* of the reset register */
	uint64_t reset_addr;
	uint8_t reset_value;
	bool have_reset;               /* FADT advertises RESET_REG_SUP */
	char oem_id[7];                /* RSDP OEMID, trailing blanks removed */
	uint8_t revision;              /* RSDP revision: 0 = ACPI 1.0, 2 = 2.0+ */
};

/* Find the RSDP.  If the loader gave a copy (Multiboot2 ACPI old/new tag,
 * tag_len > 0) only that copy is considered, since UEFI machines have no
 * BIOS area to scan; otherwise the EBDA's first KiB and 0xE0000-0xFFFFF are
 * scanned (5.2.5.1).  Returns 0, HV_EINVAL for a bad tag copy, or HV_ENOENT
 * when the scan finds nothing. */
int acpi_find_rsdp(acpi_map_fn map, void *ctx, const uint8_t *tag,
		   size_t tag_len, struct acpi_rsdp *out);

/* Walk XSDT (or RSDT) to the FADT and fill *out.  A DSDT without a usable
 * \_S5 package is not an error: out->have_s5 is false then.  Returns 0,
 * HV_EINVAL for malformed or unreachable tables, or HV_ENOENT when there is
 * no FADT. */
int acpi_parse_pm(acpi_map_fn map, void *ctx, const struct acpi_rsdp *rsdp,
		  struct acpi_pm *out);

/* The interrupt controllers of the machine from the MADT (5.2.12): the
 * APIC IDs of the Processor Local APIC and x2APIC structures that are
 * enabled or online capable, in table order (firmware lists the boot CPU
 * first); the first I/O APIC; where each ISA IRQ goes (Interrupt Source
 * Overrides, 5.2.12.5; without one, IRQ n is GSI n, edge, active high). */
#define ACPI_MAX_CPUS 64
#define ACPI_ISA_IRQS 16
#define ACPI_IRQ_ACTIVE_LOW BIT(0)
#define ACPI_IRQ_LEVEL      BIT(1)
struct acpi_cpus {
	uint32_t apic_id[ACPI_MAX_CPUS];
	unsigned count;
	unsigned dropped;              /* beyond ACPI_MAX_CPUS: counted, not kept */
	uint64_t lapic_addr;           /* the local APICs' MMIO base */
	uint64_t ioapic_addr;          /* the first I/O APIC's MMIO base; 0: none */
	uint32_t ioapic_gsi_base;      /* the GSI of its pin 0 */
	uint32_t isa_gsi[ACPI_ISA_IRQS];
	uint8_t isa_flags[ACPI_ISA_IRQS]; /* ACPI_IRQ_* */
};

/* Returns 0, HV_EINVAL for malformed tables, HV_ENOENT without a MADT or
 * with no usable CPU in it. */
int acpi_parse_madt(acpi_map_fn map, void *ctx, const struct acpi_rsdp *rsdp,
		    struct acpi_cpus *out);

/* Find "Name(\_S5, Package() {a, b, ...})" in an AML byte stream and decode
 * the first two elements.  Returns 0, HV_ENOENT when there is no such
 * definition, or HV_EINVAL when every candidate is malformed. */
int acpi_aml_find_s5(const uint8_t *aml, size_t len, uint16_t *slp_typa,
		     uint16_t *slp_typb);
/* The same for \_S<state> (0-5). */
int acpi_aml_find_sleep(const uint8_t *aml, size_t len, unsigned state, uint16_t *slp_typa,
			uint16_t *slp_typb);

#endif
