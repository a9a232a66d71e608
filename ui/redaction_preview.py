"""The redaction preview: every value that will be masked (kind, placeholder, where it occurs) with a switch to
leave it unmasked, the user's own words to mask, and the exact text of everything that will be sent.

It only shows a `tickets.service.Preview`; rebuilding the preview (which reads and redacts) is the page's job on a
worker thread. Signals: `disabled_changed(frozenset)` when a switch is flipped (placeholders left unmasked),
`keywords_changed(list)` when the user applies their own words.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tickets.redact import RedactionItem
from tickets.service import Preview

from .plain import plain_label, plain_tooltip

KIND_LABELS = {"secret": "secret", "email": "e-mail", "user": "user name", "host": "host name",
               "ipv4": "IPv4 address", "ipv6": "IPv6 address", "mac": "MAC address", "serial": "serial number",
               "keyword": "your word"}
MESSAGE_DOC = "The ticket (subject and message)"
COL_MASK, COL_KIND, COL_VALUE, COL_WHERE = range(4)


def shown_value(item: RedactionItem) -> str:
    """The original value as the list shows it: secrets only by their first characters (shoulder surfers)."""
    value = item.value.split("\n", 1)[0]
    if item.kind == "secret":
        return (value[:3] + "…") if len(value) > 6 else "…"
    return value if len(value) <= 60 else value[:59] + "…"


def where_text(item: RedactionItem) -> str:
    if not item.occurrences:
        return ""
    first = item.occurrences[0].where
    return first + (f" (+{item.count - 1} more)" if item.count > 1 else "")


def documents(preview: Preview) -> dict[str, str]:
    """Everything that leaves the machine, by name: the message, then each file of the attached bundle."""
    t = preview.ticket
    docs = {MESSAGE_DOC: f"Subject: {t.subject}\n\n{t.body_text()}"}
    if preview.bundle is not None:
        for name in sorted(preview.bundle.files, key=lambda n: (n != "report.json", n.startswith("README"), n)):
            docs[f"{preview.bundle.filename}: {name}"] = preview.bundle.files[name].decode("utf-8", errors="replace")
    return docs


class RedactionPreview(QWidget):
    disabled_changed = Signal(frozenset)
    keywords_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview: Preview | None = None
        self._docs: dict[str, str] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.summary_label = plain_label(wrap=True)
        self.summary_label.setObjectName("redactionSummary")
        outer.addWidget(self.summary_label)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(plain_label("Masked before sending (untick to send a value as it is):", wrap=True))
        self.items_view = QTreeWidget()
        self.items_view.setObjectName("maskedItems")
        self.items_view.setAccessibleName("Masked values")
        self.items_view.setRootIsDecorated(False)
        self.items_view.setUniformRowHeights(True)
        self.items_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # "report.json: …data.api_token"
        self.items_view.setHeaderLabels(["Placeholder", "Kind", "Value", "Where"])
        hdr = self.items_view.header()
        hdr.setSectionResizeMode(COL_MASK, QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(COL_KIND, QHeaderView.ResizeMode.ResizeToContents)
        hdr.setSectionResizeMode(COL_VALUE, QHeaderView.ResizeMode.Interactive)
        hdr.resizeSection(COL_VALUE, 170)
        hdr.setStretchLastSection(True)
        self.items_view.itemChanged.connect(self._item_changed)
        self.items_view.currentItemChanged.connect(self._show_occurrences)
        ll.addWidget(self.items_view, 3)
        self.occurrences = QPlainTextEdit()
        self.occurrences.setReadOnly(True)
        self.occurrences.setAccessibleName("Where the selected value occurs")
        self.occurrences.setPlaceholderText("Select a value to see where it occurs.")
        self.occurrences.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        ll.addWidget(self.occurrences, 1)
        kw = QHBoxLayout()
        kw.addWidget(plain_label("Also mask:"))
        self.keywords_edit = QLineEdit()
        self.keywords_edit.setPlaceholderText("your own words, comma-separated")
        self.keywords_edit.setAccessibleName("Your own words to mask")
        self.keywords_edit.returnPressed.connect(self.apply_keywords)
        self.keywords_button = QPushButton("Apply")
        self.keywords_button.clicked.connect(self.apply_keywords)
        kw.addWidget(self.keywords_edit, 1)
        kw.addWidget(self.keywords_button)
        ll.addLayout(kw)
        split.addWidget(left)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(plain_label("What will be sent:"))
        self.doc_combo = QComboBox()
        self.doc_combo.setAccessibleName("Document to show")
        self.doc_combo.currentTextChanged.connect(self._show_doc)
        top.addWidget(self.doc_combo, 1)
        rl.addLayout(top)
        self.text = QPlainTextEdit()
        self.text.setObjectName("sentText")
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Exactly what will be sent")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text.setFont(QFont(mono))
        rl.addWidget(self.text, 1)
        self.attachment_label = plain_label(wrap=True)
        rl.addWidget(self.attachment_label)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.splitter = split
        outer.addWidget(split, 1)

    # ---------------------------------------------------------------- showing
    def set_preview(self, preview: Preview) -> None:
        self.preview = preview
        self.summary_label.setText(f"Redaction: {preview.redaction_summary()}. The list of what was replaced "
                                   "stays on this computer.")
        current_ph = None
        cur = self.items_view.currentItem()
        if cur is not None:
            current_ph = cur.data(COL_MASK, Qt.ItemDataRole.UserRole)
        self.items_view.blockSignals(True)
        self.items_view.clear()
        select: QTreeWidgetItem | None = None
        for item in preview.items:
            row = QTreeWidgetItem([item.placeholder, KIND_LABELS.get(item.kind, item.kind), shown_value(item),
                                   where_text(item)])
            row.setData(COL_MASK, Qt.ItemDataRole.UserRole, item.placeholder)
            row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            masked = item.placeholder not in preview.disabled
            row.setCheckState(COL_MASK, Qt.CheckState.Checked if masked else Qt.CheckState.Unchecked)
            row.setToolTip(COL_MASK, "Ticked: replaced by this placeholder. Untick to send the value as it is.")
            row.setToolTip(COL_WHERE, plain_tooltip("\n".join(o.where for o in item.occurrences[:20])))
            self.items_view.addTopLevelItem(row)
            if item.placeholder == current_ph:
                select = row
        self.items_view.blockSignals(False)
        if select is not None:
            self.items_view.setCurrentItem(select)
        else:
            self.occurrences.clear()
        if not preview.items:
            self.occurrences.setPlainText("Nothing to mask was found.")
        shown = self.doc_combo.currentText()
        bar = self.text.verticalScrollBar().value()
        self._docs = documents(preview)
        self.doc_combo.blockSignals(True)
        self.doc_combo.clear()
        self.doc_combo.addItems(list(self._docs))
        if shown in self._docs:
            self.doc_combo.setCurrentText(shown)
        self.doc_combo.blockSignals(False)
        self._show_doc(self.doc_combo.currentText())
        if shown == self.doc_combo.currentText():
            self.text.verticalScrollBar().setValue(bar)
        if preview.bundle is not None:
            kb = max(1, round(preview.bundle.size / 1024))
            self.attachment_label.setText(f"Attached: {preview.bundle.filename} ({kb} KB; "
                                          f"{', '.join(sorted(preview.bundle.files))})")
        else:
            self.attachment_label.setText("Nothing attached (no diagnostics report included).")

    def _show_doc(self, name: str) -> None:
        self.text.setPlainText(self._docs.get(name, ""))

    def show_document(self, name: str) -> None:
        self.doc_combo.setCurrentText(name)

    def document_text(self, name: str = MESSAGE_DOC) -> str:
        return self._docs.get(name, "")

    def names(self) -> list[str]:
        """The documents that will leave: the message, then each file of the bundle."""
        return list(self._docs)

    def all_text(self) -> str:
        return "\n".join(self._docs.values())

    def _show_occurrences(self, current: QTreeWidgetItem | None, _prev: QTreeWidgetItem | None = None) -> None:
        if current is None or self.preview is None:
            self.occurrences.clear()
            return
        ph = current.data(COL_MASK, Qt.ItemDataRole.UserRole)
        item = next((i for i in self.preview.items if i.placeholder == ph), None)
        if item is None:
            return
        lines = [f"{o.where}:  {self._context(item, o.context)}" for o in item.occurrences]
        self.occurrences.setPlainText("\n".join(lines))

    @staticmethod
    def _context(item: RedactionItem, context: str) -> str:
        if item.kind != "secret":
            return context
        return re.sub(r"«[^»]*»", "«" + shown_value(item) + "»", context)

    # ---------------------------------------------------------------- switches
    def rows(self) -> dict[str, QTreeWidgetItem]:
        out: dict[str, QTreeWidgetItem] = {}
        for i in range(self.items_view.topLevelItemCount()):
            row = self.items_view.topLevelItem(i)
            if row is not None:
                out[str(row.data(COL_MASK, Qt.ItemDataRole.UserRole))] = row
        return out

    def disabled(self) -> frozenset[str]:
        return frozenset(ph for ph, row in self.rows().items()
                         if row.checkState(COL_MASK) != Qt.CheckState.Checked)

    def set_masked(self, placeholder: str, masked: bool) -> None:
        self.rows()[placeholder].setCheckState(COL_MASK, Qt.CheckState.Checked if masked else
                                               Qt.CheckState.Unchecked)

    def _item_changed(self, _row: QTreeWidgetItem, column: int) -> None:
        if column == COL_MASK:
            self.disabled_changed.emit(self.disabled())

    def keywords(self) -> list[str]:
        return [k.strip() for k in self.keywords_edit.text().split(",") if k.strip()]

    def apply_keywords(self) -> None:
        self.keywords_changed.emit(self.keywords())

    def set_busy(self, busy: bool) -> None:
        self.items_view.setEnabled(not busy)
        self.keywords_button.setEnabled(not busy)
