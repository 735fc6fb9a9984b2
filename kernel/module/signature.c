/* Signature trailer parsing and Ed25519 check of patch blobs
 * (kernel/module/signature.h). Pure code: also built into the host tests, which
 * supply their own module_sig_keys. */
#include "signature.h"
#include <kelp/crypto/sha512.h>
#include <kelp/errno.h>
#include <kelp/reason.h>
#include <kelp/string.h>

bool module_sig_enforce = true;

#define FAIL(err, ...) reason_fail(why, whylen, err, __VA_ARGS__)

void module_sig_key_id(const u8 pub[ED25519_PUBKEY_SIZE], u8 id[MODULE_SIG_KEY_ID_LEN])
{
	u8 h[SHA512_DIGEST_SIZE];

	sha512(pub, ED25519_PUBKEY_SIZE, h);
	memcpy(id, h, MODULE_SIG_KEY_ID_LEN);
}

int module_sig_check_keys(const void *blob, size_t len, const struct module_sig_key *keys,
			  unsigned int nkeys, size_t *payload_len, char *why, size_t whylen)
{
	const u8 *b = blob;
	struct module_sig_trailer t;
	u32 sig_len;
	size_t plen;
	u8 id[MODULE_SIG_KEY_ID_LEN];
	int ret;

	if (why && whylen)
		why[0] = 0;
	if (len < sizeof(t))
		return FAIL(-ENODATA, "no signature (blob of %zu bytes is too short)", len);
	memcpy(&t, b + len - sizeof(t), sizeof(t));
	if (memcmp(t.magic, MODULE_SIG_MAGIC, MODULE_SIG_MAGIC_LEN))
		return FAIL(-ENODATA, "no signature");
	if (t.version != MODULE_SIG_VERSION)
		return FAIL(-EBADMSG, "malformed trailer: unknown version %u", t.version);
	if (t.alg != MODULE_SIG_ALG_ED25519)
		return FAIL(-EBADMSG, "malformed trailer: unknown algorithm %u", t.alg);
	if (t.pad[0] || t.pad[1])
		return FAIL(-EBADMSG, "malformed trailer: non-zero padding");
	sig_len = (u32)t.sig_len[0] << 24 | (u32)t.sig_len[1] << 16 | (u32)t.sig_len[2] << 8 |
		  t.sig_len[3];
	if (sig_len != ED25519_SIG_SIZE)
		return FAIL(-EBADMSG, "malformed trailer: signature length %u", sig_len);
	if (len - sizeof(t) < sig_len)
		return FAIL(-EBADMSG, "malformed trailer: signature longer than the blob");
	plen = len - sizeof(t) - sig_len;
	if (plen == 0)
		return FAIL(-EBADMSG, "malformed trailer: empty payload");

	for (unsigned int i = 0; i < nkeys; i++) {
		module_sig_key_id(keys[i].pub, id);
		if (memcmp(id, t.key_id, sizeof(id)))
			continue;
		ret = ed25519_verify(b + plen, keys[i].pub, b, plen);
		if (ret)
			return FAIL(-EKEYREJECTED, "signature does not verify (key %02x%02x%02x%02x%02x%02x%02x%02x)",
				    id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7]);
		*payload_len = plen;
		return 0;
	}
	return FAIL(-ENOKEY, "unknown key %02x%02x%02x%02x%02x%02x%02x%02x", t.key_id[0],
		    t.key_id[1], t.key_id[2], t.key_id[3], t.key_id[4], t.key_id[5], t.key_id[6],
		    t.key_id[7]);
}

int module_sig_check(const void *blob, size_t len, size_t *payload_len, char *why, size_t whylen)
{
	return module_sig_check_keys(blob, len, module_sig_keys, module_sig_nkeys, payload_len, why,
				     whylen);
}
