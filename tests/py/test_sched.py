"""Tasks from the console: ps, /proc/<pid>/{status,stack,patch_state}, kill,
and demo kernel threads started with `kthread`."""
import re


def start(k, kind, name):
    out = k.run("kthread %s %s" % (kind, name))
    m = re.search(r"started %s pid (\d+)" % kind, out)
    assert m, out
    return int(m.group(1))


def ps_rows(k):
    rows = {}
    lines = k.run("ps").split("\n")
    assert lines[0].split() == ["PID", "STATE", "PRIO", "TIME", "NAME"], lines
    for line in lines[1:]:
        f = line.split()
        rows[int(f[0])] = {"state": f[1], "prio": int(f[2]), "time": int(f[3]), "name": f[4]}
    return rows


def test_ps_shows_real_tasks(kelp):
    pid = start(kelp, "sleep", "pssleeper")
    rows = ps_rows(kelp)
    assert rows[0]["name"] == "idle"
    assert rows[1]["name"] == "shell"
    assert rows[1]["state"] == "R"  # it is running ps
    assert rows[pid]["name"] == "pssleeper"
    assert rows[pid]["state"] == "S"
    assert rows[pid]["prio"] == 20
    kelp.run("kill %d" % pid)


def test_busy_thread_gets_cpu_and_shell_answers(kelp):
    pid = start(kelp, "busy", "spinner")
    kelp.run("cat /proc/uptime")
    rows = ps_rows(kelp)
    assert rows[pid]["state"] == "R"
    assert rows[pid]["prio"] == 21
    # Preempted by the tick, so its trace has an interrupt frame. Whether
    # the walk vouches for it depends on where the tick landed (traced C
    # code: reliable; notrace or asm: "(unreliable)" at the end), which the
    # sched.unwind_preempted_* self-tests pin down; here it must show the
    # frames either way.
    stack = kelp.run("cat /proc/%d/stack" % pid)
    assert "preempt_schedule_irq" in stack and "kthread_start_c" in stack, stack
    assert "(unreliable)" not in stack.rstrip()[:-len("(unreliable)")], stack
    assert kelp.run("kill %d" % pid) == ""
    assert pid not in ps_rows(kelp)
    assert kelp.run("echo ok") == "ok"


def test_proc_stack_of_sleeping_thread(kelp):
    pid = start(kelp, "sleep", "napper")
    kelp.run("echo settle")
    stack = kelp.run("cat /proc/%d/stack" % pid)
    lines = stack.split("\n")
    assert all(re.match(r"\[<0>\] [A-Za-z_][\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+$", l) for l in lines), stack
    names = [re.match(r"\[<0>\] ([\w]+)", l).group(1) for l in lines]  # foo.part.0 -> foo
    for fn in ("__schedule", "schedule_timeout", "msleep_interruptible",
               "kthread_demo_sleep_loop", "kthread_start_c"):
        assert fn in names, stack
    assert names.index("__schedule") < names.index("kthread_demo_sleep_loop")
    assert "(unreliable)" not in stack
    kelp.run("kill %d" % pid)


def test_proc_status_and_patch_state(kelp):
    pid = start(kelp, "sleep", "statusy")
    status = kelp.run("cat /proc/%d/status" % pid)
    assert "Name:\tstatusy" in status, status
    assert re.search(r"State:\tS \(sleeping\)", status), status
    assert "Pid:\t%d" % pid in status
    assert "PPid:\t1" in status
    assert "Prio:\t20" in status
    assert re.search(r"patch_state:\t-1", status), status
    assert kelp.run("cat /proc/%d/patch_state" % pid) == "-1"
    assert "Name:\tidle" in kelp.run("cat /proc/0/status")
    kelp.run("kill %d" % pid)


def test_kill(kelp):
    pid = start(kelp, "sleep", "victim")
    assert pid in ps_rows(kelp)
    assert kelp.run("kill %d" % pid) == ""
    assert pid not in ps_rows(kelp)
    assert "No such file or directory" in kelp.run("cat /proc/%d/status" % pid)
    assert kelp.run("kill %d" % pid) == "kill: %d: No such process" % pid


def test_kill_errors(kelp):
    assert kelp.run("kill 9999") == "kill: 9999: No such process"
    assert kelp.run("kill abc") == "kill: abc: invalid pid"
    assert kelp.run("kill -5") == "kill: -5: invalid pid"
    assert "usage: kill PID" in kelp.run("kill")
    assert kelp.run("kill 0") == "kill: 0: Operation not permitted"
    assert kelp.run("kill 1") == "kill: 1: Operation not permitted"
    assert "usage: kthread" in kelp.run("kthread")
    assert kelp.run("echo ok") == "ok"
