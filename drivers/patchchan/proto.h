/* The serial patch channel (docs/PROTOCOL.md): CRC-checked frames, a
 * streaming decoder, the blob reassembly state machine (klp_xfer) and the
 * receiving side's request handling (klp_session). Pure code, no I/O and no
 * clock: the kernel's COM2 task, the host tests' fake peer and tools/klpctl
 * (the codec only) all build these same sources. */
#pragma once
#include <kelp/types.h>

#define KLP_PROTO_VERSION 1
#define KLP_FRAME_MAGIC0 'K'
#define KLP_FRAME_MAGIC1 'F'
#define KLP_FRAME_HDR 10		/* magic[2] type flags seq[2] len[4] */
#define KLP_FRAME_CRC 4
#define KLP_FRAME_MAX_PAYLOAD 4096
#define KLP_FRAME_MAX (KLP_FRAME_HDR + KLP_FRAME_MAX_PAYLOAD + KLP_FRAME_CRC)

enum klp_frame_type {
	KLP_T_HELLO = 1,	/* u16 version, u16 max payload */
	KLP_T_BEGIN = 2,	/* u32 total, u8 name_len, u8 0, u16 params_len, name, params */
	KLP_T_DATA = 3,		/* u32 offset, bytes */
	KLP_T_END = 4,		/* u32 crc32 of the whole blob */
	KLP_T_CMD = 5,		/* text */
	KLP_T_ACK = 6,		/* u16 seq */
	KLP_T_NAK = 7,		/* u16 seq, s32 -errno, text */
	KLP_T_RESULT = 8,	/* u16 seq, s32 status, text */
};

#define KLP_NAME_MAX 56		/* module name, NUL included */
#define KLP_PARAMS_MAX 512	/* "a=1 b=x", NUL included */
#define KLP_TEXT_MAX (KLP_FRAME_MAX_PAYLOAD - 6)
#define KLP_DATA_CHUNK (KLP_FRAME_MAX_PAYLOAD - 4)

/* Timing rules shared by both ends, in milliseconds (see the doc). */
#define KLP_ACK_TIMEOUT_MS 500		/* sender retransmits after this */
#define KLP_RETRIES 8			/* ... this many times, then gives up */
#define KLP_XFER_IDLE_MS 10000		/* receiver drops a transfer idle this long */

static inline u16 klp_get16(const u8 *p)
{
	return p[0] | p[1] << 8;
}
static inline u32 klp_get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}
static inline void klp_put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}
static inline void klp_put32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

struct klp_frame {
	u8 type;
	u8 flags;
	u16 seq;
	u32 len;
	u8 payload[KLP_FRAME_MAX_PAYLOAD];
};

/* Writes a frame into out; returns its size, or 0 when len is over the
 * maximum or out is too small. */
size_t klp_frame_encode(void *out, size_t outlen, u8 type, u8 flags, u16 seq,
			const void *payload, u32 len);

enum klp_dec_status {
	KLP_DEC_NEED_MORE,
	KLP_DEC_FRAME_READY,	/* dec->frame holds it until the next feed */
	KLP_DEC_ERROR,		/* dec->error says why; decoding resumes at the next magic */
};

struct klp_frame_decoder {
	int state;
	u32 pos;		/* bytes of the current field received */
	u8 hdr[8];		/* type flags seq[2] len[4] */
	u8 crc[4];
	const char *error;
	u32 frames, errors, skipped;	/* statistics */
	/* The bytes of the frame being decoded, from its magic: after an
	 * error they are decoded again from the byte after that magic, so a
	 * frame that started inside a bad one is not lost. */
	u32 rawlen;
	u8 raw[KLP_FRAME_MAX];
	u32 qhead, qlen;	/* bytes waiting to be (re)decoded */
	u8 q[2 * KLP_FRAME_MAX];
	struct klp_frame frame;
};

void klp_frame_decoder_init(struct klp_frame_decoder *dec);
/* Takes one byte. FRAME_READY may leave bytes queued: call
 * klp_frame_decoder_drain() until it returns NEED_MORE before waiting for
 * input again. ERROR means at least one bad frame was dropped. */
enum klp_dec_status klp_frame_decoder_feed(struct klp_frame_decoder *dec, u8 byte);
enum klp_dec_status klp_frame_decoder_drain(struct klp_frame_decoder *dec);

/* Reassembly of one blob from BEGIN / DATA / END. */
struct klp_xfer {
	void *(*alloc)(size_t size);
	void (*free)(void *p, size_t size);
	u32 limit;		/* largest blob accepted */
	bool active;
	u8 *buf;
	u32 total, received;
	u64 last;		/* caller's clock at the last accepted frame */
	char name[KLP_NAME_MAX];
	char params[KLP_PARAMS_MAX];
};

void klp_xfer_init(struct klp_xfer *x, u32 limit, void *(*alloc)(size_t),
		   void (*free)(void *, size_t));
/* Each returns 0 (DATA: 1 for a duplicate chunk) or -errno with why set. A
 * BEGIN discards any transfer in progress; a failed END discards it too. */
int klp_xfer_begin(struct klp_xfer *x, const u8 *p, u32 len, u64 now, char *why, size_t whylen);
int klp_xfer_data(struct klp_xfer *x, const u8 *p, u32 len, u64 now, char *why, size_t whylen);
int klp_xfer_end(struct klp_xfer *x, const u8 *p, u32 len, char *why, size_t whylen);
/* After a successful END: hands the blob to the caller (free it with x->free). */
u8 *klp_xfer_take(struct klp_xfer *x, u32 *len);
void klp_xfer_abort(struct klp_xfer *x);
/* Drops a transfer idle for more than idle (same unit as now); true if it did. */
bool klp_xfer_expire(struct klp_xfer *x, u64 now, u64 idle);

/* The receiving end: decodes bytes, answers each request exactly once
 * (a retransmitted request gets the cached answer again) and calls out to
 * run loads and commands. */
struct klp_session_ops {
	void (*send)(void *ctx, const void *frame, size_t len);
	/* blob stays owned by the session; out gets the RESULT text */
	int (*load)(void *ctx, const u8 *blob, u32 len, const char *name, const char *params,
		    char *out, size_t outlen);
	int (*cmd)(void *ctx, const char *cmd, char *out, size_t outlen);
};

struct klp_session {
	const struct klp_session_ops *ops;
	void *ctx;
	struct klp_frame_decoder dec;
	struct klp_xfer xfer;
	u16 tx_seq;
	bool have_last;
	u16 last_seq;
	size_t last_len;
	u8 last[KLP_FRAME_MAX];	/* the answer to last_seq, for retransmissions */
	char text[KLP_TEXT_MAX + 1];
	char cmd[KLP_TEXT_MAX + 1];
	u8 txbuf[KLP_FRAME_MAX_PAYLOAD];
};

void klp_session_init(struct klp_session *s, const struct klp_session_ops *ops, void *ctx,
		      u32 limit, void *(*alloc)(size_t), void (*free)(void *, size_t));
void klp_session_feed(struct klp_session *s, const u8 *buf, size_t len, u64 now_ms);
/* Call now and then: discards a transfer idle for KLP_XFER_IDLE_MS. */
void klp_session_tick(struct klp_session *s, u64 now_ms);
void klp_session_destroy(struct klp_session *s);
