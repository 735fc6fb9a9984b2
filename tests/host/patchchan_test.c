/* Host tests for the serial patch channel: the frame codec and decoder
 * (drivers/patchchan/frame.c), blob reassembly and request handling
 * (drivers/patchchan/xfer.c), and build/klpctl end to end against a fake kernel
 * peer: a thread running patchchan_session over a socketpair.
 * usage: patchchan_test KLPCTL FIXTURE_DIR */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"
#include "../../drivers/patchchan/proto.h"
#include <kelp/crypto/crc32.h>

static u8 fbuf[PATCHCHAN_FRAME_MAX];

/* Feeds bytes; returns how many frames came out, the last one in *out. */
static int feed(struct patchchan_frame_decoder *d, const u8 *b, size_t n,
		struct patchchan_frame *out, int *errors)
{
	int frames = 0;

	for (size_t i = 0; i < n; i++) {
		enum patchchan_dec_status st = patchchan_frame_decoder_feed(d, b[i]);

		while (st == PATCHCHAN_DEC_FRAME_READY) {
			frames++;
			if (out)
				*out = d->frame;
			st = patchchan_frame_decoder_drain(d);
		}
		if (st == PATCHCHAN_DEC_ERROR && errors)
			(*errors)++;
	}
	return frames;
}

