"""The background agent's own logic: when the checks run, which findings are new, the ticket policy (the
diagnostics are played by made-up reports; notifications are recorded). Units: tests/e2e/test_agent_cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from desktop import agent, settings
from diagnostics.model import Finding, Report, Severity
from tests.notification_server import NotificationServer, notification_server  # noqa: F401 (fixture)
from tickets.service import TicketService

DAY = 24 * 3600.0


def finding(fid: str, sev: Severity, title: str = "") -> Finding:
    return Finding(id=fid, severity=sev, title=title or fid, evidence=[f"{fid}: seen on ann@corp.example"],
                   fix=f"fix {fid}", section="storage")


class World:
    def __init__(self, tmp_path: Path, **opts: Any) -> None:
        self.now = 1_000_000.0
        self.findings: list[Finding] = []
        self.shown: list[tuple[str, str, int]] = []
        self.runs = 0
        self.opts = {**agent.DEFAULTS, **opts}
        self.state = tmp_path / "agent" / "state.json"
        self.svc = TicketService(data_dir=tmp_path / "data")

    def diagnose(self) -> Report:
        self.runs += 1
        return Report(host="pc1", generated_at="2026-12-02T00:00:00Z", platform="linux",
                      findings=list(self.findings))

    def run(self, **kw: Any) -> agent.RunResult:
        return agent.run(svc=self.svc, diagnose=self.diagnose, notify=lambda *a: self.shown.append(a),
                         opts=self.opts, state_path=self.state, clock=lambda: self.now, **kw)


def test_new_warnings_and_criticals_are_notified_once(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.findings = [finding("disk.full", Severity.CRITICAL, "The disk is full"),
                  finding("updates.pending", Severity.WARNING), finding("uptime.long", Severity.INFO)]
    w.run()
    assert [s[0] for s in w.shown] == ["Deskside: The disk is full", "Deskside: updates.pending"]
    _summary, body, urgency = w.shown[0]
    assert "Fix: fix disk.full" in body and urgency == 2 and w.shown[1][2] == 1
    w.now += DAY  # the next daily check: the same findings are not reported again
    assert w.run().checked and len(w.shown) == 2
    w.findings = [finding("disk.full", Severity.CRITICAL, "The disk is full"),
                  finding("updates.pending", Severity.CRITICAL)]  # a warning turned critical: new again
    w.now += DAY
    w.run()
    assert [s[0] for s in w.shown[2:]] == ["Deskside: updates.pending"]
    w.findings = []  # fixed ...
    w.now += DAY
    w.run()
    w.findings = [finding("disk.full", Severity.CRITICAL, "The disk is full")]  # ... and back: reported again
    w.now += DAY
    w.run()
    assert [s[0] for s in w.shown[3:]] == ["Deskside: The disk is full"]


def test_checks_run_daily_and_at_login(tmp_path: Path) -> None:
    w = World(tmp_path)
    assert w.run().checked and w.runs == 1  # never checked: due
    w.now += 3600
    assert not w.run().checked and w.runs == 1  # an hour later: not due (the outbox is still worked on)
    assert w.run(at_login=True).checked and w.runs == 2
    w.now += DAY
    assert w.run().checked and w.runs == 3
    w2 = World(tmp_path / "b", check_at_login=False, check_every_hours=48.0)
    w2.run()
    w2.now += DAY
    assert not w2.run(at_login=True).checked


def test_no_ticket_for_critical_findings_unless_the_policy_says_so(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.findings = [finding("disk.full", Severity.CRITICAL, "The disk is full")]
    assert w.run().tickets == [] and w.svc.outbox_list() == []
    w2 = World(tmp_path / "policy", ticket_for_critical=True)
    w2.findings = [finding("disk.full", Severity.CRITICAL, "The disk is full"),
                   finding("updates.pending", Severity.WARNING)]
    result = w2.run()
    (entry,) = w2.svc.outbox_list()
    assert result.tickets == [entry.id] and entry.summary == "Deskside found: The disk is full"
    assert entry.state == "held"  # no backend configured: it waits for one, bundle saved
    (kept,) = (w2.state.parent / "previews").iterdir()
    message = (kept / "message.txt").read_text()
    assert "The disk is full" in message and "Suggested fix: fix disk.full" in message
    assert "ann@corp.example" not in message  # redaction is always on
    assert list(kept.glob("*.zip"))
    w2.now += DAY
    assert w2.run().tickets == []  # not new any more: no second ticket


def test_a_notification_that_cannot_be_shown_does_not_stop_the_run(tmp_path: Path) -> None:
    w = World(tmp_path)
    w.findings = [finding("disk.full", Severity.CRITICAL)]

    def broken(*a: Any) -> None:
        raise RuntimeError("no session bus")

    result = agent.run(svc=w.svc, diagnose=w.diagnose, notify=broken, opts=w.opts, state_path=w.state)
    assert result.checked and "no notification shown (no session bus)" in result.notes
    assert agent.State.load(w.state).reported  # remembered all the same


@pytest.mark.parametrize(("table", "error"), [
    ({"check_every_hours": "daily"}, "must be a float"), ({"check_every_hours": 0}, "more than 0"),
    ({"ticket_for_critical": "yes"}, "must be a bool")])
def test_bad_agent_settings_are_clear_errors(table: dict[str, Any], error: str) -> None:
    with pytest.raises(settings.ConfigError, match=error):
        agent.options({"agent": table})
    assert agent.options({"agent": {"check_every_hours": 6}})["check_every_hours"] == 6.0
    # an unknown key is warned about when config.toml is read (file, line, "did you mean"), not a stop
    assert agent.options({"agent": {"colour": 1}}) == agent.DEFAULTS


def test_a_new_finding_reaches_a_real_notification_server(tmp_path: Path,
                                                          notification_server: NotificationServer) -> None:  # noqa: F811
    """Over the real session D-Bus (scripts/run-tests.sh) to a notification server that owns the name; text from
    the finding is escaped where the server renders markup."""
    w = World(tmp_path)
    w.findings = [finding("disk.full", Severity.CRITICAL, "The disk </b>is full")]
    result = agent.run(svc=w.svc, diagnose=w.diagnose, notify=agent.desktop_notify, opts=w.opts,
                       state_path=w.state)
    assert result.notes == []
    (got,) = notification_server.received
    assert got.app == "Deskside" and got.summary == "Deskside: The disk </b>is full"
    assert "Fix: fix disk.full" in got.body and got.hints["urgency"] == ("y", 2)  # critical


def test_a_failing_follow_refresh_does_not_stop_the_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_a: Any) -> None:
        raise OSError("helpdesk unreachable")

    monkeypatch.setattr(agent, "refresh_followed", broken)
    w = World(tmp_path)
    w.findings = [finding("disk.full", Severity.CRITICAL)]
    result = w.run()
    assert result.checked and len(w.shown) == 1
    assert result.notes == ["the followed tickets were not refreshed (OSError: helpdesk unreachable)"]
