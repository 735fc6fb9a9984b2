/* Ed25519 signature verification, written from the mathematics of RFC 8032
 * §5.1: arithmetic in GF(p), p = 2^255 - 19; points of the twisted Edwards
 * curve -x^2 + y^2 = 1 + d x^2 y^2 in extended coordinates; scalars mod the
 * group order L. The check [S]B = R + [k]A runs as one joint double-scalar
 * multiplication over signed windows, with a constant table for B, and
 * compares with R projectively. No constant-time care, since every input is
 * public. Freestanding: no heap, no division, no SSE, so the same file
 * builds in the kernel and in the host tests. Constants and the table
 * (ed25519_base.h) come from tools/crypto_consts.py, which derives them from
 * their definitions. */
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

/* Constants in limb form, printed by tools/crypto_consts.py from their
 * definitions: d = -121665/121666 mod p, 2d (the factor the addition
 * formula needs) and 2^((p-1)/4), a square root of -1 mod p. */
static const struct fe fe_d = { { 0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029,
				  0x739c663a03cbb, 0x52036cee2b6ff } };
static const struct fe fe_d2 = { { 0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052,
				   0x6738cc7407977, 0x2406d9dc56dff } };
static const struct fe fe_sqrtm1 = { { 0x61b274a0ea0b0, 0x0d5a5fc8f189d, 0x7ef5e9cbd0c60,
				       0x78595a6804c9e, 0x2b8324804fc1d } };

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
	u64 w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16),
	    w3 = load_le64(s + 24);

	h->v[0] = w0 & FE_MASK;
	h->v[1] = ((w0 >> 51) | (w1 << 13)) & FE_MASK;
	h->v[2] = ((w1 >> 38) | (w2 << 26)) & FE_MASK;
	h->v[3] = ((w2 >> 25) | (w3 << 39)) & FE_MASK;
	h->v[4] = (w3 >> 12) & FE_MASK;
}

/* Moves each limb's excess above 51 bits into the next one; what leaves the
 * top limb is worth 2^255 = 19 (mod p). Accepts limbs up to 2^63. Written
 * out rather than as a loop: it runs after every addition. */
static inline void fe_carry(struct fe *h)
{
	u64 h0 = h->v[0], h1 = h->v[1], h2 = h->v[2], h3 = h->v[3], h4 = h->v[4];

	h1 += h0 >> 51;
	h0 &= FE_MASK;
	h2 += h1 >> 51;
	h1 &= FE_MASK;
	h3 += h2 >> 51;
	h2 &= FE_MASK;
	h4 += h3 >> 51;
	h3 &= FE_MASK;
	h0 += 19 * (h4 >> 51);
	h4 &= FE_MASK;
	h->v[0] = h0;
	h->v[1] = h1;
	h->v[2] = h2;
	h->v[3] = h3;
	h->v[4] = h4;
}

/*
 * The carry chain after a product: columns r0..r4 (r_i worth 2^(51 i)) down
 * to 51-bit limbs. With input limbs below 2^52, r4 has no folded (x19)
 * terms, so r4 < 5 * 2^104 + 2^60 and its carry c < 2^56: 19c fits in 64 bits and
 * re-enters at limb 0, whose own carry then goes once more into limb 1.
 * The result has limbs below 2^51, limb 1 below 2^51 + 2^9.
 */
