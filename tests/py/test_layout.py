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


# Machine-level code lives under arch/ (and boot/): everything else reaches
# the CPU through the arch_ interface in include/arch/. Host programs
# (user/, tests/host, tests/fuzz, tools/) and build output are not kernel code.
ARCH_ONLY_EXEMPT = ["arch", "boot", "user", "tests/host", "tests/fuzz", "tools", "build", "keys"]
ARCH_ONLY = re.compile(r"__asm__|\basm\s*(?:\(|volatile\b|goto\b|__volatile__\b)"  # inline asm
                       r"|\b(?:in|out)[bwl]\s*\(|\bio_wait\s*\("                     # port I/O
                       r"|\b(?:rd|wr)msr\b"                                           # MSRs
                       r"|%%?gs\b")                                                   # the GS base
C_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# An asm label names a declaration's symbol (tests/modules bind to
# .klp.sym names this way): no instruction, so not machine code.
ASM_LABEL = re.compile(r"\)\s*(?:__asm__|asm)\s*\(\s*\"[^\"]*\"\s*\)\s*;")


def arch_only_violations(root):
    """(path:line, text) of every inline asm, port I/O, MSR access or %gs
    in a .c/.h file outside the exempt directories, comments aside."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel != "." and any(rel == d or rel.startswith(d + os.sep) for d in ARCH_ONLY_EXEMPT):
            dirnames[:] = []
            continue
        for f in filenames:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, f)
            text = open(path, errors="replace").read()
            # Blank out comments, keeping newlines so line numbers hold.
            text = C_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
            for n, line in enumerate(text.splitlines(), 1):
                if ARCH_ONLY.search(ASM_LABEL.sub(");", line)):
                    found.append(("%s:%d" % (os.path.relpath(path, root), n), line.strip()))
    return found


def test_machine_code_only_under_arch(tmp_path):
    # The check itself must see a violation (in a copy, not the tree).
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "bad.c").write_text(
        "/* asm in a comment is fine */\nvoid f(void) { __asm__ volatile(\"cli\"); }\n"
        "static unsigned long g(void) { unsigned long v; asm(\"movq %%gs:0, %0\" : \"=r\"(v)); return v; }\n"
        "void h(void) { outb(0x80, 0); wrmsr(1, 2); }\n"
        "extern int g2(int) __asm__(\".klp.sym.vmlinux.g2\"); /* a label: fine */\n")
    (tmp_path / "arch").mkdir()
    (tmp_path / "arch" / "ok.c").write_text("void f(void) { __asm__(\"hlt\"); }\n")
    assert [v[0] for v in arch_only_violations(str(tmp_path))] == \
        ["kernel/bad.c:2", "kernel/bad.c:3", "kernel/bad.c:4"]
    bad = arch_only_violations(ROOT)
    assert bad == [], "machine-level code outside arch/ and boot/ (use an arch_ interface):\n" + \
        "\n".join("%s: %s" % v for v in bad)


def test_run_kernel_shell_has_no_test_knobs():
    """The run kernel's shell: no selftest command, no /sys/kernel/kelp knobs
    (test_int, fail_nth, stress_stats), while /proc and /sys/kernel are there."""
    from kelp import Kelp
    with Kelp("", name="run-kernel-shell", kernel=RUN_KERNEL) as k:
        k.wait_prompt()
        assert "selftest: command not found" in k.run("selftest")
        assert "kelp" not in k.run("ls /sys/kernel").split()
        assert "No such file or directory" in k.run("cat /sys/kernel/kelp/fail_nth")
        assert "Kelp" in k.run("cat /proc/version")
