/* Authentication of the channel's state-changing requests (docs/SECURITY.md,
 * docs/PROTOCOL.md "Authentication"): the single-use challenge nonce, the
 * check of a request's Ed25519 signature against the kernel's blob-signing
 * keys, and the counters of what was accepted and refused. Runs in the
 * channel thread only (one request at a time), so it needs no lock.
 *
 * With module.sig_enforce=0 requests without a signature are let through
 * (the old behaviour, for experiments); a signature that is there is still
 * checked. */
#define pr_fmt(fmt) "patchchan: " fmt
#include "proto.h"
#include "auth.h"
#include "../../kernel/module/signature.h"
#include <kelp/crypto/ed25519.h>
#include <kelp/crypto/sha512.h>
#include <kelp/random.h>
#include <kelp/time.h>
#include <kelp/printk.h>
#include <kelp/string.h>
#include <kelp/errno.h>
#include <kelp/kstrtox.h>

static u8 nonce[PATCHCHAN_NONCE_LEN];
static bool nonce_valid;
static u64 nonce_issued_ms;
static struct {
	u64 accepted, unauthenticated, stale, forged;
} stats;

static size_t verb_len(const char *cmd)
{
	const char *sp = strchr(cmd, ' ');

	return sp ? (size_t)(sp - cmd) : strlen(cmd);
}

static const char *const changing[] = {
	"unload", "enable", "disable", "fs.write", "fs.append", "kmsg.write",
};

bool patchchan_cmd_changes_state(const char *cmd)
{
	size_t vl = verb_len(cmd);

	for (size_t i = 0; i < ARRAY_SIZE(changing); i++)
		if (strlen(changing[i]) == vl && !memcmp(cmd, changing[i], vl))
			return true;
	return false;
}

