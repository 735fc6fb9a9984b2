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

/* ---- Reference helpers: the plain textbook versions ed25519.c no longer
 * needs, to check its faster paths against ---- */

/* The base point B: y = 4/5, x the even root (tools/crypto_consts.py). */
static const u8 ge_base_x[32] = {
	0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
	0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
};
static const u8 ge_base_y[32] = {
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

/* Square-and-multiply over the 255 bits of e, against the addition chains. */
static void ref_pow(struct fe *h, const struct fe *a, const u64 e[4])
{
	struct fe r;

	fe_set_small(&r, 1);
	for (int i = 255; i >= 0; i--) {
		fe_mul(&r, &r, &r);
		if ((e[i / 64] >> (i % 64)) & 1)
			fe_mul(&r, &r, a);
	}
	*h = r;
}

static const u64 exp_p_minus_2[4] = { 0xffffffffffffffebULL, ~0ULL, ~0ULL, 0x7fffffffffffffffULL };
static const u64 exp_p58[4] = { 0xfffffffffffffffdULL, ~0ULL, ~0ULL, 0x0fffffffffffffffULL };

/* 1/a = a^(p-2) = ((a^(2^250 - 1))^(2^5)) a^11. */
static void fe_invert(struct fe *h, const struct fe *a)
{
	struct fe t, a11;

	fe_pow_2_250_minus_1(&t, &a11, a);
	fe_sq_n(&t, &t, 5);
	fe_mul(h, &t, &a11);
}

static void ge_base(struct ge *p)
{
	struct fe x, y;

	fe_frombytes(&x, ge_base_x);
	fe_frombytes(&y, ge_base_y);
	ge_from_affine(p, &x, &y);
}

static void ge_identity(struct ge *p)
{
	fe_set_small(&p->X, 0);
	fe_set_small(&p->Y, 1);
	fe_set_small(&p->Z, 1);
	fe_set_small(&p->T, 0);
}

static void ref_add(struct ge *r, const struct ge *p, const struct ge *q)
{
	struct ge_cached c;
	struct ge_done t;

	ge_to_cached(&c, q);
	ge_add_cached(&t, p, &c, 0);
	ge_done_to_ge(r, &t);
}

static void ref_double(struct ge *r, const struct ge *p)
{
	struct ge_proj pp = { p->X, p->Y, p->Z };
	struct ge_done t;

	ge_double(&t, &pp);
	ge_done_to_ge(r, &t);
}

static void ge_neg(struct ge *r, const struct ge *p)
{
	*r = *p;
	fe_neg(&r->X, &p->X);
	fe_neg(&r->T, &p->T);
}

/* [s]p by binary double-and-add from the top bit (the old ed25519.c way). */
static void ref_scalarmult(struct ge *r, const struct ge *p, const u8 s[32])
{
	struct ge acc;

	ge_identity(&acc);
	for (int i = 255; i >= 0; i--) {
		ref_double(&acc, &acc);
		if ((s[i / 8] >> (i % 8)) & 1)
			ref_add(&acc, &acc, p);
	}
	*r = acc;
}

/* Point encoding (RFC 8032 §5.1.2): y, with the parity of x in bit 255. */
static void ge_encode_xyz(u8 s[32], const struct fe *X, const struct fe *Y, const struct fe *Z)
{
	struct fe zinv, x, y;

	fe_invert(&zinv, Z);
	fe_mul(&x, X, &zinv);
	fe_mul(&y, Y, &zinv);
	fe_tobytes(s, &y);
	s[31] |= (u8)(fe_isodd(&x) << 7);
}

static void ge_encode(u8 s[32], const struct ge *p)
{
	ge_encode_xyz(s, &p->X, &p->Y, &p->Z);
}

/* splitmix64: reproducible test inputs. */
static u64 rng_state = 0x6b656c7065643235ULL;
static u64 rng(void)
{
	u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- Internals: constants, field, points, scalars ---- */

static void test_constants(void)
{
	struct fe t, m, x, y, x2, y2, lhs, rhs, one;
	struct ge b, bd;
	u8 enc[32];

	/* d * 121666 == -121665, and d2 == d + d */
	fe_set_small(&m, 121666);
	fe_mul(&t, &fe_d, &m);
	fe_set_small(&m, 121665);
	fe_add(&t, &t, &m);
	tap_ok(fe_iszero(&t), "d = -121665/121666");
	fe_add(&t, &fe_d, &fe_d);
	tap_ok(fe_equal(&t, &fe_d2), "d2 = 2d");

	/* sqrt(-1)^2 + 1 == 0 */
	fe_sq(&t, &fe_sqrtm1);
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
	fe_mul(&rhs, &rhs, &fe_d);
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

	/* The generated table (ed25519_base.h): entry j is [2j + 1]B as
	 * (y + x, y - x, 2 d x y), recomputed here by repeated addition. */
	struct ge p = b, b2;
	int bad = -1;
	ref_double(&b2, &b);
	for (int j = 0; j < (int)(sizeof(ge_base_odd) / sizeof(ge_base_odd[0])); j++) {
		struct fe zinv, px, py, v;

		fe_invert(&zinv, &p.Z);
		fe_mul(&px, &p.X, &zinv);
		fe_mul(&py, &p.Y, &zinv);
		fe_add(&v, &py, &px);
		bool ok = fe_equal(&v, &ge_base_odd[j].yplusx);
		fe_sub(&v, &py, &px);
		ok = ok && fe_equal(&v, &ge_base_odd[j].yminusx);
		fe_mul(&v, &px, &py);
		fe_mul(&v, &v, &fe_d2);
		ok = ok && fe_equal(&v, &ge_base_odd[j].xy2d);
		if (!ok && bad < 0)
			bad = j;
		ref_add(&p, &p, &b2);
	}
	tap_ok(bad < 0, "base table holds [1]B, [3]B, ..., [%d]B (first bad entry %d)",
	       2 * (int)(sizeof(ge_base_odd) / sizeof(ge_base_odd[0])) - 1, bad);
}

static void test_field(void)
{
	struct fe a, b, c, inv, r1, r2;
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

	/* fe_sq against fe_mul, on values up to the loose bound (limbs just
	 * under 2^52, as fe_add leaves them) and on random ones. */
	bool ok = true;
	for (int i = 0; i < 1000; i++) {
		for (int j = 0; j < 5; j++)
			a.v[j] = i == 0 ? (1ULL << 52) - 1 : rng() >> (i % 2 ? 12 : 13);
		fe_sq(&b, &a);
		fe_mul(&c, &a, &a);
		ok = ok && fe_equal(&b, &c);
	}
	tap_ok(ok, "fe_sq(a) == fe_mul(a, a)");

	/* a * b * b^-1 == a for a few unrelated values; the addition chains
	 * against square-and-multiply on the same exponents. */
	ok = true;
	bool chains = true;
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
		ref_pow(&r1, &b, exp_p_minus_2);
		chains = chains && fe_equal(&r1, &inv);
		ref_pow(&r1, &a, exp_p58);
		fe_pow_p58(&r2, &a);
		chains = chains && fe_equal(&r1, &r2);
	}
	tap_ok(ok, "a * b * b^-1 == a");
	tap_ok(chains, "inversion and (p-5)/8 chains match square-and-multiply");
}

static void le_add_small(u64 v[5], s64 d, int shift);

/* Random scalars below 2^255 (the joint multiplication's contract), with
 * a few edge cases first: 0, 1, L - 1, 2^253 - 1, 2^255 - 1, 0x55.., 0xaa... */
static void test_scalar(u8 s[32], int i)
{
	memset(s, 0, 32);
	switch (i) {
	case 0:
		break;
	case 1:
		s[0] = 1;
		break;
	case 2:
		for (int w = 0; w < 4; w++)
			store_le64(s + 8 * w, sc_L[w]);
		s[0]--;
		break;
	case 3:
		memset(s, 0xff, 32);
		s[31] = 0x1f;
		break;
	case 4:
		memset(s, 0xff, 32);
		s[31] = 0x7f;
		break;
	case 5:
		memset(s, 0x55, 32);
		break;
	case 6:
		memset(s, 0xaa, 32);
		s[31] = 0x2a;
		break;
	default:
		for (int w = 0; w < 4; w++)
			store_le64(s + 8 * w, rng());
		s[31] &= i % 3 ? 0x7f : 0x0f;
	}
}

static void test_wnaf(void)
{
	int bad = 0;

	for (int i = 0; i < 2000; i++) {
		u8 s[32];
		s8 naf[256];
		int w = i % 2 ? BASE_WNAF_W : KEY_WNAF_W, last = 1000;

		test_scalar(s, i / 2);
		sc_wnaf(naf, s, w);
		/* sum(naf[j] 2^j) from the top, in five words; digits odd,
		 * below 2^(w-1) in size, at least w apart. */
		u64 v[5] = { 0 };
		for (int j = 255; j >= 0; j--) {
			for (int q = 4; q > 0; q--)
				v[q] = (v[q] << 1) | (v[q - 1] >> 63);
			v[0] <<= 1;
			if (naf[j]) {
				if (!(naf[j] & 1) || naf[j] >= (1 << (w - 1)) || naf[j] <= -(1 << (w - 1)) ||
				    last - j < w)
					bad++;
				last = j;
				le_add_small(v, naf[j], 0);
			}
		}
		for (int q = 0; q < 4; q++)
			bad += v[q] != load_le64(s + 8 * q);
		bad += v[4] != 0;
	}
	tap_ok(bad == 0, "w-NAF digits are odd, bounded, spaced and sum to the scalar (%d bad)", bad);
}

/* v += d * 2^shift for a small signed d, in five 64-bit words (mod 2^320). */
static void le_add_small(u64 v[5], s64 d, int shift)
{
	u64 add[5] = { 0 }, carry = 0;

	add[0] = (u64)(d < 0 ? -d : d) << shift;
	if (d < 0) { /* two's complement of add */
		for (int q = 0; q < 5; q++)
			add[q] = ~add[q];
		carry = 1;
	}
	for (int q = 0; q < 5; q++) {
		u128 t = (u128)v[q] + add[q] + carry;
		v[q] = (u64)t;
		carry = (u64)(t >> 64);
	}
}

/* Points to use as A: B, small-order points, a vector-like random multiple. */
static const char *const test_points[] = {
	"5866666666666666666666666666666666666666666666666666666666666666", /* B */
	"0100000000000000000000000000000000000000000000000000000000000000", /* identity */
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* order 2 */
	"0000000000000000000000000000000000000000000000000000000000000000", /* order 4 */
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", /* order 8 */
	"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", /* RFC 8032 TEST 2 */
};

static void test_group(void)
{
	static const u8 l_bytes[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
	};
	static const u8 identity[32] = { 1 };
	struct ge b, r, twice, sum, a, na, sb, ka;
	struct ge_proj p;
	u8 enc[32], enc2[32], two[32] = { 2 }, zero[32] = { 0 };

	ge_base(&b);
	ref_scalarmult(&r, &b, l_bytes);
	ge_encode(enc, &r);
	tap_ok(memcmp(enc, identity, 32) == 0, "[L]B is the identity");
	ge_double_scalarmult(&p, l_bytes, &b, zero);
	ge_encode_xyz(enc, &p.X, &p.Y, &p.Z);
	tap_ok(memcmp(enc, identity, 32) == 0, "[L]B - [0]B is the identity (joint)");

	/* [2]B three ways: doubling, complete addition, scalar multiplication. */
	ref_double(&twice, &b);
	ref_add(&sum, &b, &b);
	ref_scalarmult(&r, &b, two);
	ge_encode(enc, &twice);
	ge_encode(enc2, &sum);
	bool ok = memcmp(enc, enc2, 32) == 0;
	ge_encode(enc2, &r);
	tap_ok(ok && memcmp(enc, enc2, 32) == 0, "B + B == [2]B via double, add and scalarmult");

	/* The joint [s]B - [k]A against two separate ladders and a subtraction. */
	int bad = 0, tried = 0;
	for (size_t pi = 0; pi < sizeof(test_points) / sizeof(test_points[0]); pi++) {
		u8 aenc[32];

		if (!unhex_exact(test_points[pi], aenc, 32) || ge_decode(&a, aenc)) {
			bad++;
			continue;
		}
		ge_neg(&na, &a);
		for (int i = 0; i < 40; i++) {
			u8 s[32], k[32];

			test_scalar(s, i);
			test_scalar(k, (i * 7 + 3) % 40);
			ge_double_scalarmult(&p, s, &a, k);
			ref_scalarmult(&sb, &b, s);
			ref_scalarmult(&ka, &na, k);
			ref_add(&r, &sb, &ka);
			ge_encode_xyz(enc, &p.X, &p.Y, &p.Z);
			ge_encode(enc2, &r);
			bad += memcmp(enc, enc2, 32) != 0;
			tried++;
		}
	}
	tap_ok(bad == 0, "[s]B - [k]A joint == separate ladders, %d cases (%d differ)", tried, bad);
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
	test_wnaf();
	test_group();
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
