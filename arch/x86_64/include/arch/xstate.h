/* A vCPU's register state that neither the VMCS nor the exit stub
 * switches: x87/SSE/AVX and every other XSAVE component (MXCSR among
 * them), DR0-DR3 and DR6, and CR8 (the TPR).  The hypervisor never uses
 * them, so they are loaded when a vCPU starts running on a CPU and saved
 * when it stops; a new vCPU starts from the architectural reset values
 * (SDM Vol. 3A 9.1), never from what the CPU last held. */
#ifndef ARCH_XSTATE_H
#define ARCH_XSTATE_H

#include <hv/types.h>

struct xstate {
	paddr_t area;              /* XSAVE (or FXSAVE) image, 64-byte aligned */
	uint64_t area_pages;
	uint64_t dr[4], dr6, cr8;
};

/* The host's state-component mask and XSAVE area size, once at boot. */
void xstate_probe(void);
/* Whether the CPU has XSAVEC and stores the compacted format where its
 * XRSTOR reads it (probed by xstate_probe): if not, guests are not told
 * of XSAVEC. */
bool xstate_xsavec_sound(void);
/* Reset values; 0 or an error (no memory for the area). */
int xstate_init(struct xstate *s);
void xstate_free(struct xstate *s);
/* Put s on this CPU with the guest's XCR0 (xcr0) in force. */
void xstate_load(const struct xstate *s, uint64_t xcr0);
/* Take the CPU's into s, and leave the host's on the CPU (XCR0 = x87,
 * debug registers clear, TPR 0). */
void xstate_save(struct xstate *s);

#endif
