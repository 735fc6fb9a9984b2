/* klpctl: the host side of Kelp's serial patch channel (docs/PROTOCOL.md).
 * Talks to COM2 through a UNIX socket (QEMU's -serial unix:...), sends one
 * request at a time and waits for its answer, retransmitting on silence.
 * The frame codec is the kernel's own drivers/patchchan/frame.c.
 *
 *   klpctl [-s SOCKET] [-t MS] [--fault SPEC] COMMAND ...
 *
 * Every frame leaves through link_send(), the one place where the fault
 * injection of --fault (drop=N,dup=N,flip=N,stall=MS,disconnect=N: act on
 * every Nth frame) is applied.
 *
 * State-changing requests (load, unload, enable, disable) are signed
 * (docs/SECURITY.md): klpctl asks the kernel for a nonce and signs
 * nonce || request with the blob-signing key, keys/signing_key.pem next to
 * its build directory or $KLP_KEY, through the openssl CLI as tools/klp-sign
 * does. Without a key it sends the request unsigned (accepted only by a
 * kernel booted with module.sig_enforce=0). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../drivers/patchchan/proto.h"
#include <kelp/kstrtox.h>
#include <kelp/crypto/crc32.h>
#include <kelp/crypto/sha512.h>

struct fault {
	unsigned int drop, dup, flip, disconnect;	/* every Nth frame; 0 = off */
	unsigned int stall_ms;
	unsigned long sent;				/* frames through link_send() */
};

