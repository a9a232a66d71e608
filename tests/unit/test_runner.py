"""The runner: parallel, per-collector timeouts, cancel, progress, errors become statuses."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from diagnostics.cancel import CancelToken
from diagnostics.collectors.base import CollectContext, Collector
from diagnostics.host import LocalHost
from diagnostics.model import Section, SectionStatus
from diagnostics.runner import run_collectors


class Quick(Collector):
    name = "quick"
    title = "Quick"
    platforms: ClassVar = frozenset({"linux", "windows", "darwin"})

    def collect(self, ctx: CollectContext, section: Section) -> None:
        section.data["answer"] = 42


class Sleepy(Collector):
    """Writes a partial value, then waits (cancellably) far longer than its timeout."""

    name = "sleepy"
    title = "Sleepy"
    platforms: ClassVar = frozenset({"linux", "windows", "darwin"})
    timeout_s = 0.3

    def collect(self, ctx: CollectContext, section: Section) -> None:
        section.data["first"] = "ready"
        ctx.cancel.wait(30)
        ctx.cancel.raise_if_cancelled()
        section.data["second"] = "never"


class Broken(Collector):
    name = "broken"
    title = "Broken"
    platforms: ClassVar = frozenset({"linux", "windows", "darwin"})

    def collect(self, ctx: CollectContext, section: Section) -> None:
        raise RuntimeError("no such field\nsecond line of detail")


class NoTool(Collector):
    name = "notool"
    title = "No tool"
    platforms: ClassVar = frozenset({"linux", "windows", "darwin"})

    def collect(self, ctx: CollectContext, section: Section) -> None:
        res = ctx.host.run(["deskside-no-such-program-xyz", "--version"])
        section.skip("thing", res.why_failed())


class WindowsOnly(Collector):
    name = "winonly"
    title = "Windows only"
    platforms: ClassVar = frozenset({"windows"})

    def collect(self, ctx: CollectContext, section: Section) -> None:
        raise AssertionError("must not run on Linux")


def ctx(cancel: CancelToken | None = None) -> CollectContext:
    return CollectContext(host=LocalHost(), cancel=cancel or CancelToken(), options={})


def test_statuses_durations_and_skips() -> None:
    report = run_collectors([Quick(), Broken(), NoTool(), WindowsOnly()], ctx(), apply_rules=False)
    s = report.sections
    assert s["quick"].status == SectionStatus.OK and s["quick"].data == {"answer": 42}
    assert s["broken"].status == SectionStatus.ERROR
    assert s["broken"].error == "RuntimeError: no such field"  # one line, no traceback
    assert s["notool"].status == SectionStatus.SKIPPED
    assert s["notool"].skips[0].reason == "deskside-no-such-program-xyz is not installed"
    assert s["winonly"].status == SectionStatus.SKIPPED
    assert "not available on linux" in s["winonly"].skips[0].reason
    assert all(sec.duration_s >= 0 for sec in s.values())
    assert list(s) == ["quick", "broken", "notool", "winonly"]  # registry order kept


def test_timeout_keeps_partial_data_and_others_finish() -> None:
    report = run_collectors([Sleepy(), Quick()], ctx(), apply_rules=False)
    sleepy = report.sections["sleepy"]
    assert sleepy.status == SectionStatus.TIMEOUT
    assert sleepy.data == {"first": "ready"}
    assert "timeout" in sleepy.skips[-1].reason
    assert report.sections["quick"].status == SectionStatus.OK
    assert sleepy.duration_s >= Sleepy.timeout_s  # it ran until its deadline (how long after: bench/, not here)


def test_collectors_run_in_parallel() -> None:
    # Two collectors that each wait until the other has started: a serial runner would time them both out.
    barrier = threading.Barrier(2, timeout=3)

    class A(Quick):
        name = "a"

        def collect(self, ctx: CollectContext, section: Section) -> None:
            barrier.wait()
            section.data["ok"] = True

    class B(A):
        name = "b"

    report = run_collectors([A(), B()], ctx(), apply_rules=False)
    assert report.sections["a"].data == {"ok": True} and report.sections["b"].data == {"ok": True}


def test_cancel_returns_partial_report_promptly_and_progress_is_reported() -> None:
    cancel = CancelToken()
    events: list[tuple[str, str]] = []
    release = threading.Event()

    class Stuck(Sleepy):
        """Ignores the cancel: blocks until the test releases it, after the run has returned."""

        timeout_s = 60

        def collect(self, ctx: CollectContext, section: Section) -> None:
            section.data["first"] = "ready"
            release.wait(60)
            section.data["second"] = "never"

    def progress(name: str, state: str, done: int, total: int) -> None:
        events.append((name, state))
        if (name, state) == ("quick", "ok"):
            cancel.cancel()

    try:
        # Returns at all only if the runner does not wait for a collector that is still busy: no clock needed.
        report = run_collectors([Stuck(), Quick()], ctx(cancel), progress=progress, apply_rules=False)
        assert not release.is_set()
    finally:
        release.set()
    assert report.cancelled
    assert report.sections["sleepy"].status == SectionStatus.CANCELLED
    assert report.sections["sleepy"].data == {"first": "ready"}
    assert report.sections["quick"].status == SectionStatus.OK
    assert ("sleepy", "running") in events and ("sleepy", "cancelled") in events and ("quick", "ok") in events


def test_command_timeout_and_cancel_kill_the_process() -> None:
    host = LocalHost()
    res = host.run(["sleep", "30"], timeout=0.3)
    assert res.timed_out and not res.ok
    assert "did not finish" in res.why_failed()
    res = host.run(["sh", "-c", "printf 'caf\\351 ok\\n'; exit 3"])
    assert res.returncode == 3 and res.stdout == "café ok\n"  # non-UTF-8 bytes never raise: Latin-1 is read
    assert res.why_failed() == "sh exited with status 3: café ok"


def test_a_setting_that_is_not_a_table_is_a_skip_with_the_fix_not_an_error() -> None:
    """`[diagnostics]` with `logs = 5` (instead of a `[diagnostics.logs]` table) used to end the logs collector with
    "AttributeError: 'int' object has no attribute 'get'"."""
    from diagnostics.collectors import select

    context = CollectContext(host=LocalHost(), options={"logs": 5, "updates": "yes", "storage": {}})
    report = run_collectors(select(only=["logs", "storage"]), context, apply_rules=False)
    logs = report.sections["logs"]
    assert logs.status not in (SectionStatus.ERROR, SectionStatus.CANCELLED), logs.error
    (bad,) = [s for s in logs.skips if s.item == "setting diagnostics.logs"]
    assert "5 is not a table of settings" in bad.reason and "[diagnostics.logs]" in bad.reason
    assert logs.data["since_hours"] == 24  # the default
    assert not any(s.item.startswith("setting") for s in report.sections["storage"].skips)
    assert context.options["logs"] == 5  # the caller's options are not changed


def _processes_with(argv: list[str]) -> list[int]:
    """PIDs whose command line is exactly `argv` (read from /proc)."""
    from pathlib import Path

    want = "\0".join(argv) + "\0"
    pids = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if (p / "cmdline").read_text() == want:
                    pids.append(int(p.name))
            except OSError:
                pass
    return pids


class StuckTool(Collector):
    """Runs a command that hangs (like journalctl on a damaged journal) with a command timeout longer than its own."""

    name = "stuck"
    title = "Stuck tool"
    platforms: ClassVar = frozenset({"linux"})
    timeout_s = 0.3
    argv: ClassVar[list[str]] = ["sleep", "31.4159"]

    def collect(self, ctx: CollectContext, section: Section) -> None:
        section.data["before"] = "ready"
        ctx.host.run(self.argv, timeout=30, cancel=ctx.cancel)


def test_a_timed_out_collector_is_reported_as_timeout_and_leaves_no_process_behind() -> None:
    """Its thread, stopped by the runner, used to overwrite 'timeout' with 'cancelled', and the run could end (and
    deskside exit) before the thread had killed its command: `sleep`/`journalctl` went on running, orphaned."""
    report = run_collectors([StuckTool(), Quick()], ctx(), apply_rules=False)
    stuck = report.sections["stuck"]
    assert stuck.status == SectionStatus.TIMEOUT
    assert stuck.data == {"before": "ready"} and "timeout" in stuck.skips[-1].reason
    assert _processes_with(StuckTool.argv) == []
    assert report.sections["quick"].status == SectionStatus.OK


def test_names_that_are_not_utf8_become_replacement_characters_not_a_crash() -> None:
    """A process started from a file named b'y\\xff\\xfe<b>' reaches the report as 'y\\udcff\\udcfe<b>' (Python's
    surrogateescape); writing the HTML report then failed with a UnicodeEncodeError traceback."""
    from diagnostics.render.html import render_html
    from diagnostics.render.json import dumps
    from diagnostics.render.text import render_text

    bad = b"y\xff\xfe<b>".decode("utf-8", "surrogateescape")

    class Odd(Quick):
        name = "processes"
        title = "Processes"

        def collect(self, ctx: CollectContext, section: Section) -> None:
            section.data["top_cpu"] = [{"name": bad, "pid": 7, "tags": ("a", bad)}]
            section.data[bad] = {bad}
            section.skip(bad, f"cannot read {bad}")

    report = run_collectors([Odd()], ctx())
    s = report.sections["processes"]
    shown = "y\ufffd\ufffd<b>"
    assert s.data["top_cpu"] == [{"name": shown, "pid": 7, "tags": ["a", shown]}]
    assert s.data[shown] == [shown]
    assert (s.skips[0].item, s.skips[0].reason) == (shown, f"cannot read {shown}")
    for text in (dumps(report), render_html(report), render_text(report)):
        text.encode("utf-8")  # every writer can write it
    assert "y\ufffd\ufffd&lt;b&gt;" in render_html(report)


def test_every_registered_collector_and_rule_module_is_present(monkeypatch: Any) -> None:
    """A collector or rules module missing from an install used to be skipped silently ("not written yet")."""
    import pytest

    from diagnostics import collectors, rules

    names = [c.name for c in collectors.all_collectors()]
    assert names == [m for m, _cls in collectors._REGISTRY]
    assert len(rules.all_rules()) >= len(rules._MODULES)
    monkeypatch.setattr(collectors, "_REGISTRY", [*collectors._REGISTRY, ("vanished", "VanishedCollector")])
    with pytest.raises(ModuleNotFoundError):
        collectors.all_collectors()
    monkeypatch.setattr(rules, "_MODULES", [*rules._MODULES, "vanished"])
    with pytest.raises(ModuleNotFoundError):
        rules.all_rules()


def test_a_command_that_prints_far_too_much_costs_time_not_memory() -> None:
    """Output beyond MAX_OUTPUT used to be read whole into memory and cut afterwards: a journalctl that ignored
    its -n limit took a run to ~1 GB. Now the rest is read and dropped (checked in a fresh process)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from diagnostics.host import LocalHost, MAX_OUTPUT\n"
        "gen = 'import sys\\nb = b\"x\" * 65535 + b\"\\\\n\"\\nfor _ in range(4000): sys.stdout.buffer.write(b)'\n"
        "r = LocalHost().run([sys.executable, '-c', gen], timeout=120)\n"
        "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')][0]\n"  # this process's own peak
        "peak = int(hwm.split()[1]) // 1024\n"
        "print(len(r.stdout) == MAX_OUTPUT, r.truncated, r.returncode, r.ok, peak)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    exact, truncated, rc, ok, peak_mib = res.stdout.split()
    assert (exact, truncated, rc, ok) == ("True", "True", "0", "True"), res.stderr
    assert int(peak_mib) < 150  # 256 MiB were printed; 16 MiB are kept
