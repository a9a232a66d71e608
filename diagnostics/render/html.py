"""A self-contained HTML report a person can read and print: the one report page of `common.report_html` (every
value escaped, a Content-Security-Policy that allows no script and no outside resource)."""

from __future__ import annotations

from common.report_html import render_report_page

from ..model import Report


def render_html(report: Report, title: str = "Deskside diagnostics report") -> str:
    return render_report_page(report.to_dict(), title=title)
