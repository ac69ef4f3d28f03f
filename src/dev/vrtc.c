/* MC146818 RTC/CMOS model.  Section names are from the Motorola MC146818A
 * datasheet.  The clock is not a register file that ticks: while SET is
 * clear, the time registers are computed from base_sec and the vclock on
 * every read; SET freezes them into cmos[] for the guest to rewrite, and
 * clearing SET makes what was written the new base.
 *
 * The alarm ("Alarm" and "Register C"): at the update into a second
 * whose seconds, minutes and hours match the alarm bytes (a byte of
 * 0xc0-0xff matches any value), AF is set and, with AIE, IRQF and IRQ 8,
 * which stay until register C is read.  The next matching update is
 * planned (alarm_ns) whenever the time, the format or an alarm byte
 * changes, so that a read or a timer tick only compares.
 *
 * Not modelled: periodic and update-ended interrupts (PF never set; UF is
 * set once an update has happened since register C was last read, but
 * raises no IRQ), the divider (DV
 * bits are stored, the clock always runs), daylight saving (DSE), and the
 * CMOS checksum at 0x2e-0x2f (nothing fills 0x10-0x2d but the memory
 * sizes; Linux does not check it). */
#include <hv/string.h>
#include <hv/errno.h>
#include <hv/vmstate.h>
#include <hv/vrtc.h>

#define NS_PER_SEC   1000000000ull
#define SECS_PER_DAY 86400
/* "UIP... When UIP is 0, the update cycle will not begin for at least
 * 244 us": registers change at the second's end, UIP is set before it. */
#define UIP_NS       244000

#define A_WRITABLE   0x7f
#define A_RESET      0x26  /* 32.768 kHz time base, 1024 Hz periodic rate */
#define HOUR_PM      0x80
#define ALARM_ANY    0xc0  /* "don't care": both high bits set */

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)

static const uint8_t time_regs[] = {
	VRTC_SECONDS, VRTC_MINUTES, VRTC_HOURS, VRTC_WEEKDAY,
	VRTC_DAY, VRTC_MONTH, VRTC_YEAR, VRTC_CENTURY,
};

