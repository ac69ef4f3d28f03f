/* Unit tests for src/emul/gwalk.c, the guest page-table walker.  A host buffer
 * is guest RAM at guest-physical 0; each test builds the guest's page
 * tables in it for one paging mode and checks translations, faults and
 * error codes against SDM Vol. 3A chapter 4. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <hv/errno.h>
#include <hv/gwalk.h>

#define RAM_SIZE (2ULL << 20)

/* Entry bits. */
#define P   BIT(0)
#define RW  BIT(1)
#define US  BIT(2)
#define A   BIT(5)
#define D   BIT(6)
#define PS  BIT(7)
#define XD  BIT(63)
#define ALL (P | RW | US)

#define CR0_PE   BIT(0)
#define CR0_WP   BIT(16)
#define CR0_PG   BIT(31)
#define CR4_PSE  BIT(4)
#define CR4_PAE  BIT(5)
#define CR4_LA57 BIT(12)
#define CR4_SMEP BIT(20)
#define CR4_SMAP BIT(21)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)
#define RFLAGS_AC BIT(18)

#define PF_P    GWALK_PF_P
#define PF_W    GWALK_PF_W
#define PF_U    GWALK_PF_U
#define PF_RSVD GWALK_PF_RSVD
#define PF_I    GWALK_PF_I

static uint8_t ram[RAM_SIZE];
static unsigned writes;        /* calls of ram_write */

/* The environment of one test: a paging mode and its tables. */
static struct {
	struct gwalk_ctx w;
	uint64_t root;        /* top table (PDPT for PAE) */
	unsigned top;         /* level of the root's entries */
	unsigned esize;       /* entry bytes */
	unsigned ibits;       /* index bits per level */
	bool pae;
	uint64_t next;        /* bump allocator for table pages */
	uint64_t ent[6];      /* gpa of the entry at each level, last map() */
} E;

static int ram_read(void *opaque, uint64_t gpa, void *dst, size_t len)
{
	(void)opaque;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return HV_EIO;
	memcpy(dst, ram + gpa, len);
	return 0;
}

static int ram_write(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	(void)opaque;
	if (gpa > RAM_SIZE || len > RAM_SIZE - gpa)
		return HV_EIO;
	memcpy(ram + gpa, src, len);
	writes++;
	return 0;
}

static uint64_t get(uint64_t gpa)
{
	uint64_t v = 0;

	memcpy(&v, ram + gpa, E.esize);
	return v;
}

static void put(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, E.esize);
}

static void set_bits(unsigned level, uint64_t bits)
{
	put(E.ent[level], get(E.ent[level]) | bits);
}

static void clear_bits(unsigned level, uint64_t bits)
{
	put(E.ent[level], get(E.ent[level]) & ~bits);
}

static uint64_t alloc_table(void)
{
	uint64_t t = E.next;

	E.next += PAGE_SIZE;
	assert_true(E.next <= RAM_SIZE / 2);   /* upper half: data pages */
	memset(ram + t, 0, PAGE_SIZE);
	return t;
}

static void reset(unsigned esize, unsigned ibits, unsigned top)
{
	memset(ram, 0, sizeof(ram));
	memset(&E, 0, sizeof(E));
	writes = 0;
	E.esize = esize;
	E.ibits = ibits;
	E.top = top;
	E.next = 0x1000;
	E.w.maxphyaddr = 52;
	E.w.read_gpa = ram_read;
	E.w.write_gpa = NULL;   /* A/D updates only where a test asks */
}

static void setup_32bit(uint64_t cr4)
{
	reset(4, 10, 2);
	E.root = alloc_table();
	E.w.cr0 = CR0_PG | CR0_PE;
	E.w.cr4 = cr4;
	E.w.cr3 = E.root;
}

/* The PDPT sits 32 bytes into a page: CR3 bits 31:5 locate it. */
static void setup_pae(uint64_t efer)
{
	reset(8, 9, 2);
	E.pae = true;
	E.root = alloc_table() + 0x20;
	E.w.cr0 = CR0_PG | CR0_PE;
	E.w.cr4 = CR4_PAE;
	E.w.efer = efer;
	E.w.cr3 = E.root;
}

static void setup_long(unsigned levels, uint64_t efer)
{
	reset(8, 9, levels);
	E.root = alloc_table();
	E.w.cr0 = CR0_PG | CR0_PE;
	E.w.cr4 = CR4_PAE | (levels == 5 ? CR4_LA57 : 0);
	E.w.efer = EFER_LME | EFER_LMA | efer;
	E.w.cr3 = E.root | 0x18;   /* PWT/PCD bits are not address bits */
}

/* Map gla with a leaf at leaf_level (1: 4 KiB, 2: 2/4 MiB, 3: 1 GiB) to
 * frame; tables get tflags and the leaf lflags.  Records E.ent[]. */
