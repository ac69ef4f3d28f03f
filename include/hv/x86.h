/* x86 architecture facts that the emulation needs (Intel SDM Vol. 2 and
 * Vol. 3A): control-register, flag and EFER bits, MSR numbers, exception
 * vectors, segment access rights.  Definitions only, nothing that runs a
 * privileged instruction, so portable code and host unit tests use them;
 * arch/x86_64 adds what executes (arch/cpu.h, arch/msr.h). */
#ifndef HV_X86_H
#define HV_X86_H

#include <hv/types.h>

/* CR0 (Vol. 3A 2.5). */
#define CR0_PE BIT(0)
#define CR0_MP BIT(1)
#define CR0_EM BIT(2)
#define CR0_TS BIT(3)
#define CR0_ET BIT(4)
#define CR0_NE BIT(5)
#define CR0_WP BIT(16)
#define CR0_AM BIT(18)
#define CR0_NW BIT(29)
#define CR0_CD BIT(30)
#define CR0_PG BIT(31)

/* CR4. */
#define CR4_DE BIT(3)
#define CR4_PSE BIT(4)
#define CR4_PAE BIT(5)
#define CR4_PGE BIT(7)
#define CR4_OSFXSR BIT(9)
#define CR4_LA57 BIT(12)
#define CR4_VMXE BIT(13)
#define CR4_SMXE BIT(14)
#define CR4_PCIDE BIT(17)
#define CR4_OSXSAVE BIT(18)

/* RFLAGS (Vol. 1 3.4.3). */
#define RFLAGS_CF BIT(0)
#define RFLAGS_ZF BIT(6)
#define RFLAGS_TF BIT(8)
#define RFLAGS_IF BIT(9)
#define RFLAGS_DF BIT(10)
#define RFLAGS_RF BIT(16)
#define RFLAGS_AC BIT(18)

/* DR6, the debug status register (Vol. 3A 17.2.3): B0-B3 say which
 * breakpoint conditions were met; BD a MOV DR with DR7.GD set; BS a single
 * step.  The processor may clear B0-B3 on a #DB and never clears the rest. */
#define DR6_B0_B3  0xfULL
#define DR6_BD     BIT(13)
#define DR6_BS     BIT(14)
#define DR6_RESET  0xffff0ff0ULL   /* the value at power-up (17.2.3) */
/* DR7, the debug control register (Vol. 3A 17.2.4): L0/G0-L3/G3 enable
 * the breakpoints; GD, general detect, which the processor clears on
 * entering the #DB handler; R/W and LEN of breakpoint n at bits 16 + 4n. */
#define DR7_ENABLES 0xffULL
#define DR7_GD     BIT(13)
#define DR7_RW(dr7, n)  (((dr7) >> (16 + 4 * (n))) & 3)
#define DR7_LEN(dr7, n) (((dr7) >> (18 + 4 * (n))) & 3)

/* IA32_EFER (Vol. 3A 2.2.1). */
#define EFER_SCE BIT(0)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

/* MSRs (Vol. 4). */
/* Speculation control (CPUID.(EAX=7,ECX=0):EDX; Intel's "Speculative
 * Execution Side Channel Mitigations" and the SDM Vol. 4 MSR list). */
#define CPUID7_EDX_MD_CLEAR      BIT(10)   /* VERW clears CPU buffers */
#define CPUID7_EDX_IBRS_IBPB     BIT(26)   /* IA32_SPEC_CTRL.IBRS, IA32_PRED_CMD */
#define CPUID7_EDX_STIBP         BIT(27)
#define CPUID7_EDX_L1D_FLUSH     BIT(28)   /* IA32_FLUSH_CMD */
#define CPUID7_EDX_ARCH_CAP      BIT(29)   /* IA32_ARCH_CAPABILITIES */
#define CPUID7_EDX_CORE_CAP      BIT(30)   /* IA32_CORE_CAPABILITIES */
#define CPUID7_EDX_SSBD          BIT(31)
#define ARCH_CAP_RDCL_NO         BIT(0)    /* not affected by L1TF/Meltdown */
#define ARCH_CAP_SKIP_L1DFL_VMENTRY BIT(3) /* no L1D flush needed on VM entry */
#define ARCH_CAP_MDS_NO          BIT(5)

