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

static void usage(void)
{
	fprintf(stderr,
		"usage: klpctl [-s SOCKET] [-t TIMEOUT_MS] [-q] [--fault SPEC] COMMAND\n"
		"  load FILE.klp [param=value ...]\n"
		"  unload NAME | enable NAME | disable NAME | wait NAME\n"
		"  list | dmesg | status\n"
		"  mount [-f] DIR   (the guest's /proc and /sys under DIR: tools/klpfs.py)\n"
		"SPEC: drop=N,dup=N,flip=N,stall=MS,disconnect=N (every Nth frame)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *sock = "build/klp.sock";
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
			die("%s: %s", sock, strerror(errno));
	}
	l.seq = (u16)(now_ms() ^ getpid());
	patchchan_frame_decoder_init(&l.dec);

	l.key = signing_key();
	ret = hello(&l, &a);
	if (ret)
		return finish(&a, ret);
	if (!strcmp(argv[i], "load")) {
		if (i + 1 >= argc)
			usage();
		ret = do_load(&l, argv[i + 1], argc - i - 2, argv + i + 2, &a);
	} else if (!strcmp(argv[i], "list") || !strcmp(argv[i], "dmesg") ||
		   !strcmp(argv[i], "status")) {
		if (i + 1 != argc)
			usage();
		ret = request(&l, PATCHCHAN_T_CMD, argv[i], strlen(argv[i]), true, &a);
	} else if (!strcmp(argv[i], "unload") || !strcmp(argv[i], "enable") ||
		   !strcmp(argv[i], "disable") || !strcmp(argv[i], "wait")) {
		if (i + 2 != argc)
			usage();
		if (snprintf(cmd, sizeof(cmd), "%s %s", argv[i], argv[i + 1]) >= (int)sizeof(cmd))
			die("name too long");
		if (strcmp(argv[i], "wait"))
			ret = signed_cmd(&l, cmd, &a);
		else
			ret = request(&l, PATCHCHAN_T_CMD, cmd, strlen(cmd), true, &a);
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
