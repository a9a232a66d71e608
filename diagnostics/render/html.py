"""A self-contained HTML report a person can read and print. Every value is escaped."""

from __future__ import annotations

import html
from typing import Any

from ..model import Report, Severity

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em;color:#1d2330;max-width:70em}
h1{font-size:1.5em;margin-bottom:.2em}.meta{color:#5b6272;margin-top:0}
.finding{border-left:5px solid #999;padding:.5em 1em;margin:.6em 0;background:#f7f8fa;break-inside:avoid}
.critical{border-color:#c62828}.warning{border-color:#ef8f00}.info{border-color:#1e88e5}
.sev{font-weight:bold;text-transform:uppercase;font-size:.8em;margin-right:.5em}
.fix{margin-top:.4em}.fix b{color:#2e7d32}
table{border-collapse:collapse;margin:.3em 0;font-size:.92em}td,th{border:1px solid #d9dce3;padding:2px 6px;
text-align:left;vertical-align:top}th{background:#eef0f4}details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
.status{font-size:.85em;color:#5b6272}.skip{color:#8a5a00}
@media print{details{display:block}summary{list-style:none}}
"""

_MAX_ROWS = 200


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _value(v: Any, depth: int = 0) -> str:
    if isinstance(v, dict):
        if not v:
            return "<i>empty</i>"
        if depth > 4:
            return _e(v)
        rows = "".join(f"<tr><th>{_e(k)}</th><td>{_value(x, depth + 1)}</td></tr>"
                       for k, x in list(v.items())[:_MAX_ROWS])
        return f"<table>{rows}</table>"
    if isinstance(v, list):
        if not v:
            return "<i>none</i>"
        if all(isinstance(x, dict) for x in v) and depth <= 4:
            keys: list[str] = []
            for x in v[:_MAX_ROWS]:
                keys.extend(k for k in x if k not in keys)
            head = "".join(f"<th>{_e(k)}</th>" for k in keys)
            body = "".join("<tr>" + "".join(f"<td>{_value(x.get(k, ''), depth + 1)}</td>" for k in keys) + "</tr>"
                           for x in v[:_MAX_ROWS])
            more = f"<p>(+{len(v) - _MAX_ROWS} more)</p>" if len(v) > _MAX_ROWS else ""
            return f"<table><tr>{head}</tr>{body}</table>{more}"
        items = ", ".join(_value(x, depth + 1) for x in v[:_MAX_ROWS])
        return items + (f" (+{len(v) - _MAX_ROWS} more)" if len(v) > _MAX_ROWS else "")
    if isinstance(v, float):
        return _e(f"{v:.2f}")
    return _e(v)


def render_html(report: Report, title: str = "Deskside diagnostics report") -> str:
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)} — {_e(report.host)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='meta'>Host <b>{_e(report.host)}</b> · {_e(report.platform)} · generated {_e(report.generated_at)}"
        f" · {report.duration_s:.2f} s · Deskside {_e(report.deskside_version)} · schema {_e(report.schema_version)}"
        + (" · <b>cancelled</b>" if report.cancelled else "") + "</p>",
        "<h2>Findings</h2>",
    ]
    findings = report.sorted_findings()
    if not findings:
        parts.append("<p>No problems found.</p>")
    for f in findings:
        sev = f.severity.label if f.severity != Severity.OK else "info"
        ev = "".join(f"<li>{_e(x)}</li>" for x in f.evidence)
        parts.append(
            f"<div class='finding {sev}'><span class='sev'>{_e(sev)}</span><b>{_e(f.title)}</b>"
            f"<ul>{ev}</ul><div class='fix'><b>Fix:</b> {_e(f.fix)}</div>"
            f"<div class='status'>{_e(f.incident_type)} · {_e(f.id)}"
            f"{' · self-service' if f.self_service else ' · needs a technician'}</div></div>"
        )
    parts.append("<h2>Sections</h2>")
    for s in report.sections.values():
        skips = "".join(f"<li class='skip'>{_e(k.item)}: {_e(k.reason)}</li>" for k in s.skips)
        err = f"<p class='skip'>Error: {_e(s.error)}</p>" if s.error else ""
        parts.append(
            f"<details open><summary>{_e(s.title)} <span class='status'>({_e(s.status.value)}, "
            f"{s.duration_s:.2f} s)</span></summary>{err}"
            + (f"<ul>{skips}</ul>" if skips else "") + _value(s.data) + "</details>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
