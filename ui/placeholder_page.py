"""A page that says what is coming, for the app's sections that are not built yet."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from .plain import heading_label, plain_label


class PlaceholderPage(QWidget):
    def __init__(self, title: str, coming: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        heading = heading_label(title, 1.5)
        self.text = plain_label(coming, wrap=True)
        self.text.setMaximumWidth(640)
        soon = plain_label("Coming in a later version of Deskside.")
        soon.setStyleSheet("color: palette(placeholder-text);")
        lay.addWidget(heading)
        lay.addWidget(self.text)
        lay.addWidget(soon)
        lay.addStretch(1)
