"""make bench-compare's host side, without booting Linux: the parsers of
tools/bench-compare/compare.py on canned consoles of both kernels, the
table they make, and (when Debian's kbuild headers are installed) our Linux
measurement modules and the initramfs built from them."""
import glob
import importlib.util
import os
import re
import subprocess

import pytest

from kelp import ROOT

TOOL = os.path.join(ROOT, "tools", "bench-compare")
spec = importlib.util.spec_from_file_location("bench_compare", os.path.join(TOOL, "compare.py"))
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)

KELP_LOG = """\
bench: call_plain 11 insns/call
bench: call_nop 12 insns/call
bench: lp_call_steady 13 insns/call
bench: lp_straggler_exit_to_complete skipped: the straggler did not hold the transition
bench: lp_transition_1000_kthreads 3218 us

figure                                    value  unit
lp_transition_1000_kthreads                3218  us
bench: done (3 benchmarks, 4 figures)
"""

LINUX_LOG = """\
[    1.000000] kbench: fig call_plain 99 insns/call
KBENCH-DMESG-BEGIN
[    0.000000] Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-01-01)
[    1.772321] kbench: linux 6.1.0-57-amd64 6.1.0-57-amd64
[    1.773472] kbench: fig call_plain 13 insns/call
[    1.773512] kbench: skip call_nop: kbench_traced's site is not the NOP
[    5.267723] kbench: workload k1000
[    5.284738] livepatch: 'kbench_lp': starting patching transition
[    5.287560] livepatch: 'kbench_lp': patching complete
[    5.288864] livepatch: 'kbench_lp': starting unpatching transition
[    5.560496] livepatch: 'kbench_lp': unpatching complete
[    5.629258] kbench: workload k10u4
[    5.692620] livepatch: 'kbench_lp': starting patching transition
[    5.724473] livepatch: 'kbench_lp': patching complete
[    5.732726] livepatch: 'kbench_lp': starting unpatching transition
[    6.136479] livepatch: 'kbench_lp': unpatching complete
KBENCH-DMESG-END
"""


def test_parse_kelp_figures_and_skips():
    figs, skips = bc.parse_kelp(KELP_LOG)
    assert figs == {"call_plain": 11, "call_nop": 12, "lp_call_steady": 13,
                    "lp_transition_1000_kthreads": 3218}
    assert skips == {"lp_straggler_exit_to_complete": "the straggler did not hold the transition"}


def test_parse_linux_reads_only_the_log_and_pairs_transitions():
    figs, skips, release = bc.parse_linux(LINUX_LOG)
    assert release == "6.1.0-57-amd64 (Debian 6.1.192-3)"
    # the line before the log's markers is not a figure
    assert figs["call_plain"] == 13
    assert skips == {"call_nop": "kbench_traced's site is not the NOP"}
    assert figs["lp_transition_1000_kthreads"] == 2822
    assert figs["lp_transition_10_kthreads_4_user_getpid"] == 31853
    assert figs["lp_unpatch_10_kthreads_4_user_getpid"] == 403753
    assert "lp_transition_10_kthreads" not in figs  # no k10 workload in this log


def test_table_has_every_row_ratio_and_skips():
    linux = bc.parse_linux(LINUX_LOG)[:2]
    kelp = bc.parse_kelp(KELP_LOG)
    text = bc.table(linux, kelp, "6.1.0-57-amd64")
    rows = [l for l in text.splitlines() if l.startswith("| ") and "---" not in l][1:]
    assert len(rows) == len(bc.ROWS)
    cells = {r.split(" | ")[0][2:]: r.split(" | ")[1:] for r in rows}
    plain = cells["plain noinline call, insns"]
    assert plain[:3] == ["13", "11", "1.18×"]
    assert cells["ftrace NOP site, unpatched, insns"][:2] == ["skipped", "12"]
    k1000 = cells["transition over 1,000 sleeping kthreads, start → complete, µs"]
    assert k1000[:3] == ["2,822 µs", "3,218 µs", "0.88×"]
    straggler = [v for k, v in cells.items() if k.startswith("a straggler")][0]
    assert straggler[:2] == ["—", "skipped"]


def test_readme_table_is_replaced_between_the_markers_only():
    readme = "intro\n%s\n| old |\n%s\nafter\n" % (bc.README_BEGIN, bc.README_END)
    out = bc.replace_readme_table(readme, "| new |")
    assert out == "intro\n%s\n| new |\n%s\nafter\n" % (bc.README_BEGIN, bc.README_END)
    with open(os.path.join(ROOT, "README.md")) as f:
        assert bc.README_BEGIN in f.read()  # make bench-compare has somewhere to write
    with pytest.raises(ValueError):
        bc.replace_readme_table("no markers", "| new |")


def test_init_script_marks_every_linux_workload():
    with open(os.path.join(TOOL, "init.sh")) as f:
        marks = set(re.findall(r"(?m)^mark (\w+)$", f.read()))
    assert {w for w, _ in bc.LINUX_TRANSITIONS.values()} <= marks


HEADERS = glob.glob("/usr/src/linux-headers-*-amd64")


@pytest.mark.skipif(not HEADERS or not glob.glob("/boot/vmlinuz-*-amd64"),
                    reason="no Debian kernel and headers (tools/deps.sh bench-compare)")
def test_linux_modules_and_initramfs_build(tmp_path):
    r = subprocess.run([os.path.join(TOOL, "mkinitramfs.sh"), str(tmp_path)],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=300)
    assert r.returncode == 0, r.stdout
    release = r.stdout.split()[-1]
    assert os.path.exists("/boot/vmlinuz-" + release)
    for mod in ("kbench", "kbench_lp", "kbench_lp_replace"):
        ko = tmp_path / "mod" / (mod + ".ko")
        info = subprocess.run(["modinfo", str(ko)], stdout=subprocess.PIPE,
                              universal_newlines=True).stdout
        assert re.search(r"(?m)^vermagic:\s+%s " % re.escape(release), info), info
        assert bool(re.search(r"(?m)^livepatch:\s+Y$", info)) == (mod != "kbench"), info
    listing = subprocess.run("gzip -dc %s | cpio -t --quiet" % (tmp_path / "initramfs.gz"),
                             shell=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    for f in ("init", "bin/busybox", "bin/getpid_loop", "kbench/kbench.ko",
              "kbench/kbench_lp.ko", "kbench/kbench_lp_replace.ko"):
        assert f in listing.split(), listing
