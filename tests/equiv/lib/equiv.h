/* tests/equiv/lib/equiv.h: the library of the equivalence guests.
 *
 * An equivalence guest (tests/equiv/AREA.c) runs twice, natively on Bochs
 * and under tinyhv, and prints a transcript of what it observed; the
 * harness (scripts/equiv) compares the two (docs/EQUIVALENCE.md).  A guest
 * defines eq_area (its name) and eq_main(), which makes its checks with
 * eq(): one transcript line each,
 *
 *     eq: CHECK => OBSERVATION
 *
 * where CHECK names what was done (the same text in both runs) and
 * OBSERVATION is what came of it: values read, "ok" or the exception
 * taken ("#GP(0x0)").  Lines that may differ (where the guest runs, a
 * failure of the library itself) are printed with eq_say() as
 * "AREA: ...", never compared.
 *
 * The guest runs in 64-bit mode at CPL 0 (lib/entry.asm): the first 4 GiB
 * identity-mapped, interrupts off, the GDT selectors below loaded.  An
 * exception expected by EQ_TRY resumes after the instruction and is told
 * by its vector; any other one ends the guest with a failure, unless the
 * area installed a handler for it (eq_set_handler).
 */
#ifndef EQUIV_H
#define EQUIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lib/entry.asm's GDT. */
#define EQ_KCODE64 0x08
#define EQ_KDATA   0x10
#define EQ_UCODE32 0x18
#define EQ_UDATA   0x20
#define EQ_UCODE64 0x28
#define EQ_UDATA64 0x30
#define EQ_KCODE32 0x38
#define EQ_TSS     0x40     /* 16 bytes */
#define EQ_SPARE0  0x50     /* zero: an area's own descriptors */
#define EQ_SPARE1  0x58
#define EQ_SPARE2  0x60
#define EQ_SPARE3  0x68     /* the GDT's last entry: 0x70 and up are beyond its limit */
extern uint64_t eq_gdt[];
extern uint64_t eq_pd[];    /* the 2048 2 MiB mappings of the first 4 GiB */
extern uint8_t eq_idt[];    /* 256 16-byte gates */
extern uint8_t eq_tss[];    /* the 64-bit TSS, 0x68 bytes */

/* What lib/entry.asm's stubs push: general registers, the vector, the
 * error code (0 where the CPU pushes none), and the CPU's frame. */
struct eq_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Defined by each area. */
extern const char eq_area[];
void eq_main(void);

/* The transcript. */
void eq(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void eq_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int eq_format(char *buf, size_t size, const char *fmt, va_list ap);
void eq_sformat(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool eq_under_tinyhv(void);
/* The console's UART programmed (natively; a reset, such as the wake from
 * S3, leaves it as after power-on). */
void eq_console_init(void);
__attribute__((noreturn)) void eq_exit(unsigned status);
/* A check of the guest's own (not compared): FAIL counts toward the
 * exit status. */
void eq_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exceptions.  EQ_TRY(insn, operands...) runs the instruction(s) INSN
 * (extended asm: write %% for %; OPERANDS start with the colon of the
 * outputs and must be given, ": : : \"memory\"" at least) and gives the
 * vector of the exception it raised, EQ_NONE if none; eq_error and
 * eq_fault_rip (and eq_cr2 for a #PF) tell more.  It resumes after the
 * last instruction, with RFLAGS.TF clear. */
#define EQ_NONE (-1)
extern volatile int eq_vector;
extern volatile uint64_t eq_error, eq_fault_rip, eq_fault_rflags, eq_cr2, eq_fixup;
/* The fixup of the last EQ_TRY that caught an exception: eq_fault_rip -
 * eq_fixup_hit is where the exception pointed, from the end of the
 * instructions tried (minus the instruction's length for a fault). */
extern volatile uint64_t eq_fixup_hit;

#define EQ_TRY(insn, ...)                                                   \
	({                                                                  \
		eq_vector = EQ_NONE;                                        \
		asm volatile("movq $1f, eq_fixup(%%rip)\n\t" insn "\n1:\n\t" \
			     "movq $0, eq_fixup(%%rip)" __VA_ARGS__);        \
		eq_vector;                                                  \
	})

/* Calls FN at CPL 3 (64-bit code, UCODE64 and UDATA64, a stack of its
 * own, interrupts off) and returns when it does.  FN cannot print (port
 * I/O faults at CPL 3): it keeps what it saw for the caller; EQ_TRY works
 * there as at CPL 0.  Vector EQ_USER_RETURN is taken: FN's way back. */
#define EQ_USER_RETURN 0x81
void eq_user(void (*fn)(void));

/* Calls FN, 32-bit code (assembled as .code32), in 32-bit protected mode
 * with paging off, out of IA-32e mode (CS EQ_KCODE32, data EQ_KDATA,
 * interrupts off, the IDT unchanged: FN loads its own before anything
 * may fault), and returns to 64-bit mode when FN returns on the stack it
 * was called with.  The caller restores the IDTR, TR and FS/GS bases if
 * FN changed them. */
void eq_legacy_call(void (*fn)(void));

/* "ok" for EQ_NONE, else the exception as "#GP(0x0)" ("#UD", "#PF(0x2)"):
 * a string that stays valid for the next few calls. */
const char *eq_fault(int vector);
void eq_set_handler(unsigned vector, void (*fn)(struct eq_frame *));

/* Instructions. */
static inline int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	int vec = EQ_TRY("rdmsr", : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");

	*val = (uint64_t)hi << 32 | lo;
	return vec;
}

static inline int wrmsr_safe(uint32_t msr, uint64_t val)
{
	return EQ_TRY("wrmsr", : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		      : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint64_t v;

	if (rdmsr_safe(msr, &v) != EQ_NONE)
		eq_fail("rdmsr %#x raised %s", msr, eq_fault(eq_vector));
	return v;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	if (wrmsr_safe(msr, val) != EQ_NONE)
		eq_fail("wrmsr %#x <- %#lx raised %s", msr, val, eq_fault(eq_vector));
}

struct eq_cpuid {
	uint32_t a, b, c, d;
};

static inline struct eq_cpuid cpuid(uint32_t leaf, uint32_t sub)
{
	struct eq_cpuid r;

	asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
	return r;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define EQ_READ_CR(n)                                                       \
	({                                                                  \
		uint64_t v_;                                                \
		asm volatile("mov %%cr" #n ", %0" : "=r"(v_));              \
		v_;                                                         \
	})

static inline uint64_t read_cr0(void) { return EQ_READ_CR(0); }
static inline uint64_t read_cr4(void) { return EQ_READ_CR(4); }

static inline void write_cr4(uint64_t v)
{
	asm volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return (uint64_t)hi << 32 | lo;
}

static inline int xsetbv_safe(uint32_t index, uint64_t v)
{
	return EQ_TRY("xsetbv", : : "c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		      : "memory");
}

/* lib.c has them (GCC may call them even in freestanding code). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
