"""The support bundle: contents, escaping, determinism, log excerpts."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from tickets.bundle import build_bundle, log_excerpts, log_refs, render_html
from tickets.model import Ticket
from tickets.redact import Redactor


def test_bundle_contents_are_redacted_and_deterministic() -> None:
    t = Ticket("Disk full", uid="u-1")
    report = {"host": "pc-alice", "findings": [{"title": "disk", "evidence": ["see /var/log/syslog line 3"]}],
              "sections": {"system": {"title": "System", "status": "ok", "data": {"hostname": "pc-alice"}}}}
    logs = {"logs/var_log_syslog_L3.txt": "pc-alice: write failed\n"}
    r1, r2 = Redactor(), Redactor()
    r1.scan(logs, {"report.json": report})
    r2.scan(logs, {"report.json": report})
    b1 = build_bundle(t, report, logs, r1)
    b2 = build_bundle(t, report, logs, r2)
    assert b1.data == b2.data  # same input, same bytes
    with zipfile.ZipFile(io.BytesIO(b1.data)) as zf:
        names = sorted(zf.namelist())
        assert names == ["README.txt", "logs/var_log_syslog_L3.txt", "report.html", "report.json", "ticket.txt"]
        blob = b"".join(zf.read(n) for n in names)
    assert b"pc-alice" not in blob and b"<host-1>" in blob
    assert json.loads(b1.files["report.json"])["host"] == "<host-1>"


def test_html_escapes_everything_and_is_self_contained() -> None:
    evil = '<script>alert("x")</script>'
    t = Ticket(f"Broken {evil}", description=f"desc {evil}")
    report = {"host": evil, "findings": [{"severity": evil, "title": evil, "evidence": [evil], "fix": evil}],
              "sections": {evil: {"title": evil, "status": evil, "data": {evil: [evil, {"k": evil}]}}}}
    html = render_html(t, report, {f"logs/{evil}": evil})
    assert "<script" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "http://" not in html and "https://" not in html and "src=" not in html
    assert "Content-Security-Policy" in html


def test_log_excerpts_follow_the_findings(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("".join(f"line {i}\n" for i in range(1, 301)))
    report = {"findings": [{"evidence": [f"crash in {log} line 150", f"{tmp_path}/missing.log:3"]}]}
    assert log_refs(report) == [(str(log), 150), (f"{tmp_path}/missing.log", 3)]
    ex = log_excerpts(report, context=5)
    ((name, text),) = ex.items()
    assert name.startswith("logs/") and name.endswith("_L150.txt")
    assert "lines 145-155 of 300" in text and "line 150\n" in text and "line 144\n" not in text


def test_html_shows_placeholders_as_text_and_no_masked_value() -> None:
    """Placeholders like <host-1> must be escaped in the page (else a browser hides them as unknown tags), and
    a value masked in report.json is masked in report.html too (it is rendered from the redacted report)."""
    t = Ticket("Disk full")
    report = {"host": "pc-alice", "findings": [{"severity": "warning", "title": "password=\"s3cr3t&x\" seen",
                                                "evidence": ["on pc-alice"], "fix": ""}]}
    r = Redactor()
    r.scan({}, {"report.json": report})  # as service.build_preview does: learn, then pack
    b = build_bundle(t, report, {}, r)
    page = b.files["report.html"].decode()
    assert "&lt;host-1&gt;" in page and "<host-1>" not in page
    assert "pc-alice" not in page and "s3cr3t" not in page
    assert "&lt;secret-1&gt;" in page


def test_log_member_names_carry_no_personal_value(tmp_path: Path) -> None:
    """The bundle's file names are not redacted text: /home/alice/... made 'logs/home_alice_...' a member name."""
    from tickets.service import Draft, TicketService

    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    (home / ".xsession-errors").write_text("a\nb\nsegfault in app\n")
    report = {"host": "pc-9", "findings": [{"evidence": [f"see {home}/.xsession-errors line 3"]}]}
    logs = log_excerpts(report)
    assert list(logs) == ["logs/.xsession-errors_L3.txt"]
    logs["logs/alice-notes.log"] = "my notes\n"
    svc = TicketService(data_dir=tmp_path / "data", users=["alice"])
    p = svc.build_preview(Draft(summary="crash"), report=report, logs=logs)
    assert p.bundle is not None
    names = zipfile.ZipFile(io.BytesIO(p.bundle.data)).namelist()
    assert "logs/user-1-notes.log" in names and not [n for n in names if "alice" in n]
    assert b"alice" not in p.bundle.data  # the zip's member names are stored as they are
    assert not [n for n, content in p.bundle.files.items() if b"alice" in content]
    (item,) = [i for i in p.items if i.value == "alice"]
    assert "(log file names):2" in [o.where for o in item.occurrences]  # the preview shows where