static void test_codec(void)
{
	static struct patchchan_frame_decoder d;
	static struct patchchan_frame f;
	static u8 payload[PATCHCHAN_FRAME_MAX_PAYLOAD], stream[3 * PATCHCHAN_FRAME_MAX + 64];
	size_t n, m;
	int errors = 0, bad;

	tap_ok(crc32(0, "123456789", 9) == 0xcbf43926, "crc32 check value");
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (u8)(i * 31 + 7);
	patchchan_frame_decoder_init(&d);
	bad = 0;
	for (u32 len = 0; len <= PATCHCHAN_FRAME_MAX_PAYLOAD; len += (len < 40 ? 1 : 397)) {
		n = patchchan_frame_encode(fbuf, sizeof(fbuf), PATCHCHAN_T_DATA, 0x5a,
					   (u16)(len * 3), payload, len);
		if (n != PATCHCHAN_FRAME_HDR + len + 4 || feed(&d, fbuf, n, &f, NULL) != 1 ||
		    f.type != PATCHCHAN_T_DATA || f.flags != 0x5a || f.seq != (u16)(len * 3) ||
		    f.len != len || memcmp(f.payload, payload, len))
			bad++;
	}
	tap_ok(!bad, "round trip of payload sizes 0..%u (%d bad)", PATCHCHAN_FRAME_MAX_PAYLOAD,
	       bad);
	tap_ok(patchchan_frame_encode(fbuf, sizeof(fbuf), 1, 0, 0, payload,
				      PATCHCHAN_FRAME_MAX_PAYLOAD + 1) == 0,
	       "encoder refuses an oversize payload");
	tap_ok(patchchan_frame_encode(fbuf, 20, 1, 0, 0, payload, 7) == 0,
	       "encoder refuses a short buffer");

	/* Garbage (including stray magic bytes) before, between and after frames. */
	m = 0;
	memcpy(stream + m, "xxKKKFK\x00garbageK", 15);
	m += 15;
	m += patchchan_frame_encode(stream + m, sizeof(stream) - m, PATCHCHAN_T_CMD, 0, 1,
				    "list", 4);
	memcpy(stream + m, "KFK", 3);	/* a false start: 'K' 'F' then a header */
	m += 3;
	m += patchchan_frame_encode(stream + m, sizeof(stream) - m, PATCHCHAN_T_CMD, 0, 2,
				    "dmesg", 5);
	patchchan_frame_decoder_init(&d);
	n = feed(&d, stream, m, &f, &errors);
	tap_ok(n == 2 && f.seq == 2 && f.len == 5 && !memcmp(f.payload, "dmesg", 5),
	       "resync across garbage and a false start: %zu frames, last seq %u", n, f.seq);

	/* A frame whose CRC is bad hides the start of the next one: not lost. */
	m = patchchan_frame_encode(stream, sizeof(stream), PATCHCHAN_T_CMD, 0, 3, "list", 4);
	stream[m - 1] ^= 1;
	m -= 2;		/* cut inside the CRC: the next frame's first bytes complete it */
	m += patchchan_frame_encode(stream + m, sizeof(stream) - m, PATCHCHAN_T_CMD, 0, 4,
				    "dmesg", 5);
	patchchan_frame_decoder_init(&d);
	errors = 0;
	n = feed(&d, stream, m, &f, &errors);
	tap_ok(n == 1 && f.seq == 4 && errors == 1, "frame overlapping a bad CRC recovered (%zu, seq %u)",
	       n, f.seq);

	/* Every truncation of a frame yields nothing, and the next frame still decodes. */
	n = patchchan_frame_encode(fbuf, sizeof(fbuf), PATCHCHAN_T_DATA, 0, 9, payload, 300);
	bad = 0;
	for (size_t cut = 0; cut < n; cut++) {
		static u8 two[2 * PATCHCHAN_FRAME_MAX];
		size_t k;

		patchchan_frame_decoder_init(&d);
		if (feed(&d, fbuf, cut, NULL, NULL))
			bad++;
		/* The rest of the stream: a complete frame, sent after a gap... */
		k = patchchan_frame_encode(two, sizeof(two), PATCHCHAN_T_ACK, 0, 77, "\x09\x00", 2);
		/* ...which a decoder stuck mid-frame may swallow; a second copy must get through. */
		k += patchchan_frame_encode(two + k, sizeof(two) - k, PATCHCHAN_T_ACK, 0, 77,
					    "\x09\x00", 2);
		for (int rep = 0; rep < 80 && !feed(&d, two, k, &f, NULL); rep++)
			;
		if (f.seq != 77)
			bad++;
	}
	tap_ok(!bad, "all %zu truncations: no frame, then recovery (%d bad)", n, bad);

	/* Every single-bit flip of a frame is rejected (CRC-32 catches all). */
	n = patchchan_frame_encode(fbuf, sizeof(fbuf), PATCHCHAN_T_DATA, 0, 9, payload, 200);
	bad = 0;
	for (size_t bit = 0; bit < n * 8; bit++) {
		static u8 c[PATCHCHAN_FRAME_MAX + 16];

		memcpy(c, fbuf, n);
		c[bit / 8] ^= 1u << (bit % 8);
		memset(c + n, 0, 16);	/* idle line afterwards */
		patchchan_frame_decoder_init(&d);
		if (feed(&d, c, n + 16, NULL, NULL))
			bad++;
	}
	tap_ok(!bad, "all %zu single-bit flips rejected (%d accepted)", n * 8, bad);

	/* Two-bit flips, pseudo-random positions. */
	bad = 0;
	for (unsigned int it = 0, seed = 1; it < 20000; it++) {
		static u8 c[PATCHCHAN_FRAME_MAX + 16];

		memcpy(c, fbuf, n);
		seed = seed * 1103515245 + 12345;
		c[(seed >> 8) % n] ^= 1u << (seed % 8);
		seed = seed * 1103515245 + 12345;
		c[(seed >> 8) % n] ^= 1u << (seed % 8) | 0x10;
		memset(c + n, 0, 16);
		patchchan_frame_decoder_init(&d);
		if (feed(&d, c, n + 16, &f, NULL) &&
		    !(f.len == 200 && !memcmp(f.payload, payload, 200) && f.seq == 9 &&
		      f.type == PATCHCHAN_T_DATA))
			bad++;
	}
	tap_ok(!bad, "20000 multi-bit corruptions never give a wrong frame (%d did)", bad);

	/* A length over the maximum is an error right after the header. */
	n = patchchan_frame_encode(fbuf, sizeof(fbuf), PATCHCHAN_T_DATA, 0, 1, payload, 10);
	patchchan_put32(fbuf + 6, PATCHCHAN_FRAME_MAX_PAYLOAD + 1);
	patchchan_frame_decoder_init(&d);
	errors = 0;
	feed(&d, fbuf, PATCHCHAN_FRAME_HDR, NULL, &errors);
	tap_ok(errors == 1 && !strcmp(d.error, "frame length over the maximum"),
	       "oversize length rejected: %s", d.error ? d.error : "(none)");
	patchchan_put32(fbuf + 6, 0xffffffff);
	patchchan_frame_decoder_init(&d);
	errors = 0;
	feed(&d, fbuf, n, NULL, &errors);
	tap_ok(errors == 1, "length 0xffffffff rejected");
}

static size_t live_bytes;

static void *t_alloc(size_t n)
{
	live_bytes += n;
	return malloc(n);
}

