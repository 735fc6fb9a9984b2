#!/usr/bin/python3
"""Checks a live patch object against the kernel it is built for, before it
is signed (tools/mkpatch.sh --check, which `make patch` passes), so that what
the kernel would refuse at load time is an error at build time, as
kpatch-build reports it:

  - a klp_func whose old_name is not in the kernel's symbol table (or in the
    named module's), with the closest names;
  - an old_name that several symbols carry and no old_sympos, listing each
    candidate with its position, address and source file;
  - an old_sympos past the last symbol of that name;
  - a target that is not a function, or has no fentry site (notrace, or
    always inlined), so it cannot be redirected;
  - the same for .klp.sym relocations (asm-label references to non-unique
    kernel symbols);
  - no MODULE_INFO(livepatch, "Y").

The klp_func tables are read from the compiled object, not the source: each
struct klp_patch is found by its .mod = THIS_MODULE relocation, its objs and
their funcs by following the relocations of their pointer fields, with the
structures' layout measured by compiling a probe with the same headers and
flags (--layout). The kernel's symbols are those its embedded table holds
(tools/gensyms.py reads kernel.elf the same way), its fentry sites the
__mcount_loc section, and source files come from kernel.map.

usage: klp-check.py --kernel ELF --layout PROBE.o [--map MAP] [--src SRC.c]
                    [--module-dir DIR]... OBJ
Prints nothing when the patch is fine; errors on stderr, exit status 1.
"""
import argparse
import bisect
import difflib
import os
import re
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gensyms  # noqa: E402

SHT_SYMTAB, SHT_RELA, SHT_NOBITS = 2, 4, 8
SHF_ALLOC, SHF_EXECINSTR = 2, 4
STT_FUNC, STT_OBJECT, STT_NOTYPE, STT_SECTION = 2, 1, 0, 3
SHN_UNDEF, SHN_LORESERVE = 0, 0xff00
R_X86_64_64 = 1
KLPPOS = "__KLPPOS__"

# The probe's order (mkpatch.sh writes the same list).
LAYOUT_FIELDS = ("func_size", "func_old_name", "func_new_func", "func_old_sympos",
                 "obj_size", "obj_name", "obj_funcs", "patch_mod", "patch_objs")


class Obj(object):
    """The parts of an ELF64 relocatable object this needs."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = d = f.read()
        if d[:4] != b"\x7fELF" or d[4] != 2 or d[5] != 1:
            raise SystemExit("klp-check: %s: not an ELF64 little-endian file" % path)
        shoff, = struct.unpack_from("<Q", d, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x3a)
        self.secs = []
        for i in range(shnum):
            (name, typ, flags, addr, off, size, link, info, align,
             entsize) = struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize)
            self.secs.append(dict(name=name, type=typ, flags=flags, off=off, size=size,
                                  link=link, info=info, entsize=entsize))
        shstr = self.secs[shstrndx]["off"]
        for s in self.secs:
            s["name"] = self.cstr(shstr + s["name"])
        self.syms = []
        for s in self.secs:
            if s["type"] != SHT_SYMTAB:
                continue
            stroff = self.secs[s["link"]]["off"]
            for j in range(s["size"] // 24):
                name, info, _, shndx, value, size = struct.unpack_from(
                    "<IBBHQQ", d, s["off"] + j * 24)
                self.syms.append(dict(name=self.cstr(stroff + name), kind=info & 15,
                                      bind=info >> 4, shndx=shndx, value=value, size=size))
        # relocations by target section: {offset: (sym index, type, addend)}
        self.rela = {}
        for s in self.secs:
            if s["type"] != SHT_RELA:
                continue
            tab = self.rela.setdefault(s["info"], {})
            for j in range(s["size"] // 24):
                off, info, addend = struct.unpack_from("<QQq", d, s["off"] + j * 24)
                tab[off] = (info >> 32, info & 0xffffffff, addend)

    def cstr(self, off):
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode(errors="replace")

    def section(self, name):
        return next((i for i, s in enumerate(self.secs) if s["name"] == name), None)

    def u64(self, sec, off):
        s = self.secs[sec]
        if s["type"] == SHT_NOBITS or off + 8 > s["size"]:
            return 0
        return struct.unpack_from("<Q", self.data, s["off"] + off)[0]

    def pointer(self, sec, off):
        """What the pointer at sec+off points to: None (NULL), ("sec", idx,
        offset) for a place in this object, ("sym", name) for an undefined
        symbol, ("abs", value) for a constant."""
        r = self.rela.get(sec, {}).get(off)
        if r is None:
            v = self.u64(sec, off)
            return ("abs", v) if v else None
        sym = self.syms[r[0]]
        if sym["shndx"] == SHN_UNDEF:
            return ("sym", sym["name"])
        if sym["shndx"] >= SHN_LORESERVE:
            return ("abs", sym["value"] + r[2])
        return ("sec", sym["shndx"], sym["value"] + r[2])

    def string(self, ptr):
        if not ptr or ptr[0] != "sec":
            return None
        s = self.secs[ptr[1]]
        if s["type"] == SHT_NOBITS or ptr[2] >= s["size"]:
            return None
        return self.cstr(s["off"] + ptr[2])

    def modinfo(self):
        i = self.section(".modinfo")
        if i is None:
            return []
        s = self.secs[i]
        raw = self.data[s["off"]:s["off"] + s["size"]]
        return [x.decode(errors="replace") for x in raw.split(b"\0") if x]


def read_layout(path):
    o = Obj(path)
    sym = next((s for s in o.syms if s["name"] == "klp_check_layout"), None)
    if sym is None:
        raise SystemExit("klp-check: %s has no klp_check_layout" % path)
    vals = [o.u64(sym["shndx"], sym["value"] + 8 * i) for i in range(len(LAYOUT_FIELDS))]
    return dict(zip(LAYOUT_FIELDS, vals))


def struct_array(o, sec, off, size):
    """(index, offset) of each entry of an array of size-byte structs at off
    in sec (the klp_object[] and klp_func[] a patch points to), up to the
    section's end or 4096 entries; the caller stops at its terminator."""
    for i in range(4096):
        at = off + i * size
        if at + size > o.secs[sec]["size"]:
            return
        yield i, at


