#!/usr/bin/python3
"""Makes a nasm object independent of where the tree is checked out, in place.

nasm writes the absolute directory of the source into DW_AT_comp_dir (an
inline string in .debug_info) and has no option like gcc's
-ffile-prefix-map. This cuts the prefix ROOT/ from such strings, moves the
relocations of .debug_info that follow, fixes the unit length, and writes
the ELF back with its sections laid out again. The kernel build is then
reproducible (Makefile, REPRO_FLAGS): tools/klp-build rebuilds it in a copy.

usage: asm-repro.py ROOT OBJ.o
"""
import struct
import sys

SHT_RELA, SHT_NOBITS = 4, 8


def main():
    root, path = sys.argv[1].rstrip("/") + "/", sys.argv[2]
    d = open(path, "rb").read()
    shoff, = struct.unpack_from("<Q", d, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
    hdrs = [list(struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)) for i in range(shnum)]
    data = [bytearray(d[h[4]:h[4] + h[5]]) if h[1] != SHT_NOBITS else bytearray() for h in hdrs]
    names = data[shstrndx]

    def name(i):
        off = hdrs[i][0]
        return bytes(names[off:names.index(b"\0", off)]).decode()

    info = next((i for i in range(shnum) if name(i) == ".debug_info"), None)
    if info is None:
        return
    pre = root.encode()
    cuts = []  # (offset in the original section, bytes removed)
    sec = data[info]
    pos = sec.find(pre)
    while pos >= 0:
        # Only whole inline strings (the byte before is a NUL or a form's end).
        cuts.append((pos, len(pre)))
        pos = sec.find(pre, pos + len(pre))
    if not cuts:
        return
    out = bytearray()
    last = 0
    for p, n in cuts:
        out += sec[last:p]
        last = p + n
    out += sec[last:]

    def moved(off):
        return off - sum(n for p, n in cuts if p < off)

    # unit_length of each compilation unit (32-bit DWARF): walk the original.
    off = 0
    while off + 4 <= len(sec):
        length, = struct.unpack_from("<I", sec, off)
        end = off + 4 + length
        removed = sum(n for p, n in cuts if off + 4 <= p < end)
        struct.pack_into("<I", out, moved(off), length - removed)
        off = end
    data[info] = out
    hdrs[info][5] = len(out)
    for i, h in enumerate(hdrs):
        if h[1] == SHT_RELA and h[7] == info:
            r = data[i]
            for e in range(0, len(r), 24):
                o, = struct.unpack_from("<Q", r, e)
                struct.pack_into("<Q", r, e, moved(o))
    # Lay the sections out again after the ELF header, in index order.
    img = bytearray(d[:64])
    for i, h in enumerate(hdrs):
        if i == 0 or h[1] == SHT_NOBITS:
            continue
        align = max(h[8], 1)
        img += b"\0" * (-len(img) % align)
        h[4] = len(img)
        h[5] = len(data[i])
        img += data[i]
    img += b"\0" * (-len(img) % 8)
    struct.pack_into("<Q", img, 0x28, len(img))
    for h in hdrs:
        img += struct.pack("<IIQQQQIIQQ", *h)
    open(path, "wb").write(img)


if __name__ == "__main__":
    main()