static void t_free(void *p, size_t n)
{
	live_bytes -= n;
	free(p);
}

static u32 begin_payload(u8 *p, u32 total, const char *name, const char *params)
{
	u32 nl = strlen(name), pl = strlen(params);

	patchchan_put32(p, total);
	p[4] = nl;
	p[5] = 0;
	patchchan_put16(p + 6, pl);
	memcpy(p + 8, name, nl);
	memcpy(p + 8 + nl, params, pl);
	return 8 + nl + pl;
}

static u32 data_payload(u8 *p, u32 off, const u8 *src, u32 n)
{
	patchchan_put32(p, off);
	memcpy(p + 4, src, n);
	return 4 + n;
}

static void test_xfer(void)
{
	static struct patchchan_xfer x;
	static u8 blob[10000], p[PATCHCHAN_FRAME_MAX_PAYLOAD];
	char why[200];
	u32 n, len;
	u8 *got;
	int ret;

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (u8)(i ^ (i >> 8));
	patchchan_xfer_init(&x, 8192, t_alloc, t_free);
	n = begin_payload(p, sizeof(blob), "big", "");
	ret = patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why));
	tap_ok(ret == -EFBIG && strstr(why, "blob too big (10000 > 8192"), "size limit: %s", why);
	tap_ok(live_bytes == 0 && !x.active, "nothing allocated for a refused BEGIN");

	x.limit = 1 << 20;
	n = begin_payload(p, sizeof(blob), "my-patch_1", "a=1 b=two");
	tap_ok(patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why)) == 0 &&
		       !strcmp(x.name, "my-patch_1") && !strcmp(x.params, "a=1 b=two"),
	       "BEGIN name and params");
	n = data_payload(p, 0, blob, 4000);
	tap_ok(patchchan_xfer_data(&x, p, n, 1, why, sizeof(why)) == 0, "DATA 0..4000");
	tap_ok(patchchan_xfer_data(&x, p, n, 2, why, sizeof(why)) == 1,
	       "duplicate DATA is recognised");
	n = data_payload(p, 8000, blob + 8000, 2000);
	ret = patchchan_xfer_data(&x, p, n, 3, why, sizeof(why));
	tap_ok(ret == -EPROTO && strstr(why, "out of order (offset 8000, expected 4000)"),
	       "out of order: %s", why);
	n = data_payload(p, 9000, blob, 2000);
	ret = patchchan_xfer_data(&x, p, n, 3, why, sizeof(why));
	tap_ok(ret == -EINVAL && strstr(why, "past the end"), "past the end: %s", why);
	n = data_payload(p, 0xfffffff0, blob, 100);
	tap_ok(patchchan_xfer_data(&x, p, n, 3, why, sizeof(why)) == -EINVAL,
	       "offset wrap: %s", why);
	patchchan_put32(p, crc32(0, blob, sizeof(blob)));
	ret = patchchan_xfer_end(&x, p, 4, why, sizeof(why));
	tap_ok(ret == -EPROTO && strstr(why, "incomplete transfer (4000 of 10000"),
	       "END before all data: %s", why);
	tap_ok(!x.active && live_bytes == 0, "incomplete transfer discarded and freed");

	/* Complete, with an overlapping resend, then a bad CRC. */
	for (int pass = 0; pass < 2; pass++) {
		n = begin_payload(p, sizeof(blob), "p", "");
		patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why));
		for (u32 off = 0; off < sizeof(blob); off += 3000) {
			u32 c = sizeof(blob) - off < 4000 ? sizeof(blob) - off : 4000;

			n = data_payload(p, off, blob + off, c);
			patchchan_xfer_data(&x, p, n, 5, why, sizeof(why));
		}
		patchchan_put32(p, crc32(0, blob, sizeof(blob)) ^ pass);
		ret = patchchan_xfer_end(&x, p, 4, why, sizeof(why));
		if (pass == 0) {
			got = patchchan_xfer_take(&x, &len);
			tap_ok(ret == 0 && len == sizeof(blob) && !memcmp(got, blob, len),
			       "overlapping chunks reassemble the blob");
			t_free(got, len);
		} else {
			tap_ok(ret == -EBADMSG && strstr(why, "CRC mismatch") && live_bytes == 0,
			       "whole-blob CRC mismatch discards: %s", why);
		}
	}

	/* END may carry nonce || signature (checked by the kernel's load), and
	 * nothing else: any other length is refused. */
	for (int pass = 0; pass < 2; pass++) {
		u32 elen = pass ? 10 : PATCHCHAN_END_AUTH_LEN;

		n = begin_payload(p, 100, "p", "");
		patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why));
		n = data_payload(p, 0, blob, 100);
		patchchan_xfer_data(&x, p, n, 1, why, sizeof(why));
		patchchan_put32(p, crc32(0, blob, 100));
		for (u32 i = 4; i < PATCHCHAN_END_AUTH_LEN; i++)
			p[i] = (u8)i;
		ret = patchchan_xfer_end(&x, p, elen, why, sizeof(why));
		if (pass == 0) {
			got = patchchan_xfer_take(&x, &len);
			tap_ok(ret == 0 && x.has_auth && x.auth[0] == 4 &&
				       x.auth[sizeof(x.auth) - 1] == PATCHCHAN_END_AUTH_LEN - 1,
			       "END with nonce and signature keeps them for the load");
			t_free(got, len);
		} else {
			tap_ok(ret == -EBADMSG && !x.has_auth && live_bytes == 0,
			       "END of another length is refused: %s", why);
		}
	}

	/* A new BEGIN discards an unfinished transfer; so does the idle timeout. */
	n = begin_payload(p, 5000, "one", "");
	patchchan_xfer_begin(&x, p, n, 100, why, sizeof(why));
	n = begin_payload(p, 6000, "two", "");
	patchchan_xfer_begin(&x, p, n, 200, why, sizeof(why));
	tap_ok(live_bytes == 6000 && x.total == 6000 && !strcmp(x.name, "two"),
	       "a new BEGIN replaces the old transfer");
	tap_ok(!patchchan_xfer_expire(&x, 200 + PATCHCHAN_XFER_IDLE_MS, PATCHCHAN_XFER_IDLE_MS) &&
		       patchchan_xfer_expire(&x, 201 + PATCHCHAN_XFER_IDLE_MS,
					     PATCHCHAN_XFER_IDLE_MS) &&
		       live_bytes == 0, "idle transfer expires and is freed");

	/* Malformed BEGINs. */
	n = begin_payload(p, 100, "bad name", "");
	tap_ok(patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why)) == -EINVAL, "name: %s", why);
	n = begin_payload(p, 100, "x", "");
	tap_ok(patchchan_xfer_begin(&x, p, n + 1, 0, why, sizeof(why)) == -EBADMSG,
	       "lengths: %s", why);
	n = begin_payload(p, 0, "x", "");
	tap_ok(patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why)) == -EINVAL, "empty: %s", why);
	n = begin_payload(p, 100, "x", "a=1");
	p[n - 1] = 0;
	tap_ok(patchchan_xfer_begin(&x, p, n, 0, why, sizeof(why)) == -EINVAL,
	       "NUL in params: %s", why);
	tap_ok(patchchan_xfer_data(&x, p, 10, 0, why, sizeof(why)) == -EPROTO,
	       "DATA while idle: %s", why);
	tap_ok(live_bytes == 0, "no bytes left allocated");
}

