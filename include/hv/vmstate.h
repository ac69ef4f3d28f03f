/* A VM's state as a stream of bytes (docs/MIGRATION.md, "The state
 * stream"), for snapshots and live migration: a 16-byte header (magic
 * "tinyhvST", version, flags), then sections, each a 16-byte head (type,
 * instance, payload length, CRC-32 of the payload) and its payload padded
 * with zeros to 8 bytes, and last an END section.  Numbers are
 * little-endian.  A device model saves and loads its own section
 * (vpit_save/vpit_load, ...); this file frames them.
 *
 * Reading trusts nothing: a wrong magic, another version, a section that
 * runs past the stream, a checksum that does not match, a field read past
 * its section's end or a section with bytes left over are refused, with a
 * one-line reason (vms_in.why). */
#ifndef HV_VMSTATE_H
#define HV_VMSTATE_H

#include <hv/types.h>

#define VMSTATE_VERSION     1
#define VMSTATE_HEADER_SIZE 16
#define VMSTATE_HEAD_SIZE   16

enum vmstate_type {
	VMS_END = 0,
	VMS_PIT = 16,          /* the 8254 (src/dev/vpit.c) */
	VMS_PIC = 17,          /* the two 8259As (src/dev/vpic.c) */
	VMS_UART = 18,         /* a 16550 (src/dev/vuart.c); instance: which */
	VMS_RTC = 19,          /* the MC146818 and CMOS (src/dev/vrtc.c) */
	VMS_IOAPIC = 20,       /* the I/O APIC (src/dev/vioapic.c) */
	VMS_LAPIC = 21,        /* a vCPU's local APIC (src/dev/vlapic.c); instance: the vCPU */
};

struct vms_out {
	uint8_t *buf;
	size_t cap, len;
	size_t head;           /* the open section's head, or SIZE_MAX */
	bool overflow;         /* something did not fit: the stream is void */
};

/* Start a stream in buf (cap bytes): writes the header. */
void vms_out_init(struct vms_out *o, void *buf, size_t cap);
/* Open a section; put its fields; close it (length, checksum, padding). */
void vms_begin(struct vms_out *o, uint32_t type, uint32_t instance);
void vms_put_u8(struct vms_out *o, uint8_t v);
void vms_put_u16(struct vms_out *o, uint16_t v);
void vms_put_u32(struct vms_out *o, uint32_t v);
void vms_put_u64(struct vms_out *o, uint64_t v);
void vms_put_bytes(struct vms_out *o, const void *p, size_t n);
void vms_end(struct vms_out *o);
/* The END section: the stream's length, or HV_ERANGE if it did not fit
 * (or a section was left open: HV_EINVAL). */
int64_t vms_out_finish(struct vms_out *o);

struct vms_in {
	const uint8_t *buf;
	size_t len, pos;
	const char *why;       /* the reason of the last refusal */
};

struct vms_section {
	uint32_t type, instance;
	const uint8_t *p;      /* the payload not read yet */
	size_t left;
	bool bad;              /* a read went past the end */
};

/* 0, or HV_EINVAL (magic, size) or HV_ENOTSUP (version), in->why set. */
int vms_in_init(struct vms_in *in, const void *buf, size_t len);
/* The next section: 1, 0 at END, or HV_EINVAL (in->why says why). */
int vms_next(struct vms_in *in, struct vms_section *s);
/* Fields in the order they were put; past the end they read 0 and mark
 * the section bad. */
uint8_t vms_get_u8(struct vms_section *s);
uint16_t vms_get_u16(struct vms_section *s);
uint32_t vms_get_u32(struct vms_section *s);
uint64_t vms_get_u64(struct vms_section *s);
void vms_get_bytes(struct vms_section *s, void *p, size_t n);
/* After its last field: 0, or HV_EINVAL if a read went past the end or
 * bytes are left (another layout). */
int vms_section_done(const struct vms_section *s);

/* Up to 8 flags as the bits of one byte (the first is bit 0), and back:
 * unpacking refuses (false) a byte with a bit beyond the n flags. */
uint8_t vms_pack_flags(const bool *const *flags, unsigned n);
bool vms_unpack_flags(uint8_t byte, bool *const *flags, unsigned n);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes. */
uint32_t vms_crc32(const void *p, size_t n);

#endif
