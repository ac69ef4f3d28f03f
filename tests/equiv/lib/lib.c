/* tests/equiv/lib/lib.c: console, transcript, exceptions and the end of
 * an equivalence guest (equiv.h). */
#include "equiv.h"

#define UART       0x3f8
#define UART_LSR   (UART + 5)
#define LSR_THRE   0x20
#define LSR_TEMT   0x40
#define MB1_BOOT_MAGIC 0x2BADB002u
#define HC_EXIT    1                 /* docs/HYPERCALLS.md */
#define BOCHS_SHUTDOWN_PORT 0x8900   /* Bochs: "Shutdown" written here powers off */
#define DEBUG_EXIT_PORT 0xf4

volatile int eq_vector = EQ_NONE;
volatile uint64_t eq_error, eq_fault_rip, eq_fault_rflags, eq_cr2, eq_fixup, eq_fixup_hit;

static bool hv;
static unsigned checks, failures;
static void (*handlers[256])(struct eq_frame *);

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

/* ---- console --------------------------------------------------------- */

static void uart_init(void)
{
	outb(UART + 1, 0x00);       /* no interrupts */
	outb(UART + 3, 0x80);       /* DLAB */
	outb(UART + 0, 1);          /* 115200 baud */
	outb(UART + 1, 0);
	outb(UART + 3, 0x03);       /* 8N1 */
	outb(UART + 2, 0x07);       /* FIFOs on and cleared */
	outb(UART + 4, 0x03);       /* DTR, RTS */
}

static void putc_uart(char c)
{
	for (unsigned i = 0; i < 1000000 && !(inb(UART_LSR) & LSR_THRE); i++)
		;
	outb(UART, (uint8_t)c);
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

/* ---- formatting: %[-0#][width][l|ll|z](d|i|u|x|c|s|p|%) --------------- */

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, unsigned width, bool left, char pad)
{
	size_t i;

	if (!left)
		for (i = n; i < width; i++)
			put(o, pad);
	for (i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		for (i = n; i < width; i++)
			put(o, ' ');
}

static void put_number(struct out *o, uint64_t v, bool neg, unsigned base, bool alt,
		       unsigned width, bool left, bool zero)
{
	char tmp[24];
	size_t n = 0, prefix = 0;
	char digits[24];

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (neg)
		digits[prefix++] = '-';
	if (alt && base == 16) {
		digits[prefix++] = '0';
		digits[prefix++] = 'x';
	}
	if (zero && !left) {
		/* Zeros go between the sign or prefix and the digits. */
		for (size_t i = 0; i < prefix; i++)
			put(o, digits[i]);
		width = width > prefix ? width - (unsigned)prefix : 0;
		prefix = 0;
	}
	while (n)
		digits[prefix++] = tmp[--n];
	put_padded(o, digits, prefix, width, left, zero && !left ? '0' : ' ');
}

int eq_format(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool left = false, zero = false, alt = false;
		unsigned width = 0, lng = 0;
		uint64_t v;
		const char *s;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '-' || *fmt == '0' || *fmt == '#'; fmt++) {
			left |= *fmt == '-';
			zero |= *fmt == '0';
			alt |= *fmt == '#';
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			width = width * 10 + (unsigned)(*fmt - '0');
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lng++;
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t sv = lng ? va_arg(ap, int64_t) : va_arg(ap, int);

			put_number(&o, sv < 0 ? -(uint64_t)sv : (uint64_t)sv, sv < 0, 10, false,
				   width, left, zero);
			break;
		}
		case 'u':
		case 'x':
			v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			put_number(&o, v, false, *fmt == 'u' ? 10 : 16, alt, width, left, zero);
			break;
		case 'p':
			put_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, true, width, left, zero);
			break;
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&o, &c, 1, width, left, ' ');
			break;
		}
		case 's':
			s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			put_padded(&o, s, strlen(s), width, left, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			put(&o, '?');
			if (!*fmt)
				fmt--;
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

static void vline(const char *head, const char *fmt, va_list ap)
{
	char buf[512];

	eq_format(buf, sizeof(buf), fmt, ap);
	puts_uart(head);
	puts_uart(buf);
	putc_uart('\n');
}

void eq(const char *fmt, ...)
{
	va_list ap;

	checks++;
	va_start(ap, fmt);
	vline("eq: ", fmt, ap);
	va_end(ap);
}

void eq_say(const char *fmt, ...)
{
	va_list ap;

	puts_uart(eq_area);
	va_start(ap, fmt);
	vline(": ", fmt, ap);
	va_end(ap);
}

void eq_fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	puts_uart(eq_area);
	va_start(ap, fmt);
	vline(": FAIL ", fmt, ap);
	va_end(ap);
}

