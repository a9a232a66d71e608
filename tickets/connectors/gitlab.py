"""GitLab issues: the bundle first via `POST /projects/:id/uploads` (its Markdown link goes into the description),
then `POST /projects/:id/issues` (confidential by default). Header `PRIVATE-TOKEN`. No idempotency key; a retry
searches our marker in the title first."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

from ..cancel import CancelToken, Progress
from ..errors import RejectedError
from ..lifecycle import Reply, State, TicketStatus, parse_time, state_of
from ..model import Attachment, IncidentType, Ticket
from .base import FilePart, HttpRequest, Submitted, UploadThenCreate
from .http_answers import json_of

STATES = {"opened": State.OPEN, "reopened": State.OPEN, "closed": State.RESOLVED}
PRIORITY_LABELS = ("P1", "P2", "P3", "P4", "P5")


class GitLabConnector(UploadThenCreate):
    type = "gitlab"
    title = "GitLab issues"
    subject_limit = 255  # characters
    short_title = "GitLab"
    follows = True
    creates = "issue"
    upload_placeholder = "{upload_markdown}"
    searchable = True
    secret_fields = ("token",)
    attachments = "link"
    schema: ClassVar[dict[str, Any]] = {
        "required": ["project"],
        "properties": {
            "url": {"type": "string", "default": "https://gitlab.com"},
            "project": {"type": ["string", "integer"], "description": "numeric id or path like group/project"},
            "labels": {"type": "array", "items": {"type": "string"}, "default": ["support"]},
            "label_priority": {"type": "boolean", "default": True},
            "confidential": {"type": "boolean", "default": True},
            "allow_insecure_http": {"type": "boolean", "default": False},
        },
    }

    @classmethod
    def check(cls, cfg: dict[str, Any], where: str) -> None:
        cfg.setdefault("url", "https://gitlab.com")
        cfg["url"] = cls._check_url(cfg["url"], where, bool(cfg.get("allow_insecure_http")))

    @property
    def api(self) -> str:
        return f"{self.config['url']}/api/v4/projects/{quote(str(self.config['project']), safe='')}"

    def _headers(self) -> dict[str, str]:
        return {"PRIVATE-TOKEN": self.secret("token")}

    def upload_requests(self, ticket: Ticket) -> list[HttpRequest]:
        return [HttpRequest("POST", f"{self.api}/uploads", self._headers(),
                            files=[FilePart("file", a.filename, a.content_type, a.data)], step="upload")
                for a in ticket.attachments]

    def create_request(self, ticket: Ticket, links: list[str]) -> HttpRequest:
        desc = ticket.body_text()
        if links:
            desc += "\n\nSupport bundle (redacted): " + " ".join(links)
        labels = list(self.config["labels"])
        if self.config["label_priority"]:
            labels.append(f"P{ticket.priority}")
        incident = ticket.incident_type in (IncidentType.SECURITY_BREACH, IncidentType.TECHNICAL_FAILURE)
        return HttpRequest("POST", f"{self.api}/issues", {**self._headers(), "Content-Type": "application/json"},
                           json={"title": self.subject(ticket), "description": desc, "labels": ",".join(labels),
                                 "confidential": self.config["confidential"],
                                 "issue_type": "incident" if incident else "issue"}, step="create")

    def upload_ref(self, answer: Any) -> str:
        return str(answer.get("markdown", ""))

    def submit(self, ticket: Ticket, *, timeout: float = 30.0, cancel: CancelToken | None = None,
               progress: Progress | None = None) -> Submitted:
        data = self.upload_then_create(ticket, timeout=timeout, cancel=cancel, progress=progress)
        if not isinstance(data, dict) or "iid" not in data:
            raise RejectedError(f"GitLab ({self.name}) answered without an issue number: {str(data)[:200]}")
        return Submitted(str(data["iid"]), str(data.get("web_url", "")))

    def search_request(self, ticket: Ticket) -> HttpRequest:
        return HttpRequest("GET", f"{self.api}/issues", self._headers(),
                           params={"search": ticket.uid, "in": "title", "scope": "all"}, step="search")

    def find_existing(self, ticket: Ticket, *, timeout: float = 30.0) -> Submitted | None:
        with self._client(timeout) as client:
            data = json_of(self.send(client, self.search_request(ticket)), "GitLab")
        items = [i for i in (data if isinstance(data, list) else []) if ticket.uid in str(i.get("title", ""))]
        if not items:
            return None
        return Submitted(str(items[0]["iid"]), str(items[0].get("web_url", "")))

    def test(self, *, timeout: float = 15.0) -> str:
        with self._client(timeout) as client:
            data = json_of(self.send(client, HttpRequest("GET", self.api, self._headers(), step="project lookup")),
                           "GitLab")
        if data.get("issues_enabled") is False:
            raise RejectedError(f"GitLab ({self.name}): issues are disabled in {self.config['project']}")
        return f"GitLab: project {data.get('path_with_namespace', self.config['project'])} found"

    # ---- following a sent ticket --------------------------------------------------------------------------------
    def status_requests(self, remote_id: str) -> list[HttpRequest]:
        return [HttpRequest("GET", f"{self.api}/issues/{int(remote_id)}", self._headers(), step="status"),
                HttpRequest("GET", f"{self.api}/issues/{int(remote_id)}/notes", self._headers(),
                            params={"sort": "asc", "per_page": "100"}, step="replies")]

    def parse_status(self, remote_id: str, answers: list[Any]) -> TicketStatus:
        issue, notes = answers
        me = (issue.get("author") or {}).get("id")
        replies = tuple(Reply(str(n.get("id")), str((n.get("author") or {}).get("username") or ""),
                              parse_time(n.get("created_at")) or 0.0, str(n.get("body") or "").strip(),
                              ours=(n.get("author") or {}).get("id") == me)
                        for n in notes if not n.get("system") and not n.get("internal") and not n.get("confidential"))
        state = str(issue.get("state") or "")
        labels = tuple(str(lb) for lb in issue.get("labels") or [])
        return TicketStatus(remote_id, state_of(state, STATES), state, replies,
                            created=parse_time(issue.get("created_at")), resolved_at=parse_time(issue.get("closed_at")),
                            priority=next((lb for lb in labels if lb in PRIORITY_LABELS), ""), labels=labels,
                            url=str(issue.get("web_url") or ""))

    def _update(self, remote_id: str, fields: dict[str, Any], step: str) -> list[HttpRequest]:
        return [HttpRequest("PUT", f"{self.api}/issues/{int(remote_id)}",
                            {**self._headers(), "Content-Type": "application/json"}, json=fields, step=step)]

    def reply_requests(self, remote_id: str, text: str, attachments: list[Attachment]) -> list[HttpRequest]:
        self.text_only(attachments)
        return [HttpRequest("POST", f"{self.api}/issues/{int(remote_id)}/notes",
                            {**self._headers(), "Content-Type": "application/json"}, json={"body": text},
                            step="reply")]

    def reopen_requests(self, remote_id: str) -> list[HttpRequest]:
        return self._update(remote_id, {"state_event": "reopen"}, "reopen")

    def priority_requests(self, remote_id: str, priority: int, status: TicketStatus) -> list[HttpRequest]:
        if not self.config["label_priority"]:
            raise self.no_status("priority (label_priority = false)")
        others = [lb for lb in PRIORITY_LABELS if lb != f"P{priority}"]
        return self._update(remote_id, {"add_labels": f"P{priority}", "remove_labels": ",".join(others)}, "priority")
