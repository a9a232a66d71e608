"""Output from the program on its way to the parser, with a flood guard.

Parsing runs at about 0.3-1 MB/s, so a flood (`cat` of a big log) is parsed in slices of FEED_SLICE bytes with the
event loop running in between: the window stays responsive and Ctrl+C gets through. Small amounts with nothing
pending are parsed at once. Far more output than can be shown is skipped, keeping the last FLOOD_KEEP bytes, and a
notice says how much."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

FEED_SLICE = 16 * 1024  # bytes parsed per event-loop turn during a flood (10-30 ms of work: a frame or two)
# Unparsed output beyond FLOOD_LIMIT (~0.2-0.5 s of parsing) is skipped, keeping the last FLOOD_KEEP (a few screens
# of text): Ctrl+C during a flood then shows the prompt after at most that much work (it was 4 MB: seconds).
FLOOD_LIMIT = 128 * 1024
FLOOD_KEEP = 32 * 1024


class FeedQueue:
    def __init__(self, parse: Callable[[bytes], None], owner: QObject) -> None:
        self._parse = parse
        self._owner = owner  # a slice due after the owner is gone is not parsed
        self._backlog = bytearray()
        self._scheduled = False
        self.skipped_bytes = 0  # output dropped by the flood guard

    def feed(self, data: bytes) -> None:
        if not self._backlog and len(data) <= FEED_SLICE:
            self._parse(data)
            return
        self._backlog += data
        if len(self._backlog) > FLOOD_LIMIT:
            # Far more output than can be shown: skip to the last FLOOD_KEEP bytes (from a line start) and say so.
            cut = self._backlog.find(b"\n", len(self._backlog) - FLOOD_KEEP)
            cut = len(self._backlog) - FLOOD_KEEP if cut < 0 else cut + 1
            self.skipped_bytes += cut
            notice = f"\r\n\x1b[0;33m[{cut / 1e6:.1f} MB of output skipped to keep up]\x1b[0m\r\n".encode()
            self._backlog[:cut] = notice
        self._schedule()

    def pending(self) -> int:
        """Bytes received but not parsed yet (only during a flood)."""
        return len(self._backlog)

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self._owner, self._drain)

    def _drain(self) -> None:
        self._scheduled = False
        if not self._backlog:
            return
        chunk = bytes(self._backlog[:FEED_SLICE])
        del self._backlog[:FEED_SLICE]
        self._parse(chunk)
        if self._backlog:
            self._schedule()
