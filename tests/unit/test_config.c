/* Unit tests for src/core/config.c: command-line options and their warnings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <hv/config.h>
#include <hv/errno.h>

/* Collects the warnings config_parse() reports. */
struct warnings {
	char msg[16][512];
	int n;
};

static void collect(void *ctx, const char *msg)
{
	struct warnings *w = ctx;
	assert_true(w->n < 16);
	assert_true(strlen(msg) < sizeof(w->msg[0]));
	strcpy(w->msg[w->n++], msg);
}

static struct config C;
static struct warnings W;

/* Parse cmdline over fresh defaults; returns the warning count, which must
 * match what warn() saw. */
static int parse(const char *cmdline)
{
	memset(&W, 0, sizeof(W));
	config_defaults(&C);
	int n = config_parse(&C, cmdline, collect, &W);
	assert_int_equal(n, W.n);
	return n;
}

static void assert_defaults(const struct config *c)
{
	assert_int_equal(c->console_port, 0x3f8);
	assert_int_equal(c->console_baud, 115200);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_false(c->shutdown_after_boot);
	assert_true(c->poweroff);
	assert_int_equal(c->guest_mem_mib, 0);
	assert_false(c->fault_test);
	assert_false(c->nmi_test);
}

static void test_defaults(void **state)
{
	(void)state;
	struct config c;
	memset(&c, 0xa5, sizeof(c));
	config_defaults(&c);
	assert_defaults(&c);
}

static void test_empty_and_blank(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_defaults(&C);
	assert_int_equal(parse("   \t  \t"), 0);
	assert_defaults(&C);

	config_defaults(&C);
	assert_int_equal(config_parse(&C, NULL, collect, &W), 0);
	assert_defaults(&C);
}

static void test_console(void **state)
{
	(void)state;
	static const struct { const char *arg; uint16_t port; } cases[] = {
		{ "console=com1", 0x3f8 }, { "console=com2", 0x2f8 },
		{ "console=com3", 0x3e8 }, { "console=com4", 0x2e8 },
		{ "console=0x2f8", 0x2f8 }, { "console=0X2F8", 0x2f8 },
		{ "console=760", 760 },     { "console=1", 1 },
		{ "console=0xffff", 0xffff }, { "console=65535", 65535 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].arg), 0);
		assert_int_equal(C.console_port, cases[i].port);
	}
}

static void test_console_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"com5", "COM1", "0", "0x0", "65536", "0x10000", "0x", "12a",
		"-1", "+5", "99999999999999999999999",
	};
	char arg[128];
	char expect[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "console=%s", bad[i]);
		assert_int_equal(parse(arg), 1);
		snprintf(expect, sizeof(expect),
			 "bad value '%s' for option 'console', keeping default", bad[i]);
		assert_string_equal(W.msg[0], expect);
		assert_int_equal(C.console_port, 0x3f8);
	}
}

/* gdb=: the stub's serial port (off by default). */
static void test_gdb_port(void **state)
{
	(void)state;
	assert_int_equal(C.gdb_port, 0);
	assert_int_equal(parse("gdb=com2"), 0);
	assert_int_equal(C.gdb_port, 0x2f8);
	assert_int_equal(parse("gdb=0x2e8"), 0);
	assert_int_equal(C.gdb_port, 0x2e8);
	assert_int_equal(parse("gdb=off"), 0);
	assert_int_equal(C.gdb_port, 0);
	assert_int_equal(parse("gdb=com9"), 1);
	assert_string_equal(W.msg[0], "bad value 'com9' for option 'gdb', keeping default");
	assert_int_equal(parse("gdb"), 1);
}

static void test_baud(void **state)
{
	(void)state;
	static const uint32_t good[] = { 115200, 57600, 38400, 19200, 9600,
					 4800, 2400, 1200, 300, 50, 1, 2 };
	char arg[64];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(arg, sizeof(arg), "baud=%u", good[i]);
		assert_int_equal(parse(arg), 0);
		assert_int_equal(C.console_baud, good[i]);
	}
}

static void test_guest_mem(void **state)
{
	(void)state;
	assert_int_equal(parse("guest_mem=64"), 0);
	assert_int_equal(C.guest_mem_mib, 64);
	assert_int_equal(parse("guest_mem=2"), 0);
	assert_int_equal(C.guest_mem_mib, 2);
	assert_int_equal(parse("guest_mem=3072"), 0);
	assert_int_equal(C.guest_mem_mib, 3072);
	static const char *const bad[] = { "1", "0", "3073", "lots", "-5" };
	char arg[64], expect[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "guest_mem=%s", bad[i]);
		assert_int_equal(parse(arg), 1);
		snprintf(expect, sizeof(expect),
			 "bad value '%s' for option 'guest_mem', keeping default", bad[i]);
		assert_string_equal(W.msg[0], expect);
		assert_int_equal(C.guest_mem_mib, 0);
	}
}

