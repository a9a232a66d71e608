"""Dialogs of the Remote page: host key, password/passphrase, keyboard-interactive, host editor, ssh-config import.

None of them runs a nested event loop for the SSH side: the page opens them with `open()` and answers the worker's
question when `finished` fires (the worker thread waits, the GUI thread does not).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontDatabase, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from remote.hosts import HostProfile, HostsError, validate_profile

from .errors import MessageLine, user_message
from .path_edit import PathEdit
from .plain import plain_label
from .widgets import dialog_icon, icon_beside


def _mono(text: str) -> QLabel:
    label = plain_label(text)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class _HeldKeysFilter(QObject):
    """Swallows auto-repeated Enter/Return/Escape: a key still held down from before the question appeared (Enter
    in the quick-connect field, say) must not answer it. A fresh key press still does."""

    KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride) and isinstance(event, QKeyEvent):
            if event.isAutoRepeat() and event.key() in self.KEYS:
                event.accept()
                return True
        return False


def ignore_held_keys(dialog: QDialog) -> None:
    """Install the filter on the dialog and every widget in it (the focused one gets the key first)."""
    f = _HeldKeysFilter(dialog)
    dialog.installEventFilter(f)
    for w in dialog.findChildren(QWidget):
        w.installEventFilter(f)


def host_entry(hostname: str, port: int) -> str:
    return hostname if port == 22 else f"[{hostname}]:{port}"


def key_type_label(key_type: str) -> str:
    """The key type as OpenSSH names it in its prompt: ED25519, ECDSA, RSA..."""
    if key_type.startswith("ecdsa-"):
        return "ECDSA"
    if key_type.startswith("sk-ecdsa"):
        return "ECDSA-SK"
    if key_type.startswith("sk-ssh-ed25519"):
        return "ED25519-SK"
    name = key_type.removeprefix("ssh-").split("-cert")[0]
    return name.upper()


class HostKeyDialog(QDialog):
    """An unknown host key: shows the SHA256 fingerprint exactly as OpenSSH prints it. Cancel is the default."""

    def __init__(self, hostname: str, port: int, key_type: str, fingerprint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Unknown host key")
        self.fingerprint = fingerprint
        lay = QVBoxLayout(self)
        text = icon_beside(lay, self, QStyle.StandardPixmap.SP_MessageBoxQuestion, 32)
        text.addWidget(plain_label(f"The authenticity of host {host_entry(hostname, port)} can't be established.",
                                   wrap=True))
        text.addWidget(plain_label(f"{key_type_label(key_type)} key fingerprint is:", wrap=True))
        self.fingerprint_label = _mono(fingerprint)
        self.fingerprint_label.setObjectName("fingerprint")
        f = QFont(self.fingerprint_label.font())
        f.setBold(True)
        self.fingerprint_label.setFont(f)
        self.fingerprint_label.setContentsMargins(12, 6, 12, 6)
        self.fingerprint_label.setMinimumWidth(self.fingerprint_label.sizeHint().width())
        text.addWidget(self.fingerprint_label)
        text.addWidget(plain_label(
            "Compare it with the fingerprint the server's administrator gives you (on the server: "
            "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). Accepting stores the key in OpenSSH format, so "
            "that ssh agrees with Deskside. Nothing is sent to the server before you decide.",
            wrap=True,
        ))  # fmt: skip
        self.setMinimumWidth(max(520, self.fingerprint_label.sizeHint().width() + 90))
        buttons = QDialogButtonBox()
        self.accept_button = buttons.addButton("Trust and connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.accept_button.setAutoDefault(False)
        self.cancel_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        ignore_held_keys(self)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.cancel_button.setFocus()  # Enter must never trust a key by accident


class HostKeyRefusedDialog(QDialog):
    """A changed (or revoked) host key: a clear warning, what it may mean and how to fix it. No way to continue."""

    def __init__(self, message: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("WARNING: host key refused")
        lay = QVBoxLayout(self)
        lay.addWidget(dialog_icon(self, QStyle.StandardPixmap.SP_MessageBoxCritical, 32))
        title = plain_label("The server's host key does not match the one on record. Deskside did not connect.",
                            wrap=True)
        f = QFont(title.font())
        f.setBold(True)
        title.setFont(f)
        lay.addWidget(title)
        self.details = QPlainTextEdit(message)
        self.details.setReadOnly(True)
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setMinimumSize(680, 220)
        lay.addWidget(self.details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)


class SecretDialog(QDialog):
    """A password or key passphrase. The text is never logged and is dropped when the dialog closes."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label(prompt, wrap=True))
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        lay.addWidget(self.edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.edit.setFocus()
        ignore_held_keys(self)

    def value(self) -> str:
        return self.edit.text()


class KeyboardInteractiveDialog(QDialog):
    """Keyboard-interactive prompts (one-time codes...): one field per prompt, hidden unless the server says echo."""

    def __init__(self, title: str, instructions: str, prompts: list[tuple[str, bool]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title or "Authentication")
        self.setMinimumWidth(380)
        lay = QVBoxLayout(self)
        if instructions:
            lay.addWidget(plain_label(instructions, wrap=True))
        form = QFormLayout()
        self.edits: list[QLineEdit] = []
        for prompt, echo in prompts:
            edit = QLineEdit()
            if not echo:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            form.addRow(plain_label(prompt.strip()), edit)
            self.edits.append(edit)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        if self.edits:
            self.edits[0].setFocus()
        ignore_held_keys(self)

    def values(self) -> list[str]:
        return [e.text() for e in self.edits]


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class HostEditDialog(QDialog):
    """Add or edit an address-book entry. Invalid input is shown in the dialog; nothing is lost."""

    def __init__(self, profile: HostProfile | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Edit host" if profile else "Add host")
        p = profile or HostProfile(name="", hostname="")
        form = QFormLayout()
        self.name = QLineEdit(p.name)
        self.hostname = QLineEdit(p.hostname)
        self.user = QLineEdit(p.user)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(p.port)
        self.identity = QLineEdit(", ".join(p.identity_files))
        self.identity.setPlaceholderText("~/.ssh/id_ed25519  (empty: ssh-agent and the default keys)")
        self.identity_row = PathEdit(self.identity, "Identity file", "files", start_dir="~/.ssh")  # Choose… adds one
        self.jump = QLineEdit(", ".join(p.proxy_jump))
        self.jump.setPlaceholderText("user@jump1:22, jump2  (ProxyJump chain)")
        self.group = QLineEdit(p.group)
        self.tags = QLineEdit(", ".join(p.tags))
        self.keepalive = QSpinBox()
        self.keepalive.setRange(0, 3600)
        self.keepalive.setSuffix(" s")
        self.keepalive.setSpecialValueText("off")
        self.keepalive.setValue(p.keepalive_interval)
        self.keepalive_count = QSpinBox()
        self.keepalive_count.setRange(1, 100)
        self.keepalive_count.setValue(p.keepalive_count_max)
        self.notes = QPlainTextEdit(p.notes)
        self.notes.setMaximumHeight(70)
        for label, w in [
            ("Name", self.name), ("Host name", self.hostname), ("User", self.user), ("Port", self.port),
            ("Identity files", self.identity_row), ("Jump hosts", self.jump), ("Group", self.group),
            ("Tags", self.tags),
            ("Keepalive every", self.keepalive), ("Dead after (missed)", self.keepalive_count), ("Notes", self.notes),
        ]:  # fmt: skip
            form.addRow(label, w)
        self.error = MessageLine()
        self.error.hide()
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._try_accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self._profile: HostProfile | None = None

    def profile(self) -> HostProfile | None:
        return self._profile

    def _try_accept(self) -> None:
        p = HostProfile(
            name=self.name.text().strip(),
            hostname=self.hostname.text().strip(),
            user=self.user.text().strip(),
            port=self.port.value(),
            identity_files=_split_list(self.identity.text()),
            proxy_jump=_split_list(self.jump.text()),
            group=self.group.text().strip(),
            tags=_split_list(self.tags.text()),
            keepalive_interval=self.keepalive.value(),
            keepalive_count_max=self.keepalive_count.value(),
            notes=self.notes.toPlainText().strip(),
        )
        try:
            validate_profile(p)
        except HostsError as exc:
            self.error.show_error(user_message(exc))
            self.error.show()
            return
        self._profile = p
        self.accept()


class ImportDialog(QDialog):
    """Pick which ~/.ssh/config hosts to import; what Deskside cannot honour is listed, not dropped silently."""

    def __init__(self, profiles: list[HostProfile], not_honoured: list[str], existing: set[str],
                 parent: QWidget | None = None):  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Import from ~/.ssh/config")
        self._profiles = profiles
        lay = QVBoxLayout(self)
        lay.addWidget(plain_label(f"{len(profiles)} host(s) found. Hosts already in the address book are replaced.",
                                  wrap=True))
        self.list = QListWidget()
        for p in profiles:
            item = QListWidgetItem(f"{p.name}    {p.display()}" + (f"  via {', '.join(p.proxy_jump)}" if p.proxy_jump
                                                                  else ""))  # fmt: skip
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if p.name not in existing else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        # Wide enough for the entries (host, address, jump hosts) without sideways scrolling, within reason.
        widest = self.list.sizeHintForColumn(0) if self.list.count() else 0
        self.list.setMinimumWidth(min(max(420, widest + 2 * self.list.frameWidth() + 24), 900))
        lay.addWidget(self.list)
        if not_honoured:
            lay.addWidget(plain_label("Not honoured by Deskside:", wrap=True))
            notes = QPlainTextEdit("\n".join(not_honoured))
            notes.setReadOnly(True)
            notes.setMaximumHeight(120)
            self.notes = notes
            lay.addWidget(notes)
        self.replace = QCheckBox("Replace hosts with the same name")
        self.replace.setChecked(True)
        lay.addWidget(self.replace)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def chosen(self) -> list[HostProfile]:
        return [p for i, p in enumerate(self._profiles) if self.list.item(i).checkState() == Qt.CheckState.Checked]