static void map(uint64_t gla, unsigned leaf_level, uint64_t frame,
		uint64_t tflags, uint64_t lflags)
{
	uint64_t table = E.root;
	unsigned mask = (1u << E.ibits) - 1;

	if (E.pae) {
		uint64_t pdpte = E.root + ((gla >> 30) & 3) * 8;

		if (!(get(pdpte) & P))
			put(pdpte, alloc_table() | P);
		table = get(pdpte) & ~0xfffULL;
		E.ent[3] = pdpte;
	}
	for (unsigned level = E.top;; level--) {
		unsigned shift = 12 + E.ibits * (level - 1);
		uint64_t egpa = table + ((gla >> shift) & mask) * E.esize;

		E.ent[level] = egpa;
		if (level == leaf_level) {
			put(egpa, frame | lflags | (level > 1 ? PS : 0));
			return;
		}
		if (!(get(egpa) & P))
			put(egpa, alloc_table() | tflags);
		else
			put(egpa, (get(egpa) & ~0xfffULL) | tflags);
		table = get(egpa) & 0xffffffffff000ULL;
	}
}

/* Translate, expecting success. */
static uint64_t xlate(uint64_t gla, unsigned access)
{
	struct gwalk_fault f = { 0, 0 };
	uint64_t gpa = ~0ULL;

	assert_int_equal(gwalk_translate(&E.w, gla, access, &gpa, &f), 0);
	return gpa;
}

/* Translate, expecting a page fault; returns its error code. */
static uint32_t xfault(uint64_t gla, unsigned access)
{
	struct gwalk_fault f = { 0, 0xdead };
	uint64_t gpa = 0;

	assert_int_equal(gwalk_translate(&E.w, gla, access, &gpa, &f), HV_ENOENT);
	assert_int_equal(f.addr, gla);
	return f.error;
}

static int xrc(uint64_t gla, unsigned access)
{
	struct gwalk_fault f;
	uint64_t gpa;

	return gwalk_translate(&E.w, gla, access, &gpa, &f);
}

/* --- paging off ------------------------------------------------------- */

static void test_paging_off(void **state)
{
	(void)state;
	reset(8, 9, 0);
	E.w.cr0 = CR0_PE;
	assert_int_equal(xlate(0x12345, 0), 0x12345);
	assert_int_equal(xlate(0xfee00000, GWALK_WRITE | GWALK_USER), 0xfee00000);
	/* Linear addresses are 32 bits outside IA-32e mode. */
	assert_int_equal(xlate(0x100001234ULL, GWALK_FETCH), 0x1234);
	/* Even CR4.PAE and EFER.NXE change nothing without CR0.PG. */
	E.w.cr4 = CR4_PAE;
	E.w.efer = EFER_NXE;
	assert_int_equal(xlate(0x5000, GWALK_FETCH), 0x5000);
}

/* --- 32-bit paging (SDM 4.3) ----------------------------------------- */

static void test_32bit_4k(void **state)
{
	(void)state;
	setup_32bit(0);
	map(0x00403000, 1, 0x105000, ALL, ALL);
	assert_int_equal(xlate(0x00403abc, 0), 0x105abc);
	assert_int_equal(xlate(0x00403fff, GWALK_WRITE | GWALK_USER), 0x105fff);
	/* Bits 63:32 of an address computed in 64 bits are dropped. */
	assert_int_equal(xlate(0x700403abcULL, 0), 0x105abc);
	/* The page next door is not mapped; PDE present, PTE not. */
	assert_int_equal(xfault(0x00404000, 0), 0);
	/* Neighbouring PDE not present. */
	assert_int_equal(xfault(0x00803000, GWALK_WRITE), PF_W);
	/* No NX in 32-bit paging: I/D stays 0 without SMEP (SDM 4.7). */
	assert_int_equal(xfault(0x00803000, GWALK_FETCH | GWALK_USER), PF_U);
	assert_int_equal(xlate(0x00403000, GWALK_FETCH | GWALK_USER), 0x105000);
}

static void test_32bit_4m(void **state)
{
	(void)state;
	setup_32bit(CR4_PSE);
	map(0x00c00000, 2, 0x00800000, ALL, ALL);
	assert_int_equal(xlate(0x00c12345, 0), 0x812345);
	assert_int_equal(xlate(0x00ffffff, GWALK_USER), 0xbfffff);

	/* PSE-36: PDE bits 20:13 are physical bits 39:32. */
	E.w.maxphyaddr = 40;
	set_bits(2, 0x5ULL << 13);
	assert_int_equal(xlate(0x00c12345, 0), 0x500812345ULL);
	set_bits(2, 0xf0ULL << 13);
	assert_int_equal(xlate(0x00c12345, 0), 0xf500812345ULL);
	/* Bit 21 is always reserved. */
	set_bits(2, BIT(21));
	assert_int_equal(xfault(0x00c12345, 0), PF_P | PF_RSVD);
	clear_bits(2, BIT(21) | (0xffULL << 13));

	/* M = 36: bits 16:13 hold address bits 35:32, 21:17 are reserved. */
	E.w.maxphyaddr = 36;
	set_bits(2, 0xfULL << 13);
	assert_int_equal(xlate(0x00c00001, 0), 0xf00800001ULL);
	set_bits(2, BIT(17));
	assert_int_equal(xfault(0x00c00001, GWALK_USER), PF_P | PF_RSVD | PF_U);
	clear_bits(2, BIT(17) | (0xfULL << 13));

	/* M = 32: bits 21:13 all reserved. */
	E.w.maxphyaddr = 32;
	set_bits(2, BIT(13));
	assert_int_equal(xfault(0x00c00001, 0), PF_P | PF_RSVD);
	/* A MAXPHYADDR above 40 still gives PSE-36 only 40 bits. */
	E.w.maxphyaddr = 52;
	assert_int_equal(xlate(0x00c00001, 0), 0x100800001ULL);
}