#define MSR_IA32_TSC                    0x010
#define MSR_IA32_APIC_BASE              0x01b   /* SDM Vol. 3A 11.4.4 */
#define   APIC_BASE_BSP                 BIT(8)
#define   APIC_BASE_EXTD                BIT(10)  /* x2APIC mode (11.12.1) */
#define   APIC_BASE_EN                  BIT(11)
#define MSR_IA32_FEATURE_CONTROL        0x03a
#define   FEATURE_CONTROL_LOCK          BIT(0)
#define   FEATURE_CONTROL_VMX_IN_SMX    BIT(1)
#define   FEATURE_CONTROL_VMX_OUTSIDE_SMX BIT(2)
#define MSR_IA32_TSC_ADJUST             0x03b
#define MSR_IA32_SPEC_CTRL              0x048   /* IBRS, STIBP, SSBD */
#define MSR_IA32_PRED_CMD               0x049   /* bit 0: IBPB (write-only) */
#define MSR_IA32_PLATFORM_ID            0x017
#define MSR_IA32_BIOS_SIGN_ID           0x08b
#define MSR_IA32_ARCH_CAPABILITIES      0x10a   /* read-only */
#define MSR_IA32_FLUSH_CMD              0x10b   /* bit 0: L1D_FLUSH (write-only) */
#define MSR_IA32_SYSENTER_CS            0x174
#define MSR_IA32_SYSENTER_ESP           0x175
#define MSR_IA32_SYSENTER_EIP           0x176
#define MSR_IA32_MCG_CAP                0x179   /* SDM Vol. 3B 16.3.1.1 */
#define MSR_IA32_MCG_STATUS             0x17a
#define MSR_IA32_MISC_ENABLE            0x1a0   /* SDM Vol. 4 table 2-2 */
#define   MISC_ENABLE_FAST_STRINGS      BIT(0)
#define   MISC_ENABLE_TCC               BIT(3)   /* automatic thermal control */
#define   MISC_ENABLE_EIST              BIT(16)
#define   MISC_ENABLE_MONITOR_FSM       BIT(18)
#define   MISC_ENABLE_XTPR_DISABLE      BIT(23)
#define MSR_IA32_DEBUGCTL               0x1d9
#define MSR_IA32_PAT                    0x277
#define MSR_IA32_EFER                   0xc0000080
#define MSR_IA32_STAR                   0xc0000081
#define MSR_IA32_LSTAR                  0xc0000082
#define MSR_IA32_CSTAR                  0xc0000083
#define MSR_IA32_FMASK                  0xc0000084
#define MSR_IA32_FS_BASE                0xc0000100
#define MSR_IA32_GS_BASE                0xc0000101
#define MSR_IA32_KERNEL_GS_BASE         0xc0000102
#define MSR_IA32_TSC_AUX                0xc0000103

/* Exception vectors (Vol. 3A 6.3.1, table 6-1). */
enum x86_vector {
	X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5, X86_UD = 6,
	X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS = 12, X86_GP = 13, X86_PF = 14,
	X86_MF = 16, X86_AC = 17, X86_MC = 18, X86_XM = 19, X86_VE = 20, X86_CP = 21,
};

/* Segment access rights as the descriptor holds them (Vol. 3A 3.4.5, the
 * layout of VMX's access-rights fields too): DPL 6:5, L 13, D/B 14. */
#define SEG_AR_DPL(ar) (((ar) >> 5) & 3)
#define SEG_AR_L       BIT(13)
#define SEG_AR_DB      BIT(14)

/* CPUID's four output registers. */
struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

#endif
