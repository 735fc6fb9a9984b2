/* SHA-512 (FIPS 180-4): streaming and one-shot interfaces. Used by the
 * Ed25519 verifier and usable for hashing patch blobs. Freestanding: the
 * same source builds in the kernel and in the host tests. */
#pragma once
#include <kelp/types.h>

#define SHA512_DIGEST_SIZE 64
#define SHA512_BLOCK_SIZE 128

struct sha512_ctx {
	u64 state[8];
	u64 bytes;			/* total message length so far, in bytes */
	u8 buf[SHA512_BLOCK_SIZE];	/* partial block; bytes % 128 of it used */
};

void sha512_init(struct sha512_ctx *ctx);
void sha512_update(struct sha512_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes the context (it must be re-initialised to reuse). */
void sha512_final(struct sha512_ctx *ctx, u8 out[SHA512_DIGEST_SIZE]);
void sha512(const void *data, size_t len, u8 out[SHA512_DIGEST_SIZE]);