/* With CR4.PSE = 0 a PDE's PS flag is ignored: it references a table. */
static void test_32bit_ps_without_pse(void **state)
{
	(void)state;
	setup_32bit(0);
	map(0x00403000, 1, 0x105000, ALL, ALL);
	set_bits(2, PS);
	assert_int_equal(xlate(0x00403abc, 0), 0x105abc);
	/* With PSE the same PDE maps a 4 MiB page whose bits 21:13 (the
	 * table's address, 0x2000) are reserved when MAXPHYADDR is 32. */
	assert_int_equal(get(E.ent[2]) & 0x3fe000, 0x2000);
	E.w.cr4 = CR4_PSE;
	E.w.maxphyaddr = 32;
	assert_int_equal(xfault(0x00403abc, 0), PF_P | PF_RSVD);
	E.w.maxphyaddr = 40;   /* bit 13 is now physical bit 32 */
	assert_int_equal(xlate(0x00403abc, 0), 0x100003abcULL);
}

/* --- PAE paging (SDM 4.4) -------------------------------------------- */

static void test_pae_4k(void **state)
{
	uint64_t gla = 0x40000000 + (2 << 21) + (5 << 12);

	(void)state;
	setup_pae(0);
	map(gla, 1, 0x107000, ALL, ALL);
	assert_int_equal(xlate(gla + 0x123, 0), 0x107123);
	/* PAE reaches physical memory above 4 GiB. */
	map(gla + 0x1000, 1, 0x123456000ULL, ALL, ALL);
	assert_int_equal(xlate(gla + 0x1fff, GWALK_WRITE), 0x123456fffULL);
	assert_int_equal(xlate(0x100000000ULL + gla, 0), 0x107000);
	/* Other PDPTEs are not present: error code P = 0. */
	assert_int_equal(xfault(0xc0000000, GWALK_USER), PF_U);
	assert_int_equal(xfault(0x00000000, GWALK_WRITE), PF_W);
}

static void test_pae_2m(void **state)
{
	(void)state;
	setup_pae(EFER_NXE);
	map(0xc0600000, 2, 0x00400000, ALL, ALL);
	assert_int_equal(xlate(0xc0612345, 0), 0x412345);
	assert_int_equal(xlate(0xc07fffff, GWALK_FETCH), 0x5fffff);
	/* 2 MiB PDE: bits 20:13 reserved (SDM table 4-9). */
	set_bits(2, BIT(13));
	assert_int_equal(xfault(0xc0612345, 0), PF_P | PF_RSVD);
	/* PS is honoured in PAE PDEs regardless of CR4.PSE. */
	clear_bits(2, BIT(13));
	E.w.cr4 |= CR4_PSE;
	assert_int_equal(xlate(0xc0612345, 0), 0x412345);
}

/* The CPU walks from its PDPTE registers, not from the PDPT in memory. */
static void test_pae_pdpte_registers(void **state)
{
	uint64_t pd2;

	(void)state;
	setup_pae(0);
	map(0x40001000, 1, 0x110000, ALL, ALL);
	/* A second page directory the registers point at instead. */
	pd2 = alloc_table();
	memcpy(ram + pd2, ram + (get(E.ent[3]) & ~0xfffULL), PAGE_SIZE);
	E.w.pdpte_valid = true;
	E.w.pdpte[1] = pd2 | P;
	assert_int_equal(xlate(0x40001008, 0), 0x110008);
	put(E.ent[3], 0);   /* memory PDPTE cleared: registers still used */
	assert_int_equal(xlate(0x40001008, 0), 0x110008);
	memset(ram + pd2, 0, PAGE_SIZE);
	assert_int_equal(xfault(0x40001008, 0), 0);
	/* Registers 0, 2, 3 not present. */
	assert_int_equal(xfault(0x80000000, GWALK_WRITE), PF_W);

	/* A PDPTE with reserved bits (2:1, 8:5, 63:M) cannot be loaded, so
	 * no #PF describes it. */
	E.w.pdpte[1] = pd2 | P | RW;
	assert_int_equal(xrc(0x40001008, 0), HV_EINVAL);
	E.w.pdpte[1] = pd2 | P | BIT(5);
	assert_int_equal(xrc(0x40001008, 0), HV_EINVAL);
	E.w.maxphyaddr = 36;
	E.w.pdpte[1] = pd2 | P | BIT(36);
	assert_int_equal(xrc(0x40001008, 0), HV_EINVAL);
	/* PWT, PCD and the ignored bits 11:9 are fine. */
	E.w.pdpte[1] = pd2 | P | BIT(3) | BIT(4) | (7ULL << 9);
	assert_int_equal(xfault(0x40001008, 0), 0);
	/* Read from memory, the same check applies. */
	E.w.pdpte_valid = false;
	put(E.ent[3], pd2 | P | BIT(1));
	assert_int_equal(xrc(0x40001008, 0), HV_EINVAL);
}