/* --- fake kernel peer ------------------------------------------------------ */

struct peer {
	int fd;
	struct patchchan_session s;
	const u8 *expect;
	size_t expect_len;
	int loads;
	int sent;	/* frames the peer sent */
	int signed_cmds;	/* CMDs that came as "auth NONCE SIG CMD" */
	int signed_loads;	/* ENDs that carried a nonce and signature */
};

static u64 ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void peer_send(void *ctx, const void *frame, size_t len)
{
	struct peer *p = ctx;

	p->sent++;
	if (write(p->fd, frame, len) != (ssize_t)len)
		perror("peer write");
}

static int peer_load(void *ctx, const u8 *blob, u32 len, const char *name, const char *params,
		     char *out, size_t outlen)
{
	struct peer *p = ctx;

	p->loads++;
	p->signed_loads += p->s.xfer.has_auth;
	if (len != p->expect_len || memcmp(blob, p->expect, len)) {
		snprintf(out, outlen, "blob differs");
		return -EBADMSG;
	}
	snprintf(out, outlen, "loaded %s (%u bytes) params '%s'", name, len, params);
	return 0;
}

static int peer_cmd(void *ctx, const char *cmd, char *out, size_t outlen)
{
	struct peer *p = ctx;

	/* the signature itself is the kernel's to check (tests/py/test_security.py) */
	if (!strcmp(cmd, "nonce")) {
		snprintf(out, outlen, "%032x", 0);
		return 0;
	}
	if (!strncmp(cmd, "auth ", 5) && strlen(cmd) > 167) {
		p->signed_cmds++;
		cmd += 167;
	}
	if (!strcmp(cmd, "list")) {
		snprintf(out, outlen, "big enabled\n");
		return 0;
	}
	/* "wait slow" takes 1.5 s, "wait stuck" 3 s (longer than it announces) */
	if (!strcmp(cmd, "wait slow") || !strcmp(cmd, "wait stuck")) {
		usleep(cmd[5] == 's' && cmd[6] == 'l' ? 1500000 : 3000000);
		snprintf(out, outlen, "%s: done", cmd + 5);
		return 0;
	}
	snprintf(out, outlen, "%s: no such module", cmd);
	return -ENOENT;
}

