/*
 * tinyhv: the guest's DSDT (ACPI 6.x, 5.2.11.1; ASL in chapter 19).
 *
 * Compiled by iasl at build time into a C array, acpi_dsdt_aml[]
 * (firmware/acpi/CMakeLists.txt), which acpi_build() copies next to the
 * tables it generates (src/dev/acpi_build.c).  It describes only what the
 * hypervisor emulates and what a stock Linux kernel looks for; fixed
 * hardware (PM1 event/control blocks, PM timer, reset register) is described
 * by the FADT, processors and the I/O APIC by the MADT.
 *
 * Values the hypervisor's device models depend on:
 *   \_S5 SLP_TYPa = 5: OSPM powers off by writing SLP_TYP = 5 with SLP_EN
 *   to PM1a_CNT (4.8.3.2.1, 7.4.2); ACPI_GUEST_SLP_TYP_S5 in
 *   include/hv/acpi_build.h must stay equal to it (tests/unit checks).
 *   \_S3 SLP_TYPa = 1: suspend to RAM, the value PIIX4-like PCs use;
 *   ACPI_GUEST_SLP_TYP_S3 likewise.
 */
DefinitionBlock ("", "DSDT", 2, "TINYHV", "TINYHV  ", 0x00000001)
{
    /* 7.4.2.4: S3, suspend to RAM: the processors and devices lose their
     * state, memory keeps it; the wake resumes at the FACS's waking
     * vector (src/dev/platform.c, platform_wake). */
    Name (_S3, Package (0x04)
    {
        One,
        One,
        Zero,
        Zero
    })

    /* 7.4.2.6: S5 soft-off.  {SLP_TYPa, SLP_TYPb, reserved, reserved};
     * there is no PM1b block, SLP_TYPb is set alike for tidiness. */
    Name (_S5, Package (0x04)
    {
        0x05,
        0x05,
        Zero,
        Zero
    })

    Scope (_SB)
    {
        /* 6.1.5, 6.2.2, 6.5.5: a PCI host bridge decoding all of the
         * I/O space but its own configuration ports, and the 32-bit MMIO
         * window below the I/O APIC.  Guest RAM must stay below
         * 0xC0000000 for this window not to overlap it. */
        Device (PCI0)
        {
            Name (_HID, EisaId ("PNP0A03"))
            Name (_UID, Zero)
            Name (_BBN, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode,
                    0x0000,             // Granularity
                    0x0000,             // Range Minimum
                    0x00FF,             // Range Maximum
                    0x0000,             // Translation Offset
                    0x0100,             // Length
                    ,, )
                IO (Decode16,
                    0x0CF8,             // Range Minimum
                    0x0CF8,             // Range Maximum
                    0x01,               // Alignment
                    0x08,               // Length
                    )
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000,             // Granularity
                    0x0000,             // Range Minimum
                    0x0CF7,             // Range Maximum
                    0x0000,             // Translation Offset
                    0x0CF8,             // Length
                    ,, , TypeStatic, DenseTranslation)
                WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,
                    0x0000,             // Granularity
                    0x0D00,             // Range Minimum
                    0xFFFF,             // Range Maximum
                    0x0000,             // Translation Offset
                    0xF300,             // Length
                    ,, , TypeStatic, DenseTranslation)
                DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,
                    0x00000000,         // Granularity
                    0xC0000000,         // Range Minimum
                    0xFEBFFFFF,         // Range Maximum
                    0x00000000,         // Translation Offset
                    0x3EC00000,         // Length
                    ,, , AddressRangeMemory, TypeStatic)
            })

            /* 6.2.13: PCI interrupt routing.  Each device on bus 0 is one
             * function on INTA, wired to I/O APIC pin 16 + its slot, a pin
             * of its own (PLATFORM_PCI_GSI in include/hv/platform.h):
             * level-triggered, active low, as PCI lines are.  APIC mode
             * only: there is no PIC routing (no interrupt link devices). */
            Name (_PRT, Package ()
            {
                Package () { 0x0001FFFF, 0, 0, 17 },
                Package () { 0x0002FFFF, 0, 0, 18 },
                Package () { 0x0003FFFF, 0, 0, 19 },
                Package () { 0x0004FFFF, 0, 0, 20 },
                Package () { 0x0005FFFF, 0, 0, 21 },
                Package () { 0x0006FFFF, 0, 0, 22 },
                Package () { 0x0007FFFF, 0, 0, 23 },
            })

            /* The legacy ISA devices the hypervisor emulates, as PNP
             * devices Linux's pnpacpi binds its drivers to (there is no
             * LPC bridge function on bus 0, so they sit directly under
             * the host bridge). */

            /* 8259 pair (PNP0000) */
            Device (PIC)
            {
                Name (_HID, EisaId ("PNP0000"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0020, 0x0020, 0x01, 0x02, )
                    IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02, )
                    IRQNoFlags () {2}
                })
            }

            /* 8254 PIT (PNP0100) */
            Device (TMR)
            {
                Name (_HID, EisaId ("PNP0100"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0040, 0x0040, 0x01, 0x04, )
                    IRQNoFlags () {0}
                })
            }

            /* MC146818 RTC/CMOS (PNP0B00) */
            Device (RTC)
            {
                Name (_HID, EisaId ("PNP0B00"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0070, 0x0070, 0x01, 0x02, )
                    IRQNoFlags () {8}
                })
            }

            /* 8042 keyboard controller (PNP0303); the FADT's 8042 flag
             * says it is there, and its pulse-reset line is one of the
             * ways Linux reboots. */
            Device (KBD)
            {
                Name (_HID, EisaId ("PNP0303"))
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x0060, 0x0060, 0x01, 0x01, )
                    IO (Decode16, 0x0064, 0x0064, 0x01, 0x01, )
                    IRQNoFlags () {1}
                })
            }

            /* COM1, 16550 (PNP0501) */
            Device (COM1)
            {
                Name (_HID, EisaId ("PNP0501"))
                Name (_UID, One)
                Name (_CRS, ResourceTemplate ()
                {
                    IO (Decode16, 0x03F8, 0x03F8, 0x08, 0x08, )
                    IRQNoFlags () {4}
                })
            }
        }
    }
}
