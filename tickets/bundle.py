"""The support bundle: a zip with the JSON report, a self-contained HTML report and the log excerpts the findings
point to, all redacted. The report arrives as a plain dict (tickets never imports diagnostics).

The zip is deterministic (fixed timestamps, sorted names), so the same input gives the same bytes.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Ticket
from .redact import Redactor

BUNDLE_CONTENT_TYPE = "application/zip"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
MAX_EXCERPT_LINES = 200
MAX_EXCERPT_BYTES = 256 * 1024

# "/var/log/syslog line 120", "/var/log/x.log:120", "in /home/u/.xsession-errors"
_LOG_REF = re.compile(
    r"(?P<path>(?:/[\w.@+-]+)+(?:\.log|\.txt|\.err|\.out|-errors|/syslog|/messages|/kern\.log|/auth\.log)"
    r"(?:\.\d+)?|/var/log/[\w./@+-]+)(?:(?::|,? line |#L)(?P<line>\d+))?"
)


@dataclass
class Bundle:
    filename: str
    data: bytes  # the zip, exactly as attached
    files: dict[str, bytes] = field(default_factory=dict)  # name -> content inside the zip

    @property
    def size(self) -> int:
        return len(self.data)


def log_refs(report: Mapping[str, Any]) -> list[tuple[str, int | None]]:
    """(path, line) pairs the findings' evidence points to, in order, without duplicates."""
    seen: list[tuple[str, int | None]] = []
    for f in report.get("findings", []) or []:
        if not isinstance(f, Mapping):
            continue
        texts = [str(e) for e in f.get("evidence", []) or []] + [str(f.get("title", "")), str(f.get("fix", ""))]
        for t in texts:
            for m in _LOG_REF.finditer(t):
                ref = (m.group("path"), int(m.group("line")) if m.group("line") else None)
                if ref not in seen:
                    seen.append(ref)
    return seen


