"""The Diagnostics page, driven as a user would: click Run, watch, cancel, select a finding, save the report."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from desktop import app as desktop_app
from desktop.tasks import TaskRunner
from diagnostics.cancel import CancelToken
from diagnostics.model import Finding, Report, Section, SectionStatus, Severity, Skip
from ui.diagnostics_page import DiagnosticsPage

FAST_REAL_COLLECTORS = ["system", "cpu", "memory"]


def sample_report() -> Report:
    r = Report(host="testhost", generated_at="2026-11-24T12:00:00+00:00", platform="linux", duration_s=0.4)
    r.sections["system"] = Section("system", "System", data={"hostname": "testhost", "os": {"name": "Debian"}})
    r.sections["storage"] = Section("storage", "Storage", data={"mounts": [{"mountpoint": "/", "used_pct": 97}]})
    r.sections["logs"] = Section("logs", "Logs", status=SectionStatus.SKIPPED,
                                 skips=[Skip("journal", "journalctl is not installed")])
    r.findings = [
        Finding("system.uptime", Severity.INFO, "Not restarted for 41 days", ["uptime 41 days"],
                "Restart when convenient.", "system"),
        Finding("services.failed", Severity.WARNING, "Service <b>cups</b> failed", ["cups.service: failed"],
                "Run: systemctl restart cups", "services"),
        Finding("storage.disk_full", Severity.CRITICAL, "The disk / is almost full", ["/ is 97 % used"],
                "Empty the trash and remove large files you no longer need.", "storage"),
    ]
    return r


class FakeService:
    """A stand-in for the diagnostics service, for the page's own logic (the real runner is tested below)."""

    def __init__(self, report: Report | None = None, slow: bool = False, fail: str = "") -> None:
        self.report = report or sample_report()
        self.slow = slow
        self.fail = fail
        self.started = threading.Event()
        self.calls: list[tuple[Any, bool]] = []

    def __call__(self, names: list[str] | None, include: bool, token: CancelToken, progress: Any) -> Report:
        self.calls.append((names, include))
        self.started.set()
        if self.fail:
            raise RuntimeError(self.fail)
        progress("system", "running", 0, 2)
        progress("slow", "running", 0, 2)
        progress("system", "ok", 1, 2)
        if self.slow:
            while not token.wait(0.02):  # a collector that never finishes on its own
                pass
            partial = Report(host="testhost", generated_at="2026-11-24T12:00:00+00:00", platform="linux",
                             cancelled=True)
            partial.sections["system"] = Section("system", "System", data={"hostname": "testhost"})
            partial.sections["slow"] = Section("slow", "Slow", status=SectionStatus.CANCELLED)
            progress("slow", "cancelled", 2, 2)
            return partial
        progress("slow", "ok", 2, 2)
        return self.report


def make_page(qtbot: Any, runner: TaskRunner, service: Any, **kw: Any) -> DiagnosticsPage:
    page = DiagnosticsPage(service, runner, **kw)
    qtbot.addWidget(page)
    page.resize(1000, 640)
    page.show()
    return page


def run_and_wait(qtbot: Any, page: DiagnosticsPage) -> Any:
    with qtbot.waitSignal(page.run_finished, timeout=60_000) as blocker:
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def tree_children(item: Any) -> dict[str, str]:
    return {item.child(i).text(0): item.child(i).text(1) for i in range(item.childCount())}


def test_real_run_shows_the_system_section_with_this_hostname(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner, desktop_app.run_diagnostics,
                     list_collectors=desktop_app.list_collectors, collector_names=FAST_REAL_COLLECTORS)
    assert page.results.currentWidget() is page.results.empty_state
    assert not page.progress_bar.isVisible() and not page.save_json_button.isEnabled()
    report = run_and_wait(qtbot, page)
    assert page.results.currentWidget() is page.results.tabs and page.progress_bar.isVisible()
    assert isinstance(report, Report) and not report.cancelled
    assert set(report.sections) == set(FAST_REAL_COLLECTORS)

    system = page.results.sections_view.section_item("system")
    assert system is not None
    assert system.text(0) == "System"
    assert tree_children(system)["hostname"] == socket.gethostname()
    assert page.results.sections_view.topLevelItemCount() == 3
    # every collector ended in a final state, shown in its badge, and the progress bar is full
    states = page.collector_status.states()
    assert set(states) == set(FAST_REAL_COLLECTORS)
    assert all(s in ("ok", "partial", "skipped") for s in states.values()), states
    assert page.progress_bar.value() == page.progress_bar.maximum() == 3
    assert page.results.tabs.tabText(1) == "Sections (3)"
    assert page.results.tabs.tabText(0) == f"Findings ({len(report.findings)})"
    assert page.results.findings_model.rowCount() == len(report.findings)
    assert page.status_label.text().startswith("Done in ")
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()
    assert page.save_json_button.isEnabled()


