"""Text from outside made safe for a terminal: the one helper every output path uses.

Log lines, file and process names, config values, remote error texts and report values can hold control characters
(ESC sequences that retitle the window, clear the screen, move the cursor or fake output). `shown()` writes them
visibly escaped (``\\x1b``) instead of letting the terminal obey them.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls (\x9b is a one-byte CSI); also the Unicode line/paragraph
# separators and bidirectional overrides, which reorder or break what the user reads.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_AND_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    return repr(m.group())[1:-1]  # \x1b, \r, \t, \u202e


def shown(text: object, one_line: bool = False) -> str:
    """`text` with control characters shown as ``\\x1b`` (``\\r``, ``\\u202e``...) instead of being obeyed.
    Newlines and tabs stay unless `one_line` (then they are escaped too, so that one value stays on one line)."""
    s = text if isinstance(text, str) else str(text)
    rx = _CONTROL_AND_NEWLINE if one_line else _CONTROL
    return rx.sub(_escape, s)


def has_control(text: str) -> bool:
    """Whether `shown(text)` would change anything."""
    return _CONTROL.search(text) is not None
