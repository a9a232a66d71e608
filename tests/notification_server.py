"""A tiny freedesktop notification server for the tests: owns org.freedesktop.Notifications on the real session
D-Bus (scripts/run-tests.sh runs pytest under dbus-run-session) and records every Notify call it answers."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import need

NAME = "org.freedesktop.Notifications"


@dataclass
class Received:
    app: str
    summary: str
    body: str
    hints: dict[str, Any]


class NotificationServer:
    def __init__(self, markup: bool) -> None:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        self.markup = markup
        self.received: list[Received] = []
        self._conn = open_dbus_connection(bus="SESSION")
        # 4 = DO_NOT_QUEUE: owning the name or failing, never waiting behind another server.
        (result,) = self._conn.send_and_get_reply(message_bus.RequestName(NAME, 4)).body
        if result != 1:
            self._conn.close()
            raise RuntimeError(f"{NAME} is already owned on this session bus (RequestName answered {result})")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        from jeepney import MessageType, new_error, new_method_return

        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                return
            h = msg.header
            if h.message_type != MessageType.method_call:
                continue
            member = h.fields.get(3)  # HeaderFields.member
            if member == "GetCapabilities":
                caps = ["body", "body-markup"] if self.markup else ["body"]
                self._conn.send(new_method_return(msg, "as", (caps,)))
            elif member == "GetServerInformation":
                self._conn.send(new_method_return(msg, "ssss", ("deskside-test", "deskside", "1", "1.2")))
            elif member == "Notify":
                app, _replaces, _icon, summary, body, _actions, hints, _timeout = msg.body
                self.received.append(Received(app, summary, body, dict(hints)))
                self._conn.send(new_method_return(msg, "u", (len(self.received),)))
            else:
                self._conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (str(member),)))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()


@pytest.fixture(params=[True, False], ids=["markup", "plain"])
def notification_server(request: pytest.FixtureRequest) -> Iterator[NotificationServer]:
    need(bool(os.environ.get("DBUS_SESSION_BUS_ADDRESS")), "a session D-Bus (scripts/run-tests.sh starts one)")
    server = NotificationServer(markup=bool(request.param))
    try:
        yield server
    finally:
        server.close()