class Target(object):
    """The symbols of what a klp_object names: the kernel, or a module."""

    def __init__(self, name):
        self.name = name
        self.syms = []          # (name, letter, addr) in sympos order
        self.sites = set()      # addresses with an fentry site
        self.where = lambda addr: None

    def candidates(self, name):
        return [s for s in self.syms if s[0] == name]

    def functions(self):
        return sorted({s[0] for s in self.syms if s[1] in "tT"})


def kernel_target(elf, mapfile):
    t = Target("vmlinux")
    t.syms = [(s.name, s.letter, s.addr) for s in gensyms.read_elf_symbols(elf)]
    o = Obj(elf)
    i = o.section("__mcount_loc")
    if i is not None:
        s = o.secs[i]
        n = s["size"] // 8
        t.sites = set(struct.unpack_from("<%dQ" % n, o.data, s["off"]))
    if mapfile and os.path.exists(mapfile):
        t.where = map_lookup(mapfile)
    return t


def map_lookup(mapfile):
    """addr -> the source file whose object holds it, from ld's map."""
    text = open(mapfile).read()
    ranges = []
    for m in re.finditer(r"(?m)^ \S+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) (\S+\.o)$", text):
        start, size = int(m.group(1), 16), int(m.group(2), 16)
        if size:
            ranges.append((start, size, m.group(3)))
    ranges.sort()
    starts = [r[0] for r in ranges]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

    def where(addr):
        k = bisect.bisect_right(starts, addr) - 1
        if k < 0 or addr >= ranges[k][0] + ranges[k][1]:
            return None
        obj = ranges[k][2]
        parts = obj.split("/")
        # build/fs/proc.o, build/test/tests/builtin/x.o -> the source beside
        for cut in range(1, len(parts)):
            base = os.path.join(*parts[cut:])[:-2]
            for ext in (".c", ".asm"):
                if os.path.exists(os.path.join(root, base + ext)):
                    return base + ext
        return obj
    return where


def module_target(name, dirs):
    """The module's own object (NAME.o, '-' and '_' alike) from dirs."""
    want = name.replace("-", "_")
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".o") and f[:-2].replace("-", "_") == want:
                return module_from_object(name, os.path.join(d, f))
    return None


def module_from_object(name, path):
    o = Obj(path)
    t = Target(name)
    t.path = path
    syms = []
    for s in o.syms[1:]:
        if s["shndx"] == SHN_UNDEF or s["shndx"] >= SHN_LORESERVE or not s["name"]:
            continue
        if s["kind"] not in (STT_FUNC, STT_OBJECT, STT_NOTYPE) or s["name"].startswith(".L"):
            continue
        sec = o.secs[s["shndx"]]
        if not sec["flags"] & SHF_ALLOC:
            continue
        letter = "t" if sec["flags"] & SHF_EXECINSTR else "d"
        if s["bind"] != 0:
            letter = letter.upper()
        # no addresses before loading: order within the module by section, value
        syms.append((s["shndx"], s["value"], s["name"], letter))
    syms.sort()
    t.syms = [(n, letter, (sec << 32) | val) for sec, val, n, letter in syms]
    i = o.section("__mcount_loc")
    if i is not None:
        for off in range(0, o.secs[i]["size"], 8):
            p = o.pointer(i, off)
            if p and p[0] == "sec":
                t.sites.add((p[1] << 32) | p[2])
    t.where = lambda addr: os.path.basename(path)
    return t


