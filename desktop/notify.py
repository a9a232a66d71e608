"""Desktop notifications (freedesktop org.freedesktop.Notifications over the session D-Bus, with jeepney: pure
Python, no GLib): the background agent's new findings, and (helper `lifecycle`) what changed on a followed ticket.

Text from outside is data: when the notification server renders markup in the body (capability `body-markup`), it
is HTML-escaped; control characters are dropped; long texts are shortened.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import Any

from tickets.follow import Change

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
APP_NAME = "Deskside"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_BODY = 400


class NotifyError(Exception):
    pass


def _clean(text: str, limit: int) -> str:
    text = _CONTROL.sub("", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Notifier:
    """One session-bus connection; `notify()` returns the server's notification id."""

    def __init__(self, bus: str = "SESSION") -> None:
        try:
            from jeepney import DBusAddress
            from jeepney.io.blocking import open_dbus_connection
        except ImportError as exc:  # not on Linux
            raise NotifyError("desktop notifications need the jeepney package (Linux)") from exc
        try:
            self._conn = open_dbus_connection(bus=bus)
        except (OSError, KeyError, ValueError) as exc:
            raise NotifyError(f"no session D-Bus to send notifications to ({exc})") from exc
        self._addr = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        self._markup: bool | None = None

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        from jeepney import MessageType, new_method_call

        msg = new_method_call(self._addr, method, signature, body)
        try:
            reply = self._conn.send_and_get_reply(msg, timeout=10)
        except (OSError, TimeoutError) as exc:
            raise NotifyError(f"the notification server did not answer ({exc or type(exc).__name__})") from exc
        if reply.header.message_type == MessageType.error:
            raise NotifyError(f"no notification server on the session bus ({_clean(str(reply.body), 200)})")
        return tuple(reply.body)

    def markup(self) -> bool:
        if self._markup is None:
            (caps,) = self._call("GetCapabilities")
            self._markup = "body-markup" in caps
        return self._markup

    def notify(self, summary: str, body: str, *, urgency: int = 1, timeout_ms: int = -1) -> int:
        body = _clean(body, MAX_BODY)
        if self.markup():
            body = html.escape(body, quote=False)
        hints = {"urgency": ("y", urgency), "category": ("s", "im.received"),
                 "desktop-entry": ("s", "deskside")}
        (nid,) = self._call("Notify", "susssasa{sv}i",
                            (APP_NAME, 0, "help-browser", _clean(summary, 120), body, [], hints, timeout_ms))
        return int(nid)



def change_notifications(changes: Iterable[Change]) -> list[tuple[str, str]]:
    """(summary, body) per ticket with what changed on it: its new state, its new replies."""
    by_ticket: dict[int, list[Change]] = {}
    for ch in changes:
        by_ticket.setdefault(ch.entry_id, []).append(ch)
    out = []
    for entry_id, chs in by_ticket.items():
        kinds = {c.kind for c in chs}
        what = " and ".join(w for k, w in (("reply", "new reply"), ("state", "state changed")) if k in kinds)
        body = "\n".join(("State: " if c.kind == "state" else "") + c.text for c in chs)
        out.append((f"Ticket #{entry_id} ({what}): {chs[0].summary}", body))
    return out


def notify_changes(changes: Iterable[Change], bus: str = "SESSION") -> str | None:
    """One notification per ticket (`change_notifications`); returns why none could be shown (None when all
    were, or when nothing changed)."""
    texts = change_notifications(changes)
    if not texts:
        return None
    try:
        with Notifier(bus) as n:
            for summary, body in texts:
                n.notify(summary, body)
    except NotifyError as exc:
        return str(exc)
    return None
