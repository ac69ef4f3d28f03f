/* VT-x bring-up: what the CPU offers (the capability MSRs, SDM Vol. 3D
 * appendix A) and entering VMX root operation (SDM Vol. 3C 24.7). */
#ifndef ARCH_VMX_H
#define ARCH_VMX_H

#include <hv/types.h>

/* Pin-based VM-execution controls (SDM Vol. 3C 25.6.1). */
#define PIN_EXTERNAL_INTERRUPT_EXITING BIT(0)
#define PIN_NMI_EXITING                BIT(3)
#define PIN_VIRTUAL_NMIS               BIT(5)
#define PIN_PREEMPTION_TIMER           BIT(6)
#define PIN_POSTED_INTERRUPTS          BIT(7)

/* Primary processor-based VM-execution controls (25.6.2, table 25-6). */
#define PROC_INTERRUPT_WINDOW_EXITING  BIT(2)
#define PROC_USE_TSC_OFFSETTING        BIT(3)
#define PROC_HLT_EXITING               BIT(7)
#define PROC_INVLPG_EXITING            BIT(9)
#define PROC_MWAIT_EXITING             BIT(10)
#define PROC_RDPMC_EXITING             BIT(11)
#define PROC_RDTSC_EXITING             BIT(12)
#define PROC_CR3_LOAD_EXITING          BIT(15)
#define PROC_CR3_STORE_EXITING         BIT(16)
#define PROC_CR8_LOAD_EXITING          BIT(19)
#define PROC_CR8_STORE_EXITING         BIT(20)
#define PROC_USE_TPR_SHADOW            BIT(21)
#define PROC_NMI_WINDOW_EXITING        BIT(22)
#define PROC_MOV_DR_EXITING            BIT(23)
#define PROC_UNCONDITIONAL_IO_EXITING  BIT(24)
#define PROC_USE_IO_BITMAPS            BIT(25)
#define PROC_MONITOR_TRAP_FLAG         BIT(27)
#define PROC_USE_MSR_BITMAPS           BIT(28)
#define PROC_MONITOR_EXITING           BIT(29)
#define PROC_PAUSE_EXITING             BIT(30)
#define PROC_ACTIVATE_SECONDARY        BIT(31)

/* Secondary processor-based VM-execution controls (table 25-7). */
#define PROC2_VIRTUALIZE_APIC_ACCESSES BIT(0)
#define PROC2_ENABLE_EPT               BIT(1)
#define PROC2_DESCRIPTOR_TABLE_EXITING BIT(2)
#define PROC2_ENABLE_RDTSCP            BIT(3)
#define PROC2_VIRTUALIZE_X2APIC        BIT(4)
#define PROC2_ENABLE_VPID              BIT(5)
#define PROC2_WBINVD_EXITING           BIT(6)
#define PROC2_UNRESTRICTED_GUEST       BIT(7)
#define PROC2_APIC_REGISTER_VIRT       BIT(8)
#define PROC2_VIRTUAL_INTR_DELIVERY    BIT(9)
#define PROC2_PAUSE_LOOP_EXITING       BIT(10)
#define PROC2_ENABLE_INVPCID           BIT(12)
#define PROC2_ENABLE_VMFUNC            BIT(13)
#define PROC2_ENABLE_PML               BIT(17)
#define PROC2_ENABLE_XSAVES            BIT(20)

/* VM-exit controls (25.7.1, table 25-13). */
#define EXIT_SAVE_DEBUG_CONTROLS       BIT(2)
#define EXIT_HOST_ADDRESS_SPACE_SIZE   BIT(9)
#define EXIT_LOAD_PERF_GLOBAL_CTRL     BIT(12)
#define EXIT_ACK_INTERRUPT_ON_EXIT     BIT(15)
#define EXIT_SAVE_PAT                  BIT(18)
#define EXIT_LOAD_PAT                  BIT(19)
#define EXIT_SAVE_EFER                 BIT(20)
#define EXIT_LOAD_EFER                 BIT(21)
#define EXIT_SAVE_PREEMPTION_TIMER     BIT(22)

/* VM-entry controls (25.8.1, table 25-15). */
#define ENTRY_LOAD_DEBUG_CONTROLS      BIT(2)
#define ENTRY_IA32E_MODE_GUEST         BIT(9)
#define ENTRY_LOAD_PERF_GLOBAL_CTRL    BIT(13)
#define ENTRY_LOAD_PAT                 BIT(14)
#define ENTRY_LOAD_EFER                BIT(15)

/* IA32_VMX_BASIC (appendix A.1). */
#define VMX_BASIC_REVISION(b)    ((uint32_t)(b) & 0x7fffffff)
#define VMX_BASIC_VMCS_SIZE(b)   ((uint32_t)((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b)     ((uint32_t)((b) >> 50) & 0xf)
#define VMX_BASIC_TRUE_CTLS      BIT(55)
#define VMX_MEMTYPE_WB           6

/* IA32_VMX_EPT_VPID_CAP (appendix A.10). */
#define EPT_CAP_EXEC_ONLY        BIT(0)
#define EPT_CAP_PWL4             BIT(6)
#define EPT_CAP_UC               BIT(8)
#define EPT_CAP_WB               BIT(14)
#define EPT_CAP_2M               BIT(16)
#define EPT_CAP_1G               BIT(17)
#define EPT_CAP_INVEPT           BIT(20)
#define EPT_CAP_AD               BIT(21)
#define EPT_CAP_INVEPT_SINGLE    BIT(25)
#define EPT_CAP_INVEPT_ALL       BIT(26)
#define VPID_CAP_INVVPID         BIT(32)
#define VPID_CAP_INVVPID_SINGLE  BIT(41)
#define VPID_CAP_INVVPID_ALL     BIT(42)

/* IA32_VMX_MISC (appendix A.6). */
#define VMX_MISC_PREEMPTION_RATE(m) ((uint32_t)(m) & 0x1f)

/* A control MSR: bits 31:0 are the allowed-0 settings (1 = must be 1),
 * bits 63:32 the allowed-1 settings (0 = must be 0), appendix A.3. */
struct vmx_ctl_caps {
	uint32_t must_be_1;
	uint32_t may_be_1;
};

struct vmx_caps {
	uint64_t basic;
	uint32_t revision;
	uint32_t vmcs_size;
	struct vmx_ctl_caps pin, proc, proc2, exit, entry;
	uint64_t ept_vpid;
	uint64_t misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* Fill caps from the capability MSRs (TRUE controls where offered).
 * Returns HV_ENOTSUP with *missing naming exactly what the machine lacks
 * (VMX, EPT, a usable EPT format, firmware locking VMX off...). */
int vmx_probe(struct vmx_caps *caps, const char **missing);
/* Enable VMX on this CPU: IA32_FEATURE_CONTROL, CR0/CR4 fixed bits, a
 * VMXON region, VMXON.  Returns 0 or an error already reported. */
int vmx_enable_cpu(unsigned cpu, const struct vmx_caps *caps);
void vmx_print_caps(const struct vmx_caps *caps);
/* The capabilities vmx_probe() found on the boot CPU. */
const struct vmx_caps *vmx_get_caps(void);

/* Drop cached translations of one EPT / one VPID (all, where the CPU
 * offers no single-context form). */
void vmx_invept(uint64_t eptp);
void vmx_invvpid(uint16_t vpid);

/* A control value: the wanted bits, plus the bits the CPU requires, minus
 * those it cannot set.  Wanted bits it lacks are returned in *missing. */
uint32_t vmx_ctl_value(const struct vmx_ctl_caps *c, uint32_t want, uint32_t *missing);

#endif
