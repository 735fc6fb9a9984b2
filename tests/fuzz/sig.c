/* Fuzz target: a signed blob's tail, as the loader checks it first:
 * module_sig_check_keys() (trailer parsing, key lookup, Ed25519 verify over
 * the payload). The trusted key is the fuzz corpus key (tests/fuzz/mkseeds.py
 * derives it from a fixed seed), so the seeds verify and mutations reach
 * every stage. Built from kernel/module/signature.c, ed25519.c and sha512.c. */
#include "../../kernel/module/signature.h"
#include <kelp/errno.h>
#include <kelp/string.h>

extern void *malloc(size_t size);
extern void free(void *p);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* Public half of the corpus key (seed "kelp fuzz corpus key, not secret!"). */
static const struct module_sig_key fuzz_keys[] = {
	{ .desc = "fuzz corpus key", .pub = {
#include "corpus_key.inc"
	} },
	/* A second key with the same first id byte pattern is not needed: a
	 * plain other key makes the lookup loop run more than once. */
	{ .desc = "other", .pub = { 0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
				    0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
				    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
				    0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a } },
};

/* The kernel's own key table, referenced by module_sig_check(). */
const struct module_sig_key module_sig_keys[] = { { .desc = "none" } };
const unsigned int module_sig_nkeys = 0;

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	u8 *blob = malloc(size ? size : 1);
	size_t plen = 0;
	char why[160];
	int ret;

	memcpy(blob, data, size);
	ret = module_sig_check_keys(blob, size, fuzz_keys, 2, &plen, why, sizeof(why));
	if (ret == 0) {
		CHECK(plen > 0 && plen + ED25519_SIG_SIZE + sizeof(struct module_sig_trailer) == size);
	} else {
		CHECK(why[0]);
		CHECK(ret == -ENODATA || ret == -EBADMSG || ret == -ENOKEY || ret == -EKEYREJECTED);
	}
	/* The embedded (empty) table must refuse everything. */
	CHECK(module_sig_check(blob, size, &plen, why, sizeof(why)) != 0);
	free(blob);
	return 0;
}
