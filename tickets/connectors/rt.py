"""Request Tracker 5, REST2 (`POST /REST/2.0/ticket`). No idempotency key: a retry searches the marker with
TicketSQL first (in the subject, or a custom field if one is mapped)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from ..cancel import CancelToken, Progress, no_progress
from ..errors import ConfigError, RejectedError, TicketError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, Ticket
from .base import Connector, FilePart, HttpRequest, Request, Submitted
from .http_answers import error_detail, is_html, json_of
from .request_parts import basic_auth

DEFAULT_PRIORITIES = {"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}
#: RT's default lifecycle onto the common states.
STATES = {"new": State.NEW, "open": State.OPEN, "stalled": State.WAITING, "resolved": State.RESOLVED,
          "rejected": State.CLOSED, "deleted": State.CLOSED}


class RTConnector(Connector):
    type = "rt"
    title = "Request Tracker"
    searchable = True
    follows = True
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url", "queue"],
        "properties": {
            "url": {"type": "string", "description": "RT base URL, e.g. https://rt.example.org"},
            "queue": {"type": "string", "minLength": 1},
            "auth": {"enum": ["token", "basic"], "default": "token"},
            "user": {"type": "string", "description": "for auth = basic"},
            "requestor": {"type": "string", "description": "default requestor e-mail"},
            "priorities": {"type": "object", "description": "P1..P5 -> RT numeric priority",
                           "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 255},
                           "default": DEFAULT_PRIORITIES},
            "custom_fields": {"type": "object", "additionalProperties": {"type": "string"},
                              "description": "incident_type/impact/urgency/category/priority/marker -> RT CF name",
                              "default": {}},
            "attach": {"enum": ["multipart", "json"], "default": "multipart"},
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
        allowed = {"incident_type", "impact", "urgency", "category", "priority", "marker", "sla"}
        bad = set(cfg["custom_fields"]) - allowed
        if bad:
            raise ConfigError(f"{where}: custom_fields keys {sorted(bad)} unknown; use {sorted(allowed)}")
        prio = {str(k).upper().lstrip("P"): v for k, v in cfg["priorities"].items()}
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **prio}

    @property
    def api(self) -> str:
        return f"{self.config['url']}/REST/2.0"

    def _headers(self) -> dict[str, str]:
        if self.config["auth"] == "basic":
            return {"Authorization": basic_auth(self.config["user"], self.secret("password"))}
        return {"Authorization": f"token {self.secret('token')}"}

    def _payload(self, ticket: Ticket) -> dict[str, Any]:
        cf_map = self.config["custom_fields"]
        values = {
            "incident_type": ticket.incident_type.value,
            "impact": ticket.level_name(ticket.impact),
            "urgency": ticket.level_name(ticket.urgency),
            "category": ticket.category,
            "priority": ticket.priority_label,
            "marker": ticket.uid,
            "sla": ticket.sla.describe() if ticket.sla else "",
        }
        body: dict[str, Any] = {
            "Queue": self.config["queue"],
            "Subject": ticket.subject,
            "Priority": int(self.config["priorities"][str(ticket.priority)]),
            "Content": ticket.body_text(),
            "ContentType": "text/plain",
        }
        requestor = ticket.requester_email or self.config.get("requestor")
        if requestor:
            body["Requestor"] = requestor
        cfs = {cf: values[key] for key, cf in cf_map.items() if values.get(key)}
        if cfs:
            body["CustomFields"] = cfs
        return body

    def build(self, ticket: Ticket) -> list[Request]:
        headers = self._headers()
        payload = self._payload(ticket)
        url = f"{self.api}/ticket"
        if self.config["attach"] == "json" or not ticket.attachments:
            if ticket.attachments:
                payload["Attachments"] = [
                    {"FileName": a.filename, "FileType": a.content_type,
                     "FileContent": base64.b64encode(a.data).decode()}
                    for a in ticket.attachments
                ]
            return [HttpRequest("POST", url, {**headers, "Content-Type": "application/json"}, json=payload,
                                step="create")]
        parts = [FilePart("Attachments", a.filename, a.content_type, a.data) for a in ticket.attachments]
        # The JSON travels as a form part named JSON; RT reads attachments from parts named Attachments.
        return [HttpRequest("POST", url, headers, files=[FilePart("JSON", "", "application/json",
                                                                  json.dumps(payload).encode()), *parts],
                            step="create")]

    def _on_status(self, resp: httpx.Response) -> None:
        if resp.status_code == 403 and "queue" in resp.text.lower():
            raise RejectedError(
                f"Request Tracker ({self.name}) refused to create the ticket in queue {self.config['queue']!r}: "
                f"{error_detail(resp)}. Check that the queue exists and that the account may create tickets in it "
                f"(queue = ... in [backends.{self.name}])"
            )
        if resp.status_code == 400:
            raise RejectedError(f"Request Tracker ({self.name}) rejected the ticket (HTTP 400: {error_detail(resp)}); "
                                "check custom_fields names and the requestor address")

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        progress = progress or no_progress
        (req,) = self.build(ticket)
        assert isinstance(req, HttpRequest)
        progress("Request Tracker: creating the ticket", 0.1)
        with self._client(timeout) as client:
            resp = self.send(client, req, cancel, self._on_status)
        data = json_of(resp, "Request Tracker")
        tid = str(data.get("id", ""))
        if not tid:
            raise RejectedError(f"Request Tracker ({self.name}) answered without a ticket id: {str(data)[:200]}")
        progress("Request Tracker: done", 1.0)
        return Submitted(tid, self.display_url(tid))

    def display_url(self, tid: str) -> str:
        return f"{self.config['url']}/Ticket/Display.html?id={tid}"

    def search_request(self, ticket: Ticket) -> HttpRequest:
        cf = self.config["custom_fields"].get("marker")
        query = f"'CF.{{{cf}}}' = '{ticket.uid}'" if cf else f"Subject LIKE 'deskside:{ticket.uid}'"
        return HttpRequest("GET", f"{self.api}/tickets", self._headers(),
                           params={"query": query, "fields": "Subject", "per_page": "5"}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        req = self.search_request(ticket)
        with self._client(timeout) as client:
            resp = self.send(client, req)
        items = json_of(resp, "Request Tracker").get("items", [])
        ids = sorted(int(i["id"]) for i in items if str(i.get("id", "")).isdigit())
        if not ids:
            return None
        return Submitted(str(ids[0]), self.display_url(str(ids[0])))

    def test(self, *, timeout: float = 15.0) -> str:
        req = HttpRequest("GET", f"{self.api}/queue/{quote(self.config['queue'], safe='')}", self._headers(),
                          step="queue lookup")

        def on_status(resp: httpx.Response) -> None:
            if resp.status_code == 404 and is_html(resp):
                raise RejectedError(f"Request Tracker ({self.name}): {self.config['url']} does not lead to RT's "
                                    "REST2 API (a web page answered); url = ... must be RT's base address, the one "
                                    "its web interface uses, without /REST/2.0")
            if resp.status_code in (403, 404):
                raise RejectedError(f"Request Tracker ({self.name}): the queue {self.config['queue']!r} does not "
                                    "exist or this account cannot see it; check queue = ... and the account's rights")

        with self._client(timeout) as client:
            resp = self.send(client, req, None, on_status)
            data = json_of(resp, "Request Tracker")
            user = self._signed_in_user(client)
        queue = data.get("Name", self.config["queue"])
        who = f" as user {user}" if user else ""
        return f"Connected to Request Tracker at {self.config['url']}{who}; the queue {queue!r} exists"

    def _signed_in_user(self, client: httpx.Client) -> str:
        """Who the credentials sign in as: the basic-auth user, or the user id an RT auth token starts with
        (RT::AuthToken's "1-<user id>-<hash>") looked up by name; "" when it cannot be told."""
        if self.config["auth"] == "basic":
            return str(self.config["user"])
        m = re.fullmatch(r"1-(\d+)-[0-9a-fA-F]{32}", self.secret("token"))
        if m is None:
            return ""
        try:
            resp = self.send(client, HttpRequest("GET", f"{self.api}/user/{m.group(1)}", self._headers(),
                                                 step="user lookup"))
            return str(json_of(resp, "Request Tracker").get("Name") or "")
        except TicketError:
            return ""  # the queue answered: the sign-in works, only the name is unknown

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        """The ticket, its history (public replies are Correspond transactions) and the texts of its attachments
        (a transaction's text is its attachment)."""
        tid = quote(remote_id, safe="")
        h = self._headers()
        return [HttpRequest("GET", f"{self.api}/ticket/{tid}", h, step="status"),
                HttpRequest("GET", f"{self.api}/ticket/{tid}/history", h, step="history",
                            params={"fields": "Type,Created,Creator", "per_page": "100"}),
                HttpRequest("GET", f"{self.api}/ticket/{tid}/attachments", h, step="replies",
                            params={"fields": "TransactionId,Content,ContentType,Filename", "per_page": "100"})]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        ticket, history, attachments = answers
        texts: dict[str, str] = {}
        for a in attachments.get("items", []):
            if str(a.get("ContentType", "")).startswith("text/plain") and not a.get("Filename"):
                texts.setdefault(str(a.get("TransactionId", "")), str(a.get("Content") or ""))
        replies = []
        for tx in history.get("items", []):
            if tx.get("Type") != "Correspond":
                continue
            creator = tx.get("Creator")
            author = str(creator.get("id", "")) if isinstance(creator, dict) else str(creator or "")
            replies.append(Reply(str(tx["id"]), author, parse_time(tx.get("Created")) or 0.0,
                                 texts.get(str(tx["id"]), "").strip()))
        status = str(ticket.get("Status", ""))
        return TicketStatus(remote_id, state_of(status, STATES), status, tuple(replies),
                            created=parse_time(ticket.get("Created")), resolved_at=parse_time(ticket.get("Resolved")),
                            priority=str(ticket.get("Priority", "")), url=self.display_url(remote_id))

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        body: dict[str, Any] = {"Content": text, "ContentType": "text/plain"}
        if attachments:
            body["Attachments"] = [{"FileName": a.filename, "FileType": a.content_type,
                                    "FileContent": base64.b64encode(a.data).decode()} for a in attachments]
        return [HttpRequest("POST", f"{self.api}/ticket/{quote(remote_id, safe='')}/correspond",
                            {**self._headers(), "Content-Type": "application/json"}, json=body, step="reply")]

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.api}/ticket/{quote(remote_id, safe='')}",
                            {**self._headers(), "Content-Type": "application/json"}, json=fields, step=step)]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"Status": "open"}, "reopen")

    def resolve_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"Status": "resolved"}, "resolve")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        return self._update(remote_id, {"Priority": int(self.config["priorities"][str(priority)])}, "priority")