static void test_fault_test(void **state)
{
	(void)state;
	assert_int_equal(parse("fault_test"), 0);
	assert_true(C.fault_test);
	assert_int_equal(parse("fault_test=0"), 0);
	assert_false(C.fault_test);
	assert_int_equal(parse("nmi_test"), 0);
	assert_true(C.nmi_test);
	assert_false(C.fault_test);
	assert_int_equal(parse("entry_fail_test stats_interval=5"), 0);
	assert_int_equal(C.entry_fail_test, ENTRY_FAIL_STATE);
	assert_int_equal(C.stats_interval_s, 5);
	assert_int_equal(parse("entry_fail_test=control"), 0);
	assert_int_equal(C.entry_fail_test, ENTRY_FAIL_CONTROL);
	assert_int_equal(parse("entry_fail_test=state"), 0);
	assert_int_equal(C.entry_fail_test, ENTRY_FAIL_STATE);
	assert_int_equal(parse("entry_fail_test=0"), 0);
	assert_int_equal(C.entry_fail_test, ENTRY_FAIL_NONE);
	assert_int_equal(parse("entry_fail_test=sideways"), 1);
	assert_int_equal(C.entry_fail_test, ENTRY_FAIL_NONE);
	assert_int_equal(parse("stats_interval=3601"), 1);
	assert_int_equal(C.stats_interval_s, 0);
	assert_int_equal(parse("cpu_limit=2500"), 0);
	assert_int_equal(C.cpu_limit_ms, 2500);
	assert_int_equal(parse("cpu_limit=86400001"), 1);
	assert_int_equal(C.cpu_limit_ms, 0);
	assert_int_equal(parse("cpu_limit=soon"), 1);
	assert_int_equal(C.cpu_limit_ms, 0);
	assert_int_equal(C.console_rate, 100);
	assert_int_equal(parse("console_rate=0"), 0);
	assert_int_equal(C.console_rate, 0);
	assert_int_equal(parse("console_rate=100001"), 1);
	assert_false(C.spec_test);
	assert_int_equal(parse("spec_test"), 0);
	assert_true(C.spec_test);
	assert_int_equal(C.console_rate, 100);
}

static void test_baud_bad(void **state)
{
	(void)state;
	static const char *const bad[] = { "0", "7", "110", "230400", "56000",
					   "fast", "9600baud", "4294967296" };
	char arg[64], expect[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "baud=%s", bad[i]);
		assert_int_equal(parse(arg), 1);
		snprintf(expect, sizeof(expect),
			 "bad value '%s' for option 'baud', keeping default", bad[i]);
		assert_string_equal(W.msg[0], expect);
		assert_int_equal(C.console_baud, 115200);
	}
}

static void test_loglevel(void **state)
{
	(void)state;
	static const struct { const char *arg; enum log_level lvl; } cases[] = {
		{ "loglevel=error", LOG_ERROR }, { "loglevel=warn", LOG_WARN },
		{ "loglevel=info", LOG_INFO },   { "loglevel=debug", LOG_DEBUG },
		{ "loglevel=0", LOG_ERROR },     { "loglevel=1", LOG_WARN },
		{ "loglevel=2", LOG_INFO },      { "loglevel=3", LOG_DEBUG },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].arg), 0);
		assert_int_equal(C.log_level, cases[i].lvl);
	}
}

static void test_loglevel_bad(void **state)
{
	(void)state;
	static const char *const bad[] = { "4", "5", "9", "10", "trace",
					   "DEBUG", "warning", "-1" };
	char arg[64], expect[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(arg, sizeof(arg), "loglevel=%s", bad[i]);
		assert_int_equal(parse(arg), 1);
		snprintf(expect, sizeof(expect),
			 "bad value '%s' for option 'loglevel', keeping default", bad[i]);
		assert_string_equal(W.msg[0], expect);
		assert_int_equal(C.log_level, LOG_INFO);
	}
}

