"""Linux 6.1's own livepatch samples (samples/livepatch/*.c) and selftest
modules (lib/livepatch/test_klp_*.c), taken unchanged from Debian's
linux-source-6.1 by `make linux-modules`, build as Kelp blobs against
include/linux/ with -nostdinc; a host header is never found."""
import glob
import os
import re
import subprocess

import pytest

from kelp import BUILD, ROOT, Kelp

LINUX_TAR = "/usr/src/linux-source-6.1.tar.xz"
LINUX_DIR = os.path.join(ROOT, "build", "linux-source-6.1")
# Its own output directory: the fixture below deletes and rebuilds every
# blob, while other test files (test_linux_selftests.py, in another
# worker) load the ones in BUILD/linux-modules.
OUT = os.path.join(BUILD, "linux-modules-check")

pytestmark = pytest.mark.skipif(not os.path.exists(LINUX_TAR),
                                reason="linux-source-6.1 is not installed (tools/deps.sh linux)")


def make(*args, timeout=600):
    return subprocess.run(["make", "--no-print-directory", "-C", ROOT, "VARIANT=test"] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout)


@pytest.fixture(scope="module")
def built():
    """Every blob rebuilt from scratch: a stale .klp cannot hide a source
    that no longer builds."""
    for f in glob.glob(os.path.join(OUT, "*")):
        os.unlink(f)
    r = make("-k", "linux-modules", "LXB=" + OUT)
    return r


def linux_sources():
    """Every sample and selftest module in Linux's tree, by blob name."""
    srcs = glob.glob(os.path.join(LINUX_DIR, "samples", "livepatch", "*.c"))
    srcs += glob.glob(os.path.join(LINUX_DIR, "lib", "livepatch", "test_klp_*.c"))
    return sorted(os.path.basename(s)[:-2] for s in srcs)


def test_every_linux_module_builds_unchanged(built):
    names = linux_sources()
    # 7 samples and 10 selftest modules in 6.1: a listing that found none
    # would pass the loop below vacuously
    assert len(names) == 17, names
    missing = [n for n in names if not os.path.exists(os.path.join(OUT, n + ".klp"))]
    assert not missing, "did not build: %s\n%s" % (missing, built.stdout[-6000:])
    assert built.returncode == 0, built.stdout[-6000:]


def test_sources_are_linux_own(built, tmp_path):
    """What was built is the tarball's text, byte for byte (one pass over
    the tarball: decompressing it is most of this test's time)."""
    names = ("samples/livepatch/livepatch-sample.c", "lib/livepatch/test_klp_state3.c")
    subprocess.run(["tar", "-xJf", LINUX_TAR, "-C", str(tmp_path)] +
                   ["linux-source-6.1/" + n for n in names], check=True)
    for name in names:
        with open(os.path.join(tmp_path, "linux-source-6.1", name), "rb") as orig, \
                open(os.path.join(LINUX_DIR, name), "rb") as f:
            assert f.read() == orig.read(), name


def test_host_linux_headers_are_never_found(tmp_path):
    """<linux/netdevice.h> exists on the host (/usr/include/linux) but not in
    Kelp: the build must say it is missing rather than pick up the host's."""
    src = tmp_path / "hostinc.c"
    src.write_text('#include <linux/module.h>\n#include <linux/netdevice.h>\nMODULE_LICENSE("GPL");\n')
    r = make("module", "P=%s" % src)
    assert r.returncode != 0
    assert re.search(r"linux/netdevice\.h: No such file or directory", r.stdout), r.stdout[-3000:]


def test_linux_livepatch_sample_patches_cmdline(built):
    """The unchanged sample, loaded over COM2, patches /proc/cmdline."""
    blob = os.path.join(OUT, "livepatch-sample.klp")
    if not os.path.exists(blob):
        pytest.fail("livepatch-sample.klp did not build")
    k = Kelp("", name="linux_modules_sample")
    k.boot()
    k.wait_prompt()
    try:
        r = k.klpctl("load", blob)
        assert r.returncode == 0, r.stderr
        k.klpctl("wait", "livepatch_sample", check=True)
        assert k.run("cat /proc/cmdline") == "this has been live patched"
        k.run("echo 0 > /sys/kernel/livepatch/livepatch_sample/enabled")
        k.klpctl("wait", "livepatch_sample", check=True)
        assert k.run("cat /proc/cmdline") != "this has been live patched"
        assert k.klpctl("unload", "livepatch_sample").returncode == 0
    finally:
        k.close()


