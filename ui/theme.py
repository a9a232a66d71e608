"""The app's look and keyboard behaviour, set once on the QApplication (`apply_theme`):

* a light or dark palette (`[gui] theme = "system" | "light" | "dark"` in config.toml; "system" keeps the
  platform's), with the Fusion style for light and dark so that both look the same on every desktop;
* a visible focus ring: a 2 px ring in the highlight colour around the focused button, field, check box and the
  current row of a focused list, so keyboard users see where they are (Qt's styles draw it faintly or not at all);
  a list's selected rows are in the highlight colour only while it has the focus (grey otherwise);
* Enter activates the focused push button, as Space does (every push button is "auto default");
* form fields (line edits, combo and spin boxes) no wider than their content needs (a number of characters), so
  at 1920 px a host name field does not stretch to 1,500 px; lists, tables and the terminal take the space.
  A field that should stretch sets the property `deskside_wide` to True.

`readable(colour)` gives a status colour (red, green, orange) that keeps a 4.5:1 contrast on the current window
background, for text drawn in such colours in the dark theme.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QBoxLayout,
    QComboBox,
    QFileDialog,
    QLayout,
    QLineEdit,
    QProxyStyle,
    QPushButton,
    QSpacerItem,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

THEMES = ("system", "light", "dark")
QWIDGETSIZE_MAX = 16777215
FIELD_CHARS: tuple[tuple[type[QWidget], int], ...] = ((QAbstractSpinBox, 18), (QComboBox, 48), (QLineEdit, 64))

DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e8e8e8",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.AlternateBase: "#262626",
    QPalette.ColorRole.Text: "#e8e8e8",
    QPalette.ColorRole.Button: "#3a3a3a",
    QPalette.ColorRole.ButtonText: "#e8e8e8",
    QPalette.ColorRole.BrightText: "#ff8a80",
    QPalette.ColorRole.Highlight: "#3584e4",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#8cb8f0",
    QPalette.ColorRole.LinkVisited: "#c0a0f0",
    QPalette.ColorRole.ToolTipBase: "#3a3a3a",
    QPalette.ColorRole.ToolTipText: "#e8e8e8",
    QPalette.ColorRole.PlaceholderText: "#a0a0a0",
    QPalette.ColorRole.Light: "#505050",
    QPalette.ColorRole.Midlight: "#404040",
    QPalette.ColorRole.Mid: "#4a4a4a",
    QPalette.ColorRole.Dark: "#1a1a1a",
    QPalette.ColorRole.Shadow: "#0d0d0d",
}
DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#8a8a8a",
    QPalette.ColorRole.Text: "#8a8a8a",
    QPalette.ColorRole.ButtonText: "#8a8a8a",
    QPalette.ColorRole.Highlight: "#505050",
}


def dark_palette() -> QPalette:
    pal = QPalette()
    for role, colour in DARK.items():
        pal.setColor(role, QColor(colour))
    for role, colour in DARK_DISABLED.items():
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return pal


def focus_colour(palette: QPalette) -> QColor:
    """The highlight colour, made lighter on a dark background (the ring must stand out from the button's
    own highlighted frame)."""
    c = palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
    return c.lighter(135) if is_dark(palette) else c


class DesksideStyle(QProxyStyle):
    """The platform (or Fusion) style plus the focus ring, Enter on buttons and the field widths."""

    def polish(self, arg):  # type: ignore[no-untyped-def,override]  # QWidget, QApplication and QPalette overloads
        if isinstance(arg, QWidget):
            polish_widget(arg)
        return super().polish(arg)

    def standardIcon(self, standard_icon: QStyle.StandardPixmap, option: QStyleOption | None = None,
                     widget: QWidget | None = None) -> QIcon:
        icon = super().standardIcon(standard_icon, option, widget)
        palette = option.palette if option is not None else QGuiApplication.palette()
        return light_glyph(icon, palette) if is_dark(palette) else icon

    def drawControl(self, element: QStyle.ControlElement, option: QStyleOption, painter: QPainter,
                    widget: QWidget | None = None) -> None:
        if element == QStyle.ControlElement.CE_ItemViewItem:
            option = quiet_selection(option, widget)
        super().drawControl(element, option, painter, widget)
        if element == QStyle.ControlElement.CE_PushButton and option.state & QStyle.StateFlag.State_HasFocus:
            ring(painter, option.rect, option.palette, inset=0)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect:
            ring(painter, option.rect, option.palette, inset=0, width=2)
            return
        if element in (QStyle.PrimitiveElement.PE_PanelItemViewItem, QStyle.PrimitiveElement.PE_PanelItemViewRow):
            option = quiet_selection(option, widget)
        super().drawPrimitive(element, option, painter, widget)
        if element == QStyle.PrimitiveElement.PE_PanelLineEdit and option.state & QStyle.StateFlag.State_HasFocus:
            ring(painter, option.rect, option.palette, inset=0)


def light_glyph(icon: QIcon, palette: QPalette) -> QIcon:
    """A black glyph (Fusion's play, list and arrow icons) redrawn in the text colour, so that it shows on a dark
    background; coloured icons are kept as they are."""
    sizes = icon.availableSizes() or [QSize(16, 16), QSize(32, 32)]
    probe = icon.pixmap(sizes[0]).toImage()
    dark = total = 0
    for y in range(probe.height()):
        for x in range(probe.width()):
            c = probe.pixelColor(x, y)
            if c.alpha() > 128:
                total += 1
                dark += c.lightnessF() < 0.3 and c.hsvSaturationF() < 0.3
    if not total or dark < total * 0.6:
        return icon
    out = QIcon()
    colour = palette.color(QPalette.ColorRole.WindowText)
    for size in sizes:
        pm = icon.pixmap(size)
        tinted = QPixmap(pm.size())
        tinted.setDevicePixelRatio(pm.devicePixelRatio())
        tinted.fill(Qt.GlobalColor.transparent)
        p = QPainter(tinted)
        p.drawPixmap(0, 0, pm)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        p.fillRect(tinted.rect(), colour)
        p.end()
        out.addPixmap(tinted, QIcon.Mode.Normal)
        disabled = QPixmap(tinted)
        p = QPainter(disabled)
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        p.fillRect(disabled.rect(), palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText))
        p.end()
        out.addPixmap(disabled, QIcon.Mode.Disabled)
    return out


def quiet_selection(option: QStyleOption, widget: QWidget | None) -> QStyleOption:
    """The selected rows of a list that does not have the keyboard focus are drawn in a quiet grey (as GNOME and
    macOS do); in the highlight colour only while the list has the focus, so a focused list stands out."""
    if not (isinstance(widget, QAbstractItemView) and option.state & QStyle.StateFlag.State_Selected) \
            or widget.hasFocus() or not isinstance(option, QStyleOptionViewItem):
        return option
    if widget.property("deskside_keep_selection"):
        return option
    quiet = QStyleOptionViewItem(option)
    pal = QPalette(option.palette)
    dark = is_dark(pal)
    grey = pal.color(QPalette.ColorRole.Base).lighter(190) if dark else pal.color(QPalette.ColorRole.Base).darker(118)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        pal.setColor(group, QPalette.ColorRole.Highlight, grey)
        pal.setColor(group, QPalette.ColorRole.HighlightedText, pal.color(group, QPalette.ColorRole.Text))
    quiet.palette = pal
    return quiet


def ring(painter: QPainter, rect: QRect, palette: QPalette, inset: int = 1, width: int = 2,
         colour: QColor | None = None) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(colour if colour is not None else focus_colour(palette), width)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = width / 2
    r = rect.toRectF().adjusted(inset + half, inset + half, -inset - half, -inset - half)
    painter.drawRoundedRect(r, 3, 3)
    painter.restore()


def polish_widget(w: QWidget) -> None:
    if isinstance(w, QPushButton):
        w.setAutoDefault(True)  # Enter clicks the focused button (Space already does)
        return
    if isinstance(w, QTreeView):
        w.setAllColumnsShowFocus(True)  # the focus ring goes round the whole current row, not its first cell
        return
    if isinstance(w, tuple(kind for kind, _chars in FIELD_CHARS)):
        # Not now: polish runs inside Qt's own building and sizing of widgets (a QFileDialog crashed when its field
        # was capped here); once the event loop is back, the widget and its row are complete.
        QTimer.singleShot(0, w, lambda: cap_field(w))


def cap_field(w: QWidget) -> None:
    """At most FIELD_CHARS characters wide (unless the code set a width or `deskside_wide`), and in a row of
    several widgets the row keeps to its start rather than centring the capped field in its share."""
    if w.property("deskside_wide") or w.maximumWidth() != QWIDGETSIZE_MAX:
        return
    if isinstance(w.window(), QFileDialog):
        return  # Qt's own dialog lays out its fields
    if isinstance(w, QLineEdit) and isinstance(w.parentWidget(), (QComboBox, QAbstractSpinBox)):
        return  # the editor inside a combo or spin box follows its box
    for kind, chars in FIELD_CHARS:
        if isinstance(w, kind):
            w.setMaximumWidth(max(w.minimumSizeHint().width(), w.fontMetrics().averageCharWidth() * chars))
            parent = w.parentWidget()
            outer = parent.layout() if parent is not None else None
            row = _row_of(outer, w) if outer is not None else None
            if row is not None and not any(isinstance(row.itemAt(i), QSpacerItem) for i in range(row.count())):
                row.addStretch(1)
            return


def _row_of(layout: QLayout, w: QWidget) -> QBoxLayout | None:
    """The horizontal box layout that holds `w` directly (searched through `layout`'s nested layouts)."""
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item is None:
            continue
        if item.widget() is w:
            horizontal = isinstance(layout, QBoxLayout) and layout.direction() in (
                QBoxLayout.Direction.LeftToRight, QBoxLayout.Direction.RightToLeft)
            return layout if horizontal else None  # type: ignore[return-value]
        inner = item.layout()
        found = _row_of(inner, w) if inner is not None else None
        if found is not None:
            return found
    return None


_system_palette: list[QPalette] = []


def apply_theme(app: QApplication, theme: str = "system") -> None:
    """Set the style and palette for `theme` (one of THEMES; anything else counts as "system")."""
    if not _system_palette:
        _system_palette.append(QPalette(app.palette()))
    if theme in ("light", "dark"):
        app.setStyle(DesksideStyle(QStyleFactory.create("Fusion")))
        app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    else:
        app.setStyle(DesksideStyle())  # the platform's style
        app.setPalette(_system_palette[0])
    app.setProperty("deskside_theme", theme if theme in THEMES else "system")


def ensure_style(app: QApplication) -> None:
    """The focus ring, Enter on buttons and the field widths, on whatever style and palette the app has."""
    if not isinstance(app.style(), DesksideStyle):
        apply_theme(app, "system")


def is_dark(palette: QPalette | None = None) -> bool:
    pal = palette if palette is not None else QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def _luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable(colour: str, background: QColor | None = None, ratio: float = 4.5) -> str:
    """`colour`, lightened (on a dark background) or darkened (on a light one) until it has `ratio` contrast."""
    bg = background if background is not None else QGuiApplication.palette().color(QPalette.ColorRole.Window)
    c = QColor(colour)
    dark_bg = bg.lightnessF() < 0.5
    for _ in range(20):
        if contrast(c, bg) >= ratio + 0.05:  # a margin: the colour is rounded to 8 bits a channel
            break
        c = c.lighter(115) if dark_bg else c.darker(115)
    return c.name()
