/* Ed25519 signature verification, written from the mathematics of RFC 8032
 * §5.1: arithmetic in GF(p), p = 2^255 - 19; points of the twisted Edwards
 * curve -x^2 + y^2 = 1 + d x^2 y^2 in extended coordinates; scalars mod the
 * group order L. Clarity over speed and no constant-time care, since every
 * input is public. Freestanding: no heap, no division, no SSE, so the same
 * file builds in the kernel and in the host tests. Constants come from
 * tools/crypto_consts.py, which derives them from their definitions. */
#include <kelp/crypto/ed25519.h>
#include <kelp/crypto/sha512.h>
#include <kelp/string.h>
#include <kelp/errno.h>

typedef unsigned __int128 u128;

/* ---- GF(2^255 - 19) ---------------------------------------------------- */

/*
 * A field element is sum(v[i] * 2^(51 i)) with five 51-bit limbs. Between
 * operations limbs stay below about 2^52 (loosely reduced), which leaves
 * room for a 5x5 limb product to accumulate in 128 bits. Only fe_tobytes()
 * produces the unique representative in [0, p).
 */
struct fe {
	u64 v[5];
};

#define FE_MASK ((1ULL << 51) - 1)

/* d = -121665/121666 mod p */
static const u8 fe_d_bytes[32] = {
	0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
	0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52,
};

/* 2^((p-1)/4), a square root of -1 mod p */
static const u8 fe_sqrtm1_bytes[32] = {
	0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
	0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b,
};

/* Exponents, little endian: p - 2 (inversion, Fermat) and (p - 5) / 8 (square root). */
static const u8 fe_exp_p_minus_2[32] = {
	0xeb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};
static const u8 fe_exp_p_minus_5_div_8[32] = {
	0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f,
};

static u64 load_le64(const u8 *p)
{
	u64 v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void store_le64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++) {
		p[i] = (u8)v;
		v >>= 8;
	}
}

static void fe_set_small(struct fe *h, u64 n)
{
	h->v[0] = n;
	h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

/* Reads 255 bits; bit 255 (the sign of x in a point encoding) is ignored.
 * Values in [p, 2^255) are accepted here: callers that need canonical input
 * check it by re-encoding. */
static void fe_frombytes(struct fe *h, const u8 s[32])
{
	u64 w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16), w3 = load_le64(s + 24);

	h->v[0] = w0 & FE_MASK;
	h->v[1] = ((w0 >> 51) | (w1 << 13)) & FE_MASK;
	h->v[2] = ((w1 >> 38) | (w2 << 26)) & FE_MASK;
	h->v[3] = ((w2 >> 25) | (w3 << 39)) & FE_MASK;
	h->v[4] = (w3 >> 12) & FE_MASK;
}

/* Moves each limb's excess above 51 bits into the next one; what leaves the
 * top limb is worth 2^255 = 19 (mod p). Accepts limbs up to 2^63. */
static void fe_carry(struct fe *h)
{
	for (int i = 0; i < 4; i++) {
		h->v[i + 1] += h->v[i] >> 51;
		h->v[i] &= FE_MASK;
	}
	u64 c = h->v[4] >> 51;
	h->v[4] &= FE_MASK;
	h->v[0] += 19 * c;
}

/* The canonical little-endian encoding of h mod p. */
static void fe_tobytes(u8 s[32], const struct fe *f)
{
	struct fe h = *f;
	u64 q;

	/* Now h < 2^255 + 2^17 < 2p, so h mod p is h or h - p. */
	fe_carry(&h);
	/* q = floor((h + 19) / 2^255): 1 exactly when h >= p. */
	q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	/* h - q*p = h + 19q - q*2^255: add 19q and drop bit 255. */
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= FE_MASK;
	}
	h.v[4] &= FE_MASK;

	store_le64(s, h.v[0] | (h.v[1] << 51));
	store_le64(s + 8, (h.v[1] >> 13) | (h.v[2] << 38));
	store_le64(s + 16, (h.v[2] >> 26) | (h.v[3] << 25));
	store_le64(s + 24, (h.v[3] >> 39) | (h.v[4] << 12));
}

