/* VMCS field encodings (Intel SDM Vol. 3D appendix B), exit reasons
 * (appendix C) and VM-instruction error numbers (Vol. 3C 31.4). */
#ifndef ARCH_VMCS_H
#define ARCH_VMCS_H

#include <arch/cpu.h>
#include <arch/percpu.h>
#include <hv/types.h>

enum vmcs_field {
	/* 16-bit control, guest and host fields (B.1) */
	VMCS_VPID = 0x0000,
	VMCS_GUEST_ES_SEL = 0x0800,
	VMCS_GUEST_CS_SEL = 0x0802,
	VMCS_GUEST_SS_SEL = 0x0804,
	VMCS_GUEST_DS_SEL = 0x0806,
	VMCS_GUEST_FS_SEL = 0x0808,
	VMCS_GUEST_GS_SEL = 0x080a,
	VMCS_GUEST_LDTR_SEL = 0x080c,
	VMCS_GUEST_TR_SEL = 0x080e,
	VMCS_GUEST_PML_INDEX = 0x0812,
	VMCS_HOST_ES_SEL = 0x0c00,
	VMCS_HOST_CS_SEL = 0x0c02,
	VMCS_HOST_SS_SEL = 0x0c04,
	VMCS_HOST_DS_SEL = 0x0c06,
	VMCS_HOST_FS_SEL = 0x0c08,
	VMCS_HOST_GS_SEL = 0x0c0a,
	VMCS_HOST_TR_SEL = 0x0c0c,

	/* 64-bit fields (B.2) */
	VMCS_IO_BITMAP_A = 0x2000,
	VMCS_IO_BITMAP_B = 0x2002,
	VMCS_MSR_BITMAP = 0x2004,
	VMCS_EXIT_MSR_STORE_ADDR = 0x2006,
	VMCS_EXIT_MSR_LOAD_ADDR = 0x2008,
	VMCS_ENTRY_MSR_LOAD_ADDR = 0x200a,
	VMCS_PML_ADDRESS = 0x200e,
	VMCS_TSC_OFFSET = 0x2010,
	VMCS_EPT_POINTER = 0x201a,
	VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400,
	VMCS_LINK_POINTER = 0x2800,
	VMCS_GUEST_DEBUGCTL = 0x2802,
	VMCS_GUEST_PAT = 0x2804,
	VMCS_GUEST_EFER = 0x2806,
	VMCS_GUEST_PDPTE0 = 0x280a,
	VMCS_GUEST_PDPTE1 = 0x280c,
	VMCS_GUEST_PDPTE2 = 0x280e,
	VMCS_GUEST_PDPTE3 = 0x2810,
	VMCS_HOST_PAT = 0x2c00,
	VMCS_HOST_EFER = 0x2c02,

	/* 32-bit fields (B.3) */
	VMCS_PIN_CONTROLS = 0x4000,
	VMCS_PROC_CONTROLS = 0x4002,
	VMCS_EXCEPTION_BITMAP = 0x4004,
	VMCS_PF_ERROR_MASK = 0x4006,
	VMCS_PF_ERROR_MATCH = 0x4008,
	VMCS_CR3_TARGET_COUNT = 0x400a,
	VMCS_EXIT_CONTROLS = 0x400c,
	VMCS_EXIT_MSR_STORE_COUNT = 0x400e,
	VMCS_EXIT_MSR_LOAD_COUNT = 0x4010,
	VMCS_ENTRY_CONTROLS = 0x4012,
	VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014,
	VMCS_ENTRY_INTR_INFO = 0x4016,
	VMCS_ENTRY_EXCEPTION_ERROR = 0x4018,
	VMCS_ENTRY_INSTRUCTION_LEN = 0x401a,
	VMCS_TPR_THRESHOLD = 0x401c,
	VMCS_PROC2_CONTROLS = 0x401e,
	VMCS_INSTRUCTION_ERROR = 0x4400,
	VMCS_EXIT_REASON = 0x4402,
	VMCS_EXIT_INTR_INFO = 0x4404,
	VMCS_EXIT_INTR_ERROR = 0x4406,
	VMCS_IDT_VECTORING_INFO = 0x4408,
	VMCS_IDT_VECTORING_ERROR = 0x440a,
	VMCS_EXIT_INSTRUCTION_LEN = 0x440c,
	VMCS_EXIT_INSTRUCTION_INFO = 0x440e,
	VMCS_GUEST_ES_LIMIT = 0x4800,
	VMCS_GUEST_CS_LIMIT = 0x4802,
	VMCS_GUEST_SS_LIMIT = 0x4804,
	VMCS_GUEST_DS_LIMIT = 0x4806,
	VMCS_GUEST_FS_LIMIT = 0x4808,
	VMCS_GUEST_GS_LIMIT = 0x480a,
	VMCS_GUEST_LDTR_LIMIT = 0x480c,
	VMCS_GUEST_TR_LIMIT = 0x480e,
	VMCS_GUEST_GDTR_LIMIT = 0x4810,
	VMCS_GUEST_IDTR_LIMIT = 0x4812,
	VMCS_GUEST_ES_AR = 0x4814,
	VMCS_GUEST_CS_AR = 0x4816,
	VMCS_GUEST_SS_AR = 0x4818,
	VMCS_GUEST_DS_AR = 0x481a,
	VMCS_GUEST_FS_AR = 0x481c,
	VMCS_GUEST_GS_AR = 0x481e,
	VMCS_GUEST_LDTR_AR = 0x4820,
	VMCS_GUEST_TR_AR = 0x4822,
	VMCS_GUEST_INTERRUPTIBILITY = 0x4824,
	VMCS_GUEST_ACTIVITY_STATE = 0x4826,
	VMCS_GUEST_SYSENTER_CS = 0x482a,
	VMCS_PREEMPTION_TIMER_VALUE = 0x482e,
	VMCS_HOST_SYSENTER_CS = 0x4c00,

