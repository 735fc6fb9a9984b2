#!/usr/bin/python3
"""Kelp's kernel symbol table generator (the build's kallsyms).

Reads the symbol table of a linked kernel.elf and writes a GNU assembler
file that fills the .ksyms section (see kernel/ksyms.c for the layout).
The kernel is linked more than once (Makefile): .ksyms sits last in the
image, so filling it moves nothing else; `verify` proves that.

usage:
  gensyms.py gen [KERNEL.elf ASM.o...] -o OUT.S  (no ELF: the empty table;
                                            ASM.o: the nasm objects linked in)
  gensyms.py verify FIRST.elf FINAL.elf    (fail if any symbol moved)
  gensyms.py dump KERNEL.elf [ASM.o...]    (the table as text, for debugging)

Only the standard library is used: the ELF is parsed here, so the table
does not depend on the exact text nm or readelf print.
"""
import struct
import sys

# Names the generated table itself defines; they move when it is filled in.
TABLE_SYMS = ("ksym_table_count", "ksym_addrs", "ksym_sizes", "ksym_name_offs",
              "ksym_name_index", "ksym_types", "ksym_flags", "ksym_strtab")

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
SHT_SYMTAB, SHT_NOBITS = 2, 8
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE = 0, 1, 2, 3, 4
STB_LOCAL, STB_GLOBAL, STB_WEAK = 0, 1, 2
SHN_UNDEF, SHN_ABS = 0, 0xfff1

# bits of ksym_flags[]
FLAG_SIZE_GUESSED = 1  # no ELF size: distance to the next symbol
FLAG_EXEC = 2          # defined in an executable section
FLAG_LINKER = 4        # defined by linker.ld (__text_start...), not by code


class Sym:
    __slots__ = ("addr", "size", "name", "bind", "letter", "flags", "kind", "secstart", "secend")


