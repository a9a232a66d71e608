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
    through `lines` (oldest first) and wrapping round to the end once; (line, column) or None."""
    if not query or not lines:
        return None
    q = query.casefold()
    n = len(lines)
    line0, col0 = before
    for step in range(n + 1):
        ln = (line0 - step) % n
        text = lines[ln].casefold()
        col = text.rfind(q, 0, max(0, col0 + len(q) - 1)) if step == 0 else text.rfind(q)
        if col >= 0:
            return ln, col
    return None


def find_next(lines: list[str], query: str, after: tuple[int, int]) -> tuple[int, int] | None:
    """The first case-insensitive match starting after `after`, searching forward and wrapping round once."""
    if not query or not lines:
        return None
    q = query.casefold()
    n = len(lines)
    start_line, start_col = after
    for step in range(n + 1):
        ln = (start_line + step) % n
        text = lines[ln].casefold()
        col = text.find(q, start_col + 1) if step == 0 else text.find(q)
        if col >= 0:
            return ln, col
    return None
