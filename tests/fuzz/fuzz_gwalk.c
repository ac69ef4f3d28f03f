/* Fuzz the guest page walker (src/emul/gwalk.c).  Input: the guest's
 * control state (CR0, CR3, CR4, EFER, RFLAGS, the PDPTE registers, a flags
 * byte, MAXPHYADDR), an access (address, kind, length), then the guest's
 * RAM: up to GW_RAM bytes at guest-physical 0 and, mirrored, at every
 * multiple of GW_RAM below 2^40 (so that the tables a mutated entry points
 * at are mostly there); above that nothing is RAM.  Checks the callbacks'
 * contract and what gwalk.h says of the results. */
#include "fuzz.h"

#include <string.h>

#include <hv/errno.h>
#include <hv/gwalk.h>

#define GW_RAM 0x10000u

struct ram {
	uint8_t *bytes;          /* GW_RAM bytes */
	unsigned fail_after;     /* make the n-th write fail (0: never) */
	unsigned writes;
};

static uint8_t *ram_at(struct ram *r, uint64_t gpa, size_t len)
{
	FZ_CHECK(len > 0 && len <= 4096);
	if (gpa >> 40)
		return NULL;
	gpa %= GW_RAM;
	return gpa + len <= GW_RAM ? r->bytes + gpa : NULL;
}

static int read_gpa(void *opaque, uint64_t gpa, void *dst, size_t len)
{
	/* gwalk.h: data never crosses a 4 KiB boundary; entries are 4 or 8 bytes. */
	FZ_CHECK((gpa & 0xfff) + len <= 4096);
	uint8_t *p = ram_at(opaque, gpa, len);
	if (!p)
		return HV_EIO;
	memcpy(dst, p, len);
	return 0;
}

static int write_gpa(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	struct ram *r = opaque;

	FZ_CHECK((gpa & 0xfff) + len <= 4096);
	uint8_t *p = ram_at(r, gpa, len);
	if (!p || ++r->writes == r->fail_after)
		return HV_EIO;
	memcpy(p, src, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct ram r = { 0 };
	struct gwalk_ctx w = { 0 };
	struct gwalk_fault fault;
	uint64_t gpa;

	w.cr0 = fz_u64(&f);
	w.cr3 = fz_u64(&f);
	w.cr4 = fz_u64(&f);
	w.efer = fz_u64(&f);
	w.rflags = fz_u64(&f);
	for (int i = 0; i < 4; i++)
		w.pdpte[i] = fz_u64(&f);
	uint8_t flags = fz_u8(&f);
	w.pdpte_valid = flags & 1;
	r.fail_after = (flags >> 4) & 7;
	w.maxphyaddr = 32 + fz_u8(&f) % 21;
	uint64_t gla = fz_u64(&f);
	unsigned access = fz_u8(&f) & (GWALK_WRITE | GWALK_USER | GWALK_FETCH);
	size_t len = fz_u16(&f) % 8193;

	r.bytes = calloc(1, GW_RAM);
	fz_bytes(&f, r.bytes, GW_RAM);
	w.read_gpa = read_gpa;
	w.write_gpa = (flags & 2) ? write_gpa : NULL;
	w.opaque = &r;

	int rc = gwalk_translate(&w, gla, access, &gpa, &fault);
	FZ_CHECK(rc == 0 || rc == HV_ENOENT || rc == HV_ERANGE || rc == HV_EIO ||
		 rc == HV_EINVAL);
	if (rc == HV_ENOENT) {
		/* A #PF: its error code names this access (SDM 4.7). */
		FZ_CHECK(!(fault.error & ~(uint32_t)(GWALK_PF_P | GWALK_PF_W | GWALK_PF_U |
						      GWALK_PF_RSVD | GWALK_PF_I)));
		FZ_CHECK(!!(fault.error & GWALK_PF_W) == !!(access & GWALK_WRITE));
		FZ_CHECK(!!(fault.error & GWALK_PF_U) == !!(access & GWALK_USER));
		FZ_CHECK(!(fault.error & GWALK_PF_RSVD) || (fault.error & GWALK_PF_P));
	}
	if (rc == 0)
		FZ_CHECK(gpa >> w.maxphyaddr == 0 || !(w.cr0 & (1u << 31)));

	/* Copies in both directions through a buffer of exactly len bytes. */
	uint8_t *buf = malloc(len ? len : 1);
	memset(buf, 0x5a, len);
	rc = gwalk_copy_from_guest(&w, gla, buf, len, access, &fault);
	FZ_CHECK(rc == 0 || rc == HV_ENOENT || rc == HV_ERANGE || rc == HV_EIO ||
		 rc == HV_EINVAL);
	if ((rc == HV_ENOENT || rc == HV_ERANGE) && len) {
		/* The fault is in the range, at a linear address: outside
		 * IA-32e mode those are 32 bits, and the range wraps. */
		bool ia32e = (w.cr0 & (1u << 31)) && (w.cr4 & (1u << 5)) &&
			     (w.efer & ((1u << 8) | (1u << 10)));
		uint64_t off = fault.addr - gla;
		if (!ia32e)
			off &= 0xffffffffu;
		FZ_CHECK(off < len);
	}
	rc = gwalk_copy_to_guest(&w, gla, buf, len, access, &fault);
	FZ_CHECK(rc == 0 || rc == HV_ENOENT || rc == HV_ERANGE || rc == HV_EIO ||
		 rc == HV_EINVAL);
	free(buf);
	free(r.bytes);
	return 0;
}
