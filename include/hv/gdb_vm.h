/* The gdb stub on a serial port of its own (gdb=com2 on the command
 * line; README, "Debugging a guest with gdb"), debugging one VM at a
 * time: the one the shell's `gdb VM` or the VM option gdb=1 names.  GDB's
 * `target remote` attaches (the VM stops); breakpoints, steps and Ctrl-C
 * stop every vCPU of the VM (all-stop mode); detach lets it run on.  The
 * stub runs on CPU 0 between slices (gdb_vm_poll). */
#ifndef HV_GDB_VM_H
#define HV_GDB_VM_H

#include <hv/types.h>
#include <hv/vmexit.h>

struct vm;
struct vcpu;

/* The stub on port (0: none); false if no UART answers there. */
bool gdb_vm_init(uint16_t port);
bool gdb_vm_enabled(void);
/* The VM the debugger will attach to (the shell's gdb, the VM option). */
void gdb_vm_name(const struct vm *vm);
/* CPU 0, between slices: bytes from GDB, stops to report. */
void gdb_vm_poll(void);
/* The VM has ended (any CPU, before it is destroyed): a debugger attached
 * to it hears that it exited. */
void gdb_vm_end(struct vm *vm);

/* From a vCPU's exits while a debugger holds its VM: an exception that
 * is the debugger's (its INT3, its debug registers' #DB) stops the VM
 * (true: not the guest's); the monitor trap flag ends a step. */
bool debug_exception(struct vcpu *v, const struct exception_request *r);
enum vmexit_ret debug_mtf_exit(struct vcpu *v);

#endif
