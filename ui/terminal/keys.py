"""Key presses to the bytes an xterm sends (xterm-256color), so that editors and shells get what they expect."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt

K = Qt.Key
M = Qt.KeyboardModifier

# Cursor keys: final byte; sent as CSI x (normal) or SS3 x (application cursor mode, DECCKM).
_CURSOR: dict[int, str] = {
    K.Key_Up: "A", K.Key_Down: "B", K.Key_Right: "C", K.Key_Left: "D", K.Key_Home: "H", K.Key_End: "F",
}  # fmt: skip
# Editing keys: CSI n ~
_TILDE: dict[int, int] = {K.Key_Insert: 2, K.Key_Delete: 3, K.Key_PageUp: 5, K.Key_PageDown: 6}
# F1-F4 are SS3 P..S, F5-F12 are CSI n ~.
_FKEYS_SS3: dict[int, str] = {K.Key_F1: "P", K.Key_F2: "Q", K.Key_F3: "R", K.Key_F4: "S"}
_FKEYS_TILDE: dict[int, int] = {
    K.Key_F5: 15, K.Key_F6: 17, K.Key_F7: 18, K.Key_F8: 19,
    K.Key_F9: 20, K.Key_F10: 21, K.Key_F11: 23, K.Key_F12: 24,
}  # fmt: skip
# Ctrl + punctuation to C0 control bytes.
_CTRL_PUNCT: dict[int, int] = {
    K.Key_At: 0, K.Key_Space: 0, K.Key_2: 0,
    K.Key_BracketLeft: 27, K.Key_3: 27,
    K.Key_Backslash: 28, K.Key_4: 28,
    K.Key_BracketRight: 29, K.Key_5: 29,
    K.Key_AsciiCircum: 30, K.Key_6: 30,
    K.Key_Underscore: 31, K.Key_Minus: 31, K.Key_7: 31,
    K.Key_Question: 127, K.Key_8: 127, K.Key_Slash: 31,
}  # fmt: skip


def _modifier_param(mods: Qt.KeyboardModifier) -> int:
    """xterm's modifier parameter: 1 + Shift(1) + Alt(2) + Ctrl(4)."""
    n = 1
    if mods & M.ShiftModifier:
        n += 1
    if mods & M.AltModifier:
        n += 2
    if mods & M.ControlModifier:
        n += 4
    return n


def key_to_bytes(key: int, mods: Qt.KeyboardModifier, text: str, application_cursor: bool = False) -> bytes:
    """The bytes to send for one key press; b"" when the key sends nothing (a lone Shift, say)."""
    mods = mods & ~M.KeypadModifier
    if sys.platform == "darwin":
        # Qt on macOS reports the Control key as Meta (and Command as Control): the terminal wants Control.
        mods = (mods & ~(M.ControlModifier | M.MetaModifier)) | (M.ControlModifier if mods & M.MetaModifier
                                                                 else M.NoModifier)  # fmt: skip
    ctrl = bool(mods & M.ControlModifier)
    alt = bool(mods & M.AltModifier)
    if ctrl and alt and text and text.isprintable():
        return text.encode("utf-8", "replace")  # AltGr (Ctrl+Alt on Windows) typing @, {, [ ...
    param = _modifier_param(mods)

    if key in _CURSOR:
        final = _CURSOR[key]
        if param > 1:
            return f"\x1b[1;{param}{final}".encode()
        return (f"\x1bO{final}" if application_cursor else f"\x1b[{final}").encode()
    if key in _TILDE:
        n = _TILDE[key]
        return (f"\x1b[{n};{param}~" if param > 1 else f"\x1b[{n}~").encode()
    if key in _FKEYS_SS3:
        final = _FKEYS_SS3[key]
        return (f"\x1b[1;{param}{final}" if param > 1 else f"\x1bO{final}").encode()
    if key in _FKEYS_TILDE:
        n = _FKEYS_TILDE[key]
        return (f"\x1b[{n};{param}~" if param > 1 else f"\x1b[{n}~").encode()

    prefix = b"\x1b" if alt else b""
    if key in (K.Key_Return, K.Key_Enter):
        return prefix + b"\r"
    if key == K.Key_Backspace:
        return prefix + (b"\x08" if ctrl else b"\x7f")
    if key == K.Key_Backtab or (key == K.Key_Tab and mods & M.ShiftModifier):
        return b"\x1b[Z"
    if key == K.Key_Tab:
        return prefix + b"\t"
    if key == K.Key_Escape:
        return b"\x1b"

    if ctrl:
        if K.Key_A <= key <= K.Key_Z:
            return prefix + bytes([key - K.Key_A + 1])
        if key in _CTRL_PUNCT:
            return prefix + bytes([_CTRL_PUNCT[key]])
        if text and len(text) == 1 and ord(text) < 32:
            return prefix + text.encode()
        return b""

    if text:
        # Some platforms put the control byte in text() already; printable text goes as UTF-8.
        return prefix + text.encode("utf-8", "replace")
    if alt and K.Key_A <= key <= K.Key_Z:
        ch = chr(key).lower() if not mods & M.ShiftModifier else chr(key)
        return prefix + ch.encode()
    return b""