static void fe_add(struct fe *h, const struct fe *f, const struct fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
	fe_carry(h);
}

/* f - g computed as f + 4p - g so no limb goes negative (g's limbs < 2^53). */
static void fe_sub(struct fe *h, const struct fe *f, const struct fe *g)
{
	static const u64 four_p[5] = {
		4 * (FE_MASK - 18), 4 * FE_MASK, 4 * FE_MASK, 4 * FE_MASK, 4 * FE_MASK,
	};

	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + four_p[i] - g->v[i];
	fe_carry(h);
}

static void fe_neg(struct fe *h, const struct fe *f)
{
	struct fe zero;

	fe_set_small(&zero, 0);
	fe_sub(h, &zero, f);
}

/*
 * Schoolbook 5x5 product. Limb i times limb j lands at 2^(51(i+j)); for
 * i+j >= 5 that is 2^255 * 2^(51(i+j-5)) = 19 * 2^(51(i+j-5)) (mod p), so
 * those products fold back into column i+j-5 multiplied by 19 (applied to
 * g's limb: 19 * 2^52 still fits easily in 64 bits). With limbs < 2^52
 * every column sum stays below 2^115.
 */
static void fe_mul(struct fe *h, const struct fe *f, const struct fe *g)
{
	const u64 f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	const u64 g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
	const u64 g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
	u128 r[5];

	r[0] = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
	r[1] = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
	r[2] = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
	r[3] = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
	r[4] = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;

	/* Carry in 128 bits; the top carry (up to ~2^64) re-enters as 19x. */
	for (int i = 0; i < 4; i++) {
		r[i + 1] += r[i] >> 51;
		r[i] &= FE_MASK;
	}
	r[0] += (r[4] >> 51) * 19;
	r[4] &= FE_MASK;
	r[1] += r[0] >> 51;
	r[0] &= FE_MASK;

	for (int i = 0; i < 5; i++)
		h->v[i] = (u64)r[i];
}

static void fe_sq(struct fe *h, const struct fe *f)
{
	fe_mul(h, f, f);
}

/* a^e by left-to-right square-and-multiply over the 256 bits of e. */
static void fe_pow(struct fe *h, const struct fe *a, const u8 e[32])
{
	struct fe r;

	fe_set_small(&r, 1);
	for (int i = 255; i >= 0; i--) {
		fe_sq(&r, &r);
		if ((e[i / 8] >> (i % 8)) & 1)
			fe_mul(&r, &r, a);
	}
	*h = r;
}

static void fe_invert(struct fe *h, const struct fe *a)
{
	fe_pow(h, a, fe_exp_p_minus_2);
}

static bool fe_equal(const struct fe *f, const struct fe *g)
{
	u8 a[32], b[32];

	fe_tobytes(a, f);
	fe_tobytes(b, g);
	return memcmp(a, b, 32) == 0;
}

static bool fe_iszero(const struct fe *f)
{
	struct fe zero;

	fe_set_small(&zero, 0);
	return fe_equal(f, &zero);
}

/* RFC 8032 calls x "negative" when its canonical value is odd. */
static int fe_isodd(const struct fe *f)
{
	u8 s[32];

	fe_tobytes(s, f);
	return s[0] & 1;
}

/* ---- Curve points ------------------------------------------------------ */

/* Extended homogeneous coordinates (RFC 8032 §5.1.4): x = X/Z, y = Y/Z, xy = T/Z. */
struct ge {
	struct fe X, Y, Z, T;
};

/* The base point B: y = 4/5, x the even root. */
static const u8 ge_base_x[32] = {
	0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
	0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
};
static const u8 ge_base_y[32] = {
	0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
};

static void ge_from_affine(struct ge *p, const struct fe *x, const struct fe *y)
{
	p->X = *x;
	p->Y = *y;
	fe_set_small(&p->Z, 1);
	fe_mul(&p->T, x, y);
}

static void ge_identity(struct ge *p)
{
	fe_set_small(&p->X, 0);
	fe_set_small(&p->Y, 1);
	fe_set_small(&p->Z, 1);
	fe_set_small(&p->T, 0);
}

