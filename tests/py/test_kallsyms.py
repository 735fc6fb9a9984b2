"""/proc/kallsyms in Linux's format (kernel/ksyms.c): one line per symbol,
"ADDRESS TYPE NAME", the address in 16 hex digits and nm's letter, the
kernel's symbols in address order, then each loaded module's with
"\t[MODULE]"; the whole table, not cut at the pseudo-fs's usual cap. Read
over COM2 (the bridge's fs.read, in chunks, each re-running show()), whose
frames are acknowledged: a 100 KB console dump would test the console's
drop-when-the-peer-stalls policy on a loaded host instead."""
import os
import re
import sys

import pytest

from kelp import Kelp, KERNEL_SYM, ROOT, blob_file, klp_ok

sys.path.insert(0, os.path.join(ROOT, "tools"))
from klpwire import Wire  # noqa: E402

COMPILER_SUFFIX = re.compile(r"^\w+\.(isra|cold|part|constprop|lto_priv)\b")
LINE = re.compile(r"^([0-9a-f]{16}) ([A-Za-z]) (\S+)(?:\t\[(\w+)\])?$")


@pytest.fixture(scope="module")
def k():
    k = Kelp("", name="kallsyms")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


def kallsyms(k):
    data = Wire(k.com2_path).read("/proc/kallsyms")
    assert data.endswith("\n")
    lines = data[:-1].split("\n")
    bad = [l for l in lines if not LINE.match(l)]
    assert not bad, bad[:5]
    return [LINE.match(l).groups() for l in lines]


def nm_text_symbols():
    """(address, letter, name) of every text symbol `nm -n` lists, but
    nasm's local labels ("boot.hang", "..@9.task"), which the table leaves
    out; compiler-made names (foo.isra.0, foo.cold) stay."""
    out = []
    with open(KERNEL_SYM) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tT" and (
                    "." not in parts[2] or COMPILER_SUFFIX.search(parts[2])):
                out.append((parts[0].lower().rjust(16, "0"), parts[1], parts[2]))
    return out


def test_kernel_symbols_as_nm_lists_them(k):
    syms = kallsyms(k)
    kernel = [s for s in syms if s[3] is None]
    assert len(kernel) > 1000
    addrs = [int(a, 16) for a, _, _, _ in kernel]
    assert addrs == sorted(addrs)
    have = {(a, t, n) for a, t, n, _ in kernel}
    missing = [s for s in nm_text_symbols() if s not in have]
    assert not missing, missing[:10]
    # both bindings and data as well as text
    letters = {t for _, t, _, _ in kernel}
    assert {"t", "T", "D"} <= letters or {"t", "T", "d"} <= letters, letters
    assert ("T", "kmain") in {(t, n) for _, t, n, _ in kernel}


def test_module_symbols_carry_their_module(k):
    klp_ok(k, "load", blob_file("hello_module"))
    try:
        mod = [s for s in kallsyms(k) if s[3] == "hello_module"]
        names = {n for _, _, n, _ in mod}
        assert "init_module" in names or any("hello" in n for n in names), names
        for a, _, _, _ in mod:
            assert int(a, 16) != 0
    finally:
        klp_ok(k, "unload", "hello_module")
    assert not [s for s in kallsyms(k) if s[3] == "hello_module"]


def test_whole_table_past_the_usual_cap(k):
    """Longer than SEQ_BUF_MAX (64 KiB), yet whole: the symbol table's own
    symbols, in the image's last section, are there; the console lists it."""
    data = Wire(k.com2_path).read("/proc/kallsyms")
    assert len(data) > 64 * 1024
    assert re.search(r"(?m)^[0-9a-f]{16} [rR] ksym_strtab$", data)
    assert "kallsyms" in k.run("ls /proc").split()
