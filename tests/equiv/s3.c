/* tests/equiv/s3.c: the RTC alarm (MC146818A datasheet, "Alarm") and ACPI
 * S3, suspend to RAM (ACPI 6.5, 7.4.2.4 and 16.1.3), as an OS uses them:
 * the ACPI tables found from the RSDP, \_S3 read from the DSDT, the alarm
 * interrupt through the I/O APIC, then the sleep: the waking vector in the
 * FACS, RTC_EN and an alarm every second as the wake source, SLP_TYP and
 * SLP_EN written to PM1a_CNT.  The wake comes to a real-mode stub (copied
 * below 1 MiB) that records what it finds and goes back to 64-bit mode;
 * then the state the wake left: CR0, FLAGS, EFER, memory, the RTC, the
 * PM1 registers and the devices that lost power.  Times are relations
 * (bare Bochs wakes at once, tinyhv at the alarm). */
#include "equiv.h"

const char eq_area[] = "s3";

#define WAKE_BASE 0x20000ul  /* the stub: real mode at 2000:0000 */
#define IOAPIC 0xfec00000ul
#define APIC 0xfee00000ul
#define HPET 0xfed00000ul
#define VEC 0x58
#define PM1_STS_RTC 0x0400
#define PM1_CNT_SLP_EN 0x2000

/* ---- ACPI tables (ACPI 6.5, 5.2) --------------------------------------- */

struct acpi {
	uint32_t fadt, facs, dsdt;
	uint16_t pm1a_evt, pm1a_cnt;
	int s3_type;
};

static bool sig(uint64_t a, const char *s)
{
	const char *p = (const char *)a;

	for (; *s; s++, p++)
		if (*p != *s)
			return false;
	return true;
}

static uint32_t rd32(uint64_t a) { return *(volatile uint32_t *)a; }

/* The RSDP on a 16-byte boundary in the BIOS area (5.2.5.1). */
static uint64_t find_rsdp(void)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (sig(a, "RSD PTR "))
			return a;
	return 0;
}

/* The package of Name(_S3, Package() {a, ...}) in AML: PackageOp, a
 * one-byte PkgLength, NumElements, then a as ZeroOp, OneOp or
 * BytePrefix n (20.2.3, 20.2.5.4). */
static int s3_type(uint32_t dsdt)
{
	uint32_t len = rd32(dsdt + 4);
	const uint8_t *p = (const uint8_t *)(uint64_t)dsdt;

	for (uint32_t i = 36; i + 8 < len; i++) {
		if (p[i - 1] != 0x08 || !sig((uint64_t)(p + i), "_S3_") || p[i + 4] != 0x12)
			continue;
		switch (p[i + 7]) {
		case 0x00: return 0;
		case 0x01: return 1;
		case 0x0a: return p[i + 8];
		default: return -1;
		}
	}
	return -1;
}

static bool find_acpi(struct acpi *a)
{
	uint64_t rsdp = find_rsdp();
	uint32_t rsdt, n;

	if (!rsdp)
		return false;
	rsdt = rd32(rsdp + 16);
	n = (rd32(rsdt + 4) - 36) / 4;
	a->fadt = 0;
	for (uint32_t i = 0; i < n; i++)
		if (sig(rd32(rsdt + 36 + 4 * i), "FACP"))
			a->fadt = rd32(rsdt + 36 + 4 * i);
	if (!a->fadt)
		return false;
	a->facs = rd32(a->fadt + 36);
	a->dsdt = rd32(a->fadt + 40);
	a->pm1a_evt = (uint16_t)rd32(a->fadt + 56);
	a->pm1a_cnt = (uint16_t)rd32(a->fadt + 64);
	a->s3_type = s3_type(a->dsdt);
	return true;
}

/* ---- the RTC ------------------------------------------------------------- */

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

/* Seconds since midnight (BCD or binary, as register B says; 24-hour). */
static unsigned rtc_bcd(uint8_t v) { return (cmos(0x0b) & 4) ? v : (v >> 4) * 10u + (v & 15); }

