/* ACPI tables for a guest: RSDP, XSDT, RSDT, FADT, FACS, MADT and the DSDT
 * compiled from firmware/acpi/dsdt.asl, written into the guest's RAM so that
 * a stock OS (Debian's Linux kernel) finds its CPUs, the I/O APIC and the
 * ISA interrupt overrides, and uses the PM1a registers for S5 power-off and
 * the reset register for reboot.  Section numbers refer to the ACPI 6.x
 * specification (chapter 5; the tables claim ACPI 6.0).
 *
 * Pure logic: it writes a caller-provided buffer and touches no hardware,
 * so it compiles into the image and into the host unit tests.
 *
 * What the tables promise, and the device models must therefore emulate
 * (see the ACPI_GUEST_* constants below):
 *   - PM1a_EVT_BLK (4 ports): PM1_STS (2 bytes, write 1 to clear) then
 *     PM1_EN (2 bytes).  PM1_EN must read back what was written: Linux
 *     enables the global-lock, power-button and timer events and checks the
 *     bit stuck (4.8.3.1).  No PM1b blocks, no GPE blocks.
 *   - PM1a_CNT_BLK (2 ports): SCI_EN (bit 0) always reads 1, as there is no
 *     SMI_CMD port to switch modes (5.2.9, 4.8.3.2.1).  A write with SLP_EN
 *     (bit 13) set and SLP_TYP (bits 12:10) = ACPI_GUEST_SLP_TYP_S5 powers
 *     the VM off.
 *   - PM_TMR_BLK (4 ports): a free-running counter at ACPI_PM_TMR_HZ,
 *     24 bits wide (32 when cfg->pm_tmr_32bit) (4.8.3.3).
 *   - the reset register: byte ACPI_GUEST_RESET_VALUE written to system I/O
 *     port ACPI_GUEST_RESET_PORT resets the VM (4.8.3.6).
 *   - the fixed power button (FADT PWR_BUTTON clear): setting PM1_STS bit 8
 *     and raising the SCI asks the guest to shut down; never doing so is
 *     fine.  There is no fixed sleep button and no RTC wake status.
 *   - the SCI on ISA IRQ sci_irq, level-triggered active-high (MADT
 *     override), the PIT's IRQ 0 on I/O APIC pin 2, the other ISA IRQs on
 *     the pins of their number; a PIC, PIT, RTC, 8042 and 16550 COM1 at
 *     their ISA ports (dsdt.asl), and a PCI host bridge on bus 0 whose
 *     32-bit MMIO window is 0xC0000000-0xFEBFFFFF: guest RAM must end
 *     below it.
 *   - vCPU i has initial APIC ID i (and ACPI processor UID i); vCPU 0 is the
 *     bootstrap processor.
 *
 * Guest-physical layout, from base (16-byte aligned; each table 16-byte
 * aligned, the FACS 64-byte aligned): RSDP (36 bytes), XSDT (52), RSDT (44),
 * FADT (276), FACS (64), MADT (82 + 8 per CPU), DSDT (as compiled, about
 * 400 bytes).  With base 0xE0000 and 4 CPUs: RSDP 0xE0000, XSDT 0xE0030,
 * RSDT 0xE0070, FADT 0xE00A0, FACS 0xE01C0, MADT 0xE0200, DSDT 0xE0280,
 * end about 0xE0410; with 255 CPUs it all still ends below 0xE1000.
 * With base in 0xE0000-0xFFFFF an OS finds the RSDP by scanning (5.2.5.1);
 * elsewhere the loader must hand it over (Multiboot2 ACPI tag, Linux
 * boot_params.acpi_rsdp_addr).  The caller reports [base, end) to the guest
 * as reserved (or ACPI) memory in its memory map. */
#ifndef HV_ACPI_BUILD_H
#define HV_ACPI_BUILD_H

#include <hv/types.h>

/* ---- The contract with the device models ----------------------------------- */

#define ACPI_GUEST_PM1_EVT_LEN 4   /* FADT PM1_EVT_LEN: PM1_STS + PM1_EN */
#define ACPI_GUEST_PM1_CNT_LEN 2   /* FADT PM1_CNT_LEN */
#define ACPI_GUEST_PM_TMR_LEN  4   /* FADT PM_TMR_LEN */

/* PM1_STS/PM1_EN bit of the fixed power button (4.8.3.1). */
#define ACPI_PM1_PWRBTN         (1u << 8)

/* PM1 control bits (4.8.3.2.1). */
#define ACPI_PM1_CNT_SCI_EN         (1u << 0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT  10
#define ACPI_PM1_CNT_SLP_TYP_MASK   (7u << 10)
#define ACPI_PM1_CNT_SLP_EN         (1u << 13)

/* SLP_TYP of \_S5 in firmware/acpi/dsdt.asl: writing
 * (ACPI_GUEST_SLP_TYP_S5 << ACPI_PM1_CNT_SLP_TYP_SHIFT) | ACPI_PM1_CNT_SLP_EN
 * to PM1a_CNT means "power off".  tests/unit/test_acpi_build.c checks that
 * the compiled DSDT agrees. */
