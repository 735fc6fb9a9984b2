/* The serial patch channel (docs/PROTOCOL.md): CRC-checked frames, a
 * streaming decoder, the blob reassembly state machine (patchchan_xfer) and the
 * receiving side's request handling (patchchan_session). Pure code, no I/O and no
 * clock: the kernel's COM2 task, the host tests' fake peer and tools/klpctl
 * (the codec only) all build these same sources. */
#pragma once
#include <kelp/types.h>

#define PATCHCHAN_PROTO_VERSION 1
#define PATCHCHAN_FRAME_MAGIC0 'K'
#define PATCHCHAN_FRAME_MAGIC1 'F'
#define PATCHCHAN_FRAME_HDR 10		/* magic[2] type flags seq[2] len[4] */
#define PATCHCHAN_FRAME_CRC 4
#define PATCHCHAN_FRAME_MAX_PAYLOAD 4096
#define PATCHCHAN_FRAME_MAX \
	(PATCHCHAN_FRAME_HDR + PATCHCHAN_FRAME_MAX_PAYLOAD + PATCHCHAN_FRAME_CRC)

enum patchchan_frame_type {
	PATCHCHAN_T_HELLO = 1,	/* u16 version, u16 max payload */
	/* BEGIN: u32 total, u8 name_len, u8 0, u16 params_len, name, params */
	PATCHCHAN_T_BEGIN = 2,
	PATCHCHAN_T_DATA = 3,	/* u32 offset, bytes */
	PATCHCHAN_T_END = 4,	/* u32 crc32 of the whole blob */
	PATCHCHAN_T_CMD = 5,	/* text */
	/* ACK: u16 seq; to END/CMD also u32 ms the kernel may take, text what it does */
	PATCHCHAN_T_ACK = 6,
	PATCHCHAN_T_NAK = 7,	/* u16 seq, s32 -errno, text */
	PATCHCHAN_T_RESULT = 8,	/* u16 seq, s32 status, text */
};

/* Authenticated requests (docs/PROTOCOL.md, docs/SECURITY.md). The kernel
 * hands out a single-use nonce (CMD "nonce"); the host signs
 *   PATCHCHAN_AUTH_DOMAIN (with its NUL) || nonce || body
 * with the Ed25519 key that signs blobs, where body is the CMD text, or for
 * a load "load\0NAME\0PARAMS\0" || SHA-512(blob). A CMD carries it as
 * "auth NONCEHEX SIGHEX CMD"; END as u32 crc32 || nonce || signature. */
#define PATCHCHAN_AUTH_DOMAIN "KELP-AUTH-1"
#define PATCHCHAN_AUTH_DOMAIN_LEN 12	/* with the NUL */
#define PATCHCHAN_NONCE_LEN 16
#define PATCHCHAN_AUTH_SIG_LEN 64
#define PATCHCHAN_END_AUTH_LEN (4 + PATCHCHAN_NONCE_LEN + PATCHCHAN_AUTH_SIG_LEN)
#define PATCHCHAN_NONCE_TTL_MS 60000	/* a nonce older than this is stale */

#define PATCHCHAN_NAME_MAX 56		/* module name, NUL included */
#define PATCHCHAN_PARAMS_MAX 512	/* "a=1 b=x", NUL included */
#define PATCHCHAN_TEXT_MAX (PATCHCHAN_FRAME_MAX_PAYLOAD - 6)
#define PATCHCHAN_DATA_CHUNK (PATCHCHAN_FRAME_MAX_PAYLOAD - 4)

/* Timing rules shared by both ends, in milliseconds (see the doc). */
#define PATCHCHAN_ACK_TIMEOUT_MS 500	/* sender retransmits after this */
#define PATCHCHAN_RETRIES 8		/* ... this many times, then gives up */
#define PATCHCHAN_XFER_IDLE_MS 10000	/* receiver drops a transfer idle this long */
/* A frame still incomplete this long after its magic lost bytes (a whole
 * 4 KiB frame takes 0.36 s at 115200 baud): the receiver gives it up and
 * looks for the next frame in what came after it, rather than waiting for
 * its announced length to fill up with the frames that follow. */
#define PATCHCHAN_FRAME_TIMEOUT_MS 1000
/* After a "working on it" ACK the sender waits for the time it announces,
 * plus this, re-sending the request this often (a lost RESULT is then sent
 * again; the receiver answers re-sent requests at most once per
 * PATCHCHAN_DUP_QUIET_MS, so copies queued while it worked cost nothing). */
#define PATCHCHAN_WORK_SLACK_MS 2000
#define PATCHCHAN_WORK_RESEND_MS 5000
#define PATCHCHAN_DUP_QUIET_MS 250
#define PATCHCHAN_WORK_DEFAULT_MS 10000	/* when ops->budget is NULL */

static inline u16 patchchan_get16(const u8 *p)
{
	return p[0] | p[1] << 8;
}
static inline u32 patchchan_get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}
static inline void patchchan_put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}
static inline void patchchan_put32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

struct patchchan_frame {
	u8 type;
	u8 flags;
	u16 seq;
	u32 len;
	u8 payload[PATCHCHAN_FRAME_MAX_PAYLOAD];
};

/* Writes a frame into out; returns its size, or 0 when len is over the
 * maximum or out is too small. */
size_t patchchan_frame_encode(void *out, size_t outlen, u8 type, u8 flags, u16 seq,
			      const void *payload, u32 len);

