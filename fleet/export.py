"""Scan results as JSON (a versioned document, schema in fleet/schema/scan.schema.json), CSV, and a self-contained
HTML report (inline SVG chart, per-host details; every value from a host escaped, no script, a strict CSP)."""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import asdict
from importlib import resources
from typing import Any

from .evaluate import COMPLIANT, NON_COMPLIANT, UNKNOWN, HostResult
from .history import Comparison
from .scan import ScanResult

SCHEMA_VERSION = "1.0"
CSV_FIELDS = ("host", "target", "groups", "status", "score", "worst", "security_updates", "pending_updates",
              "reboot_required", "os", "eol_state", "reasons", "error", "scanned_at")


def schema() -> dict[str, Any]:
    text = resources.files("fleet").joinpath("schema/scan.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def to_document(scan: ScanResult, policy: str, comparison: Comparison | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": "deskside-scan", "schema_version": SCHEMA_VERSION,
        "started_at": scan.started_at, "finished_at": scan.finished_at, "cancelled": scan.cancelled,
        "policy": policy,
        "hosts": [r.to_dict() for r in scan.results],
        "totals": asdict(scan.totals),
    }
    if comparison is not None:
        doc["compared_with_scan"] = comparison.previous_scan
        doc["changes"] = {
            "newly_non_compliant": [{"host": h, "rule": k} for h, k in comparison.newly_non_compliant],
            "fixed": [{"host": h, "rule": k} for h, k in comparison.fixed],
            "still_open": [{"host": h, "rule": k} for h, k in comparison.still_open],
        }
    return doc


def to_json(scan: ScanResult, policy: str, comparison: Comparison | None = None, indent: int | None = 2) -> str:
    """The scan as JSON; `indent=None` writes it compact (json's C encoder: a fifth of the CPU of the indented
    form, which only Python's own encoder writes; for a pipe or a file, not for a person)."""
    return json.dumps(to_document(scan, policy, comparison), indent=indent, sort_keys=False) + "\n"


def _row(r: HostResult) -> dict[str, Any]:
    u = r.updates or {}
    counts = u.get("counts", {})
    eol = u.get("eol") or {}
    return {
        "host": r.name, "target": r.target, "groups": " ".join(r.groups), "status": r.status,
        "score": "" if r.score is None else r.score, "worst": r.worst or "",
        "security_updates": counts.get("security", "") if u else "",
        "pending_updates": counts.get("pending", "") if u else "",
        "reboot_required": _yes_no((u.get("reboot") or {}).get("required")),
        "os": eol.get("name") or "", "eol_state": eol.get("state", "") if u else "",
        "reasons": " | ".join(f"{x.severity}: {x.evidence}" for x in r.reasons),
        "error": r.error or "", "scanned_at": r.scanned_at,
    }


def _yes_no(value: Any) -> str:
    return "yes" if value is True else "no" if value is False else ""


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula (=, +, -, @) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(scan: ScanResult) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in scan.results:
        w.writerow({k: _csv_safe(v) for k, v in _row(r).items()})
    return buf.getvalue()


_COLOURS = {COMPLIANT: "#2e7d32", NON_COMPLIANT: "#c62828", UNKNOWN: "#757575"}
_CSS = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;width:100%}
th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.compliant{color:#2e7d32}.non-compliant{color:#c62828}.unknown{color:#757575}details{margin:.5em 0}
pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em}"""


def _chart(scan: ScanResult, trend: list[tuple[str, dict[str, Any]]] | None) -> str:
    t = scan.totals
    parts = [(COMPLIANT, t.compliant), (NON_COMPLIANT, t.non_compliant), (UNKNOWN, t.unknown)]
    width, x, bars = 400, 0.0, []
    for name, n in parts:
        w = width * n / t.hosts if t.hosts else 0
        if w:
            bars.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" fill="{_COLOURS[name]}">'
                        f"<title>{html.escape(name)}: {n}</title></rect>")
        x += w
    legend = " · ".join(f'<span class="{n}">{html.escape(n)}: {c}</span>' for n, c in parts)
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="24" role="img">{"".join(bars)}</svg>'
    trend_svg = ""
    if trend and len(trend) > 1:
        pts = []
        for i, (_when, tot) in enumerate(reversed(trend)):
            hosts = int(tot.get("hosts") or 0)
            share = (int(tot.get("compliant") or 0) / hosts) if hosts else 0.0
            pts.append(f"{i * 400 / (len(trend) - 1):.1f},{60 - share * 56:.1f}")
        trend_svg = ('<p>Compliant share, oldest to newest scan:</p><svg xmlns="http://www.w3.org/2000/svg" '
                     f'width="400" height="64"><polyline fill="none" stroke="#2e7d32" stroke-width="2" '
                     f'points="{" ".join(pts)}"/></svg>')
    return f"{svg}<p>{legend}</p>{trend_svg}"


def to_html(scan: ScanResult, policy: str, trend: list[tuple[str, dict[str, Any]]] | None = None) -> str:
    e = html.escape
    t = scan.totals
    rows, details = [], []
    for r in scan.results:
        row = _row(r)
        rows.append(f'<tr><td><a href="#h-{e(r.name)}">{e(r.name)}</a></td><td>{e(r.target)}</td>'
                    f'<td class="{e(r.status)}">{e(r.status)}</td><td>{e(str(row["score"]))}</td>'
                    f'<td>{e(str(row["security_updates"]))}</td><td>{e(row["reboot_required"])}</td>'
                    f'<td>{e(row["os"])}</td></tr>')
        items = "".join(f"<li><b>{e(x.severity)}</b> [{e(x.rule)}] {e(x.evidence)}</li>" for x in r.reasons)
        notes = "".join(f"<li>{e(n)}</li>" for n in r.notes)
        pending = "".join(f"<li>{e(p.get('name', ''))} {e(str(p.get('installed') or ''))} → "
                          f"{e(str(p.get('candidate') or ''))}{' (security)' if p.get('security') else ''}</li>"
                          for p in (r.updates or {}).get("pending", []))
        details.append(f'<details id="h-{e(r.name)}"><summary>{e(r.name)}: {e(r.status)}</summary>'
                       + (f"<p>{e(r.error)}</p>" if r.error else "")
                       + (f"<ul>{items}</ul>" if items else "") + (f"<p>Notes:</p><ul>{notes}</ul>" if notes else "")
                       + (f"<p>Pending updates:</p><ul>{pending}</ul>" if pending else "") + "</details>")
    score = "n/a" if t.score is None else f"{t.score}"
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\"><title>Deskside compliance report</title>"
        f"<style>{_CSS}</style></head><body><h1>Patch compliance</h1>"
        f"<p>Scan {e(scan.started_at)} to {e(scan.finished_at)}"
        f"{' (cancelled: partial results)' if scan.cancelled else ''}"
        f"; policy: {e(policy)}; fleet score {e(score)}; {t.hosts} hosts.</p>"
        f"{_chart(scan, trend)}"
        "<table><thead><tr><th>Host</th><th>Target</th><th>Status</th><th>Score</th><th>Security updates</th>"
        f"<th>Reboot</th><th>OS</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<h2>Hosts</h2>{''.join(details)}</body></html>\n"
    )
