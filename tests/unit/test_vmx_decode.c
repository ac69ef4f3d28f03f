/* Unit tests of arch/x86_64/vmx/decode.c: VM-exit information as
 * vendor-neutral requests and events, and events as VM-entry fields. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arch/vmcs.h>
#include <arch/vmx_decode.h>

static uint32_t vectoring(uint32_t type, uint32_t vector, bool error)
{
	return INTR_INFO_VALID | (type << 8) | vector | (error ? INTR_INFO_ERROR_CODE : 0);
}

/* The event decoded and encoded again: what re-injection writes. */
static uint32_t reinjection(uint32_t info, uint32_t error, uint32_t insn_len, struct event *e)
{
	if (!vmx_decode_vectoring(info, error, insn_len, e))
		return 0;
	return vmx_entry_intr_info(e);
}

static void test_nothing_to_reinject(void **state)
{
	struct event e = { .valid = true };

	(void)state;
	assert_int_equal(reinjection(0, 0, 3, &e), 0);
	assert_false(e.valid);
	/* Bits without the valid bit mean nothing. */
	assert_int_equal(reinjection(0x30e, 0, 3, &e), 0);
	assert_false(e.valid);
}

static void test_hardware_events(void **state)
{
	uint32_t pf = vectoring(INTR_TYPE_HW_EXCEPTION, 14, true);
	struct event e;

	(void)state;
	/* A #PF whose delivery hit an EPT violation: again, error code too. */
	assert_int_equal(reinjection(pf, 0x11, 3, &e), pf);
	assert_int_equal(e.type, EVENT_HW_EXCEPTION);
	assert_int_equal(e.vector, 14);
	assert_true(e.has_error);
	assert_int_equal(e.error, 0x11);
	assert_int_equal(e.insn_len, 0);
	/* An external interrupt and an NMI need no instruction length. */
	assert_int_equal(reinjection(vectoring(INTR_TYPE_EXT_INTERRUPT, 0x30, false), 0, 2, &e),
			 vectoring(INTR_TYPE_EXT_INTERRUPT, 0x30, false));
	assert_int_equal(e.insn_len, 0);
	assert_false(e.has_error);
	assert_int_equal(reinjection(vectoring(INTR_TYPE_NMI, 2, false), 0, 2, &e),
			 vectoring(INTR_TYPE_NMI, 2, false));
	assert_int_equal(e.type, EVENT_NMI);
	assert_int_equal(e.insn_len, 0);
}

static void test_software_events_keep_their_length(void **state)
{
	struct event e;

	(void)state;
	/* INT 0x80 (2 bytes), INT3 (1), INT1 (1). */
	assert_int_equal(reinjection(vectoring(INTR_TYPE_SW_INTERRUPT, 0x80, false), 0, 2, &e),
			 vectoring(INTR_TYPE_SW_INTERRUPT, 0x80, false));
	assert_int_equal(e.insn_len, 2);
	reinjection(vectoring(INTR_TYPE_SW_EXCEPTION, 3, false), 0, 1, &e);
	assert_int_equal(e.insn_len, 1);
	reinjection(vectoring(INTR_TYPE_PRIV_SW_EXCEPTION, 1, false), 0, 1, &e);
	assert_int_equal(e.insn_len, 1);
}

static void test_bit_12_dropped(void **state)
{
	uint32_t info = vectoring(INTR_TYPE_HW_EXCEPTION, 13, true);
	struct event e;

	(void)state;
	/* Undefined in IDT-vectoring information, reserved on VM entry. */
	assert_int_equal(reinjection(info | INTR_INFO_NMI_UNBLOCKING, 0, 3, &e), info);
}

