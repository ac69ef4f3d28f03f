/* VM-exit information decoded into vendor-neutral requests and events
 * (SDM Vol. 3C 28.2).  Pure: the callers read the VMCS fields. */
#include <arch/vmcs.h>
#include <arch/vmx_decode.h>

/* I/O exit qualification (table 28-5). */
#define IOQ_SIZE(q)   (((q) & 7) + 1)
#define IOQ_IN        BIT(3)
#define IOQ_STRING    BIT(4)
#define IOQ_REP       BIT(5)
#define IOQ_PORT(q)   (((q) >> 16) & 0xffff)
/* INS/OUTS instruction information (table 28-8): address size 7:9. */
#define IOINFO_ADDR_SIZE(i) (((i) >> 7) & 7)

void vmx_decode_io(uint64_t qual, uint32_t insn_info, uint64_t gla, struct pio_request *r)
{
	unsigned asz = IOINFO_ADDR_SIZE(insn_info);

	*r = (struct pio_request){
		.port = (uint16_t)IOQ_PORT(qual),
		.size = (uint8_t)IOQ_SIZE(qual),
		.in = qual & IOQ_IN,
		.string = qual & IOQ_STRING,
		.rep = qual & IOQ_REP,
	};
	if (!r->string)
		return;
	r->addr_size = asz == 0 ? 2 : asz == 1 ? 4 : 8;
	r->gla = gla;
}

/* Control-register access qualification (table 28-3). */
#define CRQ_NUMBER(q)   ((q) & 0xf)
#define CRQ_TYPE(q)     (((q) >> 4) & 3)
#define CRQ_GPR(q)      (((q) >> 8) & 0xf)
#define CRQ_LMSW_SRC(q) (((q) >> 16) & 0xffff)

void vmx_decode_cr(uint64_t qual, struct cr_request *r)
{
	/* The access types 0-3 are MOV to, MOV from, CLTS, LMSW: the order
	 * of enum cr_access. */
	*r = (struct cr_request){
		.access = (uint8_t)CRQ_TYPE(qual),
		.cr = (uint8_t)CRQ_NUMBER(qual),
		.gpr = (uint8_t)CRQ_GPR(qual),
		.lmsw_src = (uint16_t)CRQ_LMSW_SRC(qual),
	};
}

/* EPT-violation qualification (table 28-7). */
#define EPTQ_READ          BIT(0)
#define EPTQ_WRITE         BIT(1)
#define EPTQ_FETCH         BIT(2)
#define EPTQ_GLA_VALID     BIT(7)   /* the guest-linear address field is valid */
#define EPTQ_GLA_ACCESS    BIT(8)   /* with bit 7: the linear address's own access,
				     * not one to a paging-structure entry */
#define EPTQ_NMI_UNBLOCKING BIT(12)

void vmx_decode_ept_violation(uint64_t qual, uint64_t gpa, uint64_t gla, bool in_delivery,
			      struct mmio_request *r)
{
	*r = (struct mmio_request){
		.gpa = gpa,
		.write = qual & EPTQ_WRITE,
		.fetch = qual & EPTQ_FETCH,
		.in_delivery = in_delivery,
		.page_walk = (qual & EPTQ_GLA_VALID) && !(qual & EPTQ_GLA_ACCESS),
		.gla_valid = (qual & EPTQ_GLA_VALID) && (qual & EPTQ_GLA_ACCESS),
		.gla = gla,
	};
}

bool vmx_ept_violation_has_gla(uint64_t qual) { return qual & EPTQ_GLA_VALID; }

bool vmx_ept_violation_unblocked_nmi(uint64_t qual) { return qual & EPTQ_NMI_UNBLOCKING; }

bool vmx_decode_vectoring(uint32_t info, uint32_t error, uint32_t insn_len, struct event *e)
{
	uint32_t type = INTR_INFO_TYPE(info);

	if (!(info & INTR_INFO_VALID)) {
		e->valid = false;
		return false;
	}
	*e = (struct event){
		.valid = true,
		.type = (uint8_t)type,
		.vector = (uint8_t)INTR_INFO_VECTOR(info),
		.has_error = info & INTR_INFO_ERROR_CODE,
		.error = (info & INTR_INFO_ERROR_CODE) ? error : 0,
	};
	if (type == EVENT_SW_INTERRUPT || type == EVENT_SW_EXCEPTION ||
	    type == EVENT_PRIV_SW_EXCEPTION)
		e->insn_len = insn_len;
	return true;
}

/* Debug-exception exit qualification (table 28-1): B0-B3 in 3:0, BD 13,
 * BS 14, where DR6 has them. */
#define DBGQ_B0_B3 0xfULL
#define DBGQ_BD    BIT(13)
#define DBGQ_BS    BIT(14)
_Static_assert(DBGQ_B0_B3 == DR6_B0_B3 && DBGQ_BD == DR6_BD && DBGQ_BS == DR6_BS,
	       "the #DB exit qualification has DR6's layout");

void vmx_decode_exception(uint32_t intr_info, uint32_t error, uint32_t insn_len, uint64_t qual,
			  struct exception_request *r, bool *nmi_unblocked)
{
	*r = (struct exception_request){ 0 };
	/* The exit interruption information has the IDT-vectoring
	 * information's format (tables 25-19 and 25-20). */
	vmx_decode_vectoring(intr_info, error, insn_len, &r->event);
	/* Only a hardware #DB has a meaningful qualification: INT1 reports
	 * none and sets no DR6 bit. */
	if (r->event.valid && r->event.type == EVENT_HW_EXCEPTION && r->event.vector == X86_DB)
		r->dr6 = qual & (DBGQ_B0_B3 | DBGQ_BD | DBGQ_BS);
	/* Bit 12 is defined only for an exit that did not come from an
	 * event's delivery (28.2.2), which the caller checks. */
	*nmi_unblocked = (intr_info & INTR_INFO_VALID) && (intr_info & INTR_INFO_NMI_UNBLOCKING);
}

uint32_t vmx_entry_intr_info(const struct event *e)
{
	if (!e->valid)
		return 0;
	return INTR_INFO_VALID | ((uint32_t)e->type << 8) | e->vector |
	       (e->has_error ? INTR_INFO_ERROR_CODE : 0);
}

unsigned vmx_blocking(uint32_t intr)
{
	return ((intr & INTERRUPTIBILITY_STI) ? EVENT_BLOCK_STI : 0) |
	       ((intr & INTERRUPTIBILITY_MOV_SS) ? EVENT_BLOCK_MOV_SS : 0) |
	       ((intr & INTERRUPTIBILITY_NMI) ? EVENT_BLOCK_NMI : 0);
}
