/* The console's input with several VMs: what is typed goes to one VM at a
 * time, the one with the focus (README, "The console with several VMs").
 * Ctrl-A starts a console command: a digit N gives the focus to VM N,
 * 'n' to the next VM, 'a' sends the VM a Ctrl-A, 's' opens the shell
 * (hv/shell.h), which then takes the typed lines until it closes; each
 * change prints where the input now goes.  Every VM takes input into a queue of its own;
 * whichever VM asks for input moves the host console's bytes, so no VM
 * takes another's. */
#ifndef HV_CONSOLE_IN_H
#define HV_CONSOLE_IN_H

#include <hv/types.h>

struct vm;

#define CONSOLE_ESCAPE   0x01    /* Ctrl-A */
#define CONSOLE_IN_QUEUE 256     /* bytes typed ahead for one VM */

struct shell_env;

/* Where the bytes come from (console_getc; a fake in the unit tests), what
 * the shell acts on (shell_hv_env), and how the CPU that runs the shell's
 * lines is told that one waits (it may be in a guest). */
void console_in_init(int (*host_getc)(void), const struct shell_env *shell,
		     void (*shell_wake)(void));
/* A line typed at the shell waits; run it.  The shell's CPU calls these
 * between vCPU slices, where no VMCS is in use and no lock held: its
 * commands make, end and inspect VMs. */
bool console_in_shell_pending(void);
void console_in_run_shell(void);
/* The VM takes input from now on; focus: it gets the focus too.  The VM
 * with the focus passes it, when it goes, to the VM with the next id. */
void console_in_attach(struct vm *vm, bool focus);
void console_in_detach(struct vm *vm);
/* The next byte typed for this VM, or -1. */
int console_in_getc(struct vm *vm);
/* The console UART's receive interrupt (the arch calls it): the bytes go
 * to the queues now, and the VM with the focus is told (vm->input_ready)
 * and its CPU kicked out of the guest to take them. */
void console_in_interrupt(void);
/* The same, polled: the boot CPU with no vCPU to run when input comes
 * without an interrupt (the shell must still answer). */
void console_in_poll(void);
/* The id of the VM with the focus, 0: none. */
unsigned console_in_focus(void);
/* Give the VM the focus (the shell's console command). */
void console_in_set_focus(struct vm *vm);

#endif
