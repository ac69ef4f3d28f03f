/* XSAVE area sizes from the state components' CPUID sub-leaves (SDM Vol. 1
 * 13.4.3 and 13.4.4, Vol. 2A CPUID leaf 0DH).  Pure, host-testable: the
 * CPUID exit handler reports sizes that agree with the offsets, whatever
 * the CPU (or emulator) underneath says. */
#ifndef HV_XSAVE_H
#define HV_XSAVE_H

#include <hv/types.h>

#define XSAVE_LEGACY_SIZE 512u /* x87 and SSE state (FXSAVE layout) */
#define XSAVE_HEADER_SIZE 64u
#define XSAVE_COMPONENTS  63u  /* bits 0..62 of XCR0 | IA32_XSS */

/* CPUID.(EAX=0DH, ECX=i) for a state component i >= 2. */
struct xsave_component {
	uint32_t size;   /* EAX */
	uint32_t offset; /* EBX: offset in the standard format */
	bool align64;    /* ECX[1]: 64-byte aligned in the compacted format */
};

typedef void (*xsave_component_fn)(void *ctx, unsigned i, struct xsave_component *c);

/* Size of the standard-format area holding the components in mask (the
 * end of the furthest one): CPUID.(0DH,0).EBX for mask = XCR0. */
uint32_t xsave_standard_size(uint64_t mask, xsave_component_fn get, void *ctx);
/* Size of the compacted-format area (XSAVEC/XSAVES) holding the
 * components in mask: CPUID.(0DH,1).EBX for mask = XCR0 | IA32_XSS. */
uint32_t xsave_compacted_size(uint64_t mask, xsave_component_fn get, void *ctx);

#endif
