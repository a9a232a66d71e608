"""The Compliance page against real OpenSSH servers on 127.0.0.1 (tests/integration/sshd.py), through the app's own
services (desktop/compliance_hub.py over desktop.wiring: the user's known_hosts, the address book, the history):
a scan fills the table with each host's status and reasons, Cancel keeps what finished, filter and sort, the
host's details, export, hostile host names, and "Open terminal" opening a session on the Remote page."""

# ruff: noqa: F811 (the sshd fixtures are imported from tests/integration/sshd.py and used as arguments)
from __future__ import annotations

import contextlib
import csv
import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from desktop.compliance_hub import ComplianceHub
from tests.integration.sshd import Sshd, SshEnv, free_port, ssh_env, sshd_servers  # noqa: F401
from tests.integration.test_fleet_scan import apt_upgradable
from ui.compliance_model import STATUS_FILTERS, HostResultsModel
from ui.compliance_page import CompliancePage

pytestmark = [pytest.mark.gui, pytest.mark.integration]


@pytest.fixture(scope="module")
def servers(ssh_env: SshEnv) -> Iterator[list[Sshd]]:
    with sshd_servers(ssh_env, "compliance", 2) as started:
        yield started


def line(name: str, ssh_env: SshEnv, port: int) -> str:
    return (f"{name} ansible_host=127.0.0.1 ansible_port={port} ansible_user={ssh_env.user} "
            f"ansible_ssh_private_key_file={ssh_env.client_key}")


def make_page(qtbot: Any, runner: Any, tmp_path: Path, **hub: Any) -> CompliancePage:
    page = CompliancePage(ComplianceHub(use_ansible=False, home=tmp_path, **hub), runner)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    qtbot.waitExposed(page)
    return page


def load(qtbot: Any, page: CompliancePage, path: Path) -> None:
    page.set_inventory(path)
    qtbot.waitUntil(lambda: page.inventory_path == path and not page._loading, timeout=30_000)


def set_policy(qtbot: Any, page: CompliancePage, path: Path) -> None:
    page.set_policy(path)
    qtbot.waitUntil(lambda: page.policy.source == str(path), timeout=30_000)


def scan(qtbot: Any, page: CompliancePage, timeout: int = 180_000) -> Any:
    with qtbot.waitSignal(page.scan_finished, timeout=timeout) as sig:
        page.scan_action.trigger()
    return sig.args[0]


def rows(page: CompliancePage) -> dict[str, Any]:
    return {r.name: r for r in page.model.rows()}


def shown(page: CompliancePage, col: int) -> list[str]:
    """The texts of column `col` as the table shows them (after sorting and filtering)."""
    return [page.proxy.index(i, col).data() for i in range(page.proxy.rowCount())]


