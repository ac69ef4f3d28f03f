/* tests/equiv/syscall.c: the fast system calls (SDM Vol. 2B SYSCALL,
 * SYSRET, SYSENTER, SYSEXIT; Vol. 3A 5.8.7, 5.8.8).  Four round trips to
 * CPL 3 and back: SYSRET to 64-bit code and SYSCALL back; SYSRET to
 * compatibility mode, where SYSCALL raises #UD on Intel CPUs, and INT 0x80
 * back; SYSEXIT to 64-bit code and SYSENTER back; SYSEXIT to
 * compatibility mode and SYSENTER back.  On each side the transcript has
 * CS, SS and RFLAGS (the flag mask, the fixed bits), and what the entry
 * left in RCX, R11 and RSP.  Then the faults: SYSCALL without EFER.SCE,
 * SYSRET to a non-canonical RIP, SYSENTER with a null SYSENTER_CS,
 * SYSRET and SYSEXIT at CPL 3. */
#include "equiv.h"

const char eq_area[] = "syscall";

#define EFER 0xc0000080
#define EFER_SCE 1
#define STAR 0xc0000081
#define LSTAR 0xc0000082
#define CSTAR 0xc0000083
#define FMASK 0xc0000084
#define SYSENTER_CS 0x174
#define SYSENTER_ESP 0x175
#define SYSENTER_EIP 0x176

/* What one round trip saw: the user side's CS, SS, RFLAGS and the vector
 * of what it tried (EBX, ESI, EDI, EBP there), then the kernel side's
 * registers at the entry. */
struct trip {
	uint64_t u_rflags, u_cs, u_ss, u_vec;
	uint64_t k_rcx, k_r11, k_rsp, k_rflags, k_cs, k_ss;
};

struct trip sc_rec;
extern void sc_enter(uint64_t how);
extern void sc_syscall_entry(void), sc_sysenter_entry(void), sc_resume(void);
extern char sc_after_syscall64[], sc_after_sysenter64[], sc_after_sysenter32[];
extern char sc_ustack_top[], sc_kstack_top[];

/* RFLAGS the user side starts with (0x40483, in the asm): CF, bit 1, SF,
 * DF and AC, so that FMASK (AC, DF) shows; IF stays clear, so that no
 * interrupt comes. */

