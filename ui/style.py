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


def severity_icon(severity: Severity) -> QIcon:
    style = QApplication.style()
    pix = {
        Severity.CRITICAL: QStyle.StandardPixmap.SP_MessageBoxCritical,
        Severity.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
        Severity.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
        Severity.OK: QStyle.StandardPixmap.SP_DialogApplyButton,
    }[severity]
    return style.standardIcon(pix)


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