/* --- 4-level and 5-level paging (SDM 4.5) ---------------------------- */

static void test_4level_4k(void **state)
{
	uint64_t gla = 0x00007f1234567000ULL;

	(void)state;
	setup_long(4, EFER_NXE);
	map(gla, 1, 0x10a000, ALL, ALL);
	assert_int_equal(xlate(gla + 0xabc, 0), 0x10aabc);
	assert_int_equal(xlate(gla + 0xfff, GWALK_USER | GWALK_WRITE), 0x10afff);
	assert_int_equal(xlate(gla, GWALK_FETCH), 0x10a000);
	/* A higher-half (canonical) kernel address. */
	map(0xffff800000001000ULL, 1, 0x10b000, P | RW, P | RW);
	assert_int_equal(xlate(0xffff800000001010ULL, 0), 0x10b010);
	/* Non-canonical: #GP, not #PF. */
	{
		struct gwalk_fault f = { 0, 0xdead };
		uint64_t gpa;

		assert_int_equal(gwalk_translate(&E.w, 0x0000800000001000ULL, 0,
						 &gpa, &f), HV_ERANGE);
		assert_int_equal(f.addr, 0x0000800000001000ULL);
		assert_int_equal(f.error, 0);
	}
	/* EFER.LMA alone (as saved in the VMCS) selects IA-32e paging. */
	E.w.efer = EFER_LMA;
	assert_int_equal(xlate(gla + 0xabc, 0), 0x10aabc);
}

static void test_4level_2m_1g(void **state)
{
	(void)state;
	setup_long(4, 0);
	map(0x00000000c0200000ULL, 2, 0x7fe00000, ALL, ALL);
	assert_int_equal(xlate(0xc0212345, 0), 0x7fe12345);
	assert_int_equal(xlate(0xc03fffff, GWALK_WRITE), 0x7fffffff);
	map(0x0000004000000000ULL, 3, 0x4000000000ULL, ALL, ALL);
	assert_int_equal(xlate(0x0000004012345678ULL, GWALK_USER),
			 0x4012345678ULL);
	/* Large-page frames above 4 GiB, up to MAXPHYADDR. */
	map(0x0000008000000000ULL, 3, 0xfffffc0000000ULL, ALL, ALL);
	assert_int_equal(xlate(0x000000803fffffffULL, 0), 0xfffffffffffffULL);
	/* Bits 62:52 are ignored, unlike PAE paging. */
	set_bits(3, 0x7ffULL << 52);
	assert_int_equal(xlate(0x0000008000000001ULL, 0), 0xfffffc0000001ULL);
	/* PAT (bit 12) is not an address bit of a large page. */
	set_bits(3, BIT(12));
	assert_int_equal(xlate(0x0000008000000001ULL, 0), 0xfffffc0000001ULL);
}

static void test_5level(void **state)
{
	uint64_t high = 0xff123456789ab000ULL;   /* bits 63:57 copy bit 56 */
	uint64_t low = 0x0012345678a00000ULL;    /* bits 55:48 in use */

	(void)state;
	setup_long(5, EFER_NXE);
	map(high, 1, 0x10c000, ALL, ALL);
	map(low, 2, 0x00200000, ALL, ALL);
	assert_int_equal(xlate(high + 0xcde, 0), 0x10ccde);
	assert_int_equal(xlate(low + 0x54321, GWALK_WRITE), 0x254321);
	assert_int_equal(xfault(high + 0x1000, GWALK_FETCH), PF_I);
	/* 57-bit canonical form: bit 56 is the sign. */
	assert_int_equal(xrc(0x0100000000000000ULL, 0), HV_ERANGE);
	/* The same addresses are not canonical with 4-level paging. */
	E.w.cr4 &= ~CR4_LA57;
	assert_int_equal(xrc(high, 0), HV_ERANGE);
	assert_int_equal(xrc(low, 0), HV_ERANGE);
}

/* --- faults ---------------------------------------------------------- */

/* Not present at each level: P = 0 in the error code, the access bits as
 * given, I/D for fetches with PAE and NXE. */
static void test_not_present_each_level(void **state)
{
	uint64_t gla = 0x00007fffdead0000ULL;

	(void)state;
	for (unsigned lvl = 5; lvl >= 1; lvl--) {
		setup_long(5, EFER_NXE);
		map(gla, 1, 0x10d000, ALL, ALL);
		assert_int_equal(xlate(gla, 0), 0x10d000);
		clear_bits(lvl, P);
		assert_int_equal(xfault(gla, 0), 0);
		assert_int_equal(xfault(gla + 8, GWALK_WRITE | GWALK_USER),
				 PF_W | PF_U);
		assert_int_equal(xfault(gla + 8, GWALK_FETCH | GWALK_USER),
				 PF_I | PF_U);
		/* Reserved bits are not checked in a not-present entry. */
		set_bits(lvl, BIT(51) | PS);
		E.w.maxphyaddr = 40;
		assert_int_equal(xfault(gla, 0), 0);
	}
	for (unsigned lvl = 3; lvl >= 1; lvl--) {
		setup_pae(0);
		map(0xbfe00000, 1, 0x10e000, ALL, ALL);
		clear_bits(lvl, P);
		/* Without NXE fetch faults carry no I/D. */
		assert_int_equal(xfault(0xbfe00000, GWALK_FETCH), 0);
	}
	for (unsigned lvl = 2; lvl >= 1; lvl--) {
		setup_32bit(CR4_PSE);
		map(0xbfe00000, 1, 0x10e000, ALL, ALL);
		clear_bits(lvl, P);
		assert_int_equal(xfault(0xbfe00123, GWALK_WRITE), PF_W);
	}
}