def test_scan_real_hosts_table_details_filter_sort_export(qtbot: Any, task_runner: Any, tmp_path: Path,
                                                        user_home: Path, ssh_env: SshEnv,
                                                        servers: list[Sshd]) -> None:
    closed = free_port()
    inv = tmp_path / "hosts.ini"
    inv.write_text("[web]\n" + line("web1", ssh_env, servers[0].port) + "\n" + line("web2", ssh_env, servers[1].port)
                   + "\n[odd]\n" + line("gone", ssh_env, closed) + "\n")
    policy = tmp_path / "policy.toml"
    policy.write_text("[policy]\nmax_security_age_days = 0\nrequired_packages = [\"deskside-no-such-package\"]\n")
    page = make_page(qtbot, task_runner, tmp_path, history_path=tmp_path / "history.sqlite")
    load(qtbot, page, inv)
    groups = [page.group_combo.itemText(i) for i in range(page.group_combo.count())]
    assert groups == ["All hosts (3)", "odd (1)", "web (2)"]
    assert sorted(shown(page, HostResultsModel.STATUS_COL)) == ["Not scanned"] * 3
    set_policy(qtbot, page, policy)
    assert page.policy_label.text() == "Policy: policy.toml"

    page.trust_box.setChecked(True)  # their keys are new: the user trusts them (as --accept-new)
    states: dict[str, list[str]] = {}
    page.model.dataChanged.connect(lambda a, _b: states.setdefault(
        page.model.row(a.row()).name, []).append(page.model.row(a.row()).status))  # type: ignore[union-attr]
    result = scan(qtbot, page)
    assert not result.cancelled
    assert page.scan_action.isEnabled() and not page.cancel_action.isEnabled()
    # Per-host progress was shown on the way (progress is coalesced per host, so which step is seen may vary).
    assert states["web1"][-1] in ("non-compliant", "warning") and {"connecting", "collecting"} & set(states["web1"])

    names, security = apt_upgradable()
    by = rows(page)
    for name in ("web1", "web2"):
        r = by[name].result
        assert r is not None and r.error is None, r
        rules = [x.rule for x in r.reasons]
        assert "required-package" in rules
        assert ("security-updates" in rules) == bool(security)
        assert r.status == "non-compliant"
        assert {p["name"] for p in r.updates["pending"]} == names  # what `apt list --upgradable` says
    gone = by["gone"].result
    assert gone is not None and gone.status == "unknown" and "refused" in (gone.error or "").lower()

    # The table: colour AND text for the status, the first reason, the counts.
    status_of = dict(zip(shown(page, 0), shown(page, HostResultsModel.STATUS_COL), strict=True))
    expected = "Non-compliant" if security else "Non-compliant (warnings)"
    assert status_of == {"web1": expected, "web2": expected, "gone": "Unknown"}
    gone_index = page.proxy.mapFromSource(page.model.index(page.model.row_of("gone"), HostResultsModel.STATUS_COL))
    assert isinstance(gone_index.data(Qt.ItemDataRole.ForegroundRole), QColor)
    assert not gone_index.data(Qt.ItemDataRole.DecorationRole).isNull()
    reason_of = dict(zip(shown(page, 0), shown(page, HostResultsModel.REASON), strict=True))
    assert "refused" in reason_of["gone"].lower()
    assert reason_of["web1"].startswith("critical: " if security else "warning: ")
    security_of = dict(zip(shown(page, 0), shown(page, HostResultsModel.SECURITY), strict=True))
    assert security_of["web1"] == str(len(security)) and security_of["gone"] == ""
    assert "3 hosts" in page.chart.summary() and "1 unknown" in page.chart.summary()
    qtbot.waitUntil(lambda: len(page.chart.trend) == 1, timeout=10_000)  # this scan, from the history

    # Sort: worst first by default; by host name on a header click.
    assert shown(page, HostResultsModel.STATUS_COL)[-1] == "Unknown" if not security else \
        shown(page, HostResultsModel.STATUS_COL)[0] == "Non-compliant"
    page.table.sortByColumn(HostResultsModel.HOST, Qt.SortOrder.DescendingOrder)
    assert shown(page, 0) == ["web2", "web1", "gone"]
    page.table.sortByColumn(HostResultsModel.SCORE, Qt.SortOrder.AscendingOrder)
    assert shown(page, 0)[0] == "gone"  # no score sorts before any score
    # Filter: by text (a reason's words), by status.
    page.filter_edit.setText("REFUSED")
    assert shown(page, 0) == ["gone"]
    page.filter_edit.clear()
    page.status_filter.setCurrentIndex([label for label, _s in STATUS_FILTERS].index("Non-compliant"))
    assert sorted(shown(page, 0)) == ["web1", "web2"]
    page.filter_edit.setText("web2")
    assert shown(page, 0) == ["web2"]
    page.filter_edit.clear()
    page.status_filter.setCurrentIndex(0)
    assert page.proxy.rowCount() == 3

    # The host's details: its reasons as findings, its pending updates in the Updates section.
    assert page.select_host("web1")
    d = page.detail
    assert d.title.text() == "web1"
    titles = [f.title for f in d.findings_model.findings()]
    assert "Required package missing" in titles
    assert ("Security updates pending too long" in titles) == bool(security)
    assert "deskside-no-such-package" in d.finding_detail.evidence_label.text() or security
    section = d.sections.section_item("updates")
    assert section is not None
    pending = next(section.child(i) for i in range(section.childCount()) if section.child(i).text(0) == "pending")
    assert pending.childCount() == len(names)
    assert {pending.child(i).text(0) for i in range(pending.childCount())} == names
    assert page.select_host("gone")
    assert [f.title for f in d.findings_model.findings()] == ["The host could not be scanned"]
    assert "refused" in d.finding_detail.evidence_label.text().lower()

    # Export: every host of the scan, whatever the filter.
    page.filter_edit.setText("web1")
    out = tmp_path / "out" / "scan.csv"
    with qtbot.waitSignal(page.export("csv", out).succeeded, timeout=30_000):
        pass
    table = {row["host"]: row for row in csv.DictReader(io.StringIO(out.read_text()))}
    assert set(table) == {"web1", "web2", "gone"}
    assert table["gone"]["status"] == "unknown" and table["web1"]["status"] == "non-compliant"
    assert "Exported 3 hosts" in page.status_label.text()
    js = tmp_path / "scan.json"
    with qtbot.waitSignal(page.export("json", js).succeeded, timeout=30_000):
        pass
    assert {h["name"] for h in json.loads(js.read_text())["hosts"]} == {"web1", "web2", "gone"}
    html = tmp_path / "scan.html"
    with qtbot.waitSignal(page.export("html", html).succeeded, timeout=30_000):
        pass
    assert "Content-Security-Policy" in html.read_text()
    bad = tmp_path / "not-a-dir"
    bad.write_text("a file")
    with qtbot.waitSignal(page.export("csv", bad / "x.csv").failed, timeout=30_000):
        pass
    assert page.status_label.failed and "cannot write" in page.status_label.text()


