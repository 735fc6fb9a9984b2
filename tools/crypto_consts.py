#!/usr/bin/python3
"""Derives the constant tables in lib/crypto/sha512.c and lib/crypto/ed25519.c from
their mathematical definitions, so none of them is transcribed by hand:
  SHA-512 (FIPS 180-4 §4.2.3, §5.3.5): first 64 bits of the fractional parts
    of the cube roots of the first 80 primes / square roots of the first 8;
  Ed25519 (RFC 8032 §5.1): d = -121665/121666, sqrt(-1) = 2^((p-1)/4), the
    base point (y = 4/5, even x), L, and the exponents p-2 and (p-5)/8.
Run it and compare with the tables in the C sources."""
import math


def icbrt(n):
    x = 1 << ((n.bit_length() + 2) // 3 + 1)
    while True:
        y = (2 * x + n // (x * x)) // 3
        if y >= x:
            break
        x = y
    while (x + 1) ** 3 <= n:
        x += 1
    while x ** 3 > n:
        x -= 1
    return x


def primes(count):
    found, n = [], 2
    while len(found) < count:
        if all(n % q for q in found):
            found.append(n)
        n += 1
    return found


def le_bytes(x):
    return ", ".join("0x%02x" % c for c in x.to_bytes(32, "little"))


M64 = 2 ** 64 - 1
print("sha512_k:")
k = [icbrt(q << 192) & M64 for q in primes(80)]
for i in range(0, 80, 4):
    print("\t" + " ".join("0x%016xULL," % w for w in k[i:i + 4]))
print("sha512_h0:")
print("\t" + " ".join("0x%016xULL," % (math.isqrt(q << 128) & M64) for q in primes(8)))

p = 2 ** 255 - 19
L = 2 ** 252 + 27742317777372353535851937790883648493
d = (-121665 * pow(121666, p - 2, p)) % p
sqrtm1 = pow(2, (p - 1) // 4, p)
by = 4 * pow(5, p - 2, p) % p
x2 = (by * by - 1) * pow(d * by * by + 1, p - 2, p) % p
bx = pow(x2, (p + 3) // 8, p)
if bx * bx % p != x2:
    bx = bx * sqrtm1 % p
if bx & 1:
    bx = p - bx
for name, val in [("d", d), ("sqrt(-1)", sqrtm1), ("B.x", bx), ("B.y", by),
                  ("p - 2", p - 2), ("(p - 5) / 8", (p - 5) // 8)]:
    print("%s:\n\t%s" % (name, le_bytes(val)))
print("L words:", ", ".join("0x%016xULL" % ((L >> (64 * i)) & M64) for i in range(4)))
