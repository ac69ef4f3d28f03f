/* A VM's state as a stream (hv/vmstate.h). */
#include <hv/errno.h>
#include <hv/string.h>
#include <hv/vmstate.h>

static const uint8_t magic[8] = { 't', 'i', 'n', 'y', 'h', 'v', 'S', 'T' };

#define PAD 8u
#define NO_SECTION SIZE_MAX

uint32_t vms_crc32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t crc = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		crc ^= b[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

uint8_t vms_pack_flags(const bool *const *flags, unsigned n)
{
	uint8_t byte = 0;

	for (unsigned i = 0; i < n && i < 8; i++)
		byte |= (uint8_t)(*flags[i] << i);
	return byte;
}

bool vms_unpack_flags(uint8_t byte, bool *const *flags, unsigned n)
{
	for (unsigned i = 0; i < n && i < 8; i++)
		*flags[i] = byte >> i & 1;
	return n >= 8 || !(byte >> n);
}

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t from_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t *room(struct vms_out *o, size_t n)
{
	uint8_t *p;

	if (o->overflow || n > o->cap - o->len) {
		o->overflow = true;
		return NULL;
	}
	p = o->buf + o->len;
	o->len += n;
	return p;
}

void vms_out_init(struct vms_out *o, void *buf, size_t cap)
{
	uint8_t *h;

	*o = (struct vms_out){ buf, cap, 0, NO_SECTION, false };
	h = room(o, VMSTATE_HEADER_SIZE);
	if (!h)
		return;
	memcpy(h, magic, sizeof(magic));
	le(h + 8, VMSTATE_VERSION, 4);
	le(h + 12, 0, 4);   /* flags: none defined */
}

void vms_begin(struct vms_out *o, uint32_t type, uint32_t instance)
{
	uint8_t *h;

	if (o->head != NO_SECTION)
		o->overflow = true;   /* nested: a caller's bug, the stream is void */
	o->head = o->len;
	h = room(o, VMSTATE_HEAD_SIZE);
	if (!h)
		return;
	le(h, type, 4);
	le(h + 4, instance, 4);
}

static void put(struct vms_out *o, uint64_t v, unsigned n)
{
	uint8_t *p = room(o, n);

	if (p)
		le(p, v, n);
}

void vms_put_u8(struct vms_out *o, uint8_t v) { put(o, v, 1); }
void vms_put_u16(struct vms_out *o, uint16_t v) { put(o, v, 2); }
void vms_put_u32(struct vms_out *o, uint32_t v) { put(o, v, 4); }
void vms_put_u64(struct vms_out *o, uint64_t v) { put(o, v, 8); }

void vms_put_bytes(struct vms_out *o, const void *p, size_t n)
{
	uint8_t *d = room(o, n);

	if (d)
		memcpy(d, p, n);
}

void vms_end(struct vms_out *o)
{
	size_t head = o->head, payload;
	uint8_t *pad;

	o->head = NO_SECTION;
	if (o->overflow || head == NO_SECTION) {
		o->overflow = true;
		return;
	}
	payload = o->len - head - VMSTATE_HEAD_SIZE;
	le(o->buf + head + 8, payload, 4);
	le(o->buf + head + 12, vms_crc32(o->buf + head + VMSTATE_HEAD_SIZE, payload), 4);
	pad = room(o, (PAD - payload % PAD) % PAD);
	if (pad)
		memset(pad, 0, (PAD - payload % PAD) % PAD);
}

int64_t vms_out_finish(struct vms_out *o)
{
	if (o->head != NO_SECTION)
		return HV_EINVAL;
	vms_begin(o, VMS_END, 0);
	vms_end(o);
	return o->overflow ? HV_ERANGE : (int64_t)o->len;
}

static int refuse(struct vms_in *in, const char *why)
{
	in->why = why;
	return HV_EINVAL;
}

int vms_in_init(struct vms_in *in, const void *buf, size_t len)
{
	*in = (struct vms_in){ buf, len, VMSTATE_HEADER_SIZE, NULL };
	if (len < VMSTATE_HEADER_SIZE || memcmp(buf, magic, sizeof(magic)))
		return refuse(in, "not a tinyhv state stream (magic)");
	if (from_le(in->buf + 8, 4) != VMSTATE_VERSION) {
		in->why = "a state stream of another version";
		return HV_ENOTSUP;
	}
	return 0;
}

int vms_next(struct vms_in *in, struct vms_section *s)
{
	const uint8_t *h = in->buf + in->pos;
	size_t payload, padded;

	if (in->len - in->pos < VMSTATE_HEAD_SIZE)
		return refuse(in, "the stream ends inside a section's head (truncated)");
	payload = (size_t)from_le(h + 8, 4);
	padded = payload + (PAD - payload % PAD) % PAD;
	if (padded > in->len - in->pos - VMSTATE_HEAD_SIZE)
		return refuse(in, "a section runs past the end of the stream (truncated)");
	if (vms_crc32(h + VMSTATE_HEAD_SIZE, payload) != (uint32_t)from_le(h + 12, 4))
		return refuse(in, "a section's checksum does not match");
	*s = (struct vms_section){ (uint32_t)from_le(h, 4), (uint32_t)from_le(h + 4, 4),
				   h + VMSTATE_HEAD_SIZE, payload, false };
	in->pos += VMSTATE_HEAD_SIZE + padded;
	return s->type != VMS_END;
}

static uint64_t get(struct vms_section *s, unsigned n)
{
	uint64_t v;

	if (s->bad || s->left < n) {
		s->bad = true;
		return 0;
	}
	v = from_le(s->p, n);
	s->p += n;
	s->left -= n;
	return v;
}

uint8_t vms_get_u8(struct vms_section *s) { return (uint8_t)get(s, 1); }
uint16_t vms_get_u16(struct vms_section *s) { return (uint16_t)get(s, 2); }
uint32_t vms_get_u32(struct vms_section *s) { return (uint32_t)get(s, 4); }
uint64_t vms_get_u64(struct vms_section *s) { return get(s, 8); }

void vms_get_bytes(struct vms_section *s, void *p, size_t n)
{
	if (s->bad || s->left < n) {
		s->bad = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, s->p, n);
	s->p += n;
	s->left -= n;
}

int vms_section_done(const struct vms_section *s)
{
	return s->bad || s->left ? HV_EINVAL : 0;
}
