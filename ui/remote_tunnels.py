"""The tunnels panel of a remote session: start and stop local (-L), remote (-R) and dynamic SOCKS5 (-D) forwards.
Delete on a row does what its button does: stops a running tunnel; once stopped or failed the button becomes Remove,
which takes the row off the list."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .plain import plain_label, plain_tooltip
from .remote_services import ForwardKind, ForwardSpec, ForwardState, RemoteSession
from .theme import readable

KINDS = [
    (ForwardKind.LOCAL, "Local (-L): a port here reaches a host:port seen from the server"),
    (ForwardKind.REMOTE, "Remote (-R): a port on the server reaches a host:port seen from here"),
    (ForwardKind.DYNAMIC, "Dynamic (-D): a SOCKS5 proxy here, connections leave from the server"),
]


class TunnelsPanel(QWidget):
    def __init__(self, session: RemoteSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._items: dict[int, QTreeWidgetItem] = {}
        self._stop_buttons: dict[int, QPushButton] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.kind = QComboBox()
        for code, label in KINDS:
            self.kind.addItem(label, code)
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind.setMinimumContentsLength(18)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.bind_host = QLineEdit("127.0.0.1")
        self.bind_port = QSpinBox()
        self.bind_port.setRange(0, 65535)
        self.bind_port.setSpecialValueText("any free port")
        self.bind_port.setValue(8080)
        self.dest_host = QLineEdit("127.0.0.1")
        self.dest_port = QSpinBox()
        self.dest_port.setRange(1, 65535)
        self.dest_port.setValue(80)
        form.addRow("Kind", self.kind)
        form.addRow("Listen address", self.bind_host)
        form.addRow("Listen port", self.bind_port)
        self.dest_host_label = plain_label("Destination host")
        self.dest_port_label = plain_label("Destination port")
        form.addRow(self.dest_host_label, self.dest_host)
        form.addRow(self.dest_port_label, self.dest_port)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.start_button = QPushButton("Start tunnel")
        self.start_button.clicked.connect(self.start_tunnel)
        row.addStretch(1)
        row.addWidget(self.start_button)
        lay.addLayout(row)
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Tunnel", "State", ""])
        self.list.setRootIsDecorated(False)
        header = self.list.header()  # the Stop button stays in view however long the description is
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.list.setAccessibleName("Tunnels")
        self.list.setToolTip("Delete removes a stopped or failed tunnel from the list")
        self.list.installEventFilter(self)
        lay.addWidget(self.list, 1)
        self.message = plain_label(wrap=True)  # why the last tunnel failed, in full
        self.message.setStyleSheet(f"color: {readable('#c62828')};")
        self.message.hide()
        lay.addWidget(self.message)
        session.forward_changed.connect(self._on_changed)

    def _kind_changed(self) -> None:
        dynamic = self.kind.currentData() == ForwardKind.DYNAMIC
        for w in (self.dest_host, self.dest_port, self.dest_host_label, self.dest_port_label):
            w.setVisible(not dynamic)

    def start_tunnel(self) -> int:
        kind = ForwardKind(self.kind.currentData())
        spec = ForwardSpec(kind, self.bind_port.value(), self.bind_host.text().strip() or "127.0.0.1")
        if kind is not ForwardKind.DYNAMIC:
            spec = ForwardSpec(kind, spec.bind_port, spec.bind_host, self.dest_host.text().strip() or "127.0.0.1",
                               self.dest_port.value())  # fmt: skip
        fid = self.session.start_forward(spec)
        desc = spec.describe()
        item = QTreeWidgetItem([desc, "starting", ""])
        item.setToolTip(0, plain_tooltip(desc))
        self.list.addTopLevelItem(item)
        stop = QPushButton("Stop")
        stop.setAccessibleName(f"Stop the tunnel {desc}")
        stop.clicked.connect(lambda: self._row_button(fid))
        self.list.setItemWidget(item, 2, stop)
        self._items[fid] = item
        self._stop_buttons[fid] = stop
        previous: QWidget = self.list  # Tab goes from the list to its rows' buttons (not after the terminal)
        for b in self._stop_buttons.values():
            QWidget.setTabOrder(previous, b)
            previous = b
        return fid

    def _row_button(self, fid: int) -> None:
        """Stop a running tunnel; once it stopped or failed, the same button removes its row."""
        if self.state(fid) in (ForwardState.STOPPED, ForwardState.FAILED):
            self.remove_tunnel(fid)
        else:
            self._stop_buttons[fid].setEnabled(False)  # until the worker says it stopped
            self.session.stop_forward(fid)

    def remove_tunnel(self, fid: int) -> bool:
        """Remove the row of a stopped or failed tunnel (a running one is stopped first: False)."""
        item = self._items.get(fid)
        if item is None or self.state(fid) not in (ForwardState.STOPPED, ForwardState.FAILED):
            return False
        if not self.message.isHidden() and self.message.text().startswith(item.text(0)):
            self.message.hide()
        del self._items[fid]
        del self._stop_buttons[fid]
        self.list.takeTopLevelItem(self.list.indexOfTopLevelItem(item))
        return True

    def running_count(self) -> int:
        """Tunnels starting or running (what closing the connection would stop)."""
        return sum(1 for fid in self._items if self.state(fid) in ("starting", ForwardState.RUNNING))

    def tunnel_ids(self) -> list[int]:
        return list(self._items)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) \
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            chosen = {id(i) for i in self.list.selectedItems()} | {id(self.list.currentItem())}
            for fid, item in list(self._items.items()):
                if id(item) in chosen and self._stop_buttons[fid].isEnabled():
                    self._row_button(fid)  # a running tunnel is stopped, a stopped or failed one removed
            return True
        return super().eventFilter(watched, event)

    def state(self, fid: int) -> str:
        item = self._items.get(fid)
        return item.text(1) if item else ""

    def _on_changed(self, fid: int, state: ForwardState | str, message: str) -> None:
        state = ForwardState(state)
        item = self._items.get(fid)
        if item is None:
            return
        if state is ForwardState.RUNNING and message:
            item.setText(0, message)
            item.setToolTip(0, plain_tooltip(message))
        item.setText(1, state)
        item.setToolTip(1, plain_tooltip(message))
        item.setForeground(1, QColor(readable("#2e7d32" if state is ForwardState.RUNNING else "#c62828",
                                              self.list.palette().color(QPalette.ColorRole.Base))))
        if state is ForwardState.FAILED:
            self.message.setText(f"{item.text(0)}: {message}" if message else f"{item.text(0)} failed")
            self.message.show()
        if state in (ForwardState.STOPPED, ForwardState.FAILED):
            button = self._stop_buttons[fid]
            button.setText("Remove")
            button.setAccessibleName(f"Remove the tunnel {item.text(0)} from the list")
            button.setToolTip("Remove this row (Delete)")
            button.setEnabled(True)
        elif state is ForwardState.RUNNING:
            self._stop_buttons[fid].setEnabled(True)
