"""tools/klp-build (issue 15): a live patch generated from a source patch.

Each tests/klp-build/cases/NAME.patch changes tests/klp-build/klpb_target.c
or klpb_dup_b.c (test kernel only), or the module tests/modules/klpb_mod.c,
in one way klp-build has a rule for
(NAME.c, if present, is its hand-written callbacks file). Every
case is run through tools/klp-build against the test kernel and checked for
what it includes or refuses; the working ones are then loaded into one
running test kernel over COM2: the fixed behaviour shows up in the `klpb`
shell command, the transition completes, disabling restores the old
behaviour, and the patch unloads."""
import concurrent.futures
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from kelp import BUILD, Kelp, ROOT, blob_file, klp_ok

KLP_BUILD = os.path.join(ROOT, "tools", "klp-build")
CASES = os.path.join(ROOT, "tests", "klp-build", "cases")
SRC = "tests/klp-build/klpb_target.c"

# case: (exit status, {kind: set of functions}, refusal text or None,
#        (text in `klpb` before, text after) or None)
EXPECT = {
    "basic": (0, {"changed": {"klpb_basic"}}, None, ("basic=2 ", "basic=1001 ")),
    "static": (0, {"changed": {"klpb_static_fn"}}, None, ("caller=11 ", "caller=16 ")),
    "new_function": (0, {"changed": {"klpb_uses_new"}, "new": {"klpb_added"}}, None,
                     ("uses_new=9\n", "uses_new=69\n")),
    # cmd_klpb changes too (its registers: push %r13 -> push %r14): GCC's
    # IPA-RA knows which registers klpb_pair_sum clobbers, and now it calls.
    "new_function_other_object": (0, {"changed": {"klpb_pair_sum", "cmd_klpb"}, "new": {"klpb_cross"}},
                                  None, ("pair=7 ", "pair=34 ")),
    "string": (0, {"changed": {"klpb_string"}}, None,
               ("string=klpb string: old\n", "string=klpb string: new, live\n")),
    "inline_callee": (0, {"changed": {"klpb_inl_a", "klpb_inl_b"}}, None,
                      ("inl_a=303 inl_b=94", "inl_a=603 inl_b=194")),
    "cold_part": (0, {"changed": {"klpb_split"}, "included": {"klpb_split.cold"}}, None,
                  ("split=6,-1", "split=7,-1")),
    "static_local": (0, {"changed": {"klpb_counter"}}, None, None),  # its own test below
    "sympos": (0, {"changed": {"klpb_dup"}}, None, ("dup_a=11 dup_b=21 ", "dup_a=11 dup_b=2001 ")),
    "header_inline": (0, {"changed": {"klpb_dup_a_call", "klpb_hdr_user"}}, None,
                      ("dup_a=11 dup_b=21 hdr=2\n", "dup_a=14 dup_b=21 hdr=5\n")),
    "callbacks": (0, {"changed": {"klpb_basic"}}, None, ("basic=2 ", "basic=2001 ")),
    "module": (0, {"changed": {"klpb_mod_value"}}, None, None),  # its own test below
    "module_init_refused": (1, {"changed": {"klpb_mod_init"}}, "klpb_mod_init is the module's init function",
                            None),
    "line_move_only": (3, {}, None, None),
    "data_refused": (1, {}, "changed data klpb_data", None),
    "initcall_refused": (1, {"changed": {"klpb_boot"}}, "klpb_boot is an initcall", None),
    "notrace_refused": (1, {"changed": {"klpb_notrace"}}, "klpb_notrace has no fentry site", None),
    "struct_refused": (1, {}, "struct klpb_pair changes its layout", None),
}


