"""The tree and the two kernels keep the shape docs/ARCHITECTURE.md describes:
every source file is built from its directory's Kbuild fragment, kernel/ holds
only the core, and the kernel `make run` boots carries none of the test
kernel's self-tests, benches or stress code."""
import os
import re
import subprocess

from kelp import BUILD, ROOT

RUN_BUILD = os.path.join(ROOT, "build")
RUN_KERNEL = os.path.join(RUN_BUILD, "kernel.elf")
TEST_ONLY_DIRS = ["tests/ktest", "tests/builtin", "tests/bench", "tests/stress"]


def kdirs():
    """KDIRS from the top Makefile (the kernel's directories, link order)."""
    text = open(os.path.join(ROOT, "Makefile")).read()
    m = re.search(r"^KDIRS := ((?:.*\\\n)*.*)$", text, re.M)
    assert m, "no KDIRS in the Makefile"
    return m.group(1).replace("\\\n", " ").split()


def defined_symbols(path, types="TtDdBbRr"):
    out = subprocess.run(["nm", "--defined-only", path], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in types:
            syms.add(parts[2])
    return syms


def test_every_source_is_in_its_kbuild():
    for d in kdirs():
        kbuild = os.path.join(ROOT, d, "Kbuild")
        assert os.path.exists(kbuild), "%s has no Kbuild fragment" % d
        listed = set(re.findall(r"([A-Za-z0-9_]+)\.o\b", open(kbuild).read()))
        sources = {os.path.splitext(f)[0] for f in os.listdir(os.path.join(ROOT, d))
                   if f.endswith((".c", ".asm"))}
        assert sources - listed == set(), "%s/Kbuild does not build %s" % (d, sorted(sources - listed))
        assert listed - sources == set(), "%s/Kbuild names missing %s" % (d, sorted(listed - sources))


def test_kernel_dir_holds_only_the_core():
    top = [f for f in os.listdir(os.path.join(ROOT, "kernel")) if f.endswith(".c")]
    assert len(top) <= 15, sorted(top)


def test_run_kernel_has_no_test_code():
    assert os.path.exists(RUN_KERNEL), "make test builds the run kernel first"
    run_syms = defined_symbols(RUN_KERNEL)
    # Every global symbol the test-only objects define, as built for the test
    # kernel (their statics may share a name with a kernel static: the name
    # check below covers those).
    test_syms = set()
    nobjs = 0
    for d in TEST_ONLY_DIRS:
        objdir = os.path.join(BUILD, d)
        for f in sorted(os.listdir(objdir)):
            if f.endswith(".o"):
                test_syms |= defined_symbols(os.path.join(objdir, f), "TDBR")
                nobjs += 1
    assert nobjs >= 30 and len(test_syms) > 50, (nobjs, len(test_syms))
    leaked = sorted(test_syms & run_syms)
    assert leaked == [], "the run kernel defines test-kernel symbols: %s" % leaked[:20]
    # The tables and hooks the test code would fill or set.
    pattern = re.compile(r"ktest|kbench|bench_|kelp_pair|fail_nth|failslab|text_poke_test|test_int|"
                         r"lp_test|sympos")
    named = sorted(s for s in run_syms if pattern.search(s))
    assert named == [], named


def test_test_kernel_has_the_test_code():
    # The same check is not vacuous: the test kernel has what the run kernel lacks.
    syms = defined_symbols(os.path.join(BUILD, "kernel.elf"))
    for name in ["ktest_run", "bench_run_all", "sys_kelp_pair", "kmalloc_fail_nth",
                 "__start_ktest_cases", "text_poke_test_hook"]:
        assert name in syms, name


def test_run_kernel_refuses_selftest():
    """`selftest` on the run kernel's command line names the problem and
    stops (QEMU fails) instead of booting as though tests had passed."""
    from kelp import EXIT_FAIL, Kelp
    with Kelp("selftest", name="run-kernel-selftest", kernel=RUN_KERNEL, expect_panic=True) as k:
        k.expect(r"selftest: not built into this kernel \(the test kernel has it: make selftest\)",
                 timeout=60, allow_panic=True)
        assert k.wait_exit(timeout=30) == EXIT_FAIL
