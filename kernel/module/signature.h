/* Signed patch blobs: payload || signature || trailer (docs/BLOB-FORMAT.md).
 * The trailer sits at the very end so the kernel finds it without parsing
 * the payload; the signature covers the whole payload (the ELF object,
 * whose .kelp.build_id section names the target kernel). */
#pragma once
#include <kelp/types.h>
#include <kelp/crypto/ed25519.h>

#define MODULE_SIG_MAGIC "~Kelp signature~"	/* 16 bytes, no NUL */
#define MODULE_SIG_MAGIC_LEN 16
#define MODULE_SIG_VERSION 1
#define MODULE_SIG_ALG_ED25519 1
#define MODULE_SIG_KEY_ID_LEN 8

struct module_sig_trailer {
	u8 magic[MODULE_SIG_MAGIC_LEN];
	u8 version;
	u8 alg;
	u8 key_id[MODULE_SIG_KEY_ID_LEN];	/* first 8 bytes of SHA-512(public key) */
	u8 pad[2];				/* zero */
	u8 sig_len[4];				/* big endian, as in Linux's module_signature */
};
_Static_assert(sizeof(struct module_sig_trailer) == 32, "trailer is 32 bytes");

struct module_sig_key {
	u8 pub[ED25519_PUBKEY_SIZE];
	const char *desc;
};

/* Keys the kernel trusts: generated into build/ from keys/signing_key.pem. */
extern const struct module_sig_key module_sig_keys[];
extern const unsigned int module_sig_nkeys;

/* On by default; the command line can only turn it off (module.sig_enforce=0). */
extern bool module_sig_enforce;

void module_sig_key_id(const u8 pub[ED25519_PUBKEY_SIZE], u8 id[MODULE_SIG_KEY_ID_LEN]);

/* Checks blob against keys: 0 and *payload_len on success; -ENODATA "no
 * signature" (no trailer), -EBADMSG (malformed trailer or sizes), -ENOKEY
 * (key id of no trusted key), -EKEYREJECTED (signature does not verify).
 * Every failure writes a one-line reason into why. */
int module_sig_check_keys(const void *blob, size_t len, const struct module_sig_key *keys,
			  unsigned int nkeys, size_t *payload_len, char *why, size_t whylen);
/* The same against the kernel's embedded keys. */
int module_sig_check(const void *blob, size_t len, size_t *payload_len, char *why, size_t whylen);

/* The running kernel's GNU build ID (from the linker's note); kernel only. */
int kernel_build_id(const u8 **id, size_t *len);
