/* What the hypervisor keeps from the Multiboot2 information structure
 * (Multiboot2 specification, section 3.6).  mb2_parse() copies everything
 * into this structure so that nothing later depends on the loader's memory. */
#ifndef HV_BOOTINFO_H
#define HV_BOOTINFO_H

#include <hv/types.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u

#define BOOT_MAX_MMAP     128
#define BOOT_MAX_MODULES  32
#define BOOT_CMDLINE_MAX  1024
#define BOOT_NAME_MAX     128

/* Multiboot2 memory-map entry types (spec 3.6.8). */
enum mmap_type {
	MMAP_AVAILABLE = 1,
	MMAP_RESERVED = 2,
	MMAP_ACPI_RECLAIMABLE = 3,
	MMAP_NVS = 4,
	MMAP_BADRAM = 5,
};

struct boot_mmap_entry {
	uint64_t base;
	uint64_t len;
	uint32_t type;
};

struct boot_module {
	uint64_t start;            /* physical, inclusive */
	uint64_t end;              /* physical, exclusive */
	char cmdline[BOOT_NAME_MAX]; /* the string after the path in module2 */
};

struct boot_info {
	uint64_t mbi_phys;         /* where the loader put the information */
	uint32_t mbi_size;
	char cmdline[BOOT_CMDLINE_MAX];
	char loader[BOOT_NAME_MAX];
	struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
	size_t mmap_count;
	bool mmap_truncated;
	struct boot_module modules[BOOT_MAX_MODULES];
	size_t module_count;
	bool modules_truncated;
	uint64_t mem_lower_kb, mem_upper_kb; /* basic memory info tag, if any */
	/* A copy of the RSDP from the ACPI old/new tags (Multiboot2 spec 3.6.16/3.6.17). */
	uint8_t rsdp[36];
	size_t rsdp_len;           /* 0: no ACPI tag (BIOS: scan memory) */
	bool efi;                  /* an EFI system-table tag was present */
};

/* Parse the information structure at mbi (total_size first, 8-byte aligned
 * tags, an end tag).  Returns 0, or HV_EINVAL for a malformed structure. */
int mb2_parse(const void *mbi, struct boot_info *out);

/* Total bytes of MMAP_AVAILABLE memory. */
uint64_t boot_ram_bytes(const struct boot_info *bi);

#endif
