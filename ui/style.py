"""Icons and colours shared by the pages: severity icons are Qt's standard message-box icons, collector states
are small drawn badges (so they look the same on every platform style)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

from diagnostics.model import Severity

# state -> (colour, human label, glyph)
STATES: dict[str, tuple[str, str, str]] = {
    "pending": ("#9aa0ab", "waiting", "ring"),
    "running": ("#1e88e5", "running", "dots"),
    "ok": ("#2e7d32", "ok", "check"),
    "partial": ("#7cb342", "partly collected", "check"),
    "skipped": ("#78818f", "skipped", "dash"),
    "timeout": ("#ef8f00", "timed out", "clock"),
    "error": ("#c62828", "error", "cross"),
    "cancelled": ("#5b6272", "cancelled", "dash"),
}

SEVERITY_COLOURS: dict[Severity, str] = {
    Severity.CRITICAL: "#c62828",
    Severity.WARNING: "#ef8f00",
    Severity.INFO: "#1e88e5",
    Severity.OK: "#2e7d32",
}

SEVERITY_LABELS: dict[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.WARNING: "Warning",
    Severity.INFO: "Info",
    Severity.OK: "OK",
}


@cache
def severity_icon(severity: Severity) -> QIcon:
    """The standard message-box icon of `severity`, also for a selected row: Qt's "selected" mode tints an icon
    with the highlight colour until a red or yellow icon disappears into a blue selection, so the selected
    variant is the same picture on a light disc (it stands out on any highlight, light or dark theme)."""
    style = QApplication.style()
    pix = {
        Severity.CRITICAL: QStyle.StandardPixmap.SP_MessageBoxCritical,
        Severity.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
        Severity.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
        Severity.OK: QStyle.StandardPixmap.SP_DialogApplyButton,
    }[severity]
    base = style.standardIcon(pix)
    icon = QIcon()
    for size in (16, 20, 24, 32, 48):
        pm = base.pixmap(size, size)
        icon.addPixmap(pm, QIcon.Mode.Normal)
        icon.addPixmap(_on_disc(pm, size), QIcon.Mode.Selected)
    return icon


def _on_disc(pm: QPixmap, size: int) -> QPixmap:
    """`pm` drawn over a white disc with a thin dark ring, at the same size."""
    ratio = max(pm.devicePixelRatio(), 1.0)
    out = QPixmap(int(size * ratio), int(size * ratio))
    out.setDevicePixelRatio(ratio)
    out.fill(Qt.GlobalColor.transparent)
    p = QPainter(out)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor(0, 0, 0, 90), 1.0))
    p.setBrush(QColor("white"))
    p.drawEllipse(QRectF(0.5, 0.5, size - 1.0, size - 1.0))
    inset = size * 0.1
    p.drawPixmap(QRectF(inset, inset, size - 2 * inset, size - 2 * inset), pm, QRectF(pm.rect()))
    p.end()
    return out


def state_label(state: str) -> str:
    return STATES.get(state, ("", state, ""))[1]


@cache
def state_icon(state: str, size: int = 16) -> QIcon:
    colour, _label, glyph = STATES.get(state, ("#9aa0ab", state, "ring"))
    ratio = 2  # drawn at double size so it stays sharp on high-DPI screens
    pm = QPixmap(size * ratio, size * ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size * ratio)
    c = QColor(colour)
    box = QRectF(s * 0.08, s * 0.08, s * 0.84, s * 0.84)
    if glyph == "ring":
        p.setPen(QPen(c, s * 0.12))
        p.drawEllipse(box.adjusted(s * 0.06, s * 0.06, -s * 0.06, -s * 0.06))
    else:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(c)
        p.drawEllipse(box)
        white = QPen(QColor("white"), s * 0.11, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                     Qt.PenJoinStyle.RoundJoin)
        p.setPen(white)
        p.setBrush(Qt.BrushStyle.NoBrush)
        if glyph == "check":
            path = QPainterPath(QPointF(s * 0.3, s * 0.52))
            path.lineTo(QPointF(s * 0.45, s * 0.67))
            path.lineTo(QPointF(s * 0.72, s * 0.36))
            p.drawPath(path)
        elif glyph == "cross":
            p.drawLine(QPointF(s * 0.34, s * 0.34), QPointF(s * 0.66, s * 0.66))
            p.drawLine(QPointF(s * 0.66, s * 0.34), QPointF(s * 0.34, s * 0.66))
        elif glyph == "dash":
            p.drawLine(QPointF(s * 0.32, s * 0.5), QPointF(s * 0.68, s * 0.5))
        elif glyph == "clock":
            p.drawLine(QPointF(s * 0.5, s * 0.5), QPointF(s * 0.5, s * 0.28))
            p.drawLine(QPointF(s * 0.5, s * 0.5), QPointF(s * 0.66, s * 0.6))
        elif glyph == "dots":
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("white"))
            for x in (0.3, 0.5, 0.7):
                p.drawEllipse(QPointF(s * x, s * 0.5), s * 0.06, s * 0.06)
    p.end()
    pm.setDevicePixelRatio(ratio)
    return QIcon(pm)


@cache
def app_icon() -> QIcon:
    """The application icon, drawn (the SVG in packaging/ is the same design for desktop menus)."""
    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(size)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor("#1f5fae"))
        p.drawRoundedRect(QRectF(s * 0.06, s * 0.06, s * 0.88, s * 0.88), s * 0.18, s * 0.18)
        p.setBrush(QColor("#ffffff"))
        p.drawRoundedRect(QRectF(s * 0.2, s * 0.24, s * 0.6, s * 0.4), s * 0.05, s * 0.05)
        p.setBrush(QColor("#1f5fae"))
        p.drawRect(QRectF(s * 0.25, s * 0.29, s * 0.5, s * 0.3))
        p.setBrush(QColor("#ffffff"))
        p.drawRect(QRectF(s * 0.44, s * 0.64, s * 0.12, s * 0.08))
        p.drawRoundedRect(QRectF(s * 0.32, s * 0.72, s * 0.36, s * 0.06), s * 0.02, s * 0.02)
        pen = QPen(QColor("#7be08a"), max(1.0, s * 0.05), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                   Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        path = QPainterPath(QPointF(s * 0.34, s * 0.45))
        path.lineTo(QPointF(s * 0.45, s * 0.54))
        path.lineTo(QPointF(s * 0.66, s * 0.36))
        p.drawPath(path)
        p.end()
        icon.addPixmap(pm)
    return icon
