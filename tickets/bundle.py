"""The support bundle: a zip with the JSON report, a self-contained HTML report and the log excerpts the findings
point to, all redacted. The report arrives as a plain dict (tickets never imports diagnostics).

The zip is deterministic (fixed timestamps, sorted names), so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common.files import open_regular
from common.report_html import render_report_page

from .model import Ticket, level_text, priority_text
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
        with open_regular(path) as fh:  # a FIFO or device named in a report must not hang the ticket
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
def render_html(ticket: Ticket, report: Mapping[str, Any] | None, logs: Mapping[str, str]) -> str:
    """A self-contained, printable HTML page: the ticket, the report and the log excerpts (the one report page of
    `common.report_html`: every value escaped; no scripts, no external resources)."""
    facts = [
        ("Incident type", ticket.incident_type.value),
        ("Impact", level_text("impact", ticket.impact, ticket.scale)),
        ("Urgency", level_text("urgency", ticket.urgency, ticket.scale)),
        ("Priority", priority_text(ticket.impact, ticket.urgency, ticket.scale)),
        ("SLA", ticket.sla.describe() if ticket.sla else ""),
        ("Category", ticket.category),
        ("Reference", ticket.marker),
    ]
    return render_report_page(
        report or None, title=f"Support request: {ticket.summary}", facts=facts, description=ticket.description,
        attachments=logs, note="Personal data and secrets were replaced by placeholders such as <host-1> before "
        "this report left the machine.")


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


def renumbered(bundle: Bundle, rename: Callable[[str], str]) -> Bundle:
    """The bundle with its placeholders renamed (see `PlaceholderStore.commit`): every text member and name."""
    files = {rename(name): rename(data.decode()).encode() for name, data in bundle.files.items()}
    return Bundle(filename=bundle.filename, data=_zip(files), files=files)


def save_bundle(bundle: Bundle, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / bundle.filename
    tmp = path.with_suffix(".zip.tmp")
    tmp.write_bytes(bundle.data)
    tmp.replace(path)
    return path
