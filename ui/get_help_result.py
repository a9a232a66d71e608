"""The last step of a new ticket: what became of it (created with its link, sent, held in the outbox, refused), in
words and with what to do next."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QStyle, QVBoxLayout, QWidget

from tickets.outbox import OutboxEntry
from tickets.secrets import NO_KEYRING

from .outbox_view import STATE_LABELS, safe_link
from .plain import heading_label, plain_label, rich_label
from .widgets import button


class ResultStep(QWidget):
    """Signals: `new_ticket()` and `show_outbox()` for its two buttons."""

    new_ticket = Signal()
    show_outbox = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 24, 24, 12)
        self.result_icon = plain_label()
        self.result_title = heading_label("", 1.3)
        self.result_title.setObjectName("resultTitle")
        head = QHBoxLayout()
        head.addWidget(self.result_icon)
        head.addWidget(self.result_title, 1)
        lay.addLayout(head)
        self.result_text = rich_label("resultText")
        self.result_text.linkActivated.connect(open_url)
        lay.addWidget(self.result_text)
        bar = QHBoxLayout()
        self.new_button = button("New ticket", self.new_ticket)
        self.show_outbox_button = button("Show the outbox", self.show_outbox)
        bar.addWidget(self.new_button)
        bar.addWidget(self.show_outbox_button)
        bar.addStretch(1)
        lay.addLayout(bar)
        lay.addStretch(1)

    def show_entry(self, e: OutboxEntry, backend: str) -> str:
        """Show what became of ticket `e` (sent to `backend`, a title); returns the line for the status bar."""
        esc = html.escape
        if e.state == "sent":
            icon = QStyle.StandardPixmap.SP_DialogApplyButton
            if e.remote_url:
                title = f"Ticket {e.remote_id} created"
                parts = [f"Your support team received it in {esc(backend)}.", f"Open it: {safe_link(e.remote_url)}"]
            else:  # e-mail and webhooks without a ticket page
                title = "Ticket sent"
                parts = [f"It was delivered to {esc(backend)} (reference {esc(e.remote_id)}); your support team "
                         "answers by e-mail or in their helpdesk."]
            if e.last_error:
                parts.append(f"Note: {esc(e.last_error)}")
        elif e.state == "held":
            icon, title = QStyle.StandardPixmap.SP_MessageBoxInformation, "Saved — waiting in the outbox"
            parts = ["No support backend is configured, so nothing was sent."]
            if e.bundle_path:
                folder = QUrl.fromLocalFile(str(Path(e.bundle_path).parent)).toString()
                parts.append(f"The support bundle was saved to <b>{esc(e.bundle_path)}</b> "
                             f'(<a href="{esc(folder, quote=True)}">open the folder</a>).')
            parts.append(f"The ticket waits in the outbox as #{e.id}. Set up a backend with Support backends…, "
                         "then select the ticket in the Outbox tab and press Retry.")
        elif e.state in ("retry", "queued"):
            icon, title = QStyle.StandardPixmap.SP_MessageBoxWarning, "Not sent yet — waiting in the outbox"
            parts = [esc(e.last_error) if e.last_error else "",
                     f"Nothing is lost: the ticket waits in the outbox as #{e.id} and is retried automatically "
                     "(or press Retry in the Outbox tab)."]
        elif e.state == "uncertain":
            icon, title = QStyle.StandardPixmap.SP_MessageBoxWarning, "Check the support system"
            parts = [esc(e.last_error)]
        elif NO_KEYRING in e.last_error:  # not a refusal: the credentials could not even be read
            icon, title = QStyle.StandardPixmap.SP_MessageBoxWarning, "Not sent: no keyring for the password or token"
            parts = [esc(e.last_error),
                     f"Nothing is lost: it waits in the outbox as #{e.id}. Once a keyring is running (or the secret is "
                     "given in the environment), press Retry in the Outbox tab."]
        else:
            icon, title = QStyle.StandardPixmap.SP_MessageBoxCritical, "The ticket was not accepted"
            parts = [esc(e.last_error),
                     f"Nothing is lost: it waits in the outbox as #{e.id}. Fix the problem (Support backends…), "
                     "then press Retry in the Outbox tab."]
        self.result_icon.setPixmap(self.style().standardIcon(icon).pixmap(40, 40))
        self.result_title.setText(title)
        self.result_text.setText("<p>" + "</p><p>".join(p for p in parts if p) + "</p>")
        state = STATE_LABELS.get(e.state, e.state)
        return f"Ticket #{e.id}: {state}" + (f" as {e.remote_id}" if e.state == "sent" else "")


def open_url(url: str) -> None:
    """Open a link of the result text: web pages and the bundle's folder (both made or escaped by us)."""
    u = QUrl(url)
    if u.scheme() in ("http", "https", "file"):
        QDesktopServices.openUrl(u)
