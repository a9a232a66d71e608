"""Small helpers shared by rule modules."""

from __future__ import annotations

from typing import Any

from ..model import Report, SectionStatus


def data(report: Report, section: str) -> dict[str, Any] | None:
    """A section's data if it was collected (fully or partly), else None."""
    s = report.sections.get(section)
    if s is None or s.status in (SectionStatus.SKIPPED, SectionStatus.ERROR, SectionStatus.CANCELLED):
        return None
    return s.data


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TiB"
