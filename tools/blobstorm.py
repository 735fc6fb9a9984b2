#!/usr/bin/python3
"""Bad-blob storm generator: mutates valid signed Kelp blobs into hostile
ones, for tests/py/test_blob_storm.py (one running kernel, over COM2) and for
`make storm STORM_COUNT=N`.

  tools/blobstorm.py [--seed S] [--count N] [--out DIR] SAMPLE.klp ...

writes DIR/NNNN-KIND.klp and DIR/manifest.txt. The seed (--seed, else
$KELP_STORM_SEED, else random) is printed first so a failure can be
replayed with the same blobs.

Mutation kinds:
  flip, trunc, trailer       the signed blob itself: the signature check must
                             refuse every one
  ehdr, shdr, sym, rela,     the ELF payload parsed in Python, one field set
  modinfo, rflip, rtrunc     to a boundary or random value (or bits flipped,
                             or cut), then re-signed with the build key (the
                             trailer format of tools/klp-sign): valid
                             signature, hostile content. The loader must
                             refuse them with a specific reason or load
                             them in a form that unloads cleanly.
Re-signed mutations other than ehdr are made only from samples without an
init (tests/modules/storm_mod.c): a signed module's code is trusted, so a
mutation that relocates a call into garbage and then runs it tests the
mutation, not the loader. ehdr edits never change what code runs.
"""
import argparse
import importlib.machinery
import importlib.util
import os
import random
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = os.path.join(ROOT, "keys", "signing_key.pem")
TRAILER = 32
SIG = 64

# Kernel reply texts, each a specific reason (kernel/module/signature.c,
# kernel/module/elf_check.c, kernel/module/reloc.c, kernel/module/*.c, drivers/patchchan/xfer.c).
# A reply matching none of these is a failure of the storm.
CLASSES = [
    ("loaded", r"^loaded \S+"),
    ("no-signature", r"^no signature"),
    ("bad-trailer", r"^malformed trailer: "),
    ("sig-mismatch", r"^signature does not verify"),
    ("unknown-key", r"^unknown key [0-9a-f]{16}"),
    ("empty", r"^BEGIN: empty blob"),
    ("too-big", r"^blob too (big|large)"),
    ("elf-short", r"^too short for an ELF header"),
    ("elf-ident", r"^(not an ELF object|not ELFCLASS64|not little endian|unknown ELF version)"),
    ("elf-type", r"^(not a relocatable object|not x86-64|relocatable object with program headers)"),
    ("elf-header", r"^(bad e_ehsize|bad e_shentsize|no section headers|too many sections|"
                   r"section header table (out of bounds|misaligned)|bad e_shstrndx)"),
    ("sec-null", r"^section 0 is not the null section"),
    ("sec-type", r"^section \d+: (unsupported section type|SHT_REL relocations)"),
    ("sec-bounds", r"^section \d+: out of bounds"),
    ("sec-align", r"^section \d+: bad alignment"),
    ("sec-size", r"^(section \d+: too big|allocated size too big)"),
    ("sec-names", r"^(section name table|section \d+: name offset)"),
    ("symtab", r"^(more than one symbol table|no symbol table|symbol table|empty symbol table|"
               r"too many symbols|symbol string table)"),
    ("sym-bad", r"^symbol \S+.*(name offset out of bounds|not SHN_LIVEPATCH|SHN_LIVEPATCH without|"
                r"malformed \.klp\.sym|undefined and unnamed|common symbol|bad section index|"
                r"outside its section)"),
    ("sym-unalloc", r"^symbol .* is in unallocated section"),
    ("sym-unknown", r"^unknown symbol \S+"),
    ("sym-ambiguous", r"^ambiguous symbol"),
    ("sym-unresolved", r"^(cannot resolve symbol|malformed \.klp\.sym name)"),
    ("rela-section", r"^section \S+: (bad relocation entry size|misaligned|does not link to the "
                     r"symbol table|bad target section|relocates a section of type)"),
    ("rela-type", r"^unsupported relocation type \d+"),
    ("rela-sym", r"relocation \d+: bad symbol index"),
    ("rela-offset", r"relocation \d+: offset (0x[0-9a-f]+|0) outside"),  # %#lx prints 0 as "0"
    ("rela-overflow", r"^relocation overflow at "),
    ("rela-count", r"^too many relocations"),
    ("modinfo", r"^(\.modinfo: |no name= in \.modinfo|bad module name in \.modinfo|"
                r"bad depends= entry|depends on )"),
    ("build-id", r"^(no \.kelp\.build_id section|\.kelp\.build_id: bad section|built for another "
                 r"kernel)"),
    ("mcount", r"^(__mcount_loc|fentry site (0x[0-9a-f]+|0) outside|bad fentry sites)"),
    ("params", r"^(malformed module parameter table|malformed __param section)"),
    ("already-loaded", r"^module \S+ is already loaded"),
    ("object-size", r"^object too big"),
]
CLASS_RES = [(n, re.compile(r)) for n, r in CLASSES]