class Checker(object):
    def __init__(self, args):
        self.args = args
        self.errors = 0
        self.src = args.src or args.obj
        self.src_lines = []
        if args.src and os.path.exists(args.src):
            self.src_lines = open(args.src, errors="replace").read().splitlines()
        self.kernel = kernel_target(args.kernel, args.map)
        self.modules = {}

    def line_of(self, name):
        """The source line naming "name" (a string literal), for the message."""
        for i, l in enumerate(self.src_lines):
            if '"%s"' % name in l:
                return i + 1
        for i, l in enumerate(self.src_lines):
            if re.search(r"\b%s\b" % re.escape(name), l):
                return i + 1
        return None

    def error(self, msg, name=None, notes=()):
        line = self.line_of(name) if name else None
        where = "%s:%d" % (self.src, line) if line else self.src
        sys.stderr.write("%s: error: %s\n" % (where, msg))
        for n in notes:
            sys.stderr.write("    %s\n" % n)
        self.errors += 1

    def warning(self, msg):
        sys.stderr.write("%s: warning: %s\n" % (self.src, msg))

    def target(self, objname):
        if objname is None:
            return self.kernel
        if objname not in self.modules:
            t = module_target(objname, self.args.module_dir)
            if t is None:
                self.warning("module '%s' is not built in %s: its functions are not checked "
                             "(build it first, e.g. make module P=...)"
                             % (objname, ", ".join(self.args.module_dir) or "any directory"))
            self.modules[objname] = t
        return self.modules[objname]

    def check_symbol(self, t, name, sympos, what, func=True, key=None):
        """Resolve name,sympos in t as the kernel will; report why not. key:
        what the source says (for the line number), by default name."""
        objname = t.name
        key = key or name
        cands = t.candidates(name)
        if not cands:
            close = difflib.get_close_matches(name, t.functions() if func else
                                              sorted({s[0] for s in t.syms}), n=3)
            notes = ["did you mean %s?" % " or ".join("'%s'" % c for c in close)] if close else []
            if func:
                notes += inline_notes(name)
            self.error("symbol '%s' not found in %s's symbol table (%s)" % (name, objname, what),
                       key, notes)
            return None
        if sympos == 0 and len(cands) > 1:
            self.error("unresolvable ambiguity for symbol '%s' in object '%s' (%s): %d symbols "
                       "have that name; set .old_sympos to the one to patch:"
                       % (name, objname, what, len(cands)), key,
                       self.candidate_notes(t, cands, func))
            return None
        if sympos > len(cands):
            self.error("symbol position %d for symbol '%s' in object '%s' not found (%s; "
                       "there %s %d):" % (sympos, name, objname, what,
                                          "is" if len(cands) == 1 else "are", len(cands)),
                       key, self.candidate_notes(t, cands, func))
            return None
        sym = cands[max(sympos, 1) - 1]
        if func and sym[1] not in "tT":
            self.error("'%s' in object '%s' is not a function (symbol type '%s'; %s)"
                       % (name, objname, sym[1], what), key)
            return None
        if func and sym[2] not in t.sites:
            self.error("function '%s' in object '%s' has no fentry site (notrace, or built "
                       "without -pg): it cannot be live patched (%s)" % (name, objname, what),
                       key)
            return None
        return sym

    def candidate_notes(self, t, cands, func=True):
        notes = []
        for k, (n, letter, addr) in enumerate(cands):
            src = t.where(addr) or "?"
            shown = "0x%016x" % addr if t is self.kernel else "%s" % os.path.basename(
                getattr(t, "path", ""))
            pos = "old_sympos = %d" % (k + 1) if func else "%s,%d" % (n, k + 1)
            notes.append("%s: %s %s %s  (%s)" % (pos, shown, letter, n, src))
        if t is self.kernel:
            sym = os.path.join(os.path.dirname(self.args.kernel), "kernel.sym")
            notes.append("(%s and /proc/kallsyms list them in this order)" % os.path.relpath(sym))
        else:
            notes.append("(in the module's symbol order)")
        return notes

    def run(self):
        o = Obj(self.args.obj)
        lay = read_layout(self.args.layout)
        if "livepatch=Y" not in o.modinfo():
            self.error('no MODULE_INFO(livepatch, "Y"): the kernel loads this as a plain '
                       "module, not a live patch (make module builds one)")
        patches = self.find_patches(o, lay)
        if not patches and "livepatch=Y" in o.modinfo():
            self.warning("no struct klp_patch with .mod = THIS_MODULE found: nothing to check")
        for sec, base in patches:
            self.check_patch(o, lay, sec, base)
        self.check_klp_syms(o)
        return self.errors

    def find_patches(self, o, lay):
        out = []
        for sec, tab in sorted(o.rela.items()):
            s = o.secs[sec]
            if not s["flags"] & SHF_ALLOC or s["flags"] & SHF_EXECINSTR:
                continue
            for off, (symi, typ, addend) in sorted(tab.items()):
                if typ != R_X86_64_64 or o.syms[symi]["name"] != "__this_module":
                    continue
                base = off - lay["patch_mod"]
                if base < 0:
                    continue
                objs = o.pointer(sec, base + lay["patch_objs"])
                if objs and objs[0] == "sec":
                    out.append((sec, base))
        return out

    def check_patch(self, o, lay, sec, base):
        objs = o.pointer(sec, base + lay["patch_objs"])
        osec = objs[1]
        for _, at in struct_array(o, osec, objs[2], lay["obj_size"]):
            name_p = o.pointer(osec, at + lay["obj_name"])
            funcs_p = o.pointer(osec, at + lay["obj_funcs"])
            if not name_p and not funcs_p:
                break
            objname = o.string(name_p) if name_p else None
            if not funcs_p or funcs_p[0] != "sec":
                continue
            t = self.target(objname)
            self.check_funcs(o, lay, funcs_p[1], funcs_p[2], objname or "vmlinux", t)

    def check_funcs(self, o, lay, fsec, foff, objname, t):
        seen = {}
        for j, at in struct_array(o, fsec, foff, lay["func_size"]):
            name_p = o.pointer(fsec, at + lay["func_old_name"])
            new_p = o.pointer(fsec, at + lay["func_new_func"])
            sympos = o.u64(fsec, at + lay["func_old_sympos"])
            if not name_p and not new_p and not sympos:
                break
            name = o.string(name_p)
            if not name:
                self.error("klp_func %d of object '%s' has no old_name" % (j, objname))
                continue
            what = "a klp_func's old_name" + (", old_sympos %d" % sympos if sympos else "")
            if not new_p:
                self.error("klp_func '%s' of object '%s' has no new_func" % (name, objname), name)
            key = (name, sympos)
            if key in seen:
                self.error("klp_func '%s' of object '%s' twice (old_sympos %d)"
                           % (name, objname, sympos), name)
            seen[key] = True
            if t is not None:
                self.check_symbol(t, name, sympos, what)

    def check_klp_syms(self, o):
        """.klp.sym.OBJ.NAME,POS (or NAME__KLPPOS__POS before klp-fixup)."""
        for s in o.syms:
            n = s["name"]
            if s["shndx"] != SHN_UNDEF and s["shndx"] != 0xff20 or not n.startswith(".klp.sym."):
                continue
            rest = n[len(".klp.sym."):]
            objname, _, sym = rest.partition(".")
            if KLPPOS in sym:
                sym, _, pos = sym.rpartition(KLPPOS)
            else:
                sym, _, pos = sym.rpartition(",")
            if not pos.isdigit():
                self.error("relocation symbol '%s': no ',POS' sympos" % n)
                continue
            t = self.target(None if objname == "vmlinux" else objname)
            if t is not None:
                self.check_symbol(t, sym, int(pos), "relocation %s,%s" % (
                    n.rpartition(KLPPOS)[0] if KLPPOS in n else n.rpartition(",")[0], pos),
                    func=False, key=n)