	/* natural-width fields (B.4) */
	VMCS_CR0_GUEST_HOST_MASK = 0x6000,
	VMCS_CR4_GUEST_HOST_MASK = 0x6002,
	VMCS_CR0_READ_SHADOW = 0x6004,
	VMCS_CR4_READ_SHADOW = 0x6006,
	VMCS_EXIT_QUALIFICATION = 0x6400,
	VMCS_GUEST_LINEAR_ADDRESS = 0x640a,
	VMCS_GUEST_CR0 = 0x6800,
	VMCS_GUEST_CR3 = 0x6802,
	VMCS_GUEST_CR4 = 0x6804,
	VMCS_GUEST_ES_BASE = 0x6806,
	VMCS_GUEST_CS_BASE = 0x6808,
	VMCS_GUEST_SS_BASE = 0x680a,
	VMCS_GUEST_DS_BASE = 0x680c,
	VMCS_GUEST_FS_BASE = 0x680e,
	VMCS_GUEST_GS_BASE = 0x6810,
	VMCS_GUEST_LDTR_BASE = 0x6812,
	VMCS_GUEST_TR_BASE = 0x6814,
	VMCS_GUEST_GDTR_BASE = 0x6816,
	VMCS_GUEST_IDTR_BASE = 0x6818,
	VMCS_GUEST_DR7 = 0x681a,
	VMCS_GUEST_RSP = 0x681c,
	VMCS_GUEST_RIP = 0x681e,
	VMCS_GUEST_RFLAGS = 0x6820,
	VMCS_GUEST_PENDING_DBG = 0x6822,
	VMCS_GUEST_SYSENTER_ESP = 0x6824,
	VMCS_GUEST_SYSENTER_EIP = 0x6826,
	VMCS_HOST_CR0 = 0x6c00,
	VMCS_HOST_CR3 = 0x6c02,
	VMCS_HOST_CR4 = 0x6c04,
	VMCS_HOST_FS_BASE = 0x6c06,
	VMCS_HOST_GS_BASE = 0x6c08,
	VMCS_HOST_TR_BASE = 0x6c0a,
	VMCS_HOST_GDTR_BASE = 0x6c0c,
	VMCS_HOST_IDTR_BASE = 0x6c0e,
	VMCS_HOST_SYSENTER_ESP = 0x6c10,
	VMCS_HOST_SYSENTER_EIP = 0x6c12,
	VMCS_HOST_RSP = 0x6c14,
	VMCS_HOST_RIP = 0x6c16,
};

