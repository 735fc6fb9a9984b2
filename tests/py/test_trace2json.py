"""tools/trace2json.py: a captured trace becomes valid Chrome Trace Event
JSON with one event per trace line (host only, plus one real capture)."""
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "trace2json.py")

SAMPLE = """# tracer: function
#
# entries-in-buffer/entries-written: 3/3   #P:1
#
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
       swapper/0-0       [000] .....     4.274257: vmm_lookup <-poke_write
       swapper/0-0       [000] d.h..     4.274395: pit_timer_irq <-irq_handle
          <idle>-12      [001] d....    10.000001: time_tick <-pit_timer_irq
"""


def run_tool(text):
    r = subprocess.run([TOOL], input=text, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_one_event_per_line():
    doc, err = run_tool(SAMPLE)
    ev = doc["traceEvents"]
    assert len(ev) == 3
    assert err == ""
    assert ev[0]["name"] == "vmm_lookup" and ev[0]["args"]["parent"] == "poke_write"
    assert ev[0]["ts"] == 4274257 and ev[0]["ph"] == "i" and ev[0]["tid"] == 0
    assert ev[1]["args"]["flags"] == "d.h.."
    assert ev[2]["tid"] == 12 and ev[2]["args"]["cpu"] == 1 and ev[2]["args"]["comm"] == "<idle>"


def test_skips_junk_and_reports_it():
    doc, err = run_tool(SAMPLE + "garbage line\n\n# comment\n")
    assert len(doc["traceEvents"]) == 3
    assert "skipped 1" in err


def test_empty_input_is_valid_json():
    doc, _ = run_tool("")
    assert doc["traceEvents"] == []


def test_real_capture(kelp, tmp_path):
    t = "/sys/kernel/tracing"
    kelp.run('echo "*_proc_show" > %s/set_ftrace_filter' % t)
    kelp.run("echo function > %s/current_tracer" % t)
    kelp.run("cat /proc/version")
    kelp.run("cat /proc/uptime")
    kelp.run("echo nop > %s/current_tracer" % t)
    out = kelp.run("cat %s/trace" % t)
    kelp.run("echo \"\" > %s/set_ftrace_filter" % t)
    kelp.run("echo \"\" > %s/trace" % t)
    lines = [l for l in out.splitlines() if l.strip() and not l.startswith("#")]
    assert len(lines) >= 2, out
    doc, err = run_tool(out + "\n")
    assert len(doc["traceEvents"]) == len(lines), (out, err)
    names = {e["name"] for e in doc["traceEvents"]}
    assert {"version_proc_show", "uptime_proc_show"} <= names
