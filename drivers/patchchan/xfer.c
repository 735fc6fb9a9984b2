/* Blob reassembly and request handling for the serial patch channel
 * (drivers/patchchan/proto.h, docs/PROTOCOL.md). A blob is collected whole and
 * in order into one buffer; nothing is handed to the loader before END
 * confirms the whole-blob CRC. Pure code: the kernel's COM2 task and the
 * host tests' fake peer run this same file. */
#include "proto.h"
#include <kelp/crypto/crc32.h>
#include <kelp/errno.h>
#include <kelp/reason.h>
#include <kelp/string.h>

#define FAIL(err, ...) reason_fail(why, whylen, err, __VA_ARGS__)

void patchchan_xfer_init(struct patchchan_xfer *x, u32 limit, void *(*alloc)(size_t),
			 void (*free)(void *, size_t))
{
	memset(x, 0, sizeof(*x));
	x->limit = limit;
	x->alloc = alloc;
	x->free = free;
}

void patchchan_xfer_abort(struct patchchan_xfer *x)
{
	if (x->buf)
		x->free(x->buf, x->total);
	x->buf = NULL;
	x->active = false;
	x->total = x->received = 0;
	x->name[0] = x->params[0] = 0;
	x->has_auth = false;
}

static bool has_nul(const u8 *p, u32 n)
{
	while (n--)
		if (!*p++)
			return true;
	return false;
}

