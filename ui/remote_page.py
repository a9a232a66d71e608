"""(Long because: the page and its connection view share the session wiring and the keyboard chords.)
The Remote page: the address book on the left, one tab per connection on the right. A connection tab holds
terminal tabs (a real terminal emulator), a file pane and a tunnels panel.

Every SSH operation goes to the session object injected by `desktop/` (one worker thread per connection); the page
only reacts to its signals, so the GUI thread never waits on the network. Questions the SSH side asks (host key,
password, passphrase, one-time codes) are shown as dialogs opened with `open()`, answered when they close.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from remote.hosts import HostProfile

from .plain import heading_label, plain_label, plain_tooltip
from .remote_dialogs import HostKeyDialog, HostKeyRefusedDialog, KeyboardInteractiveDialog, SecretDialog
from .remote_files import FilePane
from .remote_hosts import AddressBookPanel
from .remote_services import AuthKind, AuthQuestion, RemoteServices, RemoteSession, SessionState
from .remote_tunnels import TunnelsPanel
from .terminal import TerminalWidget
from .theme import readable
from .widgets import button

STATE_COLOURS = {
    SessionState.CONNECTING: "#1e88e5",
    SessionState.CONNECTED: "#2e7d32",
    SessionState.FAILED: "#c62828",
    SessionState.REFUSED: "#c62828",
    SessionState.LOST: "#ef8f00",
    SessionState.CLOSED: "#5b6272",
}


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


def _notice(text: str) -> bytes:
    """A line for the terminal: yellow, on a line of its own; a message of several lines stays in its column."""
    text = text.strip().replace("\r\n", "\n").replace("\n", "\r\n")
    return f"\r\n\x1b[0;33m[{text}]\x1b[0m\r\n".encode()


SIDE_MIN = 220  # pixels: a narrower file pane is collapsed rather than squeezed


class SessionView(QWidget):
    """One connection: status bar, terminal tabs, files and tunnels."""

    state_changed = Signal(object, str)  # SessionState, message
    dialog_opened = Signal(object)  # the dialog, for whoever wants to watch (tests, screenshots)
    diagnose_requested = Signal(object)  # this view: "Run diagnostics" on its host (desktop/ runs them)

    def __init__(self, session: RemoteSession, download_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.state = SessionState.NEW
        self.message = ""
        self.terminals: dict[int, TerminalWidget] = {}
        self.dialog: QDialog | None = None
        self._want_terminal = True
        self._sized = False
        self._closing = False  # Disconnect or closing the tab was asked: the session no longer counts as open

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.status = plain_label(f"{session.profile.name}: not connected", wrap=True)
        self.new_terminal_button = button("New terminal", self.new_terminal)
        self.reconnect_button = button("Reconnect", self.reconnect)
        self.disconnect_button = button("Disconnect", self.disconnect_session)
        self.diagnose_button = QPushButton("Run diagnostics")
        self.diagnose_button.setToolTip("Run the diagnostics on this host over SSH; the report opens on the "
                                        "Diagnostics page")
        self.diagnose_button.clicked.connect(lambda: self.diagnose_requested.emit(self))
        bar.addWidget(self.status, 1)
        for b in (self.new_terminal_button, self.diagnose_button, self.reconnect_button, self.disconnect_button):
            bar.addWidget(b)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.terminal_tabs = QTabWidget()
        self.terminal_tabs.setTabsClosable(True)
        self.terminal_tabs.setDocumentMode(True)
        self.terminal_tabs.tabCloseRequested.connect(self._close_terminal_tab)
        self.side = QTabWidget()
        self.files = FilePane(session, download_dir)
        self.tunnels = TunnelsPanel(session)
        self.side.addTab(self.files, "Files")
        self.side.addTab(self.tunnels, "Tunnels")
        # The file pane joins the Tab chain before the terminal, which keeps Tab for the shell: from the buttons
        # (Ctrl+Shift+L) Tab walks the file pane and ends in the terminal. On screen the terminal is on the left.
        split.addWidget(self.side)
        split.insertWidget(0, self.terminal_tabs)
        split.setStretchFactor(0, 1)  # the terminal takes what the window gains
        split.setStretchFactor(1, 0)
        split.setCollapsible(0, False)
        split.setSizes([700, 300])
        self.split = split
        lay.addWidget(split, 1)
        self._make_shortcuts()

        session.state_changed.connect(self._on_state)
        session.auth_requested.connect(self._on_auth)
        session.shell_opened.connect(self._on_shell_opened)
        session.shell_output.connect(self._on_shell_output)
        session.shell_closed.connect(self._on_shell_closed)
        self._update_buttons()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._sized and self.isVisible() and self.split.width() > 200:
            self._sized = True  # once laid out; after that the user's splitter position is kept
            self._size_panes()

    def _size_panes(self) -> None:
        """The terminal gets the space: 80 columns (or two thirds) first, the file pane what is left, at least
        SIDE_MIN pixels; with less room than that the file pane is collapsed (Ctrl+Shift+E brings it back)."""
        total = max(self.split.width(), 400)
        current = self.current_terminal()
        want = max(current.width_for_columns(80) if current is not None else 0, int(total * 2 / 3))
        side = total - want
        self.split.setSizes([total, 0] if side < SIDE_MIN else [want, side])

    def _make_shortcuts(self) -> None:
        """Application chords that no program needs (Ctrl+Shift+letter sends the same byte as Ctrl+letter): the
        terminal leaves them to these actions. Tab and Ctrl+Tab stay in the terminal."""
        self.shortcut_actions: dict[str, QAction] = {}
        for name, key, slot in (
            ("New terminal", "Ctrl+Shift+T", self.new_terminal),
            ("Show or hide the file pane", "Ctrl+Shift+E", self.toggle_side),
            ("Move the file pane (right or below)", "Ctrl+Shift+M", self.move_side),
            ("Leave the terminal (focus the buttons)", "Ctrl+Shift+L", self.leave_terminal),
            ("Back to the terminal", "Ctrl+Shift+K", self.focus_terminal),
            ("Previous terminal tab", "Ctrl+Shift+PgUp", lambda: self._cycle_tab(-1)),
            ("Next terminal tab", "Ctrl+Shift+PgDown", lambda: self._cycle_tab(1)),
        ):
            a = QAction(name, self)
            a.setShortcut(QKeySequence(key))
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            a.triggered.connect(slot)
            self.addAction(a)
            self.shortcut_actions[key] = a
        self.new_terminal_button.setToolTip("Open another shell on this host (Ctrl+Shift+T)")

    def toggle_side(self) -> None:
        sizes = self.split.sizes()
        if sizes[1] == 0:
            total = sum(sizes)
            self.split.setSizes([total - max(SIDE_MIN, total // 3), max(SIDE_MIN, total // 3)])
            self.side.setFocus()
        else:
            self.split.setSizes([sum(sizes), 0])
            self.focus_terminal()

    def move_side(self) -> None:
        vertical = self.split.orientation() == Qt.Orientation.Horizontal
        self.split.setOrientation(Qt.Orientation.Vertical if vertical else Qt.Orientation.Horizontal)
        total = sum(self.split.sizes())
        self.split.setSizes([total * 2 // 3, total - total * 2 // 3])

    def leave_terminal(self) -> None:
        self.new_terminal_button.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_terminal(self) -> None:
        term = self.current_terminal()
        if term is not None:
            term.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _cycle_tab(self, step: int) -> None:
        n = self.terminal_tabs.count()
        if n:
            self.terminal_tabs.setCurrentIndex((self.terminal_tabs.currentIndex() + step) % n)
            self.focus_terminal()

    # -- connection ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        self._closing = False
        self.session.start()

    def reconnect(self) -> None:
        self._want_terminal = True
        self._closing = False
        self.session.reconnect()

    def disconnect_session(self) -> None:
        self._want_terminal = False
        self._closing = True
        self.session.close()

    def _on_state(self, state: SessionState | str, message: str) -> None:
        state = SessionState(state)
        self.state, self.message = state, message
        colour = STATE_COLOURS.get(state, "#5b6272")
        # One line here (a refused host key's explanation has six; the dialog shows them), all of it on hover.
        self.status.setText(f"● {first_line(message) or state}")
        self.status.setToolTip(plain_tooltip(message.strip()) if "\n" in message.strip() else "")
        self.status.setStyleSheet(f"color: {readable(colour)};")
        if state is SessionState.CONNECTED:
            if self._want_terminal and all(t.isReadOnly() for t in self.terminals.values()):
                self.new_terminal()
            self._want_terminal = False
            self.files.refresh()
        elif state.ended:
            if self.dialog is not None:
                self.dialog.reject()
            for term in self.terminals.values():
                if not term.isReadOnly():
                    term.feed(_notice(message or state))
                    term.setReadOnly(True)
        if state is SessionState.REFUSED:
            dlg = HostKeyRefusedDialog(message, self)
            self._show(dlg)
        self._update_buttons()
        self.state_changed.emit(state, message)

    def _update_buttons(self) -> None:
        connected = self.state is SessionState.CONNECTED
        self.new_terminal_button.setEnabled(connected)
        self.diagnose_button.setEnabled(connected)
        self.reconnect_button.setEnabled(self.state.ended and self.state is not SessionState.CLOSED)
        self.disconnect_button.setEnabled(self.state in (SessionState.CONNECTING, SessionState.CONNECTED))
        self.files.setEnabled(connected)
        self.tunnels.setEnabled(connected)

    # -- authentication questions --------------------------------------------------------------------------------
    def _show(self, dlg: QDialog) -> None:
        self.dialog = dlg
        dlg.finished.connect(lambda _r: self._dialog_closed(dlg))
        dlg.open()
        self.dialog_opened.emit(dlg)

    def _dialog_closed(self, dlg: QDialog) -> None:
        if self.dialog is dlg:
            self.dialog = None
        dlg.deleteLater()

    def _on_auth(self, req: AuthQuestion) -> None:
        f = req.fields
        dlg: QDialog
        if req.kind == AuthKind.HOST_KEY:
            dlg = HostKeyDialog(f["hostname"], int(f["port"]), f["key_type"], f["fingerprint"], self)
            dlg.finished.connect(lambda r: req.answer(r == QDialog.DialogCode.Accepted))
        elif req.kind == AuthKind.PASSWORD:
            dlg = SecretDialog("Password", f.get("prompt") or "Password:", self)
            dlg.finished.connect(lambda r: req.answer(dlg.value() if r == QDialog.DialogCode.Accepted else None))
        elif req.kind == AuthKind.PASSPHRASE:
            dlg = SecretDialog("Key passphrase", f"Passphrase for the key {f['key_path']}:", self)
            dlg.finished.connect(lambda r: req.answer(dlg.value() if r == QDialog.DialogCode.Accepted else None))
        elif req.kind == AuthKind.KEYBOARD_INTERACTIVE:
            dlg = KeyboardInteractiveDialog(f.get("title", ""), f.get("instructions", ""), f.get("prompts", []), self)
            dlg.finished.connect(lambda r: req.answer(dlg.values() if r == QDialog.DialogCode.Accepted else None))
        else:
            req.answer(None)
            return
        self._show(dlg)

    # -- terminals -----------------------------------------------------------------------------------------------
    def new_terminal(self) -> TerminalWidget:
        term = TerminalWidget()
        term.setAccessibleName(f"Terminal on {self.session.profile.name}")
        idx = self.terminal_tabs.addTab(term, f"{self.session.profile.name} ({len(self.terminals) + 1})")
        self.terminal_tabs.setCurrentIndex(idx)
        # Lay the tab out now, so that the shell starts with the size the user sees: what the server prints at
        # once (the login message, the first prompt) is then not wrapped for 80 columns.
        page = term.parentWidget()
        layout = page.layout() if page is not None else None
        if layout is not None and term.isVisible():
            layout.activate()
        sid = self.session.open_shell(term.cols(), term.rows())
        self.terminals[sid] = term
        term.bytes_to_send.connect(lambda data, sid=sid: self.session.send(sid, data))
        term.resized.connect(lambda c, r, sid=sid: self.session.resize(sid, c, r))
        term.title_changed.connect(lambda t, term=term: self._set_title(term, t))
        term.setFocus()
        return term

    def _set_title(self, term: TerminalWidget, title: str) -> None:
        idx = self.terminal_tabs.indexOf(term)
        if idx >= 0 and title:
            # A tab text treats "&" as a mnemonic (hidden, and Alt+letter would switch tabs): show it as typed.
            self.terminal_tabs.setTabText(idx, title[:40].replace("&", "&&"))
            self.terminal_tabs.setTabToolTip(idx, plain_tooltip(title))  # the remote program chose it

    def current_terminal(self) -> TerminalWidget | None:
        w = self.terminal_tabs.currentWidget()
        return w if isinstance(w, TerminalWidget) else None

    def _on_shell_opened(self, sid: int) -> None:
        term = self.terminals.get(sid)
        if term is not None:
            # The widget may have been laid out since the shell was asked for: send its real size.
            self.session.resize(sid, term.cols(), term.rows())

    def _on_shell_output(self, sid: int, data: bytes) -> None:
        term = self.terminals.get(sid)
        if term is not None:
            term.feed(data)

    def _on_shell_closed(self, sid: int, why: str) -> None:
        term = self.terminals.get(sid)
        if term is not None and not term.isReadOnly():
            term.feed(_notice(why))
            term.setReadOnly(True)

    def _close_terminal_tab(self, idx: int) -> None:
        term = self.terminal_tabs.widget(idx)
        for sid, t in list(self.terminals.items()):
            if t is term:
                self.session.close_shell(sid)
                del self.terminals[sid]
        self.terminal_tabs.removeTab(idx)
        if term is not None:
            term.deleteLater()

    def is_open(self) -> bool:
        """Connected or connecting, and not being closed."""
        return not self._closing and self.state in (SessionState.CONNECTING, SessionState.CONNECTED)

    def shutdown(self) -> None:
        self._closing = True
        if self.dialog is not None:
            self.dialog.reject()
        self.session.close()


class RemotePage(QWidget):
    """Address book + connection tabs. `services` comes from desktop/ (see ui/remote_services.py)."""

    session_started = Signal(object)  # SessionView
    diagnose_requested = Signal(object)  # SessionView whose "Run diagnostics" was pressed
    status_message = Signal(str)  # shown in the main window's status bar

    def __init__(self, services: RemoteServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.views: list[SessionView] = []
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        heading = heading_label("Hosts", 1.2)
        left_lay.addWidget(heading)
        self.book_panel = AddressBookPanel(services.book, services.import_ssh_config, services.ssh_config_path,
                                           resolve=services.resolve, tasks=services.tasks)  # fmt: skip
        self.book_panel.connect_requested.connect(self.connect_to)
        self.book_panel.save_secrets.setChecked(services.save_secrets)
        self.book_panel.save_secrets.setVisible(services.set_save_secrets is not None)
        self.book_panel.save_secrets.toggled.connect(self._save_secrets_toggled)
        left_lay.addWidget(self.book_panel, 1)
        split.addWidget(left)

        self.stack = QStackedWidget()
        self.empty = plain_label("Pick a host and press Connect.\n\nEach connection opens here with its terminals, "
                                 "its files and its tunnels.")  # fmt: skip
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(placeholder-text);")
        self.sessions = QTabWidget()
        self.sessions.setTabsClosable(True)
        self.sessions.tabCloseRequested.connect(self.close_session)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.sessions)
        split.addWidget(self.stack)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 1000])
        self.split = split
        lay.addWidget(split)
        hosts = QAction("Show or hide the host list", self)
        hosts.setShortcut(QKeySequence("Ctrl+Shift+H"))
        hosts.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        hosts.triggered.connect(self.toggle_hosts)
        self.addAction(hosts)
        self.hosts_action = hosts

    def toggle_hosts(self) -> None:
        """The host list folds away so that the terminal gets the width (it folds by itself on connecting)."""
        sizes = self.split.sizes()
        total = sum(sizes)
        self.split.setSizes([0, total] if sizes[0] else [260, total - 260])
        if sizes[0] == 0:
            self.book_panel.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _save_secrets_toggled(self, on: bool) -> None:
        problem = self.services.set_save_secrets(on) if self.services.set_save_secrets is not None else ""
        self.book_panel._show_error(problem or self._keyring_note())

    def _keyring_note(self) -> str:
        """When passwords should be remembered but the keyring does not work, say so (once a connection found
        out), rather than asking for the password every time without a word."""
        problem = self.services.secrets_problem() if self.services.secrets_problem is not None else ""
        if problem and self.book_panel.save_secrets.isChecked():
            return f"Passwords are not remembered: {problem}."
        return ""

    def _show_keyring_note(self) -> None:
        note = self._keyring_note()
        if note:
            self.book_panel._show_error(note)

    def connect_to(self, profile: HostProfile) -> SessionView:
        session = self.services.new_session(profile)
        view = SessionView(session, self.services.download_dir)
        self.views.append(view)
        idx = self.sessions.addTab(view, profile.name)
        self.sessions.setTabToolTip(idx, plain_tooltip(profile.display()))
        view.state_changed.connect(lambda state, _m, view=view: self._tab_state(view, state))
        view.diagnose_requested.connect(self.diagnose_requested)
        self.sessions.setCurrentIndex(idx)
        self.stack.setCurrentWidget(self.sessions)
        if self.split.sizes()[0]:
            self.toggle_hosts()  # the terminal gets the width; Ctrl+Shift+H brings the host list back
        self.session_started.emit(view)
        view.start()
        return view

    def _tab_state(self, view: SessionView, state: SessionState) -> None:
        if state in (SessionState.CONNECTED, SessionState.FAILED):
            self._show_keyring_note()
        name = view.session.profile.name
        self.status_message.emit(f"{name}: {first_line(view.message) or state}")  # the status bar has one line
        idx = self.sessions.indexOf(view)
        if idx >= 0:
            self.sessions.setTabText(idx, name if state is SessionState.CONNECTED else f"{name} ({state})")

    def close_session(self, idx: int) -> None:
        view = self.sessions.widget(idx)
        if isinstance(view, SessionView):
            view.shutdown()
            self.views.remove(view)
        self.sessions.removeTab(idx)
        if view is not None:
            view.deleteLater()
        if self.sessions.count() == 0:
            self.stack.setCurrentWidget(self.empty)

    def open_work(self) -> list[tuple[int, str]]:
        """What quitting would close: open connections, their running tunnels and transfers (the main window asks
        before quitting when there are any)."""
        open_views = [v for v in self.views if v.is_open()]
        return [(len(open_views), "SSH session"),
                (sum(v.tunnels.running_count() for v in open_views), "tunnel"),
                (sum(v.files.running_count() for v in open_views), "transfer")]

    def shutdown(self, wait: float = 0.0) -> None:
        """Close every connection. The app calls this when it quits, with `wait` seconds (in all) for the
        connections to close cleanly; otherwise it returns at once."""
        for view in list(self.views):
            view.shutdown()
        deadline = time.monotonic() + wait
        for view in list(self.views):
            join = getattr(view.session, "wait", None)
            left = deadline - time.monotonic()
            if join is not None and left > 0:
                join(left)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