static inline void fe_carry_wide(struct fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	u64 h0, h1, h2, h3, h4;

	r1 += (u64)(r0 >> 51);
	h0 = (u64)r0 & FE_MASK;
	r2 += (u64)(r1 >> 51);
	h1 = (u64)r1 & FE_MASK;
	r3 += (u64)(r2 >> 51);
	h2 = (u64)r2 & FE_MASK;
	r4 += (u64)(r3 >> 51);
	h3 = (u64)r3 & FE_MASK;
	h0 += 19 * (u64)(r4 >> 51);
	h4 = (u64)r4 & FE_MASK;
	h1 += h0 >> 51;
	h0 &= FE_MASK;
	h->v[0] = h0;
	h->v[1] = h1;
	h->v[2] = h2;
	h->v[3] = h3;
	h->v[4] = h4;
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

/* Sums and differences are written out limb by limb (gcc -O2 keeps a
 * five-step loop a loop): they are a third of all field operations. */
static void fe_add(struct fe *h, const struct fe *f, const struct fe *g)
{
	h->v[0] = f->v[0] + g->v[0];
	h->v[1] = f->v[1] + g->v[1];
	h->v[2] = f->v[2] + g->v[2];
	h->v[3] = f->v[3] + g->v[3];
	h->v[4] = f->v[4] + g->v[4];
	fe_carry(h);
}

/* f - g computed as f + 4p - g so no limb goes negative (g's limbs < 2^53). */
static void fe_sub(struct fe *h, const struct fe *f, const struct fe *g)
{
	/* 4p in limbs: 4 (2^51 - 19), then 4 (2^51 - 1) four times. */
	const u64 four_p0 = 4 * (FE_MASK - 18), four_p = 4 * FE_MASK;

	h->v[0] = f->v[0] + four_p0 - g->v[0];
	h->v[1] = f->v[1] + four_p - g->v[1];
	h->v[2] = f->v[2] + four_p - g->v[2];
	h->v[3] = f->v[3] + four_p - g->v[3];
	h->v[4] = f->v[4] + four_p - g->v[4];
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
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 +
	     (u128)f4 * g1_19;
	r1 = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
	r2 = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
	r3 = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
	r4 = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
	fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/*
 * f^2: the same columns as fe_mul with f = g, where the products f_i f_j
 * and f_j f_i (i != j) are one doubled product: 15 multiplications
 * instead of 25. Column c collects i + j = c and, times 19, i + j = c + 5.
 */
static void fe_sq(struct fe *h, const struct fe *f)
{
	const u64 f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
	const u64 f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3;
	const u64 f3_19 = 19 * f3, f4_19 = 19 * f4;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)f2_2 * f3_19;
	r1 = (u128)f0_2 * f1 + (u128)f2_2 * f4_19 + (u128)f3 * f3_19;
	r2 = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)f3_2 * f4_19;
	r3 = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
	r4 = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
	fe_carry_wide(h, r0, r1, r2, r3, r4);
}