struct link {
	int fd;
	u16 seq;
	unsigned int timeout_ms;
	unsigned int retries;
	struct fault fault;
	struct patchchan_frame_decoder dec;
	bool progress;	/* a progress line while sending, on a terminal */
	bool quiet;	/* -q: neither that nor what a long request waits for */
	const char *key;	/* signs state-changing requests; NULL: unsigned */
	unsigned long retransmits;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "klpctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const u8 *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

static void link_send(struct link *l, const u8 *frame, size_t len)
{
	struct fault *f = &l->fault;
	unsigned long n = ++f->sent;
	u8 copy[PATCHCHAN_FRAME_MAX];

	if (f->disconnect && n == f->disconnect)
		die("fault injection: disconnecting at frame %lu", n);
	if (f->stall_ms)
		usleep(f->stall_ms * 1000u);
	if (f->drop && n % f->drop == 0)
		return;
	if (f->flip && n % f->flip == 0) {
		memcpy(copy, frame, len);
		copy[(n * 7919) % len] ^= 1u << (n % 8);
		frame = copy;
	}
	if (write_all(l->fd, frame, len))
		die("write: %s", strerror(errno));
	if (f->dup && n % f->dup == 0 && write_all(l->fd, frame, len))
		die("write: %s", strerror(errno));
}

/* Next decoded frame, or NULL after deadline (ms on now_ms()'s clock). */
static const struct patchchan_frame *link_recv(struct link *l, u64 deadline)
{
	u8 buf[512];

	if (patchchan_frame_decoder_drain(&l->dec) == PATCHCHAN_DEC_FRAME_READY)
		return &l->dec.frame;
	for (;;) {
		u64 t = now_ms();
		struct pollfd pfd = { .fd = l->fd, .events = POLLIN };
		ssize_t n;

		if (t >= deadline)
			return NULL;
		if (poll(&pfd, 1, (int)(deadline - t)) <= 0)
			continue;
		/* One byte at a time: bytes after a frame belong to the next call. */
		n = read(l->fd, buf, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("connection closed by the kernel");
		if (patchchan_frame_decoder_feed(&l->dec, buf[0]) == PATCHCHAN_DEC_FRAME_READY)
			return &l->dec.frame;
	}
}

struct answer {
	u8 type;
	int status;
	char text[PATCHCHAN_TEXT_MAX + 1];
};

static int take_answer(const struct patchchan_frame *f, struct answer *a)
{
	a->type = f->type;
	a->status = (int)patchchan_get32(f->payload + 2);
	memcpy(a->text, f->payload + 6, f->len - 6);
	a->text[f->len - 6] = 0;
	if (f->type == PATCHCHAN_T_NAK && !a->status)
		return -EPROTO;
	return a->status;
}

/* Sends one request and waits for its answer: ACK (when want_result is
 * false), NAK or RESULT. An ACK of a request that wants a RESULT means the
 * kernel is working on it, and says for how long at most and on what: wait
 * that long, re-sending now and then so that a lost RESULT is sent again;
 * only then fall back to the usual retransmissions. */
static int request(struct link *l, u8 type, const void *payload, u32 len, bool want_result,
		   struct answer *a)
{
	u8 frame[PATCHCHAN_FRAME_MAX];
	u16 seq = l->seq++;
	size_t flen = patchchan_frame_encode(frame, sizeof(frame), type, 0, seq, payload, len);
	unsigned int tries = 0;
	u64 work_until = 0, work_start = 0;	/* set by the "working on it" ACK */
	char what[PATCHCHAN_TEXT_MAX + 1] = "the request";

	if (!flen)
		die("frame too large");
	for (;;) {
		u64 now = now_ms(), deadline;
		const struct patchchan_frame *f;

		if (work_until > now) {
			deadline = work_until < now + PATCHCHAN_WORK_RESEND_MS ?
					   work_until : now + PATCHCHAN_WORK_RESEND_MS;
		} else {
			if (tries > l->retries) {
				if (work_start)
					snprintf(a->text, sizeof(a->text),
						 "no answer from the kernel after waiting %llu s for %s",
						 (unsigned long long)(now - work_start) / 1000, what);
				else
					snprintf(a->text, sizeof(a->text),
						 "no answer from the kernel after %u tries", tries);
				a->type = 0;
				a->status = -ETIMEDOUT;
				return a->status;
			}
			tries++;
			deadline = now + l->timeout_ms;
		}
		if (tries > 1 || work_start)
			l->retransmits++;
		link_send(l, frame, flen);
		while ((f = link_recv(l, deadline))) {
			if (f->len < 2 || patchchan_get16(f->payload) != seq)
				continue;	/* an answer to an older request */
			if ((f->type == PATCHCHAN_T_NAK || f->type == PATCHCHAN_T_RESULT) &&
			    f->len >= 6)
				return take_answer(f, a);
			if (f->type != PATCHCHAN_T_ACK)
				continue;
			if (!want_result) {
				a->type = PATCHCHAN_T_ACK;
				a->status = 0;
				a->text[0] = 0;
				return 0;
			}
			/* alive and busy: wait as long as it says it may take */
			u32 ms = PATCHCHAN_WORK_DEFAULT_MS;

			if (f->len >= 6) {
				ms = patchchan_get32(f->payload + 2);
				if (f->len > 6) {
					memcpy(what, f->payload + 6, f->len - 6);
					what[f->len - 6] = 0;
				}
			}
			now = now_ms();
			if (!work_start) {
				work_start = now;
				if (!l->quiet)
					fprintf(stderr, "klpctl: waiting for %s (up to %u s)\n", what,
						(ms + 999) / 1000);
			}
			work_until = now + ms + PATCHCHAN_WORK_SLACK_MS;
			tries = 1;
			deadline = now + PATCHCHAN_WORK_RESEND_MS < work_until ?
					   now + PATCHCHAN_WORK_RESEND_MS : work_until;
		}
	}
}

/* The kernel's text, each line once; the errno once, unless the text
 * already ends with it ("init failed: Invalid argument (-22)"). */
static int finish(const struct answer *a, int ret)
{
	if (ret) {
		char code[16];
		size_t n = strlen(a->text), cl;
		const char *line = a->text;

		while (n && a->text[n - 1] == '\n')
			n--;
		cl = (size_t)snprintf(code, sizeof(code), "(%d)", ret);
		bool has = n >= cl && !memcmp(a->text + n - cl, code, cl);
		for (const char *nl; (nl = memchr(line, '\n', n - (line - a->text)));
		     line = nl + 1)
			fprintf(stderr, "klpctl: %.*s\n", (int)(nl - line), line);
		fprintf(stderr, "klpctl: %.*s%s%s\n", (int)(n - (line - a->text)), line,
			line < a->text + n && !has ? " " : "", has ? "" : code);
		return 1;
	}
	if (a->text[0])
		printf("%s%s", a->text, a->text[strlen(a->text) - 1] == '\n' ? "" : "\n");
	return 0;
}

static int hello(struct link *l, struct answer *a)
{
	u8 p[4];

	patchchan_put16(p, PATCHCHAN_PROTO_VERSION);
	patchchan_put16(p + 2, PATCHCHAN_FRAME_MAX_PAYLOAD);
	return request(l, PATCHCHAN_T_HELLO, p, sizeof(p), true, a);
}

/* The blob-signing key: $KLP_KEY, else keys/signing_key.pem of the tree
 * klpctl was built in (build/klpctl or build/test/klpctl); NULL if none. */
static const char *signing_key(void)
{
	static const char *const rel[] = { "/../keys/signing_key.pem",
					   "/../../keys/signing_key.pem" };
	static char path[PATH_MAX + 32];
	char exe[PATH_MAX];
	const char *env = getenv("KLP_KEY");
	ssize_t len;

	if (env)
		return *env ? env : NULL;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return NULL;
	exe[len] = 0;
	*strrchr(exe, '/') = 0;
	for (size_t k = 0; k < sizeof(rel) / sizeof(rel[0]); k++) {
		snprintf(path, sizeof(path), "%s%s", exe, rel[k]);
		if (!access(path, R_OK))
			return path;
	}
	return NULL;
}

/* Ed25519 signature of msg with key, by `openssl pkeyutl -sign -rawin`. */
static void sign(const char *key, const u8 *msg, size_t len, u8 sig[PATCHCHAN_AUTH_SIG_LEN])
{
	char dir[] = "/tmp/klpctl.XXXXXX", in[64], out[64];
	int fd, st;
	pid_t pid;
	FILE *f;

	if (!mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(in, sizeof(in), "%s/msg", dir);
	snprintf(out, sizeof(out), "%s/sig", dir);
	fd = open(in, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write_all(fd, msg, len) || close(fd))
		die("%s: %s", in, strerror(errno));
	pid = fork();
	if (pid == 0) {
		execlp("openssl", "openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", in,
		       "-out", out, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("signing the request with %s failed (openssl pkeyutl)", key);
	f = fopen(out, "rb");
	if (!f || fread(sig, 1, PATCHCHAN_AUTH_SIG_LEN, f) != PATCHCHAN_AUTH_SIG_LEN)
		die("openssl produced no %d-byte signature", PATCHCHAN_AUTH_SIG_LEN);
	fclose(f);
	unlink(in);
	unlink(out);
	rmdir(dir);
}

static void to_hex(char *out, const u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* A fresh challenge from the kernel (CMD "nonce"). */
static int get_nonce(struct link *l, u8 nonce[PATCHCHAN_NONCE_LEN], struct answer *a)
{
	int ret = request(l, PATCHCHAN_T_CMD, "nonce", 5, true, a);

	if (ret)
		return ret;
	for (int i = 0; i < PATCHCHAN_NONCE_LEN; i++) {
		unsigned int v;

		if (sscanf(a->text + 2 * i, "%2x", &v) != 1)
			die("the kernel's nonce is malformed: '%s'", a->text);
		nonce[i] = (u8)v;
	}
	return 0;
}

/* Signs domain || nonce || b0 || b1 into sig; false without a key. */
static bool auth_sign(struct link *l, const u8 nonce[PATCHCHAN_NONCE_LEN], const void *b0,
		      size_t l0, const void *b1, size_t l1, u8 sig[PATCHCHAN_AUTH_SIG_LEN])
{
	size_t n = PATCHCHAN_AUTH_DOMAIN_LEN + PATCHCHAN_NONCE_LEN + l0 + l1;
	u8 *msg = malloc(n);

	if (!msg)
		die("out of memory");
	memcpy(msg, PATCHCHAN_AUTH_DOMAIN, PATCHCHAN_AUTH_DOMAIN_LEN);
	memcpy(msg + PATCHCHAN_AUTH_DOMAIN_LEN, nonce, PATCHCHAN_NONCE_LEN);
	memcpy(msg + PATCHCHAN_AUTH_DOMAIN_LEN + PATCHCHAN_NONCE_LEN, b0, l0);
	if (l1)
		memcpy(msg + PATCHCHAN_AUTH_DOMAIN_LEN + PATCHCHAN_NONCE_LEN + l0, b1, l1);
	sign(l->key, msg, n, sig);
	free(msg);
	return true;
}

/* A CMD, signed when klpctl has a key: "auth NONCE SIG CMD". */
static int signed_cmd(struct link *l, const char *cmd, struct answer *a)
{
	u8 nonce[PATCHCHAN_NONCE_LEN], sig[PATCHCHAN_AUTH_SIG_LEN];
	char buf[PATCHCHAN_TEXT_MAX + 1], nh[2 * PATCHCHAN_NONCE_LEN + 1];
	char sh[2 * PATCHCHAN_AUTH_SIG_LEN + 1];
	int ret;

	if (!l->key)
		return request(l, PATCHCHAN_T_CMD, cmd, strlen(cmd), true, a);
	ret = get_nonce(l, nonce, a);
	if (ret)
		return ret;
	auth_sign(l, nonce, cmd, strlen(cmd), NULL, 0, sig);
	to_hex(nh, nonce, sizeof(nonce));
	to_hex(sh, sig, sizeof(sig));
	if (snprintf(buf, sizeof(buf), "auth %s %s %s", nh, sh, cmd) >= (int)sizeof(buf))
		die("command too long to sign");
	return request(l, PATCHCHAN_T_CMD, buf, strlen(buf), true, a);
}

static u8 *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	u8 *buf = NULL;
	long n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die("%s: cannot size", path);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		die("%s: read error", path);
	fclose(f);
	*len = n;
	return buf;
}

/* The module name is the file name up to its first dot, as with Kbuild. */
static void blob_name(const char *path, char *name, size_t size)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strcspn(b, ".");
	if (n == 0 || n >= size)
		die("%s: cannot derive a module name", path);
	memcpy(name, b, n);
	name[n] = 0;
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
}

static int do_load(struct link *l, const char *path, int nparams, char **params,
		   struct answer *a)
{
	u8 p[PATCHCHAN_FRAME_MAX_PAYLOAD];
	char name[PATCHCHAN_NAME_MAX], pstr[PATCHCHAN_PARAMS_MAX] = "";
	size_t len, nl, pl;
	u8 *blob = read_file(path, &len);
	int ret;

	blob_name(path, name, sizeof(name));
	for (int i = 0; i < nparams; i++) {
		if (strlen(pstr) + strlen(params[i]) + 2 > sizeof(pstr))
			die("parameters too long");
		if (i)
			strcat(pstr, " ");
		strcat(pstr, params[i]);
	}
	if (len > 0xffffffffu)
		die("%s: too big", path);
	nl = strlen(name);
	pl = strlen(pstr);
	patchchan_put32(p, (u32)len);
	p[4] = (u8)nl;
	p[5] = 0;
	patchchan_put16(p + 6, (u16)pl);
	memcpy(p + 8, name, nl);
	memcpy(p + 8 + nl, pstr, pl);
	ret = request(l, PATCHCHAN_T_BEGIN, p, 8 + nl + pl, false, a);
	if (ret)
		goto out;
	for (size_t off = 0; off < len;) {
		size_t n = len - off < PATCHCHAN_DATA_CHUNK ? len - off : PATCHCHAN_DATA_CHUNK;

		patchchan_put32(p, (u32)off);
		memcpy(p + 4, blob + off, n);
		ret = request(l, PATCHCHAN_T_DATA, p, 4 + n, false, a);
		if (ret)
			goto out;
		off += n;
		if (l->progress)
			fprintf(stderr, "\rklpctl: sending %s: %zu/%zu bytes (%zu%%)", name, off,
				len, off * 100 / len);
	}
	if (l->progress)
		fprintf(stderr, "\n");
	patchchan_put32(p, crc32(0, blob, len));
	if (l->key) {
		/* the nonce last: a long transfer must not outlive it */
		char head[8 + PATCHCHAN_NAME_MAX + PATCHCHAN_PARAMS_MAX];
		u8 digest[SHA512_DIGEST_SIZE];
		int hl = snprintf(head, sizeof(head), "load%c%s%c%s%c", 0, name, 0, pstr, 0);

		ret = get_nonce(l, p + 4, a);
		if (ret)
			goto out;
		sha512(blob, len, digest);
		auth_sign(l, p + 4, head, (size_t)hl, digest, sizeof(digest),
			  p + 4 + PATCHCHAN_NONCE_LEN);
		ret = request(l, PATCHCHAN_T_END, p, PATCHCHAN_END_AUTH_LEN, true, a);
	} else {
		ret = request(l, PATCHCHAN_T_END, p, 4, true, a);
	}
out:
	free(blob);
	return ret;
}

static void parse_fault(struct fault *f, char *spec)
{
	for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
		char *eq = strchr(tok, '=');
		unsigned int v;

		if (!eq)
			die("--fault: expected key=value, got '%s'", tok);
		*eq = 0;
		if (kstrtouint(eq + 1, 0, &v))
			die("--fault: %s=%s: not a number of 0 to %u", tok, eq + 1, UINT32_MAX);
		if (!strcmp(tok, "drop"))
			f->drop = v;
		else if (!strcmp(tok, "dup"))
			f->dup = v;
		else if (!strcmp(tok, "flip"))
			f->flip = v;
		else if (!strcmp(tok, "stall"))
			f->stall_ms = v;
		else if (!strcmp(tok, "disconnect"))
			f->disconnect = v;
		else
			die("--fault: unknown fault '%s'", tok);
	}
}

static void usage(void);

/* ---- reading the guest's files: status, list, timeline, trace ---- */

#define LP_DEBUG "/sys/kernel/debug/livepatch/"
/* The kernel's own limit for `wait` (drivers/patchchan/channel.c): klpctl
 * waits as long when it follows a transition itself. */
#define WAIT_LIMIT_MS 60000
#define POLL_MS 250

/* A whole pseudo-fs file by `fs.read OFFSET PATH` chunks; *out is malloc'd
 * and NUL-terminated. */
static int fs_read_all(struct link *l, const char *path, char **out, struct answer *a)
{
	char cmd[PATCHCHAN_TEXT_MAX + 1], *buf = NULL;
	size_t got = 0, size;

	do {
		snprintf(cmd, sizeof(cmd), "fs.read %zu %s", got, path);
		int ret = request(l, PATCHCHAN_T_CMD, cmd, strlen(cmd), true, a);
		char *nl = strchr(a->text, '\n');
		size_t n;

		if (ret) {
			free(buf);
			return ret;
		}
		if (!nl)
			die("fs.read %s: malformed answer '%s'", path, a->text);
		size = strtoul(a->text, NULL, 10);
		n = strlen(nl + 1);
		buf = realloc(buf, got + n + 1);
		if (!buf)
			die("out of memory");
		memcpy(buf + got, nl + 1, n);
		got += n;
		if (!n)
			break;
	} while (got < size);
	if (!buf && !(buf = malloc(1)))
		die("out of memory");
	buf[got] = 0;
	*out = buf;
	return 0;
}

struct tstatus {
	char name[PATCHCHAN_NAME_MAX];
	char direction[16];
	bool active, reversed, forced;
	double elapsed;
	unsigned int switched, total;
	char block[PATCHCHAN_TEXT_MAX + 1];	/* the "blocking:" lines, "PID COMM: why" */
	char first[256];			/* the first of them */
};

/* The status of name's newest transition (NULL: the newest of all) from
 * /sys/kernel/debug/livepatch/transition_status; -ENOENT if none is kept. */
static int get_status(struct link *l, const char *name, struct tstatus *st, struct answer *a)
{
	char *text, *blk, *save = NULL;
	int ret = fs_read_all(l, LP_DEBUG "transition_status", &text, a);

	if (ret)
		return ret;
	ret = -ENOENT;
	/* blocks are separated by a blank line */
	for (blk = text; blk && *blk; blk = save) {
		char *end = strstr(blk, "\n\n");

		save = end ? end + 2 : NULL;
		if (end)
			end[1] = 0;
		memset(st, 0, sizeof(*st));
		for (char *line = strtok(blk, "\n"); line; line = strtok(NULL, "\n")) {
			sscanf(line, "patch: %55s", st->name);
			sscanf(line, "direction: %15s", st->direction);
			sscanf(line, "elapsed: %lf", &st->elapsed);
			sscanf(line, "switched: %u of %u", &st->switched, &st->total);
			if (!strcmp(line, "state: in transition"))
				st->active = true;
			if (!strcmp(line, "reversed: yes"))
				st->reversed = true;
			if (!strcmp(line, "forced: yes"))
				st->forced = true;
			if (!strncmp(line, "blocking: ", 10)) {
				size_t bl = strlen(st->block);
				if (!st->first[0])
					snprintf(st->first, sizeof(st->first), "%s", line + 10);
				snprintf(st->block + bl, sizeof(st->block) - bl, "  blocking: %s\n",
					 line + 10);
			}
		}
		if (!name || !strcmp(st->name, name)) {
			ret = 0;
			break;
		}
	}
	free(text);
	if (ret)
		snprintf(a->text, sizeof(a->text), "no transition of %s recorded",
			 name ? name : "any livepatch");
	return ret;
}

static void print_status(const struct tstatus *st)
{
	printf("%s: %s transition %s %.3f s%s%s\n", st->name, st->direction,
	       st->active ? "in progress for" : "complete in", st->elapsed,
	       st->reversed ? " (reversed)" : "", st->forced ? " (forced)" : "");
	printf("  %u of %u tasks switched\n", st->switched, st->total);
	fputs(st->block, stdout);
}

/* One line of where a transition stands, for progress and timeouts. */
static void status_line(char *out, size_t len, const struct tstatus *st)
{
	int n = snprintf(out, len, "%s: %s, %u of %u tasks switched, %.1f s", st->name,
			 st->direction, st->switched, st->total, st->elapsed);

	if (st->first[0] && n > 0 && (size_t)n < len)
		snprintf(out + n, len - n, "; blocking: %s", st->first);
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* klpctl status [NAME] [--watch] */
static int do_status(struct link *l, const char *name, bool watch, struct answer *a)
{
	bool tty = isatty(1);
	char last[sizeof(((struct tstatus *)0)->block) + 64] = "";

	for (;;) {
		struct tstatus st;
		char now[sizeof(last)];
		int ret = get_status(l, name, &st, a);

		if (ret)
			return ret;
		snprintf(now, sizeof(now), "%u/%u %d\n%s", st.switched, st.total, st.active,
			 st.block);
		if (!watch) {
			print_status(&st);
			break;
		}
		if (tty) {
			printf("\033[H\033[2J");	/* a live view: redraw in place */
			print_status(&st);
		} else if (strcmp(now, last) || !st.active) {
			print_status(&st);	/* a log: each change once */
		}
		fflush(stdout);
		strcpy(last, now);
		if (!st.active)
			break;
		sleep_ms(500);
	}
	a->text[0] = 0;
	return 0;
}

/* klpctl wait on a terminal: follows the transition with a progress line,
 * as long as the kernel's own `wait` would. */
static int wait_progress(struct link *l, const char *name, struct answer *a)
{
	u64 start = now_ms();
	char line[512] = "";

	for (;;) {
		struct tstatus st;
		int ret = get_status(l, name, &st, a);

		if (ret == -ENOENT)
			return 1;	/* no transition recorded: the kernel's wait says why */
		if (ret)
			return ret;
		status_line(line, sizeof(line), &st);
		if (!st.active) {
			fprintf(stderr, "\r\033[K");
			snprintf(a->text, sizeof(a->text), "%s: transition complete (%s)", name,
				 strcmp(st.direction, "patching") ? "disabled" : "enabled");
			return 0;
		}
		if (now_ms() - start > WAIT_LIMIT_MS) {
			fprintf(stderr, "\r\033[K");
			snprintf(a->text, sizeof(a->text),
				 "%s: still in transition after %d s of waiting for its transition to "
				 "finish (%s)",
				 name, WAIT_LIMIT_MS / 1000, line);
			return -ETIMEDOUT;
		}
		fprintf(stderr, "\r\033[Kklpctl: %s", line);
		sleep_ms(POLL_MS);
	}
}

/* klpctl wait NAME: the kernel's `wait`, or on a terminal a progress line;
 * a timeout names what it waited for and what holds it. */
static int do_wait(struct link *l, const char *name, struct answer *a)
{
	char cmd[PATCHCHAN_TEXT_MAX + 1];
	int ret;

	if (l->progress && (ret = wait_progress(l, name, a)) != 1)
		return ret;
	snprintf(cmd, sizeof(cmd), "wait %s", name);
	ret = request(l, PATCHCHAN_T_CMD, cmd, strlen(cmd), true, a);
	/* the kernel's own timeout (not a silent kernel): add who holds it */
	if (ret == -ETIMEDOUT && a->type == PATCHCHAN_T_RESULT) {
		struct answer b;
		struct tstatus st;
		char line[512];
		size_t n = strlen(a->text);

		if (!get_status(l, name, &st, &b) && st.active) {
			status_line(line, sizeof(line), &st);
			snprintf(a->text + n, sizeof(a->text) - n, " (%s)", line);
		}
	}
	return ret;
}

/* klpctl remove NAME: disable, wait, unload, as kpatch unload does. */
static int do_remove(struct link *l, const char *name, struct answer *a)
{
	char cmd[PATCHCHAN_TEXT_MAX + 1];
	int ret;

	snprintf(cmd, sizeof(cmd), "disable %s", name);
	ret = signed_cmd(l, cmd, a);
	/* no livepatch directory: already disabled, or a plain module */
	if (ret && ret != -ENOENT)
		return ret;
	if (!ret) {
		printf("%s\n", a->text);
		ret = do_wait(l, name, a);
		if (ret)
			return ret;
		printf("%s\n", a->text);
	}
	snprintf(cmd, sizeof(cmd), "unload %s", name);
	return signed_cmd(l, cmd, a);
}

/* klpctl list: each module's role and state (the kernel's
 * /sys/kernel/debug/livepatch/modules), else the channel's plain list. */
static int do_list(struct link *l, struct answer *a)
{
	char *text;
	int ret = fs_read_all(l, LP_DEBUG "modules", &text, a);

	if (ret)
		return request(l, PATCHCHAN_T_CMD, "list", 4, true, a);
	fputs(text, stdout);
	free(text);
	a->text[0] = 0;
	return 0;
}

/* A helper script of the tree klpctl was built in (build/klpctl or
 * build/test/klpctl): tools/NAME. */
static const char *find_tool(const char *name)
{
	static const char *const rel[] = { "/../tools/", "/../../tools/" };
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len < 0)
		die("/proc/self/exe: %s", strerror(errno));
	exe[len] = 0;
	*strrchr(exe, '/') = 0;
	for (size_t k = 0; k < sizeof(rel) / sizeof(rel[0]); k++) {
		snprintf(path, sizeof(path), "%s%s%s", exe, rel[k], name);
		if (!access(path, R_OK))
			return path;
	}
	die("tools/%s not found next to %s (klpctl runs from its Kelp tree's build/)", name, exe);
	return NULL;
}

/* Runs /usr/bin/python3 SCRIPT ARGS...; its exit status. */
static int run_python(const char *script, const char *const *args)
{
	const char *argv[8] = { "python3", script };
	int n = 2, st;
	pid_t pid;

	while (*args && n < 7)
		argv[n++] = *args++;
	argv[n] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execv("/usr/bin/python3", (char *const *)argv);
		fprintf(stderr, "klpctl: /usr/bin/python3: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		die("cannot run %s", script);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;

	if (!f || fwrite(text, 1, len, f) != len || (f != stdout && fclose(f)))
		die("%s: %s", path, strerror(errno));
}

struct jbuf {
	char *p;
	size_t len, cap;
};

static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len)
			break;
		b->cap = b->cap * 2 + (size_t)n + 256;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("out of memory");
	}
	b->len += (size_t)n;
}

/* Names in the guest's text are [A-Za-z0-9_.:-] and task names have no
 * quotes; still, anything else is escaped. */
static void jb_str(struct jbuf *b, const char *s)
{
	jb_printf(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			jb_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			jb_printf(b, "\\u%04x", (unsigned char)*s);
		else
			jb_printf(b, "%c", *s);
	}
	jb_printf(b, "\"");
}

static const char *why_text(const char *why, char *buf, size_t len, const char *func)
{
	if (!strcmp(why, "sleeping") && func && *func)
		snprintf(buf, len, "sleeping in %s", func);
	else if (!strcmp(why, "unreliable_stack"))
		snprintf(buf, len, "unreliable stack");
	else if (!strcmp(why, "error"))
		snprintf(buf, len, "error %s", func ? func : "");
	else
		snprintf(buf, len, "%s", why);
	return buf;
}

/* The kernel's timeline text of name's newest transition as Chrome Trace
 * Event JSON: process 0 is the transition, its one thread its own events
 * (start, reversal, completion, and its whole span); process 1 has one
 * thread per task (tid = pid; the idle task's is 0) with
 * when it was marked, each interval a check found it blocked and why (a
 * run of failed checks with one reason is one slice, its count in args),
 * and when it switched. Timestamps are the guest's (us since boot). */
static int timeline_json(const char *text, const char *name, struct jbuf *b)
{
	char *copy = strdup(text), *line, *save;
	bool in = false, found = false, first = true;
	char tname[PATCHCHAN_NAME_MAX] = "", dir[16] = "", state[64] = "";
	unsigned long long start = 0, end = 0, last = 0;

	if (!copy)
		die("out of memory");
	jb_printf(b, "{\"traceEvents\":[");
#define SEP() (first ? (first = false, "") : ",\n")
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char kind[16], why[32], arg[64] = "", comm[32], buf[128];
		unsigned long long t0, t1;
		int pid;
		unsigned int count;

		if (!strncmp(line, "transition ", 11)) {
			if (found)
				break;	/* newest first: the first of name's is its last */
			if (sscanf(line, "transition %55s %15s seq=%*u start=%llu end=%llu state=%63s",
				   tname, dir, &start, &end, state) != 5)
				die("timeline: malformed line '%s'", line);
			in = !strcmp(tname, name);
			if (!in)
				continue;
			found = true;
			jb_printf(b, "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":0,\"args\":"
				     "{\"name\":\"livepatch transition: %s (%s)\"}}",
				  SEP(), tname, dir);
			jb_printf(b, ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":0,\"tid\":0,"
				     "\"args\":{\"name\":\"transition\"}}");
			jb_printf(b, ",\n{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,"
				     "\"args\":{\"name\":\"tasks\"}}");
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "task %d %31s", &pid, comm) == 2) {
			jb_printf(b, "%s{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%d,"
				     "\"args\":{\"name\":",
				  SEP(), pid);
			snprintf(buf, sizeof(buf), "%s:%d", comm, pid);
			jb_str(b, buf);
			jb_printf(b, "}}");
			continue;
		}
		if (sscanf(line, "event %15s %llu %llu %d %u %31s %63s", kind, &t0, &t1, &pid, &count,
			   why, arg) < 6)
			die("timeline: malformed line '%s'", line);
		if (t1 > last)
			last = t1;
		if (!strcmp(kind, "start") || !strcmp(kind, "reverse") ||
		    !strcmp(kind, "complete")) {
			jb_printf(b, "%s{\"ph\":\"i\",\"s\":\"p\",\"cat\":\"transition\",\"name\":\"%s %s"
				     "\",\"ts\":%.3f,\"pid\":0,\"tid\":0}",
				  SEP(), kind, why, t0 / 1000.0);
		} else if (!strcmp(kind, "mark")) {
			jb_printf(b, "%s{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"task\",\"name\":\"marked\","
				     "\"ts\":%.3f,\"pid\":1,\"tid\":%d}",
				  SEP(), t0 / 1000.0, pid);
		} else if (!strcmp(kind, "block")) {
			jb_printf(b, "%s{\"ph\":\"X\",\"cat\":\"blocked\",\"name\":", SEP());
			jb_str(b, why_text(why, buf, sizeof(buf), arg));
			jb_printf(b, ",\"ts\":%.3f,\"dur\":%.3f,\"pid\":1,\"tid\":%d,\"args\":"
				     "{\"reason\":\"%s\",\"checks\":%u",
				  t0 / 1000.0, (t1 - t0) / 1000.0, pid, why, count);
			if (arg[0]) {
				jb_printf(b, ",\"function\":");
				jb_str(b, arg);
			}
			jb_printf(b, "}}");
		} else if (!strcmp(kind, "switch")) {
			jb_printf(b, "%s{\"ph\":\"i\",\"s\":\"t\",\"cat\":\"task\",\"name\":\"switched"
				     "\",\"ts\":%.3f,\"pid\":1,\"tid\":%d,\"args\":{\"how\":\"%s\"}}",
				  SEP(), t0 / 1000.0, pid, why);
		}
	}
	if (found)
		jb_printf(b, "%s{\"ph\":\"X\",\"cat\":\"transition\",\"name\":\"%s transition\","
			     "\"ts\":%.3f,\"dur\":%.3f,\"pid\":0,\"tid\":0,\"args\":{\"state\":\"%s\"}}",
			  SEP(), dir, start / 1000.0, ((end ? end : last) - start) / 1000.0, state);