static unsigned rtc_seconds(void)
{
	while (cmos(0x0a) & 0x80)
		;
	return rtc_bcd(cmos(4)) * 3600 + rtc_bcd(cmos(2)) * 60 + rtc_bcd(cmos(0));
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC = reg;
	*(volatile uint32_t *)(IOAPIC + 0x10) = v;
}

static uint32_t ioapic_read(unsigned reg)
{
	*(volatile uint32_t *)IOAPIC = reg;
	return *(volatile uint32_t *)(IOAPIC + 0x10);
}

static volatile unsigned interrupts;
static volatile uint8_t last_c;

static void rtc_handler(struct eq_frame *f)
{
	(void)f;
	interrupts++;
	last_c = cmos(0x0c);                        /* releases IRQ 8 */
	*(volatile uint32_t *)(APIC + 0xb0) = 0;    /* EOI */
}

static void wait_interrupt(unsigned limit_s)
{
	unsigned start = rtc_seconds();

	while (!interrupts && (rtc_seconds() + 86400 - start) % 86400 <= limit_s)
		asm volatile("sti\n\tnop\n\tnop\n\tcli" : : : "memory");
}

/* The alarm: AF and, with AIE, IRQ 8 (I/O APIC input 8, edge, as the
 * MADT of both machines leaves ISA IRQ 8). */
static void alarm(void)
{
	unsigned now, when, first;

	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	*(volatile uint32_t *)(APIC + 0xf0) = 0x1ff;
	eq_set_handler(VEC, rtc_handler);
	ioapic_write(0x10 + 2 * 8 + 1, 0);
	ioapic_write(0x10 + 2 * 8, VEC);

	cmos_write(0x0b, 0x02);                     /* 24-hour, BCD, no interrupts */
	(void)cmos(0x0c);
	cmos_write(0x01, 0xc0);
	cmos_write(0x03, 0xc0);
	cmos_write(0x05, 0xc0);                     /* every second */
	eq("RTC alarm bytes written => read back %#x %#x %#x", cmos(0x01), cmos(0x03), cmos(0x05));
	interrupts = 0;
	cmos_write(0x0b, 0x22);                     /* AIE */
	wait_interrupt(3);
	eq("alarm every second, AIE => an interrupt: %s, register C's IRQF and AF: %#x",
	   interrupts ? "yes" : "no", last_c & 0xa0);
	cmos_write(0x0b, 0x02);
	(void)cmos(0x0c);

	/* A fixed second, two ahead: not before it, then AF without AIE. */
	now = rtc_seconds();
	when = (now + 2) % 60;
	cmos_write(0x01, (uint8_t)((cmos(0x0b) & 4) ? when : (when / 10) << 4 | when % 10));
	(void)cmos(0x0c);
	eq("alarm at second now + 2, no AIE, at once => AF: %#x", cmos(0x0c) & 0x20);
	while ((rtc_seconds() + 86400 - now) % 86400 < 3)
		;
	first = cmos(0x0c) & 0x20;
	eq("the same, three seconds on => AF: %#x, then after the read: %#x", first,
	   cmos(0x0c) & 0x20);
	eq_set_handler(VEC, 0);
	ioapic_write(0x10 + 2 * 8, 1u << 16);
}

/* ---- the sleep ----------------------------------------------------------- */

/* What the wake stub found (filled in real mode, at WAKE_BASE + offset). */
struct wake {
	uint16_t gdtr_limit;
	uint32_t gdtr_base;
	uint16_t cs, flags;
	uint32_t cr0, efer;
} __attribute__((packed));

extern const uint8_t s3_rm_start[], s3_rm_end[], s3_rm_data[];
extern void s3_sleep32(void);
uint32_t s3_esp, s3_cr4, s3_woke;
uint16_t s3_port, s3_value;

/* s3_sleep32, in 32-bit protected mode with paging off (eq_legacy_call),
 * writes PM1a_CNT; natively the machine resets and the BIOS jumps to the
 * waking vector, under tinyhv the vCPU stops until the wake.  If neither
 * happens it returns with s3_woke 0.  The stub, in real mode at 2000:0000,
 * records CS, FLAGS, CR0 and EFER, loads the GDT and far-jumps to
 * s3_back32 in 32-bit protected mode, which returns on the saved stack
 * with CR4 as it was (eq_legacy_call turns paging and IA-32e mode on). */
