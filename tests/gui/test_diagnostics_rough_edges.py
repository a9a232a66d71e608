"""The rough edges of the Diagnostics page (issue 13), seen as a user sees them: the collector badges never say
"ok" next to a critical finding of their section; old findings are marked while a new run collects, and a
cancelled run never leaves a mix that looks complete; the findings list gets the room of a big window; a
selected row keeps its severity icon. Screenshots at 1280x800 and 1920x1080 (docs/screenshots with
DESKSIDE_SCREENSHOTS=1)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage

from desktop import app as desktop_app
from desktop.tasks import TaskRunner
from diagnostics.cancel import CancelToken
from diagnostics.model import Finding, Report, Section, SectionStatus, Severity
from tests.conftest import screenshot_dir
from ui.diagnostics_page import DiagnosticsPage


def dns_report(generated_at: str = "2026-11-24T09:42:00+00:00") -> Report:
    """A machine whose DNS does not work: the connectivity collector finished (status ok) with a critical finding."""
    r = Report(host="testhost", generated_at=generated_at, platform="linux", duration_s=2.1)
    r.sections["system"] = Section("system", "System", data={"hostname": "testhost"})
    r.sections["network"] = Section("network", "Network", data={"interfaces": []})
    r.sections["connectivity"] = Section("connectivity", "Internet connection",
                                         data={"verdict": "limited", "checks": {"dns": {"ok": False}}})
    r.sections["storage"] = Section("storage", "Storage", data={"mounts": []})
    r.findings = [
        Finding("network.no_dns", Severity.CRITICAL, "Names cannot be resolved (DNS does not work)",
                ["DNS server 192.0.2.53 timed out"], "Restart your router.", "connectivity"),
        Finding("network.limited", Severity.WARNING, "The internet connection only partly works",
                ["names cannot be resolved"], "Follow the other fixes.", "connectivity"),
        Finding("storage.disk_full", Severity.WARNING, "The disk / is almost full", ["/ is 93 % used"],
                "Empty the trash.", "storage"),
        Finding("system.uptime", Severity.INFO, "Not restarted for 41 days", ["uptime 41 days"],
                "Restart when convenient.", "system"),
    ]
    return r


class GatedService:
    """A diagnostics service whose runs wait for the test: `release` lets a run return its report; a cancel makes
    it return a partial report (system done, the rest cancelled), as the real runner does."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.release = threading.Event()
        self.started = threading.Event()

    def __call__(self, names: Any, include: bool, token: CancelToken, progress: Any) -> Report:
        self.started.set()
        progress("system", "running", 0, 4)
        progress("system", "ok", 1, 4)
        progress("connectivity", "running", 1, 4)
        while not self.release.is_set():
            if token.wait(0.02):
                partial = Report(host="testhost", generated_at="2026-11-24T10:05:00+00:00", platform="linux",
                                 cancelled=True)
                partial.sections["system"] = Section("system", "System", data={"hostname": "testhost"})
                partial.sections["connectivity"] = Section("connectivity", "Internet connection",
                                                           status=SectionStatus.CANCELLED)
                partial.findings = [Finding("system.uptime", Severity.INFO, "Not restarted for 41 days", [],
                                            "Restart when convenient.", "system")]
                return partial
        self.release.clear()
        return self.report


def make_page(qtbot: Any, runner: TaskRunner, service: Any) -> DiagnosticsPage:
    page = DiagnosticsPage(service, runner, list_collectors=lambda _inc: [
        ("system", "System"), ("network", "Network"), ("connectivity", "Internet connection"),
        ("storage", "Storage")])
    qtbot.addWidget(page)
    page.resize(1000, 640)
    page.show()
    return page


def finish(qtbot: Any, page: DiagnosticsPage, service: GatedService) -> Any:
    with qtbot.waitSignal(page.run_finished, timeout=30_000) as blocker:
        service.release.set()
    return blocker.args[0]


def test_a_badge_never_says_ok_next_to_a_critical_finding_of_its_section(qtbot: Any,
                                                                        task_runner: TaskRunner) -> None:
    service = GatedService(dns_report())
    page = make_page(qtbot, task_runner, service)
    page.run()
    finish(qtbot, page, service)
    badge = page.collector_status.badge("connectivity")
    assert badge is not None
    assert badge.text.text() == "Internet connection: 1 critical problem, 1 warning"
    assert badge.worst == Severity.CRITICAL
    assert "Critical: Names cannot be resolved (DNS does not work)" in badge.toolTip()
    assert "collected: ok" in badge.toolTip()
    storage = page.collector_status.badge("storage")
    assert storage is not None and storage.text.text() == "Storage: 1 warning"
    # info findings are no problem: the section still reads ok
    system = page.collector_status.badge("system")
    assert system is not None and system.text.text() == "System: ok"
    network = page.collector_status.badge("network")
    assert network is not None and network.text.text() == "Network: ok"


