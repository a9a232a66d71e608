"""The dialog shown when an unexpected error escapes somewhere in the app (a bug): what happened in plain words,
where the crash log was saved, and "Send crash log as a ticket…", which opens Get Help with the log attached
(masked and previewed there before anything is sent).

It only shows what `desktop/crash.py` gives it; saving the log happens on a worker thread there. Every text is
plain text (an exception message can hold anything)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QStyle, QVBoxLayout, QWidget

from .plain import heading_label, plain_label
from .widgets import icon_beside


class CrashDialog(QDialog):
    """Signals: `send_requested()` for "Send crash log as a ticket…"."""

    send_requested = Signal()

    def __init__(self, headline: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Deskside: unexpected error")
        self.setObjectName("crashDialog")
        self.setModal(False)
        self.more = 0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(18, 16, 18, 12)
        lay.setSpacing(10)
        text = icon_beside(lay, self, QStyle.StandardPixmap.SP_MessageBoxCritical, 40)
        self.title = heading_label("Something went wrong inside Deskside", 1.2, wrap=True)
        text.addWidget(self.title)
        self.what_label = plain_label(wrap=True, selectable=True, name="crashWhat")
        self.what_label.setText(
            f"An unexpected error stopped what Deskside was doing: {headline}. This is a bug in Deskside, not "
            "something you did. The rest of the app keeps working; if a page looks wrong, restart Deskside.")
        text.addWidget(self.what_label)
        self.where_label = plain_label(wrap=True, selectable=True, name="crashWhere")
        self.where_label.setText("Saving the crash log…")
        text.addWidget(self.where_label)
        self.more_label = plain_label(wrap=True, name="crashMore")
        self.more_label.setVisible(False)
        text.addWidget(self.more_label)
        self.privacy_label = plain_label(
            "Sending it to your support team is up to you: Get Help opens with the crash log attached, personal "
            "data and secrets in it are masked, and you see exactly what will be sent before anything leaves this "
            "computer.", wrap=True)
        text.addWidget(self.privacy_label)
        bar = QHBoxLayout()
        bar.addStretch(1)
        self.send_button = QPushButton("Send crash log as a ticket…")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        bar.addWidget(self.send_button)
        bar.addWidget(self.close_button)
        lay.addLayout(bar)
        self.resize(560, self.sizeHint().height())

    def set_saved(self, where: str) -> None:
        self.where_label.setText(f"The details (the crash log) were saved to {where}.")

    def set_not_saved(self, why: str) -> None:
        self.where_label.setText(f"The crash log could not be saved ({why}); it can still be sent as a ticket.")

    def add_more(self) -> None:
        """Another unexpected error arrived while this dialog is open (one dialog, not a flood of them)."""
        self.more += 1
        self.more_label.setText(f"{self.more} more unexpected error{'s' if self.more != 1 else ''} happened since; "
                                "the crash log has them all.")
        self.more_label.setVisible(True)

    def _send(self) -> None:
        self.send_requested.emit()
        self.accept()
