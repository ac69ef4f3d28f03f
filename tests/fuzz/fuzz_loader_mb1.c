/* Fuzz the Multiboot (version 1) loader (src/boot/loader_mb1.c).  Input:
 * a byte for the guest RAM size (1 to 9 MiB, in 32 KiB steps) and which
 * strings to pass, a byte for the command line's length and the command
 * line, then the ELF image (the rest).  The image is a heap block of its
 * exact size and guest RAM is poisoned past its end (fz_ram), so that ASan
 * sees any access outside them.  Checks what loader_mb1.h
 * promises (a failed load leaves RAM untouched: its low part, fuzz.h). */
#include "fuzz.h"

#include <string.h>

#include <hv/errno.h>
#include <hv/loader_mb1.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	uint8_t ram_sel = fz_u8(&f);
	size_t cmd_len = fz_u8(&f);
	char cmdline[256];
	struct guest_mem mem;
	struct mb1_result out;
	char err[96];

	/* 1 MiB (no room for any kernel) to 8 MiB, in 32 KiB steps. */
	mem.size = 0x100000u + (uint64_t)ram_sel * 0x8000u;
	mem.base = fz_ram(mem.size);
	memset(mem.base, FZ_RAM_FILL, FZ_LOW_CHECK);
	cmd_len = fz_bytes(&f, cmdline, cmd_len);
	cmdline[cmd_len < sizeof(cmdline) ? cmd_len : sizeof(cmdline) - 1] = '\0';
	size_t image_len = fz_left(&f);
	uint8_t *image = malloc(image_len ? image_len : 1);
	fz_bytes(&f, image, image_len);

	memset(&out, 0xa5, sizeof(out));
	memset(err, 'x', sizeof(err));
	int rc = mb1_load(&mem, image, image_len, (ram_sel & 1) ? cmdline : NULL,
			  (ram_sel & 2) ? "tinyhv" : NULL, &out, err, sizeof(err));
	FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0) {
		FZ_CHECK(out.info_gpa == MB1_INFO_GPA);
		FZ_CHECK(out.kernel_start >= MB1_KERNEL_MIN);
		FZ_CHECK(out.kernel_start <= out.kernel_end && out.kernel_end <= mem.size);
	} else {
		FZ_CHECK(rc == HV_EINVAL || rc == HV_ERANGE);
		FZ_CHECK(fz_low_untouched(mem.base));
	}
	free(image);
	return 0;
}
