/* Fuzz the PC platform as a whole (src/dev/platform.c and the models it
 * wires together: PIC, PIT, RTC, PCI, ACPI PM, keyboard controller, I/O
 * APIC, one local APIC per vCPU) for a VM with FZ_VCPUS vCPUs on the unit
 * tests' fake architecture (tests/unit/fake_arch.c).  The input is a
 * stream of operations, each an op byte and its operands:
 *
 *   op % 8 = 0: port read    u16 port, size 1 << ((op >> 3) & 3) (1, 2, 4)
 *            1: port write   u16 port, u32 value
 *            2: MMIO read    u8 which (I/O APIC or local APIC page), u16 offset
 *            3: MMIO write   u8 which, u16 offset, u32 value
 *            4: MSR read     u8 vCPU, u16 MSR index (see msr_of)
 *            5: MSR write    u8 vCPU, u16 MSR index, u64 value
 *            6: time         u32 ticks, shifted left by (op >> 3) & 15; then
 *                            every vCPU's timers run (platform_tick)
 *            7: interrupt    u8 vCPU: the pending vector, acknowledged
 *
 * Checks: a pending vector is -1 or 0..255 (not 16..255: the PIC gives
 * whatever its vector base makes, 0 before a guest programs it; found by
 * this harness, and what an 8259 does too); a vCPU's next timer event is
 * 0 or later than now; and ASan/UBSan on everything. */
#include "fuzz.h"
#include "fake_arch.h"

#include <hv/acpi_build.h>
#include <hv/io.h>
#include <hv/platform.h>
#include <hv/vcpu.h>
#include <hv/vlapic.h>
#include <hv/vm.h>

#define FZ_VCPUS    2
#define FZ_MAX_OPS  2048
#define FZ_RAM      (1u << 20)         /* room for the ACPI tables */

/* MSRs: the x2APIC range, IA32_APIC_BASE, TSC_DEADLINE, and any other
 * index (the platform refuses what it does not own). */
static uint32_t msr_of(uint16_t sel)
{
	switch (sel >> 14) {
	case 0: return 0x800 + (sel & 0xff);
	case 1: return 0x1b;
	case 2: return 0x6e0;
	default: return sel;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vm vm_storage;
	static uint8_t ram[FZ_RAM] __attribute__((aligned(4096)));
	struct fz f = { data, size };
	struct vm *vm = &vm_storage;
	uint64_t val;

	fake_vm_init(vm, ram, sizeof(ram));   /* no allocation a run */
	vm->nr_vcpus = FZ_VCPUS;
	for (unsigned k = 1; k < FZ_VCPUS; k++)
		vcpu_init_waiting(&vm->vcpus[k], vm, k);
	fake_tsc_now = 1000;
	fake_platform(vm);
	for (unsigned n = 0; n < FZ_MAX_OPS && fz_left(&f); n++) {
		uint8_t op = fz_u8(&f);
		unsigned sz = 1u << ((op >> 3) & 3);
		struct vcpu *v;
		uint64_t base;
		int vec;

		if (sz == 8)
			sz = 4;
		switch (op % 8) {
		case 0:
			(void)io_read(&vm->pio, fz_u16(&f), sz, &val);
			break;
		case 1: {
			uint16_t port = fz_u16(&f);

			(void)io_write(&vm->pio, port, sz, fz_u32(&f));
			break;
		}
		case 2:
			base = (fz_u8(&f) & 1) ? VLAPIC_DEFAULT_BASE : ACPI_GUEST_IOAPIC_ADDR;
			(void)io_read(&vm->mmio, base + (fz_u16(&f) & 0xfff), sz, &val);
			break;
		case 3: {
			uint16_t off;

			base = (fz_u8(&f) & 1) ? VLAPIC_DEFAULT_BASE : ACPI_GUEST_IOAPIC_ADDR;
			off = fz_u16(&f) & 0xfff;
			(void)io_write(&vm->mmio, base + off, sz, fz_u32(&f));
			break;
		}
		case 4:
			v = &vm->vcpus[fz_u8(&f) % FZ_VCPUS];
			(void)platform_msr_read(v, msr_of(fz_u16(&f)), &val);
			break;
		case 5: {
			uint32_t msr;

			v = &vm->vcpus[fz_u8(&f) % FZ_VCPUS];
			msr = msr_of(fz_u16(&f));
			(void)platform_msr_write(v, msr, fz_u64(&f));
			break;
		}
		case 6:
			fake_tsc_now += (uint64_t)fz_u32(&f) << ((op >> 3) & 15);
			for (unsigned k = 0; k < FZ_VCPUS; k++) {
				uint64_t next;

				platform_tick(&vm->vcpus[k]);
				next = platform_next_event_tsc(&vm->vcpus[k]);
				FZ_CHECK(next == 0 || next > fake_tsc_now);
			}
			break;
		case 7:
			v = &vm->vcpus[fz_u8(&f) % FZ_VCPUS];
			vec = platform_pending_vector(v);
			FZ_CHECK(vec >= -1 && vec <= 255);
			if (vec >= 0)
				platform_ack_vector(v, vec);
			break;
		}
	}
	return 0;
}