/* R/W with CR0.WP (SDM 4.6.1). */
static void test_write_protect(void **state)
{
	uint64_t gla = 0x0000000000400000ULL;

	(void)state;
	setup_long(4, 0);
	map(gla, 1, 0x10f000, ALL, P | US);   /* read-only user page */
	E.w.cr0 |= CR0_WP;
	assert_int_equal(xfault(gla, GWALK_WRITE), PF_P | PF_W);
	assert_int_equal(xfault(gla, GWALK_WRITE | GWALK_USER), PF_P | PF_W | PF_U);
	assert_int_equal(xlate(gla, 0), 0x10f000);
	assert_int_equal(xlate(gla, GWALK_USER), 0x10f000);
	/* CR0.WP = 0: the supervisor may write, the user still may not. */
	E.w.cr0 &= ~CR0_WP;
	assert_int_equal(xlate(gla + 4, GWALK_WRITE), 0x10f004);
	assert_int_equal(xfault(gla, GWALK_WRITE | GWALK_USER), PF_P | PF_W | PF_U);
	/* R/W = 0 at any level protects the page, even with R/W = 1 below. */
	E.w.cr0 |= CR0_WP;
	set_bits(1, RW);
	assert_int_equal(xlate(gla, GWALK_WRITE), 0x10f000);
	clear_bits(3, RW);
	assert_int_equal(xfault(gla, GWALK_WRITE), PF_P | PF_W);
}

/* U/S (SDM 4.6.1): user accesses need U/S = 1 at every level. */
static void test_user_supervisor(void **state)
{
	uint64_t gla = 0x0000000000600000ULL;

	(void)state;
	setup_long(4, 0);
	map(gla, 1, 0x110000, ALL, ALL);
	clear_bits(4, US);
	assert_int_equal(xfault(gla, GWALK_USER), PF_P | PF_U);
	assert_int_equal(xfault(gla, GWALK_USER | GWALK_WRITE), PF_P | PF_W | PF_U);
	assert_int_equal(xfault(gla, GWALK_USER | GWALK_FETCH), PF_P | PF_U);
	assert_int_equal(xlate(gla, 0), 0x110000);
	assert_int_equal(xlate(gla, GWALK_WRITE), 0x110000);
	assert_int_equal(xlate(gla, GWALK_FETCH), 0x110000);

	/* Same in 32-bit paging, page-table level. */
	setup_32bit(0);
	map(0x00001000, 1, 0x111000, ALL, P | RW);
	assert_int_equal(xfault(0x00001000, GWALK_USER), PF_P | PF_U);
	assert_int_equal(xlate(0x00001000, GWALK_WRITE), 0x111000);
}

/* XD with EFER.NXE (SDM 4.6.2). */
static void test_nx(void **state)
{
	uint64_t gla = 0x0000000000800000ULL;

	(void)state;
	setup_long(4, EFER_NXE);
	map(gla, 1, 0x112000, ALL, ALL | XD);
	assert_int_equal(xfault(gla, GWALK_FETCH), PF_P | PF_I);
	assert_int_equal(xfault(gla, GWALK_FETCH | GWALK_USER), PF_P | PF_I | PF_U);
	assert_int_equal(xlate(gla, GWALK_WRITE | GWALK_USER), 0x112000);
	/* XD at an upper level covers everything below it. */
	clear_bits(1, XD);
	assert_int_equal(xlate(gla, GWALK_FETCH), 0x112000);
	set_bits(4, XD);
	assert_int_equal(xfault(gla, GWALK_FETCH), PF_P | PF_I);
	/* Without NXE bit 63 is reserved, for every kind of access. */
	E.w.efer &= ~EFER_NXE;
	assert_int_equal(xfault(gla, 0), PF_P | PF_RSVD);
	assert_int_equal(xfault(gla, GWALK_FETCH), PF_P | PF_RSVD);

	/* PAE: same rules. */
	setup_pae(EFER_NXE);
	map(0x00200000, 2, 0x00600000, ALL, ALL | XD);
	assert_int_equal(xfault(0x00200000, GWALK_FETCH), PF_P | PF_I);
	E.w.efer = 0;
	assert_int_equal(xfault(0x00200000, GWALK_WRITE), PF_P | PF_RSVD | PF_W);
}

