"""osTicket: `POST /api/tickets.json` with `X-API-Key` (the key is bound to the caller's IP address) and the bundle
as an RFC 2397 data URL. Create only: no search and no idempotency key, so an attempt cut off mid-way makes the
ticket "uncertain" in the outbox (check osTicket, then retry or discard)."""

from __future__ import annotations

import base64
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ..cancel import CancelToken, Progress
from ..errors import AuthError, ConfigError, RejectedError
from ..model import Ticket
from .base import Connector, HttpRequest, Request, Submitted
from .http_answers import error_detail

DEFAULT_PRIORITIES = {"1": 4, "2": 3, "3": 2, "4": 1, "5": 1}  # osTicket: 1 low, 2 normal, 3 high, 4 emergency


class OsTicketConnector(Connector):
    type = "osticket"
    title = "osTicket"
    secret_fields = ("api_key",)
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url"],
        "properties": {
            "url": {"type": "string"},
            "name": {"type": "string", "description": "requester name when the ticket has none"},
            "email": {"type": "string", "description": "requester e-mail when the ticket has none"},
            "topic_id": {"type": "integer", "minimum": 1, "description": "help topic (the category)"},
            "priorities": {"type": "object", "additionalProperties": {"type": "integer"},
                           "default": DEFAULT_PRIORITIES},
            "alert": {"type": "boolean", "default": True},
            "autorespond": {"type": "boolean", "default": True},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **{str(k).upper().lstrip("P"): v
                                                      for k, v in cfg["priorities"].items()}}
        if cfg.get("email") and "@" not in cfg["email"]:
            raise ConfigError(f"{where}: email {cfg['email']!r} is not an e-mail address")

    def payload(self, ticket: Ticket) -> dict[str, Any]:
        email = ticket.requester_email or self.config.get("email")
        if not email:
            raise ConfigError(f"osTicket needs the requester's e-mail: give --requester-email or set email = ... in "
                              f"[backends.{self.name}]")
        body: dict[str, Any] = {
            "name": ticket.requester_name or self.config.get("name") or email.split("@", 1)[0],
            "email": email,
            "subject": ticket.subject,
            "message": "data:text/plain;charset=utf-8," + quote(ticket.body_text()),
            "priorityId": int(self.config["priorities"][str(ticket.priority)]),
            "alert": self.config["alert"],
            "autorespond": self.config["autorespond"],
            "source": "API",
            "attachments": [{a.filename: f"data:{a.content_type};base64,{base64.b64encode(a.data).decode()}"}
                            for a in ticket.attachments],
        }
        if "topic_id" in self.config:
            body["topicId"] = self.config["topic_id"]
        return body

    def build(self, ticket: Ticket) -> list[Request]:
        return [HttpRequest("POST", f"{self.config['url']}/api/tickets.json",
                            {"X-API-Key": self.secret("api_key"), "Content-Type": "application/json"},
                            json=self.payload(ticket), step="create")]

    def _on_status(self, resp: httpx.Response) -> None:
        if resp.status_code == 401:
            raise AuthError(f"osTicket ({self.name}) refused the API key (HTTP 401: {error_detail(resp)}); the key "
                            "must be active and made for this computer's IP address; store it with "
                            f"`deskside backend set-secret {self.name}`")

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        (req,) = [r for r in self.build(ticket) if isinstance(r, HttpRequest)]
        with self._client(timeout) as client:
            resp = self.send(client, req, cancel, self._on_status)
        number = resp.text.strip()
        if not number or len(number) > 32:
            raise RejectedError(f"osTicket ({self.name}) answered without a ticket number: {number[:120]!r}")
        return Submitted(number, f"{self.config['url']}/scp/tickets.php?a=search&query={quote(number)}")

    def test(self, *, timeout: float = 15.0) -> str:
        # osTicket has no read-only API call: a GET is refused with 405 for a valid key and 401 for a bad one.
        req = HttpRequest("GET", f"{self.config['url']}/api/tickets.json", {"X-API-Key": self.secret("api_key")},
                          step="key check")
        with self._client(timeout) as client:
            try:
                self.send(client, req, None, self._on_status)
            except RejectedError:
                pass
        return f"osTicket at {self.config['url']} answers and accepts the API key; nothing was created"