static u32 peer_budget(void *ctx, const char *name, const char *cmd, char *what, size_t len)
{
	(void)ctx;
	(void)name;
	snprintf(what, len, "the fake %s", cmd ? cmd : "load");
	return cmd && !strcmp(cmd, "wait stuck") ? 100 : 2000;
}

static const struct patchchan_session_ops peer_ops = {
	.send = peer_send, .load = peer_load, .cmd = peer_cmd, .budget = peer_budget,
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	u8 buf[1024];
	ssize_t n;

	while ((n = read(p->fd, buf, sizeof(buf))) > 0) {
		patchchan_session_feed(&p->s, buf, n, ms());
		patchchan_session_tick(&p->s, ms());
	}
	return NULL;
}

/* A frame cut short by lost bytes announces more payload than comes: the
 * request after it must still be answered once the cut frame times out,
 * not swallowed as its payload. */
static void test_truncated_frame_resync(void)
{
	static struct peer p;
	static u8 stream[2 * PATCHCHAN_FRAME_MAX], big[PATCHCHAN_DATA_CHUNK + 4];
	static u8 out[4 * PATCHCHAN_FRAME_MAX];
	struct patchchan_frame_decoder d;
	struct patchchan_frame f;
	int sv[2];
	size_t m, n, got = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	p.fd = sv[0];
	patchchan_session_init(&p.s, &peer_ops, &p, 1 << 20, t_alloc, t_free);
	memset(big, 'x', sizeof(big));
	m = patchchan_frame_encode(stream, sizeof(stream), PATCHCHAN_T_DATA, 0, 9, big, sizeof(big));
	m = 1000;	/* the rest was lost */
	patchchan_session_feed(&p.s, stream, m, 0);
	n = patchchan_frame_encode(stream, sizeof(stream), PATCHCHAN_T_CMD, 0, 10, "list", 4);
	patchchan_session_feed(&p.s, stream, n, 100);	/* inside the frame's time: payload */
	patchchan_session_feed(&p.s, stream, n, 2000);	/* the retransmission, after it */
	shutdown(sv[0], SHUT_WR);
	patchchan_frame_decoder_init(&d);
	for (ssize_t r; (r = read(sv[1], out + got, sizeof(out) - got)) > 0;)
		got += r;
	size_t frames = feed(&d, out, got, &f, NULL);
	tap_ok(frames >= 1 && f.type == PATCHCHAN_T_RESULT && patchchan_get16(f.payload) == 10,
	       "a request after a truncated frame is answered once it times out (%zu frames)",
	       frames);
	patchchan_session_destroy(&p.s);
	close(sv[0]);
	close(sv[1]);
}

