/* Unit tests of src/core/vm_console.c: a VM's output cut into lines tagged
 * with its name on the hypervisor console (captured by fake_arch.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <hv/console.h>
#include <hv/vm_console.h>

#include "fake_arch.h"

static void test_lines(void **state)
{
	struct vm_console c;

	(void)state;
	fake_console_clear();
	vm_console_init(&c, "g");
	vm_console_write(&c, "hello\r\nwor", 10);
	assert_string_equal(fake_console(), "[g] hello\r\n");
	vm_console_write(&c, "ld\n", 3);
	assert_string_equal(fake_console(), "[g] hello\r\n[g] world\r\n");
	/* An empty line is a line too. */
	vm_console_putc(&c, '\n');
	assert_string_equal(fake_console(), "[g] hello\r\n[g] world\r\n[g] \r\n");
	/* The VM ends with an unfinished line: it is ended. */
	fake_console_clear();
	vm_console_write(&c, "tail", 4);
	vm_console_flush(&c, false);
	assert_string_equal(fake_console(), "[g] tail\r\n");
	vm_console_flush(&c, false);
	assert_string_equal(fake_console(), "[g] tail\r\n");
}

/* A prompt is shown at once and continued without a second tag; a
 * hypervisor line after it starts on a line of its own. */
static void test_partial_lines(void **state)
{
	struct vm_console c;

	(void)state;
	fake_console_clear();
	vm_console_init(&c, "g");
	vm_console_write(&c, "guest:~# ", 9);
	vm_console_flush(&c, true);
	assert_string_equal(fake_console(), "[g] guest:~# ");
	vm_console_flush(&c, true);
	vm_console_write(&c, "ls\n", 3);
	assert_string_equal(fake_console(), "[g] guest:~# ls\r\n");
	fake_console_clear();
	vm_console_write(&c, "$ ", 2);
	vm_console_flush(&c, true);
	vm_console_break(&c);
	vm_console_write(&c, "x\n", 2);
	assert_string_equal(fake_console(), "[g] $ \r\n[g] x\r\n");
}

/* Two VMs and the hypervisor print at once: an unfinished line is ended
 * before anyone else's text, and its continuation starts again with its
 * tag, so that no console line holds two writers' text. */
static void test_partial_lines_of_two_vms(void **state)
{
	struct vm_console a, b;

	(void)state;
	fake_console_clear();
	vm_console_init(&a, "a");
	vm_console_init(&b, "b");
	vm_console_write(&a, "a$ ", 3);
	vm_console_flush(&a, true);
	vm_console_write(&b, "line of b\n", 10);
	vm_console_write(&a, "typed\n", 6);
	assert_string_equal(fake_console(), "[a] a$ \r\n[b] line of b\r\n[a] typed\r\n");
	fake_console_clear();
	vm_console_write(&b, "b$ ", 3);
	vm_console_flush(&b, true);
	kprintf("hypervisor line\n");
	vm_console_write(&b, "more", 4);
	vm_console_flush(&b, true);
	vm_console_write(&b, " and more\n", 10);
	assert_string_equal(fake_console(),
			    "[b] b$ \r\nhypervisor line\r\n[b] more and more\r\n");
}

static void test_control_chars_and_long_lines(void **state)
{
	struct vm_console c;
	char big[400];
	const char *out, *second;

	(void)state;
	fake_console_clear();
	vm_console_init(&c, "g");
	/* Control characters would let a guest forge console output. */
	vm_console_write(&c, "a\033[2J\tb\n", 8);
	assert_string_equal(fake_console(), "[g] a.[2J\tb\r\n");
	fake_console_clear();
	memset(big, 'x', sizeof(big));
	vm_console_write(&c, big, sizeof(big));
	out = fake_console();
	/* Two whole lines of VM_CONSOLE_LINE_MAX, the rest still pending. */
	assert_int_equal(strlen(out), 2 * (4 + VM_CONSOLE_LINE_MAX + 2));
	second = strstr(out + 1, "[g] ");
	assert_non_null(second);
	assert_int_equal(second - out, 4 + VM_CONSOLE_LINE_MAX + 2);
}

static unsigned count(const char *s, const char *what)
{
	unsigned n = 0;

	for (const char *p = strstr(s, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* console_rate=2 at a 100 Hz TSC: a line costs 50 ticks, and 20 lines
 * (10 seconds' worth) may come at once. */
static void test_rate_limit(void **state)
{
	struct vm_console c;

	(void)state;
	fake_console_clear();
	fake_tsc_now = 1000;
	vm_console_init(&c, "g");
	vm_console_set_rate(&c, 2, 100);
	for (int i = 0; i < 25; i++)
		vm_console_write(&c, "spam\n", 5);
	assert_int_equal(count(fake_console(), "[g] spam\r\n"), 20);
	/* A line over the limit is dropped whole, its partial flush too. */
	vm_console_write(&c, "half", 4);
	vm_console_flush(&c, true);
	vm_console_write(&c, " more\n", 6);
	assert_null(strstr(fake_console(), "half"));
	/* Time gives credit back: the count of dropped lines comes first. */
	fake_console_clear();
	fake_tsc_now += 100;
	vm_console_write(&c, "a\nb\nc\n", 6);
	assert_string_equal(fake_console(),
			    "[g] (6 lines over console_rate not shown)\r\n[g] a\r\n[g] b\r\n");
	/* At the VM's end the count is shown whatever the credit. */
	fake_console_clear();
	vm_console_flush(&c, false);
	assert_string_equal(fake_console(), "[g] (1 lines over console_rate not shown)\r\n");
	/* An allowed line continued after a partial flush costs once. */
	fake_console_clear();
	fake_tsc_now += 50;
	vm_console_write(&c, "$ ", 2);
	vm_console_flush(&c, true);
	vm_console_write(&c, "ls\n", 3);
	assert_string_equal(fake_console(), "[g] $ ls\r\n");
}

static void test_no_rate_limit(void **state)
{
	struct vm_console c;

	(void)state;
	fake_console_clear();
	vm_console_init(&c, "g");
	vm_console_set_rate(&c, 0, 100);
	for (int i = 0; i < 1000; i++)
		vm_console_write(&c, "x\n", 2);
	assert_int_equal(count(fake_console(), "[g] x\r\n"), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_partial_lines),
		cmocka_unit_test(test_partial_lines_of_two_vms),
		cmocka_unit_test(test_control_chars_and_long_lines),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_no_rate_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
