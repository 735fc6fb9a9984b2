/* Frame codec of the serial patch channel (include/klp_proto.h): an
 * encoder and a byte-at-a-time decoder that never trusts the length field
 * beyond KLP_FRAME_MAX_PAYLOAD and resynchronises on the next magic after
 * garbage or a bad frame. Pure code: built into the kernel, the host tests
 * and tools/klpctl. */
#include <klp_proto.h>
#include <crc32.h>
#include <string.h>

enum { S_MAGIC0, S_MAGIC1, S_HDR, S_PAYLOAD, S_CRC };

size_t klp_frame_encode(void *out, size_t outlen, u8 type, u8 flags, u16 seq,
			const void *payload, u32 len)
{
	u8 *o = out;
	size_t total = KLP_FRAME_HDR + (size_t)len + KLP_FRAME_CRC;

	if (len > KLP_FRAME_MAX_PAYLOAD || outlen < total)
		return 0;
	o[0] = KLP_FRAME_MAGIC0;
	o[1] = KLP_FRAME_MAGIC1;
	o[2] = type;
	o[3] = flags;
	klp_put16(o + 4, seq);
	klp_put32(o + 6, len);
	if (len)
		memcpy(o + KLP_FRAME_HDR, payload, len);
	klp_put32(o + KLP_FRAME_HDR + len, crc32(0, o + 2, KLP_FRAME_HDR - 2 + len));
	return total;
}

void klp_frame_decoder_init(struct klp_frame_decoder *dec)
{
	memset(dec, 0, sizeof(*dec) - sizeof(dec->frame));
	dec->frame.len = 0;
	dec->state = S_MAGIC0;
}

static enum klp_dec_status dec_error(struct klp_frame_decoder *dec, const char *why)
{
	dec->error = why;
	dec->errors++;
	dec->state = S_MAGIC0;
	return KLP_DEC_ERROR;
}

enum klp_dec_status klp_frame_decoder_feed(struct klp_frame_decoder *dec, u8 byte)
{
	struct klp_frame *f = &dec->frame;
	u32 crc;

	switch (dec->state) {
	case S_MAGIC0:
		if (byte == KLP_FRAME_MAGIC0)
			dec->state = S_MAGIC1;
		else
			dec->skipped++;
		return KLP_DEC_NEED_MORE;
	case S_MAGIC1:
		if (byte == KLP_FRAME_MAGIC1) {
			dec->state = S_HDR;
			dec->pos = 0;
		} else if (byte != KLP_FRAME_MAGIC0) {
			dec->skipped += 2;
			dec->state = S_MAGIC0;
		} else {
			dec->skipped++;
		}
		return KLP_DEC_NEED_MORE;
	case S_HDR:
		dec->hdr[dec->pos++] = byte;
		if (dec->pos < sizeof(dec->hdr))
			return KLP_DEC_NEED_MORE;
		f->type = dec->hdr[0];
		f->flags = dec->hdr[1];
		f->seq = klp_get16(dec->hdr + 2);
		f->len = klp_get32(dec->hdr + 4);
		if (f->len > KLP_FRAME_MAX_PAYLOAD) {
			f->len = 0;
			return dec_error(dec, "frame length over the maximum");
		}
		dec->pos = 0;
		dec->state = f->len ? S_PAYLOAD : S_CRC;
		return KLP_DEC_NEED_MORE;
	case S_PAYLOAD:
		f->payload[dec->pos++] = byte;
		if (dec->pos == f->len) {
			dec->pos = 0;
			dec->state = S_CRC;
		}
		return KLP_DEC_NEED_MORE;
	case S_CRC:
		dec->crc[dec->pos++] = byte;
		if (dec->pos < sizeof(dec->crc))
			return KLP_DEC_NEED_MORE;
		crc = crc32(0, dec->hdr, sizeof(dec->hdr));
		crc = crc32(crc, f->payload, f->len);
		if (crc != klp_get32(dec->crc))
			return dec_error(dec, "frame CRC mismatch");
		dec->state = S_MAGIC0;
		dec->frames++;
		dec->error = NULL;
		return KLP_DEC_FRAME_READY;
	}
	return dec_error(dec, "decoder state corrupted");
}