def expected_log(script, mod):
    """The first check_result block of one of Linux's selftest scripts, with
    its "% modprobe"/"% rmmod" command lines left out."""
    with open(os.path.join(LINUX_DIR, "tools", "testing", "selftests", "livepatch", script)) as f:
        text = f.read()
    block = re.search(r'check_result "(.*?)"\n', text, re.S).group(1)
    lines = [l.replace("$MOD_TEST", mod) for l in block.split("\n")]
    return [l for l in lines if not l.startswith("% ")]


def test_linux_shadow_vars_log_matches_linux(built):
    """Linux's test_klp_shadow_vars prints its shadow-variable calls with
    %pGg; its log is line for line what test-shadow-vars.sh expects."""
    mod = "test_klp_shadow_vars"
    blob = os.path.join(OUT, mod + ".klp")
    if not os.path.exists(blob):
        pytest.fail(mod + ".klp did not build")
    want = expected_log("test-shadow-vars.sh", mod)
    assert len(want) > 50 and any("gfp_flags=GFP_KERNEL" in l for l in want)
    k = Kelp("", name="linux_modules_shadow")
    k.boot()
    k.wait_prompt()
    try:
        r = k.klpctl("load", blob)
        assert r.returncode == 0, r.stderr
        assert k.klpctl("unload", mod).returncode == 0
        k.run("echo sync")  # the console has printed everything before this
        # the console, not `klpctl dmesg`, whose answer holds only the newest lines
        # (a line may follow the prompt: "kelp# [    1.23] ...")
        got = [re.sub(r"^.*?\[[ \d.]+\] ", "", l) for l in k.log.splitlines()]
        got = [l for l in got if l.startswith(mod + ":")]
        assert got == want
    finally:
        k.close()


def test_module_param_named_uses_its_name(tmp_path):
    """module_param_named(name, var, ...): the parameter is called name (at
    load and in /sys/module), the variable var is what it sets."""
    src = tmp_path / "param_named.c"
    src.write_text(r'''#include <linux/module.h>
static int hidden_var = 1;
module_param_named(value, hidden_var, int, 0644);
static int param_named_init(void)
{
	pr_info("param_named: value is %d\n", hidden_var);
	return 0;
}
static void param_named_exit(void) { }
module_init(param_named_init);
module_exit(param_named_exit);
MODULE_LICENSE("GPL");
''')
    r = make("module", "P=%s" % src)
    assert r.returncode == 0, r.stdout[-3000:]
    k = Kelp("", name="linux_modules_param_named")
    k.boot()
    k.wait_prompt()
    try:
        r = k.klpctl("load", os.path.join(BUILD, "patches", "param_named.klp"), "value=7")
        assert r.returncode == 0, r.stderr
        k.expect_exact("param_named: value is 7")
        k.run("echo sync")  # the kernel line came after the prompt: resynchronise
        prm = "/sys/module/param_named/parameters"
        assert k.run("ls %s" % prm).split() == ["value"]
        assert k.run("cat %s/value" % prm) == "7"
        k.klpctl("unload", "param_named", check=True)
    finally:
        k.close()


def test_kstrto_conversions_from_linux_headers(tmp_path):
    """<linux/kernel.h>'s kstrtol/kstrtoul/kstrtouint with Linux's results:
    a trailing newline is accepted, junk is -EINVAL, too big is -ERANGE."""
    src = tmp_path / "kstrto_mod.c"
    src.write_text(r'''#include <linux/module.h>
#include <linux/kernel.h>
static int kstrto_mod_init(void)
{
	long l = 0;
	unsigned long ul = 0;
	unsigned int u = 0;
	int a = kstrtol("-5", 10, &l), b = kstrtoul("12\n", 0, &ul);
	int c = kstrtouint("4294967296", 10, &u), d = kstrtouint("abc", 10, &u);
	int e = kstrtouint("0x10", 0, &u);
	pr_info("kstrto_mod: %d %ld %d %lu %d %d %d %u\n", a, l, b, ul, c, d, e, u);
	return 0;
}
static void kstrto_mod_exit(void) { }
module_init(kstrto_mod_init);
module_exit(kstrto_mod_exit);
MODULE_LICENSE("GPL");
''')
    r = make("module", "P=%s" % src)
    assert r.returncode == 0, r.stdout[-3000:]
    k = Kelp("", name="linux_modules_kstrto")
    k.boot()
    k.wait_prompt()
    try:
        r = k.klpctl("load", os.path.join(BUILD, "patches", "kstrto_mod.klp"))
        assert r.returncode == 0, r.stderr
        k.expect_exact("kstrto_mod: 0 -5 0 12 -34 -22 0 16")
        k.klpctl("unload", "kstrto_mod", check=True)
    finally:
        k.close()