def test_old_findings_are_marked_during_a_rerun_and_replaced_after_it(qtbot: Any, task_runner: TaskRunner,
                                                                     tmp_path: Path) -> None:
    service = GatedService(dns_report())
    page = make_page(qtbot, task_runner, service)
    page.run()
    finish(qtbot, page, service)
    assert not page.results_banner.isVisible() and page.results.tabs.graphicsEffect() is None
    page.run()  # a second run: the first run's findings are still on screen
    assert page.results_banner.isVisible()
    text = page.results_banner.text()
    assert text.startswith("Results from ") and "re-running…" in text
    assert page.results.stale and page.results.tabs.graphicsEffect() is not None  # greyed
    assert page.results.findings_model.rowCount() == 4  # still readable
    assert page.grab().save(str(screenshot_dir(tmp_path) / "diagnostics-rerunning.png"), "PNG")
    fresh = dns_report("2026-11-24T10:00:00+00:00")
    fresh.findings = fresh.findings[3:]
    service.report = fresh
    finish(qtbot, page, service)
    assert not page.results_banner.isVisible() and not page.results.stale
    assert page.results.findings_model.rowCount() == 1
    badge = page.collector_status.badge("connectivity")
    assert badge is not None and badge.text.text() == "Internet connection: ok"


def test_a_cancelled_rerun_says_its_results_are_partial_and_which_checks_did_not_run(
        qtbot: Any, task_runner: TaskRunner, tmp_path: Path) -> None:
    service = GatedService(dns_report())
    page = make_page(qtbot, task_runner, service)
    page.run()
    finish(qtbot, page, service)
    page.run()
    qtbot.waitUntil(lambda: page.collector_status.states().get("system") == "ok", timeout=10_000)
    with qtbot.waitSignal(page.run_finished, timeout=30_000) as blocker:
        qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    partial = blocker.args[0]
    assert page.grab().save(str(screenshot_dir(tmp_path) / "diagnostics-cancelled.png"), "PNG")
    assert isinstance(partial, Report) and partial.cancelled
    banner = page.results_banner.text()
    assert page.results_banner.isVisible() and banner.startswith("Partial results: the run was cancelled")
    for title in ("Internet connection", "Network", "Storage"):
        assert title in banner
    assert "System" not in banner.split("did not run")[0].split("so ")[1]
    assert not page.results.stale  # what is shown is this run's (partial) result, said to be partial
    assert page.results.tabs.tabText(0) == "Findings (1, partial)"
    # no mix: the findings and the badges are of the same (partial) run
    assert [f.id for f in page.results.findings_model.findings()] == ["system.uptime"]
    assert page.collector_status.states() == {"system": "ok", "network": "cancelled",
                                              "connectivity": "cancelled", "storage": "cancelled"}


def test_a_rerun_cancelled_before_any_result_keeps_the_earlier_results_with_matching_badges(
        qtbot: Any, task_runner: TaskRunner) -> None:
    class Refusing(GatedService):
        def __call__(self, names: Any, include: bool, token: CancelToken, progress: Any) -> Report:
            if self.started.is_set():  # the second run fails before it has a report
                progress("system", "running", 0, 4)
                token.wait(30)
                raise RuntimeError("the collectors could not be loaded")
            return super().__call__(names, include, token, progress)

    service = Refusing(dns_report())
    page = make_page(qtbot, task_runner, service)
    page.run()
    finish(qtbot, page, service)
    page.run()
    qtbot.waitUntil(lambda: page.collector_status.states().get("system") == "running", timeout=10_000)
    with qtbot.waitSignal(page.run_finished, timeout=30_000):
        page.cancel()
    assert page.results_banner.isVisible()
    assert "these are the earlier results" in page.results_banner.text()
    assert not page.results.stale
    assert page.results.findings_model.rowCount() == 4
    badge = page.collector_status.badge("connectivity")  # the badges are the shown report's again
    assert badge is not None and badge.text.text() == "Internet connection: 1 critical problem, 1 warning"
    assert set(page.collector_status.states()) == {"system", "network", "connectivity", "storage"}


