"""Two notes of the Get Help page: the outbox was repaired at start (what happened, what was saved), and a crash
log is attached to the ticket being written (with Remove). Plain text only."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from .plain import plain_label

OUTBOX_TAB_SEE = "The Outbox tab shows what it holds now."  # where the GUI shows the repaired outbox


class RepairBanner(QFrame):
    """Shown when the outbox file was found damaged, moved aside and salvaged (tickets/outbox_repair.py).
    Signals: `show_outbox()`."""

    show_outbox = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("repairBanner")
        self.setStyleSheet("QFrame#repairBanner { background: #fff4e0; border: 1px solid #ef8f00; "
                           "border-radius: 4px; } QFrame#repairBanner QLabel { color: #4a3500; }")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        self.label = plain_label(wrap=True, selectable=True, name="repairLabel")
        lay.addWidget(self.label, 1)
        self.show_button = QPushButton("Show the outbox")
        self.show_button.clicked.connect(self.show_outbox)
        self.ok_button = QPushButton("OK")
        self.ok_button.setToolTip("Hide this note (the damaged copy stays where it was moved)")
        self.ok_button.clicked.connect(lambda: self.setVisible(False))
        lay.addWidget(self.show_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.ok_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setVisible(False)

    def show_message(self, message: str) -> None:
        self.label.setText(f"The outbox was repaired when it was opened. {message}")
        self.setVisible(True)


class CrashAttachment(QFrame):
    """"Attached: the crash log …" under the form, with Remove (the page connects `remove_button`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashAttachment")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 4)
        self.label = plain_label(wrap=True, name="crashLabel")
        lay.addWidget(self.label, 1)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Send the ticket without the crash log")
        lay.addWidget(self.remove_button)
        self.setVisible(False)

    def show_log(self, name: str, lines: int) -> None:
        self.label.setText(f"Attached: the crash log ({name}, {lines} lines). It is masked like everything else: "
                           "check it in the preview before you send.")
        self.setVisible(True)