def classify(text):
    """The rejection class of a kernel reply, or None when it is not one of
    the specific messages. A refusal's reply is the console lines the kernel
    logged while refusing, then the loader's own reason (drivers/patchchan/
    logcap.c): the reason is the last line, the logged ones may say more."""
    for line in reversed(text.split("\n")):
        for name, rx in CLASS_RES:
            if rx.search(line):
                return name
    return None


def _load_klp_sign():
    path = os.path.join(ROOT, "tools", "klp-sign")
    loader = importlib.machinery.SourceFileLoader("klp_sign", path)
    spec = importlib.util.spec_from_loader("klp_sign", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


class Signer(object):
    """Signs as tools/klp-sign does (its trailer() and key_id()); the Ed25519
    signature itself comes from python3-cryptography when present (the
    same deterministic signature, without an openssl process per blob),
    else from klp-sign's openssl call."""

    def __init__(self, key=KEY):
        self.ks = _load_klp_sign()
        self.key = key
        self.trailer = self.ks.trailer(self.ks.key_id(self.ks.raw_pubkey(key)), SIG)
        self.priv = None
        try:
            from cryptography.hazmat.primitives import serialization
            with open(key, "rb") as f:
                self.priv = serialization.load_pem_private_key(f.read(), None)
        except Exception:
            self.priv = None

    def sign(self, payload):
        payload = bytes(payload)
        sig = self.priv.sign(payload) if self.priv else self.ks.sign(self.key, payload)
        return payload + sig + self.trailer


class Elf(object):
    """Field offsets of an ELF64 relocatable object, for precise edits."""

    EH = [("e_type", 16, "<H"), ("e_machine", 18, "<H"), ("e_version", 20, "<I"),
          ("e_entry", 24, "<Q"), ("e_phoff", 32, "<Q"), ("e_shoff", 40, "<Q"),
          ("e_flags", 48, "<I"), ("e_ehsize", 52, "<H"), ("e_phentsize", 54, "<H"),
          ("e_phnum", 56, "<H"), ("e_shentsize", 58, "<H"), ("e_shnum", 60, "<H"),
          ("e_shstrndx", 62, "<H"), ("ei_class", 4, "<B"), ("ei_data", 5, "<B"),
          ("ei_version", 6, "<B"), ("ei_mag", 0, "<B"), ("ei_mag3", 3, "<B")]
    SH = [("sh_name", 0, "<I"), ("sh_type", 4, "<I"), ("sh_flags", 8, "<Q"),
          ("sh_addr", 16, "<Q"), ("sh_offset", 24, "<Q"), ("sh_size", 32, "<Q"),
          ("sh_link", 40, "<I"), ("sh_info", 44, "<I"), ("sh_addralign", 48, "<Q"),
          ("sh_entsize", 56, "<Q")]
    SYM = [("st_name", 0, "<I"), ("st_info", 4, "<B"), ("st_other", 5, "<B"),
           ("st_shndx", 6, "<H"), ("st_value", 8, "<Q"), ("st_size", 16, "<Q")]
    RELA = [("r_offset", 0, "<Q"), ("r_sym", 12, "<I"), ("r_type", 8, "<I"),
            ("r_addend", 16, "<Q")]

    def __init__(self, d):
        self.d = d
        self.shoff, = struct.unpack_from("<Q", d, 40)
        self.shnum, self.shstrndx = struct.unpack_from("<HH", d, 60)
        self.sh = []
        for i in range(self.shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", d, self.shoff + 64 * i)
            self.sh.append(dict(zip([n for n, _, _ in self.SH], f)))
        ss = self.sh[self.shstrndx]
        for s in self.sh:
            o = ss["sh_offset"] + s["sh_name"]
            s["name"] = d[o:d.index(b"\0", o)].decode()
        self.symtab = next(i for i, s in enumerate(self.sh) if s["sh_type"] == 2)
        self.relas = [i for i, s in enumerate(self.sh) if s["sh_type"] == 4 and s["sh_size"]]

    def sec(self, name):
        return next(i for i, s in enumerate(self.sh) if s["name"] == name)

    def nsyms(self):
        return self.sh[self.symtab]["sh_size"] // 24


def _put(d, off, fmt, v):
    size = struct.calcsize(fmt)
    struct.pack_into(fmt, d, off, v & ((1 << (8 * size)) - 1))


def _value(rng, fmt, cur, context):
    """A value for a field: boundaries, off-by-ones around the current
    value and around the object's size, or random bits."""
    bits = 8 * struct.calcsize(fmt)
    top = (1 << bits) - 1
    cands = [0, 1, top, top >> 1, (top >> 1) + 1, cur + 1, cur - 1, cur ^ (1 << rng.randrange(bits)),
             cur * 2, rng.getrandbits(bits)] + [c + delta for c in context for delta in (-1, 0, 1, 8)]
    return rng.choice(cands) & top


def mut_ehdr(rng, d, e):
    name, off, fmt = rng.choice(Elf.EH)
    cur, = struct.unpack_from(fmt, d, off)
    v = _value(rng, fmt, cur, [len(d), e.shnum, 64])
    _put(d, off, fmt, v)
    return "%s %#x->%#x" % (name, cur, v)


def mut_shdr(rng, d, e):
    i = rng.randrange(e.shnum)
    name, off, fmt = rng.choice(Elf.SH)
    if rng.random() < 0.3:   # favour the fields the loader lays out by
        name, off, fmt = rng.choice([f for f in Elf.SH if f[0] in
                                     ("sh_offset", "sh_size", "sh_flags", "sh_type", "sh_info")])
    cur, = struct.unpack_from(fmt, d, e.shoff + 64 * i + off)
    if name == "sh_flags" and rng.random() < 0.6:
        v = cur ^ rng.choice([1, 2, 4, 0x10, 0x20, 0x40, 0x200])   # W A X M S I G
    elif name == "sh_type" and rng.random() < 0.6:
        v = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14, 15, 0x6ffffff6, 0x70000001])
    else:
        v = _value(rng, fmt, cur, [len(d), e.shoff, e.shnum, e.sh[i]["sh_size"]])
    _put(d, e.shoff + 64 * i + off, fmt, v)
    return "section %d (%s) %s %#x->%#x" % (i, e.sh[i]["name"], name, cur, v)


