"""The kernel build is reproducible (issue 15): the same tree built in another
directory gives the same build/kernel.elf bytes, so the same build ID.
tools/klp-build depends on it: it rebuilds the running kernel's objects in a
copy of the tree and the patch carries that kernel's build ID."""
import os
import shutil
import subprocess
import tempfile

from kelp import ROOT

RUN_KERNEL = os.path.join(ROOT, "build", "kernel.elf")


def copy_tree(dst):
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           check=True, stdout=subprocess.PIPE).stdout.split(b"\0")
    for f in files:
        f = f.decode()
        if f and os.path.isfile(os.path.join(ROOT, f)):
            os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f))
    shutil.copytree(os.path.join(ROOT, "keys"), os.path.join(dst, "keys"))


def build_id(elf):
    out = subprocess.run(["readelf", "-n", elf], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    return [l.split()[-1] for l in out.splitlines() if "Build ID" in l][0]


def test_run_kernel_is_reproducible_in_another_directory():
    subprocess.run(["make", "-s", "-j2", "build/kernel.elf"], cwd=ROOT, check=True)
    # A longer path than the tree's: nothing may depend on its length either.
    with tempfile.TemporaryDirectory(prefix="kelp-repro-elsewhere-") as tmp:
        copy_tree(tmp)
        subprocess.run(["make", "-s", "-j2", "build/kernel.elf"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        other = os.path.join(tmp, "build", "kernel.elf")
        assert build_id(other) == build_id(RUN_KERNEL)
        with open(other, "rb") as a, open(RUN_KERNEL, "rb") as b:
            assert a.read() == b.read(), "same build ID but different bytes"
