"""The first-run welcome: what Deskside does, that nothing leaves the computer without being shown first, and where
to go next (buttons that open the Diagnostics, Get Help and Remote pages), with backend setup offered when neither
the user nor the organisation has configured a support backend.

A non-modal window over the main window: it blocks nothing, Esc or Close dismiss it. Signal `go(str)` with the
page key ("diagnostics", "help", "remote") or "backends" (Settings > Support backends).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from .plain import heading_label, plain_label
from .style import app_icon

INTRO = ("Deskside helps you find out what is wrong with this computer, reach other computers over SSH, and ask "
         "your support team for help.")
PROMISE = ("Nothing is sent without your say: before a ticket or a report leaves this computer, you see exactly "
           "what goes, with personal data and secrets masked.")


class WelcomeDialog(QDialog):
    go = Signal(str)

    def __init__(self, backend_configured: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        self.setWindowTitle("Welcome to Deskside")
        self.setModal(False)
        self.setMinimumWidth(620)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 16)
        lay.setSpacing(12)
        top = QHBoxLayout()
        icon = plain_label()
        icon.setPixmap(app_icon().pixmap(48, 48))
        top.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(heading_label("Welcome to Deskside", 1.5), 1)
        lay.addLayout(top)
        lay.addWidget(plain_label(INTRO, wrap=True))
        promise = plain_label(PROMISE, wrap=True, name="welcomePromise")
        lay.addWidget(promise)
        lay.addWidget(heading_label("Where to start"))
        self.buttons: dict[str, QPushButton] = {}
        for key, text, what in (
            ("diagnostics", "&Diagnose this computer", "Check the system, disks, network, logs and updates"),
            ("help", "&Get Help", "Describe a problem and send it to your support team, with a report"),
            ("remote", "&Remote", "Connect to another computer over SSH: terminal, files, tunnels"),
        ):
            self._choice(lay, key, text, what)
        self.setup_row: QWidget | None = None
        if not backend_configured:
            line = QFrame()
            line.setFrameShape(QFrame.Shape.HLine)
            lay.addWidget(line)
            self.setup_row = self._choice(
                lay, "backends", "&Set up a support backend…",
                "No helpdesk is set up yet: tell Deskside where to send tickets (Settings > Support backends)")
        close = QHBoxLayout()
        close.addStretch(1)
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.reject)
        close.addWidget(self.close_button)
        lay.addLayout(close)
        lay.addWidget(plain_label("You can open this again from Help > Welcome.", name="welcomeHint"))
        self.buttons["diagnostics"].setFocus()
        lay.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)  # wrapped lines are never cut off

    def _choice(self, lay: QVBoxLayout, key: str, text: str, what: str) -> QWidget:
        row = QWidget()
        h = QHBoxLayout(row)
        h.setContentsMargins(0, 0, 0, 0)
        b = QPushButton(text)
        b.setMinimumWidth(220)
        b.setAutoDefault(True)
        b.clicked.connect(lambda: self._go(key))
        self.buttons[key] = b
        h.addWidget(b)
        h.addWidget(plain_label(what, wrap=True), 1)
        lay.addWidget(row)
        return row

    def _go(self, key: str) -> None:
        self.go.emit(key)
        self.accept()