/* Runs klpctl against a fresh fake peer; returns its exit status, output in out. */
static int run_klpctl(const char *klpctl, const char *fixtures, struct peer *p, char *out,
		      size_t outlen, const char *const *args)
{
	int sv[2], status, ofd;
	char fdarg[32], path[512];
	const char *argv[16];
	int argc = 0;
	pthread_t th;
	pid_t pid;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/klpctl.out", fixtures);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		exit(1);
	p->fd = sv[0];
	patchchan_session_init(&p->s, &peer_ops, p, 1 << 20, t_alloc, t_free);
	pthread_create(&th, NULL, peer_main, p);
	snprintf(fdarg, sizeof(fdarg), "fd:%d", sv[1]);
	argv[argc++] = klpctl;
	argv[argc++] = "-s";
	argv[argc++] = fdarg;
	argv[argc++] = "-q";
	while (*args)
		argv[argc++] = *args++;
	argv[argc] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		ofd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(ofd, 1);
		dup2(ofd, 2);
		close(sv[0]);
		execv(klpctl, (char **)argv);
		_exit(127);
	}
	close(sv[1]);
	waitpid(pid, &status, 0);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(th, NULL);
	close(sv[0]);
	patchchan_session_destroy(&p->s);
	ofd = open(path, O_RDONLY);
	n = read(ofd, out, outlen - 1);
	out[n > 0 ? n : 0] = 0;
	close(ofd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* klpctl's output on one TAP line. */
static const char *flat(const char *s)
{
	static char b[256];
	size_t i;

	for (i = 0; s[i] && i < sizeof(b) - 1; i++)
		b[i] = s[i] == '\n' ? '|' : s[i];
	b[i] = 0;
	return b;
}

static void test_klpctl(const char *klpctl, const char *fixtures)
{
	static struct peer p;
	static char out[8192];
	char path[512];
	size_t len;
	u8 *blob = read_fixture(fixtures, "big.klp", &len);
	int rc;

	snprintf(path, sizeof(path), "%s/big.klp", fixtures);
	p.expect = blob;
	p.expect_len = len;

	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out),
			(const char *const[]){ "load", path, "x=1", "name=two", NULL });
	tap_ok(rc == 0 && p.loads == 1 && strstr(out, "loaded big (65632 bytes) params 'x=1 name=two'"),
	       "klpctl load of a 64 KiB blob: rc %d, %.80s", rc, flat(out));
	tap_ok(live_bytes == 0, "peer freed the blob");

	p.loads = 0;
	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out),
			(const char *const[]){ "-t", "50", "--fault", "drop=5,dup=7,flip=11", "load",
					       path, NULL });
	tap_ok(rc == 0 && p.loads == 1 && strstr(out, "loaded big"),
	       "load through dropped, duplicated and corrupted frames: rc %d, %.120s", rc, flat(out));

	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out), (const char *const[]){ "list", NULL });
	tap_ok(rc == 0 && !strcmp(out, "big enabled\n"), "klpctl list: %s", flat(out));
	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out),
			(const char *const[]){ "unload", "nope", NULL });
	tap_ok(rc == 1 && strstr(out, "unload nope: no such module"), "error exit with the kernel's text: %s",
	       flat(out));
	tap_ok(p.signed_cmds == 1 && p.signed_loads == 2,
	       "klpctl signed the unload and the loads (%d, %d), not the list", p.signed_cmds,
	       p.signed_loads);

	/* A request that takes longer than klpctl's retransmissions: the ACK
	 * says how long it may take, klpctl waits that long, and the peer
	 * sends no answer beyond HELLO's, the ACK and the RESULT. */
	p.sent = 0;
	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out),
			(const char *const[]){ "-t", "50", "wait", "slow", NULL });
	tap_ok(rc == 0 && strstr(out, "slow: done") && p.sent == 3,
	       "a 1.5 s request outlasts 9 x 50 ms retransmissions: rc %d, %d frames, %s", rc, p.sent,
	       flat(out));
	/* Longer than the peer announced: klpctl gives up, saying on what. */
	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out),
			(const char *const[]){ "-t", "50", "wait", "stuck", NULL });
	tap_ok(rc == 1 && strstr(out, "no answer from the kernel after waiting 2 s for the fake wait stuck"),
	       "overdue request: klpctl names what it waited for: rc %d, %s", rc, flat(out));

	/* The peer rejects the blob: its message is klpctl's. */
	p.expect_len = 1;
	rc = run_klpctl(klpctl, fixtures, &p, out, sizeof(out),
			(const char *const[]){ "load", path, NULL });
	tap_ok(rc == 1 && strstr(out, "blob differs"), "failed load reported: %s", flat(out));
	tap_ok(live_bytes == 0, "no bytes left allocated after the sessions");
	free(blob);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: patchchan_test KLPCTL FIXTURE_DIR\n");
		return 2;
	}
	/* the peer may answer a klpctl that already gave up */
	signal(SIGPIPE, SIG_IGN);
	test_codec();
	test_xfer();
	test_truncated_frame_resync();
	test_klpctl(argv[1], argv[2]);
	return tap_done();
}
