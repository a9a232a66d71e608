"""Freshdesk API v2: `POST /api/v2/tickets` as multipart (attachments need it), basic auth `<api_key>:X`.
No idempotency key; the ticket carries a tag `deskside-<uid>` that a retry searches first."""

from __future__ import annotations

import html
from typing import Any, ClassVar

from ..cancel import CancelToken, Progress
from ..errors import ConfigError, RejectedError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, Ticket
from .base import Connector, FilePart, HttpRequest, Request, Submitted
from .http_answers import json_of
from .request_parts import basic_auth

DEFAULT_PRIORITIES = {"1": 4, "2": 3, "3": 2, "4": 1, "5": 1}  # 1 low, 2 medium, 3 high, 4 urgent
STATES = {"2": State.OPEN, "3": State.WAITING, "4": State.RESOLVED, "5": State.CLOSED}  # 2 Open, 3 Pending...
MAX_ATTACHMENTS = 20 * 1024 * 1024


class FreshdeskConnector(Connector):
    type = "freshdesk"
    title = "Freshdesk"
    follows = True
    searchable = True
    search_lag = 120.0
    secret_fields = ("api_key",)
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "description": "https://<domain>.freshdesk.com"},
            "email": {"type": "string", "description": "requester e-mail when the ticket has none"},
            "group_id": {"type": "integer"},
            "ticket_type": {"type": "object", "additionalProperties": {"type": "string"},
                            "description": "incident type -> Freshdesk type (e.g. \"request\" = \"Question\")"},
            "priorities": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 4},
                           "default": DEFAULT_PRIORITIES},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **{str(k).upper().lstrip("P"): v
                                                      for k, v in cfg["priorities"].items()}}

    def _headers(self) -> dict[str, str]:
        return {"Authorization": basic_auth(self.secret("api_key"), "X")}

    @staticmethod
    def tag(ticket: Ticket) -> str:
        return f"deskside-{ticket.uid}"

    def fields(self, ticket: Ticket) -> list[tuple[str, str]]:
        email = ticket.requester_email or self.config.get("email")
        if not email:
            raise ConfigError(f"Freshdesk needs the requester's e-mail: give --requester-email or set email = ... "
                              f"in [backends.{self.name}]")
        out = [("email", email), ("subject", ticket.subject),
               ("description", f"<pre>{html.escape(ticket.body_text())}</pre>"),
               ("status", "2"), ("priority", str(self.config["priorities"][str(ticket.priority)])),
               ("tags[]", "deskside"), ("tags[]", self.tag(ticket))]
        if ticket.requester_name:
            out.append(("name", ticket.requester_name))
        ttype = (self.config.get("ticket_type") or {}).get(ticket.incident_type.value)
        if ttype:
            out.append(("type", ttype))
        if "group_id" in self.config:
            out.append(("group_id", str(self.config["group_id"])))
        return out

    def build(self, ticket: Ticket) -> list[Request]:
        if sum(len(a.data) for a in ticket.attachments) > MAX_ATTACHMENTS:
            raise RejectedError("Freshdesk takes at most 20 MB of attachments; the bundle is larger")
        parts = [FilePart(k, "", "text/plain; charset=utf-8", v.encode()) for k, v in self.fields(ticket)]
        parts += [FilePart("attachments[]", a.filename, a.content_type, a.data) for a in ticket.attachments]
        return [HttpRequest("POST", f"{self.config['url']}/api/v2/tickets", self._headers(), files=parts,
                            step="create")]

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        reqs = [r for r in self.build(ticket) if isinstance(r, HttpRequest)]
        (resp,) = self.run_plan(reqs, timeout=timeout, cancel=cancel, progress=progress)
        data = json_of(resp, "Freshdesk")
        if not isinstance(data, dict) or "id" not in data:
            raise RejectedError(f"Freshdesk ({self.name}) answered without a ticket id: {str(data)[:200]}")
        return Submitted(str(data["id"]), f"{self.config['url']}/a/tickets/{data['id']}")

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.config['url']}/api/v2/search/tickets", self._headers(),
                           params={"query": f"\"tag:'{self.tag(ticket)}'\""}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "Freshdesk")
        results = data.get("results", []) if isinstance(data, dict) else []
        if not results:
            return None
        tid = str(results[0]["id"])
        return Submitted(tid, f"{self.config['url']}/a/tickets/{tid}")

    def test(self, *, timeout: float = 15.0) -> str:
        with self._client(timeout) as client:
            me = json_of(self.send(client, HttpRequest("GET", f"{self.config['url']}/api/v2/agents/me",
                                                       self._headers(), step="sign-in check")), "Freshdesk")
        who = (me.get("contact") or {}).get("email", "?") if isinstance(me, dict) else "?"
        return f"Freshdesk at {self.config['url']}: signed in as {who!r}"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        base = f"{self.config['url']}/api/v2/tickets/{int(remote_id)}"
        return [HttpRequest("GET", base, self._headers(), step="status"),
                HttpRequest("GET", f"{base}/conversations", self._headers(), step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        ticket, convs = answers
        replies = tuple(Reply(str(c.get("id")), str(c.get("from_email") or c.get("user_id") or ""),
                              parse_time(c.get("created_at")) or 0.0, str(c.get("body_text") or "").strip(),
                              ours=bool(c.get("incoming")))
                        for c in convs if not c.get("private"))
        code = str(ticket.get("status", ""))
        names = {"2": "Open", "3": "Pending", "4": "Resolved", "5": "Closed"}
        stats = ticket.get("stats") or {}
        return TicketStatus(remote_id, state_of(code, STATES), names.get(code, code), replies,
                            created=parse_time(ticket.get("created_at")),
                            resolved_at=parse_time(stats.get("resolved_at") or stats.get("closed_at")),
                            priority=str(ticket.get("priority", "")), url=f"{self.config['url']}/a/tickets/{remote_id}")

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        url = f"{self.config['url']}/api/v2/tickets/{int(remote_id)}/notes"
        if not attachments:
            return [HttpRequest("POST", url, {**self._headers(), "Content-Type": "application/json"},
                                json={"body": html.escape(text).replace("\n", "<br>"), "private": False,
                                      "incoming": True}, step="reply")]
        parts = [FilePart("attachments[]", a.filename, a.content_type, a.data) for a in attachments]
        return [HttpRequest("POST", url, self._headers(), step="reply", files=parts,
                            data={"body": html.escape(text).replace("\n", "<br>"), "private": "false",
                                  "incoming": "true"})]

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.config['url']}/api/v2/tickets/{int(remote_id)}",
                            {**self._headers(), "Content-Type": "application/json"}, json=fields, step=step)]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"status": 2}, "reopen")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        return self._update(remote_id, {"priority": int(self.config["priorities"][str(priority)])}, "priority")
