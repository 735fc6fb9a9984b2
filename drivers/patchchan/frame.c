/* Frame codec of the serial patch channel (drivers/patchchan/proto.h): an
 * encoder and a byte-at-a-time decoder that never trusts the length field
 * beyond PATCHCHAN_FRAME_MAX_PAYLOAD and resynchronises on the next magic after
 * garbage or a bad frame. Pure code: built into the kernel, the host tests
 * and tools/klpctl. */
#include "proto.h"
#include <kelp/crypto/crc32.h>
#include <kelp/string.h>

enum { S_MAGIC0, S_MAGIC1, S_HDR, S_PAYLOAD, S_CRC };

size_t patchchan_frame_encode(void *out, size_t outlen, u8 type, u8 flags, u16 seq,
			      const void *payload, u32 len)
{
	u8 *o = out;
	size_t total = PATCHCHAN_FRAME_HDR + (size_t)len + PATCHCHAN_FRAME_CRC;

	if (len > PATCHCHAN_FRAME_MAX_PAYLOAD || outlen < total)
		return 0;
	o[0] = PATCHCHAN_FRAME_MAGIC0;
	o[1] = PATCHCHAN_FRAME_MAGIC1;
	o[2] = type;
	o[3] = flags;
	patchchan_put16(o + 4, seq);
	patchchan_put32(o + 6, len);
	if (len)
		memcpy(o + PATCHCHAN_FRAME_HDR, payload, len);
	patchchan_put32(o + PATCHCHAN_FRAME_HDR + len,
			crc32(0, o + 2, PATCHCHAN_FRAME_HDR - 2 + len));
	return total;
}

void patchchan_frame_decoder_init(struct patchchan_frame_decoder *dec)
{
	dec->state = S_MAGIC0;
	dec->pos = dec->rawlen = dec->qhead = dec->qlen = 0;
	dec->error = NULL;
	dec->frames = dec->errors = dec->skipped = 0;
	dec->frame.len = 0;
}

/* Drops the first byte of the failed frame and queues the rest in front
 * of whatever is still waiting, to be decoded again. */
static enum patchchan_dec_status dec_error(struct patchchan_frame_decoder *dec, const char *why)
{
	u32 n = dec->rawlen - 1, wait = dec->qlen - dec->qhead;

	if (n + wait > sizeof(dec->q)) {
		dec->skipped += n;
		n = 0;
	}
	dec->error = why;
	dec->errors++;
	dec->state = S_MAGIC0;
	dec->skipped++;
	memmove(dec->q + n, dec->q + dec->qhead, wait);
	memcpy(dec->q, dec->raw + 1, n);
	dec->qhead = 0;
	dec->qlen = n + wait;
	dec->rawlen = 0;
	return PATCHCHAN_DEC_ERROR;
}

static enum patchchan_dec_status step(struct patchchan_frame_decoder *dec, u8 byte)
{
	struct patchchan_frame *f = &dec->frame;
	u32 crc;

	if (dec->state != S_MAGIC0)
		dec->raw[dec->rawlen++] = byte;
	switch (dec->state) {
	case S_MAGIC0:
		if (byte == PATCHCHAN_FRAME_MAGIC0) {
			dec->state = S_MAGIC1;
			dec->raw[0] = byte;
			dec->rawlen = 1;
		} else {
			dec->skipped++;
		}
		return PATCHCHAN_DEC_NEED_MORE;
	case S_MAGIC1:
		if (byte == PATCHCHAN_FRAME_MAGIC1) {
			dec->state = S_HDR;
			dec->pos = 0;
		} else if (byte != PATCHCHAN_FRAME_MAGIC0) {
			dec->skipped += 2;
			dec->state = S_MAGIC0;
		} else {
			dec->skipped++;
			dec->rawlen = 1;
		}
		return PATCHCHAN_DEC_NEED_MORE;
	case S_HDR:
		dec->hdr[dec->pos++] = byte;
		if (dec->pos < sizeof(dec->hdr))
			return PATCHCHAN_DEC_NEED_MORE;
		f->type = dec->hdr[0];
		f->flags = dec->hdr[1];
		f->seq = patchchan_get16(dec->hdr + 2);
		f->len = patchchan_get32(dec->hdr + 4);
		if (f->len > PATCHCHAN_FRAME_MAX_PAYLOAD) {
			f->len = 0;
			return dec_error(dec, "frame length over the maximum");
		}
		dec->pos = 0;
		dec->state = f->len ? S_PAYLOAD : S_CRC;
		return PATCHCHAN_DEC_NEED_MORE;
	case S_PAYLOAD:
		f->payload[dec->pos++] = byte;
		if (dec->pos == f->len) {
			dec->pos = 0;
			dec->state = S_CRC;
		}
		return PATCHCHAN_DEC_NEED_MORE;
	case S_CRC:
		dec->crc[dec->pos++] = byte;
		if (dec->pos < sizeof(dec->crc))
			return PATCHCHAN_DEC_NEED_MORE;
		crc = crc32(0, dec->hdr, sizeof(dec->hdr));
		crc = crc32(crc, f->payload, f->len);
		if (crc != patchchan_get32(dec->crc))
			return dec_error(dec, "frame CRC mismatch");
		dec->state = S_MAGIC0;
		dec->rawlen = 0;
		dec->frames++;
		return PATCHCHAN_DEC_FRAME_READY;
	}
	return dec_error(dec, "decoder state corrupted");
}

bool patchchan_frame_decoder_in_frame(const struct patchchan_frame_decoder *dec)
{
	return dec->state != S_MAGIC0;
}

enum patchchan_dec_status patchchan_frame_decoder_abort(struct patchchan_frame_decoder *dec,
							const char *why)
{
	if (dec->state == S_MAGIC0)
		return PATCHCHAN_DEC_NEED_MORE;
	return dec_error(dec, why);
}

enum patchchan_dec_status patchchan_frame_decoder_drain(struct patchchan_frame_decoder *dec)
{
	bool err = false;

	while (dec->qhead < dec->qlen) {
		enum patchchan_dec_status st = step(dec, dec->q[dec->qhead++]);

		if (st == PATCHCHAN_DEC_FRAME_READY)
			return st;
		err |= st == PATCHCHAN_DEC_ERROR;
	}
	dec->qhead = dec->qlen = 0;
	return err ? PATCHCHAN_DEC_ERROR : PATCHCHAN_DEC_NEED_MORE;
}

enum patchchan_dec_status patchchan_frame_decoder_feed(struct patchchan_frame_decoder *dec, u8 byte)
{
	if (dec->qhead == dec->qlen)
		dec->qhead = dec->qlen = 0;
	if (dec->qlen == sizeof(dec->q)) {
		memmove(dec->q, dec->q + dec->qhead, dec->qlen - dec->qhead);
		dec->qlen -= dec->qhead;
		dec->qhead = 0;
	}
	if (dec->qlen == sizeof(dec->q)) {
		dec->skipped++;		/* unreachable: every frame returned consumed bytes */
		return PATCHCHAN_DEC_ERROR;
	}
	dec->q[dec->qlen++] = byte;
	return patchchan_frame_decoder_drain(dec);
}