#undef SEP
	jb_printf(b, "],\n\"displayTimeUnit\":\"ms\",\"otherData\":{\"patch\":");
	jb_str(b, name);
	jb_printf(b, ",\"direction\":\"%s\",\"state\":\"%s\",\"clock\":\"guest\"}}\n", dir, state);
	free(copy);
	return found ? 0 : -ENOENT;
}

/* klpctl timeline NAME [-o FILE.json] [--svg FILE.svg] */
static int do_timeline(struct link *l, int argc, char **argv, struct answer *a)
{
	const char *name = NULL, *out = NULL, *svg = NULL;
	struct jbuf b = { 0 };
	char *text;
	int ret;

	for (int k = 0; k < argc; k++) {
		if (!strcmp(argv[k], "-o") && k + 1 < argc)
			out = argv[++k];
		else if (!strcmp(argv[k], "--svg") && k + 1 < argc)
			svg = argv[++k];
		else if (argv[k][0] != '-' && !name)
			name = argv[k];
		else
			usage();
	}
	if (!name)
		usage();
	ret = fs_read_all(l, LP_DEBUG "timeline", &text, a);
	if (ret)
		return ret;
	ret = timeline_json(text, name, &b);
	free(text);
	if (ret) {
		snprintf(a->text, sizeof(a->text),
			 "no transition of %s recorded (the kernel keeps the last two)", name);
		free(b.p);
		return ret;
	}
	if (out || !svg)
		write_file(out ? out : "-", b.p, b.len);
	if (svg) {
		char tmp[] = "/tmp/klpctl-timeline.XXXXXX";
		int fd = mkstemp(tmp);
		const char *args[] = { tmp, svg, NULL };

		if (fd < 0 || write_all(fd, (const u8 *)b.p, b.len) || close(fd))
			die("%s: %s", tmp, strerror(errno));
		ret = run_python(find_tool("timeline2svg.py"), args);
		unlink(tmp);
		if (ret)
			die("tools/timeline2svg.py failed (%d)", ret);
	}
	free(b.p);
	a->text[0] = 0;
	return 0;
}

