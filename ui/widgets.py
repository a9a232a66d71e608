"""Small widget makers shared by the pages and dialogs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import SignalInstance
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QPushButton

from .plain import plain_tooltip

Slot = Callable[[], object] | SignalInstance


def button(text: str, slot: Slot, *, tip: str = "", icon: QIcon | None = None) -> QPushButton:
    """A push button that calls `slot` when clicked (with `tip` as its tooltip)."""
    b = QPushButton(text) if icon is None else QPushButton(icon, text)
    if tip:
        b.setToolTip(plain_tooltip(tip))
    b.clicked.connect(slot)
    return b
