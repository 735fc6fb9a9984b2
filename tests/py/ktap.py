"""A small KTAP v1 parser for the kernel self-test output.

The kernel prints one nested level per suite (4-space indent):

    KTAP version 1
    1..2
        KTAP version 1
        # Subtest: heap
        1..2
        # alignment: mm/heap.c:10: expected ...
        not ok 1 alignment
        ok 2 free # SKIP no memory
    not ok 1 heap

parse() returns a KtapRun whose `cases` maps "suite.case" to a KtapResult.
Lines that are not KTAP (printk output interleaved with the tests) are ignored;
diagnostic lines (`# ...`) are attached to the next result at the same depth.
"""
import re
from collections import OrderedDict

_VERSION = re.compile(r"^(?P<prefix>.*?)(?:KTAP|TAP) version \d+\s*$")
_PLAN = re.compile(r"^\s*1\.\.(?P<n>\d+)\s*$")
_RESULT = re.compile(r"^(?P<indent>\s*)(?P<ok>ok|not ok) (?P<num>\d+)(?: -)?\s*(?P<name>[^#]*?)\s*"
                     r"(?:#\s*(?P<directive>\w+)\s*(?P<reason>.*?))?\s*$")
_SUBTEST = re.compile(r"^\s*# Subtest: (?P<name>\S+)\s*$")
_DIAG = re.compile(r"^\s*#\s?(?P<text>.*)$")

PASS, FAIL, SKIP = "ok", "not ok", "skip"


class KtapResult(object):
    def __init__(self, name, status, number, reason="", diagnostics=None):
        self.name = name
        self.status = status
        self.number = number
        self.reason = reason
        self.diagnostics = diagnostics or []

    def __repr__(self):
        return "KtapResult(%r, %r)" % (self.name, self.status)


class KtapRun(object):
    def __init__(self):
        self.version_seen = False
        self.plan = None  # top-level 1..N
        self.suites = OrderedDict()  # suite -> KtapResult
        self.suite_plans = {}  # suite -> announced case count
        self.cases = OrderedDict()  # "suite.case" -> KtapResult
        self.diagnostics = []  # top-level "# ..." lines

    @property
    def complete(self):
        """True when every announced suite and case reported a result."""
        if not self.version_seen or self.plan is None or len(self.suites) != self.plan:
            return False
        for suite, n in self.suite_plans.items():
            if sum(1 for k in self.cases if k.split(".", 1)[0] == suite) != n:
                return False
        return True

    @property
    def failed(self):
        return [k for k, r in self.cases.items() if r.status == FAIL] + \
               [k for k, r in self.suites.items() if r.status == FAIL]


def _status(ok, directive):
    if directive and directive.upper() == "SKIP":
        return SKIP
    return PASS if ok == "ok" else FAIL


def parse(text):
    run = KtapRun()
    prefix = None  # what preceded the top-level "KTAP version" (console prefix)
    suite = None  # suite whose results we are reading (depth 1)
    pending = []  # diagnostics waiting for their result line
    for raw in text.replace("\r", "").split("\n"):
        if prefix is None:
            m = _VERSION.match(raw)
            if m:
                prefix = m.group("prefix")
                run.version_seen = True
            continue
        line = raw[len(prefix):] if raw.startswith(prefix) else raw
        depth = (len(line) - len(line.lstrip(" "))) // 4
        m = _RESULT.match(line)
        if m:
            status = _status(m.group("ok"), m.group("directive"))
            res = KtapResult(m.group("name"), status, int(m.group("num")),
                             (m.group("reason") or "").strip(), pending)
            pending = []
            if depth >= 1 and suite is not None:
                run.cases["%s.%s" % (suite, res.name)] = res
            elif depth == 0:
                run.suites[res.name] = res
                suite = None
            continue
        m = _SUBTEST.match(line)
        if m:
            suite = m.group("name")
            pending = []
            continue
        m = _PLAN.match(line)
        if m:
            if depth == 0 and run.plan is None:
                run.plan = int(m.group("n"))
            elif depth >= 1 and suite is not None:
                run.suite_plans[suite] = int(m.group("n"))
            continue
        if _VERSION.match(line):
            continue
        m = _DIAG.match(line)
        if m:
            if depth == 0:
                run.diagnostics.append(m.group("text"))
            else:
                pending.append(m.group("text"))
    return run