asm(".pushsection .text\n"
    ".code64\n"
    /* sc_enter(how): 0 sysretq, 1 sysretl, 2 sysexitq, 3 sysexitl. */
    ".global sc_enter\n"
    "sc_enter:\n"
    "	push %rbx\n"
    "	push %rbp\n"
    "	push %r12\n"
    "	push %r13\n"
    "	push %r14\n"
    "	push %r15\n"
    "	mov %rsp, sc_krsp(%rip)\n"
    /* DS and ES the user side can use: in compatibility mode they count,
     * and an IRET to CPL 3 nulls those of DPL 0 (Vol. 2A IRET). */
    "	mov $0x23, %eax\n"
    "	mov %eax, %ds\n"
    "	mov %eax, %es\n"
    "	lea sc_ustack_top(%rip), %rsp\n"
    "	mov $" "0x40483" ", %r11\n"
    "	cmp $1, %rdi\n"
    "	je 1f\n"
    "	cmp $2, %rdi\n"
    "	je 2f\n"
    "	cmp $3, %rdi\n"
    "	je 3f\n"
    "	lea sc_user64_syscall(%rip), %rcx\n"
    "	sysretq\n"
    "1:	lea sc_user32_int(%rip), %rcx\n"
    "	sysretl\n"
    "2:	lea sc_user64_sysenter(%rip), %rdx\n"
    "	lea sc_ustack_top(%rip), %rcx\n"
    "	push %r11\n"
    "	popfq\n"                          /* SYSEXIT keeps RFLAGS */
    "	sysexitq\n"
    "3:	lea sc_user32_sysenter(%rip), %rdx\n"
    "	lea sc_ustack_top(%rip), %rcx\n"
    "	push %r11\n"
    "	popfq\n"
    "	sysexitl\n"
    /* The kernel side of SYSCALL and SYSENTER: save, then resume. */
    ".global sc_syscall_entry\n"
    "sc_syscall_entry:\n"
    "	mov %rcx, sc_rec+32(%rip)\n"
    "	mov %r11, sc_rec+40(%rip)\n"
    "	jmp 4f\n"
    ".global sc_sysenter_entry\n"
    "sc_sysenter_entry:\n"
    "	mov %rcx, sc_rec+32(%rip)\n"
    "	mov %r11, sc_rec+40(%rip)\n"
    "4:	mov %rsp, sc_rec+48(%rip)\n"
    "	pushfq\n"
    "	pop %rax\n"
    "	mov %rax, sc_rec+56(%rip)\n"
    "	mov %cs, %eax\n"
    "	mov %rax, sc_rec+64(%rip)\n"
    "	mov %ss, %eax\n"
    "	mov %rax, sc_rec+72(%rip)\n"
    "	mov %rbx, sc_rec+0(%rip)\n"
    "	mov %rsi, sc_rec+8(%rip)\n"
    "	mov %rdi, sc_rec+16(%rip)\n"
    "	mov %rbp, sc_rec+24(%rip)\n"
    ".global sc_resume\n"
    "sc_resume:\n"
    "	mov sc_krsp(%rip), %rsp\n"
    "	mov $0x10, %eax\n"
    "	mov %eax, %ds\n"
    "	mov %eax, %es\n"
    "	push $2\n"
    "	popfq\n"
    "	pop %r15\n"
    "	pop %r14\n"
    "	pop %r13\n"
    "	pop %r12\n"
    "	pop %rbp\n"
    "	pop %rbx\n"
    "	ret\n"
    /* User side, 64-bit: observe, try SYSRET at CPL 3 (#GP), SYSCALL. */
    "sc_user64_syscall:\n"
    "	pushfq\n"
    "	pop %rbx\n"
    "	mov %cs, %esi\n"
    "	mov %ss, %edi\n"
    "	movq $5f, eq_fixup(%rip)\n"
    "	movl $-1, eq_vector(%rip)\n"
    "	sysretq\n"
    "5:	movslq eq_vector(%rip), %rbp\n"
    "	push $" "0x40483" "\n"
    "	popfq\n"
    "	syscall\n"
    ".global sc_after_syscall64\n"
    "sc_after_syscall64:\n"
    "	ud2\n"
    "sc_user64_sysenter:\n"
    "	pushfq\n"
    "	pop %rbx\n"
    "	mov %cs, %esi\n"
    "	mov %ss, %edi\n"
    "	movq $6f, eq_fixup(%rip)\n"
    "	movl $-1, eq_vector(%rip)\n"
    "	sysexitq\n"
    "6:	movslq eq_vector(%rip), %rbp\n"
    "	sysenter\n"
    ".global sc_after_sysenter64\n"
    "sc_after_sysenter64:\n"
    "	ud2\n"
    ".code32\n"
    /* User side, compatibility mode: SYSCALL is #UD (Intel), then INT. */
    "sc_user32_int:\n"
    "	pushfl\n"
    "	pop %ebx\n"
    "	mov %cs, %esi\n"
    "	mov %ss, %edi\n"
    "	movl $7f, eq_fixup\n"
    "	movl $0, eq_fixup+4\n"
    "	movl $-1, eq_vector\n"
    "	syscall\n"
    "7:	mov eq_vector, %ebp\n"
    "	int $0x80\n"
    "	ud2\n"
    "sc_user32_sysenter:\n"
    "	pushfl\n"
    "	pop %ebx\n"
    "	mov %cs, %esi\n"
    "	mov %ss, %edi\n"
    "	mov $-1, %ebp\n"
    "	sysenter\n"
    ".global sc_after_sysenter32\n"
    "sc_after_sysenter32:\n"
    "	ud2\n"
    ".code64\n"
    ".popsection\n"
    ".pushsection .bss\n"
    ".balign 16\n"
    "sc_krsp: .quad 0\n"
    "	.skip 4096\n"
    ".global sc_ustack_top\n"
    "sc_ustack_top:\n"
    "	.skip 4096\n"
    ".global sc_kstack_top\n"
    "sc_kstack_top:\n"
    ".popsection\n");

/* INT 0x80 from the compatibility-mode user side: the user state from
 * its registers and the frame, the kernel's from the handler (an
 * interrupt from CPL 3 loads SS with a null selector, Vol. 3A 7.14.2);
 * then the kernel side resumes. */
static void int80(struct eq_frame *f)
{
	uint64_t rflags;
	uint16_t cs, ss;

	asm volatile("pushfq; pop %0; mov %%cs, %1; mov %%ss, %2" : "=r"(rflags), "=r"(cs), "=r"(ss));
	sc_rec.u_rflags = f->rbx & 0xffffffff;
	sc_rec.u_cs = f->rsi & 0xffff;
	sc_rec.u_ss = f->rdi & 0xffff;
	sc_rec.u_vec = f->rbp & 0xffffffff;
	sc_rec.k_rcx = f->rcx;
	sc_rec.k_r11 = f->r11;
	sc_rec.k_rsp = f->rsp;
	sc_rec.k_rflags = rflags;
	sc_rec.k_cs = cs;
	sc_rec.k_ss = ss;
	eq("int 0x80 frame: CS SS RFLAGS => %#lx %#lx %#lx", f->cs, f->ss, f->rflags);
	f->rip = (uint64_t)sc_resume;
	f->cs = EQ_KCODE64;
	f->ss = EQ_KDATA;
	f->rsp = (uint64_t)sc_kstack_top;
	f->rflags = 2;
}

