/* Fuzz target: the receiving end of the serial patch channel, whole: the
 * byte-stream frame decoder, blob reassembly and the patchchan_session request
 * handler, from drivers/patchchan/frame.c, xfer.c and crc32.c unchanged.
 *
 * The input is a script of records, so the fuzzer can reach past the CRCs:
 *   0 n bytes...          n raw bytes on the wire (garbage, partial frames)
 *   1 type flags seq2 len2 payload   one well-formed frame (CRC computed)
 *   2 seq2                END carrying the right CRC of what was received
 *   3 t                   the clock moves t*100 ms, then patchchan_session_tick()
 *   4 type flags seq2 len2 at xor payload   a frame with byte `at` flipped
 * Bytes reach the session in chunks of varying size. Oracles besides the
 * sanitizers: every answer the session sends must decode as exactly one
 * valid frame, and the blob handed to load() must match the END's CRC. */
#include "../../drivers/patchchan/proto.h"
#include <kelp/crypto/crc32.h>
#include <kelp/errno.h>
#include <kelp/string.h>

extern void *malloc(size_t size);
extern void free(void *p);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define LIMIT (64 * 1024)

static struct patchchan_session sess;
static struct patchchan_frame_decoder answer_dec;
static u8 wire[PATCHCHAN_FRAME_MAX];

static void *h_alloc(size_t n)
{
	return malloc(n);
}

static void h_free(void *p, size_t n)
{
	(void)n;
	free(p);
}

static void h_send(void *ctx, const void *frame, size_t len)
{
	const u8 *b = frame;
	int frames = 0;

	(void)ctx;
	CHECK(len >= PATCHCHAN_FRAME_HDR + PATCHCHAN_FRAME_CRC && len <= PATCHCHAN_FRAME_MAX);
	patchchan_frame_decoder_init(&answer_dec);
	for (size_t i = 0; i < len; i++) {
		enum patchchan_dec_status st = patchchan_frame_decoder_feed(&answer_dec, b[i]);

		CHECK(st != PATCHCHAN_DEC_ERROR);
		if (st == PATCHCHAN_DEC_FRAME_READY) {
			frames++;
			CHECK(i == len - 1);
			CHECK(answer_dec.frame.type >= PATCHCHAN_T_ACK &&
			      answer_dec.frame.type <= PATCHCHAN_T_RESULT);
		}
	}
	CHECK(frames == 1);
}

static int h_load(void *ctx, const u8 *blob, u32 len, const char *name, const char *params,
		  char *out, size_t outlen)
{
	(void)ctx;
	CHECK(len > 0 && len <= LIMIT);
	CHECK(strlen(name) > 0 && strlen(name) < PATCHCHAN_NAME_MAX);
	CHECK(strlen(params) < PATCHCHAN_PARAMS_MAX);
	/* Fill the whole answer sometimes: the reply must cut it to one frame. */
	if (blob[0] & 1) {
		memset(out, 'x', outlen - 1);
		out[outlen - 1] = 0;
	} else {
		snprintf(out, outlen, "loaded %s (%u bytes, crc %08x) %s", name, len,
			 crc32(0, blob, len), params);
	}
	return blob[len - 1] & 1 ? -EINVAL : 0;
}

static int h_cmd(void *ctx, const char *cmd, char *out, size_t outlen)
{
	size_t n = strlen(cmd);

	(void)ctx;
	CHECK(n > 0 && n <= PATCHCHAN_TEXT_MAX);
	if (cmd[0] == 'x') {
		memset(out, 'y', outlen - 1);
		out[outlen - 1] = 0;
	} else {
		snprintf(out, outlen, "%s", cmd);
	}
	return cmd[n - 1] == '!' ? -ENOENT : 0;
}

static const struct patchchan_session_ops ops = {
	.send = h_send, .load = h_load, .cmd = h_cmd, .budget = NULL /* the default budget */
};

struct reader {
	const u8 *p;
	size_t n;
};

static unsigned int take(struct reader *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static void feed(const u8 *b, size_t len, u64 now, unsigned int chunk)
{
	chunk = chunk % 7 + 1;
	for (size_t i = 0; i < len; i += chunk)
		patchchan_session_feed(&sess, b + i, len - i < chunk ? len - i : chunk, now);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct reader r = { data, size };
	u64 now = 1000;
	unsigned int ops_done = 0;

	patchchan_session_init(&sess, &ops, NULL, LIMIT, h_alloc, h_free);
	while (r.n && ops_done++ < 4096) {
		unsigned int op = take(&r) % 5, type, flags, seq, len, at = 0, x = 0;
		size_t n;

		switch (op) {
		case 0:
			len = take(&r);
			len = len < r.n ? len : r.n;
			feed(r.p, len, now, len);
			r.p += len;
			r.n -= len;
			break;
		case 1:
		case 4:
			type = take(&r);
			flags = take(&r);
			seq = take(&r);
			seq |= take(&r) << 8;
			len = take(&r);
			len |= take(&r) << 8;
			if (op == 4) {
				at = take(&r);
				x = take(&r);
			}
			len %= PATCHCHAN_FRAME_MAX_PAYLOAD + 1;
			len = len < r.n ? len : r.n;
			n = patchchan_frame_encode(wire, sizeof(wire), type, flags, seq, r.p, len);
			CHECK(n == PATCHCHAN_FRAME_HDR + len + PATCHCHAN_FRAME_CRC);
			r.p += len;
			r.n -= len;
			if (op == 4)
				wire[at % n] ^= x ? x : 1;
			feed(wire, n, now, seq);
			break;
		case 2: {
			u8 crc[4];

			seq = take(&r);
			seq |= take(&r) << 8;
			patchchan_put32(crc, sess.xfer.buf ?
					crc32(0, sess.xfer.buf, sess.xfer.received) : 0);
			n = patchchan_frame_encode(wire, sizeof(wire), PATCHCHAN_T_END, 0, seq,
						   crc, 4);
			feed(wire, n, now, seq);
			break;
		}
		case 3:
			now += take(&r) * 100;
			patchchan_session_tick(&sess, now);
			break;
		}
		CHECK(sess.xfer.received <= sess.xfer.total);
		CHECK(!sess.xfer.active || sess.xfer.buf);
	}
	patchchan_session_destroy(&sess);
	CHECK(!sess.xfer.buf);
	return 0;
}
