"""The main window: a navigation sidebar on the left, the selected page on the right, a status bar below.

Pages are registered with one call, `window.add_page(key, title, widget)` (desktop/app.py lists them); `widget` may
be a factory (a callable returning the widget), and then the page is built when it is first shown or asked for
(`page(key)`), so the window paints before the other pages (and the modules they import) exist. A page that has a
`status_message` signal gets its messages shown in the status bar. `when_built(key, fn)` runs `fn(widget)` once
the page exists (at once if it does already): wiring between pages uses it.

Quitting (Ctrl+Q, File > Quit, closing the window) asks first when a page says work is open: a page's
`open_work()` returns [(count, "SSH session"), (count, "tunnel")...], and the question lists them all
("1 SSH session and 1 tunnel are open. Quit and close them?", as Remmina and Tabby ask). Nothing open: no question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from .plain import plain_label, plain_message_box, plain_tooltip
from .style import app_icon
from .theme import ensure_style

DEFAULT_SIZE = QSize(1100, 720)


PageFactory = Callable[[], QWidget]


@dataclass
class PageEntry:
    key: str
    title: str
    widget: QWidget  # the page, or an empty stand-in until `factory` has built it
    item: QListWidgetItem
    factory: PageFactory | None = None  # set while the page is not built yet


class MainWindow(QMainWindow):
    page_built = Signal(str, object)  # key, the page widget: a lazily registered page was just built
    first_painted = Signal()  # the window was painted for the first time (work that can wait waits for it)

    def __init__(self, version: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            ensure_style(app)  # the focus ring and Enter on buttons, whichever theme the app chose
        self.version = version
        self.setWindowTitle("Deskside")
        self.setWindowIcon(app_icon())
        self.resize(DEFAULT_SIZE)
        self.setMinimumSize(760, 480)

        central = QWidget()
        lay = QHBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setAccessibleName("Navigation")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(170)
        self.nav.setSpacing(2)
        self.nav.setStyleSheet(
            "QListWidget#navigation { border: none; border-right: 1px solid palette(mid);"
            " background: palette(window); padding-top: 8px; outline: 0; }"
            "QListWidget#navigation::item { padding: 7px 10px; margin: 0 6px; border-radius: 4px; }"
            "QListWidget#navigation::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }"
            "QListWidget#navigation::item:hover:!selected { background: palette(midlight); }"
            # The keyboard focus: a ring round the current entry while the sidebar has the focus.
            "QListWidget#navigation::item:focus { border: 2px solid palette(highlight); padding: 5px 8px; }"
            "QListWidget#navigation::item:selected:focus { border: 2px solid palette(window-text); }"
        )
        self.stack = QStackedWidget()
        lay.addWidget(self.nav)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.nav.currentRowChanged.connect(self._page_changed)
        self._pages: dict[str, PageEntry] = {}
        self._last_status: dict[str, str] = {}
        self._when_built: dict[str, list[Callable[[QWidget], object]]] = {}
        self._painted = False

        self.status_text = plain_label("Ready")
        self.statusBar().addWidget(self.status_text, 1)
        self.statusBar().addPermanentWidget(plain_label(f"Deskside {version}"))
        self.about_box: QMessageBox | None = None
        self.quit_question: QMessageBox | None = None  # open while "Quit and close them?" waits for an answer
        self._quit_confirmed = False
        self._build_menus()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.file_menu = file_menu
        quit_action = QAction("&Quit", self)
        # Ctrl+Shift+Q too: inside a terminal Ctrl+Q belongs to the program (XON), Ctrl+Shift chords to the window.
        # (Ctrl+Q itself, as the platform's Quit key is empty on some platforms, e.g. offscreen.)
        keys = [QKeySequence("Ctrl+Q"), QKeySequence("Ctrl+Shift+Q")]
        keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) if k not in keys]
        quit_action.setShortcuts(keys)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.quit_action = quit_action
        self.go_menu = self.menuBar().addMenu("&Go")
        help_menu = self.help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About Deskside", self)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    # ---------------------------------------------------------------- pages
    def add_page(self, key: str, title: str, widget: QWidget | PageFactory, icon: QIcon | None = None,
                 tooltip: str = "") -> QWidget:
        """Register a page: it gets a sidebar entry, a Go-menu entry with Ctrl+<n>, and the status bar. With a
        factory instead of a widget, the page is built when first shown (returns the stand-in until then)."""
        if key in self._pages:
            raise ValueError(f"a page named {key!r} is already registered")
        item = QListWidgetItem(icon or QIcon(), title)
        item.setToolTip(plain_tooltip(tooltip or title))
        item.setData(Qt.ItemDataRole.UserRole, key)
        factory: PageFactory | None = None
        if not isinstance(widget, QWidget):
            factory, widget = widget, QWidget()
            widget.setObjectName(f"unbuilt-{key}")
        self._pages[key] = PageEntry(key, title, widget, item, factory)
        self.stack.addWidget(widget)
        self.nav.addItem(item)  # after the entry exists: the first item becomes current (and is built) here
        n = len(self._pages)
        go = QAction(title, self)
        if n <= 9:  # Ctrl+Shift+<n> too: the terminal leaves Ctrl+Shift chords to the window (Ctrl+<n> is its own)
            go.setShortcuts([QKeySequence(f"Ctrl+{n}"), QKeySequence(f"Ctrl+Shift+{n}")])
        go.triggered.connect(lambda: self.show_page(key))
        self.go_menu.addAction(go)
        if factory is None:
            self._page_ready(key)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)
        return widget

    def _page_ready(self, key: str) -> None:
        widget = self._pages[key].widget
        status = getattr(widget, "status_message", None)
        if status is not None:
            status.connect(self._page_status(key))
        for fn in self._when_built.pop(key, []):
            fn(widget)

    def _build(self, key: str) -> QWidget:
        """The page of `key`, built now if it was registered as a factory."""
        entry = self._pages[key]
        if entry.factory is not None:
            factory, entry.factory = entry.factory, None
            stand_in = entry.widget
            widget = factory()
            index = self.stack.indexOf(stand_in)
            current = self.stack.currentWidget() is stand_in
            self.stack.insertWidget(index, widget)
            entry.widget = widget
            if current:
                self.stack.setCurrentWidget(widget)
            self.stack.removeWidget(stand_in)
            stand_in.deleteLater()
            self._page_ready(key)
            self.page_built.emit(key, widget)
        return entry.widget

    def is_built(self, key: str) -> bool:
        return self._pages[key].factory is None

    def when_built(self, key: str, fn: Callable[[QWidget], object]) -> None:
        """Call `fn(page)` once the page `key` exists: now if it is built, else when it is first shown or asked
        for. An unknown key is ignored (the page is not part of this window)."""
        if key not in self._pages:
            return
        if self.is_built(key):
            fn(self._pages[key].widget)
        else:
            self._when_built.setdefault(key, []).append(fn)

    def _page_status(self, key: str) -> Callable[[str], None]:
        def show(text: str) -> None:
            self._last_status[key] = text
            if self.current_page_key() == key:
                self.status_text.setText(text)

        return show

    def _page_changed(self, row: int) -> None:
        key = self.current_page_key()
        if key is not None:
            self._build(key)
        self.stack.setCurrentIndex(row)
        self.status_text.setText(self._last_status.get(key or "", "Ready"))

    def page(self, key: str) -> QWidget:
        """The page of `key` (built now if it was not yet); KeyError for a page that is not registered."""
        return self._build(key)

    def page_keys(self) -> list[str]:
        return list(self._pages)

    def show_page(self, key: str) -> None:
        self.nav.setCurrentItem(self._pages[key].item)

    def current_page_key(self) -> str | None:
        item = self.nav.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            # Once this frame is painted (the pages are painted after the window itself) and shown.
            QTimer.singleShot(0, self.first_painted.emit)
        return handled

    # ---------------------------------------------------------------- quitting
    def open_work(self) -> list[tuple[int, str]]:
        """What the built pages have open (connections, tunnels, transfers), as (count, noun) pairs."""
        out: list[tuple[int, str]] = []
        for entry in self._pages.values():
            ask = getattr(entry.widget, "open_work", None) if entry.factory is None else None
            if ask is not None:
                out.extend((n, noun) for n, noun in ask() if n > 0)
        return out

    @staticmethod
    def open_work_text(work: list[tuple[int, str]]) -> str:
        """'1 SSH session and 2 tunnels are open. Quit and close them?'"""
        parts = [f"{n} {noun}{'' if n == 1 else 's'}" for n, noun in work]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        verb = "is" if len(work) == 1 and work[0][0] == 1 else "are"
        return f"{listed} {verb} open. Quit and close {'it' if verb == 'is' else 'them'}?"

    def closeEvent(self, event: QCloseEvent) -> None:
        work = [] if self._quit_confirmed else self.open_work()
        if not work:
            self._quit_confirmed = False  # shown again later (from the tray): ask again then
            super().closeEvent(event)
            return
        event.ignore()
        if self.quit_question is not None:  # asked already: bring the question back
            self.quit_question.raise_()
            return
        box = plain_message_box(QMessageBox.Icon.Question, "Quit Deskside?", self.open_work_text(work),
                                QMessageBox.StandardButton.Cancel, self)
        quit_button = box.addButton("&Quit", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)  # Enter never closes what is open by accident

        def answered(_result: int) -> None:
            self.quit_question = None
            box.deleteLater()
            if box.clickedButton() is quit_button:
                self._quit_confirmed = True
                self.close()

        box.finished.connect(answered)
        self.quit_question = box
        box.open()

    # ---------------------------------------------------------------- about
    def about_text(self) -> str:
        return (f"Deskside {self.version}\n\n"
                "Diagnose this computer, troubleshoot remote hosts over SSH, check patch compliance and send "
                "support tickets.\n\nOpen source under the Apache License 2.0.")

    def show_about(self) -> None:
        box = plain_message_box(QMessageBox.Icon.NoIcon, "About Deskside", self.about_text(),
                                QMessageBox.StandardButton.Close, self)
        box.setIconPixmap(app_icon().pixmap(64, 64))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.about_box = box