static bool is_time_reg(unsigned idx)
{
	for (size_t i = 0; i < ARRAY_SIZE(time_regs); i++)
		if (time_regs[i] == idx)
			return true;
	return false;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

/* Proleptic Gregorian calendar <-> days since 1970-01-01 (H. Hinnant's
 * "chrono-compatible low-level date algorithms"; March-based years put
 * the leap day last). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (int64_t)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* "Data Mode": register B's DM bit picks binary or BCD for every time
 * and alarm byte. */
static uint8_t to_reg(unsigned v, uint8_t b)
{
	v %= 100;
	return (uint8_t)(b & VRTC_B_DM_BIN ? v : (v / 10) << 4 | v % 10);
}

static unsigned from_reg(uint8_t v, uint8_t b)
{
	return b & VRTC_B_DM_BIN ? v : (v >> 4) * 10u + (v & 0x0f);
}

/* 12-hour mode: 1-12 with bit 7 for PM (midnight is 12 AM). */
static uint8_t hour_to_reg(unsigned h, uint8_t b)
{
	if (b & VRTC_B_24H)
		return to_reg(h, b);
	return (uint8_t)(to_reg(h % 12 ? h % 12 : 12, b) | (h >= 12 ? HOUR_PM : 0));
}

static unsigned hour_from_reg(uint8_t v, uint8_t b)
{
	if (b & VRTC_B_24H)
		return from_reg(v, b);
	return from_reg(v & ~HOUR_PM, b) % 12 + (v & HOUR_PM ? 12 : 0);
}

/* The day-of-week register counts Sunday as 1; 1970-01-01 was a
 * Thursday. */
static unsigned weekday(int64_t days)
{
	return (unsigned)(days + 4 - floor_div(days + 4, 7) * 7) + 1;
}

/* Fill the time registers of cmos with time t in format b. */
static void render(int64_t t, uint8_t b, uint8_t *cmos)
{
	int64_t days = floor_div(t, SECS_PER_DAY), y;
	unsigned secs = (unsigned)(t - days * SECS_PER_DAY), m, d;

	civil_from_days(days, &y, &m, &d);
	cmos[VRTC_SECONDS] = to_reg(secs % 60, b);
	cmos[VRTC_MINUTES] = to_reg(secs / 60 % 60, b);
	cmos[VRTC_HOURS] = hour_to_reg(secs / 3600, b);
	cmos[VRTC_WEEKDAY] = to_reg(weekday(days), b);
	cmos[VRTC_DAY] = to_reg(d, b);
	cmos[VRTC_MONTH] = to_reg(m, b);
	cmos[VRTC_YEAR] = to_reg((unsigned)(y % 100), b);
	cmos[VRTC_CENTURY] = to_reg((unsigned)(y / 100), b);
}

int64_t vrtc_regs_to_epoch(const uint8_t *cmos)
{
	uint8_t b = cmos[VRTC_REG_B];
	int64_t year = from_reg(cmos[VRTC_CENTURY], b) * 100 + from_reg(cmos[VRTC_YEAR], b);
	int64_t days = days_from_civil(year, from_reg(cmos[VRTC_MONTH], b),
				       from_reg(cmos[VRTC_DAY], b));

	return days * SECS_PER_DAY + hour_from_reg(cmos[VRTC_HOURS], b) * 3600 +
	       from_reg(cmos[VRTC_MINUTES], b) * 60 + from_reg(cmos[VRTC_SECONDS], b);
}

/* The running time: whole seconds, and *frac ns into the current one. */
static int64_t now_sec(const struct vrtc *rtc, uint64_t t, uint64_t *frac)
{
	uint64_t elapsed = t > rtc->base_ns ? t - rtc->base_ns : 0;

	*frac = elapsed % NS_PER_SEC;
	return rtc->base_sec + (int64_t)(elapsed / NS_PER_SEC);
}

static bool set_mode(const struct vrtc *rtc)
{
	return rtc->cmos[VRTC_REG_B] & VRTC_B_SET;
}

/* An alarm byte's value, or -1 for "don't care"; a value no time has
 * (minute 75) never matches. */
static int alarm_value(uint8_t v, uint8_t b, bool hour)
{
	if ((v & ALARM_ANY) == ALARM_ANY)
		return -1;
	return (int)(hour ? hour_from_reg(v, b) : from_reg(v, b));
}

static bool alarm_matches(int want, unsigned have) { return want < 0 || (unsigned)want == have; }

/* The first second after `now` whose time of day the alarm matches (an
 * alarm matches at least once a day, if at all), or -1. */
static int64_t next_alarm_sec(const struct vrtc *rtc, int64_t now)
{
	uint8_t b = rtc->cmos[VRTC_REG_B];
	int as = alarm_value(rtc->cmos[VRTC_SEC_ALARM], b, false);
	int am = alarm_value(rtc->cmos[VRTC_MIN_ALARM], b, false);
	int ah = alarm_value(rtc->cmos[VRTC_HOUR_ALARM], b, true);
	int64_t day = floor_div(now, SECS_PER_DAY) * SECS_PER_DAY;

	for (int64_t d = day; d <= day + SECS_PER_DAY; d += SECS_PER_DAY)
		for (unsigned h = 0; h < 24; h++)
			for (unsigned m = 0; m < 60; m++) {
				int64_t minute = d + h * 3600 + m * 60;
				int64_t s = as >= 0 ? as : MAX(now + 1 - minute, 0);

				if (!alarm_matches(ah, h) || !alarm_matches(am, m) || s > 59)
					continue;
				if (minute + s > now)
					return minute + s;
			}
	return -1;
}

/* Plan the next alarm after the present second (whose update is past).
 * The clock stands still while SET: no updates, no alarm. */
static void plan_alarm(struct vrtc *rtc, uint64_t t)
{
	uint64_t frac;
	int64_t now = now_sec(rtc, t, &frac), next;

	rtc->alarm_ns = UINT64_MAX;
	if (set_mode(rtc))
		return;
	next = next_alarm_sec(rtc, now);
	if (next >= 0)
		rtc->alarm_ns = rtc->base_ns + (uint64_t)(next - rtc->base_sec) * NS_PER_SEC;
}

/* An alarm due by t: AF, and IRQ 8 with AIE. */
static void check_alarm(struct vrtc *rtc, uint64_t t)
{
	if (t < rtc->alarm_ns)
		return;
	rtc->flags |= VRTC_C_AF;
	plan_alarm(rtc, t);
	if ((rtc->cmos[VRTC_REG_B] & VRTC_B_AIE) && !rtc->irq_raised) {
		rtc->irq_raised = true;
		irq_set(&rtc->irq, rtc->irq_line, true);
	}
}

void vrtc_set_irq(struct vrtc *rtc, const struct irq_sink *sink, unsigned irq)
{
	rtc->irq = *sink;
	rtc->irq_line = irq;
}

uint64_t vrtc_next_event_ns(const struct vrtc *rtc)
{
	if (!(rtc->cmos[VRTC_REG_B] & VRTC_B_AIE) || rtc->irq_raised)
		return UINT64_MAX;
	return rtc->alarm_ns;
}

void vrtc_tick(struct vrtc *rtc)
{
	if (rtc->alarm_ns != UINT64_MAX)
		check_alarm(rtc, vclock_now(&rtc->clock));
}

/* QEMU's pc_cmos_init() layout, which SeaBIOS reads: base memory in KiB
 * (0x15), extended memory above 1 MiB in KiB (0x17, copied at 0x30),
 * memory above 16 MiB in 64 KiB units (0x34), memory above 4 GiB in
 * 64 KiB units (0x5b-0x5d); 16-bit fields saturate. */
static void put16(uint8_t *p, uint64_t v)
{
	v = MIN(v, 0xffffu);
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void set_memory_size(struct vrtc *rtc, uint64_t ram)
{
	uint64_t low = MIN(ram, 4 * GIB), high = ram - low;
	uint64_t ext = low > MIB ? (low - MIB) / KIB : 0;

	put16(&rtc->cmos[0x15], MIN(low / KIB, 640));
	put16(&rtc->cmos[0x17], ext);
	put16(&rtc->cmos[0x30], ext);
	put16(&rtc->cmos[0x34], low > 16 * MIB ? (low - 16 * MIB) / (64 * KIB) : 0);
	high = MIN(high / (64 * KIB), 0xffffffu);
	rtc->cmos[0x5b] = (uint8_t)high;
	rtc->cmos[0x5c] = (uint8_t)(high >> 8);
	rtc->cmos[0x5d] = (uint8_t)(high >> 16);
}

void vrtc_init(struct vrtc *rtc, const struct vclock *clock, uint64_t epoch_sec,
	       uint64_t ram_bytes)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->clock = *clock;
	rtc->base_sec = (int64_t)epoch_sec;
	rtc->base_ns = vclock_now(clock);
	rtc->last_c_ns = rtc->base_ns;
	rtc->cmos[VRTC_REG_A] = A_RESET;
	rtc->cmos[VRTC_REG_B] = VRTC_B_24H;
	rtc->cmos[VRTC_REG_D] = VRTC_D_VRT;
	render(rtc->base_sec, rtc->cmos[VRTC_REG_B], rtc->cmos);
	set_memory_size(rtc, ram_bytes);
	plan_alarm(rtc, rtc->base_ns);
}

/* UF: an update cycle (a second's end on the running clock) came since
 * the last read; AF: the alarm's update came.  Reading clears the flags
 * and releases IRQ 8. */
static uint8_t read_c(struct vrtc *rtc, uint64_t t)
{
	uint64_t from = MAX(rtc->last_c_ns, rtc->base_ns);
	uint8_t b = rtc->cmos[VRTC_REG_B], c;

	check_alarm(rtc, t);
	c = rtc->flags;
	if (!set_mode(rtc) && t > from &&
	    (t - rtc->base_ns) / NS_PER_SEC > (from - rtc->base_ns) / NS_PER_SEC)
		c |= VRTC_C_UF;
	if (((c & VRTC_C_UF) && (b & VRTC_B_UIE)) || ((c & VRTC_C_AF) && (b & VRTC_B_AIE)))
		c |= VRTC_C_IRQF;
	rtc->last_c_ns = t;
	rtc->flags = 0;
	if (rtc->irq_raised) {
		rtc->irq_raised = false;
		irq_set(&rtc->irq, rtc->irq_line, false);
	}
	return c;
}

static uint8_t read_reg(struct vrtc *rtc, unsigned idx)
{
	uint64_t t = vclock_now(&rtc->clock), frac;
	int64_t sec = now_sec(rtc, t, &frac);
	uint8_t regs[VRTC_CMOS_SIZE];

	switch (idx) {
	case VRTC_REG_A:
		if (!set_mode(rtc) && frac >= NS_PER_SEC - UIP_NS)
			return rtc->cmos[idx] | VRTC_A_UIP;
		return rtc->cmos[idx];
	case VRTC_REG_C: return read_c(rtc, t);
	case VRTC_REG_D: return VRTC_D_VRT;
	default: break;
	}
	if (!is_time_reg(idx) || set_mode(rtc))
		return rtc->cmos[idx];
	render(sec, rtc->cmos[VRTC_REG_B], regs);
	return regs[idx];
}

/* Register B.  SET going high freezes the time registers (in the format
 * they were in) and clears UIE; SET going low starts the clock from what
 * they hold, read in the format now chosen ("Register B"). */
static void write_b(struct vrtc *rtc, uint8_t v)
{
	uint8_t old = rtc->cmos[VRTC_REG_B];
	uint64_t t = vclock_now(&rtc->clock), frac;

	if (v & VRTC_B_SET)
		v &= ~VRTC_B_UIE;
	if ((v & VRTC_B_SET) && !(old & VRTC_B_SET))
		render(now_sec(rtc, t, &frac), old, rtc->cmos);
	check_alarm(rtc, t);
	rtc->cmos[VRTC_REG_B] = v;
	if (!(v & VRTC_B_SET) && (old & VRTC_B_SET)) {
		rtc->base_sec = vrtc_regs_to_epoch(rtc->cmos);
		rtc->base_ns = t;
	}
	plan_alarm(rtc, t);
	/* AIE set while AF is pending: IRQF, and the interrupt, at once. */
	if ((v & VRTC_B_AIE) && (rtc->flags & VRTC_C_AF) && !rtc->irq_raised) {
		rtc->irq_raised = true;
		irq_set(&rtc->irq, rtc->irq_line, true);
	}
}

/* A time register written while the clock runs takes effect at once, the
 * others keeping their present values and the second its phase. */
static void write_time_running(struct vrtc *rtc, unsigned idx, uint8_t v)
{
	uint64_t t = vclock_now(&rtc->clock), frac;
	uint8_t regs[VRTC_CMOS_SIZE];

	render(now_sec(rtc, t, &frac), rtc->cmos[VRTC_REG_B], regs);
	regs[VRTC_REG_B] = rtc->cmos[VRTC_REG_B];
	regs[idx] = v;
	rtc->base_sec = vrtc_regs_to_epoch(regs);
	rtc->base_ns = t - frac;
}

static bool is_alarm_reg(unsigned idx)
{
	return idx == VRTC_SEC_ALARM || idx == VRTC_MIN_ALARM || idx == VRTC_HOUR_ALARM;
}

static void write_reg(struct vrtc *rtc, unsigned idx, uint8_t v)
{
	uint64_t t;

	switch (idx) {
	case VRTC_REG_A: rtc->cmos[idx] = v & A_WRITABLE; return;
	case VRTC_REG_B: write_b(rtc, v); return;
	case VRTC_REG_C:
	case VRTC_REG_D: return;  /* read-only */
	default: break;
	}
	if (!is_time_reg(idx) && !is_alarm_reg(idx)) {
		rtc->cmos[idx] = v;
		return;
	}
	/* The time or the alarm moves: what was due stays latched, the next
	 * alarm is planned anew. */
	t = vclock_now(&rtc->clock);
	check_alarm(rtc, t);
	if (is_time_reg(idx) && !set_mode(rtc))
		write_time_running(rtc, idx, v);
	else
		rtc->cmos[idx] = v;
	plan_alarm(rtc, t);
}

/* Port 0x70 selects a register (bit 7, the NMI mask on PCs, is ignored)
 * and cannot be read back; port 0x71 is the selected register. */
static uint8_t read_port(void *dev, uint16_t port)
{
	struct vrtc *rtc = dev;

	return port == VRTC_BASE ? 0xff : read_reg(rtc, rtc->index);
}

static void write_port(void *dev, uint16_t port, uint8_t v)
{
	struct vrtc *rtc = dev;

	if (port == VRTC_BASE)
		rtc->index = v & (VRTC_CMOS_SIZE - 1);
	else
		write_reg(rtc, rtc->index, v);
}

/* Wider accesses touch consecutive ports, as on an 8-bit bus (a word
 * write to 0x70 selects and writes in one go). */
int vrtc_read(void *dev, uint64_t port, unsigned size, uint64_t *val)
{
	io_split_read(dev, port, size, val, read_port);
	return 0;
}

int vrtc_write(void *dev, uint64_t port, unsigned size, uint64_t val)
{
	io_split_write(dev, port, size, val, write_port);
	return 0;
}

int vrtc_attach(struct vrtc *rtc, struct io_bus *pio)
{
	return io_register(pio, VRTC_BASE, 2, "rtc", vrtc_read, vrtc_write, rtc);
}

/* ---- the state stream (hv/vmstate.h) ---- */

/* The guest's time goes on from what it was, whatever the vclock: as its
 * seconds and the ns into the present one; the last read of register C
 * and the next alarm as ns before and after the saving instant (an alarm
 * already due, 0: it comes at once). */
void vrtc_save(const struct vrtc *rtc, struct vms_out *o)
{
	uint64_t t = vclock_now(&rtc->clock), frac;
	int64_t sec = now_sec(rtc, t, &frac);

	vms_begin(o, VMS_RTC, 0);
	vms_put_u8(o, rtc->index);
	vms_put_bytes(o, rtc->cmos, VRTC_CMOS_SIZE);
	vms_put_u64(o, (uint64_t)sec);
	vms_put_u64(o, frac);
	vms_put_u64(o, t > rtc->last_c_ns ? t - rtc->last_c_ns : 0);
	vms_put_u64(o, rtc->alarm_ns == UINT64_MAX ? UINT64_MAX
			: rtc->alarm_ns > t ? rtc->alarm_ns - t : 0);
	vms_put_u8(o, rtc->flags);
	vms_put_u8(o, rtc->irq_raised);
	vms_end(o);
}

static uint64_t before(uint64_t t, uint64_t ns) { return t > ns ? t - ns : 0; }

int vrtc_load(struct vrtc *rtc, struct vms_section *s)
{
	uint64_t t = vclock_now(&rtc->clock), frac, since_c, alarm_in;
	uint8_t index = vms_get_u8(s), cmos[VRTC_CMOS_SIZE], flags, raised;
	int64_t sec;

	vms_get_bytes(s, cmos, sizeof(cmos));
	sec = (int64_t)vms_get_u64(s);
	frac = vms_get_u64(s);
	since_c = vms_get_u64(s);
	alarm_in = vms_get_u64(s);
	flags = vms_get_u8(s);
	raised = vms_get_u8(s);
	if (index >= VRTC_CMOS_SIZE || frac >= NS_PER_SEC || flags & ~VRTC_C_AF || raised > 1 ||
	    sec < 0 || vms_section_done(s))
		return HV_EINVAL;
	rtc->index = index;
	memcpy(rtc->cmos, cmos, sizeof(cmos));
	rtc->base_sec = sec;
	rtc->base_ns = before(t, frac);
	rtc->last_c_ns = before(t, since_c);
	rtc->alarm_ns = alarm_in == UINT64_MAX ? UINT64_MAX : t + alarm_in;
	rtc->flags = flags;
	if (raised != rtc->irq_raised)
		irq_set(&rtc->irq, rtc->irq_line, raised);
	rtc->irq_raised = raised;
	return 0;
}