/* f^(2^n): n squarings. */
static void fe_sq_n(struct fe *h, const struct fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/*
 * The exponents (p - 5)/8 = 2^252 - 3 (the square root in point decoding)
 * and p - 2 = 2^255 - 21 (inversion, which only the host tests use now)
 * both start with 2^250 - 1, a run of 250 one bits. The usual addition chain
 * builds runs of ones by doubling their length:
 * z^(2^(2n) - 1) = (z^(2^n - 1))^(2^n) * z^(2^n - 1). Returns z^(2^250 - 1)
 * in *h and z^11 (on the way) in *z11: 249 squarings and 10
 * multiplications, against about 250 of each for square-and-multiply.
 */
static void fe_pow_2_250_minus_1(struct fe *h, struct fe *z11, const struct fe *z)
{
	struct fe z2, z9, t, e5, e10, e20, e50, e100;

	fe_sq(&z2, z); /* z^2 */
	fe_sq_n(&t, &z2, 2); /* z^8 */
	fe_mul(&z9, &t, z); /* z^9 */
	fe_mul(z11, &z9, &z2); /* z^11 */
	fe_sq(&t, z11); /* z^22 */
	fe_mul(&e5, &t, &z9); /* z^(2^5 - 1) = z^31 */
	fe_sq_n(&t, &e5, 5);
	fe_mul(&e10, &t, &e5); /* z^(2^10 - 1) */
	fe_sq_n(&t, &e10, 10);
	fe_mul(&e20, &t, &e10); /* z^(2^20 - 1) */
	fe_sq_n(&t, &e20, 20);
	fe_mul(&t, &t, &e20); /* z^(2^40 - 1) */
	fe_sq_n(&t, &t, 10);
	fe_mul(&e50, &t, &e10); /* z^(2^50 - 1) */
	fe_sq_n(&t, &e50, 50);
	fe_mul(&e100, &t, &e50); /* z^(2^100 - 1) */
	fe_sq_n(&t, &e100, 100);
	fe_mul(&t, &t, &e100); /* z^(2^200 - 1) */
	fe_sq_n(&t, &t, 50);
	fe_mul(h, &t, &e50); /* z^(2^250 - 1) */
}

/* a^((p-5)/8), the power the square root in point decoding (RFC 8032
 * §5.1.3) needs; (p - 5)/8 = (2^250 - 1) * 2^2 + 1. */
static void fe_pow_p58(struct fe *h, const struct fe *a)
{
	struct fe t, a11;

	fe_pow_2_250_minus_1(&t, &a11, a);
	fe_sq_n(&t, &t, 2);
	fe_mul(h, &t, a);
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

/*
 * Points live in four forms (RFC 8032 §5.1.4 and the "extended coordinates"
 * of Hisil, Wong, Carter and Dawson, 2008):
 *
 *   struct ge         extended (X : Y : Z : T), x = X/Z, y = Y/Z, x y = T/Z;
 *   struct ge_proj    projective (X : Y : Z), the same without T, which is
 *                     all a doubling reads;
 *   struct ge_done    an addition's or doubling's result before its last
 *                     four multiplications: every formula below ends with
 *                     X = E F, Y = G H, T = E H, Z = F G, so keeping (E, F,
 *                     G, H) lets the caller pay for T (4 products) only
 *                     when an addition comes next, and 3 products otherwise;
 *   struct ge_cached  (Y + X, Y - X, Z, 2d T): a point prepared to be added,
 *                     so the addition does not recompute those for every use;
 *   struct ge_niels   (y + x, y - x, 2d x y): the same for an affine point
 *                     (Z = 1), one multiplication cheaper; the constant table
 *                     of multiples of B is in this form.
 *
 * The curve's addition law with a = -1 is complete (d is not a square in
 * GF(p)), so these formulas need no special cases: they hold for doubling,
 * the identity, and the small-order points a hostile key may be.
 */
struct ge {
	struct fe X, Y, Z, T;
};

struct ge_proj {
	struct fe X, Y, Z;
};

struct ge_done {
	struct fe E, F, G, H;
};

struct ge_cached {
	struct fe YplusX, YminusX, Z, T2d;
};

struct ge_niels {
	struct fe yplusx, yminusx, xy2d;
};

#include "ed25519_base.h"

static void ge_from_affine(struct ge *p, const struct fe *x, const struct fe *y)
{
	p->X = *x;
	p->Y = *y;
	fe_set_small(&p->Z, 1);
	fe_mul(&p->T, x, y);
}

static void ge_done_to_ge(struct ge *r, const struct ge_done *p)
{
	fe_mul(&r->X, &p->E, &p->F);
	fe_mul(&r->Y, &p->G, &p->H);
	fe_mul(&r->Z, &p->F, &p->G);
	fe_mul(&r->T, &p->E, &p->H);
}

static void ge_done_to_proj(struct ge_proj *r, const struct ge_done *p)
{
	fe_mul(&r->X, &p->E, &p->F);
	fe_mul(&r->Y, &p->G, &p->H);
	fe_mul(&r->Z, &p->F, &p->G);
}

static void ge_to_cached(struct ge_cached *r, const struct ge *p)
{
	fe_add(&r->YplusX, &p->Y, &p->X);
	fe_sub(&r->YminusX, &p->Y, &p->X);
	r->Z = p->Z;
	fe_mul(&r->T2d, &p->T, &fe_d2);
}

/* E, F, G, H of an addition from its A, B, C, D (negating q negates C). */
static void ge_add_finish(struct ge_done *r, const struct fe *a, const struct fe *b,
			  const struct fe *c, const struct fe *d, int neg)
{
	fe_sub(&r->E, b, a);
	fe_add(&r->H, b, a);
	if (neg) {
		fe_add(&r->F, d, c);
		fe_sub(&r->G, d, c);
	} else {
		fe_sub(&r->F, d, c);
		fe_add(&r->G, d, c);
	}
}

/*
 * p + q or p - q ("add-2008-hwcd-3", RFC 8032 §5.1.4): with
 *   A = (Y1 - X1)(Y2 - X2), B = (Y1 + X1)(Y2 + X2), C = T1 2d T2, D = 2 Z1 Z2,
 * the sum is E = B - A, F = D - C, G = D + C, H = B + A. Negating q swaps
 * its Y + X and Y - X and negates its T, hence the sign argument: neg = 1
 * gives p - q.
 */
static void ge_add_cached(struct ge_done *r, const struct ge *p, const struct ge_cached *q, int neg)
{
	struct fe a, b, c, d;

	fe_sub(&a, &p->Y, &p->X);
	fe_mul(&a, &a, neg ? &q->YplusX : &q->YminusX);
	fe_add(&b, &p->Y, &p->X);
	fe_mul(&b, &b, neg ? &q->YminusX : &q->YplusX);
	fe_mul(&c, &p->T, &q->T2d);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add(&d, &d, &d);
	ge_add_finish(r, &a, &b, &c, &d, neg);
}

/* The same with q affine (Z2 = 1, so D = 2 Z1 needs no multiplication). */
static void ge_add_niels(struct ge_done *r, const struct ge *p, const struct ge_niels *q, int neg)
{
	struct fe a, b, c, d;

	fe_sub(&a, &p->Y, &p->X);
	fe_mul(&a, &a, neg ? &q->yplusx : &q->yminusx);
	fe_add(&b, &p->Y, &p->X);
	fe_mul(&b, &b, neg ? &q->yminusx : &q->yplusx);
	fe_mul(&c, &p->T, &q->xy2d);
	fe_add(&d, &p->Z, &p->Z);
	ge_add_finish(r, &a, &b, &c, &d, neg);
}

/*
 * 2p ("dbl-2008-hwcd", RFC 8032 §5.1.4): A = X1^2, B = Y1^2, C = 2 Z1^2,
 * H = A + B, E = H - (X1 + Y1)^2, G = A - B, F = C + G. It reads no T.
 */
static void ge_double(struct ge_done *r, const struct ge_proj *p)
{
	struct fe a, b, c, t;

	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	fe_add(&c, &c, &c);
	fe_add(&r->H, &a, &b);
	fe_add(&t, &p->X, &p->Y);
	fe_sq(&t, &t);
	fe_sub(&r->E, &r->H, &t);
	fe_sub(&r->G, &a, &b);
	fe_add(&r->F, &c, &r->G);
}

/*
 * Signed-window recoding ("width-w NAF"): s = sum(naf[i] 2^i) where every
 * non-zero digit is odd with |naf[i]| < 2^(w-1), and any w consecutive
 * digits hold at most one non-zero. Scanning s from the bottom with a carry
 * c (the part of s already paid for by a digit below): at an even bit of
 * s + c nothing happens; at an odd one the next w bits of s, plus c, form a
 * value v in [1, 2^w]; the digit is v, or v - 2^w when v >= 2^(w-1), in
 * which case the 2^w it leaves owing becomes the carry into bit i + w.
 * On average one digit in w + 1 is non-zero, against one bit in two. For
 * s < 2^255 the last carry lands inside the 256 digits.
 */
static void sc_wnaf(s8 naf[256], const u8 s[32], int w)
{
	u64 x[5] = { 0 };
	const u32 width = 1u << w, mask = width - 1;
	u32 carry = 0;
	int i = 0;

	for (int j = 0; j < 4; j++)
		x[j] = load_le64(s + 8 * j);
	memset(naf, 0, 256);
	while (i < 256) {
		/* Bits i .. i + w - 1 of s (w <= 8; x[4] = 0 pads the top). */
		u64 bits = x[i / 64] >> (i % 64);
		if (i % 64 > 64 - w)
			bits |= x[i / 64 + 1] << (64 - i % 64);
		u32 v = ((u32)bits & mask) + carry;

		if (!(v & 1)) {
			/* Bit i of s + c is 0; c (0 or 1) passes to bit i + 1 unchanged. */
			i++;
			continue;
		}
		if (v < width / 2) {
			naf[i] = (s8)v;
			carry = 0;
		} else {
			naf[i] = (s8)((int)v - (int)width);
			carry = 1;
		}
		i += w;
	}
}

/* Window widths: the base point's table is constant (ed25519_base.h, the
 * odd multiples up to [63]B for w = 7); A's is built per call, and w = 5
 * (8 entries) balances building it against the additions it saves. */
#define BASE_WNAF_W 7
#define KEY_WNAF_W 5
#define KEY_ODD (1 << (KEY_WNAF_W - 2))

/*
 * [s]B - [k]A, the left side of RFC 8032 §5.1.7's check [S]B = R + [k]A
 * moved over, by one joint ("Straus-Shamir") double-and-add: one chain of
 * doublings serves both scalars, and each recoded digit adds or subtracts
 * an odd multiple of B or of A from a small table. About 253 doublings and
 * 32 + 42 additions (one digit in w + 1), against 512 doublings and ~256
 * additions for two separate binary ladders. s, k < 2^255. Variable time:
 * every input is public.
 */
static void ge_double_scalarmult(struct ge_proj *r, const u8 s[32], const struct ge *a,
				 const u8 k[32])
{
	s8 naf_s[256], naf_k[256];
	struct ge_cached a_odd[KEY_ODD]; /* [1]A, [3]A, ..., [15]A */
	struct ge_done t;
	struct ge u, a2;
	struct ge_proj acc;
	int i;

	sc_wnaf(naf_s, s, BASE_WNAF_W);
	sc_wnaf(naf_k, k, KEY_WNAF_W);

	/* a_odd[j] = [2j + 1]A, each the previous plus [2]A. */
	ge_to_cached(&a_odd[0], a);
	acc.X = a->X;
	acc.Y = a->Y;
	acc.Z = a->Z;
	ge_double(&t, &acc);
	ge_done_to_ge(&a2, &t);
	for (int j = 1; j < KEY_ODD; j++) {
		ge_add_cached(&t, &a2, &a_odd[j - 1], 0);
		ge_done_to_ge(&u, &t);
		ge_to_cached(&a_odd[j], &u);
	}

	/* The identity (0 : 1 : 1); leading zero digits would only double it. */
	fe_set_small(&acc.X, 0);
	fe_set_small(&acc.Y, 1);
	fe_set_small(&acc.Z, 1);
	for (i = 255; i >= 0 && !naf_s[i] && !naf_k[i]; i--)
		;
	for (; i >= 0; i--) {
		ge_double(&t, &acc);
		if (naf_s[i]) {
			ge_done_to_ge(&u, &t);
			ge_add_niels(&t, &u,
				     &ge_base_odd[(naf_s[i] < 0 ? -naf_s[i] : naf_s[i]) / 2],
				     naf_s[i] < 0);
		}
		/* -[k]A: a positive digit subtracts its multiple of A. */
		if (naf_k[i]) {
			ge_done_to_ge(&u, &t);
			ge_add_cached(&t, &u, &a_odd[(naf_k[i] < 0 ? -naf_k[i] : naf_k[i]) / 2],
				      naf_k[i] > 0);
		}
		ge_done_to_proj(&acc, &t);
	}
	*r = acc;
}

/* Point decoding (RFC 8032 §5.1.3). Rejects y >= p, points off the curve and
 * the "negative zero" x. Returns 0 or -EINVAL. */
static int ge_decode(struct ge *p, const u8 s[32])
{
	struct fe x, y, y2, u, v, v3, t, vx2;
	int x0 = s[31] >> 7;
	u8 canon[32];

	fe_frombytes(&y, s);
	fe_tobytes(canon, &y);
	canon[31] |= (u8)(x0 << 7);
	if (memcmp(canon, s, 32) != 0)
		return -EINVAL;

	/* x^2 = u/v with u = y^2 - 1 and v = d y^2 + 1. */
	fe_sq(&y2, &y);
	fe_set_small(&t, 1);
	fe_sub(&u, &y2, &t);
	fe_mul(&v, &fe_d, &y2);
	fe_add(&v, &v, &t);

	/* Candidate root x = u v^3 (u v^7)^((p-5)/8). */
	fe_sq(&v3, &v);
	fe_mul(&v3, &v3, &v); /* v^3 */
	fe_sq(&t, &v3);
	fe_mul(&t, &t, &v); /* v^7 */
	fe_mul(&t, &t, &u); /* u v^7 */
	fe_pow_p58(&t, &t);
	fe_mul(&x, &u, &v3);
	fe_mul(&x, &x, &t);

	/* v x^2 is u (x is right), -u (x needs a factor sqrt(-1)) or neither (no root). */
	fe_sq(&vx2, &x);
	fe_mul(&vx2, &vx2, &v);
	if (!fe_equal(&vx2, &u)) {
		fe_neg(&t, &u);
		if (!fe_equal(&vx2, &t))
			return -EINVAL;
		fe_mul(&x, &x, &fe_sqrtm1);
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
	0x5812631a5cf5d3edULL,
	0x14def9dea2f79cd6ULL,
	0,
	0x1000000000000000ULL,
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
 * r >= L. r < L < 2^253 keeps 2r + 1 within four words. The top 252 bits
 * are below 2^252 < L, so no subtraction can happen while they go in: r
 * starts as them (in >> 260) and only the low 260 bits are fed. */
static void sc_reduce512(u8 out[32], const u8 in[64])
{
	u64 w[8], r[4];

	for (int i = 0; i < 8; i++)
		w[i] = load_le64(in + 8 * i);
	for (int i = 0; i < 3; i++)
		r[i] = (w[4 + i] >> 4) | (w[5 + i] << 60);
	r[3] = w[7] >> 4;

	for (int i = 259; i >= 0; i--) {
		for (int j = 3; j > 0; j--)
			r[j] = (r[j] << 1) | (r[j - 1] >> 63);
		r[0] = (r[0] << 1) | ((w[i / 64] >> (i % 64)) & 1);
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
	struct ge a, r;
	struct ge_proj p;
	struct sha512_ctx ctx;
	struct fe t;
	u8 hash[SHA512_DIGEST_SIZE], k[32];

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

	/*
	 * [S]B == R + [k]A, as points: P = [S]B - [k]A must be R. R was decoded
	 * above (so a non-canonical or off-curve R is refused exactly as
	 * before) to affine (x_R, y_R), and P = (X : Y : Z) with Z != 0 is that
	 * point when X = x_R Z and Y = y_R Z. This is the same relation RFC 8032
	 * §5.1.7 states through encodings (a point's encoding is unique), with
	 * no inversion to bring P to affine form.
	 */
	ge_double_scalarmult(&p, s_enc, &a, k);
	fe_mul(&t, &r.X, &p.Z);
	if (!fe_equal(&t, &p.X))
		return -EKEYREJECTED;
	fe_mul(&t, &r.Y, &p.Z);
	if (!fe_equal(&t, &p.Y))
		return -EKEYREJECTED;
	return 0;
}
