/* Fuzz the builder of the guests' ACPI tables (src/dev/acpi_build.c), and
 * read what it built back with the hypervisor's own ACPI parser
 * (src/boot/acpi.c), as a guest would read it.  Input: the configuration,
 * field by field (struct acpi_guest_cfg: ncpus u16, lapic_addr u32,
 * ioapic_addr u32, ioapic_id u8, the three PM ports u16 each, sci_irq u8,
 * flags u8 (bit 0 have_8259, bit 1 pm_tmr_32bit, bit 2 the harness's own
 * DSDT instead of the built-in one), oem_id 6 bytes), then base u32 and
 * guest RAM size u32 (both taken modulo what the harness has), then, with
 * flag bit 2, the DSDT's bytes (its header's Length and checksum set by
 * the harness to what it got, so that a mutated DSDT is checked beyond
 * them).
 *
 * Checks: a build that fails leaves guest RAM untouched; one that succeeds
 * writes only [base, end), and the parser finds in it the RSDP (the scan
 * of 0xE0000-0xFFFFF, where the hypervisor puts it, when the tables are
 * there), the PM1 control port
 * and, from the MADT, exactly ncpus CPUs with APIC IDs 0.. in order, the
 * I/O APIC and the local APICs' addresses. */
#include "fuzz.h"

#include <hv/acpi.h>
#include <hv/acpi_build.h>
#include <hv/errno.h>

#define RAM_MAX   0x110000u            /* room above 0xE0000 to 1 MiB and past */
#define FILL      0x5a

static const void *map(void *ctx, uint64_t phys, size_t len)
{
	uint64_t size = *(const uint64_t *)ctx;

	if (phys > size || len > size - phys)
		return NULL;
	return fz_ram(RAM_MAX) + phys;
}

static bool filled(const uint8_t *p, size_t len)
{
	static uint8_t fill[RAM_MAX];

	if (fill[0] != FILL)
		memset(fill, FILL, sizeof(fill));
	return memcmp(p, fill, len) == 0;   /* a byte loop: far slower under ASan */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dsdt[4096];
	struct fz f = { data, size };
	struct acpi_guest_cfg cfg;
	struct acpi_layout lay;
	struct acpi_rsdp rsdp;
	struct acpi_cpus cpus;
	struct acpi_pm pm;
	uint64_t base, ram_size;
	uint8_t flags, *ram;
	int rc;

	acpi_guest_cfg_init(&cfg, 1);
	cfg.ncpus = fz_u16(&f);
	cfg.lapic_addr = fz_u32(&f);
	cfg.ioapic_addr = fz_u32(&f);
	cfg.ioapic_id = fz_u8(&f);
	cfg.pm1a_evt_port = fz_u16(&f);
	cfg.pm1a_cnt_port = fz_u16(&f);
	cfg.pm_tmr_port = fz_u16(&f);
	cfg.sci_irq = fz_u8(&f);
	flags = fz_u8(&f);
	cfg.have_8259 = flags & 1;
	cfg.pm_tmr_32bit = flags & 2;
	fz_bytes(&f, cfg.oem_id, 6);
	cfg.oem_id[6] = 0;
	base = fz_u32(&f) % RAM_MAX;
	ram_size = fz_u32(&f) % (RAM_MAX + 1);
	cfg.dsdt = acpi_dsdt_aml;
	cfg.dsdt_len = acpi_dsdt_aml_len;
	if (flags & 4) {
		size_t n = fz_bytes(&f, dsdt, sizeof(dsdt));
		uint8_t sum = 0;

		if (n >= 36) {
			dsdt[4] = (uint8_t)n;              /* Length: what there is */
			dsdt[5] = (uint8_t)(n >> 8);
			dsdt[6] = dsdt[7] = 0;
			dsdt[9] = 0;
			for (size_t i = 0; i < n; i++)
				sum = (uint8_t)(sum + dsdt[i]);
			dsdt[9] = (uint8_t)-sum;
		}
		cfg.dsdt = dsdt;
		cfg.dsdt_len = n;
	}

	ram = fz_ram(RAM_MAX);
	memset(ram, FILL, RAM_MAX);
	rc = acpi_build(ram, ram_size, base, &cfg, &lay);
	if (rc) {
		FZ_CHECK(rc == HV_EINVAL || rc == HV_ERANGE);
		FZ_CHECK(filled(ram, RAM_MAX));
		return 0;
	}
	FZ_CHECK(lay.end > base && lay.end <= ram_size);
	FZ_CHECK(filled(ram, base) && filled(ram + lay.end, RAM_MAX - lay.end));

	/* Read back as a guest would, when the RSDP is where it scans (the
	 * EBDA pointer at 0x40e is the fill: a KiB at 0x5a5a0 is scanned
	 * first, holding the fill or the tables themselves). */
	if (lay.rsdp < 0xe0000 || lay.rsdp >= 0x100000 || ram_size < 0x100000)
		return 0;
	FZ_CHECK(acpi_find_rsdp(map, &ram_size, NULL, 0, &rsdp) == 0);
	FZ_CHECK(rsdp.phys == lay.rsdp);
	FZ_CHECK(acpi_parse_pm(map, &ram_size, &rsdp, &pm) == 0);
	FZ_CHECK(pm.pm1a_cnt == cfg.pm1a_cnt_port);
	FZ_CHECK(acpi_parse_madt(map, &ram_size, &rsdp, &cpus) == 0);
	FZ_CHECK(cpus.count + cpus.dropped == cfg.ncpus);
	for (unsigned i = 0; i < cpus.count; i++)
		FZ_CHECK(cpus.apic_id[i] == i);
	FZ_CHECK(cpus.lapic_addr == cfg.lapic_addr);
	FZ_CHECK(cpus.ioapic_addr == cfg.ioapic_addr);
	return 0;
}
