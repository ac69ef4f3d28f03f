/* A GDB remote-serial-protocol stub (the GDB manual, appendix "Remote
 * Protocol"): packets "$data#cc" in, acknowledged with '+' (or '-' for a
 * bad checksum), replies out the same way; a 0x03 byte between packets
 * is Ctrl-C.  Portable: the debugged target is a table of operations (a
 * VM in gdb_vm.c, fakes in test_gdb), bytes go out through a callback.
 * One thread per vCPU (thread ids 1..n); registers in GDB's amd64 or
 * i386 numbering, described to GDB by a target description
 * (qXfer:features:read:target.xml). */
#ifndef HV_GDB_H
#define HV_GDB_H

#include <hv/types.h>

struct vcpu_snapshot;

#define GDB_PACKET_MAX 4096          /* PacketSize in qSupported */

/* Z/z breakpoint types (the protocol's numbers). */
enum gdb_break { GDB_SW_BREAK = 0, GDB_HW_BREAK = 1, GDB_WATCH_WRITE = 2, GDB_WATCH_READ = 3,
		 GDB_WATCH_ACCESS = 4 };

/* Why the target stopped (the stop reply's reason). */
enum gdb_why { GDB_STOP_SIGNAL, GDB_STOP_SWBREAK, GDB_STOP_HWBREAK, GDB_STOP_WATCH };

struct gdb_stop {
	unsigned thread;           /* 1..threads */
	unsigned signal;           /* 5 SIGTRAP, 2 SIGINT */
	enum gdb_why why;
	uint64_t addr;             /* GDB_STOP_WATCH: the watched address */
};

/* Registers GDB may write (the others are read only here). */
enum gdb_reg_src { GDB_SRC_GPR, GDB_SRC_RIP, GDB_SRC_RFLAGS, GDB_SRC_SEG, GDB_SRC_SEG_BASE,
		   GDB_SRC_CR, GDB_SRC_NONE };

struct gdb_ops {
	unsigned (*threads)(void *t);
	/* The registers of thread (1..threads) as it stopped. */
	int (*regs)(void *t, unsigned thread, struct vcpu_snapshot *out);
	/* A general register (GDB_SRC_GPR: index n), RIP or RFLAGS changed. */
	int (*write_reg)(void *t, unsigned thread, enum gdb_reg_src src, unsigned n, uint64_t val);
	/* Memory by the thread's linear (virtual) address, or by guest-physical
	 * address (the "phys" monitor command): 0 or HV_E*. */
	int (*read)(void *t, unsigned thread, uint64_t addr, void *buf, size_t len);
	int (*write)(void *t, unsigned thread, uint64_t addr, const void *buf, size_t len);
	int (*read_phys)(void *t, uint64_t addr, void *buf, size_t len);
	/* Z (insert) and z: 0, HV_E* (an error reply), or HV_ENOSYS (the
	 * type is not supported: the empty reply). */
	int (*breakpoint)(void *t, unsigned thread, enum gdb_break type, uint64_t addr,
			  unsigned len, bool insert);
	/* Run: every thread, step_thread (0: none) one instruction only;
	 * gdb_stopped() reports the next stop. */
	void (*resume)(void *t, unsigned step_thread);
	void (*interrupt)(void *t);  /* Ctrl-C: stop every thread */
	void (*detach)(void *t);     /* D, k: the target runs on, undebugged */
};

struct gdb {
	const struct gdb_ops *ops;
	void *t;
	void (*send)(void *ctx, const char *buf, size_t len);
	void *send_ctx;
	bool long_mode;            /* amd64 registers (else i386), fixed at the first packet */
	bool no_ack;               /* QStartNoAckMode */
	bool running;              /* resumed: a stop reply is owed */
	bool connected;            /* a packet came since gdb_init or the detach */
	unsigned g_thread;         /* Hg: registers and memory */
	struct gdb_stop last;      /* what '?' answers */
	enum { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_SUM1, GDB_RX_SUM2 } rx;
	char in[GDB_PACKET_MAX];   /* the packet being received */
	size_t len;
	uint8_t sum, got_sum;
	bool overflow;
	char pkt[GDB_PACKET_MAX];  /* a reply's data */
	char out[GDB_PACKET_MAX + 8];   /* ... framed */
	char xml[6144];            /* the target description */
};

void gdb_init(struct gdb *g, const struct gdb_ops *ops, void *t,
	      void (*send)(void *ctx, const char *buf, size_t len), void *send_ctx);
/* The register layout: amd64 for a target in long mode, else i386. */
void gdb_set_long_mode(struct gdb *g, bool long_mode);
/* A byte from the debugger. */
void gdb_input(struct gdb *g, uint8_t c);
/* The target has stopped (after a resume, an interrupt or at the attach):
 * the stop reply, if one is owed. */
void gdb_stopped(struct gdb *g, const struct gdb_stop *s);
/* The target is gone (its VM ended): "process exited" with status. */
void gdb_exited(struct gdb *g, unsigned status);

#endif
