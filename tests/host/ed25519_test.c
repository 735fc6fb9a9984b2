/* Host tests for lib/crypto/ed25519.c. The source is included directly so its
 * internal field, point and scalar helpers can be checked as well as the
 * public ed25519_verify(). Usage: ed25519_test [-s STRIDE] VECTORFILE...;
 * each file holds "name seed-or-'-' pubkey message signature" lines in hex
 * (the RFC 8032 §7.1 vectors and the OpenSSL-generated ones). Signature bit
 * flips try every bit of each vector, or every STRIDE-th bit (starting at a
 * per-vector offset) for the files after -s, to keep big sets quick. */
#include "testutil.h"
#include "../../lib/crypto/ed25519.c"

static const char *err_name(int err)
{
	switch (err) {
	case 0:
		return "0";
	case -EINVAL:
		return "-EINVAL";
	case -EKEYREJECTED:
		return "-EKEYREJECTED";
	default:
		return "unexpected";
	}
}

static void fe_from_hex(struct fe *h, const char *hex)
{
	u8 s[32];

	if (!unhex_exact(hex, s, 32))
		abort();
	fe_frombytes(h, s);
}

static bool fe_is_small(const struct fe *f, u64 n)
{
	struct fe g;

	fe_set_small(&g, n);
	return fe_equal(f, &g);
}

/* ---- Internals: constants, field, points, scalars ---- */

static void test_constants(void)
{
	struct fe d, t, m, x, y, x2, y2, lhs, rhs, one;
	struct ge b, bd;
	u8 enc[32];

	/* d * 121666 == -121665 */
	fe_frombytes(&d, fe_d_bytes);
	fe_set_small(&m, 121666);
	fe_mul(&t, &d, &m);
	fe_set_small(&m, 121665);
	fe_add(&t, &t, &m);
	tap_ok(fe_iszero(&t), "d = -121665/121666");

	/* sqrt(-1)^2 + 1 == 0 */
	fe_frombytes(&t, fe_sqrtm1_bytes);
	fe_sq(&t, &t);
	fe_set_small(&one, 1);
	fe_add(&t, &t, &one);
	tap_ok(fe_iszero(&t), "sqrt(-1) squares to -1");

	/* B satisfies -x^2 + y^2 = 1 + d x^2 y^2, has y = 4/5 and an even x. */
	fe_frombytes(&x, ge_base_x);
	fe_frombytes(&y, ge_base_y);
	fe_sq(&x2, &x);
	fe_sq(&y2, &y);
	fe_sub(&lhs, &y2, &x2);
	fe_mul(&rhs, &x2, &y2);
	fe_mul(&rhs, &rhs, &d);
	fe_add(&rhs, &rhs, &one);
	tap_ok(fe_equal(&lhs, &rhs), "base point is on the curve");
	fe_set_small(&m, 5);
	fe_mul(&t, &y, &m);
	tap_ok(fe_is_small(&t, 4) && !fe_isodd(&x), "base point has y = 4/5 and even x");

	/* B's standard encoding 0x5866...66 decodes to the same point. */
	ge_base(&b);
	ge_encode(enc, &b);
	tap_ok(memcmp(enc, ge_base_y, 32) == 0, "base point encodes as 5866...66");
	tap_ok(ge_decode(&bd, ge_base_y) == 0 && fe_equal(&bd.X, &b.X) && fe_equal(&bd.Y, &b.Y),
	       "base point encoding decodes back to B");
}