static void report(const char *trip, const char *back, const char *after_label, uint64_t after)
{
	eq("%s: user CS SS RFLAGS => %#lx %#lx %#lx", trip, sc_rec.u_cs, sc_rec.u_ss, sc_rec.u_rflags);
	eq("%s: user tried %s => %s", trip, back, eq_fault((int)sc_rec.u_vec));
	eq("%s: kernel CS SS RFLAGS => %#lx %#lx %#lx", trip, sc_rec.k_cs, sc_rec.k_ss, sc_rec.k_rflags);
	if (after_label)
		eq("%s: kernel RCX is %s => %s", trip, after_label, sc_rec.k_rcx == after ? "yes" : "no");
}

static void trips(void)
{
	uint64_t star = (uint64_t)(EQ_UCODE32 | 3) << 48 | (uint64_t)EQ_KCODE64 << 32;

	wrmsr(EFER, rdmsr(EFER) | EFER_SCE);
	wrmsr(STAR, star);
	wrmsr(LSTAR, (uint64_t)sc_syscall_entry);
	wrmsr(CSTAR, (uint64_t)sc_syscall_entry);
	wrmsr(FMASK, 0x40400);          /* AC and DF */
	wrmsr(SYSENTER_CS, EQ_KCODE64);
	wrmsr(SYSENTER_ESP, (uint64_t)sc_kstack_top);
	wrmsr(SYSENTER_EIP, (uint64_t)sc_sysenter_entry);
	eq_set_handler(0x80, int80);

	memset(&sc_rec, 0, sizeof(sc_rec));
	sc_enter(0);
	report("sysretq, syscall", "sysretq at CPL 3", "the next instruction",
	       (uint64_t)sc_after_syscall64);
	eq("sysretq, syscall: kernel R11 => %#lx", sc_rec.k_r11);
	eq("sysretq, syscall: kernel RSP is still the user's => %s",
	   sc_rec.k_rsp == (uint64_t)sc_ustack_top ? "yes" : "no");

	memset(&sc_rec, 0, sizeof(sc_rec));
	sc_enter(1);
	report("sysretl, int 0x80", "syscall in compatibility mode", NULL, 0);
	eq("sysretl, int 0x80: the frame's RSP is the user stack => %s",
	   sc_rec.k_rsp == (uint64_t)sc_ustack_top ? "yes" : "no");

	memset(&sc_rec, 0, sizeof(sc_rec));
	sc_enter(2);
	report("sysexitq, sysenter", "sysexitq at CPL 3", NULL, 0);
	eq("sysexitq, sysenter: kernel RSP is SYSENTER_ESP => %s",
	   sc_rec.k_rsp == (uint64_t)sc_kstack_top ? "yes" : "no");

	memset(&sc_rec, 0, sizeof(sc_rec));
	sc_enter(3);
	report("sysexitl, sysenter", "nothing", NULL, 0);
	eq("sysexitl, sysenter: kernel RSP is SYSENTER_ESP => %s",
	   sc_rec.k_rsp == (uint64_t)sc_kstack_top ? "yes" : "no");
	eq_set_handler(0x80, NULL);
}

static void faults(void)
{
	uint64_t efer = rdmsr(EFER);
	int vec;

	wrmsr(EFER, efer & ~(uint64_t)EFER_SCE);
	vec = EQ_TRY("syscall", : : : "rcx", "r11", "memory");
	wrmsr(EFER, efer);
	eq("syscall with EFER.SCE clear => %s", eq_fault(vec));

	/* SYSRET to a non-canonical RIP faults at CPL 0 on Intel CPUs (the
	 * stack is still the kernel's). */
	register uint64_t r11 asm("r11") = 2;

	vec = EQ_TRY("sysretq", : "+r"(r11) : "c"(0x0000800000000000ull) : "memory");
	eq("sysretq to RIP 0x800000000000 => %s", eq_fault(vec));

	wrmsr(SYSENTER_CS, 0);
	vec = EQ_TRY("sysenter", : : : "memory");
	wrmsr(SYSENTER_CS, EQ_KCODE64);
	eq("sysenter with SYSENTER_CS 0 => %s", eq_fault(vec));
}

void eq_main(void)
{
	struct eq_cpuid ext = cpuid(0x80000001, 0), one = cpuid(1, 0);

	eq("CPUID => SYSCALL %u SEP %u", ext.d >> 11 & 1, one.d >> 11 & 1);
	trips();
	faults();
}
