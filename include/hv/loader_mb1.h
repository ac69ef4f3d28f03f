/* Guest loader for Multiboot (version 1) kernels, Multiboot Specification
 * 0.6.96: finds the Multiboot header (3.1), loads an ELF32 i386 or ELF64
 * x86-64 executable, or a flat image described by the header's a.out
 * kludge fields, into guest RAM, and builds the Multiboot information
 * structure (3.3) in low guest memory.
 *
 * Pure logic: it only reads the image buffer and writes guest RAM through
 * struct guest_mem, so it is built into the image and into the host unit
 * tests alike.  The image is untrusted: nothing outside the image buffer
 * is read and nothing outside guest RAM is written, whatever it says.  All
 * checks run before the first byte is written, so a failed load leaves
 * guest RAM untouched.
 *
 * Guest-physical layout after a successful load:
 *   [0x0000, 0x1000)   untouched
 *   [0x1000, 0x1074)   struct multiboot_info (116 bytes, spec 3.3)
 *   [0x1100, 0x1160)   memory map, 4 entries of 24 bytes (size = 20 each)
 *   [0x1200, 0x1300)   boot loader name, NUL-terminated
 *   [0x1300, 0x1400)   module structures, 16 bytes each (3.3)
 *   [0x1400, 0x2000)   the modules' strings, NUL-terminated, one after another
 *   [0x2000, 0x8000)   kernel command line, NUL-terminated
 *   [0x8000, 0x9fc00)  untouched: free for the hypervisor (stack, GDT...)
 *   [1 MiB, ...)       the kernel; no part of it may load below 1 MiB;
 *                      then the modules, each from a page boundary
 * The whole of [0x1000, 0x8000) is zeroed first.
 *
 * Machine state the caller must set up (spec 3.2): EAX = MB1_BOOT_MAGIC,
 * EBX = info_gpa, EIP = entry; CS a 32-bit execute/read code segment and
 * DS/ES/FS/GS/SS read/write data segments, all base 0 limit 0xffffffff;
 * A20 enabled; CR0.PE = 1, CR0.PG = 0; EFLAGS.VM = 0, EFLAGS.IF = 0.  ESP,
 * GDTR and IDTR are undefined for the kernel. */
#ifndef HV_LOADER_MB1_H
#define HV_LOADER_MB1_H

#include <hv/types.h>

#define MB1_HEADER_MAGIC 0x1BADB002u   /* in the kernel image (3.1.2) */
#define MB1_BOOT_MAGIC   0x2BADB002u   /* in EAX at entry (3.2) */

/* Where mb1_load() puts the boot information (see the layout above). */
#define MB1_INFO_GPA        0x1000u
#define MB1_MMAP_GPA        0x1100u
#define MB1_LOADER_NAME_GPA 0x1200u
#define MB1_LOADER_NAME_MAX 0x100u    /* bytes including the NUL */
#define MB1_CMDLINE_GPA     0x2000u
#define MB1_CMDLINE_MAX     0x6000u   /* bytes including the NUL */
#define MB1_MODS_GPA        0x1300u
#define MB1_MODS_MAX        16u       /* module structures of 16 bytes */
#define MB1_MOD_STRINGS_GPA 0x1400u
#define MB1_MOD_STRINGS_MAX 0xc00u    /* bytes for all strings, NULs included */
#define MB1_AREA_END        0x8000u
#define MB1_KERNEL_MIN      0x100000u /* lowest address a segment may use */

/* The guest's RAM as the hypervisor sees it: guest-physical address g is
 * base[g] for g < size. */
struct guest_mem {
	uint8_t *base;
	uint64_t size;
};

struct mb1_result {
	uint32_t entry;          /* guest-physical EIP */
	uint32_t info_gpa;       /* for EBX: MB1_INFO_GPA */
	uint64_t kernel_start;   /* guest-physical range the kernel occupies, */
	uint64_t kernel_end;     /* bss included: [kernel_start, kernel_end) */
};

/* A boot module for the kernel (3.3, "mods"): its bytes and its string. */
struct mb1_module {
	const void *data;
	size_t len;
	const char *string;     /* NUL-terminated, may be NULL: "" */
};

/* Load the Multiboot kernel image[0, image_len) into mem and build the
 * boot information.  cmdline and loader_name are NUL-terminated; either
 * may be NULL, and its flag in the information structure is then clear.
 * The image buffer must not overlap guest RAM.
 *
 * Returns 0, HV_ERANGE if the kernel does not fit in guest RAM, or
 * HV_EINVAL for anything else, with a one-line reason in err (always
 * terminated when err_len > 0).  *out is written only on success. */
int mb1_load(const struct guest_mem *mem, const void *image, size_t image_len,
	     const char *cmdline, const char *loader_name,
	     struct mb1_result *out, char *err, size_t err_len);
/* The same with nmods boot modules (at most MB1_MODS_MAX), copied after
 * the kernel, page-aligned, and listed in the information structure
 * (flags bit 3); HV_ERANGE if they do not fit in guest RAM, or their
 * strings in the string area.  The module buffers must not overlap guest
 * RAM. */
int mb1_load_modules(const struct guest_mem *mem, const void *image, size_t image_len,
		     const char *cmdline, const char *loader_name, const struct mb1_module *mods,
		     unsigned nmods, struct mb1_result *out, char *err, size_t err_len);

#endif
