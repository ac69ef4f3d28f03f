/* Hypervisor options from the Multiboot2 command line (spec 3.6.5).
 *
 * The command line is split into words at spaces and tabs; each word is
 * "key", "key=" or "key=value".  A problem with one word never stops the
 * boot: it is reported through warn() and the default stays in place.
 * To add an option, write a parser and add a row to options[]. */
#include <hv/config.h>
#include <hv/errno.h>
#include <hv/format.h>
#include <hv/string.h>

/* Longest word looked at; longer ones are truncated (and then rejected,
 * since a truncated value is not the value the user typed). */
#define WORD_MAX 128
#define MSG_MAX  (2 * WORD_MAX + 64)

/* A value parser: value is NULL for a bare word (only offered to options
 * with bare_ok).  Returns false if the value is not acceptable; cfg is
 * then left unchanged. */
typedef bool (*option_fn)(struct config *cfg, const char *value);

struct option {
	const char *name;
	bool bare_ok;       /* "key" alone is meaningful (booleans: true) */
	option_fn parse;
};

/* Unsigned number: "0x" followed by hex digits, or decimal digits; the
 * whole string must be consumed and the value must not exceed max. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return false;
		/* v * base + d <= max, without overflowing on the way. */
		if (d > max || v > (max - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* Boolean: a bare word means true, else 0/1/yes/no/true/false/on/off. */
static bool parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	if (!value) {
		*out = true;
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(value, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcmp(value, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* console=com1..com4 (the conventional PC UART ports) or a port number. */
/* A serial port: com1..com4 or its I/O port number. */
static bool parse_port(const char *value, uint16_t *out)
{
	static const struct { const char *name; uint16_t port; } coms[] = {
		{ "com1", 0x3f8 }, { "com2", 0x2f8 },
		{ "com3", 0x3e8 }, { "com4", 0x2e8 },
	};
	uint64_t port;

	for (size_t i = 0; i < ARRAY_SIZE(coms); i++) {
		if (!strcmp(value, coms[i].name)) {
			*out = coms[i].port;
			return true;
		}
	}
	if (!parse_uint(value, 0xffff, &port) || port == 0)
		return false;
	*out = (uint16_t)port;
	return true;
}

static bool opt_console(struct config *cfg, const char *value)
{
	return parse_port(value, &cfg->console_port);
}

/* gdb=off or a serial port for the gdb stub. */
static bool opt_gdb(struct config *cfg, const char *value)
{
	if (!strcmp(value, "off")) {
		cfg->gdb_port = 0;
		return true;
	}
	return parse_port(value, &cfg->gdb_port);
}

/* baud=N: the 16550 divisor is 115200 / N, so N must divide it exactly. */
static bool opt_baud(struct config *cfg, const char *value)
{
	uint64_t baud;

	if (!parse_uint(value, 115200, &baud) || baud == 0 || 115200 % baud)
		return false;
	cfg->console_baud = (uint32_t)baud;
	return true;
}

bool config_log_level(const char *value, enum log_level *level)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	uint64_t n;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(value, names[i])) {
			*level = (enum log_level)i;
			return true;
		}
	}
	if (!parse_uint(value, LOG_DEBUG, &n))
		return false;
	*level = (enum log_level)n;
	return true;
}

static bool opt_loglevel(struct config *cfg, const char *value)
{
	return config_log_level(value, &cfg->log_level);
}

static bool opt_shutdown_after_boot(struct config *cfg, const char *value)
{
	return parse_bool(value, &cfg->shutdown_after_boot);
}

static bool opt_poweroff(struct config *cfg, const char *value)
{
	return parse_bool(value, &cfg->poweroff);
}

/* Guest RAM in MiB: at least 2 (a Multiboot kernel loads at 1 MiB), at
 * most 3 GiB (guest RAM sits below the 32-bit MMIO hole). */
static bool opt_guest_mem(struct config *cfg, const char *value)
{
	uint64_t mib;

	if (!parse_uint(value, 3072, &mib) || mib < 2)
		return false;
	cfg->guest_mem_mib = (uint32_t)mib;
	return true;
}

static bool opt_fault_test(struct config *cfg, const char *value)
{
	return parse_bool(value, &cfg->fault_test);
}

static bool opt_nmi_test(struct config *cfg, const char *value)
{
	return parse_bool(value, &cfg->nmi_test);
}

/* A bare word or a true value is "state"; "control" is the other kind. */
static bool opt_entry_fail_test(struct config *cfg, const char *value)
{
	bool on;

	if (value && !strcmp(value, "state")) {
		cfg->entry_fail_test = ENTRY_FAIL_STATE;
		return true;
	}
	if (value && !strcmp(value, "control")) {
		cfg->entry_fail_test = ENTRY_FAIL_CONTROL;
		return true;
	}
	if (!parse_bool(value, &on))
		return false;
	cfg->entry_fail_test = on ? ENTRY_FAIL_STATE : ENTRY_FAIL_NONE;
	return true;
}

/* Seconds between exit-statistics lines of a running VM (0: off). */
static bool opt_stats_interval(struct config *cfg, const char *value)
{
	uint64_t sec;

	if (!parse_uint(value, 3600, &sec))
		return false;
	cfg->stats_interval_s = (uint32_t)sec;
	return true;
}

/* Milliseconds of CPU time each VM may use (0: no limit), up to a day. */
static bool opt_cpu_limit(struct config *cfg, const char *value)
{
	uint64_t ms;

	if (!parse_uint(value, 86400000, &ms))
		return false;
	cfg->cpu_limit_ms = (uint32_t)ms;
	return true;
}

/* Console lines a second each VM may show (0: no limit). */
static bool opt_console_rate(struct config *cfg, const char *value)
{
	uint64_t n;

	if (!parse_uint(value, 100000, &n))
		return false;
	cfg->console_rate = (uint32_t)n;
	return true;
}

static bool opt_spec_test(struct config *cfg, const char *value)
{
	return parse_bool(value, &cfg->spec_test);
}

/* The APIC ID of a CPU that is not there (x2APIC IDs are 32 bits). */
static bool opt_absent_cpu_test(struct config *cfg, const char *value)
{
	uint64_t id;

	if (!parse_uint(value, 0xffffffffULL, &id))
		return false;
	cfg->absent_cpu_test = (int64_t)id;
	return true;
}

static bool opt_guests_in_turn(struct config *cfg, const char *value)
{
	return parse_bool(value, &cfg->guests_in_turn);
}

static const struct option options[] = {
	{ "console", false, opt_console },
	{ "baud", false, opt_baud },
	{ "loglevel", false, opt_loglevel },
	{ "gdb", false, opt_gdb },
	{ "shutdown_after_boot", true, opt_shutdown_after_boot },
	{ "poweroff", true, opt_poweroff },
	{ "guest_mem", false, opt_guest_mem },
	{ "fault_test", true, opt_fault_test },
	{ "nmi_test", true, opt_nmi_test },
	{ "spec_test", true, opt_spec_test },
	{ "entry_fail_test", true, opt_entry_fail_test },
	{ "stats_interval", false, opt_stats_interval },
	{ "cpu_limit", false, opt_cpu_limit },
	{ "console_rate", false, opt_console_rate },
	{ "absent_cpu_test", false, opt_absent_cpu_test },
	{ "guests_in_turn", true, opt_guests_in_turn },
};

void config_defaults(struct config *cfg)
{
	cfg->console_port = 0x3f8;
	cfg->console_baud = 115200;
	cfg->log_level = LOG_INFO;
	cfg->shutdown_after_boot = false;
	cfg->poweroff = true;
	cfg->guest_mem_mib = 0;
	cfg->fault_test = false;
	cfg->nmi_test = false;
	cfg->spec_test = false;
	cfg->entry_fail_test = ENTRY_FAIL_NONE;
	cfg->stats_interval_s = 0;
	cfg->cpu_limit_ms = 0;
	cfg->console_rate = 100;
	cfg->absent_cpu_test = -1;
	cfg->guests_in_turn = false;
}

static const struct option *find_option(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

/* Format a warning and hand it to warn(); always counts as one warning. */
static int __attribute__((format(printf, 3, 4)))
report(config_warn_fn warn, void *ctx, const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	if (!warn)
		return 1;
	va_start(ap, fmt);
	hv_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(ctx, msg);
	return 1;
}

/* Apply one word of len bytes at w; returns the number of warnings (0/1). */
static int parse_word(struct config *cfg, const char *w, size_t len,
		      config_warn_fn warn, void *ctx)
{
	char word[WORD_MAX];
	bool truncated = len >= sizeof(word);
	size_t n = truncated ? sizeof(word) - 1 : len;
	char *value = NULL;

	memcpy(word, w, n);
	word[n] = '\0';
	for (char *p = word; *p; p++) {
		if (*p == '=') {
			*p = '\0';
			value = p + 1;
			break;
		}
	}

	const struct option *opt = find_option(word);
	if (!opt)
		return report(warn, ctx, "unknown option '%s' ignored", word);
	if ((!value && !opt->bare_ok) || (value && !*value))
		return report(warn, ctx, "option '%s' needs a value, keeping default", word);
	if (truncated || !opt->parse(cfg, value))
		return report(warn, ctx, "bad value '%s' for option '%s', keeping default",
			      value ? value : "", word);
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int config_parse(struct config *cfg, const char *cmdline, config_warn_fn warn, void *ctx)
{
	int warnings = 0;

	if (!cmdline)
		return 0;
	while (*cmdline) {
		while (is_blank(*cmdline))
			cmdline++;
		size_t len = 0;
		while (cmdline[len] && !is_blank(cmdline[len]))
			len++;
		if (len)
			warnings += parse_word(cfg, cmdline, len, warn, ctx);
		cmdline += len;
	}
	return warnings;
}

/* ---- a guest's options (its module string) ---- */

/* The first c in s, or the end of s. */
static char *find_char(char *s, char c)
{
	while (*s && *s != c)
		s++;
	return s;
}

/* cpus=LIST: CPU numbers and ranges joined by ':' ("1", "0-3", "1:3"). */
static bool parse_cpu_list(const char *s, uint64_t *mask)
{
	char item[16];

	*mask = 0;
	while (*s) {
		size_t n = 0;
		char *dash;
		uint64_t lo, hi;

		while (s[n] && s[n] != ':')
			n++;
		if (n == 0 || n >= sizeof(item) || (s[n] == ':' && !s[n + 1]))
			return false;
		memcpy(item, s, n);
		item[n] = '\0';
		dash = find_char(item, '-');
		if (*dash)
			*dash++ = '\0';
		if (!parse_uint(item, 63, &lo) || !parse_uint(*dash ? dash : item, 63, &hi) || hi < lo)
			return false;
		for (uint64_t c = lo; c <= hi; c++)
			*mask |= 1ULL << c;
		s += n + (s[n] == ':');
	}
	return *mask != 0;
}

/* xx:xx:xx:xx:xx:xx, a unicast address (the group bit clear, IEEE
 * 802.3 3.2.3) other than all zeros. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	for (unsigned i = 0; i < 6; i++, s += 3) {
		int hi = hv_hexval(s[0]), lo = hi < 0 ? -1 : hv_hexval(s[1]);

		if (lo < 0 || s[2] != (i == 5 ? '\0' : ':'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static int vm_option(struct vm_options *o, const char *key, const char *value, char *err,
		     size_t errlen)
{
	uint64_t n;

	if (!strcmp(key, "mem")) {
		if (!parse_uint(value, 3072, &n) || n < 2)
			goto bad;
		o->mem_mib = (uint32_t)n;
	} else if (!strcmp(key, "vcpus")) {
		if (!parse_uint(value, 255, &n) || n < 1)
			goto bad;
		o->vcpus = (uint32_t)n;
	} else if (!strcmp(key, "platform")) {
		if (strcmp(value, "pc") && strcmp(value, "none"))
			goto bad;
		o->bare = !strcmp(value, "none");
	} else if (!strcmp(key, "cpus")) {
		if (!parse_cpu_list(value, &o->cpus))
			goto bad;
	} else if (!strcmp(key, "holes")) {
		if (strcmp(value, "ones") && strcmp(value, "stop"))
			goto bad;
		o->holes_stop = !strcmp(value, "stop");
	} else if (!strcmp(key, "rng")) {
		if (!parse_bool(value, &o->rng))
			goto bad;
	} else if (!strcmp(key, "hvc")) {
		if (!parse_bool(value, &o->hvc))
			goto bad;
	} else if (!strcmp(key, "disk")) {
		if (!*value || strlen(value) >= sizeof(o->disk))
			goto bad;
		hv_strlcpy(o->disk, value, sizeof(o->disk));
	} else if (!strcmp(key, "disk_ro")) {
		if (!parse_bool(value, &o->disk_ro))
			goto bad;
	} else if (!strcmp(key, "net")) {
		if (!*value || strlen(value) >= sizeof(o->net))
			goto bad;
		hv_strlcpy(o->net, value, sizeof(o->net));
	} else if (!strcmp(key, "balloon")) {
		if (!parse_uint(value, 3072, &n))
			goto bad;
		o->balloon = true;
		o->balloon_mib = (uint32_t)n;
	} else if (!strcmp(key, "mac")) {
		if (!parse_mac(value, o->mac))
			goto bad;
	} else if (!strcmp(key, "gdb")) {
		if (!parse_bool(value, &o->gdb))
			goto bad;
	} else if (!strcmp(key, "start")) {
		if (strcmp(value, "boot") && strcmp(value, "wait"))
			goto bad;
		o->wait = !strcmp(value, "wait");
	} else {
		hv_snprintf(err, errlen, "unknown option '%s'", key);
		return HV_EINVAL;
	}
	return 0;
bad:
	hv_snprintf(err, errlen, "bad value '%s' for option '%s'", value, key);
	return HV_EINVAL;
}

int vm_options_parse(const char *s, struct vm_options *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->vcpus = 1;
	o->args = "";
	return vm_options_apply(s, o, err, errlen);
}

int vm_options_apply(const char *s, struct vm_options *o, char *err, size_t errlen)
{
	char word[WORD_MAX], *p;
	const char *args;
	size_t n = 0;

	while (is_blank(*s))
		s++;
	while (s[n] && !is_blank(s[n]))
		n++;
	args = s + n;
	while (is_blank(*args))
		args++;
	if (*args)
		o->args = args;
	if (n >= sizeof(word)) {
		hv_snprintf(err, errlen, "the name and options are longer than %zu characters",
			    sizeof(word) - 1);
		return HV_EINVAL;
	}
	memcpy(word, s, n);
	word[n] = '\0';
	p = find_char(word, ',');
	if ((size_t)(p - word) >= sizeof(o->name)) {
		hv_snprintf(err, errlen, "the name is longer than %zu characters", sizeof(o->name) - 1);
		return HV_EINVAL;
	}
	memset(o->name, 0, sizeof(o->name));
	memcpy(o->name, word, (size_t)(p - word));
	if (!o->name[0])
		hv_strlcpy(o->name, "guest", sizeof(o->name));
	while (*p == ',') {
		char *key = p + 1, *end = find_char(key, ','), *eq;
		char sep = *end;
		int rc;

		*end = '\0';
		eq = find_char(key, '=');
		if (!*eq || eq == key || !eq[1]) {
			hv_snprintf(err, errlen, "option '%s' is not key=value", key);
			return HV_EINVAL;
		}
		*eq = '\0';
		rc = vm_option(o, key, eq + 1, err, errlen);
		if (rc)
			return rc;
		*end = sep;
		p = end;
	}
	return 0;
}
