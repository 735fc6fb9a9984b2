"""The platform under several CPUs: the ACPI MADT's CPUs at boot and in the
acpi self-tests, the APIC and the 8259 fallback (noapic), /proc/cpuinfo."""
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