class Mute:
    """A TCP server that accepts and never says a word: an SSH login to it waits until it is cancelled."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._take, daemon=True).start()

    def _take(self) -> None:
        try:
            while True:
                c, _ = self.sock.accept()
                self.conns.append(c)
                self.accepted.set()
        except OSError:
            pass

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() (close alone leaves the thread waiting)
        self.sock.close()
        for c in self.conns:
            c.close()


def test_cancel_keeps_finished_hosts_and_marks_the_rest(qtbot: Any, task_runner: Any, tmp_path: Path,
                                                       user_home: Path, ssh_env: SshEnv,
                                                       servers: list[Sshd]) -> None:
    mute = Mute()
    try:
        inv = tmp_path / "hosts.ini"
        inv.write_text("\n".join([line("first", ssh_env, servers[0].port), line("mute", ssh_env, mute.port),
                                  line("later1", ssh_env, free_port()), line("later2", ssh_env, free_port())]) + "\n")
        page = make_page(qtbot, task_runner, tmp_path, history_path=tmp_path / "history.sqlite", concurrency=1)
        load(qtbot, page, inv)
        page.trust_box.setChecked(True)
        with qtbot.waitSignal(page.scan_finished, timeout=120_000) as sig:
            page.scan_action.trigger()
            assert page.cancel_action.isEnabled() and not page.scan_action.isEnabled()
            assert not page.source_combo.isEnabled()  # no other inventory while scanning
            qtbot.waitUntil(lambda: rows(page)["first"].result is not None and rows(page)["mute"].state ==
                            "connecting", timeout=90_000)
            assert mute.accepted.wait(30)
            page.cancel_action.trigger()  # Esc
            assert "Cancelling" in page.status_label.text()
        result = sig.args[0]
        assert result.cancelled
        by = rows(page)
        assert by["first"].result.error is None and by["first"].result.updates  # kept, with its data
        assert by["first"].status in ("compliant", "non-compliant", "warning")
        assert by["mute"].result.error == "not finished: the scan was cancelled"
        for name in ("later1", "later2"):
            assert by[name].result.status == "unknown"
            assert by[name].result.error == "not scanned: the scan was cancelled"
        assert "Cancelled: 1 hosts finished" in page.status_label.text()
        assert page.scan_action.isEnabled() and page.export_action.isEnabled()
    finally:
        mute.close()


def test_hostile_host_names_are_plain_text_and_bad_inventories_are_reported(
        qtbot: Any, task_runner: Any, tmp_path: Path, user_home: Path, ssh_env: SshEnv) -> None:
    hostile = "<b>x</b>"
    inv = tmp_path / "hosts.csv"
    inv.write_text(f"name,hostname,port,user,groups\n\"{hostile}\",127.0.0.1,{free_port()},{ssh_env.user},"
                   "<i>grp</i>\nplain,127.0.0.1,1,nobody,ok\n")
    page = make_page(qtbot, task_runner, tmp_path, use_history=False)
    load(qtbot, page, inv)
    assert [page.group_combo.itemText(i) for i in range(page.group_combo.count())] == \
        ["All hosts (2)", "<i>grp</i> (1)", "ok (1)"]
    result = scan(qtbot, page, timeout=60_000)
    assert {r.name for r in result.results} == {hostile, "plain"}
    assert hostile in shown(page, 0)
    assert page.select_host(hostile)
    d = page.detail
    assert d.title.text() == hostile and d.title.textFormat() == Qt.TextFormat.PlainText
    assert hostile in d.summary.text() or "127.0.0.1" in d.summary.text()
    host_index = page.proxy.mapFromSource(page.model.index(page.model.row_of(hostile), 0))
    tip = host_index.data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;b&gt;" in tip and "<b>" not in tip  # escaped: Qt would render a tooltip that looks like HTML
    assert "No earlier scans" in page.chart.summary()

    bad = tmp_path / "bad.ini"
    bad.write_text("[web\nhost1\n")
    page.set_inventory(bad)
    qtbot.waitUntil(lambda: page.status_label.failed, timeout=30_000)
    assert "bad.ini:1" in page.status_label.text() and "Could not read the inventory" in page.status_label.text()
    assert page.inventory_path == inv and len(page.hosts) == 2  # nothing lost: the hosts shown stay
    assert page.source_combo.currentData() == str(inv)


def test_open_terminal_opens_a_session_on_the_remote_page(qtbot: Any, task_runner: Any, tmp_path: Path,
                                                         user_home: Path, ssh_env: SshEnv,
                                                         servers: list[Sshd]) -> None:
    from desktop import app as desktop_app

    inv = tmp_path / "hosts.ini"
    inv.write_text("[web]\n" + line("web1", ssh_env, servers[0].port) + "\n")
    ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])
    window = desktop_app.build_window(ctx)
    qtbot.addWidget(window)
    window.show()
    window.show_page("compliance")
    page = window.page("compliance")
    assert isinstance(page, CompliancePage)
    load(qtbot, page, inv)
    assert not page.terminal_action.isEnabled()  # no host selected yet
    assert page.select_host("web1")
    assert page.terminal_action.isEnabled()
    remote = window.page("remote")
    started: list[Any] = []
    remote.session_started.connect(started.append)
    page.terminal_action.trigger()
    qtbot.waitUntil(lambda: bool(started), timeout=30_000)
    assert window.current_page_key() == "remote"
    profile = started[0].session.profile
    assert (profile.name, profile.hostname, profile.port, profile.user) == \
        ("web1", "127.0.0.1", servers[0].port, ssh_env.user)
    assert str(ssh_env.client_key) in profile.identity_files
    remote.shutdown(wait=5.0)


def test_keyboard_scan_cancel_filter_and_the_page_only_while_shown(qtbot: Any, task_runner: Any, tmp_path: Path,
                                                                  user_home: Path, ssh_env: SshEnv) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop import app as desktop_app

    mute = Mute()
    try:
        inv = tmp_path / "hosts.ini"
        inv.write_text(line("mute", ssh_env, mute.port) + "\n" + line("gone", ssh_env, free_port()) + "\n")
        ctx = desktop_app.AppContext(tasks=task_runner, collector_names=["system"])
        window = desktop_app.build_window(ctx)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=10_000)  # shortcuts need focus
        page = window.page("compliance")
        assert isinstance(page, CompliancePage)
        qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # Go > Compliance
        assert window.current_page_key() == "compliance"
        load(qtbot, page, inv)
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        assert page.filter_edit.hasFocus()
        page.table.setFocus()
        qtbot.keyClick(window, Qt.Key.Key_F5)
        assert page.is_scanning
        assert mute.accepted.wait(30)
        with qtbot.waitSignal(page.scan_finished, timeout=60_000) as sig:
            qtbot.keyClick(window, Qt.Key.Key_Escape)
        assert sig.args[0].cancelled
        assert rows(page)["mute"].result.error == "not finished: the scan was cancelled"
        # Keyboard in the table: the first row gets the focus and the details follow it.
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_Home)
        assert page.detail.title.text() == shown(page, 0)[0]
        qtbot.keyClick(page.table, Qt.Key.Key_Down)
        assert page.detail.title.text() == shown(page, 0)[1]
        # F5 on another page does not scan.
        qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
        qtbot.keyClick(window, Qt.Key.Key_F5)
        assert not page.is_scanning
    finally:
        mute.close()


def test_tickets_reach_a_real_request_tracker_once(qtbot: Any, task_runner: Any, tmp_path: Path, user_home: Path,
                                                  ssh_env: SshEnv, servers: list[Sshd],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    from desktop import paths
    from desktop.fleet_tickets import ticket_uid
    from tests.integration.rt_server import rt_or_skip

    rt = rt_or_skip()
    monkeypatch.setenv("DESKSIDE_SECRET_HELPDESK_TOKEN", rt.token)
    paths.ensure(paths.config_dir())
    paths.config_file().write_text(f'[tickets]\nbackend = "helpdesk"\n[backends.helpdesk]\ntype = "rt"\n'
                                   f'url = "{rt.url}"\nqueue = "General"\n', encoding="utf-8")
    name = f"web-{secrets.token_hex(3)}"  # RT keeps the tickets of earlier runs
    inv = tmp_path / "hosts.ini"
    inv.write_text(line(name, ssh_env, servers[0].port) + "\n" + line("gone", ssh_env, free_port()) + "\n")
    policy = tmp_path / "policy.toml"
    # only the missing package: this machine's pending security updates may be old by its archives' Release dates
    policy.write_text("[policy]\nmax_security_updates = 100000\nrequired_packages = [\"deskside-no-such-package\"]\n")
    page = make_page(qtbot, task_runner, tmp_path, use_history=False)
    assert not page.tickets_action.isEnabled()  # nothing scanned yet
    load(qtbot, page, inv)
    set_policy(qtbot, page, policy)
    page.trust_box.setChecked(True)
    scan(qtbot, page)
    assert page.tickets_action.isEnabled()
    page.tickets_action.trigger()  # asks first
    box = page.message_box
    assert box is not None and "1 non-compliant host and rule" in box.text()
    with qtbot.waitSignal(page.status_message, timeout=60_000,
                          check_params_cb=lambda text: "compliance tickets" in text):
        box.accept()
    assert "1 compliance tickets: 1 sent" in page.status_label.text()
    details = page.message_box.detailedText() if page.message_box else ""
    assert name in details and "required-package:deskside-no-such-package" in details
    found = rt.search_marker(ticket_uid(name, "required-package:deskside-no-such-package"))
    assert len(found) == 1
    # Again: nothing new is filed.
    with qtbot.waitSignal(page.file_tickets().succeeded, timeout=60_000):  # type: ignore[union-attr]
        pass
    assert "1 already open" in page.status_label.text()
    assert len(rt.search_marker(ticket_uid(name, "required-package:deskside-no-such-package"))) == 1


def test_the_organisations_policy_is_the_default(qtbot: Any, task_runner: Any, tmp_path: Path,
                                                 user_home: Path) -> None:
    """`[compliance]` in the system-wide config.toml is the page's policy from the start; choosing a file and going
    back to the default work as before."""
    import os

    org = Path(os.environ["DESKSIDE_SYSTEM_CONFIG"])
    org.parent.mkdir(parents=True, exist_ok=True)
    org.write_text("[compliance.policy]\nmax_security_age_days = 3\n", encoding="utf-8")
    page = make_page(qtbot, task_runner, tmp_path)
    qtbot.waitUntil(lambda: page.policy.source == f"[compliance] in {org}", timeout=30_000)
    assert page.policy.rules.max_security_age_days == 3
    assert page.policy_label.text() == "Policy: config.toml [compliance]"
    policy = tmp_path / "policy.toml"
    policy.write_text("[policy]\nmax_security_age_days = 9\n")
    set_policy(qtbot, page, policy)
    page.builtin_policy_button.click()
    qtbot.waitUntil(lambda: page.policy.source == f"[compliance] in {org}", timeout=30_000)
