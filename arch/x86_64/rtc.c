/* Host RTC (MC146818 registers through ports 0x70/0x71).  A reading is
 * taken outside an update cycle: wait for UIP (register A bit 7) to clear,
 * read, and read again until two readings agree (the usual way to avoid a
 * torn read across a second boundary). */
#include <arch/io.h>
#include <hv/arch.h>
#include <hv/string.h>
#include <hv/vrtc.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA  0x71
#define REG_A_UIP  0x80
#define NREGS      0x33   /* up to the century byte at 0x32 */
#define MAX_TRIES  1000000

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void read_time(uint8_t *r)
{
	static const uint8_t regs[] = { 0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x32 };

	for (int i = 0; i < MAX_TRIES && (cmos_read(0x0a) & REG_A_UIP); i++)
		;
	for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
		r[regs[i]] = cmos_read(regs[i]);
}

uint64_t arch_rtc_epoch(void)
{
	uint8_t a[NREGS], b[NREGS];
	int64_t t;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	read_time(a);
	for (int tries = 0; tries < 5; tries++) {
		read_time(b);
		if (!memcmp(a, b, sizeof(a)))
			break;
		memcpy(a, b, sizeof(a));
	}
	t = vrtc_regs_to_epoch(a);
	return t > 0 ? (uint64_t)t : 0;
}