static void ge_base(struct ge *p)
{
	struct fe x, y;

	fe_frombytes(&x, ge_base_x);
	fe_frombytes(&y, ge_base_y);
	ge_from_affine(p, &x, &y);
}

/* Point addition (RFC 8032 §5.1.4, "add-2008-hwcd-3"); complete, so it is
 * also correct when p == q. r may alias p or q. */
static void ge_add(struct ge *r, const struct ge *p, const struct ge *q)
{
	struct fe a, b, c, d, e, f, g, h, t, two_d;

	fe_frombytes(&two_d, fe_d_bytes);
	fe_add(&two_d, &two_d, &two_d);

	fe_sub(&a, &p->Y, &p->X);
	fe_sub(&t, &q->Y, &q->X);
	fe_mul(&a, &a, &t);
	fe_add(&b, &p->Y, &p->X);
	fe_add(&t, &q->Y, &q->X);
	fe_mul(&b, &b, &t);
	fe_mul(&c, &p->T, &q->T);
	fe_mul(&c, &c, &two_d);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);
	fe_sub(&e, &b, &a);
	fe_sub(&f, &d, &c);
	fe_add(&g, &d, &c);
	fe_add(&h, &b, &a);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

/* Point doubling (RFC 8032 §5.1.4, "dbl-2008-hwcd"). r may alias p. */
static void ge_double(struct ge *r, const struct ge *p)
{
	struct fe a, b, c, e, f, g, h;

	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);
	fe_add(&h, &a, &b);
	fe_add(&e, &p->X, &p->Y);
	fe_sq(&e, &e);
	fe_sub(&e, &h, &e);
	fe_sub(&g, &a, &b);
	fe_add(&f, &c, &g);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

/* [s]p for a 256-bit little-endian scalar, by double-and-add from the top bit. */
static void ge_scalarmult(struct ge *r, const struct ge *p, const u8 s[32])
{
	struct ge acc;

	ge_identity(&acc);
	for (int i = 255; i >= 0; i--) {
		ge_double(&acc, &acc);
		if ((s[i / 8] >> (i % 8)) & 1)
			ge_add(&acc, &acc, p);
	}
	*r = acc;
}

/* Point encoding (RFC 8032 §5.1.2): y, with the parity of x in bit 255. */
static void ge_encode(u8 s[32], const struct ge *p)
{
	struct fe zinv, x, y;

	fe_invert(&zinv, &p->Z);
	fe_mul(&x, &p->X, &zinv);
	fe_mul(&y, &p->Y, &zinv);
	fe_tobytes(s, &y);
	s[31] |= (u8)(fe_isodd(&x) << 7);
}

/* Point decoding (RFC 8032 §5.1.3). Rejects y >= p, points off the curve and
 * the "negative zero" x. Returns 0 or -EINVAL. */
static int ge_decode(struct ge *p, const u8 s[32])
{
	struct fe x, y, y2, u, v, v3, t, vx2, d, sqrtm1;
	int x0 = s[31] >> 7;
	u8 canon[32];

	fe_frombytes(&y, s);
	fe_tobytes(canon, &y);
	canon[31] |= (u8)(x0 << 7);
	if (memcmp(canon, s, 32) != 0)
		return -EINVAL;

	/* x^2 = u/v with u = y^2 - 1 and v = d y^2 + 1. */
	fe_frombytes(&d, fe_d_bytes);
	fe_sq(&y2, &y);
	fe_set_small(&t, 1);
	fe_sub(&u, &y2, &t);
	fe_mul(&v, &d, &y2);
	fe_add(&v, &v, &t);

	/* Candidate root x = u v^3 (u v^7)^((p-5)/8). */
	fe_sq(&v3, &v);
	fe_mul(&v3, &v3, &v);		/* v^3 */
	fe_sq(&t, &v3);
	fe_mul(&t, &t, &v);		/* v^7 */
	fe_mul(&t, &t, &u);		/* u v^7 */
	fe_pow(&t, &t, fe_exp_p_minus_5_div_8);
	fe_mul(&x, &u, &v3);
	fe_mul(&x, &x, &t);

	/* v x^2 is u (x is right), -u (x needs a factor sqrt(-1)) or neither (no root). */
	fe_sq(&vx2, &x);
	fe_mul(&vx2, &vx2, &v);
	if (!fe_equal(&vx2, &u)) {
		fe_neg(&t, &u);
		if (!fe_equal(&vx2, &t))
			return -EINVAL;
		fe_frombytes(&sqrtm1, fe_sqrtm1_bytes);
		fe_mul(&x, &x, &sqrtm1);
	}

	if (x0 && fe_iszero(&x))
		return -EINVAL;
	if (fe_isodd(&x) != x0)
		fe_neg(&x, &x);

	ge_from_affine(p, &x, &y);
	return 0;
}