def read_elf_symbols(path, relocatable=False):
    """Every symbol of an ELF64 little-endian file worth a table entry."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("gensyms: %s: not an ELF64 little-endian file" % path)
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
    sections = []
    for i in range(shnum):
        (name, stype, flags, addr, off, size, link, info, align,
         entsize) = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        sections.append((stype, flags, off, size, link, entsize, addr))

    syms = []
    for stype, _, off, size, link, entsize, _ in sections:
        if stype != SHT_SYMTAB:
            continue
        stroff = sections[link][2]
        for j in range(1, size // entsize):
            st_name, st_info, _, st_shndx, st_value, st_size = struct.unpack_from(
                "<IBBHQQ", data, off + j * entsize)
            kind, bind = st_info & 15, st_info >> 4
            if kind in (STT_SECTION, STT_FILE) or st_shndx in (SHN_UNDEF, SHN_ABS):
                continue
            if st_shndx >= len(sections):
                continue
            end = data.index(b"\0", stroff + st_name)
            name = data[stroff + st_name:end].decode()
            if not name:
                continue
            # nasm's local labels (".next" under "boot_fail") come out as
            # untyped "parent.label"; compiler-made names with dots
            # (foo.isra.0, buf.1) are typed FUNC/OBJECT and stay.
            if kind == STT_NOTYPE and "." in name:
                continue
            shtype, shflags = sections[st_shndx][0], sections[st_shndx][1]
            if not shflags & SHF_ALLOC and not relocatable:
                continue
            if shflags & SHF_EXECINSTR:
                letter = "t"
            elif shtype == SHT_NOBITS:
                letter = "b"
            elif shflags & SHF_WRITE:
                letter = "d"
            else:
                letter = "r"
            s = Sym()
            s.addr, s.size, s.name, s.bind = st_value, st_size, name, bind
            s.letter = letter.upper() if bind != STB_LOCAL else letter
            s.flags = FLAG_EXEC if shflags & SHF_EXECINSTR else 0
            s.kind = kind
            s.secstart = sections[st_shndx][6]
            s.secend = s.secstart + sections[st_shndx][3]
            syms.append(s)
    # Link order: by address; equal addresses by name so the order (and so
    # every sympos) is reproducible.
    syms.sort(key=lambda s: (s.addr, s.name))
    return syms


def asm_symbols(objs):
    """(name, size, kind) of every symbol the nasm objects define."""
    out = set()
    for path in objs:
        for s in read_elf_symbols(path, relocatable=True):
            out.add((s.name, s.size, s.kind))
    return out


def fill_sizes(syms, asm_objs=()):
    """Asm labels have no real ELF size: use the gap to the next symbol of
    the same section (or the section's end). nasm sizes a data label by its
    first element (dq -> 8, resb -> 1), not by the object, so those sizes
    are guessed too. Untyped symbols no object defines come from
    linker.ld: they are flagged so lookups prefer real code and data."""
    asm = asm_symbols(asm_objs)
    asm_names = {a[0] for a in asm}
    n = len(syms)
    for i in range(n):
        s = syms[i]
        if s.kind == STT_NOTYPE and s.name not in asm_names and asm_objs:
            s.flags |= FLAG_LINKER
        if s.kind == STT_OBJECT and (s.name, s.size, STT_OBJECT) in asm:
            s.size = 0
        if s.size or not s.secstart <= s.addr < s.secend:
            continue
        j = i + 1
        while j < n and syms[j].addr == s.addr:
            j += 1
        end = syms[j].addr if j < n and syms[j].addr < s.secend else s.secend
        if end > s.addr:
            s.size = end - s.addr
            s.flags |= FLAG_SIZE_GUESSED


def table_asm(syms):
    out = ["/* Generated by tools/gensyms.py: do not edit. */",
           '\t.section .ksyms,"a"']

    def obj(name, align, lines):
        out.append("\t.balign %d" % align)
        out.append("\t.globl %s\n\t.type %s, @object" % (name, name))
        out.append("%s:" % name)
        out.extend(lines)
        out.append("\t.size %s, . - %s" % (name, name))

    def rows(directive, values, per=8):
        return ["\t%s %s" % (directive, ", ".join(str(v) for v in values[k:k + per]))
                for k in range(0, len(values), per)]

    strtab, offs, seen = bytearray(), [], {}
    for s in syms:
        if s.name not in seen:
            seen[s.name] = len(strtab)
            strtab += s.name.encode() + b"\0"
        offs.append(seen[s.name])
    for s in syms:
        if s.size >= 1 << 32:
            sys.exit("gensyms: %s: size %#x does not fit the table" % (s.name, s.size))
    by_name = sorted(range(len(syms)), key=lambda i: (syms[i].name.encode(), i))

    obj("ksym_table_count", 8, ["\t.quad %d" % len(syms)])
    obj("ksym_addrs", 8, rows(".quad", ["0x%x" % s.addr for s in syms], 4))
    obj("ksym_sizes", 4, rows(".long", ["0x%x" % s.size for s in syms]))
    obj("ksym_name_offs", 4, rows(".long", offs))
    obj("ksym_name_index", 4, rows(".long", by_name))
    obj("ksym_types", 1, rows(".byte", [ord(s.letter) for s in syms], 16))
    obj("ksym_flags", 1, rows(".byte", [s.flags for s in syms], 16))
    obj("ksym_strtab", 1, rows(".byte", list(strtab), 16) or ["\t.byte 0"])
    out.append('\t.section .note.GNU-stack,"",@progbits')
    out.append("")
    return "\n".join(out)


def cmd_gen(args):
    if "-o" not in args:
        sys.exit("gensyms: gen needs -o OUT")
    k = args.index("-o")
    outpath = args[k + 1]
    rest = args[:k] + args[k + 2:]
    syms = []
    if rest:
        syms = read_elf_symbols(rest[0])
        fill_sizes(syms, rest[1:])
    text = table_asm(syms)
    with open(outpath, "w") as f:
        f.write(text)


def cmd_verify(first, final):
    # Compare name by name in address order (names may repeat).
    def by_name(path):
        m = {}
        for s in read_elf_symbols(path):
            m.setdefault(s.name, []).append(s.addr)
        return m
    ma, mb = by_name(first), by_name(final)
    start = ma.get("__ksyms_start", [None])[0]
    if start is None:
        sys.exit("gensyms: %s has no __ksyms_start" % first)
    bad = []
    for name, addrs in ma.items():
        if name in TABLE_SYMS:
            continue
        if all(x > start for x in addrs):
            continue  # placed after the table (__ksyms_end, __kernel_end)
        if mb.get(name) != addrs:
            bad.append("  %s: %s -> %s" % (name, [hex(x) for x in addrs],
                                           [hex(x) for x in mb.get(name, [])]))
    for name in mb:
        if name not in ma:
            bad.append("  %s: new in the final link" % name)
    if bad:
        sys.stderr.write("gensyms: filling .ksyms moved symbols:\n" + "\n".join(bad[:20]) + "\n")
        sys.exit(1)


def cmd_dump(path, asm_objs):
    syms = read_elf_symbols(path)
    fill_sizes(syms, asm_objs)
    for s in syms:
        print("%016x %08x %s %s%s" % (s.addr, s.size, s.letter, s.name,
                                      " (size guessed)" if s.flags & FLAG_SIZE_GUESSED else ""))


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    if argv[1] == "gen":
        cmd_gen(argv[2:])
    elif argv[1] == "verify" and len(argv) == 4:
        cmd_verify(argv[2], argv[3])
    elif argv[1] == "dump" and len(argv) >= 3:
        cmd_dump(argv[2], argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
