/* Differential fuzz target: Kelp's ed25519_verify (lib/crypto/ed25519.c and
 * sha512.c unchanged) against OpenSSL's EVP_DigestVerify with
 * EVP_PKEY_ED25519. From the input: a 32-byte private seed, a control byte,
 * byte edits and a message. OpenSSL makes the key pair and signs the
 * message; then the edits and the control byte damage the signature, the
 * key or the message (bit flips, S + L, small-order and non-canonical point
 * encodings for R and A). Both must agree on accept/reject for every input;
 * a disagreement traps. Built with libc's headers first (-idirafter include,
 * like tools/klpctl), since OpenSSL's headers need them. */
#include <openssl/evp.h>
#include <string.h>
#include <kelp/crypto/ed25519.h>

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Encodings every verifier must handle: small-order points (identity,
 * order 2, 4 and 8) and y >= p (non-canonical), which both must refuse or
 * treat alike. Little endian, as on the wire. */
static const u8 special[][32] = {
	{ 1 },						/* identity */
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },	/* y = -1: order 2 */
	{ 0 },						/* y = 0: order 4 */
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80 },	/* y = 0, other x */
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76,
	  0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6,
	  0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },	/* order 8 */
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89,
	  0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39,
	  0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },	/* order 8 */
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },	/* y = p (= 0) */
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },	/* y = p + 1 (= 1) */
};
#define NSPECIAL (sizeof(special) / sizeof(special[0]))

/* L, little endian: S + L is the classic malleability edit. */
static const u8 order_l[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2,
	0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
};

static int openssl_verify(const u8 *sig, const u8 *pub, const u8 *msg, size_t len)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *md;
	int ok = 0;

	CHECK(pk);	/* any 32 bytes are accepted here; decoding happens at verify */
	md = EVP_MD_CTX_new();
	CHECK(md);
	if (EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1)
		ok = EVP_DigestVerify(md, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ok;
}

static void sign(const u8 seed[32], const u8 *msg, size_t len, u8 sig[64], u8 pub[32])
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = 64, publen = 32;

	CHECK(pk && md);
	CHECK(EVP_PKEY_get_raw_public_key(pk, pub, &publen) == 1 && publen == 32);
	CHECK(EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1);
	CHECK(EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == 64);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 seed[32] = { 0 }, sig[64], pub[32], msg[1024];
	size_t n = size < 32 ? size : 32, mlen, nedit;
	unsigned int ctl;
	int kelp, ossl;

	memcpy(seed, data, n);
	data += n;
	size -= n;
	ctl = size ? (data++, size--, data[-1]) : 0;
	nedit = size ? (data++, size--, data[-1] % 8) : 0;
	if (nedit * 2 > size)
		nedit = size / 2;
	const u8 *edits = data;
	data += nedit * 2;
	size -= nedit * 2;
	mlen = size < sizeof(msg) ? size : sizeof(msg);
	memcpy(msg, data, mlen);

	sign(seed, msg, mlen, sig, pub);
	CHECK(ed25519_verify(sig, pub, msg, mlen) == 0);	/* fresh signatures verify */

	/* Edits: byte i of sig (0..63), pub (64..95) or msg (96..) gets XORed. */
	for (size_t i = 0; i < nedit; i++) {
		unsigned int at = edits[2 * i], x = edits[2 * i + 1];

		if (at < 64)
			sig[at] ^= x;
		else if (at < 96)
			pub[at - 64] ^= x;
		else if (mlen)
			msg[(at - 96) % mlen] ^= x;
	}
	if (ctl & 0x01) {	/* S += L, and sometimes more */
		unsigned int c = 0;

		for (int i = 0; i < 32; i++) {
			c += sig[32 + i] + order_l[i] * (ctl & 0x02 ? 2 : 1);
			sig[32 + i] = c;
			c >>= 8;
		}
	}
	if (ctl & 0x04)
		memcpy(sig, special[(ctl >> 4) % NSPECIAL], 32);	/* R */
	if (ctl & 0x08)
		memcpy(pub, special[(ctl >> 5) % NSPECIAL], 32);	/* A */
	if ((ctl & 0x0c) == 0x0c)	/* S = 0: accepted iff R == -[k]A exactly */
		memset(sig + 32, 0, 32);

	kelp = ed25519_verify(sig, pub, msg, mlen) == 0;
	ossl = openssl_verify(sig, pub, msg, mlen);
	CHECK(kelp == ossl);
	return 0;
}