static void test_exception_ac(void **state)
{
	uint32_t info = vectoring(INTR_TYPE_HW_EXCEPTION, 17, true);
	struct exception_request r;
	bool unblocked;

	(void)state;
	/* #AC with its error code 0; no instruction length for a hardware
	 * exception, no DR6 bits whatever the qualification holds. */
	vmx_decode_exception(info, 0, 4, 0x4001, &r, &unblocked);
	assert_true(r.event.valid);
	assert_int_equal(r.event.type, EVENT_HW_EXCEPTION);
	assert_int_equal(r.event.vector, 17);
	assert_true(r.event.has_error);
	assert_int_equal(r.event.error, 0);
	assert_int_equal(r.event.insn_len, 0);
	assert_int_equal(r.dr6, 0);
	assert_false(unblocked);
	/* Re-injected as it came. */
	assert_int_equal(vmx_entry_intr_info(&r.event), info);
	/* Bit 12: a fault in an IRET that had unblocked NMIs (28.2.3); not
	 * re-injected (reserved on entry). */
	vmx_decode_exception(info | INTR_INFO_NMI_UNBLOCKING, 0, 0, 0, &r, &unblocked);
	assert_true(unblocked);
	assert_int_equal(vmx_entry_intr_info(&r.event), info);
}

static void test_exception_db(void **state)
{
	uint32_t info = vectoring(INTR_TYPE_HW_EXCEPTION, 1, false);
	struct exception_request r;
	bool unblocked;

	(void)state;
	/* Table 28-1: B0-B3 3:0, BD 13, BS 14; bits 12:4 and above 14 are
	 * not DR6 bits that a #DB sets here. */
	vmx_decode_exception(info, 0, 0, 0x2, &r, &unblocked);
	assert_int_equal(r.dr6, DR6_B0_B3 & 0x2);
	assert_false(r.event.has_error);
	vmx_decode_exception(info, 0, 0, DR6_BS, &r, &unblocked);
	assert_int_equal(r.dr6, DR6_BS);
	vmx_decode_exception(info, 0, 0, DR6_BD | 0x9, &r, &unblocked);
	assert_int_equal(r.dr6, DR6_BD | 0x9);
	vmx_decode_exception(info, 0, 0, 0xffffffffffffffffULL, &r, &unblocked);
	assert_int_equal(r.dr6, DR6_B0_B3 | DR6_BD | DR6_BS);
	/* INT1 (ICEBP): a privileged software exception with its length,
	 * re-injected with both; no DR6 bits. */
	info = vectoring(INTR_TYPE_PRIV_SW_EXCEPTION, 1, false);
	vmx_decode_exception(info, 0, 1, 0, &r, &unblocked);
	assert_int_equal(r.event.type, EVENT_PRIV_SW_EXCEPTION);
	assert_int_equal(r.event.vector, 1);
	assert_int_equal(r.event.insn_len, 1);
	assert_int_equal(r.dr6, 0);
	assert_int_equal(vmx_entry_intr_info(&r.event), info);
}

static void test_exception_mc(void **state)
{
	struct exception_request r;
	bool unblocked;

	(void)state;
	vmx_decode_exception(vectoring(INTR_TYPE_HW_EXCEPTION, 18, false), 0, 0, 0, &r,
			     &unblocked);
	assert_true(r.event.valid);
	assert_int_equal(r.event.vector, 18);
	assert_false(r.mc_status_valid);
	/* Nothing valid, nothing decoded. */
	vmx_decode_exception(0, 0, 0, 0, &r, &unblocked);
	assert_false(r.event.valid);
	assert_false(unblocked);
}

static void test_io(void **state)
{
	struct pio_request r;

	(void)state;
	/* OUT DX, AL to 0x3ff (table 28-5: size-1 in 2:0, port in 31:16). */
	vmx_decode_io(0x03ff0000, 0, 0, &r);
	assert_int_equal(r.port, 0x3ff);
	assert_int_equal(r.size, 1);
	assert_false(r.in);
	assert_false(r.string);
	/* IN EAX, 0x71 with an immediate operand (bit 6). */
	vmx_decode_io(0x00710000 | BIT(6) | BIT(3) | 3, 0, 0, &r);
	assert_int_equal(r.port, 0x71);
	assert_int_equal(r.size, 4);
	assert_true(r.in);
	/* REP INSW to 0x1f0, 32-bit addresses (instruction information
	 * bits 9:7 = 1), the linear address of the first element. */
	vmx_decode_io(0x01f00000 | BIT(5) | BIT(4) | BIT(3) | 1, 1u << 7, 0x8000, &r);
	assert_int_equal(r.size, 2);
	assert_true(r.string);
	assert_true(r.rep);
	assert_int_equal(r.addr_size, 4);
	assert_int_equal(r.gla, 0x8000);
	vmx_decode_io(BIT(4), 0u << 7, 0, &r);
	assert_int_equal(r.addr_size, 2);
	vmx_decode_io(BIT(4), 2u << 7, 0, &r);
	assert_int_equal(r.addr_size, 8);
}

