/* Exception handling inside the hypervisor.  Any exception here is a bug
 * (guests' exceptions are handled by VMX, not by this IDT), so the handler
 * reports everything a person needs to find it and stops the CPU: never a
 * silent reset or a reboot loop. */
#include <arch/cpu.h>
#include <arch/gdt.h>
#include <arch/idt.h>
#include <arch/irq.h>
#include <arch/percpu.h>
#include <arch/vmcs.h>
#include <hv/console.h>

#define IDT_VECTORS 256
#define EXCEPTION_VECTORS 32

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

extern const uint64_t isr_table[EXCEPTION_VECTORS];
extern const uint64_t isr_irq_table[][2];    /* vector, stub; ends with 0 */
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

static const char *const exception_names[EXCEPTION_VECTORS] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode", "#NM device not available",
	"#DF double fault", "coprocessor segment overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check", "#XM SIMD exception",
	"#VE virtualization exception", "#CP control protection", "reserved 22", "reserved 23",
	"reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"#HV hypervisor injection", "#VC VMM communication", "#SX security exception", "reserved 31",
};

static uint8_t ist_for(unsigned vector)
{
	switch (vector) {
	case 2: return IST_NMI;
	case 8: return IST_DOUBLE_FAULT;
	case 18: return IST_MACHINE_CHECK;
	}
	return 0;
}

static void set_gate(unsigned vector, uint64_t handler)
{
	struct idt_gate *g = &idt[vector];

	g->offset_lo = handler & 0xffff;
	g->selector = GDT_SEL_CODE;
	g->ist = ist_for(vector);
	g->type_attr = 0x8e; /* present, DPL 0, 64-bit interrupt gate */
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_hi = handler >> 32;
}

void idt_load(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

void idt_init(void)
{
	for (unsigned v = 0; v < EXCEPTION_VECTORS; v++)
		set_gate(v, isr_table[v]);
	for (unsigned i = 0; isr_irq_table[i][0]; i++)
		set_gate((unsigned)isr_irq_table[i][0], isr_irq_table[i][1]);
	idt_load();
}

uint64_t idt_base(void) { return (uint64_t)(uintptr_t)idt; }

void exception_handler(struct exception_frame *f)
{
	const char *name = f->vector < EXCEPTION_VECTORS ? exception_names[f->vector] : "?";

	if (f->vector == NMI_VECTOR) {
		this_cpu()->nmi_seen = true;
		return;
	}
	if (f->vector >= EXCEPTION_VECTORS) {
		host_irq((unsigned)f->vector);
		return;
	}

	console_panic_mode();
	kprintf("\n*** hypervisor exception %lu (%s), error code 0x%lx\n", f->vector, name, f->error);
	kprintf("RIP %04lx:%016lx RFLAGS %016lx CR2 %016lx\n", f->cs, f->rip, f->rflags, read_cr2());
	kprintf("RSP %04lx:%016lx CR0 %016lx CR3 %016lx CR4 %016lx\n", f->ss, f->rsp,
		read_cr0(), read_cr3(), read_cr4());
	kprintf("RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n", f->rsi, f->rdi, f->rbp, f->r8);
	kprintf("R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n", f->r9, f->r10, f->r11, f->r12);
	kprintf("R13 %016lx R14 %016lx R15 %016lx\n", f->r13, f->r14, f->r15);
	kprintf("*** this CPU is stopped\n");
	cpu_halt_forever();
}
