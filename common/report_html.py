"""The one HTML page of a diagnostics report, for `deskside diagnose --html`, the Diagnostics page's "Save as HTML"
and the support bundle's report.html.

It renders the report as data (the JSON form of the report schema, `Report.to_dict()`), so the diagnostics and the
tickets packages share it without importing each other; a bundle's report is already redacted when it gets here.

Safe to open whatever the report holds: every value is escaped (text and attributes), nothing is loaded from
elsewhere, and a Content-Security-Policy forbids scripts and every other resource (only the inline style is
allowed). A report with an unexpected shape (a bundle's report is plain JSON) is shown as far as it goes, never
an error.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

CSP = "default-src 'none'; style-src 'unsafe-inline'"

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em;color:#1d2330;max-width:70em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.4em}.meta{color:#5b6272;margin-top:0}
.finding{border-left:5px solid #999;padding:.5em 1em;margin:.6em 0;background:#f7f8fa;break-inside:avoid}
.critical{border-color:#c62828}.warning{border-color:#ef8f00}.info{border-color:#1e88e5}
.sev{font-weight:bold;text-transform:uppercase;font-size:.8em;margin-right:.5em}
.fix{margin-top:.4em}.fix b{color:#2e7d32}
table{border-collapse:collapse;margin:.3em 0;font-size:.92em}td,th{border:1px solid #d9dce3;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#eef0f4}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
pre{white-space:pre-wrap;background:#f7f8fa;padding:.5em;border:1px solid #d9dce3}
.status,.note{font-size:.85em;color:#5b6272}.skip{color:#8a5a00}
@media print{body{margin:0}details{display:block}summary{list-style:none}}
"""

MAX_ROWS = 200
_MAX_DEPTH = 4
_SEVERITY_CLASSES = {"critical", "warning", "info"}


def escape(value: Any) -> str:
    """`value` as HTML text, safe in element content and in quoted attributes."""
    return html.escape(str(value), quote=True)


def value_html(v: Any, depth: int = 0) -> str:
    """A JSON-like value as HTML: tables for objects and lists of objects, text for the rest, everything escaped."""
    if isinstance(v, Mapping):
        if not v:
            return "<i>empty</i>"
        if depth > _MAX_DEPTH:
            return escape(v)
        rows = "".join(f"<tr><th>{escape(k)}</th><td>{value_html(x, depth + 1)}</td></tr>"
                       for k, x in list(v.items())[:MAX_ROWS])
        return f"<table>{rows}</table>"
    if isinstance(v, list | tuple):
        if not v:
            return "<i>none</i>"
        more = len(v) - MAX_ROWS
        if all(isinstance(x, Mapping) for x in v) and depth <= _MAX_DEPTH:
            keys: list[Any] = []
            for x in v[:MAX_ROWS]:
                keys.extend(k for k in x if k not in keys)
            head = "".join(f"<th>{escape(k)}</th>" for k in keys)
            body = "".join("<tr>" + "".join(f"<td>{value_html(x.get(k, ''), depth + 1)}</td>" for k in keys)
                           + "</tr>" for x in v[:MAX_ROWS])
            return f"<table><tr>{head}</tr>{body}</table>" + (f"<p>(+{more} more)</p>" if more > 0 else "")
        items = ", ".join(value_html(x, depth + 1) for x in v[:MAX_ROWS])
        return items + (f" (+{more} more)" if more > 0 else "")
    if v is None:
        return "<i>-</i>"
    if isinstance(v, float):
        return escape(f"{v:.2f}")
    return escape(v)


def _seconds(v: Any) -> str:
    return f"{v:.2f} s" if isinstance(v, int | float) and not isinstance(v, bool) else "? s"


def _list(v: Any) -> list[Any]:
    return list(v) if isinstance(v, list | tuple) else []