static void test_field(void)
{
	struct fe a, b, c, inv;
	u8 s[32];

	/* Values in [p, 2^255) reduce to their canonical representative. */
	fe_from_hex(&a, "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
	tap_ok(fe_is_small(&a, 0), "p encodes as 0");
	fe_from_hex(&a, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
	tap_ok(fe_is_small(&a, 1), "p + 1 encodes as 1");
	fe_from_hex(&a, "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
	tap_ok(fe_is_small(&a, 18), "2^255 - 1 encodes as 18");

	/* (p-1)^2 = 1 exercises the largest canonical limbs. */
	fe_from_hex(&a, "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
	fe_sq(&b, &a);
	tap_ok(fe_is_small(&b, 1), "(p - 1)^2 = 1");
	fe_set_small(&b, 1);
	fe_add(&c, &a, &b);
	tap_ok(fe_is_small(&c, 0), "(p - 1) + 1 = 0");
	fe_set_small(&b, 0);
	fe_sub(&c, &b, &a);
	tap_ok(fe_is_small(&c, 1), "0 - (p - 1) = 1");

	/* a * b * b^-1 == a for a few unrelated values. */
	bool ok = true;
	for (int i = 0; i < 16; i++) {
		for (int j = 0; j < 32; j++)
			s[j] = (u8)(i * 37 + j * 11 + 5);
		fe_frombytes(&a, s);
		for (int j = 0; j < 32; j++)
			s[j] = (u8)(i * 101 + j * 29 + 1);
		fe_frombytes(&b, s);
		fe_invert(&inv, &b);
		fe_mul(&c, &a, &b);
		fe_mul(&c, &c, &inv);
		ok = ok && fe_equal(&c, &a);
	}
	tap_ok(ok, "a * b * b^-1 == a");
}

static void test_group_order(void)
{
	static const u8 l_bytes[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	static const u8 identity[32] = { 1 };
	struct ge b, r, twice, sum;
	u8 enc[32], enc2[32], two[32] = { 2 };

	ge_base(&b);
	ge_scalarmult(&r, &b, l_bytes);
	ge_encode(enc, &r);
	tap_ok(memcmp(enc, identity, 32) == 0, "[L]B is the identity");

	/* [2]B three ways: doubling, complete addition, scalar multiplication. */
	ge_double(&twice, &b);
	ge_add(&sum, &b, &b);
	ge_scalarmult(&r, &b, two);
	ge_encode(enc, &twice);
	ge_encode(enc2, &sum);
	bool ok = memcmp(enc, enc2, 32) == 0;
	ge_encode(enc2, &r);
	tap_ok(ok && memcmp(enc, enc2, 32) == 0, "B + B == [2]B via double, add and scalarmult");
}

static void test_scalars(void)
{
	u8 in[64], out[32], want[32];
	u64 w[4];

	memset(in, 0xff, sizeof(in));
	sc_reduce512(out, in);
	tap_ok(unhex_exact("000f9c44e31106a447938568a71b0ed065bef517d273ecce3d9a307c1b419903", want, 32) &&
		       !memcmp(out, want, 32),
	       "(2^512 - 1) mod L");
	for (int i = 0; i < 64; i++)
		in[i] = (u8)i;
	sc_reduce512(out, in);
	tap_ok(unhex_exact("7a3c6282f02d37a05023b60d5428e6cc5961d4c31221937adae0b574e4d07205", want, 32) &&
		       !memcmp(out, want, 32),
	       "(00 01 02 ... 3f) mod L");
	memset(in, 0, sizeof(in));
	for (int i = 0; i < 4; i++)
		store_le64(in + 8 * i, sc_L[i]);
	sc_reduce512(out, in);
	memset(want, 0, 32);
	tap_ok(!memcmp(out, want, 32), "L mod L = 0");

	memcpy(w, sc_L, sizeof(w));
	for (int i = 0; i < 4; i++)
		store_le64(out + 8 * i, w[i]);
	tap_ok(!sc_is_canonical(out), "S = L is not canonical");
	out[0]--;
	tap_ok(sc_is_canonical(out), "S = L - 1 is canonical");
}

/* ---- ed25519_verify() against vectors ---- */

struct vec {
	char name[48];
	u8 pub[32], sig[64];
	u8 *msg;
	size_t len;
	int stride;
};

static struct vec *vecs;
static int nvecs;

static void load_vectors(const char *path, int stride)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *field[5];
	size_t cap = 0;
	int lineno = 0;

	if (!tap_ok(f != NULL, "open %s", path))
		return;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		int n = split_fields(line, field, 5);
		if (n == 0)
			continue;
		struct vec v = { 0 };
		bool ok = n == 5 && unhex_exact(field[2], v.pub, 32) && unhex_exact(field[4], v.sig, 64) &&
			  (v.msg = unhex(field[3], &v.len)) != NULL;
		if (!tap_ok(ok, "%s:%d parses", path, lineno)) {
			free(v.msg);
			continue;
		}
		snprintf(v.name, sizeof(v.name), "%s", field[0]);
		v.stride = stride;
		vecs = realloc(vecs, (nvecs + 1) * sizeof(*vecs));
		vecs[nvecs++] = v;
	}
	free(line);
	fclose(f);
}

static void test_vector(const struct vec *v, const struct vec *other)
{
	u8 sig[64], pub[32];
	u8 *msg = malloc(v->len + 1);
	int err, bad = 0, first_bad = -1, tried = 0;

	err = ed25519_verify(v->sig, v->pub, v->msg, v->len);
	tap_ok(err == 0, "%s: valid signature accepted (got %s)", v->name, err_name(err));

	/* Every single-bit change of the signature must be rejected. */
	for (int bit = (int)((v->sig[0] + v->len) % (size_t)v->stride); bit < 512; bit += v->stride) {
		tried++;
		memcpy(sig, v->sig, 64);
		sig[bit / 8] ^= (u8)(1 << (bit % 8));
		err = ed25519_verify(sig, v->pub, v->msg, v->len);
		if (err != -EINVAL && err != -EKEYREJECTED) {
			bad++;
			if (first_bad < 0)
				first_bad = bit;
		}
	}
	tap_ok(bad == 0, "%s: %d one-bit signature flips rejected (%d accepted, first bit %d)",
	       v->name, tried, bad, first_bad);

	/* A changed, truncated or extended message. */
	memcpy(msg, v->msg, v->len);
	if (v->len) {
		msg[v->len / 2] ^= 0x10;
		err = ed25519_verify(v->sig, v->pub, msg, v->len);
		tap_ok(err == -EKEYREJECTED, "%s: flipped message bit rejected (got %s)", v->name, err_name(err));
		msg[v->len / 2] ^= 0x10;
		err = ed25519_verify(v->sig, v->pub, msg, v->len - 1);
		tap_ok(err == -EKEYREJECTED, "%s: truncated message rejected (got %s)", v->name, err_name(err));
	}
	msg[v->len] = 0;
	err = ed25519_verify(v->sig, v->pub, msg, v->len + 1);
	tap_ok(err == -EKEYREJECTED, "%s: extended message rejected (got %s)", v->name, err_name(err));

	/* Someone else's key. */
	err = ed25519_verify(v->sig, other->pub, v->msg, v->len);
	tap_ok(err == -EKEYREJECTED, "%s: wrong public key rejected (got %s)", v->name, err_name(err));

	/* S + L is the same scalar mod L and would verify without the S < L
	 * check (signature malleability); S < L < 2^253 so S + L fits. */
	u64 carry = 0;
	memcpy(sig, v->sig, 64);
	for (int i = 0; i < 4; i++) {
		u128 s = (u128)load_le64(v->sig + 32 + 8 * i) + sc_L[i] + carry;
		store_le64(sig + 32 + 8 * i, (u64)s);
		carry = (u64)(s >> 64);
	}
	err = ed25519_verify(sig, v->pub, v->msg, v->len);
	tap_ok(err == -EINVAL, "%s: S + L rejected as non-canonical (got %s)", v->name, err_name(err));

	/* The key and R with their x sign bit flipped are valid but different points. */
	memcpy(pub, v->pub, 32);
	pub[31] ^= 0x80;
	err = ed25519_verify(v->sig, pub, v->msg, v->len);
	tap_ok(err != 0, "%s: negated public key rejected (got %s)", v->name, err_name(err));
	free(msg);
}

/* Encodings that must not decode, tried both as the public key and as R. */
static void test_bad_encodings(const struct vec *v)
{
	static const struct {
		const char *what, *hex;
	} bad[] = {
		{ "y = p (non-canonical 0)", "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" },
		{ "y = p + 1 (non-canonical identity)", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" },
		{ "y = 2^255 - 1 (non-canonical 18)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" },
		{ "y = p + 1 with sign bit", "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" },
		{ "x = 0 with sign bit set (y = 1)", "0100000000000000000000000000000000000000000000000000000000000080" },
		{ "y = 2 is not on the curve", "0200000000000000000000000000000000000000000000000000000000000000" },
		{ "y = 2 with sign bit, not on the curve", "0200000000000000000000000000000000000000000000000000000000000080" },
	};
	u8 enc[32], sig[64];
	int err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unhex_exact(bad[i].hex, enc, 32);
		err = ed25519_verify(v->sig, enc, v->msg, v->len);
		tap_ok(err == -EINVAL, "public key %s rejected (got %s)", bad[i].what, err_name(err));
		memcpy(sig, v->sig, 64);
		memcpy(sig, enc, 32);
		err = ed25519_verify(sig, v->pub, v->msg, v->len);
		tap_ok(err == -EINVAL, "R %s rejected (got %s)", bad[i].what, err_name(err));
	}

	/* Every y in [p, 2^255) is non-canonical, whatever the sign bit. */
	int accepted = 0;
	for (int k = 0; k < 19; k++) {
		for (int sign = 0; sign < 2; sign++) {
			memset(enc, 0xff, 32);
			enc[0] = (u8)(0xed + k);
			enc[31] = sign ? 0xff : 0x7f;
			accepted += ed25519_verify(v->sig, enc, v->msg, v->len) != -EINVAL;
		}
	}
	tap_ok(accepted == 0, "all 38 encodings of y >= p rejected (%d accepted)", accepted);

	/* S = L exactly, and S with the top bit set. */
	memcpy(sig, v->sig, 64);
	for (int i = 0; i < 4; i++)
		store_le64(sig + 32 + 8 * i, sc_L[i]);
	err = ed25519_verify(sig, v->pub, v->msg, v->len);
	tap_ok(err == -EINVAL, "S = L rejected (got %s)", err_name(err));
	memcpy(sig, v->sig, 64);
	sig[63] |= 0x80;
	err = ed25519_verify(sig, v->pub, v->msg, v->len);
	tap_ok(err == -EINVAL, "S >= 2^255 rejected (got %s)", err_name(err));
}

int main(int argc, char **argv)
{
	test_constants();
	test_field();
	test_group_order();
	test_scalars();

	int stride = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc)
			stride = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
		else
			load_vectors(argv[i], stride);
	}
	tap_ok(nvecs >= 5, "%d signature vectors loaded", nvecs);
	for (int i = 0; i < nvecs; i++)
		test_vector(&vecs[i], &vecs[(i + 1) % nvecs]);
	if (nvecs)
		test_bad_encodings(&vecs[0]);

	for (int i = 0; i < nvecs; i++) {
		free(vecs[i].msg);
	}
	free(vecs);
	return tap_done();
}