static void test_booleans(void **state)
{
	(void)state;
	assert_int_equal(parse("shutdown_after_boot"), 0);
	assert_true(C.shutdown_after_boot);

	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	char arg[64];
	for (size_t i = 0; i < 4; i++) {
		snprintf(arg, sizeof(arg), "shutdown_after_boot=%s", yes[i]);
		assert_int_equal(parse(arg), 0);
		assert_true(C.shutdown_after_boot);

		snprintf(arg, sizeof(arg), "poweroff=%s", no[i]);
		assert_int_equal(parse(arg), 0);
		assert_false(C.poweroff);

		/* and back, over a non-default starting value */
		C.shutdown_after_boot = true;
		C.poweroff = false;
		snprintf(arg, sizeof(arg), "shutdown_after_boot=%s poweroff=%s", no[i], yes[i]);
		memset(&W, 0, sizeof(W));
		assert_int_equal(config_parse(&C, arg, collect, &W), 0);
		assert_false(C.shutdown_after_boot);
		assert_true(C.poweroff);
	}

	/* Bare poweroff is also "true" (same boolean forms). */
	C.poweroff = false;
	memset(&W, 0, sizeof(W));
	assert_int_equal(config_parse(&C, "poweroff", collect, &W), 0);
	assert_true(C.poweroff);
}

static void test_booleans_bad(void **state)
{
	(void)state;
	assert_int_equal(parse("shutdown_after_boot=2"), 1);
	assert_string_equal(W.msg[0],
		"bad value '2' for option 'shutdown_after_boot', keeping default");
	assert_false(C.shutdown_after_boot);

	assert_int_equal(parse("poweroff=maybe"), 1);
	assert_string_equal(W.msg[0],
		"bad value 'maybe' for option 'poweroff', keeping default");
	assert_true(C.poweroff);

	assert_int_equal(parse("poweroff="), 1);
	assert_string_equal(W.msg[0], "option 'poweroff' needs a value, keeping default");
	assert_true(C.poweroff);
}

static void test_unknown_option(void **state)
{
	(void)state;
	assert_int_equal(parse("frobnicate=7"), 1);
	assert_string_equal(W.msg[0], "unknown option 'frobnicate' ignored");
	assert_defaults(&C);

	assert_int_equal(parse("quiet"), 1);
	assert_string_equal(W.msg[0], "unknown option 'quiet' ignored");

	/* Keys are matched whole and case-sensitively. */
	assert_int_equal(parse("Baud=9600 consol=com2 console2=com2"), 3);
	assert_string_equal(W.msg[0], "unknown option 'Baud' ignored");
	assert_string_equal(W.msg[1], "unknown option 'consol' ignored");
	assert_string_equal(W.msg[2], "unknown option 'console2' ignored");
	assert_defaults(&C);

	assert_int_equal(parse("=5"), 1);
	assert_string_equal(W.msg[0], "unknown option '' ignored");
}

static void test_missing_value(void **state)
{
	(void)state;
	assert_int_equal(parse("baud"), 1);
	assert_string_equal(W.msg[0], "option 'baud' needs a value, keeping default");
	assert_int_equal(parse("baud="), 1);
	assert_string_equal(W.msg[0], "option 'baud' needs a value, keeping default");
	assert_int_equal(parse("console"), 1);
	assert_string_equal(W.msg[0], "option 'console' needs a value, keeping default");
	assert_int_equal(parse("loglevel="), 1);
	assert_string_equal(W.msg[0], "option 'loglevel' needs a value, keeping default");
	assert_defaults(&C);
}

static void test_value_with_equals(void **state)
{
	(void)state;
	/* Only the first '=' separates key and value. */
	assert_int_equal(parse("baud=9600=1"), 1);
	assert_string_equal(W.msg[0],
		"bad value '9600=1' for option 'baud', keeping default");
}

static void test_multiple_words_and_spacing(void **state)
{
	(void)state;
	assert_int_equal(parse("  console=com2 \t\tbaud=9600   loglevel=debug\tshutdown_after_boot  poweroff=no  "), 0);
	assert_int_equal(C.console_port, 0x2f8);
	assert_int_equal(C.console_baud, 9600);
	assert_int_equal(C.log_level, LOG_DEBUG);
	assert_true(C.shutdown_after_boot);
	assert_false(C.poweroff);
}

static void test_later_word_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("baud=9600 baud=38400"), 0);
	assert_int_equal(C.console_baud, 38400);
	/* A bad later value keeps the earlier good one. */
	assert_int_equal(parse("baud=9600 baud=7"), 1);
	assert_int_equal(C.console_baud, 9600);
}

static void test_unknown_and_good_together(void **state)
{
	(void)state;
	assert_int_equal(parse("foo=1 console=com3 baud=7 bar loglevel=warn baud"), 4);
	assert_string_equal(W.msg[0], "unknown option 'foo' ignored");
	assert_string_equal(W.msg[1], "bad value '7' for option 'baud', keeping default");
	assert_string_equal(W.msg[2], "unknown option 'bar' ignored");
	assert_string_equal(W.msg[3], "option 'baud' needs a value, keeping default");
	assert_int_equal(C.console_port, 0x3e8);
	assert_int_equal(C.log_level, LOG_WARN);
	assert_int_equal(C.console_baud, 115200);
}

