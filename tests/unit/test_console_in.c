/* Unit tests of src/core/console_in.c: the console's input goes to the
 * VM with the focus; Ctrl-A commands move the focus; a VM that goes
 * passes it on; no VM reads another's bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include <hv/console_in.h>
#include <hv/shell.h>
#include <hv/vm.h>

#include "fake_arch.h"

static const char *typed;      /* what the host console will give */

static int fake_getc(void) { return *typed ? (unsigned char)*typed++ : -1; }

static struct vm vms[3];

/* These tests do not open the shell (test_shell does). */
static const struct shell_env no_shell;

static int setup(void **state)
{
	static const char *const names[] = { "one", "two", "three" };

	(void)state;
	memset(vms, 0, sizeof(vms));
	for (unsigned i = 0; i < 3; i++) {
		vms[i].id = i + 1;
		vms[i].slot = i + 4;
		strcpy(vms[i].name, names[i]);
	}
	typed = "";
	console_in_init(fake_getc, &no_shell, NULL);
	fake_console_clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 3; i++)
		console_in_detach(&vms[i]);
	return 0;
}

/* What vm has been typed, as a string (at most n - 1 bytes). */
static const char *read_all(struct vm *vm)
{
	static char buf[400];
	size_t n = 0;
	int c;

	while (n + 1 < sizeof(buf) && (c = console_in_getc(vm)) >= 0)
		buf[n++] = (char)c;
	buf[n] = '\0';
	return buf;
}

static void test_focus_gets_the_input(void **state)
{
	(void)state;
	console_in_attach(&vms[0], false);
	assert_int_equal(console_in_focus(), 0);
	console_in_attach(&vms[1], true);       /* asked for it */
	console_in_attach(&vms[2], false);
	assert_int_equal(console_in_focus(), 2);
	assert_non_null(strstr(fake_console(), "console: input goes to vm 2 (two)"));
	typed = "ls\r";
	assert_string_equal(read_all(&vms[0]), "");   /* pumps, but nothing is one's */
	assert_string_equal(read_all(&vms[1]), "ls\r");
	assert_string_equal(read_all(&vms[2]), "");
}

static void test_escape_commands(void **state)
{
	(void)state;
	console_in_attach(&vms[0], true);
	console_in_attach(&vms[1], false);
	console_in_attach(&vms[2], false);
	fake_console_clear();
	typed = "a\x01" "3b\x01" "nc\x01" "ad\x01\x01" "e\x01" "9f\x01" "?g";
	assert_string_equal(read_all(&vms[2]), "b");
	assert_string_equal(read_all(&vms[0]), "ac\x01" "d\x01" "efg");
	assert_int_equal(console_in_focus(), 1);
	assert_non_null(strstr(fake_console(), "console: input goes to vm 3 (three)"));
	assert_non_null(strstr(fake_console(), "console: input goes to vm 1 (one)"));
	assert_non_null(strstr(fake_console(), "console: no vm 9"));
	assert_non_null(strstr(fake_console(), "console: Ctrl-A then 1-9"));
}

static void test_leaving_vm_passes_the_focus(void **state)
{
	(void)state;
	console_in_attach(&vms[0], false);
	console_in_attach(&vms[1], true);
	console_in_attach(&vms[2], false);
	console_in_detach(&vms[1]);
	assert_int_equal(console_in_focus(), 3);
	console_in_detach(&vms[2]);
	assert_int_equal(console_in_focus(), 1);  /* wraps round */
	console_in_detach(&vms[0]);
	assert_int_equal(console_in_focus(), 0);
	typed = "x";
	assert_int_equal(console_in_getc(&vms[0]), -1);  /* dropped: nobody takes it */
	console_in_attach(&vms[2], false);
	assert_int_equal(console_in_focus(), 0);
	typed = "\x01n";                                  /* until given */
	assert_int_equal(console_in_getc(&vms[2]), -1);
	assert_int_equal(console_in_focus(), 3);
}

/* The queue holds CONSOLE_IN_QUEUE bytes; more are dropped, counted, and
 * commands still work while the VM with the focus reads nothing. */
static void test_full_queue(void **state)
{
	static char many[CONSOLE_IN_QUEUE + 20];

	(void)state;
	console_in_attach(&vms[0], true);
	console_in_attach(&vms[1], false);
	memset(many, 'x', sizeof(many) - 4);
	memcpy(many + sizeof(many) - 4, "\x01" "2y", 4);
	typed = many;
	assert_string_equal(read_all(&vms[1]), "y");
	assert_int_equal(strlen(read_all(&vms[0])), CONSOLE_IN_QUEUE);
	fake_console_clear();
	console_in_detach(&vms[0]);
	assert_non_null(strstr(fake_console(), "console: 16 bytes typed for vm 1 (one) were dropped"));
}

/* A line typed while the shell runs one is kept, and runs after it; so
 * is one typed before the first has run (a fast typist, a script). */
static void test_shell_type_ahead(void **state)
{
	(void)state;
	console_in_attach(&vms[0], true);
	typed = "\x01sfoo\rbar\rba";
	read_all(&vms[0]);
	assert_true(console_in_shell_pending());
	typed = "z\r";
	read_all(&vms[0]);
	fake_console_clear();
	console_in_run_shell();
	assert_false(console_in_shell_pending());
	assert_non_null(strstr(fake_console(), "shell: no command 'foo'"));
	assert_non_null(strstr(fake_console(), "shell: no command 'bar'"));
	assert_non_null(strstr(fake_console(), "shell: no command 'baz'"));
	assert_true(strstr(fake_console(), "'foo'") < strstr(fake_console(), "'bar'"));
	typed = "exit\r";
	read_all(&vms[0]);
	console_in_run_shell();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_focus_gets_the_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escape_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaving_vm_passes_the_focus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shell_type_ahead, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
