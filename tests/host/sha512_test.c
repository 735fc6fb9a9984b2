/* Host tests for lib/crypto/sha512.c against the FIPS 180-4 / NIST example
 * digests, plus streaming-split consistency around block boundaries. */
#include "testutil.h"
#include <kelp/crypto/sha512.h>

static bool digest_is(const u8 got[64], const char *hex)
{
	u8 want[64];

	return unhex_exact(hex, want, 64) && memcmp(got, want, 64) == 0;
}

static void test_oneshot(const char *name, const char *msg, const char *hex)
{
	u8 out[64];

	sha512(msg, strlen(msg), out);
	tap_ok(digest_is(out, hex), "sha512 %s", name);
}

static void test_million_a(void)
{
	static char chunk[1000];
	struct sha512_ctx ctx;
	u8 out[64];

	memset(chunk, 'a', sizeof(chunk));
	sha512_init(&ctx);
	for (int i = 0; i < 1000; i++)
		sha512_update(&ctx, chunk, sizeof(chunk));
	sha512_final(&ctx, out);
	tap_ok(digest_is(out, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
			      "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
	       "sha512 one million 'a'");
}

/* Feeding a message in two pieces, split anywhere, must match one-shot
 * hashing; lengths cover the padding cases around 111/112 and 128 bytes. */
static void test_splits(void)
{
	u8 msg[300], ref[64], got[64];
	bool ok = true;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)(i * 7 + 3);
	for (size_t len = 0; len <= sizeof(msg) && ok; len++) {
		sha512(msg, len, ref);
		for (size_t cut = 0; cut <= len && ok; cut += 1 + cut / 16) {
			struct sha512_ctx ctx;
			sha512_init(&ctx);
			sha512_update(&ctx, msg, cut);
			sha512_update(&ctx, msg + cut, 0);
			sha512_update(&ctx, msg + cut, len - cut);
			sha512_final(&ctx, got);
			ok = memcmp(ref, got, 64) == 0;
		}
	}
	tap_ok(ok, "sha512 split updates match one-shot for lengths 0..300");
}

int main(void)
{
	test_oneshot("\"abc\"", "abc",
		     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	test_oneshot("empty string", "",
		     "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		     "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
	test_oneshot("896-bit message",
		     "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
		     "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		     "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
		     "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
	test_oneshot("448-bit message", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		     "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c335"
		     "96fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445");
	test_million_a();
	test_splits();
	return tap_done();
}
