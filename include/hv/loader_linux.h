/* Guest loader for Linux bzImage kernels, entered through the 64-bit boot
 * protocol (Linux Documentation/arch/x86/boot.rst, "The Linux/x86 Boot
 * Protocol", sections "The Real-Mode Kernel Header", "Loading The Rest of
 * The Kernel" and "64-bit Boot Protocol"; zero-page.rst for struct
 * boot_params).
 *
 * It checks the setup header, copies the protected-mode kernel to its
 * preferred load address, places the initrd high, and builds in low guest
 * memory everything the 64-bit entry needs: the zero page (struct
 * boot_params), the command line, identity page tables and a GDT.
 *
 * Pure logic: it only reads the caller's buffers and writes guest RAM
 * through struct guest_mem, so it is built into the image and into the
 * host unit tests alike.  The kernel image is untrusted: nothing outside
 * it is read and nothing outside guest RAM is written, whatever its header
 * says.  All checks run before the first byte is written, so a failed load
 * leaves guest RAM untouched.
 *
 * Guest-physical layout after a successful load (fixed; below the EBDA at
 * 0x9fc00 and the 0xa0000-0xfffff hole):
 *   [0x00000, 0x01000)  untouched (real-mode IVT and BIOS data area)
 *   [0x01000, 0x01020)  GDT: null, null, __BOOT_CS 0x10, __BOOT_DS 0x18
 *   [0x02000, 0x03000)  boot stack (RSP = 0x3000)
 *   [0x03000, 0x04000)  zero page, struct boot_params (4 KiB)
 *   [0x04000, 0x05000)  kernel command line, NUL-terminated
 *   [0x05000, 0x06000)  PML4
 *   [0x06000, 0x07000)  PDPT
 *   [0x07000, ...)      one page directory per GiB mapped, 4 to 64 of them
 *                       (ends at 0x47000 at most)
 *   [pref_address, +init_size)  the kernel (16 MiB for x86-64 defaults)
 *   below min(initrd_addr_max + 1, RAM end), page aligned: the initrd,
 *                       clear of the kernel's init_size range
 * [0x1000, end of the last page directory) is zeroed first.
 *
 * The identity map covers [0, mapped_end) with 2 MiB pages, mapped_end
 * being guest RAM rounded up to a GiB, at least 4 GiB (the local APIC and
 * I/O APIC live just below 4 GiB) and at most 64 GiB.  Everything the
 * loader places lies below 4 GiB, so it is always mapped, as the 64-bit
 * protocol requires for the kernel's init_size range, the zero page and
 * the command line.
 *
 * Machine state the caller must set up (boot.rst "64-bit Boot Protocol"):
 * 64-bit mode with paging: CR0.PE and CR0.PG, CR4.PAE, EFER.LME and LMA,
 * CR3 = cr3; GDTR = {gdt_base, gdt_limit}; CS = LINUX_BOOT_CS (access
 * rights LINUX_BOOT_CS_AR), DS = ES = SS = FS = GS = LINUX_BOOT_DS
 * (LINUX_BOOT_DS_AR), all base 0 and limit 0xffffffff; RFLAGS = 0x2
 * (interrupts disabled); RSI = zero_page, RSP = rsp, RIP = entry64; the
 * other general registers zero (the 32-bit protocol asks that of EBP, EDI
 * and EBX; it costs nothing here). */
#ifndef HV_LOADER_LINUX_H
#define HV_LOADER_LINUX_H

#include <hv/loader_mb1.h>   /* struct guest_mem */
#include <hv/types.h>

/* Where linux_load() puts things (see the layout above). */
#define LINUX_GDT_GPA       0x1000u
#define LINUX_GDT_LIMIT     0x1fu      /* 4 descriptors, minus one */
#define LINUX_STACK_TOP     0x3000u
#define LINUX_ZERO_PAGE_GPA 0x3000u
#define LINUX_CMDLINE_GPA   0x4000u
#define LINUX_CMDLINE_MAX   0x1000u    /* bytes including the NUL */
#define LINUX_PML4_GPA      0x5000u
#define LINUX_PDPT_GPA      0x6000u
#define LINUX_PD_GPA        0x7000u
#define LINUX_MAP_MIN_GIB   4u
#define LINUX_MAP_MAX_GIB   64u
#define LINUX_AREA_END      (LINUX_PD_GPA + LINUX_MAP_MAX_GIB * 0x1000u)
#define LINUX_KERNEL_MIN    0x100000u  /* nothing loads below 1 MiB */