/* Reserved bits (SDM 4.4.2, 4.5.4): RSVD and P in the error code. */
static void test_reserved_bits(void **state)
{
	uint64_t gla = 0x0000000000a00000ULL;

	(void)state;
	setup_long(4, EFER_NXE);
	map(gla, 1, 0x113000, ALL, ALL);
	/* Address bits at or above MAXPHYADDR. */
	E.w.maxphyaddr = 36;
	set_bits(1, BIT(40));
	assert_int_equal(xfault(gla, 0), PF_P | PF_RSVD);
	assert_int_equal(xfault(gla, GWALK_WRITE | GWALK_USER),
			 PF_P | PF_RSVD | PF_W | PF_U);
	assert_int_equal(xfault(gla, GWALK_FETCH), PF_P | PF_RSVD | PF_I);
	E.w.maxphyaddr = 41;
	assert_int_equal(xlate(gla, 0), 0x10000113000ULL);
	clear_bits(1, BIT(40));
	/* ... at an upper level too. */
	E.w.maxphyaddr = 48;
	set_bits(4, BIT(50));
	assert_int_equal(xfault(gla, 0), PF_P | PF_RSVD);
	clear_bits(4, BIT(50));
	/* PS in a PML4E. */
	set_bits(4, PS);
	assert_int_equal(xfault(gla, 0), PF_P | PF_RSVD);
	clear_bits(4, PS);
	assert_int_equal(xlate(gla, 0), 0x113000);

	/* Low frame bits of 2 MiB and 1 GiB pages. */
	map(0x40000000, 3, 0x80000000, ALL, ALL);
	set_bits(3, BIT(29));
	assert_int_equal(xfault(0x40000000, 0), PF_P | PF_RSVD);
	map(0x80200000, 2, 0x80000000, ALL, ALL);
	set_bits(2, BIT(20));
	assert_int_equal(xfault(0x80200000, 0), PF_P | PF_RSVD);

	/* PAE: bits 62:52 reserved as well. */
	setup_pae(EFER_NXE);
	map(0x00001000, 1, 0x114000, ALL, ALL);
	set_bits(1, BIT(62));
	assert_int_equal(xfault(0x00001000, 0), PF_P | PF_RSVD);
	clear_bits(1, BIT(62));
	set_bits(2, BIT(52));
	assert_int_equal(xfault(0x00001000, 0), PF_P | PF_RSVD);
}

/* SMEP and SMAP (SDM 4.6.1). */
static void test_smep_smap(void **state)
{
	uint64_t gla = 0x0000000000c00000ULL;

	(void)state;
	setup_long(4, 0);
	map(gla, 1, 0x115000, ALL, ALL);
	assert_int_equal(xlate(gla, GWALK_FETCH), 0x115000);
	E.w.cr4 |= CR4_SMEP;
	/* SMEP sets I/D even without NXE (SDM 4.7). */
	assert_int_equal(xfault(gla, GWALK_FETCH), PF_P | PF_I);
	assert_int_equal(xlate(gla, GWALK_FETCH | GWALK_USER), 0x115000);
	assert_int_equal(xlate(gla, 0), 0x115000);

	E.w.cr4 = CR4_PAE | CR4_SMAP;
	assert_int_equal(xfault(gla, 0), PF_P);
	assert_int_equal(xfault(gla, GWALK_WRITE), PF_P | PF_W);
	assert_int_equal(xlate(gla, GWALK_USER), 0x115000);
	assert_int_equal(xlate(gla, GWALK_FETCH), 0x115000);   /* SMAP: data only */
	E.w.rflags = RFLAGS_AC;
	assert_int_equal(xlate(gla, GWALK_WRITE), 0x115000);
	/* With AC the usual WP rule still holds for read-only user pages. */
	clear_bits(1, RW);
	E.w.cr0 |= CR0_WP;
	assert_int_equal(xfault(gla, GWALK_WRITE), PF_P | PF_W);
	/* Supervisor pages are not affected. */
	E.w.rflags = 0;
	clear_bits(1, US);
	assert_int_equal(xlate(gla, 0), 0x115000);
}

/* A table outside guest RAM: nothing the guest's #PF could describe. */
static void test_table_outside_ram(void **state)
{
	uint64_t gla = 0x0000000000e00000ULL;

	(void)state;
	setup_long(4, 0);
	map(gla, 1, 0x116000, ALL, ALL);
	put(E.ent[2], (RAM_SIZE + 0x1000) | ALL);
	assert_int_equal(xrc(gla, 0), HV_EIO);
	E.w.cr3 = 0x80000000;
	assert_int_equal(xrc(gla, 0), HV_EIO);

	setup_pae(0);
	E.w.cr3 = 0xfffff000;
	assert_int_equal(xrc(0x1000, 0), HV_EIO);
	/* The registers need no memory; the PD behind them does. */
	E.w.pdpte_valid = true;
	E.w.pdpte[0] = 0x40000000 | P;
	assert_int_equal(xrc(0x1000, 0), HV_EIO);

	setup_32bit(0);
	E.w.cr3 = RAM_SIZE;
	assert_int_equal(xrc(0x1000, 0), HV_EIO);
	/* The last entry of a table at the end of RAM is read as 4 bytes. */
	E.w.cr3 = RAM_SIZE - PAGE_SIZE;
	assert_int_equal(xfault(0xffc00000, 0), 0);
}

/* --- accessed and dirty flags (SDM 4.8) ------------------------------ */

