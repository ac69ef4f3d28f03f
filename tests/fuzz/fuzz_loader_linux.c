/* Fuzz the Linux bzImage loader (src/boot/loader_linux.c).  Input: a byte
 * for the guest RAM size (2 to 33 MiB, plus 12 KiB or not), a byte of
 * flags, a memory map of up to 7 entries, the ACPI RSDP address, the
 * lengths of the command line and the initrd and their bytes, then the
 * bzImage (the rest).  Every buffer is a heap block of its exact size and
 * guest RAM is poisoned past its end (fz_ram), so that ASan sees any
 * access outside them.  Checks what loader_linux.h promises (a
 * failed load leaves RAM untouched: its low part, fuzz.h). */
#include "fuzz.h"

#include <string.h>

#include <hv/errno.h>
#include <hv/loader_linux.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t ram_sel = fz_u8(&f), flags = fz_u8(&f);
	struct linux_e820 e820[7];
	struct linux_boot_cfg cfg = { 0 };
	struct linux_boot_result out;
	struct guest_mem mem;
	char err[96];

	mem.size = 0x200000u + (uint64_t)(ram_sel & 0x1f) * 0x100000u;
	if (ram_sel & 0x20)
		mem.size += 0x3000;   /* not a multiple of 2 MiB, nor of 64 KiB */
	mem.base = fz_ram(mem.size);
	memset(mem.base, FZ_RAM_FILL, FZ_LOW_CHECK);

	cfg.e820_count = flags & 7;
	for (unsigned i = 0; i < cfg.e820_count; i++) {
		e820[i].addr = fz_u32(&f);
		e820[i].size = fz_u32(&f);
		e820[i].type = fz_u8(&f) % 6;
	}
	cfg.e820 = e820;
	cfg.acpi_rsdp = (flags & 8) ? fz_u32(&f) : 0;

	size_t cmd_len = fz_u16(&f) % 0x1400;
	char *cmdline = malloc(cmd_len + 1);
	cmd_len = fz_bytes(&f, cmdline, cmd_len);
	cmdline[cmd_len] = '\0';
	cfg.cmdline = (flags & 0x10) ? cmdline : NULL;

	size_t initrd_len = fz_u16(&f);
	uint8_t *initrd = malloc(initrd_len ? initrd_len : 1);
	initrd_len = fz_bytes(&f, initrd, initrd_len);
	cfg.initrd = (flags & 0x20) ? initrd : NULL;
	cfg.initrd_len = initrd_len;

	cfg.kernel_len = fz_left(&f);
	uint8_t *kernel = malloc(cfg.kernel_len ? cfg.kernel_len : 1);
	fz_bytes(&f, kernel, cfg.kernel_len);
	cfg.kernel = kernel;

	memset(&out, 0xa5, sizeof(out));
	memset(err, 'x', sizeof(err));
	int rc = linux_load(&mem, &cfg, &out, err, sizeof(err));
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0) {
		FZ_CHECK(out.kernel_load >= LINUX_KERNEL_MIN);
		FZ_CHECK(out.kernel_load + cfg.kernel_len <= out.kernel_end ||
			 out.kernel_load < out.kernel_end);
		FZ_CHECK(out.kernel_end <= mem.size);
		FZ_CHECK(out.zero_page == LINUX_ZERO_PAGE_GPA);
		FZ_CHECK(out.cmdline_addr == LINUX_CMDLINE_GPA);
		if (out.initrd_addr) {
			FZ_CHECK(out.initrd_size == initrd_len);
			FZ_CHECK(out.initrd_addr + out.initrd_size <= mem.size);
			/* Clear of the kernel's init_size range. */
			FZ_CHECK(out.initrd_addr >= out.kernel_end ||
				 out.initrd_addr + out.initrd_size <= out.kernel_load);
		}
		FZ_CHECK(out.mapped_end >= mem.size);
	} else {
		FZ_CHECK(rc == HV_EINVAL || rc == HV_ERANGE);
		FZ_CHECK(fz_low_untouched(mem.base));
	}
	free(kernel);
	free(initrd);
	free(cmdline);
	return 0;
}