#define S3_OFF(l) "(" #l " - s3_rm_start)"
asm(".pushsection .text\n"
    ".code32\n"
    ".global s3_sleep32\n"
    "s3_sleep32:\n"
    "	mov %esp, s3_esp\n"
    "	mov %cr4, %eax\n"
    "	mov %eax, s3_cr4\n"
    "	movl $0, s3_woke\n"
    "	mov s3_port, %dx\n"
    "	mov s3_value, %ax\n"
    "	wbinvd\n"                          /* 16.1.3.3: caches flushed */
    "	out %ax, %dx\n"
    "	mov $100000000, %ecx\n"
    "1:	dec %ecx\n"
    "	jnz 1b\n"
    "	ret\n"
    ".global s3_back32\n"
    "s3_back32:\n"
    "	mov $0x10, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %es\n"
    "	mov %ax, %ss\n"
    "	mov %ax, %fs\n"
    "	mov %ax, %gs\n"
    "	mov s3_cr4, %eax\n"
    "	mov %eax, %cr4\n"
    "	mov s3_esp, %esp\n"
    "	movl $1, s3_woke\n"
    "	ret\n"

    ".code16\n"
    ".balign 16\n"
    ".global s3_rm_start\n"
    "s3_rm_start:\n"
    "	mov %cs, %ax\n"
    "	mov %ax, %ds\n"
    "	mov %ax, %ss\n"
    "	mov $0xfff0, %sp\n"
    "	mov %ax, " S3_OFF(s3_rm_cs) "\n"
    "	pushf\n"
    "	popw " S3_OFF(s3_rm_flags) "\n"
    "	cli\n"
    "	mov %cr0, %eax\n"
    "	mov %eax, " S3_OFF(s3_rm_cr0) "\n"
    "	mov $0xc0000080, %ecx\n"
    "	rdmsr\n"
    "	mov %eax, " S3_OFF(s3_rm_efer) "\n"
    "	lgdtl " S3_OFF(s3_rm_data) "\n"
    "	mov %cr0, %eax\n"
    "	and $0x9fffffff, %eax\n"            /* caching on, as before */
    "	or $1, %eax\n"
    "	mov %eax, %cr0\n"
    "	ljmpl $0x38, $s3_back32\n"
    ".balign 4\n"
    ".global s3_rm_data\n"
    "s3_rm_data:\n"                         /* struct wake */
    "	.word 0\n"
    "	.long 0\n"
    "s3_rm_cs: .word 0\n"
    "s3_rm_flags: .word 0\n"
    "s3_rm_cr0: .long 0\n"
    "s3_rm_efer: .long 0\n"
    ".global s3_rm_end\n"
    "s3_rm_end:\n"
    ".code64\n"
    ".popsection\n");

static volatile struct wake *wake_data(void)
{
	return (volatile struct wake *)(WAKE_BASE + (uint64_t)(s3_rm_data - s3_rm_start));
}

/* Back in 64-bit mode after the wake: the IDT, TR (its busy bit cleared
 * first) and, natively, the UART, which the reset left unprogrammed. */
static void after_wake(void)
{
	extern char eq_idtr[];

	asm volatile("lidt (%0)" : : "r"(eq_idtr) : "memory");
	((uint8_t *)eq_gdt)[EQ_TSS + 5] &= (uint8_t)~2;
	asm volatile("ltr %w0" : : "r"(EQ_TSS) : "memory");
	eq_console_init();
}

static volatile uint64_t kept = 0x5ca1ab1e5ca1ab1eul;