/* ---- Scalars mod L = 2^252 + 27742317777372353535851937790883648493 ---- */

/* Scalars as four little-endian 64-bit words. */
static const u64 sc_L[4] = {
	0x5812631a5cf5d3edULL, 0x14def9dea2f79cd6ULL, 0, 0x1000000000000000ULL,
};

static bool sc_geq(const u64 a[4], const u64 b[4])
{
	for (int i = 3; i >= 0; i--) {
		if (a[i] != b[i])
			return a[i] > b[i];
	}
	return true;
}

static void sc_sub(u64 a[4], const u64 b[4])
{
	u64 borrow = 0;

	for (int i = 0; i < 4; i++) {
		u128 d = (u128)a[i] - b[i] - borrow;
		a[i] = (u64)d;
		borrow = (u64)(d >> 127);
	}
}

static bool sc_is_canonical(const u8 s[32])
{
	u64 w[4];

	for (int i = 0; i < 4; i++)
		w[i] = load_le64(s + 8 * i);
	return !sc_geq(w, sc_L);
}

/* out = in mod L for a 512-bit little-endian in, by binary long division:
 * feed in's bits from the top into r = 2r + bit, subtracting L whenever
 * r >= L. r < L < 2^253 keeps 2r + 1 within four words. */
static void sc_reduce512(u8 out[32], const u8 in[64])
{
	u64 r[4] = { 0 };

	for (int i = 511; i >= 0; i--) {
		for (int w = 3; w > 0; w--)
			r[w] = (r[w] << 1) | (r[w - 1] >> 63);
		r[0] = (r[0] << 1) | ((in[i / 8] >> (i % 8)) & 1);
		if (sc_geq(r, sc_L))
			sc_sub(r, sc_L);
	}
	for (int i = 0; i < 4; i++)
		store_le64(out + 8 * i, r[i]);
}

/* ---- Verification (RFC 8032 §5.1.7) ------------------------------------ */

int ed25519_verify(const u8 sig[ED25519_SIG_SIZE], const u8 pub[ED25519_PUBKEY_SIZE],
		   const void *msg, size_t len)
{
	const u8 *r_enc = sig, *s_enc = sig + 32;
	struct ge a, r, b, lhs, rhs;
	struct sha512_ctx ctx;
	u8 hash[SHA512_DIGEST_SIZE], k[32], lhs_enc[32], rhs_enc[32];

	if (!sc_is_canonical(s_enc))
		return -EINVAL;
	if (ge_decode(&a, pub) || ge_decode(&r, r_enc))
		return -EINVAL;

	/* k = SHA-512(R || A || M) mod L, over the encodings as received. */
	sha512_init(&ctx);
	sha512_update(&ctx, r_enc, 32);
	sha512_update(&ctx, pub, 32);
	sha512_update(&ctx, msg, len);
	sha512_final(&ctx, hash);
	sc_reduce512(k, hash);

	/* [S]B == R + [k]A */
	ge_base(&b);
	ge_scalarmult(&lhs, &b, s_enc);
	ge_scalarmult(&rhs, &a, k);
	ge_add(&rhs, &r, &rhs);
	ge_encode(lhs_enc, &lhs);
	ge_encode(rhs_enc, &rhs);

	return memcmp(lhs_enc, rhs_enc, 32) == 0 ? 0 : -EKEYREJECTED;
}
