"""/sys/kernel/tracing from the shell, as a Linux user would drive it.
Every test puts the tracer back to nop with an empty filter and buffer."""
import re

import pytest

from kelp import PROMPT, KelpError
from klpproto import KlpClient

T = "/sys/kernel/tracing"
LINE = re.compile(r"^\s*\S+-\d+\s+\[\d{3}\] [.dh]{5}\s+\d+\.\d{6}: (\S+) <-(\S+)$")
# The same, with the TASK column: comm-pid
TASK_LINE = re.compile(r"^\s*(\S+)-(\d+)\s+\[\d{3}\] [.dh]{5}\s+\d+\.\d{6}: (\S+) <-(\S+)$")


@pytest.fixture
def tr(kelp):
    yield kelp
    kelp.send("\x03")  # a cat of trace_pipe a failed test left running
    kelp.sync()
    kelp.run("echo nop > %s/current_tracer" % T)
    kelp.run("echo \"\" > %s/set_ftrace_filter" % T)
    kelp.run("echo > %s/set_ftrace_notrace" % T)
    kelp.run("echo \"\" > %s/trace" % T)
    kelp.run("echo 1 > %s/tracing_on" % T)


def entries(text):
    return [LINE.match(l).groups() for l in text.splitlines() if LINE.match(l)]


def tasks(text):
    """(comm, pid, function) of every trace line."""
    return [(m.group(1), int(m.group(2)), m.group(3))
            for m in map(TASK_LINE.match, text.splitlines()) if m]


def start_pipe(k):
    """Types `cat trace_pipe`, which keeps running: the console is busy."""
    k.drain()
    k.send("cat %s/trace_pipe\r" % T)
    k.expect(r"trace_pipe\r*\n")  # its echo


def stop_pipe(k):
    """Ctrl-C ends the cat: ^C, then the prompt; what it printed before."""
    k.send("\x03")
    k.expect(r"\^C\r*\n" + re.escape(PROMPT))
    return k.child.before.replace("\r", "")


def com2_read(k, path):
    """Reads path over the patch channel (the host bridge's fs.read), in the
    kernel's channel thread, while the console may be busy."""
    c = KlpClient(k.com2_path)
    try:
        c.hello()
        st, text = c.cmd("fs.read 0 %s" % path)
        return st, text
    finally:
        c.close()


def test_files_exist(tr):
    names = tr.run("ls %s" % T).split()
    for f in ("available_filter_functions", "set_ftrace_filter", "set_ftrace_notrace",
              "current_tracer", "tracing_on",
              "trace", "trace_pipe", "buffer_size_kb", "enabled_functions"):
        assert f in names, names


def test_available_filter_functions(tr):
    funcs = tr.run("cat %s/available_filter_functions" % T).split()
    assert "cmdline_proc_show" in funcs and "kmalloc" in funcs
    for notrace in ("ktime_get_ns", "text_poke", "function_trace_call", "trap_dispatch"):
        assert notrace not in funcs


def test_boot_message(tr):
    log = tr.run("dmesg")
    assert re.search(r"ftrace: allocating \d+ entries in \d+ pages", log), log
    assert re.search(r"ftrace: converted \d+ call sites", log), log


def test_filter_replace_append_remove(tr):
    f = "%s/set_ftrace_filter" % T
    assert tr.run("cat %s" % f) == "#### all functions enabled ####"
    assert tr.run('echo "cmdline_proc_*" > %s' % f) == ""
    assert tr.run("cat %s" % f).split() == ["cmdline_proc_show"]
    assert tr.run('echo "uptime_proc_show version_proc_show" >> %s' % f) == ""
    assert sorted(tr.run("cat %s" % f).split()) == ["cmdline_proc_show", "uptime_proc_show",
                                                    "version_proc_show"]
    tr.run('echo "!uptime*" >> %s' % f)
    assert sorted(tr.run("cat %s" % f).split()) == ["cmdline_proc_show", "version_proc_show"]
    assert "Invalid argument" in tr.run('echo "no_such_fn" > %s' % f)
    assert len(tr.run("cat %s" % f).split()) == 2  # unchanged by the failed write
    assert tr.run('echo "meminfo_proc*" > %s' % f) == ""
    assert tr.run("cat %s" % f).split() == ["meminfo_proc_show"]


def test_function_tracer_trace_and_enabled(tr):
    tr.run('echo "*_proc_show" > %s/set_ftrace_filter' % T)
    assert tr.run("cat %s/current_tracer" % T) == "nop"
    assert tr.run("cat %s/enabled_functions" % T) == ""
    tr.run("echo function > %s/current_tracer" % T)
    assert tr.run("cat %s/current_tracer" % T) == "function"
    enabled = tr.run("cat %s/enabled_functions" % T).splitlines()
    assert "cmdline_proc_show (1)" in enabled and len(enabled) == 4, enabled
    tr.run("cat /proc/cmdline")
    tr.run("cat /proc/cmdline")
    out = tr.run("cat %s/trace" % T)
    assert out.startswith("# tracer: function")
    assert "# entries-in-buffer/entries-written: 2/2   #P:1" in out
    assert "TASK-PID     CPU#" in out
    assert entries(out) == [("cmdline_proc_show", "pfs_read")] * 2, out
    tr.run("echo nop > %s/current_tracer" % T)
    assert tr.run("cat %s/enabled_functions" % T) == ""


