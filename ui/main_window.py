"""The main window: a navigation sidebar on the left, the selected page on the right, a status bar below.

Pages are registered with one call, `window.add_page(key, title, widget)` (desktop/app.py lists them); `widget` may
be a factory (a callable returning the widget), and then the page is built when it is first shown or asked for
(`page(key)`), so the window paints before the other pages (and the modules they import) exist. A page that has a
`status_message` signal gets its messages shown in the status bar. `when_built(key, fn)` runs `fn(widget)` once
the page exists (at once if it does already): wiring between pages uses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import (
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
        self._build_menus()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.file_menu = file_menu
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
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
            self.first_painted.emit()
        return handled

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
