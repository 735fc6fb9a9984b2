"""The platform under several CPUs: the ACPI MADT's CPUs at boot and in the
acpi self-tests, the APIC and the 8259 fallback (noapic), /proc/cpuinfo, and
the application processors brought up into the scheduler."""
import re

import pytest

import ktap
from kelp import EXIT_PASS


def _boot_log_cpus(log):
    m = re.search(r"smp: (\d+) CPUs? found \(APIC IDs ([0-9 ]+)\)", log)
    assert m, log[-3000:]
    return int(m.group(1)), [int(x) for x in m.group(2).split()]


@pytest.mark.parametrize("ncpus", [2, 4])
def test_madt_lists_the_cpus(kelp_factory, ncpus):
    """With -smp N the MADT lists N enabled CPUs (acpi suite, ktest_cpus=N)
    and the boot log names their APIC IDs."""
    k = kelp_factory("selftest=acpi ktest_cpus=%d" % ncpus, ["-smp", str(ncpus)],
                     expect_panic=True)
    status = k.wait_exit(timeout=120)
    run = ktap.parse(k.log)
    assert "acpi.live_madt_cpu_count" in run.cases, k.log[-3000:]
    assert not run.failed, k.log[-3000:]
    assert status == EXIT_PASS
    n, ids = _boot_log_cpus(k.log)
    assert n == ncpus and ids == list(range(ncpus))


def test_madt_cpu_count_detects_a_mismatch(kelp_factory):
    """The count check fails when the MADT lists fewer CPUs than expected."""
    k = kelp_factory("selftest=acpi ktest_cpus=3", ["-smp", "2"], expect_panic=True)
    k.wait_exit(timeout=120)
    run = ktap.parse(k.log)
    assert "acpi.live_madt_cpu_count" in run.failed, k.log[-3000:]


def _uptime(k):
    m = re.search(r"up (\d+\.\d+)", k.run("uptime"))
    assert m, k.log[-2000:]
    return float(m.group(1))


