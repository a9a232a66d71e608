"""Small widget makers shared by the pages and dialogs."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, SignalInstance
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QBoxLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from .plain import plain_label, plain_tooltip

Slot = Callable[[], object] | SignalInstance


def button(text: str, slot: Slot, *, tip: str = "", icon: QIcon | None = None) -> QPushButton:
    """A push button that calls `slot` when clicked (with `tip` as its tooltip)."""
    b = QPushButton(text) if icon is None else QPushButton(icon, text)
    if tip:
        b.setToolTip(plain_tooltip(tip))
    b.clicked.connect(slot)
    return b


def list_tree(name: str, accessible: str, columns: list[str] | tuple[str, ...], fit: tuple[int, ...],
              on_current: Callable[[], None]) -> QTreeWidget:
    """A flat list with column titles (the outbox, My tickets): the `fit` columns sized to their contents,
    `on_current()` called when the selected row changes."""
    tree = QTreeWidget()
    tree.setObjectName(name)
    tree.setAccessibleName(accessible)
    tree.setRootIsDecorated(False)
    tree.setHeaderLabels(list(columns))
    hdr = tree.header()
    for c in fit:
        hdr.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    tree.currentItemChanged.connect(lambda *_: on_current())
    return tree


def dialog_icon(widget: QWidget, pixmap: QStyle.StandardPixmap, size: int) -> QLabel:
    """A label showing `widget`'s standard icon `pixmap` at `size` x `size`, at the top of its space."""
    icon = plain_label()
    icon.setPixmap(widget.style().standardIcon(pixmap).pixmap(size, size))
    icon.setAlignment(Qt.AlignmentFlag.AlignTop)
    return icon


def icon_beside(outer: QBoxLayout, widget: QWidget, pixmap: QStyle.StandardPixmap, size: int) -> QVBoxLayout:
    """Add to `outer` a row of a dialog's icon (`dialog_icon`) and, beside it, a column taking the rest of the width;
    returns the column, for the title and text (made with `ui.plain`, so they stay plain text)."""
    row = QHBoxLayout()
    row.addWidget(dialog_icon(widget, pixmap, size))
    column = QVBoxLayout()
    row.addLayout(column, 1)
    outer.addLayout(row)
    return column