def test_real_run_of_every_default_collector(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner, desktop_app.run_diagnostics, list_collectors=desktop_app.list_collectors)
    listed = desktop_app.list_collectors(False)
    assert "connectivity" not in {n for n, _t in listed}  # never sends traffic unless asked
    report = run_and_wait(qtbot, page)
    assert isinstance(report, Report)
    assert list(report.sections) == [n for n, _t in listed]
    states = page.collector_status.states()
    assert list(states) == [n for n, _t in listed]  # badges in run order, all finished
    assert all(s in ("ok", "partial", "skipped", "timeout", "error") for s in states.values()), states
    for name, section in report.sections.items():
        badge = page.collector_status.badge(name)
        state = {"ok": "ok", "partial": "partly collected", "skipped": "skipped", "timeout": "timed out",
                 "error": "error"}[section.status.value]
        problems = [f for f in report.findings if f.section == name and f.severity >= Severity.WARNING]
        assert badge is not None
        if problems and section.status.value in ("ok", "partial"):  # never "ok" next to a problem it found
            assert badge.text.text().startswith(f"{section.title}: ")
            assert "ok" not in badge.text.text().split(": ", 1)[1].split(", ")
            assert ("critical problem" in badge.text.text()) or ("warning" in badge.text.text())
        else:
            assert badge.text.text() == f"{section.title}: {state}"
    assert page.results.sections_view.topLevelItemCount() == len(report.sections)
    assert page.results.findings_model.rowCount() == len(report.findings)
    model = page.results.findings_model
    severities = [model.finding(r).severity for r in range(model.rowCount())]
    assert severities == sorted(severities, reverse=True)


def test_a_clean_report_says_no_problems_were_found(qtbot: Any, task_runner: TaskRunner) -> None:
    clean = sample_report()
    clean.findings = []
    page = make_page(qtbot, task_runner, FakeService(report=clean))
    run_and_wait(qtbot, page)
    assert page.results.tabs.tabText(0) == "Findings (0)"
    assert page.results.detail.title_label.text() == "No problems found. Every check that could run passed."
    assert page.status_label.text() == "Done in 0.4 s on testhost: no problems found"


def test_findings_are_sorted_worst_first_and_show_their_fix(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner, FakeService())
    run_and_wait(qtbot, page)
    model = page.results.findings_model
    assert [model.index(r, 0).data() for r in range(3)] == ["Critical", "Warning", "Info"]
    assert model.index(0, 1).data() == "The disk / is almost full"
    assert model.index(0, 2).data() == "Storage"  # the section's title, not its key
    # the worst finding is selected at once
    assert page.results.detail.title_label.text() == "The disk / is almost full"
    page.results.findings_view.select_row(2)
    assert page.results.detail.title_label.text() == "Not restarted for 41 days"
    assert page.results.detail.fix_label.text() == "Restart when convenient."
    assert page.results.detail.evidence_label.text() == "• uptime 41 days"
    assert page.results.detail.fix_label.isVisible()


def test_markup_in_a_finding_title_is_shown_literally(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner, FakeService())
    run_and_wait(qtbot, page)
    page.results.findings_view.select_row(1)
    label = page.results.detail.title_label
    assert label.text() == "Service <b>cups</b> failed"
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert page.results.detail.fix_label.textFormat() == Qt.TextFormat.PlainText
    assert page.results.detail.evidence_label.textFormat() == Qt.TextFormat.PlainText
    assert page.results.findings_model.index(1, 1).data() == "Service <b>cups</b> failed"