def mut_sym(rng, d, e):
    st = e.sh[e.symtab]
    i = rng.randrange(e.nsyms())
    name, off, fmt = rng.choice(Elf.SYM)
    base = st["sh_offset"] + 24 * i
    cur, = struct.unpack_from(fmt, d, base + off)
    if name == "st_shndx" and rng.random() < 0.6:
        v = rng.choice([0, e.shnum - 1, e.shnum, 0xff00, 0xff1f, 0xff20, 0xfff1, 0xfff2, 0xffff,
                        rng.randrange(e.shnum)])
    elif name == "st_info" and rng.random() < 0.6:
        v = rng.choice([0, 1, 2, 3, 4, 6]) | rng.choice([0, 1, 2, 10]) << 4
    else:
        v = _value(rng, fmt, cur, [e.sh[e.symtab + 1]["sh_size"], 0x80, 0x100])
    _put(d, base + off, fmt, v)
    return "symbol %d %s %#x->%#x" % (i, name, cur, v)


def mut_rela(rng, d, e):
    ri = rng.choice(e.relas)
    rs = e.sh[ri]
    j = rng.randrange(rs["sh_size"] // 24)
    name, off, fmt = rng.choice(Elf.RELA)
    base = rs["sh_offset"] + 24 * j
    cur, = struct.unpack_from(fmt, d, base + off)
    if name == "r_type" and rng.random() < 0.7:
        v = rng.choice([0, 1, 2, 3, 4, 9, 10, 11, 24, 41, 42, 0xffffffff])
    elif name == "r_sym":
        v = rng.choice([0, e.nsyms() - 1, e.nsyms(), 0xffffff, rng.randrange(e.nsyms())])
    else:
        v = _value(rng, fmt, cur, [e.sh[rs["sh_info"]]["sh_size"], 1 << 31, 1 << 32])
    _put(d, base + off, fmt, v)
    return "%s[%d] %s %#x->%#x" % (rs["name"], j, name, cur, v)


def mut_modinfo(rng, d, e):
    m = e.sh[e.sec(".modinfo")]
    lo, hi = m["sh_offset"], m["sh_offset"] + m["sh_size"]
    text = bytes(d[lo:hi])
    how = rng.choice(["byte", "name", "nul", "eq", "depends"])
    if how == "byte":
        k = rng.randrange(lo, hi)
        v = rng.choice([0, ord("="), ord(","), ord("/"), ord(" "), 0xff, rng.randrange(256)])
        d[k] = v
        return "modinfo byte %d ->%#x" % (k - lo, v)
    i = text.find(b"name=")
    if how == "name" and i >= 0:
        n = text.index(b"\0", i) - i - 5
        new = bytes(rng.choice(b"abz_-09/.= \x01") for _ in range(n))
        d[lo + i + 5:lo + i + 5 + n] = new
        return "modinfo name -> %r" % new
    if how == "nul":
        d[hi - 1] = ord("x")
        return "modinfo last NUL -> 'x'"
    if how == "eq":
        k = text.find(b"=")
        d[lo + k] = ord(":")
        return "modinfo first '=' -> ':'"
    # depends=: overwrite the first entry (same length) with a dependency
    k = text.index(b"\0") + 1
    ent = b"depends=" + bytes(rng.choice(b"abc,") for _ in range(max(0, k - 9)))
    d[lo:lo + len(ent[:k - 1])] = ent[:k - 1]
    return "modinfo first entry -> %r" % ent[:k - 1]


def mut_rflip(rng, d, e):
    n = rng.choice([1, 1, 2, 4, 16])
    where = []
    for _ in range(n):
        k = rng.randrange(len(d))
        d[k] ^= 1 << rng.randrange(8)
        where.append(k)
    return "re-signed bit flips at %s" % where


def mut_rtrunc(rng, d, e):
    n = rng.choice([0, 1, 16, 63, 64, rng.randrange(len(d)), len(d) - 1, len(d) - 8])
    del d[n:]
    return "re-signed, cut to %d bytes" % n


RESIGNED = {"ehdr": mut_ehdr, "shdr": mut_shdr, "sym": mut_sym, "rela": mut_rela,
            "modinfo": mut_modinfo, "rflip": mut_rflip, "rtrunc": mut_rtrunc}
WEIGHTS = [("flip", 10), ("trunc", 6), ("trailer", 4), ("ehdr", 12), ("shdr", 20), ("sym", 16),
           ("rela", 16), ("modinfo", 6), ("rflip", 7), ("rtrunc", 3)]


class Mutant(object):
    def __init__(self, idx, kind, sample, desc, data, must_reject):
        self.idx, self.kind, self.sample, self.desc = idx, kind, sample, desc
        self.data, self.must_reject = bytes(data), must_reject
        self.name = "storm%d" % idx

    def __repr__(self):
        return "#%d %s from %s: %s (%d bytes)" % (self.idx, self.kind, self.sample, self.desc,
                                                 len(self.data))


def generate(seed, count, samples, signer=None, storm_base=None):
    """count mutants from samples ({name: signed bytes}); storm_base names the
    samples without an init (the base of the re-signed kinds but ehdr).
    Deterministic for a seed."""
    rng = random.Random(seed)
    signer = signer or Signer()
    names = sorted(samples)
    storm_base = sorted(storm_base if storm_base is not None else
                        [n for n in names if n.startswith("storm")]) or names
    kinds = [k for k, w in WEIGHTS for _ in range(w)]
    out = []
    for idx in range(count):
        kind = rng.choice(kinds)
        sample = rng.choice(storm_base if kind in RESIGNED and kind != "ehdr" else names)
        blob = bytearray(samples[sample])
        payload = blob[:-(SIG + TRAILER)]
        must_reject = True
        if kind == "flip":
            n = rng.choice([1, 1, 1, 2, 3, 8])
            ks = [rng.randrange(len(blob)) for _ in range(n)]
            for k in ks:
                blob[k] ^= 1 << rng.randrange(8)
            desc, data = "bit flips at %s" % ks, blob
        elif kind == "trunc":
            n = rng.choice([1, 16, 52, rng.randrange(1, len(blob)), len(blob) - 1,
                            len(blob) - TRAILER, len(blob) - TRAILER - SIG])
            desc, data = "cut to %d bytes" % n, blob[:n]
        elif kind == "trailer":
            t = len(blob) - TRAILER
            f, off = rng.choice([("magic", 0), ("version", 16), ("alg", 17), ("key_id", 18),
                                 ("pad", 26), ("sig_len", 28), ("sig_len", 31), ("sig", -SIG)])
            old = blob[t + off]
            blob[t + off] = rng.choice([0, 1, 2, 0xff, old ^ 0x80, old + 1 & 0xff])
            if blob[t + off] == old:
                blob[t + off] ^= 1
            desc, data = "trailer %s byte %#x->%#x" % (f, old, blob[t + off]), blob
        else:
            e = Elf(bytes(payload))
            desc = RESIGNED[kind](rng, payload, e)
            data = signer.sign(payload)
            must_reject = False
        out.append(Mutant(idx, kind, sample, desc, data, must_reject))
    return out


def seed_from_env(seed=None):
    if seed is None:
        s = os.environ.get("KELP_STORM_SEED")
        seed = int(s, 0) if s else random.SystemRandom().randrange(1 << 32)
    return seed


def main():
    ap = argparse.ArgumentParser(description="generate mutated Kelp blobs")
    ap.add_argument("--seed", type=lambda s: int(s, 0), help="default: $KELP_STORM_SEED or random")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "storm"))
    ap.add_argument("--key", default=KEY)
    ap.add_argument("samples", nargs="+", help="valid signed blobs (storm_*.klp have no init)")
    a = ap.parse_args()
    seed = seed_from_env(a.seed)
    print("blobstorm: seed %d (replay: --seed %d or KELP_STORM_SEED=%d)" % (seed, seed, seed))
    samples = {}
    for p in a.samples:
        with open(p, "rb") as f:
            samples[os.path.basename(p)[:-4]] = f.read()
    os.makedirs(a.out, exist_ok=True)
    ms = generate(seed, a.count, samples, Signer(a.key))
    with open(os.path.join(a.out, "manifest.txt"), "w") as man:
        man.write("# seed %d\n" % seed)
        for m in ms:
            fn = "%04d-%s.klp" % (m.idx, m.kind)
            with open(os.path.join(a.out, fn), "wb") as f:
                f.write(m.data)
            man.write("%s %s\n" % (fn, m))
    print("blobstorm: %d blobs in %s" % (len(ms), a.out))


if __name__ == "__main__":
    sys.exit(main())
