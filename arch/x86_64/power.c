/* Power-off and reset of the physical machine.  Section numbers refer to the
 * ACPI 6.x specification. */
#include <arch/io.h>
#include <arch/power.h>
#include <hv/acpi.h>
#include <hv/console.h>
#include <hv/errno.h>
#include <hv/log.h>

#define PM1_SCI_EN        BIT(0)    /* PM1x_CNT bits (4.8.3.2.1) */
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP_MASK  (7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN        BIT(13)

#define IDENTITY_LIMIT (4ULL << 30)  /* identity-mapped physical memory */

/* Without a calibrated timer, waits are counted in port 0x80 writes, the
 * traditional ~1 us ISA delay; on emulators they are shorter, which is fine
 * since these waits only bound how long we give the hardware to react. */
#define IO_DELAY_PORT   0x80
#define SCI_EN_POLLS    3000000u  /* about 3 s: ACPICA also waits ~3 s */
#define SETTLE_DELAYS   1000000u  /* about 1 s for power-off/reset to land */
#define KBC_POLLS       100000u

#define APM_SHUTDOWN_PORT 0x8900  /* Bochs BIOS / old QEMU shutdown port */
#define RESET_CF9_PORT    0xCF9   /* PCI reset control register */
#define RESET_CF9_HARD    0x06    /* SYS_RST | RST_CPU: full reset */
#define KBC_STATUS_PORT   0x64
#define KBC_INPUT_FULL    0x02
#define KBC_PULSE_RESET   0xFE

static struct acpi_pm pm;
static bool pm_valid;
static struct acpi_rsdp rsdp;
static bool rsdp_valid;

const void *host_phys_map(void *ctx, uint64_t phys, size_t len)
{
	UNUSED(ctx);
	if (len > IDENTITY_LIMIT || phys > IDENTITY_LIMIT - len)
		return NULL;
	return (const void *)(uintptr_t)phys;
}

static void io_delay(uint32_t n)
{
	while (n--)
		outb(IO_DELAY_PORT, 0);
}

static __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* For the log: "yes" only if power_reset() can actually use it. */
static const char *reset_reg_desc(void)
{
	if (!pm.have_reset)
		return "no";
	if (pm.reset_space != ACPI_SPACE_SYSTEM_IO || pm.reset_addr > 0xFFFF)
		return "unsupported";
	return "yes";
}

int power_init(const struct boot_info *bi)
{
	size_t tag_len = bi ? MIN(bi->rsdp_len, sizeof(bi->rsdp)) : 0;
	int rc;

	rc = acpi_find_rsdp(host_phys_map, NULL, tag_len ? bi->rsdp : NULL, tag_len, &rsdp);
	rsdp_valid = rc == 0;
	if (rc == 0)
		rc = acpi_parse_pm(host_phys_map, NULL, &rsdp, &pm);
	if (rc) {
		pr_warn("ACPI: no usable tables (%s); power-off/reset use legacy ports only",
			hv_strerror(rc));
		return rc;
	}
	pm_valid = true;
	if (pm.have_s5)
		pr_info("ACPI: OEM %s rev %u, PM1a_CNT 0x%x, S5 SLP_TYP 0x%x/0x%x, reset reg %s",
			pm.oem_id, pm.revision, pm.pm1a_cnt, pm.slp_typa,
			pm.slp_typb, reset_reg_desc());
	else
		pr_info("ACPI: OEM %s rev %u, PM1a_CNT 0x%x, no S5, reset reg %s",
			pm.oem_id, pm.revision, pm.pm1a_cnt, reset_reg_desc());
	return 0;
}

const struct acpi_rsdp *host_acpi_rsdp(void) { return rsdp_valid ? &rsdp : NULL; }

/* The PM1 registers only obey the OS once the firmware has handed them over
 * from SMI; SCI_EN tells which (FADT SMI_CMD/ACPI_ENABLE, 5.2.9).  GRUB does
 * not do the switch for us. */
static void acpi_enable_mode(void)
{
	uint32_t i;

	if (inw(pm.pm1a_cnt) & PM1_SCI_EN)
		return;
	if (pm.smi_cmd == 0 || pm.smi_cmd > 0xFFFF || pm.acpi_enable == 0)
		return;
	outb((uint16_t)pm.smi_cmd, pm.acpi_enable);
	for (i = 0; i < SCI_EN_POLLS; i++) {
		if (inw(pm.pm1a_cnt) & PM1_SCI_EN)
			return;
		io_delay(1);
	}
	pr_warn("ACPI: firmware did not set SCI_EN; trying S5 anyway");
}

static void pm1_write(uint16_t port, uint16_t slp_typ, uint16_t extra)
{
	uint16_t v = inw(port) & (uint16_t)~(PM1_SLP_TYP_MASK | PM1_SLP_EN);

	outw(port, (uint16_t)(v | ((slp_typ & 7u) << PM1_SLP_TYP_SHIFT) | extra));
}

/* Enter S5 (chapter 16, 7.4.2): SLP_TYPx from \_S5 into PM1a_CNT and
 * PM1b_CNT, then SLP_EN.  Like ACPICA, SLP_TYP is written first and SLP_EN
 * in a second write, since some chipsets want them apart; the other bits are
 * preserved (SCI_EN in particular is owned by the hardware). */
static void acpi_power_off(void)
{
	if (!pm_valid || !pm.have_s5 || pm.pm1a_cnt == 0)
		return;
	acpi_enable_mode();
	pm1_write(pm.pm1a_cnt, pm.slp_typa, 0);
	if (pm.pm1b_cnt)
		pm1_write(pm.pm1b_cnt, pm.slp_typb, 0);
	pm1_write(pm.pm1a_cnt, pm.slp_typa, PM1_SLP_EN);
	if (pm.pm1b_cnt)
		pm1_write(pm.pm1b_cnt, pm.slp_typb, PM1_SLP_EN);
	/* Emulators act on the request asynchronously: give it time before
	 * declaring failure. */
	io_delay(SETTLE_DELAYS);
}

static void apm_power_off(void)
{
	const char *s = "Shutdown";

	while (*s)
		outb(APM_SHUTDOWN_PORT, (uint8_t)*s++);
	io_delay(SETTLE_DELAYS);
}

void power_off(void)
{
	__asm__ volatile("cli");
	pr_info("powering off");
	console_drain();
	acpi_power_off();
	apm_power_off();
	pr_err("power-off failed; halting");
	halt_forever();
}

/* ACPI reset register (4.8.3.6).  Only system I/O space is supported; a
 * memory-space or PCI-config register is left to the fallbacks. */
static void acpi_reset(void)
{
	if (!pm_valid || !pm.have_reset)
		return;
	if (pm.reset_space != ACPI_SPACE_SYSTEM_IO || pm.reset_addr > 0xFFFF)
		return;
	outb((uint16_t)pm.reset_addr, pm.reset_value);
	io_delay(SETTLE_DELAYS);
}

static void kbc_reset(void)
{
	uint32_t i;

	for (i = 0; i < KBC_POLLS && (inb(KBC_STATUS_PORT) & KBC_INPUT_FULL); i++)
		io_delay(1);
	outb(KBC_STATUS_PORT, KBC_PULSE_RESET);
	io_delay(SETTLE_DELAYS);
}

void power_reset(void)
{
	__asm__ volatile("cli");
	pr_info("resetting");
	console_drain();
	acpi_reset();
	outb(RESET_CF9_PORT, RESET_CF9_HARD);
	io_delay(SETTLE_DELAYS);
	kbc_reset();
	pr_err("reset failed; halting");
	halt_forever();
}
