"""`make patch` checks a live patch against the kernel it targets before
signing it (tools/klp-check.py, run by tools/mkpatch.sh --check): each
reason the kernel would refuse it at load time is a build error naming the
problem, the source line and, for an ambiguous name, every candidate with
its old_sympos and source file. The fixtures are tests/patch-check/*.c.

Each verdict is checked against the kernel's own: the same source built
without the check (mkpatch.sh without --check) is refused by the test
kernel with the reason the build error gave."""
import os
import re
import subprocess
import tempfile

import pytest

from kelp import BUILD, Kelp, ROOT, blob_file

FIXTURES = os.path.join(ROOT, "tests", "patch-check")

# name: (kernel variant, build-time error (regex), the kernel's reason: in its log
# or in what klpctl reports)
CASES = {
    "typo": ("run", r"typo\.c:14: error: symbol 'cmdline_proc_sho' not found in vmlinux's "
             r"symbol table.*\n\s+did you mean 'cmdline_proc_show'",
             "symbol 'cmdline_proc_sho' not found in symbol table"),
    "notrace_target": ("run", r"notrace_target\.c:14: error: function 'ftrace_text_is_trampoline'"
                       r" in object 'vmlinux' has no fentry site",
                       "failed to find location for function 'ftrace_text_is_trampoline'"),
    "inline_target": ("run", r"inline_target\.c:14: error: symbol 'name_of' not found in "
                      r"vmlinux's symbol table.*\n.*\n\s+'name_of' is defined at "
                      r"kernel/ksyms\.c:\d+ but has no symbol in the kernel: it is always inlined",
                      "symbol 'name_of' not found in symbol table"),
    "no_modinfo": ("run", r"no_modinfo\.c: error: no MODULE_INFO\(livepatch, \"Y\"\)",
                   "module no_modinfo is not marked as a livepatch module"),
    "ambiguous": ("test", r"ambiguous\.c:14: error: unresolvable ambiguity for symbol "
                  r"'ksym_dup_target' in object 'vmlinux'.*\n"
                  r"\s+old_sympos = 1: 0x[0-9a-f]{16} t ksym_dup_target  "
                  r"\(tests/builtin/sympos_a\.c\)\n"
                  r"\s+old_sympos = 2: 0x[0-9a-f]{16} t ksym_dup_target  "
                  r"\(tests/builtin/sympos_b\.c\)\n"
                  r"\s+\(build/test/kernel\.sym and /proc/kallsyms",
                  "unresolvable ambiguity for symbol 'ksym_dup_target' in object 'vmlinux'"),
    "sympos_past": ("test", r"sympos_past\.c:14: error: symbol position 3 for symbol "
                    r"'ksym_dup_target' in object 'vmlinux' not found .*there are 2",
                    "symbol position 3 for symbol 'ksym_dup_target' in object 'vmlinux' not found"),
    "klp_sym_past": ("test", r"klp_sym_past\.c:8: error: symbol position 3 for symbol "
                     r"'ksym_dup_target' in object 'vmlinux' not found \(relocation "
                     r"\.klp\.sym\.vmlinux\.ksym_dup_target,3; there are 2\):\n"
                     r"\s+ksym_dup_target,1: 0x[0-9a-f]{16} t ksym_dup_target",
                     "unknown symbol .klp.sym.vmlinux.ksym_dup_target,3"),
    "module_typo": ("test", r"module_typo\.c:14: error: symbol 'busymod_work_fun' not found in "
                    r"livepatch_callbacks_busymod's symbol table.*\n\s+did you mean "
                    r"'busymod_work_func'",
                    "symbol 'busymod_work_fun' not found in symbol table"),
}


def make_patch(name, variant):
    args = ["make", "-s", "--no-print-directory", "-C", ROOT, "patch",
            "P=tests/patch-check/%s.c" % name]
    if variant != "run":
        args.insert(5, "VARIANT=" + variant)
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def out_dir(variant):
    return os.path.join(ROOT, "build", "patches") if variant == "run" else \
        os.path.join(BUILD, "patches")


@pytest.mark.parametrize("name", sorted(CASES))
def test_refused_at_build_time(name):
    variant, error, _ = CASES[name]
    if name == "module_typo":
        blob_file("livepatch-callbacks-busymod")  # its object is what is checked
    klp = os.path.join(out_dir(variant), name + ".klp")
    if os.path.exists(klp):
        os.unlink(klp)
    r = make_patch(name, variant)
    assert r.returncode != 0, r.stdout
    assert re.search(error, r.stderr), r.stderr
    assert "klp-check: 1 error: %s.c is not signed" % name in r.stderr, r.stderr
    assert not os.path.exists(klp)


def test_good_patch_builds_quietly():
    r = make_patch("good", "run")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert re.fullmatch(r"  KLP     \S+/good\.klp \(\d+ bytes\)\n", r.stdout), r.stdout
    os.unlink(os.path.join(ROOT, "build", "patches", "good.klp"))


@pytest.fixture(scope="module")
def unchecked():
    """The fixtures built for the test kernel without the check."""
    flags = subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, "VARIANT=test",
                            "--eval", "print-cflags: ; @echo $(PATCH_CFLAGS)", "print-cflags"],
                           capture_output=True, text=True, check=True).stdout.strip()
    d = tempfile.mkdtemp(prefix="klp-check-")
    for name in CASES:
        subprocess.run([os.path.join(ROOT, "tools", "mkpatch.sh"),
                        os.path.join(FIXTURES, name + ".c"), d, "--kernel",
                        os.path.join(BUILD, "kernel.elf")],
                       env=dict(os.environ, KCFLAGS=flags), check=True, capture_output=True)
    return d


@pytest.fixture(scope="module")
def k():
    k = Kelp("", name="patch_check")
    k.boot()
    k.wait_prompt()
    yield k
    k.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_refuses_it_for_the_same_reason(k, unchecked, name):
    if name == "module_typo":
        r = k.klpctl("load", blob_file("livepatch-callbacks-busymod"))
        assert r.returncode == 0, r.stderr
    try:
        mark = len(k.log)
        r = k.klpctl("load", os.path.join(unchecked, name + ".klp"))
        assert r.returncode == 1, r.stdout
        k.drain(0.2)
        assert CASES[name][2] in k.log[mark:] + r.stderr, k.log[mark:] + r.stderr
        assert name not in k.run("lsmod")
    finally:
        if name == "module_typo":
            k.klpctl("unload", "livepatch_callbacks_busymod")
