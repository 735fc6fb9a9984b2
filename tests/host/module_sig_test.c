/* Host tests for kernel/module/signature.c on blobs signed by tools/klp-sign
 * (via OpenSSL) under throw-away keys: key A is trusted, key B is not.
 * usage: module_sig_test FIXTURE_DIR (see tests/host/mkfixtures.sh) */
#include "testutil.h"
#include "../../kernel/module/signature.h"
#include <kelp/errno.h>

/* The kernel's table comes from the build; the tests pass their own keys. */
const struct module_sig_key module_sig_keys[1];
const unsigned int module_sig_nkeys = 0;

static struct module_sig_key keys[2];
static u8 *blob;
static size_t blob_len, obj_len;

static int check(const u8 *b, size_t len, unsigned int nkeys, char *why)
{
	size_t plen = 0;
	int ret = module_sig_check_keys(b, len, keys, nkeys, &plen, why, 200);

	if (!ret && plen != obj_len)
		return -1000;
	return ret;
}

/* A copy in its own allocation of exactly len bytes, so ASan sees overreads. */
static int check_mutated(size_t len, size_t flip_at, u8 mask, unsigned int nkeys, char *why)
{
	u8 *c = malloc(len ? len : 1);
	int ret;

	memcpy(c, blob, len);
	if (flip_at < len)
		c[flip_at] ^= mask;
	ret = check(c, len, nkeys, why);
	free(c);
	return ret;
}

int main(int argc, char **argv)
{
	char why[200];
	size_t n, tl = sizeof(struct module_sig_trailer);
	u8 *pub, *other;
	int ret, bad = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: module_sig_test FIXTURE_DIR\n");
		return 2;
	}
	pub = read_fixture(argv[1], "key_a.pub", &n);
	memcpy(keys[0].pub, pub, 32);
	other = read_fixture(argv[1], "key_b.pub", &n);
	memcpy(keys[1].pub, other, 32);
	free(read_fixture(argv[1], "simple_bid.o", &obj_len));
	blob = read_fixture(argv[1], "simple_a.klp", &blob_len);

	tap_ok(blob_len == obj_len + 64 + tl, "klp-sign appends 64 + %zu bytes", tl);
	ret = check(blob, blob_len, 1, why);
	tap_ok(ret == 0, "valid signature accepted (%d %s)", ret, why);
	ret = check(blob, blob_len, 2, why);
	tap_ok(ret == 0, "accepted with two trusted keys");

	ret = check_mutated(blob_len, 100, 0x01, 1, why);
	tap_ok(ret == -EKEYREJECTED && strstr(why, "signature does not verify"),
	       "flipped payload bit: %d %s", ret, why);
	ret = check_mutated(blob_len, obj_len + 40, 0x01, 1, why);
	tap_ok(ret == -EKEYREJECTED, "flipped signature bit (S): %d %s", ret, why);
	ret = check_mutated(blob_len, obj_len + 3, 0x10, 1, why);
	tap_ok(ret == -EKEYREJECTED, "flipped signature bit (R): %d %s", ret, why);
	ret = check_mutated(blob_len, blob_len - tl + 2, 0x01, 1, why);
	tap_ok(ret == -ENODATA && !strcmp(why, "no signature"), "flipped magic: %d %s", ret, why);
	ret = check_mutated(blob_len, blob_len - tl + 16, 0x01, 1, why);
	tap_ok(ret == -EBADMSG && strstr(why, "unknown version 0"), "version: %s", why);
	ret = check_mutated(blob_len, blob_len - tl + 17, 0x02, 1, why);
	tap_ok(ret == -EBADMSG && strstr(why, "unknown algorithm 3"), "algorithm: %s", why);
	ret = check_mutated(blob_len, blob_len - tl + 18, 0x01, 1, why);
	tap_ok(ret == -ENOKEY && strstr(why, "unknown key"), "key id bit: %s", why);
	ret = check_mutated(blob_len, blob_len - tl + 26, 0x01, 1, why);
	tap_ok(ret == -EBADMSG && strstr(why, "padding"), "padding: %s", why);
	ret = check_mutated(blob_len, blob_len - 1, 0x01, 1, why);
	tap_ok(ret == -EBADMSG && strstr(why, "signature length 65"), "sig_len 65: %s", why);
	ret = check_mutated(blob_len, blob_len - 4, 0x80, 1, why);
	tap_ok(ret == -EBADMSG, "sig_len huge: %s", why);

	ret = check_mutated(blob_len - 1, ~(size_t)0, 0, 1, why);
	tap_ok(ret == -ENODATA, "truncated by one byte: %d %s", ret, why);
	ret = check_mutated(obj_len, ~(size_t)0, 0, 1, why);
	tap_ok(ret == -ENODATA && !strcmp(why, "no signature"), "no trailer: %s", why);
	ret = check_mutated(10, ~(size_t)0, 0, 1, why);
	tap_ok(ret == -ENODATA && strstr(why, "too short"), "10-byte blob: %s", why);
	/* Trailer and signature only: an empty payload. */
	{
		u8 *c = malloc(64 + tl);

		memcpy(c, blob + obj_len, 64 + tl);
		ret = check(c, 64 + tl, 1, why);
		tap_ok(ret == -EBADMSG && strstr(why, "empty payload"), "empty payload: %s", why);
		ret = check(c + 1, 63 + tl, 1, why);
		tap_ok(ret == -EBADMSG && strstr(why, "longer than the blob"), "short: %s", why);
		free(c);
	}
	for (size_t len = 0; len < blob_len; len++)
		if (check_mutated(len, ~(size_t)0, 0, 1, why) == 0)
			bad++;
	tap_ok(!bad, "no truncation accepted (%d were)", bad);

	/* Another key: signed by B, only A trusted -> B's key id is named. */
	free(blob);
	blob = read_fixture(argv[1], "simple_b.klp", &blob_len);
	{
		u8 id[8];
		char hex[17];

		module_sig_key_id(keys[1].pub, id);
		for (int i = 0; i < 8; i++)
			sprintf(hex + 2 * i, "%02x", id[i]);
		ret = check(blob, blob_len, 1, why);
		tap_ok(ret == -ENOKEY && strstr(why, hex), "other key rejected: %s (id %s)", why, hex);
	}
	ret = check(blob, blob_len, 2, why);
	tap_ok(ret == 0, "other key accepted once trusted");
	/* B's key id on A's signature: the id names B, B's key cannot verify it. */
	{
		u8 *a;
		size_t alen;

		a = read_fixture(argv[1], "simple_a.klp", &alen);
		memcpy(a + alen - tl + 18, blob + blob_len - tl + 18, 8);
		ret = module_sig_check_keys(a, alen, keys, 2, &n, why, sizeof(why));
		tap_ok(ret == -EKEYREJECTED, "key id swapped: %s", why);
		free(a);
	}
	free(blob);
	free(pub);
	free(other);
	return tap_done();
}
