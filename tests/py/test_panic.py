"""panic: message, a symbolised backtrace naming real functions, exit 35."""
import re

from kelp import EXIT_FAIL, kernel_symbols

FRAME = re.compile(r"\b([A-Za-z_][A-Za-z0-9_.]*)\+0x([0-9a-f]+)/0x([0-9a-f]+)")


def test_panic_command(kelp_factory):
    k = kelp_factory("panic_exit", expect_panic=True)
    k.wait_prompt()
    k.run("panic kelp-test-boom", wait=False)
    k.expect_exact("Kernel panic - not syncing: kelp-test-boom")
    k.expect_exact("Call Trace:")
    k.expect_exact("---[ end Kernel panic - not syncing: kelp-test-boom ]---")
    assert k.wait_exit(timeout=20) == EXIT_FAIL

    log = k.log
    trace = log[log.index("Call Trace:"):log.index("---[ end Kernel panic")]
    lines = [re.sub(r"^\[\s*\d+\.\d+\]", "", l).strip() for l in trace.split("\n")[1:]]
    frames = [FRAME.search(l) for l in lines if l]
    assert frames and all(frames), "a frame line without name+0xoff/0xsize:\n" + trace
    syms = kernel_symbols()
    for m in frames:
        name, off, size = m.group(1), int(m.group(2), 16), int(m.group(3), 16)
        assert name in syms, "%s is not a symbol of build/kernel.elf" % name
        assert off < size, m.group(0)
    assert len(frames) >= 2, trace


def test_panic_without_message(kelp_factory):
    k = kelp_factory("panic_exit", expect_panic=True)
    k.wait_prompt()
    k.run("panic", wait=False)
    k.expect_exact("Kernel panic - not syncing")
    assert k.wait_exit(timeout=20) == EXIT_FAIL


def test_unexpected_panic_is_reported(kelp_factory):
    """The harness itself: a panic fails a wait at once, not by timeout."""
    import time

    from kelp import KelpPanic
    k = kelp_factory("panic_exit")
    k.wait_prompt()
    t0 = time.time()
    k.send("panic harness-check\r")
    try:
        k.expect_exact("this never appears", timeout=8)
    except KelpPanic as e:
        assert "harness-check" in str(e)
    else:
        raise AssertionError("no KelpPanic")
    assert time.time() - t0 < 8
