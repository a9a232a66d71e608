"""Mouse reports to the program (xterm modes 1000/1002/1003, the SGR 1006 encoding): which buttons are held and the
bytes that say a press, a release, a motion or a wheel step at a cell."""

from __future__ import annotations

from PySide6.QtCore import Qt

WHEEL_UP, WHEEL_DOWN, MOTION = 64, 65, 32  # codes added to or used instead of a button's
NO_BUTTON = 3


def button_code(button: Qt.MouseButton) -> int | None:
    return {Qt.MouseButton.LeftButton: 0, Qt.MouseButton.MiddleButton: 1,
            Qt.MouseButton.RightButton: 2}.get(button)  # fmt: skip


class MouseReports:
    def __init__(self) -> None:
        self.buttons: set[int] = set()  # buttons pressed while the program takes mouse reports
        self.last_cell: tuple[int, int] | None = None  # where the last report was (motion is reported per cell)

    def encode(self, code: int, col: int, row: int, mods: Qt.KeyboardModifier, sgr: bool,
               release: bool = False) -> bytes | None:  # fmt: skip
        """The report for `code` at 0-based (col, row); None when the old encoding cannot say where."""
        if mods & Qt.KeyboardModifier.AltModifier:
            code += 8
        if mods & Qt.KeyboardModifier.ControlModifier:
            code += 16
        if sgr:
            data = f"\x1b[<{code};{col + 1};{row + 1}{'m' if release else 'M'}".encode()
        else:
            if release:
                code = (code & ~3) | 3
            if col + 1 > 222 or row + 1 > 222:
                return None
            data = bytes([27, 91, 77, 32 + code, 33 + col, 33 + row])
        self.last_cell = (col, row)
        return data

    def motion_code(self) -> int:
        """The code of a motion report: the lowest held button's, or none held."""
        return MOTION + (min(self.buttons) if self.buttons else NO_BUTTON)