static bool name_ok(const u8 *s, u32 n)
{
	if (n == 0 || n >= PATCHCHAN_NAME_MAX)
		return false;
	for (u32 i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

int patchchan_xfer_begin(struct patchchan_xfer *x, const u8 *p, u32 len, u64 now, char *why,
			 size_t whylen)
{
	u32 total, nlen, plen;

	patchchan_xfer_abort(x);
	if (len < 8)
		return FAIL(-EBADMSG, "BEGIN: short payload");
	total = patchchan_get32(p);
	nlen = p[4];
	plen = patchchan_get16(p + 6);
	if (len != 8 + nlen + plen)
		return FAIL(-EBADMSG, "BEGIN: inconsistent lengths");
	if (!name_ok(p + 8, nlen))
		return FAIL(-EINVAL, "BEGIN: bad module name");
	if (plen >= PATCHCHAN_PARAMS_MAX || has_nul(p + 8 + nlen, plen))
		return FAIL(-EINVAL, "BEGIN: bad parameter string");
	if (total == 0)
		return FAIL(-EINVAL, "BEGIN: empty blob");
	if (total > x->limit)
		return FAIL(-EFBIG, "blob too big (%u > %u bytes)", total, x->limit);
	x->buf = x->alloc(total);
	if (!x->buf)
		return FAIL(-ENOMEM, "no memory for a %u-byte blob", total);
	x->total = total;
	x->received = 0;
	x->active = true;
	x->last = now;
	memcpy(x->name, p + 8, nlen);
	x->name[nlen] = 0;
	memcpy(x->params, p + 8 + nlen, plen);
	x->params[plen] = 0;
	return 0;
}

int patchchan_xfer_data(struct patchchan_xfer *x, const u8 *p, u32 len, u64 now, char *why,
			size_t whylen)
{
	u32 off, n;

	if (!x->active)
		return FAIL(-EPROTO, "DATA without a transfer in progress");
	if (len <= 4)
		return FAIL(-EBADMSG, "DATA: short payload");
	off = patchchan_get32(p);
	n = len - 4;
	if (off > x->total || n > x->total - off)
		return FAIL(-EINVAL, "DATA past the end (offset %u + %u > %u)", off, n, x->total);
	if (off > x->received)
		return FAIL(-EPROTO, "out of order (offset %u, expected %u)", off, x->received);
	x->last = now;
	if (off + n <= x->received)
		return 1;
	memcpy(x->buf + off, p + 4, n);
	x->received = off + n;
	return 0;
}

int patchchan_xfer_end(struct patchchan_xfer *x, const u8 *p, u32 len, char *why, size_t whylen)
{
	u32 want, got;

	if (!x->active)
		return FAIL(-EPROTO, "END without a transfer in progress");
	if (len != 4 && len != PATCHCHAN_END_AUTH_LEN) {
		patchchan_xfer_abort(x);
		return FAIL(-EBADMSG, "END: bad payload");
	}
	if (x->received != x->total) {
		got = x->received;
		want = x->total;
		patchchan_xfer_abort(x);
		return FAIL(-EPROTO, "incomplete transfer (%u of %u bytes)", got, want);
	}
	want = patchchan_get32(p);
	got = crc32(0, x->buf, x->total);
	if (want != got) {
		patchchan_xfer_abort(x);
		return FAIL(-EBADMSG, "blob CRC mismatch (%08x, expected %08x)", got, want);
	}
	/* checked by the caller's load, which knows the keys */
	x->has_auth = len == PATCHCHAN_END_AUTH_LEN;
	if (x->has_auth)
		memcpy(x->auth, p + 4, sizeof(x->auth));
	return 0;
}

u8 *patchchan_xfer_take(struct patchchan_xfer *x, u32 *len)
{
	u8 *b = x->buf;

	*len = x->total;
	x->buf = NULL;
	x->active = false;
	x->total = x->received = 0;
	return b;
}

bool patchchan_xfer_expire(struct patchchan_xfer *x, u64 now, u64 idle)
{
	if (!x->active || now - x->last <= idle)
		return false;
	patchchan_xfer_abort(x);
	return true;
}

void patchchan_session_init(struct patchchan_session *s, const struct patchchan_session_ops *ops,
			    void *ctx, u32 limit, void *(*alloc)(size_t),
			    void (*free)(void *, size_t))
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	patchchan_frame_decoder_init(&s->dec);
	patchchan_xfer_init(&s->xfer, limit, alloc, free);
}

void patchchan_session_destroy(struct patchchan_session *s)
{
	patchchan_xfer_abort(&s->xfer);
}

/* Sends an answer to request seq and keeps it for a retransmitted request. */
static void reply(struct patchchan_session *s, u8 type, u16 seq, int status, const char *text)
{
	u8 *p = s->txbuf;
	u32 n = 2;

	patchchan_put16(p, seq);
	if (type != PATCHCHAN_T_ACK) {
		size_t tl = text ? strnlen(text, PATCHCHAN_TEXT_MAX) : 0;

		patchchan_put32(p + 2, (u32)status);
		memcpy(p + 6, text, tl);
		n = 6 + tl;
	}
	s->last_len = patchchan_frame_encode(s->last, sizeof(s->last), type, 0, s->tx_seq++, p, n);
	s->last_seq = seq;
	s->have_last = true;
	s->ops->send(s->ctx, s->last, s->last_len);
}

/* ACK to END/CMD before running it: how long it may take and what it does,
 * so the sender waits that long instead of giving up (not kept as the
 * answer: a re-sent request gets the RESULT once there is one). */
static void ack_working(struct patchchan_session *s, u16 seq, const char *name, const char *cmd)
{
	u8 *p = s->txbuf, frame[PATCHCHAN_FRAME_HDR + 6 + 128 + PATCHCHAN_FRAME_CRC];
	char what[128] = "";
	u32 ms = PATCHCHAN_WORK_DEFAULT_MS;

	if (s->ops->budget)
		ms = s->ops->budget(s->ctx, name, cmd, what, sizeof(what));
	if (!what[0])
		snprintf(what, sizeof(what), "%s", cmd ? cmd : "the load");
	size_t tl = strnlen(what, sizeof(what) - 1);

	patchchan_put16(p, seq);
	patchchan_put32(p + 2, ms);
	memcpy(p + 6, what, tl);
	size_t n = patchchan_frame_encode(frame, sizeof(frame), PATCHCHAN_T_ACK, 0, s->tx_seq++, p,
					  6 + tl);
	s->ops->send(s->ctx, frame, n);
}

static void handle(struct patchchan_session *s, const struct patchchan_frame *f, u64 now)
{
	char *t = s->text;
	size_t tl = sizeof(s->text);
	int ret;
	u32 len;
	u8 *blob;

	/* HELLO starts a conversation: a new client may reuse old sequence numbers. */
	if (f->type != PATCHCHAN_T_HELLO && s->have_last && f->seq == s->last_seq) {
		/* Copies queued while a long request ran, or a duplicated frame:
		 * one answer per quiet period, not one per copy. */
		if (now - s->last_sent >= PATCHCHAN_DUP_QUIET_MS) {
			s->last_sent = now;
			s->ops->send(s->ctx, s->last, s->last_len);
		}
		return;
	}
	s->last_sent = now;
	t[0] = 0;
	switch (f->type) {
	case PATCHCHAN_T_HELLO:
		patchchan_xfer_abort(&s->xfer);
		if (f->len < 2 || patchchan_get16(f->payload) != PATCHCHAN_PROTO_VERSION) {
			reply(s, PATCHCHAN_T_NAK, f->seq, -EPROTO, "unsupported protocol version");
			return;
		}
		snprintf(t, tl, "kelp klp/%u max_payload=%u limit=%u", PATCHCHAN_PROTO_VERSION,
			 PATCHCHAN_FRAME_MAX_PAYLOAD, s->xfer.limit);
		reply(s, PATCHCHAN_T_RESULT, f->seq, 0, t);
		return;
	case PATCHCHAN_T_BEGIN:
		ret = patchchan_xfer_begin(&s->xfer, f->payload, f->len, now, t, tl);
		break;
	case PATCHCHAN_T_DATA:
		ret = patchchan_xfer_data(&s->xfer, f->payload, f->len, now, t, tl);
		if (ret > 0)
			ret = 0;
		break;
	case PATCHCHAN_T_END:
		ret = patchchan_xfer_end(&s->xfer, f->payload, f->len, t, tl);
		if (ret)
			break;
		/* take() leaves name and params in place until the next BEGIN */
		blob = patchchan_xfer_take(&s->xfer, &len);
		ack_working(s, f->seq, s->xfer.name, NULL);
		ret = s->ops->load(s->ctx, blob, len, s->xfer.name, s->xfer.params, t, tl);
		s->xfer.free(blob, len);
		reply(s, PATCHCHAN_T_RESULT, f->seq, ret, t);
		return;
	case PATCHCHAN_T_CMD:
		if (f->len == 0 || f->len > PATCHCHAN_TEXT_MAX || has_nul(f->payload, f->len)) {
			reply(s, PATCHCHAN_T_NAK, f->seq, -EINVAL, "malformed command");
			return;
		}
		memcpy(s->cmd, f->payload, f->len);
		s->cmd[f->len] = 0;
		ack_working(s, f->seq, NULL, s->cmd);
		ret = s->ops->cmd(s->ctx, s->cmd, t, tl);
		reply(s, PATCHCHAN_T_RESULT, f->seq, ret, t);
		return;
	default:
		snprintf(t, tl, "unexpected frame type %u", f->type);
		ret = -EPROTO;
		break;
	}
	if (ret)
		reply(s, PATCHCHAN_T_NAK, f->seq, ret, t);
	else
		reply(s, PATCHCHAN_T_ACK, f->seq, 0, NULL);
}

static void handle_ready(struct patchchan_session *s, enum patchchan_dec_status st, u64 now_ms)
{
	while (st == PATCHCHAN_DEC_FRAME_READY) {
		handle(s, &s->dec.frame, now_ms);
		st = patchchan_frame_decoder_drain(&s->dec);
	}
}

/* A frame cut short (bytes lost to an overrun) must not swallow the frames
 * after it until its announced length is reached: give it up after
 * PATCHCHAN_FRAME_TIMEOUT_MS and decode what followed its magic again. */
static void expire_frame(struct patchchan_session *s, u64 now_ms)
{
	if (!patchchan_frame_decoder_in_frame(&s->dec) ||
	    now_ms - s->frame_start <= PATCHCHAN_FRAME_TIMEOUT_MS)
		return;
	enum patchchan_dec_status st = patchchan_frame_decoder_abort(&s->dec, "frame timed out");
	if (st == PATCHCHAN_DEC_ERROR)
		st = patchchan_frame_decoder_drain(&s->dec);
	handle_ready(s, st, now_ms);
	s->frame_start = now_ms;
}

void patchchan_session_feed(struct patchchan_session *s, const u8 *buf, size_t len, u64 now_ms)
{
	for (size_t i = 0; i < len; i++) {
		expire_frame(s, now_ms);
		/* a frame begins when none was in progress, or one just ended */
		bool was_in = patchchan_frame_decoder_in_frame(&s->dec);
		u32 ended = s->dec.frames + s->dec.errors;
		handle_ready(s, patchchan_frame_decoder_feed(&s->dec, buf[i]), now_ms);
		if (patchchan_frame_decoder_in_frame(&s->dec) &&
		    (!was_in || s->dec.frames + s->dec.errors != ended))
			s->frame_start = now_ms;
	}
}

void patchchan_session_tick(struct patchchan_session *s, u64 now_ms)
{
	expire_frame(s, now_ms);
	patchchan_xfer_expire(&s->xfer, now_ms, PATCHCHAN_XFER_IDLE_MS);
}
