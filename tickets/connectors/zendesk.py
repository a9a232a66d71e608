"""Zendesk: the bundle first via `POST /api/v2/uploads` (an upload token), then `POST /api/v2/tickets` with an
`Idempotency-Key` (the ticket uid), so a retry never creates a second ticket. A retry after a cut-off attempt
also searches the marker first, because a retry uploads the bundle again and so sends a different payload."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ..cancel import CancelToken, Progress
from ..errors import AuthError, ConfigError, RejectedError, TransientError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, IncidentType, Ticket
from .base import HttpRequest, Submitted, UploadThenCreate
from .http_answers import error_detail, json_of
from .request_parts import basic_auth

DEFAULT_PRIORITIES = {"1": "urgent", "2": "high", "3": "normal", "4": "low", "5": "low"}
STATES = {"new": State.NEW, "open": State.OPEN, "pending": State.WAITING, "hold": State.WAITING,
          "solved": State.RESOLVED, "closed": State.CLOSED}
DEFAULT_TYPES = {IncidentType.SECURITY_BREACH.value: "incident", IncidentType.TECHNICAL_FAILURE.value: "incident",
                 IncidentType.SOFTWARE_PROBLEM.value: "problem", IncidentType.REQUEST.value: "task"}


class ZendeskConnector(UploadThenCreate):
    type = "zendesk"
    title = "Zendesk"
    follows = True
    idempotent = True
    searchable = True
    search_lag = 120.0
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "description": "https://<subdomain>.zendesk.com"},
            "auth": {"enum": ["token", "oauth"], "default": "token"},
            "user": {"type": "string", "description": "agent e-mail (auth = token)"},
            "group_id": {"type": "integer"},
            "priorities": {"type": "object", "additionalProperties": {"enum": ["urgent", "high", "normal", "low"]},
                           "default": DEFAULT_PRIORITIES},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def required_secrets(cls, config: Any) -> tuple[str, ...]:
        return ("token",)

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        if cfg["auth"] == "token" and not cfg.get("user"):
            raise ConfigError(f"{where}: auth = \"token\" needs user = \"agent@example.org\"")
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **{str(k).upper().lstrip("P"): v
                                                      for k, v in cfg["priorities"].items()}}

    def _headers(self) -> dict[str, str]:
        if self.config["auth"] == "oauth":
            return {"Authorization": f"Bearer {self.secret('token')}"}
        return {"Authorization": basic_auth(f"{self.config['user']}/token", self.secret("token"))}

    def upload_requests(self, ticket: Ticket) -> list[HttpRequest]:
        return [HttpRequest("POST", f"{self.config['url']}/api/v2/uploads",
                            {**self._headers(), "Content-Type": a.content_type}, content=a.data,
                            params={"filename": a.filename}, step="upload") for a in ticket.attachments]

    def create_request(self, ticket: Ticket, tokens: list[str]) -> HttpRequest:
        comment: dict[str, Any] = {"body": ticket.body_text(), "public": True}
        if tokens:
            comment["uploads"] = tokens
        t: dict[str, Any] = {"subject": ticket.subject, "comment": comment,
                             "priority": self.config["priorities"][str(ticket.priority)],
                             "type": DEFAULT_TYPES[ticket.incident_type.value],
                             "tags": ["deskside", f"deskside_{ticket.uid.replace('-', '_')}"]}
        if ticket.requester_email:
            t["requester"] = {"email": ticket.requester_email, "name": ticket.requester_name or
                              ticket.requester_email.split("@", 1)[0]}
        if "group_id" in self.config:
            t["group_id"] = self.config["group_id"]
        return HttpRequest("POST", f"{self.config['url']}/api/v2/tickets",
                           {**self._headers(), "Content-Type": "application/json", "Idempotency-Key": ticket.uid},
                           json={"ticket": t}, step="create")

    def on_create_status(self, resp: httpx.Response) -> None:
        if resp.status_code == 400 and "idempotent" in resp.text.lower():
            # Same key, different payload (a new upload token): the first attempt did create it; the search
            # index will show it shortly.
            raise TransientError(f"Zendesk ({self.name}) already has a ticket for this key ({error_detail(resp)}); "
                                 "the next try looks it up", maybe_sent=True, retry_after=60)

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        data = self.upload_then_create(ticket, timeout=timeout, cancel=cancel, progress=progress)
        tid = str((data.get("ticket") or {}).get("id", "")) if isinstance(data, dict) else ""
        if not tid:
            raise RejectedError(f"Zendesk ({self.name}) answered without a ticket id: {str(data)[:200]}")
        return Submitted(tid, f"{self.config['url']}/agent/tickets/{tid}")

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.config['url']}/api/v2/search.json", self._headers(),
                           params={"query": f"type:ticket tags:deskside_{ticket.uid.replace('-', '_')}"},
                           step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "Zendesk")
        results = data.get("results", []) if isinstance(data, dict) else []
        if not results:
            return None
        tid = str(results[0]["id"])
        return Submitted(tid, f"{self.config['url']}/agent/tickets/{quote(tid)}")

    def test(self, *, timeout: float = 15.0) -> str:
        with self._client(timeout) as client:
            me = json_of(self.send(client, HttpRequest("GET", f"{self.config['url']}/api/v2/users/me.json",
                                                       self._headers(), step="sign-in check")), "Zendesk")
        user = me.get("user") or {}
        if not user.get("id"):
            raise AuthError(f"Zendesk ({self.name}) treated us as an anonymous user: check user and token")
        return f"Zendesk at {self.config['url']}: signed in as {user.get('email', '?')!r} ({user.get('role', '?')})"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        base = f"{self.config['url']}/api/v2/tickets/{quote(remote_id)}"
        return [HttpRequest("GET", f"{base}.json", self._headers(), step="status"),
                HttpRequest("GET", f"{base}/comments.json", self._headers(), step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        ticket, comments = (answers[0].get("ticket") or {}), answers[1].get("comments") or []
        requester = ticket.get("requester_id")
        replies = tuple(Reply(str(c.get("id")), str(c.get("author_id") or ""), parse_time(c.get("created_at")) or 0.0,
                              str(c.get("plain_body") or c.get("body") or "").strip(),
                              ours=c.get("author_id") == requester)
                        for c in comments[1:] if c.get("public", True))
        state = str(ticket.get("status") or "")
        return TicketStatus(remote_id, state_of(state, STATES), state, replies,
                            created=parse_time(ticket.get("created_at")),
                            resolved_at=parse_time(ticket.get("updated_at")) if state in ("solved", "closed") else None,
                            priority=str(ticket.get("priority") or ""),
                            url=f"{self.config['url']}/agent/tickets/{quote(remote_id)}")

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.config['url']}/api/v2/tickets/{quote(remote_id)}.json",
                            {**self._headers(), "Content-Type": "application/json"}, json={"ticket": fields},
                            step=step)]

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        self.text_only(attachments)
        return self._update(remote_id, {"comment": {"body": text, "public": True}}, "reply")

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"status": "open"}, "reopen")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        return self._update(remote_id, {"priority": self.config["priorities"][str(priority)]}, "priority")