static void test_accessed_dirty(void **state)
{
	uint64_t gla = 0x0000000001000000ULL;

	(void)state;
	setup_long(4, 0);
	map(gla, 1, 0x117000, ALL, ALL);
	/* No write callback: tables untouched. */
	assert_int_equal(xlate(gla, GWALK_WRITE), 0x117000);
	for (unsigned l = 1; l <= 4; l++)
		assert_int_equal(get(E.ent[l]) & (A | D), 0);

	E.w.write_gpa = ram_write;
	assert_int_equal(xlate(gla, 0), 0x117000);
	for (unsigned l = 1; l <= 4; l++)
		assert_int_equal(get(E.ent[l]) & (A | D), A);
	assert_int_equal(writes, 4);
	assert_int_equal(xlate(gla, GWALK_FETCH), 0x117000);
	assert_int_equal(writes, 4);   /* already set: no writes */
	assert_int_equal(xlate(gla, GWALK_WRITE), 0x117000);
	assert_int_equal(get(E.ent[1]) & (A | D), A | D);
	for (unsigned l = 2; l <= 4; l++)
		assert_int_equal(get(E.ent[l]) & (A | D), A);
	assert_int_equal(writes, 5);
	/* Only the low byte is written: the rest of the entry stays. */
	assert_int_equal(get(E.ent[1]), 0x117000 | ALL | A | D);

	/* A faulting access sets nothing. */
	map(gla + PAGE_SIZE, 1, 0x118000, ALL, P | US);
	E.w.cr0 |= CR0_WP;
	writes = 0;
	assert_int_equal(xfault(gla + PAGE_SIZE, GWALK_WRITE), PF_P | PF_W);
	assert_int_equal(get(E.ent[1]) & (A | D), 0);
	assert_int_equal(writes, 0);

	/* 32-bit paging: 4-byte entries, D on a 4 MiB PDE. */
	setup_32bit(CR4_PSE);
	E.w.write_gpa = ram_write;
	map(0x00400000, 2, 0x00800000, ALL, ALL);
	assert_int_equal(xlate(0x00400000, GWALK_WRITE), 0x800000);
	assert_int_equal(get(E.ent[2]), 0x00800000 | ALL | PS | A | D);
}

/* --- copies ---------------------------------------------------------- */

static struct gwalk_fault F;
static uint64_t pte1, pte2;   /* the leaves of setup_two_pages() */

static void fill(uint64_t gpa, uint8_t first, size_t len)
{
	for (size_t i = 0; i < len; i++)
		ram[gpa + i] = (uint8_t)(first + i);
}

/* Two adjacent linear pages mapped to non-contiguous, out-of-order gpas. */
static void setup_two_pages(void)
{
	setup_long(4, EFER_NXE);
	E.w.write_gpa = ram_write;
	map(0x400000, 1, 0x109000, ALL, ALL);
	pte1 = E.ent[1];
	map(0x401000, 1, 0x106000, ALL, ALL);
	pte2 = E.ent[1];
}

static void test_copy_across_pages(void **state)
{
	uint8_t buf[16];
	uint8_t src[16];

	(void)state;
	setup_two_pages();
	fill(0x109ff8, 0x10, 8);
	fill(0x106000, 0x18, 8);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x400ff8, buf, 16,
					       GWALK_FETCH, &F), 0);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0x10 + i);

	for (unsigned i = 0; i < 16; i++)
		src[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(gwalk_copy_to_guest(&E.w, 0x400ffc, src, 16, 0, &F), 0);
	assert_memory_equal(ram + 0x109ffc, src, 4);
	assert_memory_equal(ram + 0x106000, src + 4, 12);
	/* Both leaves were written: D set on both. */
	assert_int_equal(get(pte1) & (A | D), A | D);
	assert_int_equal(get(pte2) & (A | D), A | D);

	/* A whole page and more, and a zero-length copy. */
	{
		static uint8_t big[PAGE_SIZE + 8];

		fill(0x109000, 0, PAGE_SIZE);
		assert_int_equal(gwalk_copy_from_guest(&E.w, 0x400000, big,
						       sizeof(big), 0, &F), 0);
		assert_memory_equal(big, ram + 0x109000, PAGE_SIZE);
		assert_memory_equal(big + PAGE_SIZE, ram + 0x106000, 8);
	}
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x500000, NULL, 0, 0, &F), 0);
}

/* A fault on the second page: nothing moves, and the fault reports the
 * second page, so the prefix that translates is known. */