def _window(qtbot: Any, runner: TaskRunner, service: Any, w: int, h: int) -> Any:
    ctx = desktop_app.AppContext(tasks=runner, run_diagnostics=service,
                                 list_collectors=lambda _inc: [("system", "System"), ("network", "Network"),
                                                               ("connectivity", "Internet connection"),
                                                               ("storage", "Storage")])
    window = desktop_app.build_window(ctx)
    qtbot.addWidget(window)
    window.resize(w, h)
    window.show()
    qtbot.waitExposed(window)
    return window


def many_findings_report() -> Report:
    r = dns_report()
    r.findings += [Finding(f"services.failed_{i}", Severity.WARNING, f"Service number {i} failed", [f"unit {i}"],
                           "Restart it.", "storage") for i in range(10)]
    return r


def test_the_findings_list_gets_the_room_of_a_big_window(qtbot: Any, task_runner: TaskRunner,
                                                         tmp_path: Path) -> None:
    """The report arrives while another page is shown (Get Help's "Run diagnostics now"), in a window of the
    default size that is then made 1280x800 or 1920x1080: the list shows its 14 findings, not a few rows over an
    empty details panel."""
    out = screenshot_dir(tmp_path)
    for w, h, name in ((1280, 800, "diagnostics-1280x800.png"), (1920, 1080, "diagnostics-1920x1080.png")):
        service = GatedService(many_findings_report())
        window = _window(qtbot, task_runner, service, 1100, 720)
        page = window.page("diagnostics")
        assert isinstance(page, DiagnosticsPage)
        window.show_page("help")
        page.run()
        finish(qtbot, page, service)
        window.resize(w, h)
        window.show_page("diagnostics")
        view = page.results.findings_view
        detail = page.results.detail
        badge = page.collector_status.badge("connectivity")
        assert badge is not None
        qtbot.waitUntil(lambda b=badge: b.isVisible(), timeout=5_000)
        # every finding is visible without scrolling, and the details keep room for their text
        qtbot.waitUntil(lambda v=view: v.verticalScrollBar().maximum() == 0, timeout=5_000)
        qtbot.waitUntil(lambda v=view, d=detail: not v.verticalScrollBar().isVisible()
                        and not d.verticalScrollBar().isVisible(), timeout=5_000)  # the layout has settled
        assert view.height() >= view.fitting_height(14) - 4, (view.height(), view.fitting_height(14))
        assert detail.height() >= 200, detail.height()
        # the findings area takes the room the window has
        assert page.results.height() >= h - 360, (w, h, page.results.height())
        png = out / name
        assert window.grab().save(str(png), "PNG")
        img = QImage(str(png))
        assert (img.width(), img.height()) == (w, h)
        window.close()


def _icon_pixels(view: Any, row: int) -> list[QColor]:
    rect = view.visualRect(view.model().index(row, 0))
    img = view.viewport().grab().toImage()
    return [img.pixelColor(QPoint(x, y)) for x in range(rect.left(), rect.left() + rect.height())
            for y in range(rect.top(), rect.bottom())]


def test_a_selected_rows_severity_icon_stays_visible(qtbot: Any, task_runner: TaskRunner, tmp_path: Path) -> None:
    service = GatedService(dns_report())
    page = make_page(qtbot, task_runner, service)
    page.run()
    finish(qtbot, page, service)
    view = page.results.findings_view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus, timeout=5_000)

    def strong_red(colours: list[QColor]) -> int:
        return sum(1 for c in colours if c.red() > 170 and c.green() < 90 and c.blue() < 90)

    view.select_row(1)
    unselected = strong_red(_icon_pixels(view, 0))
    view.select_row(0)  # the critical finding, selected (highlighted)
    qtbot.waitUntil(lambda: view.currentIndex().row() == 0, timeout=5_000)
    selected = strong_red(_icon_pixels(view, 0))
    view.viewport().grab().save(str(screenshot_dir(tmp_path) / "findings-selected-row.png"), "PNG")
    # Qt's selected mode used to tint the icon with the highlight: its red was gone
    assert unselected >= 20
    assert selected >= unselected * 0.5, (selected, unselected)
    # ... and whatever the platform theme does to a selected icon (Qt lets the style generate the "selected"
    # picture, which themes tint with the highlight), the picture drawn is ours: the icon on a light disc
    icon = view.model().index(0, 0).data(Qt.ItemDataRole.DecorationRole)
    assert icon.availableSizes(QIcon.Mode.Selected), "the selected variant is left to the style"
    disc = icon.pixmap(QSize(16, 16), QIcon.Mode.Selected).toImage()
    assert disc.pixelColor(QPoint(int(disc.width() * 0.12), disc.height() // 2)).lightness() > 200


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())
