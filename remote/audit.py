"""The local audit log: one JSON object per line with time, host, user, command and exit status.

It never holds a secret: values after obvious secret flags and assignments (`--password X`, `PASSWORD=...`,
`-pSECRET`, `token=...`, `Authorization: Bearer ...`) are replaced by `[REDACTED]` before the line is written.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_SECRET_WORDS = r"(?:password|passwd|pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|auth|credentials?)"  # noqa: S105 - a pattern, not a secret
_PATTERNS = [
    # Authorization: Bearer xyz (first, so the next rule does not stop at "Bearer")
    re.compile(r"(?i)(\bbearer)(\s+)([^\s'\"]+)"),
    # --password X / --password=X / --token X
    re.compile(rf"(?i)(--?[\w-]*{_SECRET_WORDS}[\w-]*)(=|\s+)(\"[^\"]*\"|'[^']*'|\S+)"),
    # PASSWORD=value, db_pass: value
    re.compile(rf"(?i)(\b[\w.-]*{_SECRET_WORDS}[\w.-]*)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"),
    # mysql -pSECRET
    re.compile(r"(\s-p)()(\S+)"),
    # scheme://user:password@host
    re.compile(r"(://[^/\s:@]+:)()([^@\s/]+)(?=@)"),
]


def redact_command(command: str) -> str:
    out = command
    for pat in _PATTERNS:
        out = pat.sub(lambda m: f"{m.group(1)}{m.group(2)}[REDACTED]", out)
    return out


class AuditLog:
    """Appends JSON lines to `path` (created 0600). Thread-safe."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.problem = ""

    def record(
        self,
        *,
        host: str,
        user: str,
        command: str,
        exit_status: int | None,
        port: int = 22,
        kind: str = "exec",
        extra: dict[str, Any] | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "host": host,
            "port": port,
            "user": user,
            "kind": kind,
            "command": redact_command(command),
            "exit_status": exit_status,
        }
        if extra:
            entry.update({k: v for k, v in extra.items() if k not in entry})
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as fh:
                    fh.write(line)
            except OSError as exc:
                # Recording must not turn a command that ran into a failure (its output and status are real);
                # the problem is said once, on the log's `problem` and as a warning.
                if not self.problem:
                    self.problem = f"cannot write the audit log {self.path}: {exc.strerror or exc}"
                    log.warning("%s", self.problem)

    def entries(self) -> list[dict[str, Any]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out