static void test_copy_fault_second_page(void **state)
{
	uint8_t buf[16], src[16];
	uint64_t before;
	size_t ok;

	(void)state;
	setup_two_pages();
	fill(0x109ff8, 0x10, 8);
	put(pte2, get(pte2) & ~P);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x400ff8, buf, 16,
					       GWALK_FETCH | GWALK_USER, &F),
			 HV_ENOENT);
	assert_int_equal(F.addr, 0x401000);
	assert_int_equal(F.error, PF_U | PF_I);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0xee);
	/* An instruction fetcher retries with the bytes that translate. */
	ok = F.addr - 0x400ff8;
	assert_int_equal(ok, 8);
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x400ff8, buf, ok,
					       GWALK_FETCH | GWALK_USER, &F), 0);
	assert_int_equal(buf[7], 0x17);
	assert_int_equal(buf[8], 0xee);

	/* A write faulting on page two writes nothing on page one and
	 * leaves its dirty flag alone. */
	put(pte1, get(pte1) & ~(A | D));
	before = get(pte1);
	memset(src, 0x55, sizeof(src));
	assert_int_equal(gwalk_copy_to_guest(&E.w, 0x400ff8, src, 16,
					     GWALK_USER, &F), HV_ENOENT);
	assert_int_equal(F.addr, 0x401000);
	assert_int_equal(F.error, PF_W | PF_U);
	assert_int_equal(ram[0x109ff8], 0x10);
	assert_int_equal(get(pte1), before);

	/* Protection fault on page two: read-only. */
	map(0x401000, 1, 0x106000, ALL, P | US);
	E.w.cr0 |= CR0_WP;
	assert_int_equal(gwalk_copy_to_guest(&E.w, 0x400ff8, src, 16, 0, &F),
			 HV_ENOENT);
	assert_int_equal(F.addr, 0x401000);
	assert_int_equal(F.error, PF_P | PF_W);
	assert_int_equal(ram[0x109ff8], 0x10);

	/* Non-canonical second page in 4-level paging. */
	map(0x00007ffffffff000ULL, 1, 0x108000, ALL, ALL);
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x00007ffffffffffcULL,
					       buf, 8, 0, &F), HV_ERANGE);
	assert_int_equal(F.addr, 0x0000800000000000ULL);
}

/* Outside IA-32e mode linear addresses wrap at 4 GiB. */
static void test_copy_wraps_at_4g(void **state)
{
	uint8_t buf[8];

	(void)state;
	setup_32bit(0);
	map(0xfffff000, 1, 0x108000, ALL, ALL);
	map(0x00000000, 1, 0x10a000, ALL, ALL);
	fill(0x108ffc, 1, 4);
	fill(0x10a000, 5, 4);
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0xfffffffc, buf, 8, 0, &F), 0);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(buf[i], 1 + i);
}

/* The data itself outside guest RAM (e.g. MMIO): HV_EIO. */
static void test_copy_data_outside_ram(void **state)
{
	uint8_t buf[8] = { 0 };

	(void)state;
	setup_two_pages();
	map(0x402000, 1, 0xfee00000, ALL, ALL);
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x402000, buf, 8, 0, &F),
			 HV_EIO);
	assert_int_equal(gwalk_copy_to_guest(&E.w, 0x402000, buf, 8, 0, &F),
			 HV_EIO);
}

static void test_bad_args(void **state)
{
	uint8_t buf[4];
	uint64_t gpa;

	(void)state;
	setup_two_pages();
	assert_int_equal(xrc(0x400000, GWALK_WRITE | GWALK_FETCH), HV_EINVAL);
	assert_int_equal(xrc(0x400000, BIT(3)), HV_EINVAL);
	assert_int_equal(gwalk_translate(&E.w, 0x400000, 0, NULL, &F), HV_EINVAL);
	assert_int_equal(gwalk_translate(&E.w, 0x400000, 0, &gpa, NULL), HV_EINVAL);
	assert_int_equal(gwalk_translate(NULL, 0x400000, 0, &gpa, &F), HV_EINVAL);
	assert_int_equal(gwalk_copy_to_guest(&E.w, 0x400000, buf, 4,
					     GWALK_FETCH, &F), HV_EINVAL);
	assert_int_equal(gwalk_copy_from_guest(&E.w, 0x400000, NULL, 4, 0, &F),
			 HV_EINVAL);
	E.w.maxphyaddr = 0;
	assert_int_equal(xrc(0x400000, 0), HV_EINVAL);
	E.w.maxphyaddr = 53;
	assert_int_equal(xrc(0x400000, 0), HV_EINVAL);
	E.w.maxphyaddr = 52;
	E.w.write_gpa = NULL;
	assert_int_equal(gwalk_copy_to_guest(&E.w, 0x400000, buf, 4, 0, &F),
			 HV_EINVAL);
	E.w.read_gpa = NULL;
	assert_int_equal(xrc(0x400000, 0), HV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paging_off),
		cmocka_unit_test(test_32bit_4k),
		cmocka_unit_test(test_32bit_4m),
		cmocka_unit_test(test_32bit_ps_without_pse),
		cmocka_unit_test(test_pae_4k),
		cmocka_unit_test(test_pae_2m),
		cmocka_unit_test(test_pae_pdpte_registers),
		cmocka_unit_test(test_4level_4k),
		cmocka_unit_test(test_4level_2m_1g),
		cmocka_unit_test(test_5level),
		cmocka_unit_test(test_not_present_each_level),
		cmocka_unit_test(test_write_protect),
		cmocka_unit_test(test_user_supervisor),
		cmocka_unit_test(test_nx),
		cmocka_unit_test(test_reserved_bits),
		cmocka_unit_test(test_smep_smap),
		cmocka_unit_test(test_table_outside_ram),
		cmocka_unit_test(test_accessed_dirty),
		cmocka_unit_test(test_copy_across_pages),
		cmocka_unit_test(test_copy_fault_second_page),
		cmocka_unit_test(test_copy_wraps_at_4g),
		cmocka_unit_test(test_copy_data_outside_ram),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
