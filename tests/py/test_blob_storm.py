"""The bad-blob storm: hundreds of mutated blobs (tools/blobstorm.py) sent
over the real COM2 path to ONE running kernel. Each must be refused with
a specific reason (a known class of kernel message) or, when still
well-formed, load and unload cleanly. Afterwards the kernel answers on the
console, the module loaded before the storm is still live and working,
and the heap is back at its baseline.

KELP_STORM_COUNT (default 500; `make storm` runs 5000) and
KELP_STORM_SEED (default random, always printed) control the run."""
import collections
import os
import re
import sys
import time


from kelp import ROOT, Kelp, blob_file
from klpproto import KlpClient

sys.path.insert(0, os.path.join(ROOT, "tools"))
import blobstorm  # noqa: E402

SAMPLES = ["hello_module", "ktest_mod", "storm_mod"]


def read_blob(name):
    with open(blob_file(name), "rb") as f:
        return f.read()


def meminfo(k):
    out = k.run("cat /proc/meminfo")
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"(?m)^(\w+):\s+(\d+)", out)}


def lsmod_names(k):
    return re.findall(r"(?m)^(\w[\w-]*)\s+\d+\s+\d+\s+(\w+)", k.run("lsmod"))


def test_blob_storm(capsys):
    count = int(os.environ.get("KELP_STORM_COUNT", "500"))
    seed = blobstorm.seed_from_env()
    with capsys.disabled():
        print("\nblob storm: seed %d, %d blobs (replay: KELP_STORM_SEED=%d)" % (seed, count, seed))
    samples = {n: read_blob(n) for n in SAMPLES}
    t0 = time.monotonic()
    mutants = blobstorm.generate(seed, count, samples)
    t_gen = time.monotonic() - t0

    # loglevel=3: the kernel's per-blob pr_err lines stay in the log buffer
    # instead of slowing every load down on the console.
    k = Kelp("loglevel=3", name="blob_storm")
    k.boot()
    try:
        k.wait_prompt()
        c = KlpClient(k.com2_path)
        c.hello()
        # The survivor: loaded before the storm, checked after it.
        st, text = c.load(samples["hello_module"], "hello_module", "whom=storm times=2")
        assert st == 0, text
        st, dm = c.cmd("dmesg")
        assert dm.count("hello_module: Hello, storm.") == 2, dm
        base = meminfo(k)

        classes = collections.Counter()
        kinds = collections.defaultdict(collections.Counter)
        bad = []
        loaded = 0
        t0 = time.monotonic()
        nbytes = 0
        for m in mutants:
            st, text = c.load(m.data, m.name)
            nbytes += len(m.data)
            cls = blobstorm.classify(text)
            if cls is None:
                bad.append("%r: reply without a specific reason: %r (%d)" % (m, text, st))
                continue
            classes[cls] += 1
            kinds[m.kind][cls] += 1
            if st == 0:
                if m.must_reject:
                    bad.append("%r: loaded, but its signature cannot be valid" % m)
                name = re.match(r"loaded (\S+)", text).group(1)
                ust, utext = c.cmd("unload " + name)
                if ust:
                    bad.append("%r: loaded as %s but unload failed: %s" % (m, name, utext))
                loaded += 1
            elif cls == "loaded":
                bad.append("%r: status %d with text %r" % (m, st, text))
            k.drain()   # keep the console flowing
        t_send = time.monotonic() - t0
        c.close()

        # The kernel answers, the survivor is intact, the heap is at baseline.
        assert "hello_module" in dict(lsmod_names(k)), k.run("lsmod")
        assert dict(lsmod_names(k))["hello_module"] == "live"
        after = meminfo(k)
        report = ["blob storm: seed %d: %d blobs (%d KiB) in %.1f s over COM2 (%.1f ms/blob), "
                  "generated in %.1f s; %d loaded and unloaded" %
                  (seed, count, nbytes // 1024, t_send, 1000 * t_send / count, t_gen, loaded)]
        report.append("rejection classes: " + ", ".join(
            "%s=%d" % kv for kv in sorted(classes.items(), key=lambda kv: -kv[1])))
        for kind in sorted(kinds):
            report.append("  %-8s %s" % (kind, ", ".join("%s=%d" % kv
                                                          for kv in kinds[kind].most_common())))
        with capsys.disabled():
            print("\n".join(report))
        assert not bad, "seed %d:\n%s" % (seed, "\n".join(bad[:30]))
        for key in ("KmallocBytes", "KmallocObjects"):
            assert after[key] == base[key], "seed %d: %s %d -> %d" % (seed, key, base[key],
                                                                        after[key])
        # Frames: heap arenas and page tables may grow once and stay.
        assert after["MemFree"] + after["KmallocHeap"] >= base["MemFree"] + base["KmallocHeap"] - 64

        c = KlpClient(k.com2_path)
        c.hello()
        st, text = c.cmd("unload hello_module")
        assert st == 0, text
        st, dm = c.cmd("dmesg")
        assert "hello_module: Goodbye, storm." in dm
        c.close()
        assert "Kernel panic" not in k.log
        assert "1" in k.run("echo 1")
    finally:
        k.close()


def test_classify_reads_a_reply_with_the_logged_lines():
    """A refusal's reply carries the console lines logged while refusing
    before the loader's reason; the class comes from the reason, and a reply
    of unknown lines has none."""
    text = "ftrace: storm_mod: no call __fentry__ at 0xffffffffa0006000\nbad fentry sites (-22)"
    assert blobstorm.classify(text) == "mcount"
    assert blobstorm.classify("bad fentry sites (-22)") == "mcount"
    assert blobstorm.classify("something odd\nand more of it") is None