bool eq_under_tinyhv(void)
{
	return hv;
}

void eq_console_init(void)
{
	if (!hv)
		uart_init();            /* tinyhv's UART needs none */
}

/* ---- exceptions -------------------------------------------------------- */

static const char *const mnemonics[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

static bool has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

void eq_sformat(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	eq_format(buf, size, fmt, ap);
	va_end(ap);
}

const char *eq_fault(int vector)
{
	static char bufs[4][40];
	static unsigned next;
	char *b = bufs[next++ % 4];

	if (vector == EQ_NONE)
		return "ok";
	if (vector < 0 || vector >= 32 || !mnemonics[vector])
		eq_sformat(b, sizeof(bufs[0]), "vector %d", vector);
	else if (has_error_code((unsigned)vector))
		eq_sformat(b, sizeof(bufs[0]), "%s(%#lx)", mnemonics[vector], eq_error);
	else
		eq_sformat(b, sizeof(bufs[0]), "%s", mnemonics[vector]);
	return b;
}

void eq_set_handler(unsigned vector, void (*fn)(struct eq_frame *))
{
	if (vector < 256)
		handlers[vector] = fn;
}

void eq_trap(struct eq_frame *f)
{
	if (eq_fixup && f->vector < 32) {
		eq_vector = (int)f->vector;
		eq_error = f->error;
		eq_fault_rip = f->rip;
		eq_fault_rflags = f->rflags;
		eq_fixup_hit = eq_fixup;
		if (f->vector == 14)
			eq_cr2 = EQ_READ_CR(2);
		f->rip = eq_fixup;
		f->rflags &= ~0x100ull;     /* TF: a caught single step steps no further */
		eq_fixup = 0;
		return;
	}
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	eq_error = f->error;
	eq_fail("unexpected %s at RIP %#lx (RSP %#lx, RFLAGS %#lx)",
		f->vector < 32 ? eq_fault((int)f->vector) : "interrupt", f->rip, f->rsp, f->rflags);
	if (f->vector >= 32)
		eq_say("the interrupt's vector: %lu", f->vector);
	eq_exit(0x100 + (unsigned)f->vector);
}

/* ---- start and end ------------------------------------------------------- */

static bool detect_tinyhv(void)
{
	struct eq_cpuid r = cpuid(1, 0);

	if (!(r.c & (1u << 31)))    /* CPUID.1:ECX.hypervisor */
		return false;
	r = cpuid(0x40000000, 0);
	uint32_t sig[3] = { r.b, r.c, r.d };

	return !memcmp(sig, "TinyHVTinyHV", 12);
}

__attribute__((noreturn)) void eq_exit(unsigned status)
{
	asm volatile("cli");
	eq_say("exit status %u", status);
	if (hv) {
		asm volatile("vmcall" : : "a"(HC_EXIT), "b"(status) : "memory");
		eq_say("HC_EXIT returned");
	} else {
		for (unsigned i = 0; i < 1000000 && !(inb(UART_LSR) & LSR_TEMT); i++)
			;
		for (const char *s = "Shutdown"; *s; s++)
			outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*s);
	}
	asm volatile("outl %0, %1" : : "a"(status), "Nd"((uint16_t)DEBUG_EXIT_PORT));
	for (;;)
		asm volatile("hlt");
}

void eq_start(uint32_t magic, uint32_t info);

void eq_start(uint32_t magic, uint32_t info)
{
	(void)info;
	hv = detect_tinyhv();
	eq_console_init();
	eq_say("start, %s", hv ? "under TinyHV" : "native (no TinyHV signature at CPUID 0x40000000)");
	if (magic != MB1_BOOT_MAGIC)
		eq_fail("EAX at entry is %#x, not the Multiboot magic", magic);
	eq_main();
	eq_say("done, %u checks, %u failures", checks, failures);
	eq_exit(failures);
}
