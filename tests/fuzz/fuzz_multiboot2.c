/* Fuzz the Multiboot2 information parser (src/boot/multiboot2.c).  Input:
 * the information structure itself.  Its total_size field is set to the
 * input's length (the parser must trust it: it is the loader's word for
 * how much there is), and the structure is a heap block of exactly that
 * many bytes, 8-byte aligned, so that ASan sees any read past it. */
#include "fuzz.h"

#include <string.h>

#include <hv/bootinfo.h>
#include <hv/errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_info bi;

	if (size < 8 || size > 0x100000)
		return 0;
	uint8_t *mbi = malloc(size);   /* malloc's alignment is at least 8 */
	memcpy(mbi, data, size);
	uint32_t total = (uint32_t)size;
	memcpy(mbi, &total, 4);

	int rc = mb2_parse(mbi, &bi);
	FZ_CHECK(rc == 0 || rc == HV_EINVAL);
	if (rc == 0) {
		FZ_CHECK(bi.module_count <= BOOT_MAX_MODULES);
		FZ_CHECK(bi.mmap_count <= BOOT_MAX_MMAP);
		FZ_CHECK(memchr(bi.cmdline, '\0', sizeof(bi.cmdline)) != NULL);
		FZ_CHECK(memchr(bi.loader, '\0', sizeof(bi.loader)) != NULL);
		FZ_CHECK(bi.rsdp_len == 0 || (bi.rsdp_len >= 20 && bi.rsdp_len <= 36));
		for (size_t i = 0; i < bi.module_count; i++)
			FZ_CHECK(bi.modules[i].start <= bi.modules[i].end &&
				 memchr(bi.modules[i].cmdline, '\0', BOOT_NAME_MAX) != NULL);
		(void)boot_ram_bytes(&bi);
	}
	free(mbi);
	return 0;
}