static void to_hex(char *out, const u8 *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

/* Exactly 2n hex digits followed by a space. */
static bool from_hex(u8 *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_to_bin(s[2 * i]), lo = hi < 0 ? -1 : hex_to_bin(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (u8)(hi << 4 | lo);
	}
	return s[2 * n] == ' ';
}

int patchchan_nonce_issue(char *out, size_t outlen)
{
	char hex[2 * PATCHCHAN_NONCE_LEN + 1];

	get_random_bytes(nonce, sizeof(nonce));
	nonce_valid = true;
	nonce_issued_ms = ktime_get_ms();
	to_hex(hex, nonce, sizeof(nonce));
	snprintf(out, outlen, "%s", hex);
	return 0;
}

static int refuse_unauth(const char *what, char *out, size_t outlen)
{
	stats.unauthenticated++;
	snprintf(out, outlen,
		 "unauthenticated request: %s changes the kernel's state and needs a signed "
		 "nonce (klpctl signs with the blob key; module.sig_enforce=0 turns this off)",
		 what);
	return -EPERM;
}

/* Takes the nonce the request names: it is good once, and only the latest. */
static int take_nonce(const u8 *n, char *out, size_t outlen)
{
	bool fresh = nonce_valid && !memcmp(n, nonce, sizeof(nonce)) &&
		     ktime_get_ms() - nonce_issued_ms <= PATCHCHAN_NONCE_TTL_MS;

	if (!fresh) {
		stats.stale++;
		snprintf(out, outlen,
			 "stale nonce: not the kernel's current challenge (used, replaced or "
			 "older than %u s); ask for a new one",
			 PATCHCHAN_NONCE_TTL_MS / 1000);
		return -ESTALE;
	}
	nonce_valid = false;
	memset(nonce, 0, sizeof(nonce));
	return 0;
}

/* msg = domain || nonce || body[0] || body[1] */
static int verify(const u8 *n, const u8 *sig, const void *b0, size_t l0, const void *b1, size_t l1,
		  char *out, size_t outlen)
{
	static u8 msg[PATCHCHAN_AUTH_DOMAIN_LEN + PATCHCHAN_NONCE_LEN + PATCHCHAN_TEXT_MAX +
		      PATCHCHAN_NAME_MAX + PATCHCHAN_PARAMS_MAX + 16 + SHA512_DIGEST_SIZE];
	size_t len = 0;

	if (l0 + l1 > sizeof(msg) - PATCHCHAN_AUTH_DOMAIN_LEN - PATCHCHAN_NONCE_LEN) {
		snprintf(out, outlen, "request too long to authenticate");
		return -EINVAL;
	}
	memcpy(msg, PATCHCHAN_AUTH_DOMAIN, PATCHCHAN_AUTH_DOMAIN_LEN);
	len += PATCHCHAN_AUTH_DOMAIN_LEN;
	memcpy(msg + len, n, PATCHCHAN_NONCE_LEN);
	len += PATCHCHAN_NONCE_LEN;
	memcpy(msg + len, b0, l0);
	len += l0;
	if (l1)
		memcpy(msg + len, b1, l1);
	len += l1;
	for (unsigned int i = 0; i < module_sig_nkeys; i++)
		if (!ed25519_verify(sig, module_sig_keys[i].pub, msg, len)) {
			stats.accepted++;
			return 0;
		}
	stats.forged++;
	snprintf(out, outlen,
		 "request signature does not verify: not signed by a trusted key, or the "
		 "request was changed on the way");
	return -EKEYREJECTED;
}

int patchchan_auth_cmd(const char **cmd, char *out, size_t outlen)
{
	const char *c = *cmd;
	u8 n[PATCHCHAN_NONCE_LEN], sig[PATCHCHAN_AUTH_SIG_LEN];

	if (strncmp(c, "auth ", 5)) {
		if (patchchan_cmd_changes_state(c) && module_sig_enforce) {
			char verb[24];
			size_t vl = verb_len(c);

			snprintf(verb, sizeof(verb), "'%.*s'", (int)(vl < 16 ? vl : 16), c);
			return refuse_unauth(verb, out, outlen);
		}
		return 0;
	}
	c += 5;
	if (!from_hex(n, c, sizeof(n)) || !from_hex(sig, c + 2 * sizeof(n) + 1, sizeof(sig))) {
		snprintf(out, outlen, "usage: auth NONCE(32 hex) SIGNATURE(128 hex) COMMAND");
		return -EINVAL;
	}
	c += 2 * sizeof(n) + 1 + 2 * sizeof(sig) + 1;
	int err = take_nonce(n, out, outlen);
	if (!err)
		err = verify(n, sig, c, strlen(c), NULL, 0, out, outlen);
	if (!err)
		*cmd = c;
	return err;
}

int patchchan_auth_load(const u8 *auth, const char *name, const char *params, const u8 *blob,
			u32 len, char *out, size_t outlen)
{
	char head[8 + PATCHCHAN_NAME_MAX + PATCHCHAN_PARAMS_MAX];
	u8 digest[SHA512_DIGEST_SIZE];
	size_t hl;

	if (!auth)
		return module_sig_enforce ? refuse_unauth("'load'", out, outlen) : 0;
	int err = take_nonce(auth, out, outlen);
	if (err)
		return err;
	hl = (size_t)snprintf(head, sizeof(head), "load%c%s%c%s%c", 0, name, 0, params, 0);
	sha512(blob, len, digest);
	return verify(auth, auth + PATCHCHAN_NONCE_LEN, head, hl, digest, sizeof(digest), out,
		      outlen);
}

int patchchan_auth_status(char *out, size_t outlen)
{
	snprintf(out, outlen,
		 "auth: %s\nrandom: %s\naccepted: %llu\nrefused unauthenticated: %llu\n"
		 "refused stale nonce: %llu\nrefused bad signature: %llu\n",
		 module_sig_enforce ? "required" : "off (module.sig_enforce=0)", random_source(),
		 (unsigned long long)stats.accepted, (unsigned long long)stats.unauthenticated,
		 (unsigned long long)stats.stale, (unsigned long long)stats.forged);
	return 0;
}
