"""A terminal emulator widget built on pyte: `TerminalWidget` (Qt) over `TerminalScreen` (Qt-free)."""

from .screen import TerminalEmulator, TerminalScreen
from .widget import TerminalWidget

__all__ = ["TerminalEmulator", "TerminalScreen", "TerminalWidget"]
