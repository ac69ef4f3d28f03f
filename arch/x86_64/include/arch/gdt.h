/* The hypervisor's GDT and TSS, one per CPU.  VM exits load the host
 * selectors and bases from these (SDM Vol. 3C 27.5.2). */
#ifndef ARCH_GDT_H
#define ARCH_GDT_H

#include <hv/types.h>

#define GDT_SEL_CODE 0x08
#define GDT_SEL_DATA 0x10
#define GDT_SEL_TSS  0x18

#define MAX_CPUS 16

/* Interrupt stack table slots (TSS.IST1..): faults that may hit a bad stack. */
#define IST_DOUBLE_FAULT 1
#define IST_NMI          2
#define IST_MACHINE_CHECK 3

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

#define IST_STACK_SIZE 4096

enum {
	GDT_NULL,
	GDT_CODE,
	GDT_DATA,
	GDT_TSS_LO,
	GDT_TSS_HI,
	GDT_ENTRIES
};

/* A CPU's descriptor tables and the stacks its TSS names (in struct pcpu). */
struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES];
	struct tss64 tss;
	uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

void gdt_init_cpu(unsigned cpu);
uint64_t gdt_base(unsigned cpu);
uint64_t tss_base(unsigned cpu);

#endif