/* klpctl trace [-o FILE.json]: the function tracer's buffer
 * (/sys/kernel/tracing/trace) as Chrome Trace Event JSON, through
 * tools/klptrace.py (trace2json.py's conversion, with thread names). */
static int do_trace(struct link *l, int argc, char **argv, struct answer *a)
{
	const char *out = "-";
	char tmp[] = "/tmp/klpctl-trace.XXXXXX", *text;
	int fd, ret;

	if (argc == 2 && !strcmp(argv[0], "-o"))
		out = argv[1];
	else if (argc)
		usage();
	ret = fs_read_all(l, "/sys/kernel/tracing/trace", &text, a);
	if (ret)
		return ret;
	fd = mkstemp(tmp);
	if (fd < 0 || write_all(fd, (const u8 *)text, strlen(text)) || close(fd))
		die("%s: %s", tmp, strerror(errno));
	free(text);
	const char *args[] = { tmp, out, NULL };
	ret = run_python(find_tool("klptrace.py"), args);
	unlink(tmp);
	if (ret)
		die("tools/klptrace.py failed (%d)", ret);
	a->text[0] = 0;
	return 0;
}

/* klpctl mount: runs the FUSE bridge, tools/klpfs.py, found from klpctl's
 * own path (build/klpctl or build/test/klpctl) unless $KLPFS names it. */
