"""One HTML page for a report: `deskside diagnose --html` (diagnostics) and the bundle's report.html (tickets) both
come from common.report_html, with the Content-Security-Policy, and escape hostile text from the report."""

from __future__ import annotations

import re

from diagnostics.model import Finding, Report, Section, SectionStatus, Severity, Skip
from diagnostics.render.html import render_html as diagnostics_html
from tickets.bundle import render_html as bundle_html
from tickets.model import Ticket

HOSTILE = ['<script>alert(1)</script>', '"onerror=alert(2) x="', "<img src=x onerror=alert(3)>", "' onclick='x"]
CSP_META = "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"


def hostile_report() -> Report:
    evil = " ".join(HOSTILE)
    r = Report(host=f"pc {evil}", generated_at=evil, platform="linux", deskside_version=evil)
    r.sections[evil] = Section(name=evil, title=f"Logs {evil}", status=SectionStatus.ERROR, error=evil,
                               data={evil: [{"name": evil, evil: 1.5}], "list": [evil, evil]},
                               skips=[Skip(evil, evil)])
    r.findings = [Finding(f"x.{evil}", Severity.CRITICAL, f"Service {evil} failed", [evil], f"Fix {evil}", evil,
                          incident_type=evil)]
    return r


def both_pages() -> dict[str, str]:
    report = hostile_report()
    return {"diagnose --html": diagnostics_html(report),
            "bundle report.html": bundle_html(Ticket(f"Broken {HOSTILE[0]}", description=HOSTILE[1]),
                                              report.to_dict(), {f"logs/{HOSTILE[2]}": HOSTILE[3]})}


def test_both_outputs_carry_the_content_security_policy() -> None:
    for where, page in both_pages().items():
        assert page.startswith("<!DOCTYPE html>"), where
        assert page.count("Content-Security-Policy") == 1 and CSP_META in page, where


def test_hostile_text_from_a_report_is_escaped_in_both_outputs() -> None:
    for where, page in both_pages().items():
        assert "<script" not in page and "<img" not in page, where
        assert '"onerror=' not in page and "' onclick=" not in page, where
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, where
        assert "&quot;onerror=alert(2) x=&quot;" in page and "&#x27; onclick=&#x27;x" in page, where
        # the only tags are the page's own
        tags = set(re.findall(r"</?([a-zA-Z0-9]+)", page))
        assert tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "b", "i", "table", "tr",
                        "th", "td", "ul", "li", "div", "span", "details", "summary", "pre"}, (where, tags)
        assert "http://" not in page and "https://" not in page, where


def test_the_bundle_page_shows_the_ticket_and_the_same_report_as_diagnose() -> None:
    report = hostile_report()
    page = bundle_html(Ticket("Disk full", description="since 9:00"), report.to_dict(), {"logs/app.txt": "boom"})
    for part in ("Support request: Disk full", "<h2>Description</h2><pre>since 9:00</pre>", "<h2>Findings</h2>",
                 "<h2>Sections</h2>", "<h2>logs/app.txt</h2><pre>boom</pre>", "placeholders such as &lt;host-1&gt;"):
        assert part in page
    finding = re.search(r"<div class='finding critical'>.*?</div></div>", diagnostics_html(report)).group(0)
    assert finding in page  # one renderer: the same finding, rendered the same way


def test_a_bundle_report_of_an_unexpected_shape_is_shown_as_far_as_it_goes() -> None:
    odd = {"host": 5, "findings": ["not a finding", {"severity": "fatal<b>", "title": None}],
           "sections": {"a": "not a section", "b": {"skips": "x", "data": [1, None]}}}
    page = bundle_html(Ticket("x"), odd, {})
    assert "<div class='finding info'><span class='sev'>fatal&lt;b&gt;</span>" in page
    assert "<summary>b <span class='status'>(, ? s)</span></summary>" in page
