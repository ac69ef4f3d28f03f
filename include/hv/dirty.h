/* A VM's dirty-page log: one bit per 4 KiB page of its RAM, set when the
 * guest writes the page, read and cleared by whoever copies the memory
 * (live migration's rounds of iterative pre-copy, docs/MIGRATION.md).
 * Bits are set from any CPU (each vCPU's CPU drains its own
 * page-modification log, SDM Vol. 3C 29.3.6) and taken word by word with
 * an atomic exchange, so a bit set while a take runs is either taken or
 * kept for the next: never lost. */
#ifndef HV_DIRTY_H
#define HV_DIRTY_H

#include <hv/types.h>

#define DIRTY_PAGE_SHIFT 12
/* A page-modification log: 512 guest-physical addresses (SDM 29.3.6). */
#define DIRTY_PML_ENTRIES 512

/* How the CPU tells which pages were written (docs/MIGRATION.md): its
 * page-modification log (PML, SDM Vol. 3C 29.3.6: each vCPU's CPU writes
 * the address of each page whose EPT dirty flag it sets), or the EPT
 * dirty flags alone, scanned (29.3.5).  DIRTY_OFF: not logging, or (as a
 * wish) the best the CPU has. */
enum dirty_mode { DIRTY_OFF, DIRTY_PML, DIRTY_SCAN };

struct dirty_log {
	uint64_t *bits;            /* NULL: not logging */
	uint64_t pages;            /* pages covered, from guest-physical 0 */
};

/* "page-modification log", "EPT dirty flags", "off". */
const char *dirty_mode_name(enum dirty_mode m);
/* 64-bit words of a bitmap for pages. */
uint64_t dirty_words(uint64_t pages);
/* Log into bits (dirty_words(pages) words, zeroed by the caller). */
void dirty_attach(struct dirty_log *d, uint64_t *bits, uint64_t pages);
/* The page holding gpa was written: false (and nothing marked) past the
 * pages covered or when not logging. */
bool dirty_mark(struct dirty_log *d, uint64_t gpa);
/* Move the bits into out (dirty_words(pages) words; NULL: drop them) and
 * clear them; the number of pages that were dirty. */
uint64_t dirty_take(struct dirty_log *d, uint64_t *out);
/* Whether bit page of a taken bitmap is set. */
bool dirty_test(const uint64_t *bits, uint64_t page);
/* Drain a page-modification log whose index (the VMCS's PML index) is
 * index: the entries after it are the addresses logged since the index
 * was 511, all 512 when it has wrapped past 0 (the PML-full exit).  The
 * number of entries marked. */
unsigned dirty_drain_pml(struct dirty_log *d, const uint64_t *pml, uint16_t index);

#endif
