"""The report model round-trips and validates against the versioned schema; renderers escape and order."""

from __future__ import annotations

import json

import pytest

from diagnostics.model import Finding, Report, Section, SectionStatus, Severity, Skip
from diagnostics.render.html import render_html
from diagnostics.render.json import dumps
from diagnostics.render.text import render_text
from diagnostics.schema import validate, validation_errors
from diagnostics.sections.factory import make_data


def sample() -> Report:
    r = Report(host="box<1>", generated_at="2026-11-24T10:00:00+00:00", platform="linux", duration_s=0.5)
    r.sections["storage"] = Section(
        name="storage", title="Storage", status=SectionStatus.PARTIAL,
        data=make_data("storage", mounts=[{"mountpoint": "/", "percent": 96.0}]),
        skips=[Skip("/mnt/nfs", "did not answer within 1 s")], duration_s=0.1,
    )
    r.findings = [
        Finding("system.uptime", Severity.INFO, "Up for 90 days", ["uptime 90 d"], "Restart when convenient.",
                "system"),
        Finding("storage.disk_full", Severity.CRITICAL, "Disk / is 96% full <script>alert(1)</script>",
                ["/ 96% used"], "Empty the trash & remove old files.", "storage"),
        Finding("updates.reboot", Severity.WARNING, "A restart is pending", [], "Restart.", "updates"),
    ]
    return r


def test_roundtrip_and_schema() -> None:
    r = sample()
    d = json.loads(dumps(r))
    validate(d)
    assert [f["severity"] for f in d["findings"]] == ["critical", "warning", "info"]
    assert d["worst"] == "critical"
    back = Report.from_dict(d)
    assert back.sections["storage"].skips == [Skip("/mnt/nfs", "did not answer within 1 s")]
    assert back.worst == Severity.CRITICAL


def test_schema_rejects_broken_reports() -> None:
    d = sample().to_dict()
    d["findings"][0]["severity"] = "fatal"
    del d["sections"]["storage"]["status"]
    errors = validation_errors(d)
    assert any("findings/0/severity" in e for e in errors)
    assert any("'status' is a required property" in e for e in errors)
    with pytest.raises(ValueError, match="does not match schema"):
        validate(d)


def test_html_escapes_everything() -> None:
    page = render_html(sample())
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "box&lt;1&gt;" in page and "Empty the trash &amp; remove" in page


def test_text_puts_worst_first_and_summarises() -> None:
    text = render_text(sample())
    assert text.index("CRITICAL") < text.index("WARNING") < text.index("info ")
    assert "Found 2 problem(s) on box<1>" in text
    assert "fullest / at 96%" in text
    assert "/mnt/nfs: did not answer within 1 s" in text


def test_text_says_a_run_with_problems_was_cancelled_and_counts_zombies_right() -> None:
    r = sample()
    r.cancelled = True
    r.sections["processes"] = Section(name="processes", title="Processes", data={"total": 90, "zombie_count": 1})
    text = render_text(r)
    assert text.splitlines()[0] == ("Found 2 problem(s) on box<1> before the diagnostics were cancelled; "
                                    "what was collected is below:")
    assert "90 processes, 1 zombie\n" in text
    r.sections["processes"].data["zombie_count"] = 3
    assert "90 processes, 3 zombies\n" in render_text(r)


def test_a_timed_out_logs_section_does_not_claim_zero_errors() -> None:
    r = Report(host="box", generated_at="2026-11-24T10:00:00+00:00", platform="linux")
    r.sections["logs"] = Section(name="logs", title="Logs", status=SectionStatus.TIMEOUT,
                                 data={"since_hours": 24.0, "max_lines": 5000},
                                 skips=[Skip("logs", "did not finish within its 10 s timeout; what was ready is kept")])
    text = " ".join(render_text(r).split())
    assert "Logs timeout" in text and "no log was read" in text and "0 errors" not in text
    assert "skipped logs: did not finish within its 10 s timeout" in text


def test_text_counts_what_a_cut_evidence_list_hides() -> None:
    """76 security updates showed 8 lines and "(+3 more)": the 3 hidden lines were 2 packages and "... and 66
    more"."""
    r = Report(host="box", generated_at="2026-11-24T10:00:00+00:00", platform="linux")
    r.findings = [Finding("updates.security_pending", Severity.CRITICAL, "76 security updates waiting",
                          [f"pkg{i} 1 -> 2" for i in range(10)] + ["... and 66 more"], "Install them.", "updates")]
    text = render_text(r)
    assert "(+68 more)" in text and "pkg7 1 -> 2" in text and "pkg8" not in text


def test_no_problems_is_not_claimed_when_checks_did_not_finish() -> None:
    r = Report(host="box", generated_at="2026-11-24T10:00:00+00:00", platform="linux")
    r.sections["updates"] = Section(name="updates", title="Updates", status=SectionStatus.TIMEOUT)
    r.sections["logs"] = Section(name="logs", title="Logs", status=SectionStatus.ERROR, error="ValueError: x")
    r.sections["cpu"] = Section(name="cpu", title="Processor")
    assert render_text(r).splitlines()[0] == ("No problems found on box in what could be checked; Updates, Logs did "
                                              "not finish (see the summary below).")
    del r.sections["updates"], r.sections["logs"]
    assert render_text(r).splitlines()[0] == "No problems found on box."
