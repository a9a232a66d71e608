"""The terminal's screen model: the fast ASCII path in TerminalScreen.draw must leave exactly the same cells and cursor
as the general path (pyte's draw, with zero-width characters joined, not dropped) for any mix of text, wrapping,
control characters and escape sequences."""

from __future__ import annotations

import pyte
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.terminal.screen import TerminalScreen

PIECES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40),
    st.sampled_from([
        "\r", "\n", "\r\n", "\t", "\b", "\x1b[H", "\x1b[2J", "\x1b[K", "\x1b[1;31m", "\x1b[0m", "\x1b[7m",
        "\x1b[38;5;208m", "\x1b[38;2;1;2;3m", "\x1b[3;5H", "\x1b[A", "\x1b[2C", "\x1b[?7l", "\x1b[?7h", "\x1b[4h",
        "\x1b[4l", "\x1b[2;4r", "\x1b[r", "\x1bM", "\x1b(0", "\x1b(B", "é", "漢", "e\u0301", "\x1b[5P", "\x1b[3@",
    ]),
)


class GeneralPathOnly(TerminalScreen):
    def draw(self, data: str) -> None:
        self._draw_slow(data.translate(self.g1_charset if self.charset else self.g0_charset))


def test_a_combining_mark_at_the_right_margin_joins_without_wrapping() -> None:
    # pyte wraps first and puts the accent on the line before; xterm and tmux keep the cursor where it was.
    screen = TerminalScreen(2, 2)
    pyte.Stream(screen).feed("xe\u0301")
    assert screen.display == ["xé", "  "]
    assert (screen.cursor.x, screen.cursor.y) == (2, 0)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40), st.integers(min_value=2, max_value=30), st.integers(min_value=1, max_value=8))
def test_same_cells_and_cursor_as_pyte(pieces: list[str], cols: int, rows: int) -> None:
    ours, ref = TerminalScreen(cols, rows), GeneralPathOnly(cols, rows)
    s1, s2 = pyte.Stream(ours), pyte.Stream(ref)
    for piece in pieces:
        s1.feed(piece)
        s2.feed(piece)
    for y in range(rows):
        for x in range(cols):
            assert ours.buffer[y][x] == ref.buffer[y][x], (y, x, pieces)
    assert (ours.cursor.x, ours.cursor.y) == (ref.cursor.x, ref.cursor.y), pieces
    assert ours.cursor.attrs == ref.cursor.attrs