static void sleep(const struct acpi *a)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr;
	volatile struct wake *w = wake_data();
	unsigned before, after;

	for (size_t i = 0; i < (size_t)(s3_rm_end - s3_rm_start); i++)
		((volatile uint8_t *)WAKE_BASE)[i] = s3_rm_start[i];
	asm volatile("sgdt %0" : "=m"(gdtr));
	w->gdtr_limit = gdtr.limit;
	w->gdtr_base = (uint32_t)gdtr.base;

	/* The wake source: RTC_EN and an alarm every second with AIE. */
	outw(a->pm1a_evt, 0xffff);                  /* every status bit cleared */
	outw(a->pm1a_evt + 2, PM1_STS_RTC);
	cmos_write(0x01, 0xc0);
	cmos_write(0x03, 0xc0);
	cmos_write(0x05, 0xc0);
	cmos_write(0x0b, 0x22);
	(void)cmos(0x0c);
	cmos_write(0x40, 0x5a);                     /* a byte of CMOS RAM */
	/* State the wake must not keep: the devices lose power in S3. */
	ioapic_write(0x10 + 2 * 8, 1u << 16 | 1u << 15 | VEC);
	outb(0x21, 0xfa);
	outb(0xa1, 0xfe);
	*(volatile uint64_t *)(HPET + 0x10) = 1;    /* ENABLE_CNF */
	*(volatile uint32_t *)(uint64_t)(a->facs + 12) = (uint32_t)WAKE_BASE;
	s3_port = a->pm1a_cnt;
	s3_value = (uint16_t)((inw(a->pm1a_cnt) & ~0x3c00u) | (unsigned)a->s3_type << 10 |
			      PM1_CNT_SLP_EN);
	before = rtc_seconds();
	kept = 0x5ca1ab1e5ca1ab1eul;
	eq_legacy_call(s3_sleep32);
	after_wake();
	after = rtc_seconds();
	eq("sleep: SLP_TYP %d with SLP_EN to PM1a_CNT => woke at the waking vector: %s",
	   a->s3_type, s3_woke ? "yes" : "no");
	if (!s3_woke)
		return;
	eq("wake: CS in real mode => %#x", w->cs);
	/* The arithmetic flags are what the firmware's last instructions left. */
	eq("wake: FLAGS but CF, PF, AF, ZF, SF and OF => %#x", w->flags & ~0x8d5u);
	eq("wake: CR0 => %#x", w->cr0);
	eq("wake: EFER => %#x", w->efer);
	eq("wake: memory kept => %s", kept == 0x5ca1ab1e5ca1ab1eul ? "yes" : "no");
	eq("wake: CMOS RAM byte 0x40 kept => %#x", cmos(0x40));
	eq("wake: the RTC went on => %s", (after + 86400 - before) % 86400 < 60 ? "yes" : "no");
	eq("wake: PM1 status => %#x", inw(a->pm1a_evt));
	eq("wake: PM1 enable => %#x", inw(a->pm1a_evt + 2));
	eq("wake: PM1 control, SCI_EN and SLP_TYP => %#x", inw(a->pm1a_cnt) & 0x3c01);
	eq("wake: local APIC SVR, TPR, LVT timer, LVT LINT0 => %#x, %#x, %#x, %#x",
	   rd32(APIC + 0xf0), rd32(APIC + 0x80), rd32(APIC + 0x320), rd32(APIC + 0x350));
	eq("wake: I/O APIC redirection entry 8 => %#x", ioapic_read(0x10 + 2 * 8));
	eq("wake: FACS waking vector => %#x", rd32(a->facs + 12));
	eq("wake: 8259 masks => %#x, %#x", inb(0x21), inb(0xa1));
	eq("wake: HPET configuration => %#lx", *(volatile uint64_t *)(HPET + 0x10));
	outw(a->pm1a_evt, 0xffff);
	outw(a->pm1a_evt + 2, 0);
	cmos_write(0x0b, 0x02);
	(void)cmos(0x0c);
	*(volatile uint32_t *)(uint64_t)(a->facs + 12) = 0;
}

void eq_main(void)
{
	struct acpi a;

	if (!find_acpi(&a)) {
		eq_fail("no ACPI tables (RSDP, RSDT, FADT)");
		return;
	}
	eq("ACPI: _S3 in the DSDT => SLP_TYPa %d", a.s3_type);
	eq("ACPI: FACS => signature %s, length %u, waking vector %#x",
	   sig(a.facs, "FACS") ? "FACS" : "bad", rd32(a.facs + 4), rd32(a.facs + 12));
	alarm();
	if (a.s3_type < 0) {
		eq_fail("no _S3 package in the DSDT");
		return;
	}
	sleep(&a);
}