def inline_notes(name):
    """Where the tree defines name, when it has no symbol: inlined away."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pat = re.compile(r"^[A-Za-z_].*\b%s\s*\([^;]*$" % re.escape(name))
    hits = []
    for top in ("include", "kernel", "mm", "fs", "lib", "drivers", "livepatch", "arch", "boot"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                p = os.path.join(dirpath, f)
                try:
                    for i, l in enumerate(open(p, errors="replace")):
                        if pat.match(l):
                            hits.append("%s:%d" % (os.path.relpath(p, root), i + 1))
                            break
                except OSError:
                    pass
                if len(hits) >= 3:
                    break
    if not hits:
        return []
    return ["'%s' is defined at %s but has no symbol in the kernel: it is always inlined, "
            "so it cannot be live patched (patch its callers)" % (name, ", ".join(hits))]


def main():
    ap = argparse.ArgumentParser(description="check a live patch against its kernel")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--layout", required=True)
    ap.add_argument("--map")
    ap.add_argument("--src")
    ap.add_argument("--module-dir", action="append", default=[])
    ap.add_argument("obj")
    args = ap.parse_args()
    if not os.path.exists(args.kernel):
        raise SystemExit("klp-check: %s: no such kernel (make builds it)" % args.kernel)
    n = Checker(args).run()
    if n:
        sys.stderr.write("klp-check: %d error%s: %s is not signed\n"
                         % (n, "" if n == 1 else "s", os.path.basename(args.src or args.obj)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
