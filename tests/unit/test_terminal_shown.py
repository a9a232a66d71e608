"""common.terminal.shown and the text renderer of `deskside diagnose`: control characters from outside are escaped."""

from __future__ import annotations

from common.terminal import shown
from diagnostics.model import Finding, Report, Section, SectionStatus, Severity
from diagnostics.render.text import render_text


def test_shown_escapes_controls_keeps_text_and_newlines() -> None:
    assert shown("a\x1b[31mb\x07c\x9bd\u202ee") == "a\\x1b[31mb\\x07c\\x9bd\\u202ee"
    assert shown("line 1\n\tline 2") == "line 1\n\tline 2"
    assert shown("line 1\r\nline 2", one_line=True) == "line 1\\r\\nline 2"
    assert shown("Grüße, 東京") == "Grüße, 東京"


def test_render_text_escapes_every_value_from_the_machine() -> None:
    bad = "\x1b]0;PWNED\x07"
    section = Section(name="logs", title="Logs", status=SectionStatus.ERROR, error=f"journal said {bad}")
    finding = Finding(id="logs.x", severity=Severity.WARNING, title=f"Errors from app{bad}",
                      evidence=[f"Dec  2 10:00:01 wks7 app[5]: boom{bad}"], fix=f"restart {bad}", section="logs")
    report = Report(host=f"wks{bad}", generated_at="2026-12-02T10:00:00Z", platform="linux",
                    sections={"logs": section}, findings=[finding])
    out = render_text(report, colour=True)
    assert "\x07" not in out and "]0;PWNED" in out
    assert out.count("\\x1b]0;PWNED\\x07") == 5  # host, title, evidence, fix, section error
    assert "\x1b[33m" in out  # our own colour stays