static void test_null_warn(void **state)
{
	(void)state;
	config_defaults(&C);
	assert_int_equal(config_parse(&C, "nope baud=7 console=com4 baud", NULL, NULL), 3);
	assert_int_equal(C.console_port, 0x2e8);
	assert_int_equal(C.console_baud, 115200);
}

static void test_long_words(void **state)
{
	(void)state;
	char line[2048];
	char expect[512];

	/* A 1000-character unknown key: reported, truncated, no overflow. */
	memset(line, 'k', 1000);
	line[1000] = '\0';
	assert_int_equal(parse(line), 1);
	assert_true(strncmp(W.msg[0], "unknown option 'kkkk", 20) == 0);
	assert_true(strlen(W.msg[0]) < 200);

	/* A long value that would be valid if cut short must not be: 9600
	 * followed by 996 zeros is not 9600. */
	strcpy(line, "baud=9600");
	memset(line + 9, '0', 996);
	line[1005] = '\0';
	assert_int_equal(parse(line), 1);
	assert_true(strncmp(W.msg[0], "bad value '96000000", 19) == 0);
	snprintf(expect, sizeof(expect), "' for option 'baud', keeping default");
	assert_true(strstr(W.msg[0], expect) != NULL);
	assert_int_equal(C.console_baud, 115200);

	/* A long word followed by a good one: both handled. */
	memset(line, 'x', 600);
	strcpy(line + 600, " console=com2");
	assert_int_equal(parse(line), 1);
	assert_int_equal(C.console_port, 0x2f8);
}

/* ---- a guest's module string ---- */