def _read_local(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(8 * 1024 * 1024)
    except OSError:
        return None
    return raw.decode("utf-8", errors="replace")


def log_excerpts(
    report: Mapping[str, Any],
    read: Callable[[str], str | None] = _read_local,
    context: int = 40,
) -> dict[str, str]:
    """Excerpts of the logs the findings point to: `context` lines around a referenced line, else the tail.

    `read(path)` returns the file's text or None (unreadable files are skipped); inject a remote reader for
    a report that came from another host.
    """
    out: dict[str, str] = {}
    for path, line in log_refs(report):
        text = read(path)
        if text is None:
            continue
        lines = text.splitlines()
        if line is not None and 1 <= line <= len(lines):
            lo, hi = max(0, line - 1 - context), min(len(lines), line + context)
        else:
            lo, hi = max(0, len(lines) - MAX_EXCERPT_LINES), len(lines)
        chunk = lines[lo:hi][:MAX_EXCERPT_LINES]
        header = f"# excerpt of {path}, lines {lo + 1}-{lo + len(chunk)} of {len(lines)}\n"
        body = "\n".join(chunk)
        if len(body.encode()) > MAX_EXCERPT_BYTES:
            body = body.encode()[-MAX_EXCERPT_BYTES:].decode("utf-8", errors="ignore")
        # The file's own name only: its folder (/home/alice/...) would put the user name into the bundle's
        # member names, which are not redacted text. The full path is in the (redacted) header line.
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", path.rstrip("/").rsplit("/", 1)[-1]) or "log"
        name = f"logs/{base}" + (f"_L{line}" if line else "") + ".txt"
        n = 2
        while name in out:
            name = f"logs/{base}" + (f"_L{line}" if line else "") + f"-{n}.txt"
            n += 1
        out[name] = header + body + "\n"
    return out


# ---- HTML ------------------------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;
text-align:left}th{background:#f3f3f3}.sev-critical,.sev-error{color:#a00;font-weight:bold}.sev-warning{color:#a60}
pre{white-space:pre-wrap;background:#f7f7f7;padding:.5em;border:1px solid #ddd}dl{margin:0}dt{font-weight:bold}
.note{color:#555;font-size:.9em}@media print{body{margin:0}}
"""


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _value_html(v: Any, depth: int = 0) -> str:
    if isinstance(v, Mapping):
        if not v:
            return "<i>(empty)</i>"
        rows = "".join(f"<tr><th>{_e(k)}</th><td>{_value_html(x, depth + 1)}</td></tr>" for k, x in v.items())
        return f"<table>{rows}</table>"
    if isinstance(v, list | tuple):
        if not v:
            return "<i>(none)</i>"
        if all(isinstance(x, Mapping) for x in v) and depth < 6:
            keys: list[str] = []
            for x in v:
                for k in x:
                    if k not in keys:
                        keys.append(str(k))
            if len(keys) <= 8:
                head = "".join(f"<th>{_e(k)}</th>" for k in keys)
                body = "".join(
                    "<tr>" + "".join(f"<td>{_value_html(x.get(k, ''), depth + 1)}</td>" for k in keys) + "</tr>"
                    for x in v
                )
                return f"<table><tr>{head}</tr>{body}</table>"
        return "<ul>" + "".join(f"<li>{_value_html(x, depth + 1)}</li>" for x in v) + "</ul>"
    if v is None:
        return "<i>-</i>"
    return _e(v)


def render_html(ticket: Ticket, report: Mapping[str, Any] | None, logs: Mapping[str, str]) -> str:
    """A self-contained, printable HTML page. Every value is escaped; no scripts, no external resources."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Support request: {_e(ticket.summary)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Support request: {_e(ticket.summary)}</h1>",
        "<table>",
    ]
    for label, value in (
        ("Incident type", ticket.incident_type.value),
        ("Impact", f"{ticket.level_name(ticket.impact)} ({ticket.impact}/{ticket.scale})"),
        ("Urgency", f"{ticket.level_name(ticket.urgency)} ({ticket.urgency}/{ticket.scale})"),
        ("Priority", ticket.priority_label),
        ("SLA", ticket.sla.describe() if ticket.sla else ""),
        ("Category", ticket.category),
        ("Reference", ticket.marker),
    ):
        if value:
            parts.append(f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>")
    parts.append("</table>")
    if ticket.description.strip():
        parts.append(f"<h2>Description</h2><pre>{_e(ticket.description)}</pre>")
    if report:
        parts.append("<h2>Diagnostics</h2><table>")
        for k in ("host", "platform", "generated_at", "deskside_version", "worst"):
            if k in report:
                parts.append(f"<tr><th>{_e(k)}</th><td>{_e(report[k])}</td></tr>")
        parts.append("</table>")
        findings = [f for f in report.get("findings", []) or [] if isinstance(f, Mapping)]
        parts.append(f"<h2>Findings ({len(findings)})</h2>")
        if findings:
            parts.append("<table><tr><th>Severity</th><th>Finding</th><th>Evidence</th><th>Fix</th></tr>")
            for f in findings:
                sev = str(f.get("severity", ""))
                ev = "".join(f"<li>{_e(x)}</li>" for x in f.get("evidence", []) or [])
                parts.append(
                    f'<tr><td class="sev-{_e(re.sub(r"[^a-z]", "", sev.lower()))}">{_e(sev)}</td>'
                    f"<td>{_e(f.get('title', ''))}</td><td><ul>{ev}</ul></td><td>{_e(f.get('fix', ''))}</td></tr>"
                )
            parts.append("</table>")
        sections = report.get("sections", {}) or {}
        if isinstance(sections, Mapping):
            for name, sec in sections.items():
                if not isinstance(sec, Mapping):
                    continue
                title, status = _e(sec.get("title", name)), _e(sec.get("status", ""))
                parts.append(f"<h2>{title} <span class=note>({status})</span></h2>")
                if sec.get("error"):
                    parts.append(f"<p>Error: {_e(sec['error'])}</p>")
                parts.append(_value_html(sec.get("data", {})))
                skips = sec.get("skips") or []
                if skips:
                    parts.append("<p class=note>Skipped:</p>" + _value_html(skips))
    for name, text in logs.items():
        parts.append(f"<h2>{_e(name)}</h2><pre>{_e(text)}</pre>")
    parts.append("<p class=note>Personal data and secrets were replaced by placeholders such as &lt;host-1&gt; "
                 "before this report left the machine.</p></body></html>")
    return "\n".join(parts) + "\n"


def _member_name(name: str) -> str:
    return re.sub(r"<([a-z0-9]+-\d+)>", r"\1", name).replace("<", "_").replace(">", "_")


def _zip(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return buf.getvalue()


def build_bundle(
    ticket: Ticket,
    report: Mapping[str, Any] | None,
    logs: Mapping[str, str],
    redactor: Redactor,
    disabled: Iterable[str] = (),
) -> Bundle:
    """Redact and pack. `ticket` must already be redacted (see service.build_preview). The HTML page is rendered
    from the redacted report, so every value in it (placeholders included) is escaped once."""
    off = set(disabled)
    red_report = redactor.redact_obj(dict(report), off) if report else None
    # Member names are redacted too (a log named after its user: alice-notes.log); <> dropped from placeholders
    # so that the names stay valid file names everywhere.
    red_logs = {_member_name(redactor.redact_text(name, off)): redactor.redact_text(text, off)
                for name, text in logs.items()}
    files: dict[str, bytes] = {}
    if red_report is not None:
        files["report.json"] = (json.dumps(red_report, indent=2, ensure_ascii=False) + "\n").encode()
    files["report.html"] = render_html(ticket, red_report, red_logs).encode()
    for name, text in red_logs.items():
        files[name] = text.encode()
    files["ticket.txt"] = (ticket.subject + "\n\n" + ticket.body_text()).encode()
    files["README.txt"] = (
        b"Support bundle made by Deskside.\n"
        b"report.json  the diagnostics report (machine-readable)\n"
        b"report.html  the same, for people (open in a browser, printable)\n"
        b"logs/        excerpts of the logs the findings point to\n"
        b"Personal data and secrets were replaced by placeholders like <host-1> before anything left the machine;\n"
        b"the mapping stays on the user's machine.\n"
    )
    return Bundle(filename=f"deskside-bundle-{ticket.uid[:8]}.zip", data=_zip(files), files=files)


def save_bundle(bundle: Bundle, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / bundle.filename
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(bundle.data)
    tmp.replace(path)
    return path