def test_tracing_on_and_clear(tr):
    tr.run('echo "version_proc_show" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    tr.run("echo 0 > %s/tracing_on" % T)
    assert tr.run("cat %s/tracing_on" % T) == "0"
    tr.run("cat /proc/version")
    assert entries(tr.run("cat %s/trace" % T)) == []
    tr.run("echo 1 > %s/tracing_on" % T)
    tr.run("cat /proc/version")
    assert len(entries(tr.run("cat %s/trace" % T))) == 1
    tr.run("echo \"\" > %s/trace" % T)
    assert entries(tr.run("cat %s/trace" % T)) == []


def test_trace_pipe_consumes(tr):
    tr.run('echo "uptime_proc_show" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    tr.run("cat /proc/uptime")
    tr.run("cat /proc/uptime")
    start_pipe(tr)
    tr.expect(r"uptime_proc_show <-pfs_read\r*\n.*uptime_proc_show <-pfs_read\r*\n")
    stop_pipe(tr)
    # consumed: trace no longer has them, and a read over the bridge (which
    # never waits) finds nothing either
    assert entries(tr.run("cat %s/trace" % T)) == []
    st, text = com2_read(tr, "%s/trace_pipe" % T)
    assert st == 0 and text.split("\n", 1)[0] == "0", text
    tr.run("echo ok")


def test_trace_pipe_blocks_until_data_arrives(tr):
    """cat trace_pipe waits, as on Linux; a call traced meanwhile (in the
    patch channel's thread, the console being busy) shows up at once, with
    that thread in the TASK column; Ctrl-C ends the cat."""
    tr.run('echo "cmdline_proc_show" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    start_pipe(tr)
    with pytest.raises(KelpError, match="timed out"):
        tr.expect([re.escape(PROMPT), "cmdline_proc_show"], timeout=1.5)
    st, text = com2_read(tr, "/proc/cmdline")
    assert st == 0 and "kelp.test=hello" in text
    tr.expect(r"patchchan-\d+ +\[\d{3}\] [.dh]{5} +\d+\.\d{6}: cmdline_proc_show <-pfs_read")
    # still running: a second call shows up too
    com2_read(tr, "/proc/cmdline")
    tr.expect(r"cmdline_proc_show <-pfs_read")
    stop_pipe(tr)
    assert tr.run("echo ok") == "ok"
    assert entries(tr.run("cat %s/trace" % T)) == []  # the cat consumed them


def test_ctrl_c_ends_an_idle_trace_pipe(tr):
    tr.run('echo "cmdline_proc_show" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    start_pipe(tr)
    stop_pipe(tr)
    assert tr.run("echo ok") == "ok"
    tr.run("cat /proc/cmdline")
    assert len(entries(tr.run("cat %s/trace" % T))) == 1  # the tracer kept going


def test_ctrl_c_typed_with_cat_prints_what_is_there(tr):
    """Ctrl-C typed together with the command (as tools/fuzz-system.py
    does): the cat prints what the buffer holds, consumes it, and ends."""
    tr.run('echo "uptime_proc_show" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    tr.run("cat /proc/uptime")
    tr.drain()
    tr.send("cat %s/trace_pipe\r\x03" % T)
    tr.expect(r"\n" + re.escape(PROMPT))
    assert entries(tr.child.before.replace("\r", "")) == [("uptime_proc_show", "pfs_read")]
    assert entries(tr.run("cat %s/trace" % T)) == []


def test_task_column_names_the_traced_task(tr):
    """TASK-PID is the task that made the call, recorded at trace time: a
    user program and a kernel thread, not the shell reading the buffer."""
    tr.run('echo "sys_getpid msleep_interruptible" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    out = tr.run("spawn -w getpid_loop n5")
    upid = int(re.search(r"spawned getpid_loop pid (\d+)", out).group(1))
    assert "exit status 0" in out
    out = tr.run("kthread sleep tsleeper")
    kpid = int(re.search(r"started sleep pid (\d+)", out).group(1))
    try:
        tr.run("spawn -w sleep 300")  # the thread wakes every 100 ms
    finally:
        tr.run("kill %d" % kpid)
    seen = tasks(tr.run("cat %s/trace" % T))
    assert ("getpid_loop", upid, "sys_getpid") in seen, seen
    # its own pid once, then the five calls it was asked for
    assert seen.count(("getpid_loop", upid, "sys_getpid")) == 6, seen
    assert ("tsleeper", kpid, "msleep_interruptible") in seen, seen
    assert not [s for s in seen if s[0] == "shell"], seen


def test_blank_write_clears_the_filter(tr):
    """echo > set_ftrace_filter writes a newline, which clears the filter,
    as in Linux; >> of a blank line leaves it alone."""
    f = "%s/set_ftrace_filter" % T
    tr.run('echo "cmdline_proc_show uptime_proc_show" > %s' % f)
    assert tr.run("echo >> %s" % f) == ""
    assert sorted(tr.run("cat %s" % f).split()) == ["cmdline_proc_show", "uptime_proc_show"]
    assert tr.run("echo > %s" % f) == ""
    assert tr.run("cat %s" % f) == "#### all functions enabled ####"
    tr.run('echo "uptime_proc_show" > %s' % f)
    assert tr.run("echo '' > %s" % f) == ""
    assert tr.run("cat %s" % f) == "#### all functions enabled ####"
    # the other files: a blank write is refused where Linux refuses it
    for name in ("current_tracer", "tracing_on", "buffer_size_kb"):
        assert "Invalid argument" in tr.run("echo > %s/%s" % (T, name)), name
    tr.run('echo "uptime_proc_show" > %s' % f)
    tr.run("echo function > %s/current_tracer" % T)
    tr.run("cat /proc/uptime")
    assert tr.run("echo > %s/trace" % T) == ""
    assert entries(tr.run("cat %s/trace" % T)) == []


def test_set_ftrace_notrace(tr):
    """Linux's set_ftrace_notrace: its functions are left out whatever the
    filter says; edited like the filter; a blank write clears it."""
    f, nt = "%s/set_ftrace_filter" % T, "%s/set_ftrace_notrace" % T
    assert tr.run("cat %s" % nt) == "#### no functions disabled ####"
    tr.run('echo "*_proc_show" > %s' % f)
    assert tr.run('echo "cmdline_proc_*" > %s' % nt) == ""
    assert tr.run('echo "version_proc_show" >> %s' % nt) == ""
    assert sorted(tr.run("cat %s" % nt).split()) == ["cmdline_proc_show", "version_proc_show"]
    assert "Invalid argument" in tr.run('echo "no_such_fn" > %s' % nt)
    assert len(tr.run("cat %s" % nt).split()) == 2  # unchanged by the failed write
    tr.run("echo function > %s/current_tracer" % T)
    enabled = tr.run("cat %s/enabled_functions" % T)
    assert "uptime_proc_show (1)" in enabled and "cmdline_proc_show" not in enabled, enabled
    for p in ("/proc/cmdline", "/proc/version", "/proc/uptime"):
        tr.run("cat %s" % p)
    assert entries(tr.run("cat %s/trace" % T)) == [("uptime_proc_show", "pfs_read")]
    # taken back one by one, then cleared, while tracing
    tr.run('echo "!version*" >> %s' % nt)
    assert tr.run("cat %s" % nt).split() == ["cmdline_proc_show"]
    assert tr.run("echo > %s" % nt) == ""
    assert tr.run("cat %s" % nt) == "#### no functions disabled ####"
    tr.run("echo > %s/trace" % T)
    tr.run("cat /proc/cmdline")
    assert entries(tr.run("cat %s/trace" % T)) == [("cmdline_proc_show", "pfs_read")]
    # it outlives the tracer, as the filter does
    tr.run('echo "cmdline_proc_show" > %s' % nt)
    tr.run("echo nop > %s/current_tracer" % T)
    assert tr.run("cat %s" % nt) == "cmdline_proc_show"
    tr.run("echo function > %s/current_tracer" % T)
    tr.run("cat /proc/cmdline")
    assert entries(tr.run("cat %s/trace" % T)) == []


def test_buffer_size_kb_overwrites_and_counts(tr):
    assert tr.run("cat %s/buffer_size_kb" % T) == "16"
    tr.run("echo 1 > %s/buffer_size_kb" % T)  # fewer than 40 entries
    assert tr.run("cat %s/buffer_size_kb" % T) == "1"
    tr.run('echo "uptime_proc_show" > %s/set_ftrace_filter' % T)
    tr.run("echo function > %s/current_tracer" % T)
    for _ in range(40):
        tr.run("cat /proc/uptime")
    out = tr.run("cat %s/trace" % T)
    m = re.search(r"entries-in-buffer/entries-written: (\d+)/40 ", out)
    assert m and 0 < int(m.group(1)) < 40, out
    assert len(entries(out)) == int(m.group(1))
    assert "Invalid argument" in tr.run("echo 0 > %s/buffer_size_kb" % T)
    tr.run("echo 16 > %s/buffer_size_kb" % T)


def test_bad_tracer(tr):
    assert "Invalid argument" in tr.run("echo blah > %s/current_tracer" % T)
    assert tr.run("cat %s/current_tracer" % T) == "nop"