def test_skips_are_browsable_with_their_reasons(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner, FakeService())
    run_and_wait(qtbot, page)
    logs = page.results.sections_view.section_item("logs")
    assert logs is not None
    skipped = tree_children(logs)
    assert skipped["Skipped"] == "1 item"
    skipped_item = next(logs.child(i) for i in range(logs.childCount()) if logs.child(i).text(0) == "Skipped")
    assert tree_children(skipped_item) == {"journal": "journalctl is not installed"}
    badge = page.collector_status.badge("logs")  # the collector's badge gives the reason too
    assert badge is not None and badge.state == "skipped"
    assert "journal: journalctl is not installed" in badge.toolTip()
    storage = page.results.sections_view.section_item("storage")
    assert storage is not None
    mounts = storage.child(0)
    assert mounts.text(0) == "mounts" and mounts.child(0).text(0) == "/"  # list items named by their mountpoint
    assert tree_children(mounts.child(0))["used_pct"] == "97"


def test_cancel_stops_a_slow_run_while_the_event_loop_keeps_running(qtbot: Any, task_runner: TaskRunner) -> None:
    service = FakeService(slow=True)
    listed = [("system", "System"), ("slow", "Slow collector"), ("later", "Later collector")]
    page = make_page(qtbot, task_runner, service, list_collectors=lambda include: listed)
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()

    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    assert page.is_running
    assert not page.run_button.isEnabled() and page.cancel_button.isEnabled()
    assert not page.connectivity_box.isEnabled()
    # progress arrives while the run is still going, and the GUI keeps processing events
    qtbot.waitUntil(lambda: page.collector_status.states().get("system") == "ok", timeout=10_000)
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=10_000)
    assert page.collector_status.states() == {"system": "ok", "slow": "running", "later": "pending"}
    assert page.is_running
    assert page.status_label.text() == "Collecting… 1 of 2 done — waiting for Slow collector"
    assert page.progress_bar.value() == 1

    with qtbot.waitSignal(page.run_finished, timeout=10_000):
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    timer.stop()
    assert page.status_label.text().startswith("Cancelled")
    assert not page.is_running
    assert page.run_button.isEnabled() and not page.cancel_button.isEnabled()
    assert page.connectivity_box.isEnabled()
    assert page.collector_status.states() == {"system": "ok", "slow": "cancelled", "later": "cancelled"}
    later = page.collector_status.badge("later")
    assert later is not None and "cancelled before this collector finished" in later.toolTip()
    # the partial result is kept and browsable
    assert page.results.sections_view.section_item("system") is not None


def test_keyboard_f5_runs_and_escape_cancels(qtbot: Any, task_runner: TaskRunner) -> None:
    service = FakeService(slow=True)
    page = make_page(qtbot, task_runner, service)
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page, timeout=10_000)  # shortcuts need focus
    qtbot.keyClick(page, Qt.Key.Key_F5)
    assert service.started.wait(10)
    assert page.is_running
    with qtbot.waitSignal(page.run_finished, timeout=10_000):
        qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert page.status_label.text().startswith("Cancelled")


def test_connection_test_option_is_passed_to_the_service(qtbot: Any, task_runner: TaskRunner) -> None:
    service = FakeService()
    page = make_page(qtbot, task_runner, service)
    page.connectivity_box.setChecked(True)
    run_and_wait(qtbot, page)
    page.connectivity_box.setChecked(False)
    run_and_wait(qtbot, page)
    assert service.calls == [(None, True), (None, False)]


def test_a_failing_service_is_reported_and_the_page_returns_to_idle(qtbot: Any, task_runner: TaskRunner) -> None:
    page = make_page(qtbot, task_runner, FakeService(fail="the config file is not valid TOML"))
    assert run_and_wait(qtbot, page) is None
    assert page.status_label.text() == "Diagnostics failed: RuntimeError: the config file is not valid TOML"
    assert "not valid TOML" in page.results.detail.title_label.text()
    assert page.run_button.isEnabled() and not page.save_json_button.isEnabled()