enum patchchan_dec_status {
	PATCHCHAN_DEC_NEED_MORE,
	PATCHCHAN_DEC_FRAME_READY,	/* dec->frame holds it until the next feed */
	PATCHCHAN_DEC_ERROR,	/* dec->error says why; decoding resumes at the next magic */
};

struct patchchan_frame_decoder {
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
	u8 raw[PATCHCHAN_FRAME_MAX];
	u32 qhead, qlen;	/* bytes waiting to be (re)decoded */
	u8 q[2 * PATCHCHAN_FRAME_MAX];
	struct patchchan_frame frame;
};

void patchchan_frame_decoder_init(struct patchchan_frame_decoder *dec);
/* Takes one byte. FRAME_READY may leave bytes queued: call
 * patchchan_frame_decoder_drain() until it returns NEED_MORE before waiting for
 * input again. ERROR means at least one bad frame was dropped. */
enum patchchan_dec_status patchchan_frame_decoder_feed(struct patchchan_frame_decoder *dec,
						       u8 byte);
enum patchchan_dec_status patchchan_frame_decoder_drain(struct patchchan_frame_decoder *dec);
/* Whether a frame has begun and not ended. */
bool patchchan_frame_decoder_in_frame(const struct patchchan_frame_decoder *dec);
/* Gives up the frame in progress as an error (its bytes after the magic are
 * decoded again: drain() next), e.g. one cut short by lost bytes whose
 * length would otherwise swallow the frames after it. */
enum patchchan_dec_status patchchan_frame_decoder_abort(struct patchchan_frame_decoder *dec,
							const char *why);

/* Reassembly of one blob from BEGIN / DATA / END. */
struct patchchan_xfer {
	void *(*alloc)(size_t size);
	void (*free)(void *p, size_t size);
	u32 limit;		/* largest blob accepted */
	bool active;
	u8 *buf;
	u32 total, received;
	u64 last;		/* caller's clock at the last accepted frame */
	char name[PATCHCHAN_NAME_MAX];
	char params[PATCHCHAN_PARAMS_MAX];
	/* END's optional authentication: nonce || signature */
	bool has_auth;
	u8 auth[PATCHCHAN_NONCE_LEN + PATCHCHAN_AUTH_SIG_LEN];
};

void patchchan_xfer_init(struct patchchan_xfer *x, u32 limit, void *(*alloc)(size_t),
			 void (*free)(void *, size_t));
/* Each returns 0 (DATA: 1 for a duplicate chunk) or -errno with why set. A
 * BEGIN discards any transfer in progress; a failed END discards it too. */
int patchchan_xfer_begin(struct patchchan_xfer *x, const u8 *p, u32 len, u64 now, char *why,
			 size_t whylen);
int patchchan_xfer_data(struct patchchan_xfer *x, const u8 *p, u32 len, u64 now, char *why,
			size_t whylen);
int patchchan_xfer_end(struct patchchan_xfer *x, const u8 *p, u32 len, char *why, size_t whylen);
/* After a successful END: hands the blob to the caller (free it with x->free). */
u8 *patchchan_xfer_take(struct patchchan_xfer *x, u32 *len);
void patchchan_xfer_abort(struct patchchan_xfer *x);
/* Drops a transfer idle for more than idle (same unit as now); true if it did. */
bool patchchan_xfer_expire(struct patchchan_xfer *x, u64 now, u64 idle);

/* The receiving end: decodes bytes, answers each request exactly once
 * (a retransmitted request gets the cached answer again) and calls out to
 * run loads and commands. */
struct patchchan_session_ops {
	void (*send)(void *ctx, const void *frame, size_t len);
	/* blob stays owned by the session; out gets the RESULT text */
	int (*load)(void *ctx, const u8 *blob, u32 len, const char *name, const char *params,
		    char *out, size_t outlen);
	int (*cmd)(void *ctx, const char *cmd, char *out, size_t outlen);
	/* Before load (cmd NULL) or cmd runs: the longest it may take, in ms,
	 * and what it does ("the transition of X"), for the ACK that says the
	 * request is being worked on. NULL: PATCHCHAN_WORK_DEFAULT_MS. */
	u32 (*budget)(void *ctx, const char *name, const char *cmd, char *what, size_t whatlen);
};

struct patchchan_session {
	const struct patchchan_session_ops *ops;
	void *ctx;
	struct patchchan_frame_decoder dec;
	struct patchchan_xfer xfer;
	u16 tx_seq;
	bool have_last;
	u16 last_seq;
	u64 last_sent;		/* now_ms of the feed that last sent last[] */
	u64 frame_start;	/* now_ms when the decoder's current frame began */
	size_t last_len;
	u8 last[PATCHCHAN_FRAME_MAX];	/* the answer to last_seq, for retransmissions */
	char text[PATCHCHAN_TEXT_MAX + 1];
	char cmd[PATCHCHAN_TEXT_MAX + 1];
	u8 txbuf[PATCHCHAN_FRAME_MAX_PAYLOAD];
};

void patchchan_session_init(struct patchchan_session *s, const struct patchchan_session_ops *ops,
			    void *ctx, u32 limit, void *(*alloc)(size_t),
			    void (*free)(void *, size_t));
void patchchan_session_feed(struct patchchan_session *s, const u8 *buf, size_t len, u64 now_ms);
/* Call now and then: discards a transfer idle for PATCHCHAN_XFER_IDLE_MS. */
void patchchan_session_tick(struct patchchan_session *s, u64 now_ms);
void patchchan_session_destroy(struct patchchan_session *s);