def run_case(case, out):
    cb = os.path.join(CASES, case + ".c")  # the case's hand-written callbacks
    r = subprocess.run([KLP_BUILD, os.path.join(CASES, case + ".patch"), "--build-dir",
                        os.path.relpath(BUILD, ROOT), "--out", out, "--name", "klpb_" + case]
                       + (["--callbacks", cb] if os.path.exists(cb) else []),
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    return r.returncode, r.stdout


@pytest.fixture(scope="module")
def built():
    if not os.path.exists(os.path.join(BUILD, "kernel.map")):
        pytest.skip("build the test kernel first (make VARIANT=test all)")
    out = tempfile.mkdtemp(prefix="klpb-")
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        res = dict(zip(EXPECT, ex.map(lambda c: run_case(c, out), EXPECT)))
    yield out, res
    shutil.rmtree(out, ignore_errors=True)


def test_every_case_has_an_expectation():
    cases = {f[:-6] for f in os.listdir(CASES) if f.endswith(".patch")}
    assert cases == set(EXPECT)


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_case_output(built, case):
    out, res = built
    status, text = res[case]
    want_status, kinds, refusal, _ = EXPECT[case]
    assert status == want_status, text
    for kind in ("changed", "new", "included"):
        got = set(re.findall(r"(?m)^klp-build: \S+: %s: (\S+)" % kind, text))
        assert got == kinds.get(kind, set()), "%s: %s" % (kind, text)
    if refusal:
        assert "refused: " in text and refusal in text, text
        assert not os.path.exists(os.path.join(out, "klpb_%s.klp" % case))
    elif status == 0:
        assert os.path.exists(os.path.join(out, "klpb_%s.klp" % case)), text
    if case == "line_move_only":
        assert "no function changed" in text, text


def test_line_move_without_line_directives_would_change(built):
    """The line-move case is not trivially empty: klpb_line() returns
    __LINE__, and the patch moves it."""
    with open(os.path.join(CASES, "line_move_only.patch")) as f:
        text = f.read()
    added = sum(1 for l in text.splitlines() if l.startswith("+") and not l.startswith("+++"))
    removed = sum(1 for l in text.splitlines() if l.startswith("-") and not l.startswith("---"))
    assert added > removed
    with open(os.path.join(ROOT, SRC)) as f:
        src = f.read()
    assert src.index("struct klpb_pair {") < src.index("return __LINE__;")


def test_debug_and_first_changed_explain(built):
    r = subprocess.run([KLP_BUILD, os.path.join(CASES, "string.patch"), "--build-dir",
                        os.path.relpath(BUILD, ROOT), "--dry-run", "--debug", "--show-first-changed"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    assert r.returncode == 0, r.stdout
    assert re.search(r"debug: \S+: klpb_basic: unchanged", r.stdout), r.stdout
    assert re.search(r"debug: \S+: klpb_string: changed: relocation", r.stdout), r.stdout
    assert "klpb string: old" in r.stdout and "klpb string: new, live" in r.stdout, r.stdout


@pytest.fixture(scope="module")
def k(built):
    kk = Kelp("", name="klp_build")
    kk.boot()
    kk.wait_prompt()
    yield kk
    kk.close()



def load(k, out, case):
    name = "klpb_" + case
    klp_ok(k, "load", os.path.join(out, name + ".klp"))
    assert "transition complete" in klp_ok(k, "wait", name)
    return name


def unload(k, name):
    klp_ok(k, "disable", name)
    assert "transition complete" in klp_ok(k, "wait", name)
    klp_ok(k, "unload", name)


@pytest.mark.parametrize("case", sorted(c for c in EXPECT if EXPECT[c][3]))
def test_case_live(built, k, case):
    out, res = built
    before, after = EXPECT[case][3]
    base = k.run("klpb") + "\n"
    assert before in base, base
    name = load(k, out, case)
    if case == "sympos":
        assert "klpb_dup,2/" in k.run("ls /sys/kernel/livepatch/%s/vmlinux" % name).split()
    pos = len(k.log)
    now = k.run("klpb") + "\n"
    assert after in now and before not in now, now
    if case == "cold_part":
        assert "split cold path, new" in k.log[pos:], k.log[pos:]
    if case == "callbacks":
        assert "klpb: pre-patch callback ran" in k.log, k.log_tail()
    unload(k, name)
    again = k.run("klpb") + "\n"
    assert before in again, again
    if case == "callbacks":
        assert "klpb: post-unpatch callback ran" in k.log[pos:], k.log_tail()


def test_static_local_is_the_kernel_instance(built, k):
    """The patched klpb_counter() adds 100 to the running kernel's own
    static counter: the value carries on from before the patch."""
    out, res = built

    def counter():
        return int(re.search(r"counter=(\d+)", k.run("klpb")).group(1))
    c0 = counter()
    assert counter() == c0 + 1
    name = load(k, out, "static_local")
    assert counter() == c0 + 101
    unload(k, name)
    assert counter() == c0 + 102


def test_module_target(built, k):
    """A patch to a module's static function, reading the module's static
    parameter through .klp.sym.klpb_mod.base: the module loads first, the
    patch redirects its function, disabling restores it."""
    out, res = built
    assert ".klp.sym.klpb_mod.base" in subprocess.run(
        ["readelf", "-sW", os.path.join(out, "klpb_module.o")], stdout=subprocess.PIPE,
        universal_newlines=True).stdout
    klp_ok(k, "load", blob_file("klpb_mod"))
    value = "cat /sys/kernel/klpb_mod/value"
    assert k.run(value) == "value=42"
    name = load(k, out, "module")
    assert k.run(value) == "value=4002"
    unload(k, name)
    assert k.run(value) == "value=42"
    klp_ok(k, "unload", "klpb_mod")


def test_make_livepatch_builds_a_signed_blob_for_the_kernel(built, tmp_path):
    """`make livepatch PATCH=... NAME=...` for the test kernel: a signed blob
    in BUILD/patches carrying that kernel's build ID."""
    build = os.path.relpath(BUILD, ROOT)
    r = subprocess.run(["make", "--no-print-directory", "VARIANT=test", "livepatch",
                        "PATCH=" + os.path.join(CASES, "basic.patch"), "NAME=klpb_make"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    assert r.returncode == 0, r.stdout
    assert "changed: klpb_basic" in r.stdout, r.stdout
    blob = os.path.join(BUILD, "patches", "klpb_make.klp")
    with open(blob, "rb") as f:
        data = f.read()
    assert data[-32:-16] == b"~Kelp signature~"
    note = subprocess.run(["readelf", "-n", os.path.join(BUILD, "kernel.elf")], stdout=subprocess.PIPE,
                          universal_newlines=True).stdout
    bid = re.search(r"Build ID: ([0-9a-f]+)", note).group(1)
    obj = os.path.join(BUILD, "patches", "klpb_make.o")
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("klp_build", KLP_BUILD)
    spec = importlib.util.spec_from_loader("klp_build", loader)
    kb = importlib.util.module_from_spec(spec)
    loader.exec_module(kb)
    sec = next(s for s in kb.Obj(obj).secs if s.name == ".kelp.build_id")
    assert sec.data.hex() == bid, build


def test_patching_machinery_is_refused(built, tmp_path):
    """A change to livepatch/ code is refused (generated now from the tree,
    so the test follows the source)."""
    src = "livepatch/core.c"
    with open(os.path.join(ROOT, src)) as f:
        text = f.read()
    if "-ENOMEM" not in text:
        pytest.skip("no -ENOMEM in %s to change" % src)
    new = text.replace("-ENOMEM", "-ENOSPC", 1)
    patch = tmp_path / "machinery.patch"
    import difflib
    patch.write_text("".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                  "a/" + src, "b/" + src)))
    r = subprocess.run([KLP_BUILD, str(patch), "--build-dir", os.path.relpath(BUILD, ROOT), "--dry-run"],
                       cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    assert r.returncode == 1, r.stdout
    assert "part of the patching machinery" in r.stdout, r.stdout