def test_save_as_json_writes_the_report_with_its_findings(qtbot: Any, task_runner: TaskRunner, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    page = make_page(qtbot, task_runner, FakeService())
    assert not page.save_json_button.isEnabled()  # nothing to save before the first run
    run_and_wait(qtbot, page)
    target = tmp_path / "report"  # no suffix: the page adds .json
    asked: list[str] = []

    def fake_dialog(parent: Any, title: str, start: str, filt: str) -> tuple[str, str]:
        asked.append(title)
        return str(target), filt

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    qtbot.mouseClick(page.save_json_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Saved"), timeout=10_000)
    saved = tmp_path / "report.json"
    assert page.status_label.text() == f"Saved the report to {saved}"
    assert asked == ["Save report as JSON"]
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert [f["id"] for f in data["findings"]] == ["storage.disk_full", "services.failed", "system.uptime"]
    assert data["findings"][1]["title"] == "Service <b>cups</b> failed"
    assert data["sections"]["logs"]["skips"] == [{"item": "journal", "reason": "journalctl is not installed"}]
    assert not list(tmp_path.glob(".*.part"))


def test_save_as_html_escapes_markup(qtbot: Any, task_runner: TaskRunner, tmp_path: Path) -> None:
    page = make_page(qtbot, task_runner, FakeService())
    run_and_wait(qtbot, page)
    out = tmp_path / "report.html"
    page.save("html", out)
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Saved"), timeout=10_000)
    text = out.read_text(encoding="utf-8")
    assert "Service &lt;b&gt;cups&lt;/b&gt; failed" in text
    assert "<b>cups</b>" not in text


def test_save_into_a_missing_folder_says_what_went_wrong(qtbot: Any, task_runner: TaskRunner,
                                                          tmp_path: Path) -> None:
    page = make_page(qtbot, task_runner, FakeService())
    run_and_wait(qtbot, page)
    target = tmp_path / "no-such-folder" / "r.json"
    page.save("json", target)
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Could not save"), timeout=10_000)
    assert str(target) in page.status_label.text()
    assert "No such file or directory" in page.status_label.text()
    assert "OSError" not in page.status_label.text()
    box = page.save_error_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "Choose another folder" in box.text()
    box.close()


def _shown(tip: str) -> str:
    """What a tooltip displays: Qt renders it as HTML when it merely looks like HTML (Qt::mightBeRichText)."""
    from PySide6 import QtGui

    if QtGui.Qt.mightBeRichText(tip):
        doc = QtGui.QTextDocument()
        doc.setHtml(tip)
        return doc.toPlainText()
    return tip


def test_markup_from_the_machine_is_shown_literally_in_tooltips(qtbot: Any, task_runner: TaskRunner) -> None:
    """A log line, a skip reason or an error with a tag in it used to be rendered as HTML in its tooltip."""
    line = "kernel: <b>bold</b> <img src='file:///etc/hostname'> from a log line " + "x" * 40
    r = sample_report()
    r.sections["logs"] = Section("logs", "Logs", status=SectionStatus.PARTIAL, data={"sample": line},
                                 skips=[Skip("<i>file</i>", "cannot read <b>/var/log/x</b>")])
    r.sections["crashes"] = Section("crashes", "Crashes", status=SectionStatus.ERROR, error="ValueError: <u>bad</u>")
    page = make_page(qtbot, task_runner, FakeService(r))
    run_and_wait(qtbot, page)
    tip = page.results.findings_model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert _shown(tip) == "Service <b>cups</b> failed"
    logs = page.results.sections_view.section_item("logs")
    crashes = page.results.sections_view.section_item("crashes")
    assert logs is not None and crashes is not None
    sample = next(logs.child(i) for i in range(logs.childCount()) if logs.child(i).text(0) == "sample")
    assert _shown(sample.toolTip(1)) == line
    skipped = next(logs.child(i) for i in range(logs.childCount()) if logs.child(i).text(0) == "Skipped")
    assert _shown(skipped.child(0).toolTip(1)) == "cannot read <b>/var/log/x</b>"
    error = next(crashes.child(i) for i in range(crashes.childCount()) if crashes.child(i).text(0) == "Error")
    assert _shown(error.toolTip(1)) == "ValueError: <u>bad</u>"
    badge = page.collector_status.badge("logs")
    assert badge is not None and "<i>file</i>: cannot read <b>/var/log/x</b>" in _shown(badge.toolTip())
    # ordinary text is left as it is
    assert page.results.findings_model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == "The disk / is almost full"


def test_save_never_writes_through_a_planted_temporary_file(qtbot: Any, task_runner: TaskRunner,
                                                            tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / ".r.json.part").symlink_to(victim)  # the temporary name the page used to write through
    page = make_page(qtbot, task_runner, FakeService())
    run_and_wait(qtbot, page)
    page.save("json", tmp_path / "r.json")
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Saved the report"), timeout=10_000)
    assert victim.read_text() == "precious"
    assert json.loads((tmp_path / "r.json").read_text())["host"] == "testhost"


def test_the_status_line_names_checks_that_did_not_finish(qtbot: Any, task_runner: TaskRunner) -> None:
    r = Report(host="testhost", generated_at="2026-11-24T12:00:00+00:00", platform="linux", duration_s=8.0)
    r.sections["updates"] = Section("updates", "Updates", status=SectionStatus.TIMEOUT)
    r.sections["cpu"] = Section("cpu", "Processor", data={"model": "x"})
    page = make_page(qtbot, task_runner, FakeService(r))
    run_and_wait(qtbot, page)
    assert page.status_label.text() == "Done in 8.0 s on testhost: no problems found; Updates did not finish"


def test_the_page_names_the_host_its_report_is_about(qtbot: Any, task_runner: TaskRunner) -> None:
    """A run on a remote host (Remote page -> run_with) shows that host in the header and intro; a failed remote
    run leaves the shown (local) report's subject alone; Run checks this computer again and says so."""
    page = make_page(qtbot, task_runner, FakeService())
    assert page.heading.text() == "Diagnostics" and page.intro.text().startswith("Checks this computer")
    with qtbot.waitSignal(page.run_finished, timeout=60_000):
        page.run_with(FakeService(), "alice@build-7:2222")
    assert page.report_subject == "alice@build-7:2222"
    assert page.heading.text() == "Diagnostics of alice@build-7:2222"
    assert page.intro.text().startswith("This report is about alice@build-7:2222, checked over SSH")
    run_and_wait(qtbot, page)  # Run: this computer again
    assert page.report_subject == "this computer" and page.heading.text() == "Diagnostics"
    assert page.intro.text().startswith("Checks this computer")
    with qtbot.waitSignal(page.run_finished, timeout=60_000):
        page.run_with(FakeService(fail="Connection refused"), "bob@gone")
    assert page.heading.text() == "Diagnostics" and "bob@gone" not in page.intro.text()  # the local report stays


@pytest.mark.parametrize(("config", "sends"), [
    ("", False),
    ("[diagnostics.updates]\nallow_network = false\n", False),
    ('[diagnostics.updates]\nallow_network = "true"\n', False),  # not a boolean: the collector stays offline too
    ("[diagnostics.updates]\nallow_network = true\n", True),
])
def test_the_privacy_note_is_true_with_and_without_the_online_update_check(qtbot: Any, task_runner: TaskRunner,
                                                                           config: str, sends: bool) -> None:
    (Path(os.environ["DESKSIDE_CONFIG_DIR"]) / "config.toml").write_text(config, encoding="utf-8")
    ctx = desktop_app.AppContext(tasks=task_runner, run_diagnostics=FakeService(),
                                 updates_network=desktop_app.updates_network_allowed())
    w = desktop_app.build_window(ctx)
    qtbot.addWidget(w)
    page = w.page("diagnostics")
    assert isinstance(page, DiagnosticsPage)
    intro = page.intro.text()
    if sends:
        assert "The update check asks the Flatpak, Snap or Software Update servers" in intro
        assert "allow_network is on" in intro and "apart from that, nothing leaves" in intro
    else:
        assert intro.endswith(" Nothing leaves your computer unless you tick “Test my connection”.")
        assert "update check" not in intro
