/* Ed25519 signature verification (RFC 8032 §5.1, pure Ed25519, no context,
 * no pre-hash). Verify only: Kelp checks signatures, it never makes them.
 * Not constant time, which is fine for public keys, signatures and messages. */
#pragma once
#include <kelp/types.h>

#define ED25519_PUBKEY_SIZE 32
#define ED25519_SIG_SIZE 64

/* Returns 0 when sig is a valid signature of msg under pub; -EINVAL when the
 * public key or R does not decode to a curve point or S >= L; -EKEYREJECTED
 * when everything decodes but the group equation does not hold. The check is
 * cofactorless: [S]B == R + [k]A as points, which is RFC 8032 §5.1.7's
 * comparison of encodings since a point has one encoding. */
int ed25519_verify(const u8 sig[ED25519_SIG_SIZE], const u8 pub[ED25519_PUBKEY_SIZE],
		   const void *msg, size_t len);
