"""GLPI REST API (`/apirest.php`): initSession, `POST /Ticket`, the bundle as a Document linked to the ticket,
killSession. No idempotency key; a retry searches our marker in the ticket title first (`/search/Ticket`)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx

from ..cancel import CancelToken, Progress, no_progress
from ..errors import ConfigError, RejectedError, TicketError
from ..lifecycle import Reply, State, TicketStatus, html_to_text, parse_time, state_of
from ..model import Attachment, IncidentType, Ticket
from .base import Connector, FilePart, HttpRequest, Request, Submitted
from .http_answers import json_of
from .request_parts import basic_auth

SESSION = "{session_token}"
TICKET_ID = "{ticket_id}"

#: GLPI ticket statuses: 1 new, 2 processing (assigned), 3 processing (planned), 4 pending, 5 solved, 6 closed.
STATES = {"1": State.NEW, "2": State.OPEN, "3": State.OPEN, "4": State.WAITING, "5": State.RESOLVED, "6": State.CLOSED}
STATUS_NAMES = {"1": "new", "2": "processing (assigned)", "3": "processing (planned)", "4": "pending", "5": "solved",
                "6": "closed"}


class GLPIConnector(Connector):
    type = "glpi"
    title = "GLPI"
    follows = True
    searchable = True
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url"],
        "properties": {
            "url": {"type": "string", "description": "GLPI root, e.g. https://glpi.example.org"},
            "auth": {"enum": ["user_token", "basic"], "default": "user_token"},
            "user": {"type": "string"},
            "use_app_token": {"type": "boolean", "default": False},
            "category_id": {"type": "integer", "minimum": 0, "description": "itilcategories_id"},
            "entity_id": {"type": "integer", "minimum": 0},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def required_secrets(cls, config: Any) -> tuple[str, ...]:
        first = ("password",) if config.get("auth") == "basic" else ("user_token",)
        return first + (("app_token",) if config.get("use_app_token") else ())

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        if cfg["auth"] == "basic" and not cfg.get("user"):
            raise ConfigError(f"{where}: auth = \"basic\" needs user = \"...\"")

    @property
    def api(self) -> str:
        return f"{self.config['url']}/apirest.php"

    def _app(self) -> dict[str, str]:
        return {"App-Token": self.secret("app_token")} if self.config["use_app_token"] else {}

    def login_request(self) -> HttpRequest:
        if self.config["auth"] == "basic":
            auth = basic_auth(self.config["user"], self.secret("password"))
        else:
            auth = f"user_token {self.secret('user_token')}"
        return HttpRequest("GET", f"{self.api}/initSession", {"Authorization": auth, **self._app()}, step="login")

    def _session(self, token: str) -> dict[str, str]:
        return {"Session-Token": token, **self._app()}

    @staticmethod
    def _level(level: int, scale: int) -> int:
        """Ours: 1 = highest of `scale`; GLPI: 5 = very high .. 1 = very low."""
        return {1: 4, 2: 3, 3: 2}[level] if scale == 3 else 6 - level

    def ticket_request(self, ticket: Ticket, session: str) -> HttpRequest:
        inp: dict[str, Any] = {
            "name": ticket.subject,
            "content": ticket.body_text(),
            "type": 2 if ticket.incident_type == IncidentType.REQUEST else 1,
            "urgency": self._level(ticket.urgency, ticket.scale),
            "impact": self._level(ticket.impact, ticket.scale),
        }
        if "category_id" in self.config:
            inp["itilcategories_id"] = self.config["category_id"]
        if "entity_id" in self.config:
            inp["entities_id"] = self.config["entity_id"]
        return HttpRequest("POST", f"{self.api}/Ticket", {**self._session(session), "Content-Type": "application/json"},
                           json={"input": inp}, step="create")

    def document_requests(self, ticket: Ticket, session: str, ticket_id: str) -> list[HttpRequest]:
        out = []
        for a in ticket.attachments:
            manifest = {"input": {"name": a.filename, "_filename": [a.filename], "itemtype": "Ticket",
                                  "items_id": int(ticket_id) if ticket_id.isdigit() else ticket_id}}
            out.append(HttpRequest("POST", f"{self.api}/Document", self._session(session),
                                   files=[FilePart("uploadManifest", "", "application/json",
                                                   json.dumps(manifest).encode()),
                                          FilePart("filename[0]", a.filename, a.content_type, a.data)],
                                   step="attach"))
        return out

    def logout_request(self, session: str) -> HttpRequest:
        return HttpRequest("GET", f"{self.api}/killSession", self._session(session), step="logout")

    def build(self, ticket: Ticket) -> list[Request]:
        return [self.login_request(), self.ticket_request(ticket, SESSION),
                *self.document_requests(ticket, SESSION, TICKET_ID), self.logout_request(SESSION)]

    def _login(self, client: Any) -> str:
        data = json_of(self.send(client, self.login_request()), "GLPI")
        token = data.get("session_token") if isinstance(data, dict) else None
        if not token:
            raise RejectedError(f"GLPI ({self.name}) gave no session token: {str(data)[:200]}")
        return str(token)

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        progress = progress or no_progress
        with self._client(timeout) as client:
            progress("GLPI: signing in", 0.1)
            session = self._login(client)
            try:
                progress("GLPI: creating the ticket", 0.3)
                data = json_of(self.send(client, self.ticket_request(ticket, session), cancel), "GLPI")
                tid = str(data.get("id", "")) if isinstance(data, dict) else ""
                if not tid:
                    raise RejectedError(f"GLPI ({self.name}) answered without a ticket id: {str(data)[:200]}")
                warning = ""
                progress("GLPI: attaching the bundle", 0.6)
                try:
                    for req in self.document_requests(ticket, session, tid):
                        self.send(client, req)
                except TicketError as exc:  # the ticket exists: never fail (and retry) it for the attachment
                    warning = f"the ticket was created but the bundle could not be attached: {exc}"
            finally:
                try:
                    self.send(client, self.logout_request(session))
                except TicketError:
                    pass
        progress("GLPI: done", 1.0)
        return Submitted(tid, f"{self.config['url']}/front/ticket.form.php?id={tid}", warning)

    def search_request(self, ticket: Ticket, session: str) -> HttpRequest:
        return HttpRequest("GET", f"{self.api}/search/Ticket", self._session(session), params={
            "criteria[0][field]": "1", "criteria[0][searchtype]": "contains",
            "criteria[0][value]": f"deskside:{ticket.uid}", "forcedisplay[0]": "2"}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            session = self._login(client)
            try:
                data = json_of(self.send(client, self.search_request(ticket, session)), "GLPI")
            finally:
                try:
                    self.send(client, self.logout_request(session))
                except TicketError:
                    pass
        rows = data.get("data", []) if isinstance(data, dict) else []
        ids = [str(r.get("2")) for r in rows if isinstance(r, dict) and r.get("2") is not None]
        if not ids:
            return None
        return Submitted(ids[0], f"{self.config['url']}/front/ticket.form.php?id={ids[0]}")

    def test(self, *, timeout: float = 15.0) -> str:
        with self._client(timeout) as client:
            session = self._login(client)
            self.send(client, self.logout_request(session))
        return f"GLPI at {self.config['url']}: signed in (session opened and closed)"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        h = self._session(SESSION)
        return [HttpRequest("GET", f"{self.api}/Ticket/{int(remote_id)}", h, step="status"),
                HttpRequest("GET", f"{self.api}/Ticket/{int(remote_id)}/ITILFollowup", h, step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        ticket, followups = answers
        me = ticket.get("users_id_recipient")
        replies = tuple(Reply(str(f.get("id")), str(f.get("users_id") or ""), parse_time(f.get("date_creation")) or 0.0,
                              html_to_text(str(f.get("content") or "")), ours=f.get("users_id") == me)
                        for f in (followups if isinstance(followups, list) else []) if not f.get("is_private"))
        code = str(ticket.get("status", ""))
        return TicketStatus(remote_id, state_of(code, STATES), STATUS_NAMES.get(code, code), replies,
                            created=parse_time(ticket.get("date_creation") or ticket.get("date")),
                            resolved_at=parse_time(ticket.get("solvedate") or ticket.get("closedate")),
                            priority=str(ticket.get("priority", "")),
                            url=f"{self.config['url']}/front/ticket.form.php?id={remote_id}")

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        self.text_only(attachments)
        return [HttpRequest("POST", f"{self.api}/ITILFollowup",
                            {**self._session(SESSION), "Content-Type": "application/json"},
                            json={"input": {"itemtype": "Ticket", "items_id": int(remote_id), "content": text,
                                            "is_private": 0}}, step="reply")]

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.api}/Ticket/{int(remote_id)}",
                            {**self._session(SESSION), "Content-Type": "application/json"}, json={"input": fields},
                            step=step)]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"status": 2}, "reopen")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        return self._update(remote_id, {"priority": 6 - priority}, "priority")  # P1 -> 5 very high .. P5 -> 1

    def run_follow(self, reqs: list[HttpRequest], timeout: float) -> list[httpx.Response]:
        """Sign in, send the requests with the session token in place of {session_token}, sign out."""
        with self._client(timeout) as client:
            session = self._login(client)
            try:
                out = []
                for r in reqs:
                    r.headers = {k: v.replace(SESSION, session) for k, v in r.headers.items()}
                    out.append(self.send(client, r))
                return out
            finally:
                try:
                    self.send(client, self.logout_request(session))
                except TicketError:
                    pass
