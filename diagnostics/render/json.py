"""The report as JSON (the versioned schema in diagnostics/schema/report.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from ..model import Report


def dumps(report: Report, indent: int | None = 2) -> str:
    return json.dumps(report.to_dict(), indent=indent, ensure_ascii=False, default=_default)


def _default(obj: Any) -> Any:
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if isinstance(obj, bytes):
        return obj.decode("utf-8", errors="replace")
    return str(obj)