def _meta(report: Mapping[str, Any]) -> str:
    parts = [f"Host <b>{escape(report.get('host', '?'))}</b>", escape(report.get("platform", "?")),
             f"generated {escape(report.get('generated_at', '?'))}", escape(_seconds(report.get("duration_s"))),
             f"Deskside {escape(report.get('deskside_version', '?'))}",
             f"schema {escape(report.get('schema_version', '?'))}"]
    if report.get("cancelled") is True:
        parts.append("<b>cancelled</b>")
    return "<p class='meta'>" + " · ".join(parts) + "</p>"


def _finding(f: Mapping[str, Any]) -> str:
    sev = str(f.get("severity", ""))
    css = re.sub(r"[^a-z]", "", sev.lower())
    css = css if css in _SEVERITY_CLASSES else "info"
    ev = "".join(f"<li>{escape(x)}</li>" for x in _list(f.get("evidence")))
    help_kind = " · self-service" if f.get("self_service", True) is not False else " · needs a technician"
    return (f"<div class='finding {css}'><span class='sev'>{escape(sev or 'info')}</span>"
            f"<b>{escape(f.get('title', ''))}</b><ul>{ev}</ul>"
            f"<div class='fix'><b>Fix:</b> {escape(f.get('fix', ''))}</div>"
            f"<div class='status'>{escape(f.get('incident_type', ''))} · {escape(f.get('id', ''))}{help_kind}</div>"
            "</div>")


def _section(name: str, s: Mapping[str, Any]) -> str:
    skips = "".join(
        f"<li class='skip'>{escape(k.get('item', ''))}: {escape(k.get('reason', ''))}</li>" if isinstance(k, Mapping)
        else f"<li class='skip'>{escape(k)}</li>" for k in _list(s.get("skips")))
    err = f"<p class='skip'>Error: {escape(s['error'])}</p>" if s.get("error") else ""
    return (f"<details open><summary>{escape(s.get('title', name))} <span class='status'>"
            f"({escape(s.get('status', ''))}, {escape(_seconds(s.get('duration_s')))})</span></summary>{err}"
            + (f"<ul>{skips}</ul>" if skips else "") + value_html(s.get("data", {})) + "</details>")


def report_body(report: Mapping[str, Any]) -> list[str]:
    """The report's part of the page: who and when, the findings (worst first, as the report lists them), the
    sections."""
    parts = [_meta(report), "<h2>Findings</h2>"]
    findings = [f for f in _list(report.get("findings")) if isinstance(f, Mapping)]
    if not findings:
        parts.append("<p>No problems found.</p>")
    parts.extend(_finding(f) for f in findings)
    parts.append("<h2>Sections</h2>")
    sections = report.get("sections")
    if isinstance(sections, Mapping):
        parts.extend(_section(str(name), s) for name, s in sections.items() if isinstance(s, Mapping))
    return parts


def render_report_page(
    report: Mapping[str, Any] | None,
    *,
    title: str,
    facts: Iterable[tuple[str, str]] = (),
    description: str = "",
    attachments: Mapping[str, str] | None = None,
    note: str = "",
) -> str:
    """A self-contained, printable HTML page.

    `title`: the heading (and, with the report's host, the window title). `facts`: label/value rows shown first
    (a ticket's type, priority...; empty values are left out). `description`: free text, shown as written.
    `report`: the report as data (None: no report). `attachments`: name -> text shown after the report (log
    excerpts). `note`: a closing line. All of it is text, escaped here.
    """
    host = report.get("host") if report is not None else None
    head_title = f"{title} — {host}" if host else title
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">",
        f"<title>{escape(head_title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    rows = "".join(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in facts if value)
    if rows:
        parts.append(f"<table>{rows}</table>")
    if description.strip():
        parts.append(f"<h2>Description</h2><pre>{escape(description)}</pre>")
    if report is not None:
        parts.extend(report_body(report))
    for name, text in (attachments or {}).items():
        parts.append(f"<h2>{escape(name)}</h2><pre>{escape(text)}</pre>")
    if note:
        parts.append(f"<p class='note'>{escape(note)}</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
