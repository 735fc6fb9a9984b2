"""User mode from the console: `spawn` runs embedded programs (user/) as
ring-3 tasks; exit status, -EFAULT for bad pointers, faults that kill only
the task, a busy user task beside the shell, and the task views."""
import re


def spawn(k, prog, arg=None, wait=False, timeout=20):
    cmd = "spawn %s%s%s" % ("-w " if wait else "", prog, " " + arg if arg else "")
    out = k.run(cmd, timeout=timeout)
    m = re.search(r"spawned %s pid (\d+)" % re.escape(prog), out)
    assert m, out
    return int(m.group(1)), out


def test_hello_runs_and_exit_status_seen(kelp):
    pid, out = spawn(kelp, "hello", wait=True)
    assert re.search(r"Hello from user mode: hello pid %d ppid 1\b" % pid, out), out
    assert out.rstrip().endswith("exit status 0"), out
    _, out = spawn(kelp, "exitcode", wait=True)
    assert out.rstrip().endswith("exit status 42"), out


def test_spawn_and_wait_from_user_mode(kelp):
    _, out = spawn(kelp, "init", "hello,exitcode", wait=True)
    assert re.search(r"init: exitcode \(pid \d+\) exited with status 42", out), out
    assert re.search(r"init: hello \(pid \d+\) exited with status 0", out), out
    assert "wait() with no children = -10" in out, out
    assert out.rstrip().endswith("exit status 0"), out


def test_badptr_gets_efault(kelp):
    _, out = spawn(kelp, "badptr", wait=True)
    assert "all -EFAULT" in out, out
    assert "write(unmapped)=-14" in out and "write(kernel)=-14" in out, out
    assert out.rstrip().endswith("exit status 0"), out


def test_fault_kills_only_the_task(kelp):
    pid, out = spawn(kelp, "fault", wait=True)
    assert re.search(r"fault\[%d\]: segfault at 0 ip [0-9a-f]{16} sp [0-9a-f]{16} error 4" % pid,
                     out), out
    assert out.rstrip().endswith("exit status 139"), out
    assert kelp.run("echo still here") == "still here"
    assert "Name:" not in kelp.run("cat /proc/%d/status" % pid)  # gone
    _, out = spawn(kelp, "hello", wait=True)
    assert out.rstrip().endswith("exit status 0"), out


def test_unknown_program(kelp):
    out = kelp.run("spawn nosuch")
    assert "No such file or directory" in out, out


def test_getpid_loop_beside_shell_and_task_views(kelp):
    pid, _ = spawn(kelp, "getpid_loop", "3")
    # The shell answers while the loop runs.
    assert kelp.run("echo alive") == "alive"
    rows = kelp.run("ps")
    assert re.search(r"^\s*%d\s+R\s+20\s+\d+\s+getpid_loop$" % pid, rows, re.M), rows
    status = kelp.run("cat /proc/%d/status" % pid)
    assert "Name:\tgetpid_loop" in status and "User:\t1" in status, status
    assert "Kthread:\t0" in status, status
    assert "User:\t0" in kelp.run("cat /proc/1/status")
    stack = kelp.run("cat /proc/%d/stack" % pid)
    lines = [l for l in stack.split("\n") if l != "(unreliable)"]
    assert lines and all(re.match(r"\[<0>\] [A-Za-z_][\w.]*\+0x[0-9a-f]+/0x[0-9a-f]+$", l)
                         for l in lines), stack
    names = stack
    # Switched out from user mode (the tick), or inside a syscall (then
    # maybe by an interrupt in kernel mode: unreliable, shown anyway).
    assert "__schedule" in names, stack
    assert any(f in names for f in ("exit_to_user_mode_work", "syscall_dispatch", "do_syscall",
                                    "sys_getpid", "sys_clock_gettime")), stack
    kelp.expect(r"getpid_loop: (\d+) calls in 3000 ms", timeout=20)
    calls = int(kelp.child.match.group(1))
    assert calls > 1000, calls
    kelp.sync()  # the line came while the shell sat at its prompt
    assert kelp.run("echo done") == "done"


def test_kill_user_task(kelp):
    pid, _ = spawn(kelp, "spin")
    assert kelp.run("kill %d" % pid) == ""
    rows = kelp.run("ps")
    assert not re.search(r"^\s*%d\s" % pid, rows, re.M), rows
    pid, _ = spawn(kelp, "sleep", "60000")
    stack = kelp.run("cat /proc/%d/stack" % pid)
    assert "sys_nanosleep" in stack and "(unreliable)" not in stack, stack
    assert kelp.run("kill %d" % pid) == ""
    assert kelp.run("echo ok") == "ok"
