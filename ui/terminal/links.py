"""Web addresses in terminal text: which one is under a column. Only http and https are offered for opening (a
program's output could print any scheme: file:, a custom handler...). Qt-free."""

from __future__ import annotations

import re

_URL = re.compile(r"https?://[^\s<>\"'`{}|\\^]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}>"


def url_at(text: str, col: int) -> str | None:
    """The http(s) address covering column `col` of `text`, without trailing punctuation, or None."""
    for m in _URL.finditer(text):
        url = m.group(0)
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        if m.start() <= col < m.start() + len(url) and len(url) > len(url.split("//", 1)[0]) + 2:
            return url
    return None


def find_previous(lines: list[str], query: str, before: tuple[int, int]) -> tuple[int, int] | None:
    """The last case-insensitive match of `query` that starts before `before` (line, column), searching back
    through `lines` (oldest first) and wrapping round once; (line, column) or None."""
    return _find(lines, query, before, -1)


def find_next(lines: list[str], query: str, after: tuple[int, int]) -> tuple[int, int] | None:
    """The first case-insensitive match starting after `after`, searching forward and wrapping round once."""
    return _find(lines, query, after, 1)


def _find(lines: list[str], query: str, at: tuple[int, int], step: int) -> tuple[int, int] | None:
    if not query or not lines:
        return None
    q = query.casefold()
    line0, col0 = at
    for k in range(len(lines) + 1):
        ln = (line0 + k * step) % len(lines)
        text = lines[ln].casefold()
        if step < 0:
            col = text.rfind(q, 0, max(0, col0 + len(q) - 1)) if k == 0 else text.rfind(q)
        else:
            col = text.find(q, col0 + 1) if k == 0 else text.find(q)
        if col >= 0:
            return ln, col
    return None
