"""Zammad: `POST /api/v1/tickets` with the first article and the bundle as a base64 attachment.
No idempotency key; a retry searches our marker first (`/api/v1/tickets/search`)."""

from __future__ import annotations

import base64
from typing import Any, ClassVar
from urllib.parse import quote

from ..cancel import CancelToken, Progress
from ..errors import ConfigError, RejectedError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, Ticket
from .base import Connector, HttpRequest, Request, Submitted
from .http_answers import json_of
from .request_parts import basic_auth

DEFAULT_PRIORITIES = {"1": "3 high", "2": "3 high", "3": "2 normal", "4": "1 low", "5": "1 low"}
STATES = {"new": State.NEW, "open": State.OPEN, "pending reminder": State.WAITING, "pending close": State.WAITING,
          "closed": State.CLOSED, "merged": State.CLOSED}


class ZammadConnector(Connector):
    type = "zammad"
    title = "Zammad"
    follows = True
    searchable = True
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url", "group"],
        "properties": {
            "url": {"type": "string"},
            "group": {"type": "string", "description": "Zammad group (the category)"},
            "customer": {"type": "string", "description": "customer e-mail; default: the requester (guess:)"},
            "auth": {"enum": ["token", "basic", "bearer"], "default": "token"},
            "user": {"type": "string"},
            "priorities": {"type": "object", "additionalProperties": {"type": "string"},
                           "default": DEFAULT_PRIORITIES},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def required_secrets(cls, config: Any) -> tuple[str, ...]:
        return ("password",) if config.get("auth") == "basic" else ("token",)

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        if cfg["auth"] == "basic" and not cfg.get("user"):
            raise ConfigError(f"{where}: auth = \"basic\" needs user = \"...\"")
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **{str(k).upper().lstrip("P"): v
                                                      for k, v in cfg["priorities"].items()}}

    def _headers(self) -> dict[str, str]:
        auth = self.config["auth"]
        if auth == "basic":
            return {"Authorization": basic_auth(self.config["user"], self.secret("password"))}
        if auth == "bearer":
            return {"Authorization": f"Bearer {self.secret('token')}"}
        return {"Authorization": f"Token token={self.secret('token')}"}

    def payload(self, ticket: Ticket) -> dict[str, Any]:
        customer = self.config.get("customer") or (f"guess:{ticket.requester_email}" if ticket.requester_email
                                                    else "")
        article: dict[str, Any] = {
            "subject": ticket.subject, "body": ticket.body_text(), "type": "note", "internal": False,
            "content_type": "text/plain",
            "attachments": [{"filename": a.filename, "data": base64.b64encode(a.data).decode(),
                             "mime-type": a.content_type} for a in ticket.attachments],
        }
        body: dict[str, Any] = {"title": ticket.subject, "group": self.config["group"],
                                "priority": self.config["priorities"][str(ticket.priority)], "article": article}
        if customer:
            body["customer"] = customer
        return body

    def build(self, ticket: Ticket) -> list[Request]:
        return [HttpRequest("POST", f"{self.config['url']}/api/v1/tickets",
                            {**self._headers(), "Content-Type": "application/json"}, json=self.payload(ticket),
                            step="create")]

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        reqs = [r for r in self.build(ticket) if isinstance(r, HttpRequest)]
        (resp,) = self.run_plan(reqs, timeout=timeout, cancel=cancel, progress=progress)
        data = json_of(resp, "Zammad")
        if not isinstance(data, dict) or "id" not in data:
            raise RejectedError(f"Zammad ({self.name}) answered without a ticket id: {str(data)[:200]}")
        return Submitted(str(data["id"]), f"{self.config['url']}/#ticket/zoom/{data['id']}")

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.config['url']}/api/v1/tickets/search", self._headers(),
                           params={"query": f'"{ticket.uid}"', "limit": "5"}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "Zammad")
        ids: list[Any] = []
        if isinstance(data, dict):
            ids = list(data.get("tickets", []))
        elif isinstance(data, list):
            ids = [t.get("id") for t in data if isinstance(t, dict)]
        ids = [i for i in ids if i is not None]
        if not ids:
            return None
        return Submitted(str(ids[0]), f"{self.config['url']}/#ticket/zoom/{ids[0]}")

    def test(self, *, timeout: float = 15.0) -> str:
        with self._client(timeout) as client:
            me = json_of(self.send(client, HttpRequest("GET", f"{self.config['url']}/api/v1/users/me",
                                                       self._headers(), step="sign-in check")), "Zammad")
        return f"Zammad at {self.config['url']}: signed in as {me.get('login', '?')!r}"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        h = self._headers()
        return [HttpRequest("GET", f"{self.config['url']}/api/v1/tickets/{quote(remote_id)}", h,
                            params={"expand": "true"}, step="status"),
                HttpRequest("GET", f"{self.config['url']}/api/v1/ticket_articles/by_ticket/{quote(remote_id)}", h,
                            step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        ticket, articles = answers
        replies = tuple(Reply(str(a.get("id")), str(a.get("from") or a.get("created_by") or ""),
                              parse_time(a.get("created_at")) or 0.0, str(a.get("body") or "").strip(),
                              ours=a.get("sender") == "Customer")
                        for a in articles if not a.get("internal") and a.get("sender") != "System")
        state = str(ticket.get("state") or "")
        return TicketStatus(remote_id, state_of(state, STATES), state, replies[1:] if replies else (),
                            created=parse_time(ticket.get("created_at")),
                            resolved_at=parse_time(ticket.get("close_at")),
                            priority=str(ticket.get("priority") or ""),
                            url=f"{self.config['url']}/#ticket/zoom/{remote_id}")

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        body: dict[str, Any] = {"ticket_id": int(remote_id), "body": text, "type": "web", "internal": False,
                                "content_type": "text/plain"}
        if attachments:
            body["attachments"] = [{"filename": a.filename, "mime-type": a.content_type,
                                    "data": base64.b64encode(a.data).decode()} for a in attachments]
        return [HttpRequest("POST", f"{self.config['url']}/api/v1/ticket_articles",
                            {**self._headers(), "Content-Type": "application/json"}, json=body, step="reply")]

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.config['url']}/api/v1/tickets/{quote(remote_id)}",
                            {**self._headers(), "Content-Type": "application/json"}, json=fields, step=step)]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"state": "open"}, "reopen")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        return self._update(remote_id, {"priority": self.config["priorities"][str(priority)]}, "priority")
