/* Per-CPU GDT with a 64-bit TSS.  The TSS matters twice: its IST stacks let
 * a double fault or NMI print a report even on a broken stack, and VMX
 * requires a usable host TR (SDM Vol. 3C 26.2.3). */
#include <arch/gdt.h>
#include <arch/percpu.h>
#include <hv/string.h>


/* A 16-byte system descriptor for an available 64-bit TSS (type 9),
 * SDM Vol. 3A 7.2.3. */
static void set_tss_desc(uint64_t *gdt, uint64_t base, uint32_t limit)
{
	gdt[GDT_TSS_LO] = (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
			  (0x89ULL << 40) | (((uint64_t)limit >> 16 & 0xf) << 48) |
			  (((base >> 24) & 0xffULL) << 56);
	gdt[GDT_TSS_HI] = base >> 32;
}

static void load_gdt(const struct desc_ptr *p)
{
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 : : "m"(*p), "i"(GDT_SEL_CODE), "r"(GDT_SEL_DATA) : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(GDT_SEL_TSS));
}

void gdt_init_cpu(unsigned cpu)
{
	struct cpu_tables *t = &pcpus[cpu].tables;
	struct desc_ptr p = { sizeof(t->gdt) - 1, (uint64_t)(uintptr_t)t->gdt };

	memset(t, 0, sizeof(*t));
	t->gdt[GDT_CODE] = 0x00af9a000000ffffULL; /* 64-bit code, DPL 0 */
	t->gdt[GDT_DATA] = 0x00cf92000000ffffULL; /* data, DPL 0 */
	for (int i = 0; i < 3; i++)
		t->tss.ist[i] = (uint64_t)(uintptr_t)&t->ist_stacks[i][IST_STACK_SIZE];
	t->tss.iomap_base = sizeof(t->tss); /* no I/O permission bitmap */
	set_tss_desc(t->gdt, (uint64_t)(uintptr_t)&t->tss, sizeof(t->tss) - 1);
	load_gdt(&p);
}

uint64_t gdt_base(unsigned cpu) { return (uint64_t)(uintptr_t)pcpus[cpu].tables.gdt; }
uint64_t tss_base(unsigned cpu) { return (uint64_t)(uintptr_t)&pcpus[cpu].tables.tss; }
