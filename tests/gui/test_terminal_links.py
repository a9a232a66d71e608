"""Web addresses under the mouse and the scrollback search, on plain text."""

from __future__ import annotations

import pytest

from ui.terminal.links import find_next, find_previous, url_at


@pytest.mark.parametrize(
    ("text", "col", "expected"),
    [
        ("see https://example.org/a_(b)). ok", 10, "https://example.org/a_(b)"),
        ("x http://x.org/path, y", 3, "http://x.org/path"),
        ("x http://x.org/path, y", 19, None),  # the comma after it
        ("<https://a.example/q?x=1&y=2>", 5, "https://a.example/q?x=1&y=2"),
        ("file:///etc/passwd", 3, None),
        ("javascript:alert(1) ftp://h/x", 22, None),
        ("https:// nothing", 2, None),
    ],
)
def test_url_at(text: str, col: int, expected: str | None) -> None:
    assert url_at(text, col) == expected


def test_find_goes_back_then_wraps_and_forward() -> None:
    lines = ["error one", "ok", "ERROR two error"]
    assert find_previous(lines, "error", (3, 0)) == (2, 10)  # from below the last line
    assert find_previous(lines, "error", (2, 10)) == (2, 0)
    assert find_previous(lines, "error", (2, 0)) == (0, 0)
    assert find_previous(lines, "error", (0, 0)) == (2, 10)  # wrapped round
    assert find_next(lines, "error", (0, 0)) == (2, 0)
    assert find_previous(lines, "absent", (2, 0)) is None
    assert find_previous([], "x", (0, 0)) is None
