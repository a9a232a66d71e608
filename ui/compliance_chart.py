"""The fleet chart: today's totals as one stacked bar (compliant, non-compliant, unknown, with the counts written
next to it) and the trend of earlier scans from the history as small stacked columns, drawn with QPainter.

The same facts are in `summary()` (the widget's accessible description and tooltip), so nothing is told by colour
alone.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from .plain import plain_tooltip

SERIES = (("compliant", "compliant", "#2e7d32"), ("non_compliant", "non-compliant", "#c62828"),
          ("unknown", "unknown", "#78818f"))
MAX_TREND = 30


def _count(totals: dict[str, Any], key: str) -> int:
    try:
        return int(totals.get(key) or 0)
    except (TypeError, ValueError):
        return 0


def _when(stamp: str, time_of_day: bool) -> str:
    """An ISO time as "2026-12-02", or "12-02 21:02" when every scan shown is of the same day."""
    return f"{stamp[5:10]} {stamp[11:16]}" if time_of_day and len(stamp) >= 16 else stamp[:10]


class FleetChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fleetChart")
        self.setAccessibleName("Fleet chart")
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.today: dict[str, Any] | None = None
        self.trend: list[tuple[str, dict[str, Any]]] = []
        self._update_text()

    def sizeHint(self) -> QSize:
        return QSize(380, 160)

    def set_today(self, totals: dict[str, Any] | None) -> None:
        self.today = totals
        self._update_text()
        self.update()

    def set_trend(self, trend: list[tuple[str, dict[str, Any]]]) -> None:
        self.trend = list(trend)[-MAX_TREND:]
        self._update_text()
        self.update()

    def summary(self) -> str:
        if self.today is None:
            now = "No scan yet."
        else:
            parts = [f"{_count(self.today, k)} {label}" for k, label, _c in SERIES]
            score = self.today.get("score")
            now = f"This scan: {_count(self.today, 'hosts')} hosts, " + ", ".join(parts) + \
                (f"; fleet score {score}" if score is not None else "") + "."
        if not self.trend:
            return now + " No earlier scans in the history."
        first, last = self.trend[0], self.trend[-1]
        return (now + f" Trend over {len(self.trend)} scans in the history: non-compliant "
                f"{_count(first[1], 'non_compliant')} on {first[0][:10]}, {_count(last[1], 'non_compliant')} on "
                f"{last[0][:10]}.")

    def _update_text(self) -> None:
        text = self.summary()
        self.setAccessibleDescription(text)
        self.setToolTip(plain_tooltip(text))

    # ------------------------------------------------------------ drawing
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        try:
            self._paint(p)
        finally:
            p.end()  # also when drawing failed: a painter left open on a widget crashes Qt

    def _paint(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text_colour = pal.color(pal.ColorRole.WindowText)
        fm = self.fontMetrics()
        w, h = float(self.width()), float(self.height())
        line = fm.height()
        left_w = max(180.0, w * 0.45)
        # Today: a title, one stacked bar, the counts below it.
        p.setPen(text_colour)
        p.drawText(QRectF(0, 0, left_w, line), Qt.AlignmentFlag.AlignLeft, "This scan")
        bar = QRectF(0, line + 4, left_w - 16, max(14.0, line * 1.2))
        if self.today is None or not _count(self.today, "hosts"):
            p.setPen(QPen(pal.color(pal.ColorRole.Mid), 1, Qt.PenStyle.DashLine))
            p.drawRect(bar)
            p.setPen(text_colour)
            p.drawText(bar, Qt.AlignmentFlag.AlignCenter, "no scan yet")
        else:
            total = _count(self.today, "hosts")
            x = bar.left()
            for key, _label, colour in SERIES:
                part = bar.width() * _count(self.today, key) / total
                if part > 0:
                    p.fillRect(QRectF(x, bar.top(), part, bar.height()), QColor(colour))
                x += part
        y = bar.bottom() + 4
        for key, label, colour in SERIES:
            n = _count(self.today, key) if self.today else 0
            p.fillRect(QRectF(0, y + line * 0.2, line * 0.6, line * 0.6), QColor(colour))
            p.setPen(text_colour)
            p.drawText(QRectF(line, y, left_w - line, line), Qt.AlignmentFlag.AlignLeft, f"{n} {label}")
            y += line
        if self.today is not None and self.today.get("score") is not None:
            p.drawText(QRectF(0, y + 2, left_w, line), Qt.AlignmentFlag.AlignLeft,
                       f"Fleet score {self.today.get('score')}")
        # Trend: stacked columns, oldest left.
        tx = left_w + 8
        tw = w - tx
        p.setPen(text_colour)
        p.drawText(QRectF(tx, 0, tw, line), Qt.AlignmentFlag.AlignLeft,
                   f"Trend ({len(self.trend)} scan{'s' if len(self.trend) != 1 else ''})")
        area = QRectF(tx, line + 4, tw, h - line * 2 - 10)
        p.setPen(QPen(pal.color(pal.ColorRole.Mid), 1))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        if self.trend and area.height() > 4:
            peak = max(1, *(_count(t, "hosts") for _w, t in self.trend))
            p.setPen(text_colour)
            p.drawText(QRectF(tx, line + 4, tw, line), Qt.AlignmentFlag.AlignRight, f"{peak} hosts")
            slot = min(area.width() / max(len(self.trend), 1), 48.0)
            col_w = max(2.0, slot * 0.7)
            for i, (_stamp, totals) in enumerate(self.trend):
                x = area.left() + i * slot
                bottom = area.bottom()
                for key, _label, colour in SERIES:
                    hgt = area.height() * _count(totals, key) / peak
                    if hgt > 0:
                        p.fillRect(QRectF(x, bottom - hgt, col_w, hgt), QColor(colour))
                    bottom -= hgt
            p.setPen(text_colour)
            first, last = self.trend[0][0], self.trend[-1][0]
            same_day = first[:10] == last[:10]
            p.drawText(QRectF(tx, area.bottom() + 2, tw, line), Qt.AlignmentFlag.AlignLeft, _when(first, same_day))
            if len(self.trend) > 1:
                p.drawText(QRectF(tx, area.bottom() + 2, tw, line), Qt.AlignmentFlag.AlignRight,
                           _when(last, same_day))
        elif not self.trend:
            p.setPen(text_colour)
            p.drawText(area, Qt.AlignmentFlag.AlignCenter, "no earlier scans")
