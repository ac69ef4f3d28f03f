/* VMCS access and the names the console uses for VM-instruction errors. */
#include <arch/gdt.h>
#include <arch/vmcs.h>
#include <hv/errno.h>
#include <hv/log.h>

/* Accesses outside any exit (setting up a VMCS) are counted apart. */
void vmcs_charge_none(void) { this_cpu()->vmcs_charge = &this_cpu()->uncharged; }

void vmcs_write_failed(enum vmcs_field f, uint64_t v)
{
	pr_err("vmx: VMWRITE of field 0x%04x = 0x%lx failed (VM-instruction error %lu)",
	       (unsigned)f, v, vmcs_read(VMCS_INSTRUCTION_ERROR));
}

static int vmx_op(const char *insn_fail, int which, paddr_t pa)
{
	uint8_t fail_invalid, fail_valid;

	if (which == 0)
		__asm__ volatile("vmclear %2; setc %0; setz %1"
				 : "=qm"(fail_invalid), "=qm"(fail_valid) : "m"(pa) : "cc", "memory");
	else
		__asm__ volatile("vmptrld %2; setc %0; setz %1"
				 : "=qm"(fail_invalid), "=qm"(fail_valid) : "m"(pa) : "cc", "memory");
	if (!fail_invalid && !fail_valid)
		return 0;
	pr_err("vmx: %s of VMCS 0x%lx failed", insn_fail, pa);
	return HV_EIO;
}

int vmcs_clear(paddr_t vmcs) { return vmx_op("VMCLEAR", 0, vmcs); }
int vmcs_load(paddr_t vmcs) { return vmx_op("VMPTRLD", 1, vmcs); }

/* SDM Vol. 3C 31.4, table 31-1. */
static const char *const insn_errors[] = {
	[1] = "VMCALL executed in VMX root operation",
	[2] = "VMCLEAR with invalid physical address",
	[3] = "VMCLEAR with VMXON pointer",
	[4] = "VMLAUNCH with non-clear VMCS",
	[5] = "VMRESUME with non-launched VMCS",
	[6] = "VMRESUME after VMXOFF",
	[7] = "VM entry with invalid control field(s)",
	[8] = "VM entry with invalid host-state field(s)",
	[9] = "VMPTRLD with invalid physical address",
	[10] = "VMPTRLD with VMXON pointer",
	[11] = "VMPTRLD with incorrect VMCS revision identifier",
	[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
	[13] = "VMWRITE to read-only VMCS component",
	[15] = "VMXON executed in VMX root operation",
	[16] = "VM entry with invalid executive-VMCS pointer",
	[17] = "VM entry with non-launched executive VMCS",
	[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
	[19] = "VMCALL with non-clear VMCS",
	[20] = "VMCALL with invalid VM-exit control fields",
	[22] = "VMCALL with incorrect MSEG revision identifier",
	[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
	[24] = "VMCALL with invalid SMM-monitor features",
	[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
	[26] = "VM entry with events blocked by MOV SS",
	[28] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(uint32_t err)
{
	if (err < ARRAY_SIZE(insn_errors) && insn_errors[err])
		return insn_errors[err];
	return "unknown VM-instruction error";
}
