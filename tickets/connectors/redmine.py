"""Redmine: the bundle first via `POST /uploads.json` (raw bytes, an upload token), then `POST /issues.json`.
Auth `X-Redmine-API-Key` (the REST API must be enabled by an admin). No idempotency key; a retry searches our
marker in the subject first (`GET /issues.json?subject=~...`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..cancel import CancelToken, Progress
from ..errors import AuthError, RejectedError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, Ticket
from .base import HttpRequest, Submitted, UploadThenCreate
from .http_answers import error_detail, json_of

if TYPE_CHECKING:
    import httpx

# Redmine's default priorities: 1 Low, 2 Normal, 3 High, 4 Urgent, 5 Immediate. Ours: P1 Immediate, P2 Urgent,
# P3 Normal, P4 and P5 Low (High is not used); `priorities = {P2 = 3}` in [backends.NAME] changes one.
DEFAULT_PRIORITIES = {"1": 5, "2": 4, "3": 2, "4": 1, "5": 1}
#: Redmine's default statuses (by name); a closed status not named here counts as closed.
STATES = {"new": State.NEW, "in progress": State.OPEN, "feedback": State.WAITING, "resolved": State.RESOLVED,
          "closed": State.CLOSED, "rejected": State.CLOSED}
REOPEN_STATUS_ID = 2  # "In Progress" in Redmine's default data


class RedmineConnector(UploadThenCreate):
    type = "redmine"
    title = "Redmine"
    subject_limit = 255  # characters
    follows = True
    creates = "issue"
    searchable = True
    secret_fields = ("api_key",)
    schema: ClassVar[dict[str, Any]] = {
        "required": ["url", "project"],
        "properties": {
            "url": {"type": "string"},
            "project": {"type": ["string", "integer"], "description": "project id or identifier"},
            "tracker_id": {"type": "integer"},
            "category_id": {"type": "integer"},
            "priorities": {"type": "object", "additionalProperties": {"type": "integer"},
                           "default": DEFAULT_PRIORITIES},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        cfg["priorities"] = {**DEFAULT_PRIORITIES, **{str(k).upper().lstrip("P"): v
                                                      for k, v in cfg["priorities"].items()}}

    def raise_for_status(self, resp: httpx.Response, req: HttpRequest) -> None:
        """Redmine's own words for the two common set-up mistakes: an unknown project (at send time Redmine says
        "Project cannot be blank; Tracker cannot be blank; ...") and a REST API that is switched off (a bare 403)."""
        code, where = resp.status_code, f"[backends.{self.name}]"
        project = self.config["project"]
        fix_project = (f"set project = \"IDENTIFIER\" in {where} to the identifier in the project's address "
                       f"({self.config['url']}/projects/IDENTIFIER), then `deskside backend test {self.name}`")
        if code == 422 and req.step == "create" and "project" in error_detail(resp).lower():
            raise RejectedError(f"Redmine ({self.name}) has no project {project!r} that this account may add issues "
                                f"to (Redmine said: {error_detail(resp)}); {fix_project}")
        if code == 404 and req.step == "project lookup":
            raise RejectedError(f"Redmine ({self.name}) has no project {project!r} (or this account cannot see it); "
                                f"{fix_project}")
        if code == 403:
            raise AuthError(f"Redmine ({self.name}) refused the API request (HTTP 403). Most often its REST API is "
                            "switched off: an administrator enables it under Administration > Settings > API > "
                            "\"Enable REST web service\". Otherwise the account lacks the right to add issues "
                            f"in project {project!r} (Administration > Roles and permissions)")
        super().raise_for_status(resp, req)

    def _headers(self) -> dict[str, str]:
        return {"X-Redmine-API-Key": self.secret("api_key")}

    def upload_requests(self, ticket: Ticket) -> list[HttpRequest]:
        return [HttpRequest("POST", f"{self.config['url']}/uploads.json",
                            {**self._headers(), "Content-Type": "application/octet-stream"}, content=a.data,
                            params={"filename": a.filename}, step="upload") for a in ticket.attachments]

    def create_request(self, ticket: Ticket, tokens: list[str]) -> HttpRequest:
        issue: dict[str, Any] = {"project_id": self.config["project"], "subject": self.subject(ticket),
                                 "description": ticket.body_text(),
                                 "priority_id": int(self.config["priorities"][str(ticket.priority)])}
        for key in ("tracker_id", "category_id"):
            if key in self.config:
                issue[key] = self.config[key]
        if tokens:
            issue["uploads"] = [{"token": tok, "filename": a.filename, "content_type": a.content_type}
                                for tok, a in zip(tokens, ticket.attachments, strict=True)]
        return HttpRequest("POST", f"{self.config['url']}/issues.json",
                           {**self._headers(), "Content-Type": "application/json"}, json={"issue": issue},
                           step="create")

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        data = self.upload_then_create(ticket, timeout=timeout, cancel=cancel, progress=progress)
        iid = str((data.get("issue") or {}).get("id", "")) if isinstance(data, dict) else ""
        if not iid:
            raise RejectedError(f"Redmine ({self.name}) answered without an issue id: {str(data)[:200]}")
        return Submitted(iid, f"{self.config['url']}/issues/{iid}")

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.config['url']}/issues.json", self._headers(), params={
            "project_id": str(self.config["project"]), "subject": f"~{ticket.uid}", "status_id": "*",
            "limit": "5"}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "Redmine")
        issues = [i for i in (data.get("issues", []) if isinstance(data, dict) else [])
                  if ticket.uid in str(i.get("subject", ""))]
        if not issues:
            return None
        iid = str(issues[0]["id"])
        return Submitted(iid, f"{self.config['url']}/issues/{iid}")

    def test(self, *, timeout: float = 15.0) -> str:
        with self._client(timeout) as client:
            me = json_of(self.send(client, HttpRequest("GET", f"{self.config['url']}/users/current.json",
                                                       self._headers(), step="sign-in check")), "Redmine")
            proj = json_of(self.send(client, HttpRequest("GET", f"{self.config['url']}/projects/"
                                                         f"{self.config['project']}.json", self._headers(),
                                                         step="project lookup")), "Redmine")
        login = (me.get("user") or {}).get("login", "?")
        name = (proj.get("project") or {}).get("name", "?")
        return f"Redmine at {self.config['url']}: signed in as {login!r}, project {name!r} found"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        return [HttpRequest("GET", f"{self.config['url']}/issues/{int(remote_id)}.json", self._headers(),
                            params={"include": "journals"}, step="status")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        issue = answers[0].get("issue") or {}
        author = (issue.get("author") or {}).get("id")
        replies = tuple(Reply(str(j.get("id")), str((j.get("user") or {}).get("name") or ""),
                              parse_time(j.get("created_on")) or 0.0, str(j.get("notes") or "").strip(),
                              ours=(j.get("user") or {}).get("id") == author)
                        for j in issue.get("journals") or [] if j.get("notes") and not j.get("private_notes"))
        status = issue.get("status") or {}
        name = str(status.get("name") or "")
        default = State.CLOSED if status.get("is_closed") else State.OPEN
        return TicketStatus(remote_id, state_of(name, STATES, default), name, replies,
                            created=parse_time(issue.get("created_on")), resolved_at=parse_time(issue.get("closed_on")),
                            priority=str((issue.get("priority") or {}).get("name") or ""),
                            url=f"{self.config['url']}/issues/{remote_id}")

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.config['url']}/issues/{int(remote_id)}.json",
                            {**self._headers(), "Content-Type": "application/json"}, json={"issue": fields},
                            step=step)]

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        self.text_only(attachments)
        return self._update(remote_id, {"notes": text}, "reply")

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"status_id": REOPEN_STATUS_ID}, "reopen")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        return self._update(remote_id, {"priority_id": int(self.config["priorities"][str(priority)])}, "priority")
