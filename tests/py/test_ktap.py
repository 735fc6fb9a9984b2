"""Unit tests for the host-side helpers: the KTAP parser and the ELF reader."""
import os
import subprocess
import tempfile

import ktap
import ktest_list
from kelp import KERNEL, KERNEL_SYM

SAMPLE = """\
[    0.01] Kelp 0.1: a live-patching kernel for x86_64
KTAP version 1
1..2
    KTAP version 1
    # Subtest: heap
    1..3
    ok 1 alignment
    # free: mm/heap.c:42: expected p != NULL, got 0 and 0
    not ok 2 free
[    0.50] heap: some printk in the middle
    ok 3 big # SKIP not enough memory
not ok 1 heap
    KTAP version 1
    # Subtest: string
    1..1
    ok 1 strlen
ok 2 string
# selftest: 2 passed, 1 failed, 1 skipped
"""


def test_parse_sample():
    run = ktap.parse(SAMPLE)
    assert run.version_seen and run.plan == 2 and run.complete
    assert list(run.cases) == ["heap.alignment", "heap.free", "heap.big", "string.strlen"]
    assert run.cases["heap.alignment"].status == ktap.PASS
    assert run.cases["heap.free"].status == ktap.FAIL
    assert "mm/heap.c:42" in run.cases["heap.free"].diagnostics[0]
    assert run.cases["heap.big"].status == ktap.SKIP
    assert run.cases["heap.big"].reason == "not enough memory"
    assert run.suites["heap"].status == ktap.FAIL
    assert run.suites["string"].status == ktap.PASS
    assert sorted(run.failed) == ["heap", "heap.free"]
    assert run.diagnostics == ["selftest: 2 passed, 1 failed, 1 skipped"]


def test_parse_crlf_and_prefix():
    text = "".join("junk> " + l + "\r\n" for l in SAMPLE.split("\n")[1:])
    run = ktap.parse(text)
    assert run.complete and len(run.cases) == 4


def test_parse_truncated():
    cut = SAMPLE[:SAMPLE.index("not ok 1 heap")]
    run = ktap.parse(cut)
    assert not run.complete
    assert "string.strlen" not in run.cases


def test_parse_empty_run():
    run = ktap.parse("KTAP version 1\n1..0\n# selftest: 0 passed\n")
    assert run.complete and not run.cases


def test_parse_nothing():
    run = ktap.parse("Kernel panic - not syncing: oops\n")
    assert not run.version_seen and not run.complete


def test_elf_reader_on_object():
    """Compile records like KTEST() makes and read them back."""
    src = r"""
    struct ktest_case { char suite[32]; char name[64]; void (*fn)(void *); };
    static void f(void *t) { (void)t; }
    __attribute__((used, section(".ktest_cases"), aligned(8)))
    static const struct ktest_case a = { "heap", "alignment", f };
    __attribute__((used, section(".ktest_cases"), aligned(8)))
    static const struct ktest_case b = { "string", "strlen", f };
    """
    with tempfile.TemporaryDirectory() as d:
        c, o = os.path.join(d, "t.c"), os.path.join(d, "t.o")
        with open(c, "w") as f:
            f.write(src)
        subprocess.check_call(["gcc", "-c", "-O2", c, "-o", o])
        cases = ktest_list.list_cases(o)
    # gcc may lay the objects out in either order.
    assert sorted(x.id for x in cases) == ["heap.alignment", "string.strlen"]


def test_elf_reader_matches_kernel_symbols():
    """Every case in kernel.elf has its __ktest_<suite>__<name> object in kernel.sym."""
    cases = ktest_list.list_cases(KERNEL)
    with open(KERNEL_SYM) as f:
        syms = set(l.split()[-1] for l in f if l.strip())
    objs = set(s for s in syms if s.startswith("__ktest_") and s not in
               ("__ktest_cases",))
    assert set("__ktest_%s__%s" % (x.suite, x.name) for x in cases) == objs