static void test_cr(void **state)
{
	struct cr_request r;

	(void)state;
	/* MOV CR3, RBX (table 28-3: CR 3:0, type 5:4, GPR 11:8). */
	vmx_decode_cr(3 | (0 << 4) | (3 << 8), &r);
	assert_int_equal(r.access, CR_MOV_TO);
	assert_int_equal(r.cr, 3);
	assert_int_equal(r.gpr, 3);
	/* MOV R9, CR8. */
	vmx_decode_cr(8 | (1 << 4) | (9 << 8), &r);
	assert_int_equal(r.access, CR_MOV_FROM);
	assert_int_equal(r.cr, 8);
	assert_int_equal(r.gpr, 9);
	vmx_decode_cr(2 << 4, &r);
	assert_int_equal(r.access, CR_CLTS);
	/* LMSW with source 0x000b in bits 31:16. */
	vmx_decode_cr((3 << 4) | (0xbULL << 16), &r);
	assert_int_equal(r.access, CR_LMSW);
	assert_int_equal(r.lmsw_src, 0xb);
}

static void test_ept_violation(void **state)
{
	struct mmio_request r;

	(void)state;
	/* A data write to a linear address's own page (bits 7 and 8 set). */
	vmx_decode_ept_violation(BIT(1) | BIT(7) | BIT(8), 0xfec00010, 0x7fec00010, false, &r);
	assert_int_equal(r.gpa, 0xfec00010);
	assert_true(r.gla_valid);
	assert_int_equal(r.gla, 0x7fec00010);
	assert_true(vmx_ept_violation_has_gla(BIT(1) | BIT(7) | BIT(8)));
	assert_true(r.write);
	assert_false(r.fetch);
	assert_false(r.page_walk);
	assert_false(r.in_delivery);
	/* The guest's page walk: bit 7 set, bit 8 clear. */
	vmx_decode_ept_violation(BIT(0) | BIT(7), 0xfee00000, 0x1000, false, &r);
	assert_true(r.page_walk);
	assert_false(r.gla_valid);      /* the walk's own entry, not the access's address */
	/* No linear address at all (bit 7 clear): not a page walk. */
	assert_false(vmx_ept_violation_has_gla(BIT(0)));
	vmx_decode_ept_violation(BIT(0), 0xfee00000, 0, true, &r);
	assert_false(r.page_walk);
	assert_false(r.gla_valid);
	assert_true(r.in_delivery);
	vmx_decode_ept_violation(BIT(2) | BIT(7) | BIT(8), 0xc0000000, 0xc0000000, false, &r);
	assert_true(r.fetch);
	assert_true(vmx_ept_violation_unblocked_nmi(BIT(12)));
	assert_false(vmx_ept_violation_unblocked_nmi(BIT(8)));
}

static void test_blocking(void **state)
{
	(void)state;
	assert_int_equal(vmx_blocking(0), 0);
	assert_int_equal(vmx_blocking(INTERRUPTIBILITY_STI), EVENT_BLOCK_STI);
	assert_int_equal(vmx_blocking(INTERRUPTIBILITY_MOV_SS | INTERRUPTIBILITY_NMI),
			 EVENT_BLOCK_MOV_SS | EVENT_BLOCK_NMI);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_to_reinject),
		cmocka_unit_test(test_hardware_events),
		cmocka_unit_test(test_software_events_keep_their_length),
		cmocka_unit_test(test_bit_12_dropped),
		cmocka_unit_test(test_exception_ac),
		cmocka_unit_test(test_exception_db),
		cmocka_unit_test(test_exception_mc),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_cr),
		cmocka_unit_test(test_ept_violation),
		cmocka_unit_test(test_blocking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
