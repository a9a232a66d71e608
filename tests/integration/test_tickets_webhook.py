"""The generic JSON webhook against a real HTTP receiver on 127.0.0.1 (a small threaded server in the test):
payload, signature, bundle, and what happens when the answer is lost (idempotent receiver or not)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tickets.service import Draft, TicketService

pytestmark = pytest.mark.integration


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.created: dict[str, dict[str, Any]] = {}  # Idempotency-Key -> ticket
        self.requests: list[tuple[dict[str, str], bytes]] = []
        # The test holds the next answer until it sets this Event (the ticket exists; the answer comes late, after
        # the client gave up); `answered` is set once that held request's handler is done.
        self.hold_next: threading.Event | None = None
        self.answered = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return None

    def do_HEAD(self) -> None:
        self.send_response(405)
        self.end_headers()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((dict(self.headers), body))
        key = self.headers["Idempotency-Key"]
        if key not in self.server.created:  # an idempotent receiver: one ticket per key
            self.server.created[key] = {"id": f"T{len(self.server.created) + 1}", "payload": json.loads(body)}
        hold, self.server.hold_next = self.server.hold_next, None
        if hold is not None:
            assert hold.wait(60), "the test never released the held answer"
        t = self.server.created[key]
        out = json.dumps({"id": t["id"], "url": f"https://desk.example/{t['id']}"}).encode()
        try:
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass
        finally:
            if hold is not None:
                self.server.answered.set()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    srv = Receiver()
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _svc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, **extra: Any) -> TicketService:
    monkeypatch.setenv("DESKSIDE_SECRET_HOOK_SIGNING_KEY", "sign-me")
    monkeypatch.setenv("DESKSIDE_SECRET_HOOK_TOKEN", "hook-token")
    cfg = {"type": "webhook", "url": url, "sign": True, "use_token": True, **extra}
    return TicketService(backends={"hook": cfg}, data_dir=tmp_path / "data")


def test_webhook_delivers_payload_signature_and_bundle(receiver: Receiver, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, receiver.url)
    assert "answers (HTTP 405 to HEAD)" in svc.test_backend("hook")
    p = svc.build_preview(Draft(summary="Laptop overheats", incident_type="technical failure", impact="low",
                                urgency="high"), report={"host": "pc-x", "findings": []})
    e = svc.submit(p, timeout=10)
    assert (e.state, e.remote_id, e.remote_url) == ("sent", "T1", "https://desk.example/T1")
    ((headers, body),) = receiver.requests
    assert headers["Authorization"] == "Bearer hook-token"
    assert headers["X-Deskside-Signature"] == "sha256=" + hmac.new(b"sign-me", body, hashlib.sha256).hexdigest()
    assert headers["Idempotency-Key"] == p.ticket.uid
    data = json.loads(body)
    assert (data["summary"], data["priority_label"], data["incident_type"]) == ("Laptop overheats", "P3 medium",
                                                                               "technical failure")
    assert base64.b64decode(data["attachments"][0]["data_base64"]) == p.bundle.data  # type: ignore[union-attr]


def test_lost_answer_idempotent_receiver_gets_one_ticket(receiver: Receiver, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, receiver.url, idempotent=True)
    receiver.hold_next = release = threading.Event()
    e = svc.submit(svc.build_preview(Draft(summary="slow receiver")), timeout=1)  # gives up waiting for the answer
    assert e.state == "retry" and e.maybe_sent
    release.set()  # the late answer goes to a client that is no longer listening
    assert receiver.answered.wait(30)
    e = svc.retry(e.id, timeout=10)
    assert e.state == "sent" and e.remote_id == "T1"
    assert len(receiver.requests) == 2 and len(receiver.created) == 1


def test_lost_answer_plain_receiver_is_uncertain_not_duplicated(receiver: Receiver, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    svc = _svc(tmp_path, monkeypatch, receiver.url)  # idempotent = false: we cannot know
    receiver.hold_next = release = threading.Event()
    e = svc.submit(svc.build_preview(Draft(summary="slow receiver")), timeout=1)  # gives up waiting for the answer
    assert e.state == "uncertain" and "may have been created" in e.last_error
    assert svc.process_due() == []  # never retried on its own
    release.set()
    assert receiver.answered.wait(30)
    assert svc.process_due() == []  # not even once the receiver has answered (to nobody)
    assert len(receiver.requests) == 1