static int mount_bridge(const char *sock, int argc, char **argv)
{
	static const char *const rel[] = { "/../tools/klpfs.py", "/../../tools/klpfs.py" };
	char exe[PATH_MAX], path[PATH_MAX + 32];
	const char *fs = getenv("KLPFS");
	char *args[8];
	int n = 0;

	if (argc < 1 || argc > 2 || (argc == 2 && strcmp(argv[0], "-f")))
		usage();
	if (!fs) {
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len < 0)
			die("/proc/self/exe: %s", strerror(errno));
		exe[len] = 0;
		*strrchr(exe, '/') = 0;
		for (size_t k = 0; k < sizeof(rel) / sizeof(rel[0]) && !fs; k++) {
			snprintf(path, sizeof(path), "%s%s", exe, rel[k]);
			if (!access(path, R_OK))
				fs = path;
		}
		if (!fs)
			die("tools/klpfs.py not found next to %s (set KLPFS)", exe);
	}
	args[n++] = "python3";
	args[n++] = (char *)fs;
	args[n++] = "-s";
	args[n++] = (char *)sock;
	for (int k = 0; k < argc; k++)
		args[n++] = argv[k];
	args[n] = NULL;
	execv("/usr/bin/python3", args);
	die("/usr/bin/python3: %s", strerror(errno));
	return 2;
}