/* boot.rst "64-bit Boot Protocol": the selectors the kernel expects, and
 * what the GDT holds for them: a 64-bit execute/read code segment and a
 * flat 4 GiB read/write data segment, both with the accessed bit set so
 * that loading them never writes the GDT.  The *_AR values are the same
 * descriptors as VMCS guest access rights. */
#define LINUX_BOOT_CS       0x10u
#define LINUX_BOOT_DS       0x18u
#define LINUX_GDT_CODE64    0x00af9b000000ffffULL
#define LINUX_GDT_DATA      0x00cf93000000ffffULL
#define LINUX_BOOT_CS_AR    0xa09bu
#define LINUX_BOOT_DS_AR    0xc093u

/* zero-page.rst: e820_table holds at most 128 entries. */
#define LINUX_E820_MAX      128u
#define LINUX_E820_RAM      1u
#define LINUX_E820_RESERVED 2u
#define LINUX_E820_ACPI     3u
#define LINUX_E820_NVS      4u
#define LINUX_E820_UNUSABLE 5u

struct linux_e820 {
	uint64_t addr, size;
	uint32_t type;           /* LINUX_E820_* */
};

struct linux_boot_cfg {
	const void *kernel;      /* the bzImage file */
	size_t kernel_len;
	const void *initrd;      /* NULL or initrd_len 0: no initrd */
	size_t initrd_len;
	const char *cmdline;     /* NULL: the empty command line */
	/* The memory map for the kernel; e820_count 0 gives the PC default
	 * for guest RAM: [0, 0x9fc00) RAM, [0x9fc00, 0xa0000) and [0xf0000,
	 * 1 MiB) reserved, [1 MiB, RAM end) RAM.  RAM entries must lie
	 * inside guest RAM. */
	const struct linux_e820 *e820;
	unsigned e820_count;
	uint64_t acpi_rsdp;      /* boot_params.acpi_rsdp_addr; 0: none */
};

struct linux_boot_result {
	uint64_t entry64;        /* RIP: kernel_load + 0x200 (startup_64) */
	uint64_t zero_page;      /* RSI: LINUX_ZERO_PAGE_GPA */
	uint64_t rsp;            /* LINUX_STACK_TOP */
	uint64_t cr3;            /* the PML4: LINUX_PML4_GPA */
	uint64_t gdt_base;       /* LINUX_GDT_GPA; limit LINUX_GDT_LIMIT */
	uint64_t mapped_end;     /* the identity map covers [0, mapped_end) */
	uint64_t kernel_load;    /* where the protected-mode code was copied */
	uint64_t kernel_end;     /* end of the init_size range it may use */
	uint64_t initrd_addr;    /* 0 if none */
	uint64_t initrd_size;
	uint64_t cmdline_addr;   /* LINUX_CMDLINE_GPA */
	uint16_t protocol;       /* boot protocol version, e.g. 0x020f */
};

/* Load the bzImage cfg->kernel into mem and build the 64-bit boot state
 * described above.  The caller's buffers (kernel, initrd, command line,
 * memory map) must not lie in guest RAM.
 *
 * Returns 0; HV_ERANGE if guest RAM is too small (or an e820 RAM entry
 * lies outside it); HV_EINVAL for anything else (a malformed or
 * unsupported image, bad arguments); with a one-line reason in err
 * (always terminated when err_len > 0).  *out is written only on
 * success. */
int linux_load(const struct guest_mem *mem, const struct linux_boot_cfg *cfg,
	       struct linux_boot_result *out, char *err, size_t err_len);

#endif
