"""A page that says what is coming, for the app's sections that are not built yet."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPage(QWidget):
    def __init__(self, title: str, coming: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        heading = QLabel(title)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        f = QFont(heading.font())
        f.setPointSizeF(f.pointSizeF() * 1.5)
        f.setBold(True)
        heading.setFont(f)
        self.text = QLabel(coming)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setWordWrap(True)
        self.text.setMaximumWidth(640)
        soon = QLabel("Coming in a later version of Deskside.")
        soon.setTextFormat(Qt.TextFormat.PlainText)
        soon.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(heading)
        lay.addWidget(self.text)
        lay.addWidget(soon)
        lay.addStretch(1)