#define ACPI_GUEST_SLP_TYP_S5   5
/* SLP_TYP of \_S3 (suspend to RAM), as on PIIX4-like PCs (Bochs, QEMU). */
#define ACPI_GUEST_SLP_TYP_S3   1

/* FADT RESET_REG and RESET_VALUE (5.2.9, 4.8.3.6): the PIIX/ICH reset
 * control register, "full reset + reset CPU". */
#define ACPI_GUEST_RESET_PORT   0xCF9
#define ACPI_GUEST_RESET_VALUE  0x06

#define ACPI_PM_TMR_HZ          3579545u   /* 4.8.3.3 */

/* Defaults acpi_guest_cfg_init() fills in. */
#define ACPI_GUEST_LAPIC_ADDR   0xFEE00000u
#define ACPI_GUEST_IOAPIC_ADDR  0xFEC00000u
#define ACPI_GUEST_HPET_ADDR    0xFED00000u
#define ACPI_GUEST_HPET_ID      0x8086a201u     /* its capabilities' low dword */
#define ACPI_GUEST_PM1A_EVT     0x600
#define ACPI_GUEST_PM1A_CNT     0x604
#define ACPI_GUEST_PM_TMR       0x608
#define ACPI_GUEST_SCI_IRQ      9
#define ACPI_GUEST_TABLES_BASE  0xE0000u   /* in the area OSes scan */

/* APIC IDs 0-254 fit the MADT's Processor Local APIC entries; 255 is the
 * xAPIC broadcast ID.  More would need x2APIC entries (and, for Linux,
 * interrupt remapping). */
#define ACPI_BUILD_MAX_CPUS 255

/* ---- Building ------------------------------------------------------------------ */

struct acpi_guest_cfg {
	unsigned ncpus;             /* 1..ACPI_BUILD_MAX_CPUS */
	uint32_t lapic_addr;        /* local APIC base, MADT */
	uint32_t ioapic_addr;       /* the one I/O APIC: GSIs from 0 */
	uint8_t ioapic_id;
	uint32_t hpet_addr;         /* the HPET's registers, the HPET table */
	uint32_t hpet_id;           /* its Event Timer Block ID */
	uint16_t pm1a_evt_port;     /* ACPI_GUEST_PM1_EVT_LEN ports */
	uint16_t pm1a_cnt_port;     /* ACPI_GUEST_PM1_CNT_LEN ports */
	uint16_t pm_tmr_port;       /* ACPI_GUEST_PM_TMR_LEN ports */
	uint8_t sci_irq;            /* ISA IRQ 1-15 but 2 (the PIT's pin) */
	bool have_8259;             /* MADT PCAT_COMPAT: a dual 8259 exists */
	bool pm_tmr_32bit;          /* FADT TMR_VAL_EXT: 32-bit PM timer */
	const uint8_t *dsdt;        /* a whole DSDT, header included: */
	size_t dsdt_len;            /*   normally acpi_dsdt_aml[] */
	char oem_id[7];             /* OEMID of the tables; "" = "TINYHV" */
};

/* Where acpi_build() puts each structure (guest-physical addresses). */
struct acpi_layout {
	uint64_t rsdp, xsdt, rsdt, fadt, facs, madt, hpet, dsdt;
	uint64_t end;               /* first byte after the DSDT */
};

/* The DSDT compiled from firmware/acpi/dsdt.asl by iasl at build time
 * (a generated file in the build directory). */
extern const uint8_t acpi_dsdt_aml[];
extern const size_t acpi_dsdt_aml_len;

/* The defaults above for ncpus vCPUs: 8259 present, 24-bit PM timer, no
 * DSDT (the caller points dsdt at acpi_dsdt_aml[] or its own). */
void acpi_guest_cfg_init(struct acpi_guest_cfg *cfg, unsigned ncpus);

/* Validate cfg and compute where the tables go from base, without writing
 * anything.  Returns 0; HV_EINVAL for a NULL argument, a base that is not
 * 16-byte aligned, or a bad cfg (no CPU, a zero address or port, ports
 * running past 0xFFFF, an SCI IRQ that is not an ISA IRQ usable for it, a
 * DSDT whose signature, Length or checksum is wrong); HV_ERANGE for too
 * many CPUs or tables that would not end below 4 GiB (the RSDT and FADT
 * hold 32-bit pointers). */
int acpi_build_layout(uint64_t base, const struct acpi_guest_cfg *cfg,
		      struct acpi_layout *out);

/* Write the tables at guest-physical base into guest_ram, the guest's RAM
 * as the hypervisor sees it (guest_ram[0] is guest-physical 0, ram_size
 * bytes), with correct checksums.  [base, layout.end) is overwritten and
 * nothing else.  out (may be NULL) receives the layout; out->rsdp is the
 * address to hand to the guest.  Returns 0, the errors of
 * acpi_build_layout(), HV_EINVAL for a NULL guest_ram, or HV_ERANGE when
 * the tables do not fit in ram_size. */
int acpi_build(uint8_t *guest_ram, uint64_t ram_size, uint64_t base,
	       const struct acpi_guest_cfg *cfg, struct acpi_layout *out);

#endif