static void test_vm_options_plain(void **state)
{
	struct vm_options o;
	char err[160];

	(void)state;
	assert_int_equal(vm_options_parse("cpuid  a b c", &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "cpuid");
	assert_string_equal(o.args, "a b c");
	assert_int_equal(o.mem_mib, 0);
	assert_int_equal(o.vcpus, 1);
	assert_int_equal(o.cpus, 0);
	assert_int_equal(vm_options_parse("", &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "guest");
	assert_string_equal(o.args, "");
}

static void test_vm_options_all(void **state)
{
	struct vm_options o;
	char err[160];

	(void)state;
	assert_int_equal(vm_options_parse("linux,mem=64,vcpus=2,cpus=1-3:5 console=ttyS0 mem=1G",
					  &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "linux");
	assert_string_equal(o.args, "console=ttyS0 mem=1G");
	assert_int_equal(o.mem_mib, 64);
	assert_int_equal(o.vcpus, 2);
	assert_int_equal(o.cpus, 0x2e);
	assert_int_equal(vm_options_parse("g,cpus=0", &o, err, sizeof(err)), 0);
	assert_int_equal(o.cpus, 1);
	assert_false(o.bare);
	assert_int_equal(vm_options_parse("g,platform=none", &o, err, sizeof(err)), 0);
	assert_true(o.bare);
	assert_int_equal(vm_options_parse("g,platform=pc", &o, err, sizeof(err)), 0);
	assert_false(o.bare);
	assert_string_equal(o.args, "");
	assert_false(o.holes_stop);
	assert_int_equal(vm_options_parse("g,holes=stop", &o, err, sizeof(err)), 0);
	assert_true(o.holes_stop);
	assert_int_equal(vm_options_parse("g,holes=ones", &o, err, sizeof(err)), 0);
	assert_false(o.holes_stop);
	assert_false(o.wait);
	assert_int_equal(vm_options_parse("g,start=wait", &o, err, sizeof(err)), 0);
	assert_true(o.wait);
	assert_int_equal(vm_options_parse("g,start=boot", &o, err, sizeof(err)), 0);
	assert_false(o.wait);
	assert_false(o.gdb);
	assert_int_equal(vm_options_parse("g,gdb=1", &o, err, sizeof(err)), 0);
	assert_true(o.gdb);
	assert_string_equal(o.disk, "");
	assert_int_equal(vm_options_parse("g,disk=data,disk_ro=1", &o, err, sizeof(err)), 0);
	assert_string_equal(o.disk, "data");
	assert_true(o.disk_ro);
	assert_int_equal(vm_options_parse("g,net=lan,mac=02:74:68:76:aB:Cd", &o, err, sizeof(err)), 0);
	assert_string_equal(o.net, "lan");
	assert_memory_equal(o.mac, "\x02\x74\x68\x76\xab\xcd", 6);
}

/* The shell's start: a module string's syntax over an image's options. */
static void test_vm_options_apply(void **state)
{
	struct vm_options o;
	char err[160];

	(void)state;
	assert_int_equal(vm_options_parse("linux,mem=64,vcpus=2,start=wait console=ttyS0", &o, err,
					  sizeof(err)), 0);
	assert_int_equal(vm_options_apply("linux,vcpus=4", &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "linux");
	assert_int_equal(o.vcpus, 4);
	assert_int_equal(o.mem_mib, 64);
	assert_true(o.wait);
	assert_string_equal(o.args, "console=ttyS0");
	assert_int_equal(vm_options_apply("  linux   quiet  ", &o, err, sizeof(err)), 0);
	assert_string_equal(o.args, "quiet  ");
	assert_int_equal(o.vcpus, 4);
	assert_int_equal(vm_options_apply("lin,mem=8", &o, err, sizeof(err)), 0);
	assert_string_equal(o.name, "lin");
	assert_int_equal(o.mem_mib, 8);
	assert_int_equal(vm_options_apply("linux,mem=1", &o, err, sizeof(err)), HV_EINVAL);
	assert_non_null(strstr(err, "bad value '1' for option 'mem'"));
}

static void expect_bad(const char *s, const char *why)
{
	struct vm_options o;
	char err[160] = "";

	assert_int_equal(vm_options_parse(s, &o, err, sizeof(err)), HV_EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, why);
}

static void test_vm_options_bad(void **state)
{
	(void)state;
	expect_bad("g,mem=1", "bad value '1' for option 'mem'");
	expect_bad("g,mem=3073", "bad value '3073' for option 'mem'");
	expect_bad("g,mem=12k", "bad value '12k'");
	expect_bad("g,holes=zeros", "bad value 'zeros' for option 'holes'");
	expect_bad("g,start=later", "bad value 'later' for option 'start'");
	expect_bad("g,vcpus=0", "bad value '0' for option 'vcpus'");
	expect_bad("g,cpus=", "option 'cpus=' is not key=value");
	expect_bad("g,cpus=3-1", "bad value '3-1' for option 'cpus'");
	expect_bad("g,cpus=64", "bad value '64'");
	expect_bad("g,cpus=1:", "bad value '1:'");
	expect_bad("g,cpus=:1", "bad value ':1'");
	expect_bad("g,colour=blue", "unknown option 'colour'");
	expect_bad("g,platform=isa", "bad value 'isa' for option 'platform'");
	expect_bad("g,disk_ro=maybe", "bad value 'maybe' for option 'disk_ro'");
	expect_bad("g,mac=01:00:00:00:00:01", "for option 'mac'");   /* a group address */
	expect_bad("g,mac=00:00:00:00:00:00", "for option 'mac'");
	expect_bad("g,mac=02:00:00:00:00", "for option 'mac'");
	expect_bad("g,mac=02:00:00:00:00:001", "for option 'mac'");
	expect_bad("g,mac=02:00:00:00:0g:01", "for option 'mac'");
	expect_bad("g,disk=a-name-of-more-than-thirty-one-chars", "for option 'disk'");
	expect_bad("g,mem", "option 'mem' is not key=value");
	expect_bad("g,,mem=4", "option '' is not key=value");
	expect_bad("g,mem=4,", "option '' is not key=value");
	expect_bad("a-name-of-more-than-thirty-one-chars x", "the name is longer than 31");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_and_blank),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_console_bad),
		cmocka_unit_test(test_gdb_port),
		cmocka_unit_test(test_baud),
		cmocka_unit_test(test_baud_bad),
		cmocka_unit_test(test_guest_mem),
		cmocka_unit_test(test_fault_test),
		cmocka_unit_test(test_loglevel),
		cmocka_unit_test(test_loglevel_bad),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_booleans_bad),
		cmocka_unit_test(test_unknown_option),
		cmocka_unit_test(test_missing_value),
		cmocka_unit_test(test_value_with_equals),
		cmocka_unit_test(test_multiple_words_and_spacing),
		cmocka_unit_test(test_later_word_wins),
		cmocka_unit_test(test_unknown_and_good_together),
		cmocka_unit_test(test_null_warn),
		cmocka_unit_test(test_long_words),
		cmocka_unit_test(test_vm_options_plain),
		cmocka_unit_test(test_vm_options_all),
		cmocka_unit_test(test_vm_options_apply),
		cmocka_unit_test(test_vm_options_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