def _platform_works(k):
    """Console (the shell answers: COM1 receive interrupts), the timer
    (uptime advances across a wait) and COM2 (klpctl gets an answer)."""
    t0 = _uptime(k)
    r = k.klpctl("list", timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    k.run("cat /proc/uptime")
    assert _uptime(k) > t0
    out = k.run("cat /proc/tty/driver/serial")
    assert "irq:4" in out and "irq:3" in out, out


@pytest.mark.parametrize("ncpus", [1, 2])
def test_apic_platform(kelp_factory, ncpus):
    k = kelp_factory("", ["-smp", str(ncpus)])
    k.wait_prompt()
    assert "irq: 24 lines on IO-APIC" in k.log, k.log[-3000:]
    assert "ISA IRQ 0 on GSI 2" in k.log
    assert "8259A masked" in k.log
    _platform_works(k)


def test_noapic_falls_back_to_the_8259(kelp_factory):
    k = kelp_factory("noapic", ["-smp", "2"])
    k.wait_prompt()
    assert "apic: not used (noapic on the command line): 8259 PIC" in k.log, k.log[-3000:]
    assert "irq: 16 lines on 8259A" in k.log
    assert "IO-APIC" not in k.log
    _platform_works(k)


def test_pit_through_the_ioapic(kelp_factory):
    """nolapic_timer: the PIT's IRQ 0 is the tick, through the override
    onto GSI 2."""
    k = kelp_factory("nolapic_timer")
    k.wait_prompt()
    assert "irq: 24 lines on IO-APIC" in k.log
    assert "pit: channel 0 periodic at 1000 Hz" in k.log, k.log[-3000:]
    assert "apic: timer periodic" not in k.log
    _platform_works(k)


def test_lapic_timer_is_the_tick(kelp_factory):
    k = kelp_factory("")
    k.wait_prompt()
    m = re.search(r"apic: timer periodic at 1000 Hz, (\d+) counts per tick", k.log)
    assert m, k.log[-3000:]
    assert "pit: channel 0 periodic" not in k.log


@pytest.mark.parametrize("cmdline", ["", "noapic"])
def test_proc_cpuinfo(kelp_factory, cmdline):
    """Linux's format for the CPU that runs: one `processor` block whose
    apicid is the boot CPU's (0 on QEMU) and whose flags include what a
    64-bit kernel needs."""
    k = kelp_factory(cmdline, ["-smp", "2"])
    k.wait_prompt()
    out = k.run("cat /proc/cpuinfo")
    fields = dict((a.strip(), b.strip()) for a, b in
                  (l.split(":", 1) for l in out.splitlines() if ":" in l))
    assert re.findall(r"(?m)^processor\t: (\d+)", out) == ["0"], out
    assert fields["vendor_id"] in ("AuthenticAMD", "GenuineIntel"), out
    assert fields["model name"], out
    assert fields["apicid"] == "0" and fields["initial apicid"] == "0", out
    flags = fields["flags"].split()
    for f in ("fpu", "tsc", "msr", "pae", "apic", "lm", "nx", "syscall"):
        assert f in flags, (f, out)
    assert float(fields["cpu MHz"]) > 100


def _started(log):
    """(cpu, APIC ID) of each AP that answered INIT-SIPI-SIPI."""
    return [(int(a), int(b)) for a, b in
            re.findall(r"smp: CPU (\d+) started \(APIC ID (\d+)\)", log)]


def _joined(log):
    return [int(a) for a in re.findall(r"smp: CPU (\d+) online\r?\n", log)]


@pytest.mark.parametrize("ncpus", [2, 4])
def test_aps_come_up_and_park(kelp_factory, ncpus):
    """Every CPU the MADT lists answers INIT-SIPI-SIPI from its own stack
    and tables (it reports its own CPUID APIC ID) and parks; the boot CPU
    alone runs tasks, and the console, timer and COM2 work."""
    k = kelp_factory("", ["-smp", str(ncpus)])
    k.wait_prompt()
    assert _started(k.log) == [(i, i) for i in range(1, ncpus)], k.log[-3000:]
    n = ncpus - 1
    assert "smp: %d CPU%s started and parked" % (n, "s" if n > 1 else "") in k.log, k.log[-3000:]
    assert _joined(k.log) == []
    assert "did not come up" not in k.log and "reports APIC ID" not in k.log
    _platform_works(k)


@pytest.mark.parametrize("ncpus", [2, 4])
def test_smp_online_aps_join_the_scheduler(kelp_factory, ncpus):
    """smp_online: each AP makes its context its idle task, starts its own
    LAPIC timer and comes online in order; the platform still works and
    the shell lists one idle task per CPU."""
    k = kelp_factory("smp_online", ["-smp", str(ncpus)])
    k.wait_prompt()
    assert _joined(k.log) == list(range(1, ncpus)), k.log[-3000:]
    assert "smp: %d CPUs online" % ncpus in k.log
    assert "did not join" not in k.log
    _platform_works(k)
    rows = k.run("ps")
    assert len(re.findall(r"(?m)^\s*0\s+\w\s+39\s+\d+\s+idle$", rows)) == ncpus, rows


def test_nosmp_and_noapic_keep_the_aps_down(kelp_factory):
    for cmdline in ("nosmp", "noapic"):
        k = kelp_factory(cmdline, ["-smp", "2"])
        k.wait_prompt()
        assert _started(k.log) == [] and _joined(k.log) == [], k.log[-3000:]
        assert "smp: 2 CPUs found" in k.log
        k.close()


def test_selftest_passes_with_parked_aps(kelp_factory):
    """Every self-test suite with three parked CPUs beside the boot CPU:
    nothing (grace periods, the scheduler) waits for a CPU that is not
    online."""
    k = kelp_factory("selftest", ["-smp", "4"], expect_panic=True)
    status = k.wait_exit(timeout=600)
    run = ktap.parse(k.log)
    assert run.complete and not run.failed, (run.failed, k.log[-3000:])
    assert status == EXIT_PASS
    assert len(_started(k.log)) == 3 and _joined(k.log) == []


@pytest.mark.parametrize("suite", ["smp", "sched", "rcu", "livepatch", "module"])
def test_suites_pass_with_aps_online(kelp_factory, suite):
    """The suites that must hold while other CPUs run their idle loops and
    take IPIs: grace periods wait for every online CPU, text poking syncs
    them, every CPU's idle task switches patch state in its idle loop."""
    k = kelp_factory("selftest=%s smp_online" % suite, ["-smp", "4"], expect_panic=True)
    status = k.wait_exit(timeout=300)
    run = ktap.parse(k.log)
    assert run.complete and not run.failed, (run.failed, k.log[-3000:])
    assert status == EXIT_PASS
    assert _joined(k.log) == [1, 2, 3], k.log[-3000:]