/* build/klp.sock from the top of the tree (make run's COM2), else the
 * socket next to klpctl itself (build/klpctl -> build/klp.sock), so that
 * klpctl works from anywhere. */
static const char *default_socket(void)
{
	static char path[PATH_MAX + 16];
	char exe[PATH_MAX];
	ssize_t len;

	if (!access("build/klp.sock", F_OK))
		return "build/klp.sock";
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return "build/klp.sock";
	exe[len] = 0;
	*strrchr(exe, '/') = 0;
	snprintf(path, sizeof(path), "%s/klp.sock", exe);
	return path;
}

/* What a failed connect means, and what to do. */
static void connect_failed(const char *sock, int err)
{
	if (err == ENOENT)
		die("%s: no such socket: no Kelp VM is running with its patch channel there.\n"
		    "  Start one with `make run` (COM2 becomes build/klp.sock) in the Kelp tree,"
		    " then run klpctl from the top of the tree, or pass -s PATH/build/klp.sock",
		    sock);
	if (err == ECONNREFUSED)
		die("%s: connection refused: the VM that made this socket is gone (QEMU exited).\n"
		    "  Start Kelp again with `make run`",
		    sock);
	if (err == ENOTSOCK)
		die("%s: not a socket: pass -s with QEMU's COM2 socket (make run's is build/klp.sock)",
		    sock);
	die("%s: %s", sock, strerror(err));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: klpctl [-s SOCKET] [-t TIMEOUT_MS] [-q] [--fault SPEC] COMMAND\n"
		"  load FILE.klp [param=value ...]\n"
		"  unload NAME | enable NAME | disable NAME | wait NAME\n"
		"  remove NAME      (disable, wait for the transition, unload)\n"
		"  list             (each module's role and state)\n"
		"  status [NAME] [--watch]   (a transition: progress, tasks still blocking)\n"
		"  timeline NAME [-o FILE.json] [--svg FILE.svg]   (its last transition)\n"
		"  trace [-o FILE.json]      (the function tracer's buffer as Chrome JSON)\n"
		"  dmesg | auth-status\n"
		"  mount [-f] DIR   (the guest's /proc and /sys under DIR: tools/klpfs.py)\n"
		"SOCKET: default build/klp.sock (make run), else the one next to klpctl\n"
		"SPEC: drop=N,dup=N,flip=N,stall=MS,disconnect=N (every Nth frame)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *sock = NULL;
	struct link l = { .timeout_ms = PATCHCHAN_ACK_TIMEOUT_MS, .retries = PATCHCHAN_RETRIES };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct answer a = { 0 };
	char cmd[PATCHCHAN_TEXT_MAX + 1];
	int i, ret;

	l.progress = isatty(2);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			sock = argv[++i];
		else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			if (kstrtouint(argv[++i], 0, &l.timeout_ms) || !l.timeout_ms ||
			    l.timeout_ms > 3600000)
				die("-t %s: a timeout of 1 to 3600000 ms", argv[i]);
		}
		else if (!strcmp(argv[i], "-q"))
			l.progress = false, l.quiet = true;
		else if (!strcmp(argv[i], "--fault") && i + 1 < argc)
			parse_fault(&l.fault, argv[++i]);
		else
			usage();
	}
	if (i >= argc)
		usage();
	if (!sock)
		sock = default_socket();
	if (!strcmp(argv[i], "mount"))
		return mount_bridge(sock, argc - i - 1, argv + i + 1);

	/* A socket fd passed as "fd:N" lets tests hand over one end of a socketpair. */
	if (!strncmp(sock, "fd:", 3)) {
		unsigned int fd;

		if (kstrtouint(sock + 3, 10, &fd) || fd > INT32_MAX)
			die("-s %s: not a file descriptor", sock);
		l.fd = (int)fd;
	} else {
		if (strlen(sock) >= sizeof(sa.sun_path))
			die("socket path too long");
		strcpy(sa.sun_path, sock);
		l.fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (l.fd < 0 || connect(l.fd, (struct sockaddr *)&sa, sizeof(sa)))
			connect_failed(sock, errno);
	}
	l.seq = (u16)(now_ms() ^ getpid());
	patchchan_frame_decoder_init(&l.dec);

	l.key = signing_key();
	ret = hello(&l, &a);
	if (ret == -ETIMEDOUT)
		snprintf(a.text + strlen(a.text), sizeof(a.text) - strlen(a.text),
			 ": QEMU is running but the kernel does not answer on COM2 (still booting? "
			 "booted with klp.channel=0, selftest or bench? another klpctl connected?)");
	if (ret)
		return finish(&a, ret);
	if (!strcmp(argv[i], "load")) {
		if (i + 1 >= argc)
			usage();
		ret = do_load(&l, argv[i + 1], argc - i - 2, argv + i + 2, &a);
	} else if (!strcmp(argv[i], "list")) {
		if (i + 1 != argc)
			usage();
		ret = do_list(&l, &a);
	} else if (!strcmp(argv[i], "dmesg") || !strcmp(argv[i], "auth-status")) {
		if (i + 1 != argc)
			usage();
		/* the channel's verb for the authentication state is "status" */
		ret = !strcmp(argv[i], "dmesg") ? request(&l, PATCHCHAN_T_CMD, "dmesg", 5, true, &a) :
						  request(&l, PATCHCHAN_T_CMD, "status", 6, true, &a);
	} else if (!strcmp(argv[i], "status")) {
		bool watch = false;
		const char *name = NULL;

		for (int k = i + 1; k < argc; k++) {
			if (!strcmp(argv[k], "--watch") || !strcmp(argv[k], "-w"))
				watch = true;
			else if (argv[k][0] != '-' && !name)
				name = argv[k];
			else
				usage();
		}
		ret = do_status(&l, name, watch, &a);
	} else if (!strcmp(argv[i], "timeline")) {
		ret = do_timeline(&l, argc - i - 1, argv + i + 1, &a);
	} else if (!strcmp(argv[i], "trace")) {
		ret = do_trace(&l, argc - i - 1, argv + i + 1, &a);
	} else if (!strcmp(argv[i], "unload") || !strcmp(argv[i], "enable") ||
		   !strcmp(argv[i], "disable") || !strcmp(argv[i], "wait") ||
		   !strcmp(argv[i], "remove")) {
		if (i + 2 != argc)
			usage();
		if (snprintf(cmd, sizeof(cmd), "%s %s", argv[i], argv[i + 1]) >= (int)sizeof(cmd))
			die("name too long");
		if (!strcmp(argv[i], "wait"))
			ret = do_wait(&l, argv[i + 1], &a);
		else if (!strcmp(argv[i], "remove"))
			ret = do_remove(&l, argv[i + 1], &a);
		else
			ret = signed_cmd(&l, cmd, &a);
	} else {
		usage();
	}
	if (l.retransmits)
		fprintf(stderr, "klpctl: %lu retransmissions\n", l.retransmits);
	if (ret == -EPERM && !l.key)
		fprintf(stderr, "klpctl: no signing key (keys/signing_key.pem or $KLP_KEY)\n");
	close(l.fd);
	return finish(&a, ret);
}
