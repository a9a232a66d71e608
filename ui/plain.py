"""Text from outside Deskside is shown as text, never as Qt rich text.

Qt renders a QLabel's text, a tooltip and a message box as HTML when it merely *looks* like HTML
(`Qt::mightBeRichText`), so a host name, a finding's evidence, a backend's error or a ticket summary with a tag in it
would be rendered: markup, images (`<img src=file:...>`), links. Every label in `ui/` is made here:

- `plain_label()`: a QLabel whose text format is PlainText (whatever text it gets later);
- `rich_label()`: the few labels that show our own HTML (links); every outside value in that HTML must go through
  `html.escape` (tests/gui/test_plain_text.py feeds hostile text through each page);
- `plain_tooltip()`: text for setToolTip() or a ToolTipRole;
- `plain_message_box()`: a QMessageBox whose text is plain.

tests/gui/test_plain_text.py checks statically that no QLabel or QMessageBox is made anywhere else in `ui/`.
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget


def plain_label(text: str = "", *, wrap: bool = False, selectable: bool = False, name: str = "",
                parent: QWidget | None = None) -> QLabel:
    """A label that shows `text` (and anything set later) as it is. `name`: its objectName (tests find it)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


def heading_label(text: str = "", scale: float = 1.0, *, wrap: bool = False) -> QLabel:
    """A bold plain label, its font `scale` times the normal size."""
    label = plain_label(text, wrap=wrap)
    f = QFont(label.font())
    if scale != 1.0:
        f.setPointSizeF(f.pointSizeF() * scale)
    f.setBold(True)
    label.setFont(f)
    return label


def rich_label(name: str = "") -> QLabel:
    """A label for our own HTML with links (activated through `linkActivated`, never opened by Qt itself). The
    caller escapes every outside value in what it sets (`html.escape`, `ui.outbox_view.safe_link`)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setOpenExternalLinks(False)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
    if name:
        label.setObjectName(name)
    return label


def plain_tooltip(text: str) -> str:
    """`text` for setToolTip() or a ToolTipRole, shown as it is. Qt renders a tooltip as HTML when it merely looks
    like HTML (Qt::mightBeRichText), so a log line or a name from the machine with a tag in it would be rendered
    (markup, images, links). Such text is escaped; ordinary text is returned unchanged."""
    if QtGui.Qt.mightBeRichText(text):
        return QtGui.Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)
    return text


def plain_message_box(icon: QMessageBox.Icon, title: str, text: str, buttons: QMessageBox.StandardButton,
                      parent: QWidget | None) -> QMessageBox:
    """A message box that shows `text` as it is (a host or file name from the other side, an error message)."""
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    return box
