#!/usr/bin/python3
"""Post-link fix-ups of a patch object (ld -r output), in place.

Kernel symbols that are not unique are written in C as
    extern int f(int) __asm__(".klp.sym.vmlinux.f__KLPPOS__2");
because an assembler symbol cannot hold the ',' of Linux's
".klp.sym.<obj>.<name>,<sympos>" convention. This tool turns each such
undefined symbol into ".klp.sym.vmlinux.f,2" with st_shndx = SHN_LIVEPATCH
(what Linux's klp-convert produces).

--mutate KIND makes a deliberately bad object for the loader's self-tests:
  shdr-oob      a section's contents point past the end of the file
  reloc-type    the first relocation becomes R_X86_64_GOTPCREL (unsupported)
  abs=SYM:VAL   the undefined SYM becomes an absolute symbol at VAL
"""
import struct
import sys

SHN_LIVEPATCH = 0xff20
SHN_ABS = 0xfff1
SHT_SYMTAB, SHT_RELA = 2, 4
MARK = b"__KLPPOS__"


def sections(d):
    shoff, = struct.unpack_from("<Q", d, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
    out = []
    for i in range(shnum):
        off = shoff + i * shentsize
        name, typ, flags, addr, offset, size, link, info, align, entsize = \
            struct.unpack_from("<IIQQQQIIQQ", d, off)
        out.append(dict(idx=i, hdr=off, name=name, type=typ, offset=offset, size=size,
                        link=link, entsize=entsize))
    return out


def cstr(d, off):
    return bytes(d[off:d.index(b"\0", off)])


def symbols(d, secs):
    st = next(s for s in secs if s["type"] == SHT_SYMTAB)
    strtab = secs[st["link"]]
    for i in range(st["size"] // 24):
        off = st["offset"] + i * 24
        name, = struct.unpack_from("<I", d, off)
        yield i, off, strtab["offset"] + name


def main():
    args = sys.argv[1:]
    mutate = None
    if args and args[0] == "--mutate":
        mutate, args = args[1], args[2:]
    path = args[0]
    d = bytearray(open(path, "rb").read())
    secs = sections(d)
    for i, off, noff in symbols(d, secs):
        name = cstr(d, noff)
        if name.startswith(b".klp.sym.") and MARK in name:
            new = name.replace(MARK, b",") + b"\0"
            d[noff:noff + len(new)] = new  # shorter: the old tail stays after the NUL
            struct.pack_into("<H", d, off + 6, SHN_LIVEPATCH)
    if mutate == "shdr-oob":
        s = next(s for s in secs if cstr(d, secs[struct.unpack_from("<H", d, 0x3e)[0]]["offset"]
                                            + s["name"]) == b".text")
        struct.pack_into("<Q", d, s["hdr"] + 0x18, len(d) + 4096)
    elif mutate == "reloc-type":
        s = next(s for s in secs if s["type"] == SHT_RELA and s["size"])
        rinfo, = struct.unpack_from("<Q", d, s["offset"] + 8)
        struct.pack_into("<Q", d, s["offset"] + 8, (rinfo & ~0xffffffff) | 9)
    elif mutate and mutate.startswith("abs="):
        sym, val = mutate[4:].split(":")
        for i, off, noff in symbols(d, secs):
            if cstr(d, noff) == sym.encode():
                struct.pack_into("<H", d, off + 6, SHN_ABS)
                struct.pack_into("<Q", d, off + 8, int(val, 0))
                break
        else:
            sys.exit(f"klp-fixup: no symbol {sym}")
    elif mutate:
        sys.exit(f"klp-fixup: unknown mutation {mutate}")
    open(path, "wb").write(d)


if __name__ == "__main__":
    main()