/* Basic exit reasons (appendix C). */
enum exit_reason {
	EXIT_EXCEPTION_NMI = 0,
	EXIT_EXTERNAL_INTERRUPT = 1,
	EXIT_TRIPLE_FAULT = 2,
	EXIT_INIT = 3,
	EXIT_SIPI = 4,
	EXIT_INTERRUPT_WINDOW = 7,
	EXIT_NMI_WINDOW = 8,
	EXIT_TASK_SWITCH = 9,
	EXIT_CPUID = 10,
	EXIT_GETSEC = 11,
	EXIT_HLT = 12,
	EXIT_INVD = 13,
	EXIT_INVLPG = 14,
	EXIT_RDPMC = 15,
	EXIT_RDTSC = 16,
	EXIT_RSM = 17,
	EXIT_VMCALL = 18,
	EXIT_VMCLEAR = 19,
	EXIT_VMLAUNCH = 20,
	EXIT_VMPTRLD = 21,
	EXIT_VMPTRST = 22,
	EXIT_VMREAD = 23,
	EXIT_VMRESUME = 24,
	EXIT_VMWRITE = 25,
	EXIT_VMXOFF = 26,
	EXIT_VMXON = 27,
	EXIT_CR_ACCESS = 28,
	EXIT_DR_ACCESS = 29,
	EXIT_IO_INSTRUCTION = 30,
	EXIT_RDMSR = 31,
	EXIT_WRMSR = 32,
	EXIT_ENTRY_INVALID_GUEST_STATE = 33,
	EXIT_ENTRY_MSR_LOADING = 34,
	EXIT_MWAIT = 36,
	EXIT_MONITOR_TRAP_FLAG = 37,
	EXIT_MONITOR = 39,
	EXIT_PAUSE = 40,
	EXIT_ENTRY_MACHINE_CHECK = 41,
	EXIT_TPR_BELOW_THRESHOLD = 43,
	EXIT_APIC_ACCESS = 44,
	EXIT_VIRTUALIZED_EOI = 45,
	EXIT_GDTR_IDTR = 46,
	EXIT_LDTR_TR = 47,
	EXIT_EPT_VIOLATION = 48,
	EXIT_EPT_MISCONFIG = 49,
	EXIT_INVEPT = 50,
	EXIT_RDTSCP = 51,
	EXIT_PREEMPTION_TIMER = 52,
	EXIT_INVVPID = 53,
	EXIT_WBINVD = 54,
	EXIT_XSETBV = 55,
	EXIT_APIC_WRITE = 56,
	EXIT_RDRAND = 57,
	EXIT_INVPCID = 58,
	EXIT_VMFUNC = 59,
	EXIT_ENCLS = 60,
	EXIT_RDSEED = 61,
	EXIT_PML_FULL = 62,
	EXIT_XSAVES = 63,
	EXIT_XRSTORS = 64,
	EXIT_REASON_MAX = 65,
};

#define EXIT_REASON_BASIC(r)       ((r) & 0xffff)
#define EXIT_REASON_ENTRY_FAILURE  BIT(31)

/* VM-entry/exit interruption information (25.8.3, 26.9.2). */
#define INTR_INFO_VECTOR(i)        ((i) & 0xff)
#define INTR_INFO_TYPE(i)          (((i) >> 8) & 7)
#define INTR_INFO_ERROR_CODE       BIT(11)
#define INTR_INFO_NMI_UNBLOCKING   BIT(12)
#define INTR_INFO_VALID            BIT(31)
enum intr_type {
	INTR_TYPE_EXT_INTERRUPT = 0,
	INTR_TYPE_NMI = 2,
	INTR_TYPE_HW_EXCEPTION = 3,
	INTR_TYPE_SW_INTERRUPT = 4,
	INTR_TYPE_PRIV_SW_EXCEPTION = 5,
	INTR_TYPE_SW_EXCEPTION = 6,
};
#define NMI_VECTOR 2               /* Vol. 3A 6.3.1 */

/* Guest interruptibility state (25.4.2, table 25-3). */
#define INTERRUPTIBILITY_STI       BIT(0)
#define INTERRUPTIBILITY_MOV_SS    BIT(1)
#define INTERRUPTIBILITY_NMI       BIT(3)

/* Pending debug exceptions (table 25-4): BS, a single-step trap pending. */
#define PENDING_DBG_BS             BIT(14)

/* Guest activity state (25.4.2). */
#define ACTIVITY_ACTIVE 0
#define ACTIVITY_HLT    1

/* The name of a basic exit reason (the exit table, exit.c) and of a
 * VM-instruction error (vmcs.c), for the console. */
const char *vmx_exit_reason_name(uint32_t basic_reason);
const char *vmx_instruction_error_name(uint32_t err);

/* ---- VMX instructions on the current VMCS (SDM Vol. 3C chapter 31) ---- */

/* VMREADs and VMWRITEs are counted (struct vmcs_counters, percpu.h). */
/* Count what follows outside any exit. */
void vmcs_charge_none(void);

/* VMREAD without counting: for the exit reason, which says where to count. */
static inline uint64_t vmcs_read_raw(enum vmcs_field f)
{
	uint64_t v;

	__asm__ volatile("vmread %1, %0" : "=rm"(v) : "r"((uint64_t)f) : "cc");
	return v;
}

static inline uint64_t vmcs_read(enum vmcs_field f)
{
	this_cpu_vmcs_charge()->reads++;
	return vmcs_read_raw(f);
}

/* VMWRITE to a field the CPU lacks fails with VMfailValid; our fields are
 * all architectural for the features we enable, so a failure is a
 * hypervisor bug, reported out of line (CF or ZF set: JBE). */
__attribute__((cold, noinline)) void vmcs_write_failed(enum vmcs_field f, uint64_t v);

static inline void vmcs_write(enum vmcs_field f, uint64_t v)
{
	this_cpu_vmcs_charge()->writes++;
	__asm__ goto("vmwrite %1, %0; jbe %l[failed]"
		     : : "r"((uint64_t)f), "rm"(v) : "cc", "memory" : failed);
	return;
failed:
	vmcs_write_failed(f, v);
}

int vmcs_clear(paddr_t vmcs);
int vmcs_load(paddr_t vmcs);

#endif
